// Linear-algebra extras (ops-linalg family): outer and baddbmm, composed of the public ops so
// every VJP is differentiable again (double backward works).
#include <algorithm>

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
    Tensor prod;
    try {
      prod = bmm(batch1, batch2);  // checks batch / inner sizes and dtypes with bmm's messages
    } catch (const Error& e) {
      fail(e.kind, e.what(), " [baddbmm]");
    }
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

// F.pad's constant mode: pad[2i], pad[2i+1] pad dim (ndim - 1 - i) before / after; negative pads
// crop. Its VJP is the same op with the pads negated (crops the gradient), as in PyTorch.
Tensor constant_pad_nd(const Tensor& self, const DimVec& pad, Scalar value) {
  GG_CHECK(pad.size() % 2 == 0, "Padding length must be divisible by 2 [constant_pad_nd: got ", pad.size(),
           " values for input shape ", shape_str(self->sizes), "]");
  const int64_t nd = self->dim(), npad = int64_t(pad.size()) / 2;
  GG_CHECK(npad <= nd, "Padding length should be less than or equal to two times the input dimension but got "
           "padding length ", pad.size(), " and input of dimension ", nd, " [constant_pad_nd: input shape ",
           shape_str(self->sizes), "]");
  DimVec out_shape = self->sizes;
  for (int64_t i = 0; i < npad; ++i) {
    const int64_t d = nd - 1 - i, lo = pad[2 * i], hi = pad[2 * i + 1], n = self->sizes[d];
    GG_CHECK(n + std::min<int64_t>(lo, 0) + std::min<int64_t>(hi, 0) >= 0 && n + lo + hi >= 0,
             "narrow(): length must be non-negative. [constant_pad_nd: the input size ", n, ", plus negative padding ",
             lo, " and ", hi, " resulted in a negative output size at dimension ", d, "; input shape ",
             shape_str(self->sizes), "]");
    out_shape[d] = n + lo + hi;
  }
  Tensor out = empty(out_shape, self->dtype, self->device());
  {
    GradModeGuard no_grad(false);
    fill_(out, value);
    Tensor src = detach(self), dst = out;
    for (int64_t i = 0; i < npad; ++i) {
      const int64_t d = nd - 1 - i, lo = pad[2 * i], hi = pad[2 * i + 1], n = self->sizes[d];
      const int64_t start = std::max<int64_t>(-lo, 0), len = n - start - std::max<int64_t>(-hi, 0);
      src = narrow(src, d, start, len);
      dst = narrow(dst, d, std::max<int64_t>(lo, 0), len);
    }
    if (src->numel() > 0) copy_into(dst, src);
  }
  if (auto node = make_node("ConstantPadNdBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        DimVec neg = n.shape;
        for (auto& p : neg) p = -p;
        return {constant_pad_nd(g[0], neg, Scalar::from_int(0))};
      }, {&self})) {
    node->shape = pad;
    attach(node, out);
  }
  return out;
}

}  // namespace gg
