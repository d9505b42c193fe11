// Copies, casts, fills, clone, contiguous, detach: data movement and its VJPs.
#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;

namespace ops {

void check_device(const Tensor& t, const char* op) {
  if (t->device().is_cuda()) fail_no_cuda(op);
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  if (a->device() != b->device())
    fail(ErrorKind::Runtime, "Expected all tensors to be on the same device, but found at least two devices, ",
         a->device().str(), " and ", b->device().str(), "! [", op, "]");
  check_device(a, op);
}

void copy_into(const Tensor& dst, const Tensor& src) {
  check_same_device(dst, src, "copy_");
  if (src->sizes != dst->sizes) broadcast_shapes(dst->sizes, src->sizes, "copy_");
  if (dst->numel() == 0) return;
  // A plain byte copy when nothing needs converting or rearranging.
  if (src->dtype == dst->dtype && src->sizes == dst->sizes && src->is_contiguous() && dst->is_contiguous()) {
    if (src->raw_data() != dst->raw_data())
      std::memmove(dst->raw_data(), src->raw_data(), dst->numel() * dst->element_size());
    return;
  }
  cpu::LoopPlan plan(dst, {&src});
  dispatch<kAll>(dst->dtype, "copy_", [&](auto out_tag) {
    using To = typename decltype(out_tag)::type;
    dispatch<kAll>(src->dtype, "copy_", [&](auto in_tag) {
      using From = typename decltype(in_tag)::type;
      cpu::elementwise<To, From>(plan, fn::Cast<To>{});
    });
  });
}

Tensor cast_raw(const Tensor& t, DType dtype) {
  if (t->dtype == dtype && t->is_contiguous()) return t;
  Tensor out = empty(t->sizes, dtype, t->device());
  copy_into(out, t);
  return out;
}

Tensor grad_for_input(const Tensor& g, const DimVec& shape, DType dtype) {
  Tensor r = g->sizes == shape ? g : sum_to(g, shape);
  return r->dtype == dtype ? r : to_dtype(r, dtype);
}

}  // namespace ops

Tensor scalar_tensor(Scalar s, std::optional<DType> dtype, bool wrapped_number) {
  DType dt = dtype ? *dtype : s.kind == Scalar::Float ? DType::Float64 : s.kind == Scalar::Int ? DType::Int64 : DType::Bool;
  Tensor t = empty(DimVec{}, dt);
  dispatch<kAll>(dt, "scalar_tensor", [&](auto tag) {
    using T = typename decltype(tag)::type;
    *t->data<T>() = s.kind == Scalar::Float ? fn::Cast<T>{}(s.f) : fn::Cast<T>{}(s.i);
  });
  t->is_wrapped_number = wrapped_number;
  return t;
}

Tensor copy_(const Tensor& dst, const Tensor& src) {
  autograd::check_inplace(dst, "copy_");
  auto node = autograd::make_node("CopyBackwards", [](OpNode& n, TensorList& g) -> TensorList {
    Tensor gs;
    if (n.needs_input_grad(1)) gs = grad_for_input(g[0], n.shape, n.dtype);
    Tensor gd;
    if (n.needs_input_grad(0)) gd = mul(g[0], wrapped(0.0));
    return {gd, gs};
  }, {&dst, &src});
  if (node) {
    autograd::check_view_inplace(dst, "copy_");
    node->shape = src->sizes;
    node->dtype = src->dtype;
  }
  copy_into(dst, src);
  dst->bump_version();
  attach(node, dst);
  return dst;
}

Tensor fill_(const Tensor& t, Scalar value) {
  autograd::check_inplace(t, "fill_");
  check_device(t, "fill_");
  Tensor v = scalar_tensor(value, t->dtype);
  copy_into(t, v);
  t->bump_version();
  if (grad_enabled() && t->requires_grad()) {
    // The old value no longer matters: the gradient stops here.
    autograd::check_view_inplace(t, "fill_");
    auto node = autograd::make_node("FillBackward0", [](OpNode&, TensorList&) -> TensorList { return {Tensor()}; }, {&t});
    attach(node, t);
  }
  return t;
}

Tensor zero_(const Tensor& t) {
  autograd::check_inplace(t, "zero_");
  check_device(t, "zero_");
  if (t->is_contiguous()) {
    std::memset(t->raw_data(), 0, t->numel() * t->element_size());
    t->bump_version();
  } else {
    fill_(t, Scalar::from_int(0));
    return t;
  }
  if (grad_enabled() && t->requires_grad()) {
    autograd::check_view_inplace(t, "zero_");
    auto node = autograd::make_node("ZeroBackward0", [](OpNode&, TensorList&) -> TensorList { return {Tensor()}; }, {&t});
    attach(node, t);
  }
  return t;
}

Tensor to_dtype(const Tensor& t, DType dtype, bool copy) {
  if (t->dtype == dtype && !copy) return t;
  check_device(t, "to");
  Tensor out = empty(t->sizes, dtype, t->device());
  copy_into(out, t);
  if (is_floating(dtype)) {
    auto node = autograd::make_node("ToCopyBackward0", [](OpNode& n, TensorList& g) -> TensorList {
      return {to_dtype(g[0], n.dtype)};
    }, {&t});
    if (node) node->dtype = t->dtype;
    attach(node, out);
  }
  return out;
}

Tensor clone(const Tensor& t) {
  check_device(t, "clone");
  Tensor out = empty(t->sizes, t->dtype, t->device());
  copy_into(out, t);
  auto node = autograd::make_node("CloneBackward0", [](OpNode&, TensorList& g) -> TensorList { return {g[0]}; }, {&t});
  attach(node, out);
  return out;
}

Tensor contiguous(const Tensor& t) { return t->is_contiguous() ? t : clone(t); }

Tensor detach(const Tensor& t) {
  Tensor out = shallow_alias(t);
  out->is_inference = t->is_inference;
  return out;
}

}  // namespace gg
