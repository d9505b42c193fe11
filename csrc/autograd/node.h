// The backward graph: nodes, edges, saved tensors and per-tensor autograd metadata.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "core/modes.h"
#include "core/tensor_impl.h"

namespace gg::autograd {

struct Node;

struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return (bool)fn; }
};

// A tensor hook: returns an undefined Tensor to keep the gradient, or a replacement.
using Hook = std::function<Tensor(const Tensor&)>;
struct HookEntry {
  int id;
  Hook fn;
};

struct AutogradMeta : AutogradMetaBase {
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;  // leaves: AccumulateGrad owns the leaf, not vice versa
  uint32_t output_nr = 0;
  bool retains_grad = false;
  std::vector<HookEntry> hooks;    // leaf hooks (non-leaf hooks live on grad_fn)
};

AutogradMeta* meta(const Tensor& t);               // may be null
AutogradMeta& materialize_meta(const Tensor& t);   // creates it
inline bool is_leaf(const Tensor& t) {
  auto* m = meta(t);
  return !m || !m->grad_fn;
}
const std::shared_ptr<Node>& grad_fn(const Tensor& t);
// The edge a gradient for `t` flows into: its grad_fn, or its leaf accumulator.
Edge gradient_edge(const Tensor& t);
void set_requires_grad(const Tensor& t, bool requires_grad);
int next_hook_id();

uint64_t next_sequence_nr();

// A number saved for backward, shown to Python as an int or a float.
struct SavedScalar {
  double value;
  bool is_int;
};

struct Node : std::enable_shared_from_this<Node> {
  SmallVec<Edge, 3> next_edges;
  uint64_t sequence_nr;
  std::vector<std::pair<uint32_t, HookEntry>> pre_hooks;  // by input index (= output_nr)
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;  // retain_grad()

  // Per-backward bookkeeping, owned by the engine while a backward runs (Note [Engine state]).
  uint64_t task_id = 0;
  int dependencies = 0;
  bool needed = true;
  TensorList input_buffer;

  Node() : sequence_nr(next_sequence_nr()) {}
  virtual ~Node() = default;
  virtual std::string name() const = 0;
  // grads[i] is the gradient of the forward op's output i (undefined if none reached it);
  // returns one gradient per next edge (undefined where not needed).
  virtual TensorList apply(TensorList& grads) = 0;
  virtual void release_variables() {}
  // Runs tensor hooks on incoming gradients, then stores retained grads.
  virtual void call_pre_hooks(TensorList& grads);
  // Tensors saved for backward, by PyTorch's attribute name without `_saved_` (self, other,
  // result...); scalar attributes are exposed by the bindings from saved_scalars.
  virtual std::vector<std::pair<std::string, Tensor>> saved_tensors_named();
  virtual std::vector<std::pair<std::string, SavedScalar>> saved_scalars_named() { return {}; }
  uint32_t num_outputs() const { return (uint32_t)next_edges.size(); }
  bool needs_input_grad(size_t i) const { return i < next_edges.size() && next_edges[i].valid(); }
};

// Note [Saved tensors]
// Inputs are saved as the tensor itself (so `y.grad_fn._saved_self is x`). Outputs are
// saved as an alias without autograd metadata: saving the output itself would make a
// cycle output -> grad_fn -> output. Unpacking an output under create_graph gives it back
// its grad_fn. The version seen at save time is checked at every unpack.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, bool is_output);
  Tensor unpack(const std::shared_ptr<Node>& owner) const;
  // For introspection (`_saved_self`): does not check versions.
  Tensor peek(const std::shared_ptr<Node>& owner) const;
  void release() {
    data_.reset();
    released_ = true;
  }
  bool defined() const { return defined_; }

 private:
  Tensor data_;
  std::weak_ptr<Node> producer_;  // grad_fn of a saved input, for the error message
  uint32_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool defined_ = false;
  bool released_ = false;
};

struct AccumulateGrad : Node {
  Tensor variable;
  explicit AccumulateGrad(Tensor v);
  std::string name() const override { return "torch::autograd::AccumulateGrad"; }
  TensorList apply(TensorList& grads) override;
  void call_pre_hooks(TensorList& grads) override;
};

// Collects the edges of `inputs` and says whether any requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
// Makes `t` the output `output_nr` of `fn` (requires_grad, grad_fn, not a leaf).
void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr = 0);
void check_inplace(const Tensor& t, const char* op);
// After an in-place op wrote `result` (computed out of place, with its own history, or null
// for a constant) into `self`: makes that the new history of `self`. A plain tensor simply
// takes result's grad_fn; a view rewrites its base's history through CopySlices
// (Note [In-place on views]).
void rebase_history(const Tensor& self, const Tensor& result);
// The same for a view `self`, where `fn` is the node of the out-of-place op that computed its
// new value (input 0: the view's old value): CopySlices wraps fn and links to fn's other inputs,
// so the graph is PyTorch's (CopySlices -> base, values) rather than through fn.
void rebase_history_wrapping(const Tensor& self, const std::shared_ptr<Node>& fn);

}  // namespace gg::autograd
