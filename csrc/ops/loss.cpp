// Loss functions: forward and VJP side by side.
#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

Tensor softplus_neg(const Tensor& x) {
  Tensor xc = contiguous(x);
  Tensor out = empty(x->sizes, x->dtype, x->device());
  cpu::LoopPlan plan(out, {&xc});
  dispatch<kFloats>(x->dtype, "binary_cross_entropy_with_logits", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::elementwise<T, T>(plan, fn::SoftplusNeg{});
  });
  return out;
}

Tensor reduce(const Tensor& l, Reduction r) {
  if (r == Reduction::Mean) return mean(l, std::nullopt, false);
  if (r == Reduction::Sum) return sum(l, std::nullopt, false);
  return l;
}

}  // namespace

// loss = w * [(1 - y) x + (1 + (p - 1) y) softplus(-x)], p = pos_weight (1 when absent).
Tensor binary_cross_entropy_with_logits(const Tensor& x, const Tensor& y, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  check_same_device(x, y, "binary_cross_entropy_with_logits");
  GG_CHECK_KIND(x->sizes == y->sizes, Value, "Target size (torch.Size(", shape_str(y->sizes),
                ")) must be the same as input size (torch.Size(", shape_str(x->sizes), "))");
  GG_CHECK(is_floating(x->dtype) && x->dtype == y->dtype,
           "binary_cross_entropy_with_logits: expected input and target of the same floating dtype, got ",
           short_name(x->dtype), " and ", short_name(y->dtype));
  Tensor out;
  {
    GradModeGuard no_grad(false);
    Tensor sp = softplus_neg(x);
    Tensor l = add(mul(rsub(y, wrapped(1.0)), x),
                   pos_weight ? mul(add(mul(sub(pos_weight, wrapped(1.0)), y), wrapped(1.0)), sp) : sp);
    if (weight) l = mul(l, weight);
    out = reduce(l, reduction);
  }
  if (auto node = make_node("BinaryCrossEntropyWithLogitsBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), target = n.get(1), w = n.get(2), p = n.get(3);
        Tensor gr = g[0];
        const auto red = Reduction(n.ints[0]);
        if (red != Reduction::None) gr = expand(gr, self->sizes);
        if (red == Reduction::Mean) gr = div(gr, wrapped(double(std::max<int64_t>(self->numel(), 1))));
        if (w) gr = mul(gr, w);
        Tensor gx, gy;
        if (n.needs_input_grad(0)) {
          Tensor s = sigmoid(self);
          // d/dx = sigmoid(x) (1 + (p - 1) y) - p y
          Tensor d = p ? sub(mul(s, add(mul(sub(p, wrapped(1.0)), target), wrapped(1.0))), mul(p, target))
                       : sub(s, target);
          gx = mul(gr, d);
        }
        if (n.needs_input_grad(1)) {
          // d/dy = -x + (p - 1) softplus(-x)
          Tensor d = neg(self);
          if (p) d = add(d, mul(sub(p, wrapped(1.0)), neg(log(sigmoid(self)))));  // softplus(-x)
          gy = mul(gr, d);
        }
        return {gx, gy};
      }, {&x, &y})) {
    node->save("self", x);
    node->save("target", y);
    node->save("weight", weight);
    node->save("pos_weight", pos_weight);
    node->ints[0] = int64_t(reduction);
    attach(node, out);
  }
  return out;
}

// (x - y)^2, reduced; the VJP is 2 (x - y) g (/ N for the mean).
Tensor mse_loss(const Tensor& x, const Tensor& y, Reduction reduction) {
  check_same_device(x, y, "mse_loss");
  Tensor out;
  {
    GradModeGuard no_grad(false);
    Tensor d = sub(x, y);
    out = reduce(mul(d, d), reduction);
  }
  if (auto node = make_node("MseLossBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), target = n.get(1);
        Tensor d = sub(self, target);
        Tensor gr = g[0];
        const auto red = Reduction(n.ints[0]);
        if (red == Reduction::Mean) gr = div(gr, wrapped(double(std::max<int64_t>(d->numel(), 1))));
        Tensor gd = mul(mul(d, wrapped(2.0)), gr);
        return {n.needs_input_grad(0) ? grad_for_input(gd, self->sizes, self->dtype) : Tensor(),
                n.needs_input_grad(1) ? grad_for_input(neg(gd), target->sizes, target->dtype) : Tensor()};
      }, {&x, &y})) {
    node->save("self", x);
    node->save("target", y);
    node->ints[0] = int64_t(reduction);
    attach(node, out);
  }
  return out;
}

}  // namespace gg
