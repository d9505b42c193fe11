// The elementwise kernel drivers shared by the elementwise op files: type promotion of two
// operands and broadcast unary / binary loops (a 0-dim operand is read once, never materialized).
#pragma once
#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "ops/internal.h"

namespace gg::ops {

inline DType default_float() { return default_float_dtype(); }

// The value of a one-element tensor as T.
template <typename T>
T scalar_value(const Tensor& t) {
  return dispatch<kAll>(t->dtype, "scalar", [&](auto tag) {
    using S = typename decltype(tag)::type;
    return fn::Cast<T>{}(*t->data<S>());
  });
}

// Runs out = f(a, b) with both operands in `compute`, broadcast, into a new tensor.
// A 0-dim operand (a Python number, usually) is read once and never materialized in `compute`.
template <unsigned Set, typename F>
Tensor binary_kernel(const char* op, const Tensor& a, const Tensor& b, DType compute, DType out_dtype, F f) {
  check_same_device(a, b, op);
  if (b->dim() == 0 && a->dim() > 0 && a->dtype == compute) {
    Tensor out = empty(a->sizes, out_dtype, a->device());
    cpu::LoopPlan plan(out, {&a});
    dispatch<Set>(compute, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using Out = decltype(f(T(), T()));
      const T s = scalar_value<T>(b);
      cpu::elementwise<Out, T>(plan, [f, s](T x) { return f(x, s); });
    });
    return out;
  }
  if (a->dim() == 0 && b->dim() > 0 && b->dtype == compute) {
    Tensor out = empty(b->sizes, out_dtype, b->device());
    cpu::LoopPlan plan(out, {&b});
    dispatch<Set>(compute, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using Out = decltype(f(T(), T()));
      const T s = scalar_value<T>(a);
      cpu::elementwise<Out, T>(plan, [f, s](T x) { return f(s, x); });
    });
    return out;
  }
  DimVec shape = a->sizes == b->sizes ? a->sizes : broadcast_shapes(a->sizes, b->sizes, op);
  Tensor ac = a->dtype == compute ? a : cast_raw(a, compute);
  Tensor bc = b->dtype == compute ? b : cast_raw(b, compute);
  Tensor out = empty(shape, out_dtype, a->device());
  cpu::LoopPlan plan(out, {&ac, &bc});
  dispatch<Set>(compute, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Out = decltype(f(T(), T()));
    cpu::elementwise<Out, T, T>(plan, f);
  });
  return out;
}

template <unsigned Set, typename F>
Tensor unary_kernel(const char* op, const Tensor& x, DType compute, F f) {
  check_device(x, op);
  Tensor xc = x->dtype == compute ? x : cast_raw(x, compute);
  Tensor out = empty(x->sizes, compute, x->device());
  cpu::LoopPlan plan(out, {&xc});
  dispatch<Set>(compute, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::elementwise<T, T>(plan, f);
  });
  return out;
}

inline DType promote2(const Tensor& a, const Tensor& b) {
  // Common cases first: equal dtypes, or a Python number that does not raise the category.
  if (a->dtype == b->dtype && !(a->is_wrapped_number && b->is_wrapped_number)) return a->dtype;
  if (b->is_wrapped_number && !a->is_wrapped_number && category(b->dtype) <= category(a->dtype)) return a->dtype;
  if (a->is_wrapped_number && !b->is_wrapped_number && category(a->dtype) <= category(b->dtype)) return b->dtype;
  const Tensor* ts[2] = {&a, &b};
  return result_type(ts, 2);
}

// Records the shapes and dtypes both inputs need their gradients reduced back to.
inline void remember_inputs(OpNode& n, const Tensor& a, const Tensor& b) {
  n.shape = a->sizes;
  n.shape2 = b->sizes;
  n.ints[0] = int64_t(a->dtype);
  n.ints[1] = int64_t(b->dtype);
}
inline Tensor grad_a(OpNode& n, const Tensor& g) { return grad_for_input(g, n.shape, DType(n.ints[0])); }
inline Tensor grad_b(OpNode& n, const Tensor& g) { return grad_for_input(g, n.shape2, DType(n.ints[1])); }

}  // namespace gg::ops
