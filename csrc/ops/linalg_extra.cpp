// Linear-algebra extras (ops-linalg family): outer and baddbmm, composed of the public ops so
// every VJP is differentiable again (double backward works).
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

// torch.outer is CompositeImplicit: self.reshape({-1, 1}) * vec2, so its grad_fn is MulBackward0.
Tensor outer(const Tensor& self, const Tensor& vec2) {
  GG_CHECK(self->dim() == 1, "outer: Expected 1-D argument self, but got ", self->dim(), "-D (shape ",
           shape_str(self->sizes), ")");
  GG_CHECK(vec2->dim() == 1, "outer: Expected 1-D argument vec2, but got ", vec2->dim(), "-D (shape ",
           shape_str(vec2->sizes), ")");
  return mul(reshape(self, DimVec{self->sizes[0], 1}), vec2);
}

// out = beta * self + alpha * (batch1 @ batch2); self broadcasts to [B, M, N].
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, double beta, double alpha) {
  GG_CHECK(batch1->dim() == 3, "batch1 must be a 3D tensor [baddbmm: got shape ", shape_str(batch1->sizes), "]");
  GG_CHECK(batch2->dim() == 3, "batch2 must be a 3D tensor [baddbmm: got shape ", shape_str(batch2->sizes), "]");
  check_same_device(self, batch1, "baddbmm");
  GG_CHECK(self->dtype == batch1->dtype, "baddbmm: expected self and batch1 to have the same dtype, but got: ",
           short_name(self->dtype), " != ", short_name(batch1->dtype));
  const DimVec shape{batch1->sizes[0], batch1->sizes[1], batch2->sizes[2]};
  Tensor out;
  {
    GradModeGuard no_grad(false);
    Tensor prod = bmm(batch1, batch2);  // checks batch / inner sizes and dtypes with bmm's messages
    GG_CHECK(broadcast_shapes(self->sizes, shape, "baddbmm") == shape, "baddbmm: self of shape ",
             shape_str(self->sizes), " cannot be broadcast to the product's shape ", shape_str(shape));
    Tensor scaled = alpha == 1.0 ? prod : mul(prod, wrapped(alpha));
    if (beta == 0.0) out = contiguous(scaled);  // beta == 0: self is ignored (nan/inf included), as in PyTorch
    else out = add(scaled, beta == 1.0 ? self : mul(self, wrapped(beta)));
  }
  if (auto node = make_node("BaddbmmBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor gs, g1, g2;
        const double beta = n.scalar, alpha = n.scalar2;
        if (n.needs_input_grad(0)) gs = sum_to(beta == 1.0 ? g[0] : mul(g[0], wrapped(beta)), n.shape);
        Tensor gb = alpha == 1.0 ? g[0] : mul(g[0], wrapped(alpha));
        if (n.needs_input_grad(1)) g1 = bmm(gb, transpose(n.get(1), 1, 2));
        if (n.needs_input_grad(2)) g2 = bmm(transpose(n.get(0), 1, 2), gb);
        return {gs, g1, g2};
      }, {&self, &batch1, &batch2})) {
    node->shape = self->sizes;
    node->scalar = beta;
    node->scalar2 = alpha;
    node->save("batch1", node->needs_input_grad(2) ? batch1 : Tensor());
    node->save("batch2", node->needs_input_grad(1) ? batch2 : Tensor());
    attach(node, out);
  }
  return out;
}

}  // namespace gg
