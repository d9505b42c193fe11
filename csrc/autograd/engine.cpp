#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "api/ops.h"

namespace gg::autograd {
namespace {

struct ByPriority {
  bool operator()(Node* a, Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

void accumulate(TensorList& buffer, uint32_t pos, const Tensor& g) {
  if (buffer.size() <= pos) buffer.resize(pos + 1);
  if (!buffer[pos]) buffer[pos] = g;
  else buffer[pos] = add(buffer[pos], g, 1.0);
}

}  // namespace

TensorList run_backward(const std::vector<Edge>& roots, const TensorList& grad_roots, bool keep_graph,
                        bool create_graph, const std::vector<Edge>& capture) {
  GradModeGuard mode(create_graph);
  // Count, for every reachable node, how many edges lead into it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack;
  std::unordered_set<Node*> seen;
  for (const Edge& e : roots)
    if (e.fn && seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  std::vector<Node*> order;  // discovery order, for the `needed` pass below
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      ++deps[e.fn.get()];
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }

  // With capture targets, a node runs only if some target is reachable from it.
  const bool capturing = !capture.empty();
  std::unordered_map<Node*, std::vector<std::pair<uint32_t, size_t>>> capture_at;  // node -> (input, slot)
  std::unordered_set<Node*> needed;
  if (capturing) {
    for (size_t i = 0; i < capture.size(); ++i)
      if (capture[i].fn) capture_at[capture[i].fn.get()].emplace_back(capture[i].input_nr, i);
    // Fixed point over the reachable set: a node is needed if a capture target or needed
    // node is among its next edges.
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node* n = *it;
        if (needed.count(n)) continue;
        for (const Edge& e : n->next_edges) {
          if (e.fn && (capture_at.count(e.fn.get()) || needed.count(e.fn.get()))) {
            needed.insert(n);
            changed = true;
            break;
          }
        }
      }
    }
  }

  TensorList captured(capture.size());
  std::unordered_map<Node*, TensorList> buffers;
  std::unordered_map<Node*, std::shared_ptr<Node>> alive;  // keeps nodes alive while queued
  std::priority_queue<Node*, std::vector<Node*>, ByPriority> ready;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Edge& e = roots[i];
    if (!e.fn) continue;
    accumulate(buffers[e.fn.get()], e.input_nr, grad_roots[i]);
    alive[e.fn.get()] = e.fn;
  }
  for (const Edge& e : roots)
    if (e.fn && deps[e.fn.get()] == 0 && buffers.count(e.fn.get())) {
      ready.push(e.fn.get());
      deps[e.fn.get()] = -1;  // queued
    }

  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    std::shared_ptr<Node> hold = alive[n];
    alive.erase(n);
    TensorList grads = std::move(buffers[n]);
    buffers.erase(n);
    if (grads.size() < 1) grads.resize(1);
    n->call_pre_hooks(grads);
    if (capturing) {
      auto it = capture_at.find(n);
      if (it != capture_at.end())
        for (auto& [input_nr, slot] : it->second)
          if (input_nr < grads.size() && grads[input_nr]) {
            captured[slot] = captured[slot] ? add(captured[slot], grads[input_nr], 1.0) : grads[input_nr];
          }
      if (!needed.count(n)) {
        if (!keep_graph) n->release_variables();
        continue;
      }
    }
    bool any = false;
    for (auto& g : grads) any = any || (bool)g;
    TensorList outs;
    if (any) outs = n->apply(grads);
    if (!keep_graph) n->release_variables();
    for (size_t i = 0; i < n->next_edges.size(); ++i) {
      const Edge& e = n->next_edges[i];
      if (!e.fn) continue;
      Node* child = e.fn.get();
      if (i < outs.size() && outs[i]) {
        accumulate(buffers[child], e.input_nr, outs[i]);
      }
      if (!alive.count(child)) alive[child] = e.fn;
      if (--deps[child] == 0) {
        if (buffers.count(child)) {
          ready.push(child);
        } else {
          // Nothing reached it: its own children still need their counts released.
          buffers[child] = TensorList{};
          ready.push(child);
        }
      }
    }
  }
  return captured;
}

}  // namespace gg::autograd
