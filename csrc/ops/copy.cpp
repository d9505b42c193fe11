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
  // A plain byte copy when nothing needs converting or rearranging; split over threads like any
  // other elementwise pass when the two ranges do not overlap (one thread cannot fill the memory bus).
  if (src->dtype == dst->dtype && src->sizes == dst->sizes && src->is_contiguous() && dst->is_contiguous()) {
    char* d = static_cast<char*>(dst->raw_data());
    const char* s = static_cast<const char*>(src->raw_data());
    const int64_t item = dst->element_size(), bytes = dst->numel() * item;
    if (d == s) return;
    if (d + bytes <= s || s + bytes <= d)
      cpu::parallel_for_small(0, dst->numel(), cpu::kGrainSize, [&](int64_t b, int64_t e) {
        std::memcpy(d + b * item, s + b * item, (e - b) * item);
      });
    else
      std::memmove(d, s, bytes);
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

// A zero gradient with g's shape and dtype (a fresh tensor: never recorded).
static Tensor zeros_shaped_like(const Tensor& g) {
  Tensor z = empty(g->sizes, g->dtype, g->device());
  zero_(z);
  return z;
}

Tensor copy_(const Tensor& dst, const Tensor& src) {
  autograd::check_inplace(dst, "copy_");
  const bool record = grad_enabled() && (dst->requires_grad() || src->requires_grad());
  if (!record) {
    copy_into(dst, src);
    dst->bump_version();
    return dst;
  }
  if (!dst->is_view) {
    // The old value of dst gets no gradient; src gets it, reduced to its shape and dtype.
    auto node = autograd::make_node("CopyBackwards", [](OpNode& n, TensorList& g) -> TensorList {
      Tensor gd, gs;
      if (n.needs_input_grad(0)) gd = zeros_shaped_like(g[0]);  // (zeros, not None: as PyTorch)
      if (n.needs_input_grad(1)) gs = grad_for_input(g[0], n.shape, n.dtype);
      return {gd, gs};
    }, {&dst, &src});
    node->shape = src->sizes;
    node->dtype = src->dtype;
    copy_into(dst, src);
    dst->bump_version();
    attach(node, dst);
    return dst;
  }
  // Into a view: the values written are src broadcast and cast (recorded), then CopySlices.
  Tensor value = src->sizes == dst->sizes ? src : expand(src, dst->sizes);
  value = to_dtype(value, dst->dtype);
  copy_into(dst, value);
  dst->bump_version();
  autograd::rebase_history(dst, value);
  return dst;
}

// fill_ and zero_: the old value gets a zero gradient (zeros, not None, as PyTorch gives).
static void record_constant_write(const Tensor& t, const char* node_name) {
  if (!grad_enabled() || !t->requires_grad()) return;
  if (t->is_view) {
    autograd::rebase_history(t, nullptr);
    return;
  }
  auto node = autograd::make_node(node_name, [](OpNode&, TensorList& g) -> TensorList {
    return {zeros_shaped_like(g[0])};
  }, {&t});
  attach(node, t);
}

Tensor fill_(const Tensor& t, Scalar value) {
  autograd::check_inplace(t, "fill_");
  check_device(t, "fill_");
  copy_into(t, scalar_tensor(value, t->dtype));
  t->bump_version();
  record_constant_write(t, "FillBackward2");  // (PyTorch's name for fill_.Scalar)
  return t;
}

Tensor zero_(const Tensor& t) {
  autograd::check_inplace(t, "zero_");
  check_device(t, "zero_");
  if (t->is_contiguous()) {
    std::memset(t->raw_data(), 0, t->numel() * t->element_size());
  } else {
    copy_into(t, scalar_tensor(Scalar::from_int(0), t->dtype));
  }
  t->bump_version();
  record_constant_write(t, "ZeroBackward0");
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
