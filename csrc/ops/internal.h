// Helpers shared by the op files: raw (unrecorded) copies and casts, and gradient shaping.
#pragma once
#include <cmath>

#include "api/ops.h"
#include "autograd/op_node.h"

namespace gg::ops {

using autograd::OpNode;

// Writes src (broadcast to dst's shape, cast to dst's dtype) into dst. Records nothing.
void copy_into(const Tensor& dst, const Tensor& src);
// A contiguous copy of `t` in `dtype`, or `t` itself if it already is one. Records nothing.
Tensor cast_raw(const Tensor& t, DType dtype);
// Whether a saved number reads as an int (PyTorch shows `_saved_alpha` of add as 1, not 1.0).
inline bool is_whole(double v) { return std::isfinite(v) && v == std::floor(v); }
// A Python-number-like constant for VJP formulas.
inline Tensor wrapped(double v) { return scalar_tensor(Scalar::from_double(v), std::nullopt, true); }
void check_device(const Tensor& t, const char* op);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
// Gradient for an input of shape/dtype (shape, dtype) from a gradient of the broadcast shape.
Tensor grad_for_input(const Tensor& g, const DimVec& shape, DType dtype);
// View ops recorded under a given grad_fn name (PyTorch names some internal views apart).
Tensor view_named(const Tensor& t, const DimVec& shape, const char* node_name);
Tensor squeeze_named(const Tensor& t, int64_t dim, const char* node_name);
// Binds `out` to `node` as output 0 (no-op when node is null).
inline void attach(const std::shared_ptr<OpNode>& node, const Tensor& out, uint32_t nr = 0) {
  if (node) autograd::set_history(out, node, nr);
}

}  // namespace gg::ops
