// Elementwise ops: forward (meta -> kernel) and VJP side by side.
#include <cstring>

#include "ops/elementwise_kernels.h"

namespace gg {
using namespace ops;
using autograd::make_node;

// ---------------------------------------------------------------- add / sub
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  DType dt = promote2(a, b);
  Tensor out = alpha == 1.0 ? binary_kernel<kAll>("add", a, b, dt, dt, fn::Add{})
                            : dispatch<kNumbers>(dt, "add", [&](auto tag) {
                                using T = typename decltype(tag)::type;
                                return binary_kernel<kNumbers>("add", a, b, dt, dt, fn::AddScaled<T>{T(alpha)});
                              });
  if (auto node = make_node("AddBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor gb;
        if (n.needs_input_grad(1)) gb = grad_b(n, n.scalar == 1.0 ? g[0] : mul(g[0], wrapped(n.scalar)));
        return {n.needs_input_grad(0) ? grad_a(n, g[0]) : Tensor(), gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->save_scalar("alpha", alpha, is_whole(alpha));
    attach(node, out);
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  GG_CHECK(a->dtype != DType::Bool || b->dtype != DType::Bool,
           "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
           "`logical_xor()` operator instead.");
  DType dt = promote2(a, b);
  Tensor out = alpha == 1.0 ? binary_kernel<kNumbers>("sub", a, b, dt, dt, fn::Sub{})
                            : dispatch<kNumbers>(dt, "sub", [&](auto tag) {
                                using T = typename decltype(tag)::type;
                                return binary_kernel<kNumbers>("sub", a, b, dt, dt, fn::AddScaled<T>{T(-alpha)});
                              });
  if (auto node = make_node("SubBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor gb;
        if (n.needs_input_grad(1)) gb = grad_b(n, mul(g[0], wrapped(-n.scalar)));
        return {n.needs_input_grad(0) ? grad_a(n, g[0]) : Tensor(), gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->save_scalar("alpha", alpha, is_whole(alpha));
    attach(node, out);
  }
  return out;
}

Tensor rsub(const Tensor& a, const Tensor& b) {
  DType dt = promote2(a, b);
  Tensor out = binary_kernel<kNumbers>("rsub", b, a, dt, dt, fn::Sub{});
  // With a Python number for `other`, PyTorch records only self (RsubBackward1).
  if (b->is_wrapped_number) {
    if (auto node = make_node("RsubBackward1", [](OpNode& n, TensorList& g) -> TensorList {
          return {grad_for_input(neg(g[0]), n.shape, DType(n.ints[0]))};
        }, {&a})) {
      remember_inputs(*node, a, b);
      attach(node, out);
    }
    return out;
  }
  if (auto node = make_node("RsubBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {n.needs_input_grad(0) ? grad_a(n, neg(g[0])) : Tensor(),
                n.needs_input_grad(1) ? grad_b(n, g[0]) : Tensor()};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- mul / div
Tensor mul(const Tensor& a, const Tensor& b) {
  DType dt = promote2(a, b);
  Tensor out = dt == DType::Bool ? binary_kernel<kBool>("mul", a, b, dt, dt, fn::Mul{})
                                 : binary_kernel<kNumbers>("mul", a, b, dt, dt, fn::Mul{});
  if (auto node = make_node("MulBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        // Saved slots: other (if self needs grad), then self (if other needs grad).
        size_t k = 0;
        Tensor ga, gb;
        if (n.needs_input_grad(0)) ga = grad_a(n, mul(g[0], n.get(k++)));
        if (n.needs_input_grad(1)) gb = grad_b(n, mul(g[0], n.get(k)));
        return {ga, gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    if (node->needs_input_grad(0)) node->save("other", b);
    if (node->needs_input_grad(1)) node->save("self", a);
    attach(node, out);
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  DType dt = promote2(a, b);
  if (!is_floating(dt)) dt = default_float();
  Tensor out = binary_kernel<kFloats>("div", a, b, dt, dt, fn::Div{});
  if (auto node = make_node("DivBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor other = n.get(0), ga, gb;
        if (n.needs_input_grad(0)) ga = grad_a(n, div(g[0], other));
        if (n.needs_input_grad(1)) {
          Tensor self = n.get(1);
          gb = grad_b(n, neg(div(mul(g[0], self), mul(other, other))));
        }
        return {ga, gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->save("other", b);
    if (node->needs_input_grad(1)) node->save("self", a);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- pow
// Three PyTorch flavours: tensor ** number (PowBackward0), tensor ** tensor (PowBackward1),
// number ** tensor (PowBackward2).
Tensor pow(const Tensor& a, const Tensor& b) {
  DType dt = promote2(a, b);
  if (!is_floating(dt) && b->numel() > 0 && b->dtype != DType::Bool) {
    // Integer powers with negative exponents are an error in PyTorch.
    Tensor bc = cast_raw(b, DType::Int64);
    const int64_t* e = bc->data<int64_t>();
    for (int64_t i = 0; i < bc->numel(); ++i)
      GG_CHECK(e[i] >= 0, "Integers to negative integer powers are not allowed.");
  }
  Tensor out = binary_kernel<kNumbers>("pow", a, b, dt, dt, fn::Pow{});
  if (b->is_wrapped_number) {
    if (auto node = make_node("PowBackward0", [](OpNode& n, TensorList& g) -> TensorList {
          double e = n.scalar;
          if (e == 0.0) return {mul(g[0], wrapped(0.0))};
          Tensor self = n.get(0);
          return {mul(g[0], mul(pow(self, wrapped(e - 1)), wrapped(e)))};
        }, {&a})) {
      node->save("self", a);
      node->save_scalar("exponent", scalar_value<double>(b), !is_floating(b->dtype));
      attach(node, out);
    }
    return out;
  }
  if (a->is_wrapped_number) {
    if (auto node = make_node("PowBackward2", [](OpNode& n, TensorList& g) -> TensorList {
          Tensor result = n.get(0);
          return {grad_b(n, mul(g[0], mul(result, wrapped(std::log(n.scalar)))))};
        }, {&b})) {
      remember_inputs(*node, a, b);
      node->save("result", out, true);
      node->save_scalar("self", scalar_value<double>(a), !is_floating(a->dtype));
      attach(node, out);
    }
    return out;
  }
  if (auto node = make_node("PowBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), exponent = n.get(1), ga, gb;
        if (n.needs_input_grad(0)) ga = grad_a(n, mul(g[0], mul(exponent, pow(self, sub(exponent, wrapped(1.0))))));
        if (n.needs_input_grad(1)) gb = grad_b(n, mul(g[0], mul(n.get(2), log(self))));
        return {ga, gb};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->save("self", a);
    node->save("exponent", b);
    node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- maximum / minimum
static Tensor extremum(const char* op, const char* node_name, const Tensor& a, const Tensor& b, bool is_max) {
  DType dt = promote2(a, b);
  Tensor out = is_max ? binary_kernel<kAll>(op, a, b, dt, dt, fn::Maximum{})
                      : binary_kernel<kAll>(op, a, b, dt, dt, fn::Minimum{});
  if (auto node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
        // Ties split the gradient evenly, as PyTorch does.
        Tensor self = n.get(0), other = n.get(1);
        Tensor dt_like = g[0];
        Compare win = n.ints[2] ? Compare::Gt : Compare::Lt;
        Tensor a_wins = to_dtype(compare(self, other, win), g[0]->dtype);
        Tensor tie = mul(to_dtype(compare(self, other, Compare::Eq), g[0]->dtype), wrapped(0.5));
        Tensor wa = add(a_wins, tie), wb = rsub(add(a_wins, tie), wrapped(1.0));
        return {n.needs_input_grad(0) ? grad_a(n, mul(g[0], wa)) : Tensor(),
                n.needs_input_grad(1) ? grad_b(n, mul(g[0], wb)) : Tensor()};
      }, {&a, &b})) {
    remember_inputs(*node, a, b);
    node->ints[2] = is_max;
    node->save("self", a);
    node->save("other", b);
    attach(node, out);
  }
  return out;
}
Tensor maximum(const Tensor& a, const Tensor& b) { return extremum("maximum", "MaximumBackward0", a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum("minimum", "MinimumBackward0", a, b, false); }

// ---------------------------------------------------------------- comparisons
Tensor compare(const Tensor& a, const Tensor& b, Compare op) {
  DType dt = promote2(a, b);
  switch (op) {
    case Compare::Eq: return binary_kernel<kAll>("eq", a, b, dt, DType::Bool, fn::Eq{});
    case Compare::Ne: return binary_kernel<kAll>("ne", a, b, dt, DType::Bool, fn::Ne{});
    case Compare::Lt: return binary_kernel<kAll>("lt", a, b, dt, DType::Bool, fn::Lt{});
    case Compare::Le: return binary_kernel<kAll>("le", a, b, dt, DType::Bool, fn::Le{});
    case Compare::Gt: return binary_kernel<kAll>("gt", a, b, dt, DType::Bool, fn::Gt{});
    case Compare::Ge: return binary_kernel<kAll>("ge", a, b, dt, DType::Bool, fn::Ge{});
  }
  return nullptr;
}

// ---------------------------------------------------------------- unary
// VJPs of the unary list: g is the incoming gradient, x the input, y the output. Declared
// for every row, so a family file can define the VJPs of its own rows.
namespace vjp {
#define GG_UNARY(name, F, node, saves, to_float) Tensor name(const Tensor& g, const Tensor& x, const Tensor& y);
#include "api/unary_ops.def"
#undef GG_UNARY
Tensor neg(const Tensor& g, const Tensor&, const Tensor&) { return gg::neg(g); }
Tensor abs(const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, gg::sign(x)); }
Tensor sign(const Tensor& g, const Tensor&, const Tensor&) { return mul(g, wrapped(0.0)); }
Tensor exp(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, y); }
Tensor log(const Tensor& g, const Tensor& x, const Tensor&) { return div(g, x); }
Tensor reciprocal(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, gg::neg(mul(y, y))); }
Tensor sqrt(const Tensor& g, const Tensor&, const Tensor& y) { return div(g, mul(y, wrapped(2.0))); }
Tensor sin(const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, gg::cos(x)); }
Tensor cos(const Tensor& g, const Tensor& x, const Tensor&) { return mul(g, gg::neg(gg::sin(x))); }
Tensor tanh(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, rsub(mul(y, y), wrapped(1.0))); }
Tensor sigmoid(const Tensor& g, const Tensor&, const Tensor& y) { return mul(g, mul(y, rsub(y, wrapped(1.0)))); }
Tensor relu(const Tensor& g, const Tensor&, const Tensor& y) { return relu_grad(g, y); }
}  // namespace vjp

Tensor relu_grad(const Tensor& g, const Tensor& y) {
  // One fused pass unless it must be recorded (create_graph): then mul by the mask, differentiable in g.
  if (!grad_enabled() || !(g->requires_grad() || y->requires_grad()))
    return binary_kernel<kFloats>("relu_backward", g, y, g->dtype, g->dtype, fn::PositiveMask{});
  return mul(g, to_dtype(compare(y, wrapped(0.0), Compare::Gt), g->dtype));
}

enum class Saves { NOTHING, SELF, RESULT };

// Note [In-place unary ops]
// x.relu_() (and every row's `name_`) runs the kernel once, straight into x, and records the
// out-of-place op's own node (ReluBackward0, ...), as PyTorch does. Where the VJP needs the result,
// the node saves x itself after the write, so a later in-place write to x is caught by the version
// check; where it needs the input, a snapshot of x taken before the write (standing at x's place
// in the graph, for double backward). On a view, CopySlices wraps the node (Note [In-place on views]).
template <class MakeNode, class Kernel>
static Tensor unary_inplace(const char* name, const Tensor& x, Saves saves, bool to_float, MakeNode make,
                            Kernel kernel) {
  GG_CHECK(!to_float || is_floating(x->dtype), "result type ", short_name(default_float()),
           " can't be cast to the desired output type ", short_name(x->dtype));
  check_device(x, name);
  autograd::check_inplace(x, name);
  auto node = grad_enabled() && x->requires_grad() ? make(x) : nullptr;  // edges to x's history before the write
  if (node && saves == Saves::SELF) {
    Tensor old = empty(x->sizes, x->dtype, x->device());
    copy_into(old, x);
    autograd::Edge e = autograd::gradient_edge(x);
    autograd::set_history(old, e.fn, e.input_nr);
    node->save("self", old);
  }
  cpu::LoopPlan plan(x, {&x});
  kernel(plan);
  x->bump_version();
  if (node) {
    if (saves == Saves::RESULT) node->save("result", x, true);
    if (x->is_view && x->view_base) autograd::rebase_history_wrapping(x, node);
    else autograd::set_history(x, node, 0);
  }
  return x;
}

// The unary ops PyTorch refuses for bool inputs with an explicit message (others: the dispatch error).
static void check_bool_unary(const char* name) {
  if (std::strcmp(name, "neg") == 0)
    fail(ErrorKind::Runtime, "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                             "invert a mask, use the `~` or `logical_not()` operator instead.");
  if (std::strcmp(name, "relu") == 0) fail(ErrorKind::Runtime, "Boolean inputs not supported for relu");
}

#define GG_UNARY(name, F, node_name, saves, to_float)                                             \
  static std::shared_ptr<autograd::OpNode> name##_node(const Tensor& x) {                         \
    return make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {                      \
          Tensor x_ = Saves::saves == Saves::SELF ? n.get(0) : Tensor();                          \
          Tensor y_ = Saves::saves == Saves::RESULT ? n.get(0) : Tensor();                        \
          return {vjp::name(g[0], x_, y_)};                                                       \
        }, {&x});                                                                                 \
  }                                                                                               \
  Tensor name(const Tensor& x) {                                                                  \
    GG_CHECK(x->dtype != DType::Bool || !to_float, #name ": not implemented for 'Bool'");         \
    if (x->dtype == DType::Bool) check_bool_unary(#name);                                         \
    DType dt = (to_float && !is_floating(x->dtype)) ? default_float() : x->dtype;                \
    Tensor out = is_floating(dt) ? unary_kernel<kFloats>(#name, x, dt, fn::F{})                   \
                                 : unary_kernel<kNumbers>(#name, x, dt, fn::F{});                 \
    if (auto node = name##_node(x)) {                                                             \
      if (Saves::saves == Saves::SELF) node->save("self", x);                                     \
      if (Saves::saves == Saves::RESULT) node->save("result", out, true);                        \
      attach(node, out);                                                                          \
    }                                                                                             \
    return out;                                                                                   \
  }                                                                                               \
  Tensor name##_(const Tensor& x) {                                                               \
    if (x->dtype == DType::Bool) check_bool_unary(#name);                                         \
    auto kernel = [&](const cpu::LoopPlan& plan) {                                                \
      auto body = [&](auto tag) {                                                                 \
        using T = typename decltype(tag)::type;                                                   \
        cpu::elementwise<T, T>(plan, fn::F{});                                                    \
      };                                                                                          \
      if (is_floating(x->dtype)) dispatch<kFloats>(x->dtype, #name "_", body);                    \
      else dispatch<kNumbers>(x->dtype, #name "_", body);                                         \
    };                                                                                            \
    return unary_inplace(#name "_", x, Saves::saves, to_float, &name##_node, kernel);            \
  }
#include "api/unary_ops.def"
#undef GG_UNARY

// ---------------------------------------------------------------- in place
Tensor inplace(const Tensor& self, const Tensor& other, Inplace op, double alpha) {
  static const char* names[] = {"add_", "sub_", "mul_", "div_", "pow_"};
  const char* name = names[int(op)];
  autograd::check_inplace(self, name);
  check_same_device(self, other, name);
  DType dt = promote2(self, other);
  if (op == Inplace::Div && !is_floating(dt)) dt = default_float();
  GG_CHECK(dt == self->dtype || category(dt) <= category(self->dtype),
           "result type ", short_name(dt), " can't be cast to the desired output type ", short_name(self->dtype));
  if (other->sizes != self->sizes) {
    DimVec b = broadcast_shapes(self->sizes, other->sizes, name);
    GG_CHECK(b == self->sizes, "output with shape ", shape_str(self->sizes),
             " doesn't match the broadcast shape ", shape_str(b), " [", name, "]");
  }
  const bool record = grad_enabled() && (self->requires_grad() || other->requires_grad());
  if (record) {
    // Compute out of place and write the result in. Where the VJP needs self's old value,
    // a snapshot stands in for self at the same place in the graph (no extra node).
    const bool needs_old_self = op == Inplace::Mul || op == Inplace::Div || op == Inplace::Pow;
    Tensor src = self;
    if (needs_old_self) {
      src = empty(self->sizes, self->dtype, self->device());
      copy_into(src, self);
      if (self->requires_grad()) {
        autograd::Edge e = autograd::gradient_edge(self);
        autograd::set_history(src, e.fn, e.input_nr);
      }
    }
    Tensor r = op == Inplace::Add ? add(src, other, alpha)
             : op == Inplace::Sub ? sub(src, other, alpha)
             : op == Inplace::Mul ? mul(src, other)
             : op == Inplace::Div ? div(src, other)
                                  : pow(src, other);
    copy_into(self, r);
    self->bump_version();
    autograd::rebase_history(self, r);
    return self;
  }
  Tensor oc = other->dtype == self->dtype ? other : cast_raw(other, self->dtype);
  cpu::LoopPlan plan(self, {&self, &oc});
  dispatch<kNumbers>(self->dtype, name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case Inplace::Add:
        if (alpha == 1.0) cpu::elementwise<T, T, T>(plan, fn::Add{});
        else cpu::elementwise<T, T, T>(plan, fn::AddScaled<T>{T(alpha)});
        break;
      case Inplace::Sub: cpu::elementwise<T, T, T>(plan, fn::AddScaled<T>{T(-alpha)}); break;
      case Inplace::Mul: cpu::elementwise<T, T, T>(plan, fn::Mul{}); break;
      case Inplace::Div: cpu::elementwise<T, T, T>(plan, fn::Div{}); break;
      case Inplace::Pow: cpu::elementwise<T, T, T>(plan, fn::Pow{}); break;
    }
  });
  self->bump_version();
  return self;
}

}  // namespace gg
