// The elementwise family beyond the arithmetic core: where, clamp, masked_fill, lerp,
// addcmul/addcdiv, activations, rounding division and remainder, logical and nan/inf ops,
// and the VJPs of this family's unary_ops.def rows. Forward and VJP side by side.
#include <functional>

#include "autograd/node.h"
#include "ops/elementwise_kernels.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

Tensor zero_like_wrapped() { return wrapped(0.0); }

DimVec broadcast3(const Tensor& a, const Tensor& b, const Tensor& c, const char* op) {
  DimVec s = a->sizes == b->sizes ? a->sizes : broadcast_shapes(a->sizes, b->sizes, op);
  return s == c->sizes ? s : broadcast_shapes(s, c->sizes, op);
}

// out = f(a, b, c) with all three cast to `compute`, broadcast, into a new tensor.
template <unsigned Set, typename F>
Tensor ternary_kernel(const char* op, const Tensor& a, const Tensor& b, const Tensor& c, DType compute, F f) {
  check_same_device(a, b, op);
  check_same_device(a, c, op);
  DimVec shape = broadcast3(a, b, c, op);
  Tensor ac = a->dtype == compute ? a : cast_raw(a, compute);
  Tensor bc = b->dtype == compute ? b : cast_raw(b, compute);
  Tensor cc = c->dtype == compute ? c : cast_raw(c, compute);
  Tensor out = empty(shape, compute, a->device());
  cpu::LoopPlan plan(out, {&ac, &bc, &cc});
  dispatch<Set>(compute, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::elementwise<T, T, T, T>(plan, f);
  });
  return out;
}

// out = cond ? a : b in `dt` (a bool condition; a and b cast to dt), broadcast.
Tensor where_kernel(const char* op, const Tensor& cond, const Tensor& a, const Tensor& b, DType dt) {
  check_same_device(cond, a, op);
  check_same_device(cond, b, op);
  DimVec shape = broadcast3(cond, a, b, op);
  Tensor out = empty(shape, dt, cond->device());
  // A 0-dim branch (a Python number, usually) is read once: a two-operand loop, contiguous
  // (and vectorized) where cond and the other branch are.
  if (a->dim() == 0 || b->dim() == 0) {
    const bool scalar_a = b->dim() != 0;
    const Tensor& s = scalar_a ? a : b;
    Tensor other = scalar_a ? b : a;
    if (other->dtype != dt) other = cast_raw(other, dt);
    cpu::LoopPlan plan(out, {&cond, &other});
    dispatch<kAll>(dt, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T v = scalar_value<T>(s);
      if (scalar_a) cpu::elementwise<T, uint8_t, T>(plan, fn::WhereScalarSelf<T>{v});
      else cpu::elementwise<T, uint8_t, T>(plan, fn::WhereScalarOther<T>{v});
    });
    return out;
  }
  Tensor ac = a->dtype == dt ? a : cast_raw(a, dt);
  Tensor bc = b->dtype == dt ? b : cast_raw(b, dt);
  cpu::LoopPlan plan(out, {&cond, &ac, &bc});
  dispatch<kAll>(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::elementwise<T, uint8_t, T, T>(plan, fn::Where{});
  });
  return out;
}

// out = F<T>{params...}(x) in `dt`: a unary functor with parameters fixed per call.
template <unsigned Set, template <class> class F, typename... P>
Tensor unary_param(const char* op, const Tensor& x, DType dt, P... params) {
  check_device(x, op);
  Tensor xc = x->dtype == dt ? x : cast_raw(x, dt);
  Tensor out = empty(x->sizes, dt, x->device());
  cpu::LoopPlan plan(out, {&xc});
  dispatch<Set>(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::elementwise<T, T>(plan, F<T>{T(params)...});
  });
  return out;
}

// A bool tensor f(x), x in its own dtype.
template <typename F>
Tensor unary_to_bool(const char* op, const Tensor& x, F f) {
  check_device(x, op);
  Tensor out = empty(x->sizes, DType::Bool, x->device());
  cpu::LoopPlan plan(out, {&x});
  dispatch<kAll>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::elementwise<bool, T>(plan, f);
  });
  return out;
}

DType promote_n(std::initializer_list<const Tensor*> ts) {
  const Tensor* arr[3];
  size_t n = 0;
  for (const Tensor* t : ts)
    if (*t) arr[n++] = t;
  return result_type(arr, n);
}

Tensor where_zero(const Tensor& cond, const Tensor& g) { return where(cond, g, zero_like_wrapped()); }
Tensor cmp_s(const Tensor& x, double v, Compare op) { return compare(x, wrapped(v), op); }
Tensor land(const Tensor& a, const Tensor& b) { return logical(a, b, Logical::And); }
Tensor reduce_to(const Tensor& g, const Tensor& like) { return grad_for_input(g, like->sizes, like->dtype); }

// Integer division by zero traps the CPU: refuse it first, with PyTorch's message.
void check_int_divisor(const Tensor& b, DType dt) {
  if (is_floating(dt) || b->numel() == 0) return;
  Tensor bc = cast_raw(b, DType::Int64);
  const int64_t* p = bc->data<int64_t>();
  for (int64_t i = 0; i < bc->numel(); ++i) GG_CHECK(p[i] != 0, "ZeroDivisionError");
}

// PyTorch's lower-case scalar type names in messages: float, double, long, int, bool.
std::string type_word(DType t) {
  std::string s = short_name(t);
  s[0] = char(s[0] - 'A' + 'a');
  return s;
}

double scalar_of(const Tensor& t) {
  Tensor c = cast_raw(t, DType::Float64);
  return *c->data<double>();
}

}  // namespace

// ---------------------------------------------------------------- unary rows (unary_ops.def)
namespace vjp {
Tensor expm1(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, add(y, wrapped(1.0))); }
Tensor log1p(const Tensor& g, const Tensor& x, const Tensor&) { return div(g, add(x, wrapped(1.0))); }
Tensor log2(const Tensor& g, const Tensor& x, const Tensor&) { return div(g, mul(x, wrapped(0.69314718055994530942))); }
Tensor erf(const Tensor& g, const Tensor& x, const Tensor&) {  // 2 / sqrt(pi) e^{-x^2}
  return mul(g, mul(exp(neg(mul(x, x))), wrapped(1.12837916709551257390)));
}
Tensor rsqrt(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, mul(mul(y, mul(y, y)), wrapped(-0.5))); }
Tensor tan(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, add(mul(y, y), wrapped(1.0))); }
Tensor floor(const Tensor& g, const Tensor&, const Tensor&) { return mul(g, wrapped(0.0)); }
Tensor ceil(const Tensor& g, const Tensor&, const Tensor&) { return mul(g, wrapped(0.0)); }
Tensor round(const Tensor& g, const Tensor&, const Tensor&) { return mul(g, wrapped(0.0)); }
Tensor trunc(const Tensor& g, const Tensor&, const Tensor&) { return mul(g, wrapped(0.0)); }
}  // namespace vjp

Tensor round_decimals(const Tensor& x, int64_t decimals) {
  GG_CHECK_KIND(is_floating(x->dtype), NotImplemented, "\"round\" not implemented for '", short_name(x->dtype), "'");
  const double ten_pow = std::pow(10.0, double(decimals < 0 ? -decimals : decimals));
  Tensor out = unary_param<kFloats, fn::RoundDecimals>("round", x, x->dtype, ten_pow, decimals < 0 ? 1.0 : 0.0);
  if (auto node = make_node("RoundBackward1", [](OpNode&, TensorList& g) -> TensorList {
        return {mul(g[0], wrapped(0.0))};
      }, {&x})) {
    node->ints[0] = decimals;
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- where
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  GG_CHECK(cond->dtype == DType::Bool, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
           short_name(cond->dtype));
  DType dt = promote2(a, b);
  Tensor out = where_kernel("where", cond, a, b, dt);
  if (auto node = make_node("WhereBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor c = n.get(0), ga, gb;
        if (n.needs_input_grad(0)) ga = grad_a(n, where(c, g[0], zero_like_wrapped()));
        if (n.needs_input_grad(1)) gb = grad_b(n, where(c, zero_like_wrapped(), g[0]));
        return {ga, gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->save("condition", cond);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- clamp
// clamp with number bounds, recording nothing.
static Tensor clamp_raw(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  GG_CHECK(lo || hi, "torch.clamp: At least one of 'min' or 'max' must not be None");
  Tensor lt = lo ? scalar_tensor(*lo, std::nullopt, true) : Tensor();
  Tensor ht = hi ? scalar_tensor(*hi, std::nullopt, true) : Tensor();
  DType dt = promote_n({&x, &lt, &ht});
  check_device(x, "clamp");
  Tensor xc = x->dtype == dt ? x : cast_raw(x, dt);
  Tensor out = empty(x->sizes, dt, x->device());
  cpu::LoopPlan plan(out, {&xc});
  dispatch<kNumbers>(dt, "clamp", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using L = std::numeric_limits<T>;
    auto conv = [](const Scalar& s) { return s.kind == Scalar::Float ? T(s.f) : T(s.i); };
    const T l = lo ? conv(*lo) : L::has_infinity ? -L::infinity() : L::lowest();
    const T h = hi ? conv(*hi) : L::has_infinity ? L::infinity() : L::max();
    cpu::elementwise<T, T>(plan, fn::ClampScalar<T>{l, h});
  });
  return out;
}

Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  Tensor out = clamp_raw(x, lo, hi);
  if (auto node = make_node("ClampBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        // scalar: min if given (else max); scalar2: max when both are given.
        Tensor x = n.get(0), mask;
        if (n.ints[0]) mask = cmp_s(x, n.scalar, Compare::Ge);
        if (n.ints[1]) {
          Tensor m2 = cmp_s(x, n.ints[0] ? n.scalar2 : n.scalar, Compare::Le);
          mask = mask ? land(mask, m2) : m2;
        }
        return {where_zero(mask, g[0])};
      }, {&x})) {
    node->save("self", x);
    node->ints[0] = bool(lo);
    node->ints[1] = bool(hi);
    node->scalar = lo ? lo->to_double() : hi->to_double();
    if (lo && hi) node->scalar2 = hi->to_double();
    node->scalar_name = lo ? "min" : "max";
    attach(node, out);
  }
  return out;
}

Tensor clamp_tensor(const Tensor& x, const Tensor& lo, const Tensor& hi) {
  GG_CHECK(lo || hi, "torch.clamp: At least one of 'min' or 'max' must not be None");
  DType dt = promote_n({&x, &lo, &hi});
  Tensor out = lo && hi ? ternary_kernel<kNumbers>("clamp", x, lo, hi, dt, fn::Clamp{})
               : lo     ? binary_kernel<kNumbers>("clamp", x, lo, dt, dt, fn::Maximum{})
                        : binary_kernel<kNumbers>("clamp", x, hi, dt, dt, fn::Minimum{});
  if (auto node = make_node("ClampBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        // Saved: self, then min and max where given (PyTorch's clamp_backward_min_max).
        size_t k = 0;
        Tensor x = n.get(k++);
        Tensor lo = n.ints[0] ? n.get(k++) : Tensor();
        Tensor hi = n.ints[1] ? n.get(k++) : Tensor();
        Tensor gx, gl, gh;
        if (lo && hi) {
          if (n.needs_input_grad(0))
            gx = where_zero(land(compare(x, lo, Compare::Ge), compare(x, hi, Compare::Le)), g[0]);
          if (n.needs_input_grad(1))
            gl = where_zero(land(compare(x, lo, Compare::Lt), compare(lo, hi, Compare::Lt)), g[0]);
          if (n.needs_input_grad(2))
            gh = where_zero(logical(compare(x, hi, Compare::Gt), compare(hi, lo, Compare::Lt), Logical::Or), g[0]);
        } else if (lo) {
          if (n.needs_input_grad(0)) gx = where_zero(compare(x, lo, Compare::Ge), g[0]);
          if (n.needs_input_grad(1)) gl = where_zero(compare(x, lo, Compare::Lt), g[0]);
        } else {
          if (n.needs_input_grad(0)) gx = where_zero(compare(x, hi, Compare::Le), g[0]);
          if (n.needs_input_grad(2)) gh = where_zero(compare(x, hi, Compare::Gt), g[0]);
        }
        return {gx ? reduce_to(gx, x) : gx, gl ? reduce_to(gl, lo) : gl, gh ? reduce_to(gh, hi) : gh};
      }, {&x, &lo, &hi})) {
    node->save("self", x);
    if (lo) node->save("min", lo);
    if (hi) node->save("max", hi);
    node->ints[0] = bool(lo);
    node->ints[1] = bool(hi);
    attach(node, out);
  }
  return out;
}

// clamp_min / clamp_max: with a Python number PyTorch records only self (Backward0).
static Tensor clamp_one(const Tensor& x, const Tensor& bound, bool is_min) {
  const char* op = is_min ? "clamp_min" : "clamp_max";
  if (bound->is_wrapped_number) {
    Scalar s = is_floating(bound->dtype) ? Scalar::from_double(scalar_of(bound))
                                         : Scalar::from_int(int64_t(scalar_of(bound)));
    Tensor out = is_min ? clamp_raw(x, s, std::nullopt) : clamp_raw(x, std::nullopt, s);
    if (auto node = make_node(is_min ? "ClampMinBackward0" : "ClampMaxBackward0", [](OpNode& n, TensorList& g) -> TensorList {
          return {where_zero(cmp_s(n.get(0), n.scalar, n.ints[0] ? Compare::Ge : Compare::Le), g[0])};
        }, {&x})) {
      node->save("self", x);
      node->scalar = s.to_double();
      node->scalar_name = is_min ? "min" : "max";
      node->ints[0] = is_min;
      attach(node, out);
    }
    return out;
  }
  DType dt = promote2(x, bound);
  Tensor out = is_min ? binary_kernel<kNumbers>(op, x, bound, dt, dt, fn::Maximum{})
                      : binary_kernel<kNumbers>(op, x, bound, dt, dt, fn::Minimum{});
  if (auto node = make_node(is_min ? "ClampMinBackward1" : "ClampMaxBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0), b = n.get(1), gx, gb;
        const bool is_min = n.ints[0];
        if (n.needs_input_grad(0)) gx = reduce_to(where_zero(compare(x, b, is_min ? Compare::Ge : Compare::Le), g[0]), x);
        if (n.needs_input_grad(1)) gb = reduce_to(where_zero(compare(x, b, is_min ? Compare::Lt : Compare::Gt), g[0]), b);
        return {gx, gb};
      }, {&x, &bound})) {
    node->save("self", x);
    node->save(is_min ? "min" : "max", bound);
    node->ints[0] = is_min;
    attach(node, out);
  }
  return out;
}
Tensor clamp_min(const Tensor& x, const Tensor& min) { return clamp_one(x, min, true); }
Tensor clamp_max(const Tensor& x, const Tensor& max) { return clamp_one(x, max, false); }

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  GG_CHECK(x->dtype != DType::Bool, "Bool inputs not supported for hardtanh");
  Tensor out = unary_param<kFloats, fn::ClampScalar>("hardtanh", x, x->dtype, min_val, max_val);
  if (auto node = make_node("HardtanhBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0);
        return {where_zero(land(cmp_s(x, n.scalar, Compare::Gt), cmp_s(x, n.scalar2, Compare::Lt)), g[0])};
      }, {&x})) {
    node->save("self", x);
    node->scalar = min_val;
    node->scalar2 = max_val;
    node->scalar_name = "min_val";
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- masked_fill
static void check_masked_fill(const Tensor& mask, const Tensor& value) {
  GG_CHECK(mask->dtype == DType::Bool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
           type_word(mask->dtype));
  GG_CHECK(value->dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
           value->dim(), " dimension(s).");
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_masked_fill(mask, value);
  Tensor out = where_kernel("masked_fill", mask, value, x, x->dtype);
  auto bw0 = [](OpNode& n, TensorList& g) -> TensorList {
    return {grad_a(n, where(n.get(0), zero_like_wrapped(), g[0]))};
  };
  if (value->is_wrapped_number) {
    if (auto node = make_node("MaskedFillBackward0", bw0, {&x})) {
      remember_inputs(*node, x, value);
      node->save("mask", mask);
      attach(node, out);
    }
    return out;
  }
  if (auto node = make_node("MaskedFillBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor m = n.get(0), gx, gv;
        if (n.needs_input_grad(0)) gx = grad_a(n, where(m, zero_like_wrapped(), g[0]));
        if (n.needs_input_grad(1)) gv = to_dtype(sum(where_zero(m, g[0]), std::nullopt, false), DType(n.ints[1]));
        return {gx, gv};
      }, {&x, &value})) {
    remember_inputs(*node, x, value);
    node->save("mask", mask);
    attach(node, out);
  }
  return out;
}

Tensor masked_fill_(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_masked_fill(mask, value);
  return inplace_apply(x, "masked_fill_", [&](const Tensor& src) { return masked_fill(src, mask, value); },
                       value->requires_grad());
}

// ---------------------------------------------------------------- in place through an out-of-place op
Tensor inplace_apply(const Tensor& self, const char* name, const std::function<Tensor(const Tensor&)>& f,
                     bool others_require_grad) {
  autograd::check_inplace(self, name);
  // Where a graph is recorded, a snapshot of self stands in for it at the same place in the
  // graph, so what the op saves for backward is not overwritten (as in gg::inplace).
  Tensor src = self;
  if (grad_enabled() && (self->requires_grad() || others_require_grad)) {
    src = empty(self->sizes, self->dtype, self->device());
    copy_into(src, self);
    if (self->requires_grad()) {
      autograd::Edge e = autograd::gradient_edge(self);
      autograd::set_history(src, e.fn, e.input_nr);
    }
  }
  Tensor r = f(src);
  GG_CHECK(r->sizes == self->sizes, "output with shape ", shape_str(self->sizes),
           " doesn't match the broadcast shape ", shape_str(r->sizes));
  GG_CHECK(r->dtype == self->dtype || category(r->dtype) <= category(self->dtype), "result type ",
           short_name(r->dtype), " can't be cast to the desired output type ", short_name(self->dtype));
  copy_into(self, r);
  self->bump_version();
  if (grad_enabled() && r->requires_grad()) autograd::rebase_history(self, r);
  return self;
}

// ---------------------------------------------------------------- lerp, addcmul, addcdiv
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  GG_CHECK(start->dtype == end->dtype, "expected dtype ", type_word(start->dtype),
           " for `end` but got dtype ", type_word(end->dtype));
  const bool scalar_w = weight->is_wrapped_number;
  GG_CHECK(scalar_w || weight->dtype == start->dtype, "expected dtype ", type_word(start->dtype),
           " for `weight` but got dtype ", type_word(weight->dtype));
  DType dt = start->dtype;
  GG_CHECK_KIND(is_floating(dt), NotImplemented, "\"lerp\" not implemented for '", short_name(dt), "'");
  Tensor out = ternary_kernel<kFloats>("lerp", start, end, weight, dt, fn::Lerp{});
  if (scalar_w) {
    if (auto node = make_node("LerpBackward0", [](OpNode& n, TensorList& g) -> TensorList {
          return {n.needs_input_grad(0) ? grad_a(n, mul(g[0], wrapped(1.0 - n.scalar))) : Tensor(),
                  n.needs_input_grad(1) ? grad_b(n, mul(g[0], wrapped(n.scalar))) : Tensor()};
        }, {&start, &end})) {
      remember_inputs(*node, start, end);
      node->save_scalar("weight", scalar_of(weight), is_whole(scalar_of(weight)));
      attach(node, out);
    }
    return out;
  }
  if (auto node = make_node("LerpBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor s = n.get(0), e = n.get(1), w = n.get(2), gs, ge, gw;
        if (n.needs_input_grad(0)) gs = reduce_to(mul(g[0], rsub(w, wrapped(1.0))), s);
        if (n.needs_input_grad(1)) ge = reduce_to(mul(g[0], w), e);
        if (n.needs_input_grad(2)) gw = reduce_to(mul(g[0], sub(e, s)), w);
        return {gs, ge, gw};
      }, {&start, &end, &weight})) {
    node->save("self", start);
    node->save("end", end);
    node->save("weight", weight);
    attach(node, out);
  }
  return out;
}

static Tensor addc(const Tensor& self, const Tensor& t1, const Tensor& t2, double value, bool is_div) {
  const char* op = is_div ? "addcdiv" : "addcmul";
  if (is_div)
    GG_CHECK(!(is_integral(t1->dtype, true) && is_integral(t2->dtype, true)),
             "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
             "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
             "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
             "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
             "(input + value * tensor1 / tensor2), for all dtypes.");
  DType dt = promote_n({&self, &t1, &t2});
  Tensor out = is_div ? dispatch<kFloats>(dt, op, [&](auto tag) {
                          using T = typename decltype(tag)::type;
                          return ternary_kernel<kFloats>(op, self, t1, t2, dt, fn::Addcdiv<T>{T(value)});
                        })
                      : dispatch<kNumbers>(dt, op, [&](auto tag) {
                          using T = typename decltype(tag)::type;
                          return ternary_kernel<kNumbers>(op, self, t1, t2, dt, fn::Addcmul<T>{T(value)});
                        });
  auto bw = [](OpNode& n, TensorList& g) -> TensorList {
    Tensor a = n.get(0), b = n.get(1), gs, g1, g2;
    const double v = n.scalar;
    if (n.needs_input_grad(0)) gs = grad_for_input(g[0], n.shape, DType(n.ints[0]));
    if (n.ints[1]) {  // addcdiv: d/da = v / b, d/db = -v a / b^2
      if (n.needs_input_grad(1)) g1 = reduce_to(div(mul(g[0], wrapped(v)), b), a);
      if (n.needs_input_grad(2)) g2 = reduce_to(neg(div(mul(mul(g[0], wrapped(v)), a), mul(b, b))), b);
    } else {
      if (n.needs_input_grad(1)) g1 = reduce_to(mul(g[0], mul(b, wrapped(v))), a);
      if (n.needs_input_grad(2)) g2 = reduce_to(mul(g[0], mul(a, wrapped(v))), b);
    }
    return {gs, g1, g2};
  };
  if (auto node = make_node(is_div ? "AddcdivBackward0" : "AddcmulBackward0", bw, {&self, &t1, &t2})) {
    node->shape = self->sizes;
    node->ints[0] = int64_t(self->dtype);
    node->ints[1] = is_div;
    node->save("tensor1", t1);
    node->save("tensor2", t2);
    node->save_scalar("value", value, is_whole(value));
    attach(node, out);
  }
  return out;
}
Tensor addcmul(const Tensor& s, const Tensor& a, const Tensor& b, double value) { return addc(s, a, b, value, false); }
Tensor addcdiv(const Tensor& s, const Tensor& a, const Tensor& b, double value) { return addc(s, a, b, value, true); }

// ---------------------------------------------------------------- activations
Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor out = unary_param<kFloats, fn::LeakyRelu>("leaky_relu", x, x->dtype, slope);
  if (auto node = make_node("LeakyReluBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {where(cmp_s(n.get(0), 0.0, Compare::Gt), g[0], mul(g[0], wrapped(n.scalar)))};
      }, {&x})) {
    node->save("self", x);
    node->save_scalar("negative_slope", slope, false);
    attach(node, out);
  }
  return out;
}

// Renames the node that produced `r` (in-place forms PyTorch records under another name).
static Tensor renamed(const Tensor& r, const char* name) {
  if (auto* m = autograd::meta(r))
    if (auto n = std::dynamic_pointer_cast<OpNode>(m->grad_fn)) n->op_name = name;
  return r;
}

Tensor leaky_relu_(const Tensor& x, double slope) {
  return inplace_apply(x, "leaky_relu_", [&](const Tensor& s) { return renamed(leaky_relu(s, slope), "LeakyReluBackward1"); });
}

namespace {
template <class T> struct EluOne : fn::Elu<T> {
  EluOne(T alpha) : fn::Elu<T>{alpha, T(1), T(1)} {}
};
}  // namespace

Tensor elu(const Tensor& x, double alpha) {
  Tensor out = unary_param<kFloats, EluOne>("elu", x, x->dtype, alpha);
  if (auto node = make_node("EluBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0);
        return {where(cmp_s(x, 0.0, Compare::Gt), g[0], mul(g[0], mul(exp(x), wrapped(n.scalar))))};
      }, {&x})) {
    node->save("self", x);
    node->save_scalar("alpha", alpha, false);
    attach(node, out);
  }
  return out;
}

Tensor elu_(const Tensor& x, double alpha) {
  return inplace_apply(x, "elu_", [&](const Tensor& s) { return renamed(elu(s, alpha), "EluBackward1"); });
}

Tensor silu(const Tensor& x) {
  Tensor out = unary_kernel<kFloats>("silu", x, x->dtype, fn::Silu{});
  if (auto node = make_node("SiluBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0), s = sigmoid(x);  // silu' = s (1 + x (1 - s))
        return {mul(g[0], mul(s, add(mul(x, rsub(s, wrapped(1.0))), wrapped(1.0))))};
      }, {&x})) {
    node->save("self", x);
    attach(node, out);
  }
  return out;
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  Tensor out = unary_param<kFloats, fn::Softplus>("softplus", x, x->dtype, beta, threshold);
  if (auto node = make_node("SoftplusBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor z = mul(n.get(0), wrapped(n.scalar));
        return {where(cmp_s(z, n.scalar2, Compare::Gt), g[0], mul(g[0], sigmoid(z)))};
      }, {&x})) {
    node->save("self", x);
    node->scalar = beta;
    node->scalar2 = threshold;
    node->scalar_name = "beta";
    attach(node, out);
  }
  return out;
}

// gelu's VJP is the fused gelu_backward, which has its own VJP (so double backward works):
// d/dgrad = gelu_backward(., x); d/dx = grad * gelu''(x), composed from public ops.
Tensor gelu(const Tensor& x, bool tanh_approx) {
  Tensor out = tanh_approx ? unary_kernel<kFloats>("gelu", x, x->dtype, fn::GeluTanh{})
                           : unary_kernel<kFloats>("gelu", x, x->dtype, fn::GeluErf{});
  if (auto node = make_node("GeluBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {gelu_backward(g[0], n.get(0), n.ints[0])};
      }, {&x})) {
    node->save("self", x);
    node->ints[0] = tanh_approx;
    attach(node, out);
  }
  return out;
}

static Tensor gelu_second_derivative(const Tensor& x, bool tanh_approx) {
  auto w = wrapped;
  if (!tanh_approx) {  // pdf(x) (2 - x^2)
    Tensor x2 = mul(x, x);
    Tensor pdf = mul(exp(mul(x2, w(-0.5))), w(0.39894228040143267794));
    return mul(pdf, rsub(x2, w(2.0)));
  }
  // (1 - t^2) (u' + x/2 (u'' - 2 t u'^2)), u = k0 (x + k1 x^3)
  const double k0 = 0.79788456080286535588, k1 = 0.044715;
  Tensor x2 = mul(x, x);
  Tensor t = tanh(mul(add(x, mul(mul(x2, x), w(k1))), w(k0)));
  Tensor du = mul(add(mul(x2, w(3 * k1)), w(1.0)), w(k0));
  Tensor ddu = mul(x, w(6 * k0 * k1));
  Tensor inner = add(du, mul(mul(x, w(0.5)), sub(ddu, mul(mul(t, mul(du, du)), w(2.0)))));
  return mul(rsub(mul(t, t), w(1.0)), inner);
}

Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approx) {
  DType dt = promote2(grad, x);
  Tensor out = tanh_approx ? binary_kernel<kFloats>("gelu_backward", grad, x, dt, dt, fn::GeluTanhGrad{})
                           : binary_kernel<kFloats>("gelu_backward", grad, x, dt, dt, fn::GeluErfGrad{});
  if (auto node = make_node("GeluBackwardBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor go = n.get(0), x = n.get(1), gg, gx;
        if (n.needs_input_grad(0)) gg = grad_a(n, gelu_backward(g[0], x, n.ints[2]));
        if (n.needs_input_grad(1)) gx = grad_b(n, mul(mul(g[0], go), gelu_second_derivative(x, n.ints[2])));
        return {gg, gx};
      }, {&grad, &x})) {
    remember_inputs(*node, grad, x);
    node->ints[2] = tanh_approx;
    node->save("grad_output", grad);
    node->save("self", x);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- rounding division, remainder
Tensor div_rounding(const Tensor& a, const Tensor& b, Rounding mode) {
  if (mode == Rounding::None) return div(a, b);
  DType dt = promote2(a, b);
  const char* op = mode == Rounding::Floor ? "div_floor" : "div_trunc";
  check_int_divisor(b, dt);
  Tensor out = mode == Rounding::Floor ? binary_kernel<kNumbers>(op, a, b, dt, dt, fn::FloorDiv{})
                                       : binary_kernel<kNumbers>(op, a, b, dt, dt, fn::TruncDiv{});
  if (auto node = make_node("DivBackward2", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor z = mul(g[0], wrapped(0.0));  // piecewise constant: zero almost everywhere
        return {n.needs_input_grad(0) ? grad_a(n, z) : Tensor(), n.needs_input_grad(1) ? grad_b(n, z) : Tensor()};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    attach(node, out);
  }
  return out;
}

Tensor floor_divide(const Tensor& a, const Tensor& b) {
  DType dt = promote2(a, b);
  check_int_divisor(b, dt);
  Tensor out = binary_kernel<kNumbers>("floor_divide", a, b, dt, dt, fn::FloorDiv{});
  // PyTorch has no derivative for floor_divide: backward through it is an error there too.
  if (auto node = make_node("NotImplemented", [](OpNode&, TensorList&) -> TensorList {
        fail(ErrorKind::Runtime, "derivative for aten::floor_divide is not implemented");
      }, {&a, &b})) {
    attach(node, out);
  }
  return out;
}

Tensor remainder(const Tensor& a, const Tensor& b) {
  DType dt = promote2(a, b);
  check_int_divisor(b, dt);
  Tensor out = binary_kernel<kNumbers>("remainder", a, b, dt, dt, fn::Remainder{});
  if (a->is_wrapped_number) {  // number % tensor: PyTorch has no derivative (remainder.Scalar_Tensor)
    if (auto node = make_node("NotImplemented", [](OpNode&, TensorList&) -> TensorList {
          fail(ErrorKind::Runtime, "derivative for aten::remainder is not implemented");
        }, {&b})) {
      attach(node, out);
    }
    return out;
  }
  if (b->is_wrapped_number) {
    if (auto node = make_node("RemainderBackward0", [](OpNode& n, TensorList& g) -> TensorList {
          return {grad_a(n, g[0])};
        }, {&a})) {
      remember_inputs(*node, a, b);
      attach(node, out);
    }
    return out;
  }
  if (auto node = make_node("RemainderBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor ga, gb;
        if (n.needs_input_grad(0)) ga = grad_a(n, g[0]);
        if (n.needs_input_grad(1)) gb = grad_b(n, neg(mul(g[0], div_rounding(n.get(0), n.get(1), Rounding::Floor))));
        return {ga, gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->save("self", a);
    node->save("other", b);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- logical, bitwise, nan/inf
Tensor logical(const Tensor& a, const Tensor& b, Logical op) {
  DType dt = promote2(a, b);
  switch (op) {
    case Logical::And: return binary_kernel<kAll>("logical_and", a, b, dt, DType::Bool, fn::LogicalAnd{});
    case Logical::Or: return binary_kernel<kAll>("logical_or", a, b, dt, DType::Bool, fn::LogicalOr{});
    case Logical::Xor: return binary_kernel<kAll>("logical_xor", a, b, dt, DType::Bool, fn::LogicalXor{});
  }
  return nullptr;
}
Tensor logical_not(const Tensor& x) { return unary_to_bool("logical_not", x, fn::LogicalNot{}); }
Tensor isnan(const Tensor& x) { return unary_to_bool("isnan", x, fn::IsNan{}); }
Tensor isinf(const Tensor& x) { return unary_to_bool("isinf", x, fn::IsInf{}); }
Tensor isfinite(const Tensor& x) { return unary_to_bool("isfinite", x, fn::IsFinite{}); }

Tensor bitwise(const Tensor& a, const Tensor& b, Bitwise op) {
  DType dt = promote2(a, b);
  constexpr unsigned kIntBool = kInts | kBool;
  auto check = [&](const char* name) {
    GG_CHECK_KIND(!is_floating(dt), NotImplemented, "\"", name, "_cpu\" not implemented for '", short_name(dt), "'");
  };
  switch (op) {
    case Bitwise::And: check("bitwise_and"); return binary_kernel<kIntBool>("bitwise_and", a, b, dt, dt, fn::BitAnd{});
    case Bitwise::Or: check("bitwise_or"); return binary_kernel<kIntBool>("bitwise_or", a, b, dt, dt, fn::BitOr{});
    case Bitwise::Xor: check("bitwise_xor"); return binary_kernel<kIntBool>("bitwise_xor", a, b, dt, dt, fn::BitXor{});
  }
  return nullptr;
}
Tensor bitwise_not(const Tensor& x) {
  GG_CHECK_KIND(!is_floating(x->dtype), Type, "~ (operator.invert) is only implemented on integer and Boolean-type tensors");
  return unary_kernel<kInts | kBool>("bitwise_not", x, x->dtype, fn::BitNot{});
}

Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (!is_floating(x->dtype)) return clone(x);
  Tensor out = dispatch<kFloats>(x->dtype, "nan_to_num", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using L = std::numeric_limits<T>;
    return unary_param<kFloats, fn::NanToNum>("nan_to_num", x, x->dtype, T(nan.value_or(0.0)),
                                              posinf ? T(*posinf) : L::max(), neginf ? T(*neginf) : L::lowest());
  });
  if (auto node = make_node("NanToNumBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {where_zero(isfinite(n.get(0)), g[0])};
      }, {&x})) {
    node->save("self", x);
    attach(node, out);
  }
  return out;
}

}  // namespace gg
