// OpNode: the node type every built-in op records. It carries the op's backward function
// (a plain function pointer written next to the forward in ops/), its saved tensors and a
// few scalar/shape attributes, so ops need no node class of their own.
#pragma once
#include "autograd/node.h"

namespace gg::autograd {

struct OpNode;
using BackwardFn = TensorList (*)(OpNode& node, TensorList& grads);

struct OpNode : Node {
  const char* op_name;
  BackwardFn backward;
  SmallVec<SavedTensor, 2> saved;
  SmallVec<const char*, 2> saved_names;  // PyTorch's names: "self", "other", "result"...
  DimVec shape, shape2;                  // e.g. input sizes, for broadcasting gradients back
  double scalar = 0, scalar2 = 0;
  int64_t ints[4] = {0, 0, 0, 0};
  DType dtype = DType::Float32;
  const char* scalar_name = nullptr;     // exposed as `_saved_<scalar_name>`
  bool scalar_is_int = false;            // ... as a Python int, as PyTorch shows ints

  OpNode(const char* name, BackwardFn fn) : op_name(name), backward(fn) {}
  std::string name() const override { return op_name; }
  TensorList apply(TensorList& grads) override { return backward(*this, grads); }
  void release_variables() override {
    for (auto& s : saved) s.release();
  }
  std::vector<std::pair<std::string, Tensor>> saved_tensors_named() override;
  std::vector<std::pair<std::string, SavedScalar>> saved_scalars_named() override;
  // Sets the scalar attribute PyTorch exposes as `_saved_<name>`.
  void save_scalar(const char* name, double value, bool is_int) {
    scalar = value;
    scalar_name = name;
    scalar_is_int = is_int;
  }

  void save(const char* what, const Tensor& t, bool is_output = false) {
    saved.emplace_back(t, is_output);
    saved_names.push_back(what);
  }
  Tensor get(size_t i) { return saved[i].unpack(shared_from_this()); }
};

// A node for an op over `inputs` if grad mode is on and any of them requires grad;
// otherwise null (and the op records nothing).
std::shared_ptr<OpNode> make_node(const char* name, BackwardFn fn,
                                  std::initializer_list<const Tensor*> inputs);
std::shared_ptr<OpNode> make_node(const char* name, BackwardFn fn, const TensorList& inputs);

}  // namespace gg::autograd
