#include "autograd/engine.h"

#include <queue>

#include "api/ops.h"

namespace gg::autograd {

// Note [Engine state]
// A backward pass keeps its per-node state (dependency count, gradient buffer, whether the
// node leads to a captured input) on the nodes themselves, stamped with the pass's task id,
// instead of in hash maps: graphs are walked once to count, once to run.
namespace {

uint64_t next_task_id() {
  static uint64_t id = 0;
  return ++id;
}

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
  const uint64_t task = next_task_id();
  // Count, for every reachable node, how many edges lead into it. `order` keeps the nodes
  // alive and in discovery order.
  std::vector<std::shared_ptr<Node>> order;
  std::vector<Node*> stack;
  auto visit = [&](const std::shared_ptr<Node>& n) {
    if (n->task_id == task) return;
    n->task_id = task;
    n->dependencies = 0;
    n->needed = capture.empty();
    n->input_buffer.clear();
    order.push_back(n);
    stack.push_back(n.get());
  };
  for (const Edge& e : roots)
    if (e.fn) visit(e.fn);
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      visit(e.fn);
      ++e.fn->dependencies;
    }
  }

  // With capture targets (autograd.grad), a node runs only if a target is reachable from it;
  // targets are (node, input) pairs whose incoming gradient is returned.
  struct Target {
    Node* node;
    uint32_t input_nr;
  };
  std::vector<Target> targets;
  for (const Edge& e : capture) targets.push_back({e.fn.get(), e.input_nr});
  auto is_target = [&](Node* n) {
    for (const Target& t : targets)
      if (t.node == n) return true;
    return false;
  };
  if (!capture.empty()) {
    // Reverse discovery order visits children before parents often enough; iterate to a
    // fixed point for the rest.
    for (bool changed = true; changed;) {
      changed = false;
      for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node* n = it->get();
        if (n->needed) continue;
        for (const Edge& e : n->next_edges) {
          if (e.fn && e.fn->task_id == task && (e.fn->needed || is_target(e.fn.get()))) {
            n->needed = changed = true;
            break;
          }
        }
      }
    }
  }

  TensorList captured(capture.size());
  std::priority_queue<Node*, std::vector<Node*>, ByPriority> ready;
  for (size_t i = 0; i < roots.size(); ++i)
    if (roots[i].fn) accumulate(roots[i].fn->input_buffer, roots[i].input_nr, grad_roots[i]);
  for (const Edge& e : roots)
    if (e.fn && e.fn->dependencies == 0) {
      e.fn->dependencies = -1;  // queued once, even if it is several roots
      ready.push(e.fn.get());
    }

  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    TensorList grads = std::move(n->input_buffer);
    n->input_buffer = TensorList{};
    if (grads.empty()) grads.resize(1);
    n->call_pre_hooks(grads);
    for (size_t i = 0; i < targets.size(); ++i) {
      const uint32_t k = targets[i].input_nr;
      if (targets[i].node == n && k < grads.size() && grads[k])
        captured[i] = captured[i] ? add(captured[i], grads[k], 1.0) : grads[k];
    }
    TensorList outs;
    if (n->needed) {
      bool any = false;
      for (auto& g : grads) any = any || (bool)g;
      if (any) outs = n->apply(grads);
    }
    if (!keep_graph) n->release_variables();
    if (!n->needed) continue;
    for (size_t i = 0; i < n->next_edges.size(); ++i) {
      const Edge& e = n->next_edges[i];
      if (!e.fn) continue;
      Node* child = e.fn.get();
      if (i < outs.size() && outs[i]) accumulate(child->input_buffer, e.input_nr, outs[i]);
      if (--child->dependencies == 0) ready.push(child);
    }
  }
  for (auto& n : order) n->input_buffer.clear();
  return captured;
}

}  // namespace gg::autograd
