// Neural-network ops: softmax / log_softmax (and their backward ops, themselves differentiable),
// nll_loss, one_hot, layer_norm, batch_norm, embedding, smooth_l1 / huber, binary_cross_entropy.
// Forward = checks -> kernel over contiguous data; VJPs use the public ops, so double backward works.
#include <cmath>
#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

// A contiguous tensor seen as (outer, n, inner) around `dim`.
struct Lanes {
  int64_t outer = 1, n = 1, inner = 1;
};
Lanes lanes_of(const Tensor& t, int64_t dim) {
  Lanes l;
  for (int64_t d = 0; d < t->dim(); ++d) {
    if (d < dim) l.outer *= t->sizes[d];
    else if (d == dim) l.n = t->sizes[d];
    else l.inner *= t->sizes[d];
  }
  return l;
}

// Calls f(offset, stride, width) for every block of `width` adjacent lanes (width 1 when the
// reduced dim is innermost, up to fn::kSoftmaxBlock otherwise), in parallel above the grain size.
template <typename F>
void for_lanes(const Lanes& l, const F& f) {
  const int64_t bw = l.inner == 1 ? 1 : fn::kSoftmaxBlock;
  const int64_t per_outer = (l.inner + bw - 1) / bw, count = l.outer * per_outer;
  const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, l.n * bw));
  cpu::parallel_for_small(0, count, grain, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t o = k / per_outer, j0 = (k % per_outer) * bw;
      f(o * l.n * l.inner + j0, l.inner, std::min(bw, l.inner - j0));
    }
  });
}

void check_float(const Tensor& t, const char* op) {
  GG_CHECK_KIND(is_floating(t->dtype), NotImplemented, "\"", op, "\" not implemented for '", short_name(t->dtype), "'");
}

Tensor reduce_loss(const Tensor& l, Reduction r) {
  if (r == Reduction::Mean) return mean(l, std::nullopt, false);
  if (r == Reduction::Sum) return sum(l, std::nullopt, false);
  return l;
}

// Clamps with differentiable ops (maximum/minimum against Python numbers).
Tensor clamp_ops(const Tensor& t, double lo, double hi) { return maximum(minimum(t, wrapped(hi)), wrapped(lo)); }

// ---------------------------------------------------------------- softmax kernels
Tensor softmax_forward(const Tensor& x, int64_t dim, bool log, const char* op) {
  check_device(x, op);
  check_float(x, op);
  Tensor xc = contiguous(x);
  Tensor out = empty(x->sizes, x->dtype, x->device());
  if (x->numel() == 0) return out;
  Lanes l = lanes_of(xc, dim);
  dispatch<kFloats>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = xc->data<T>();
    T* py = out->data<T>();
    auto run = [&](auto log_tag) {
      constexpr bool kLog = decltype(log_tag)::value;
      if (l.inner == 1)
        for_lanes(l, [&](int64_t off, int64_t, int64_t) { fn::softmax_lane<T, kLog>(px + off, py + off, l.n); });
      else
        for_lanes(l, [&](int64_t off, int64_t s, int64_t w) { fn::softmax_cols<T, kLog>(px + off, py + off, l.n, s, w); });
    };
    if (log) run(std::true_type{});
    else run(std::false_type{});
  });
  return out;
}

Tensor softmax_backward_kernel(const Tensor& g, const Tensor& y, int64_t dim, bool log, const char* op) {
  GG_CHECK(g->sizes == y->sizes, "[", op, "] grad and output shapes differ: ", shape_str(g->sizes), " and ",
           shape_str(y->sizes));
  DType dt = y->dtype;
  Tensor yc = contiguous(y);
  Tensor out = empty(y->sizes, dt, y->device());
  if (y->numel() == 0) return out;
  Lanes l = lanes_of(yc, dim);
  // A gradient expanded along an innermost softmax dim (from sum / mean over it) is read as one value per lane.
  const bool g_const = l.inner == 1 && l.n > 1 && g->strides[dim] == 0;
  Tensor gc = g_const ? cast_raw(select(g, dim, 0), dt) : cast_raw(g, dt);
  dispatch<kFloats>(dt, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pg = gc->data<T>(), *py = yc->data<T>();
    T* po = out->data<T>();
    auto run = [&](auto log_tag) {
      constexpr bool kLog = decltype(log_tag)::value;
      if (g_const) {
        for_lanes(l, [&](int64_t off, int64_t, int64_t) {
          fn::softmax_backward_lane_const<T, kLog>(pg[off / l.n], py + off, po + off, l.n);
        });
        return;
      }
      for_lanes(l, [&](int64_t off, int64_t s, int64_t w) {
        if (l.inner > 1) fn::softmax_backward_cols<T, kLog>(pg + off, py + off, po + off, l.n, s, w);
        else fn::softmax_backward_lane<T, kLog>(pg + off, py + off, po + off, l.n);
      });
    };
    if (log) run(std::true_type{});
    else run(std::false_type{});
  });
  return out;
}

}  // namespace

// ---------------------------------------------------------------- softmax / log_softmax
// Both save their output; the VJP is the *_backward_data op, which records its own node.
// One body for both: they differ in the forward's last step and in the backward op.
static Tensor softmax_like(const Tensor& x, int64_t dim, bool log) {
  dim = wrap_dim(dim, x->dim(), log ? "log_softmax" : "softmax");
  Tensor out = softmax_forward(x, dim, log, log ? "log_softmax" : "softmax");
  autograd::BackwardFn backward =
      log ? +[](OpNode& n, TensorList& g) -> TensorList { return {log_softmax_backward_data(g[0], n.get(0), n.ints[0])}; }
          : +[](OpNode& n, TensorList& g) -> TensorList { return {softmax_backward_data(g[0], n.get(0), n.ints[0])}; };
  if (auto node = make_node(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", backward, {&x})) {
    node->save("result", out, true);
    node->ints[0] = dim;
    node->save_scalar("dim", double(dim), true);
    attach(node, out);
  }
  return out;
}

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_like(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_like(x, dim, true); }

// out = y (g - sum(g y)).  VJP for v: d/dg = y (v - sum(v y)); d/dy = v (g - sum(g y)) - sum(v y) g.
Tensor softmax_backward_data(const Tensor& g, const Tensor& y, int64_t dim) {
  dim = wrap_dim(dim, y->dim());
  Tensor out = softmax_backward_kernel(g, y, dim, false, "_softmax_backward_data");
  if (auto node = make_node("SoftmaxBackwardDataBackward0", [](OpNode& n, TensorList& gr) -> TensorList {
        Tensor grad = n.get(0), y = n.get(1), v = gr[0];
        const DimVec d{n.ints[0]};
        Tensor gg_, gy;
        if (n.needs_input_grad(0)) gg_ = softmax_backward_data(v, y, n.ints[0]);
        if (n.needs_input_grad(1)) {
          Tensor s_gy = sum(mul(grad, y), d, true), s_vy = sum(mul(v, y), d, true);
          gy = sub(mul(v, sub(grad, s_gy)), mul(s_vy, grad));
        }
        return {gg_, gy};
      }, {&g, &y})) {
    node->save("grad_output", g);
    node->save("output", y);
    node->ints[0] = dim;
    attach(node, out);
  }
  return out;
}

// out = g - exp(y) sum(g).  VJP for v: d/dg = v - sum(v exp(y)); d/dy = -v exp(y) sum(g).
Tensor log_softmax_backward_data(const Tensor& g, const Tensor& y, int64_t dim) {
  dim = wrap_dim(dim, y->dim());
  Tensor out = softmax_backward_kernel(g, y, dim, true, "_log_softmax_backward_data");
  if (auto node = make_node("LogSoftmaxBackwardDataBackward0", [](OpNode& n, TensorList& gr) -> TensorList {
        Tensor grad = n.get(0), y = n.get(1), v = gr[0];
        const DimVec d{n.ints[0]};
        Tensor ey = exp(y), gg_, gy;
        if (n.needs_input_grad(0)) gg_ = sub(v, sum(mul(v, ey), d, true));
        if (n.needs_input_grad(1)) gy = neg(mul(mul(v, ey), sum(grad, d, true)));
        return {gg_, gy};
      }, {&g, &y})) {
    node->save("grad_output", g);
    node->save("output", y);
    node->ints[0] = dim;
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- nll_loss
namespace {

struct NllGeometry {
  int64_t N = 1, C = 1, K = 1;  // batch, classes, spatial positions
};

NllGeometry nll_check(const Tensor& x, const Tensor& t, const Tensor& w, const char* op) {
  check_same_device(x, t, op);
  check_float(x, op);
  GG_CHECK(t->dtype == DType::Int64, "expected scalar type Long but found ", short_name(t->dtype));
  GG_CHECK(x->dim() >= 1, "input tensor should be 1D or 2D or more, got a 0-dim input [", op, "]");
  NllGeometry g;
  if (x->dim() == 1) {
    GG_CHECK(t->dim() == 0, "0D or 1D target tensor expected, multi-target not supported [", op, "]");
    g.C = x->sizes[0];
  } else {
    g.N = x->sizes[0];
    g.C = x->sizes[1];
    DimVec expect{x->sizes[0]};
    for (int64_t d = 2; d < x->dim(); ++d) {
      expect.push_back(x->sizes[d]);
      g.K *= x->sizes[d];
    }
    if (x->dim() == 2) {
      GG_CHECK(t->dim() == 1, t->dim() == 0 ? "0D or 1D target tensor expected, multi-target not supported"
                                            : "1D target tensor expected, multi-target not supported",
               " [", op, "] input ", shape_str(x->sizes), ", target ", shape_str(t->sizes));
      GG_CHECK_KIND(t->sizes[0] == g.N, Value, "Expected input batch_size (", g.N, ") to match target batch_size (",
                    t->sizes[0], ").");
    } else {
      GG_CHECK(t->sizes == expect, "Expected target size ", shape_str(expect), ", got ", shape_str(t->sizes),
               " [", op, "] input ", shape_str(x->sizes));
    }
  }
  if (w) {
    GG_CHECK(w->dim() == 1 && w->numel() == g.C, "weight tensor should be defined either for all ", g.C,
             " classes or no classes but got weight tensor of shape: ", shape_str(w->sizes), " [", op, "]");
  }
  return g;
}

}  // namespace

Tensor nll_loss(const Tensor& x, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index) {
  NllGeometry geo = nll_check(x, target, weight, "nll_loss");
  Tensor xc = contiguous(x), tc = contiguous(target);
  Tensor wc = weight ? cast_raw(weight, x->dtype) : Tensor();
  Tensor out = reduction == Reduction::None ? empty(target->sizes, x->dtype, x->device())
                                            : empty(DimVec{}, x->dtype, x->device());
  double total_weight = 0;
  dispatch<kFloats>(x->dtype, "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = xc->data<T>();
    const int64_t* pt = tc->data<int64_t>();
    const T* pw = wc ? wc->data<T>() : nullptr;
    T* po = out->data<T>();
    double acc = 0;
    for (int64_t i = 0; i < geo.N; ++i) {
      for (int64_t k = 0; k < geo.K; ++k) {
        const int64_t c = pt[i * geo.K + k];
        double l = 0;
        if (c != ignore_index) {
          GG_CHECK_KIND(c >= 0 && c < geo.C, Index, "Target ", c, " is out of bounds. [nll_loss] input ",
                        shape_str(x->sizes), " with ", geo.C, " classes");
          const double w = pw ? double(pw[c]) : 1.0;
          l = -w * double(px[(i * geo.C + c) * geo.K + k]);
          total_weight += w;
        }
        if (reduction == Reduction::None) po[i * geo.K + k] = T(l);
        else acc += l;
      }
    }
    if (reduction == Reduction::Sum) *po = T(acc);
    if (reduction == Reduction::Mean) *po = T(acc / total_weight);  // 0/0 = nan when all are ignored
  });
  // PyTorch runs inputs with spatial dims through nll_loss2d.
  if (auto node = make_node(x->dim() >= 3 ? "NllLoss2DBackward0" : "NllLossBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {nll_loss_backward(g[0], n.get(0), n.get(1), n.get(2), Reduction(n.ints[0]), n.ints[1], n.scalar)};
      }, {&x})) {
    node->save("self", x);
    node->save("target", target);
    node->save("weight", weight);
    node->ints[0] = int64_t(reduction);
    node->ints[1] = ignore_index;
    node->save_scalar("total_weight", total_weight, false);
    attach(node, out);
  }
  return out;
}

// grad_input[i, t_i, k] = -w[t_i] g(i, k) (/ total_weight for the mean). Linear in g: its VJP is
// nll_loss of the cotangent; the gradient for `input` is zero.
Tensor nll_loss_backward(const Tensor& grad, const Tensor& x, const Tensor& target, const Tensor& weight,
                         Reduction reduction, int64_t ignore_index, double total_weight) {
  NllGeometry geo = nll_check(x, target, weight, "nll_loss_backward");
  Tensor gc = cast_raw(grad, x->dtype), tc = contiguous(target);
  Tensor wc = weight ? cast_raw(weight, x->dtype) : Tensor();
  Tensor out = empty(x->sizes, x->dtype, x->device());
  dispatch<kFloats>(x->dtype, "nll_loss_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out->data<T>();
    std::fill_n(po, out->numel(), T(0));
    const T* pg = gc->data<T>();
    const int64_t* pt = tc->data<int64_t>();
    const T* pw = wc ? wc->data<T>() : nullptr;
    const double scale = reduction == Reduction::Mean ? 1.0 / total_weight : 1.0;
    for (int64_t i = 0; i < geo.N; ++i)
      for (int64_t k = 0; k < geo.K; ++k) {
        const int64_t c = pt[i * geo.K + k];
        if (c == ignore_index || c < 0 || c >= geo.C) continue;
        const double gv = reduction == Reduction::None ? double(pg[i * geo.K + k]) : double(pg[0]);
        po[(i * geo.C + c) * geo.K + k] = T(-(pw ? double(pw[c]) : 1.0) * gv * scale);
      }
  });
  if (auto node = make_node("NllLossBackwardBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        // The gradient for `self` is zero (PyTorch returns zeros, not an undefined gradient).
        Tensor gs;
        if (n.needs_input_grad(1)) {
          gs = empty(n.shape, DType(n.ints[2]));
          dispatch<kFloats>(gs->dtype, "nll_loss_backward", [&](auto tag) {
            using T = typename decltype(tag)::type;
            std::fill_n(gs->data<T>(), gs->numel(), T(0));
          });
        }
        Tensor gg_ = n.needs_input_grad(0) ? nll_loss(g[0], n.get(0), n.get(1), Reduction(n.ints[0]), n.ints[1])
                                           : Tensor();
        return {gg_, gs};
      }, {&grad, &x})) {
    node->save("target", target);
    node->save("weight", weight);
    node->ints[0] = int64_t(reduction);
    node->ints[1] = ignore_index;
    node->ints[2] = int64_t(x->dtype);
    node->shape = x->sizes;
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- one_hot
Tensor one_hot(const Tensor& t, int64_t num_classes) {
  check_device(t, "one_hot");
  GG_CHECK(t->dtype == DType::Int64, "one_hot is only applicable to index tensor of type LongTensor.");
  Tensor tc = contiguous(t);
  const int64_t* p = tc->data<int64_t>();
  const int64_t n = t->numel();
  if (num_classes == -1) {
    GG_CHECK(n > 0, "Can not infer total number of classes from empty tensor.");
    num_classes = *std::max_element(p, p + n) + 1;
  }
  GG_CHECK(num_classes >= 0, "num_classes should be -1 or non-negative, got ", num_classes, " [one_hot]");
  for (int64_t i = 0; i < n; ++i) {
    GG_CHECK(p[i] >= 0, "Class values must be non-negative. [one_hot] got ", p[i]);
    GG_CHECK(p[i] < num_classes, "Class values must be smaller than num_classes. [one_hot] got ", p[i],
             " with num_classes=", num_classes);
  }
  DimVec shape = t->sizes;
  shape.push_back(num_classes);
  Tensor out = empty(shape, DType::Int64, t->device());
  int64_t* o = out->data<int64_t>();
  std::fill_n(o, out->numel(), int64_t(0));
  for (int64_t i = 0; i < n; ++i) o[i * num_classes + p[i]] = 1;
  return out;
}

// ---------------------------------------------------------------- normalization
namespace {

// Gradients of y = xhat * w + b, xhat = (x - mean) * rstd, statistics over `axes` of x.
// With grad mode on (create_graph), the statistics are recomputed from x with public ops so the
// result is differentiable in x; otherwise the saved ones (shaped to broadcast) are used.
struct NormGrads {
  Tensor gx, gw, gb;
};
NormGrads norm_backward(OpNode& n, const Tensor& g, const Tensor& x, const Tensor& w, Tensor mean_b, Tensor rstd_b,
                        const DimVec& axes, const DimVec& param_axes, const DimVec& param_view, double eps,
                        bool stats_from_batch) {
  if (stats_from_batch && grad_enabled() && x->requires_grad()) {
    mean_b = mean(x, axes, true);
    Tensor c = sub(x, mean_b);
    rstd_b = reciprocal(sqrt(add(mean(mul(c, c), axes, true), wrapped(eps))));
  }
  Tensor xhat = mul(sub(x, mean_b), rstd_b);
  NormGrads r;
  Tensor wv = w ? (param_view.empty() ? w : view(w, param_view)) : Tensor();
  if (n.needs_input_grad(0)) {
    Tensor gxhat = wv ? mul(g, wv) : g;
    if (stats_from_batch) {
      Tensor a = mean(gxhat, axes, true), b = mean(mul(gxhat, xhat), axes, true);
      r.gx = mul(rstd_b, sub(sub(gxhat, a), mul(xhat, b)));
    } else {
      r.gx = mul(gxhat, rstd_b);
    }
  }
  if (n.needs_input_grad(1)) r.gw = sum(mul(g, xhat), param_axes, false);
  if (n.needs_input_grad(2)) r.gb = sum(g, param_axes, false);
  return r;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const DimVec& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  check_device(x, "layer_norm");
  check_float(x, "layer_norm");
  const int64_t k = (int64_t)normalized_shape.size(), nd = x->dim();
  bool ok = k >= 1 && k <= nd;
  for (int64_t i = 0; ok && i < k; ++i) ok = x->sizes[nd - k + i] == normalized_shape[i];
  if (!ok) {
    std::string s = "[*";
    for (int64_t v : normalized_shape) s += ", " + std::to_string(v);
    auto brackets = [](const DimVec& v) {  // PyTorch prints these shapes as lists: [3, 5]
      std::string t = shape_str(v);
      if (t.size() > 2 && t[t.size() - 2] == ',') t.erase(t.size() - 2, 1);  // (4,) -> [4]
      t.front() = '[';
      t.back() = ']';
      return t;
    };
    fail(ErrorKind::Runtime, "Given normalized_shape=", brackets(normalized_shape), ", expected input with shape ",
         s, "], but got input of size", brackets(x->sizes), " [layer_norm]");
  }
  for (const Tensor* p : {&weight, &bias})
    if (*p) {
      GG_CHECK((*p)->sizes == normalized_shape, "Expected ", p == &weight ? "weight" : "bias",
               " to be of same shape as normalized_shape, but got ", p == &weight ? "weight" : "bias",
               " of shape ", shape_str((*p)->sizes), " and normalized_shape = ", shape_str(normalized_shape));
      GG_CHECK((*p)->dtype == x->dtype, "mixed dtype (CPU): all inputs must share same datatype. [layer_norm] input ",
               short_name(x->dtype), ", ", p == &weight ? "weight " : "bias ", short_name((*p)->dtype));
    }
  const int64_t M = shape_numel(normalized_shape), rows = shape_numel(DimVec(x->sizes.begin(), x->sizes.end() - k));
  Tensor xc = contiguous(x);
  Tensor wc = weight ? contiguous(weight) : Tensor(), bc = bias ? contiguous(bias) : Tensor();
  Tensor out = empty(x->sizes, x->dtype, x->device());
  DimVec stat_shape(x->sizes.begin(), x->sizes.end() - k);
  for (int64_t i = 0; i < k; ++i) stat_shape.push_back(1);
  Tensor mean_t = empty(stat_shape, x->dtype, x->device()), rstd_t = empty(stat_shape, x->dtype, x->device());
  dispatch<kFloats>(x->dtype, "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = xc->data<T>();
    const T* pw = wc ? wc->data<T>() : nullptr;
    const T* pb = bc ? bc->data<T>() : nullptr;
    T *py = out->data<T>(), *pm = mean_t->data<T>(), *pr = rstd_t->data<T>();
    const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, M));
    cpu::parallel_for_small(0, rows, grain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        double m, v;
        fn::moments<T>(px + r * M, 1, M, M, m, v);
        const double rs = 1.0 / std::sqrt(v + eps);
        pm[r] = T(m);
        pr[r] = T(rs);
        for (int64_t i = 0; i < M; ++i) {
          T y = T((double(px[r * M + i]) - m) * rs);
          if (pw) y *= pw[i];
          if (pb) y += pb[i];
          py[r * M + i] = y;
        }
      }
    });
  });
  if (auto node = make_node("NativeLayerNormBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0), w = n.get(1);
        DimVec axes, param_axes;
        const int64_t k = n.ints[0], nd = x->dim();
        for (int64_t d = nd - k; d < nd; ++d) axes.push_back(d);
        for (int64_t d = 0; d < nd - k; ++d) param_axes.push_back(d);
        NormGrads r = norm_backward(n, g[0], x, w, n.get(3), n.get(4), axes, param_axes, {}, n.scalar, true);
        return {r.gx, r.gw, r.gb};
      }, {&x, &weight, &bias})) {
    node->save("input", x);
    node->save("weight", weight);
    node->save("bias", bias);
    node->save("result1", mean_t, true);
    node->save("result2", rstd_t, true);
    node->ints[0] = k;
    node->scalar = eps;
    node->shape = normalized_shape;
    attach(node, out);
  }
  return out;
}

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  check_device(x, "batch_norm");
  check_float(x, "batch_norm");
  GG_CHECK(x->dim() >= 2, "batch_norm: expected an input with at least 2 dims (N, C, ...), got ", shape_str(x->sizes));
  const int64_t N = x->sizes[0], C = x->sizes[1], HW = x->numel() / std::max<int64_t>(1, N * C);
  for (const Tensor* p : {&weight, &bias, &running_mean, &running_var})
    if (*p)
      GG_CHECK((*p)->numel() == C && (*p)->dim() == 1, "running_mean should contain ", C,
               " elements not ", (*p)->numel(), " [batch_norm] input ", shape_str(x->sizes), ", parameter ",
               shape_str((*p)->sizes));
  GG_CHECK(training || (running_mean && running_var),
           "running_mean and running_var must be defined in evaluation mode [batch_norm]");
  Tensor xc = contiguous(x);
  Tensor mean_t = empty(DimVec{C}, x->dtype, x->device()), rstd_t = empty(DimVec{C}, x->dtype, x->device());
  Tensor var_t = empty(DimVec{C}, x->dtype, x->device());
  if (training) {
    dispatch<kFloats>(x->dtype, "batch_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* px = xc->data<T>();
      T *pm = mean_t->data<T>(), *pr = rstd_t->data<T>(), *pv = var_t->data<T>();
      const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, N * HW));
      cpu::parallel_for_small(0, C, grain, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          double m, v;
          fn::moments<T>(px + c * HW, N, HW, C * HW, m, v);
          pm[c] = T(m);
          pv[c] = T(v);
          pr[c] = T(1.0 / std::sqrt(v + eps));
        }
      });
    });
    if (running_mean || running_var) {
      GradModeGuard no_grad(false);
      const double count = double(N * HW);
      if (running_mean)
        copy_into(running_mean, add(mul(running_mean, wrapped(1 - momentum)), mul(mean_t, wrapped(momentum))));
      if (running_var) {
        Tensor unbiased = mul(var_t, wrapped(count > 1 ? count / (count - 1) : NAN));
        copy_into(running_var, add(mul(running_var, wrapped(1 - momentum)), mul(unbiased, wrapped(momentum))));
      }
      if (running_mean) running_mean->bump_version();
      if (running_var) running_var->bump_version();
    }
  } else {
    GradModeGuard no_grad(false);
    copy_into(mean_t, running_mean);
    copy_into(rstd_t, reciprocal(sqrt(add(running_var, wrapped(eps)))));
  }
  Tensor out = empty(x->sizes, x->dtype, x->device());
  Tensor wc = weight ? cast_raw(weight, x->dtype) : Tensor(), bc = bias ? cast_raw(bias, x->dtype) : Tensor();
  dispatch<kFloats>(x->dtype, "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = xc->data<T>(), *pm = mean_t->data<T>(), *pr = rstd_t->data<T>();
    const T* pw = wc ? wc->data<T>() : nullptr;
    const T* pb = bc ? bc->data<T>() : nullptr;
    T* py = out->data<T>();
    const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, HW));
    cpu::parallel_for_small(0, N * C, grain, [&](int64_t b, int64_t e) {
      for (int64_t nc = b; nc < e; ++nc) {
        const int64_t c = nc % C;
        const T scale = pr[c] * (pw ? pw[c] : T(1)), shift = (pb ? pb[c] : T(0)) - pm[c] * scale;
        for (int64_t i = 0; i < HW; ++i) py[nc * HW + i] = px[nc * HW + i] * scale + shift;
      }
    });
  });
  if (auto node = make_node("NativeBatchNormBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0), w = n.get(1);
        DimVec axes{0}, view_shape{1, x->sizes[1]};
        for (int64_t d = 2; d < x->dim(); ++d) {
          axes.push_back(d);
          view_shape.push_back(1);
        }
        Tensor m = view(n.get(2), view_shape), r = view(n.get(3), view_shape);
        NormGrads res = norm_backward(n, g[0], x, w, m, r, axes, axes, view_shape, n.scalar, n.ints[0] != 0);
        return {res.gx, res.gw, res.gb};
      }, {&x, &weight, &bias})) {
    node->save("input", x);
    node->save("weight", weight);
    node->save(training ? "result1" : "running_mean", mean_t, training);
    node->save(training ? "result2" : "running_var", rstd_t, training);
    node->ints[0] = training;
    node->save_scalar("eps", eps, false);
    attach(node, out);
  }
  return out;
}

// Statistics per (sample, group of C / G channels); weight and bias per channel.
Tensor group_norm(const Tensor& x, int64_t G, const Tensor& weight, const Tensor& bias, double eps) {
  check_device(x, "group_norm");
  check_float(x, "group_norm");
  GG_CHECK(x->dim() >= 2, "Expected at least 2 dimensions for input tensor but received ", x->dim());
  const int64_t N = x->sizes[0], C = x->sizes[1];
  GG_CHECK(G > 0 && C % G == 0, "Expected number of channels in input to be divisible by num_groups, but got input "
           "of shape ", shape_str(x->sizes), " and num_groups=", G, " [group_norm]");
  for (const Tensor* p : {&weight, &bias})
    if (*p) {
      GG_CHECK((*p)->dim() == 1 && (*p)->numel() == C, "Expected ", p == &weight ? "weight" : "bias",
               " to be a vector of size equal to the number of channels in input, but got ",
               p == &weight ? "weight" : "bias", " of shape ", shape_str((*p)->sizes), " and input of shape ",
               shape_str(x->sizes), " [group_norm]");
      GG_CHECK((*p)->dtype == x->dtype, "mixed dtype (CPU): all inputs must share same datatype. [group_norm]");
    }
  const int64_t HW = N * C > 0 ? x->numel() / (N * C) : 0, D = (C / G) * HW;
  Tensor xc = contiguous(x), out = empty(x->sizes, x->dtype, x->device());
  Tensor mean_t = empty(DimVec{N, G}, x->dtype, x->device()), rstd_t = empty(DimVec{N, G}, x->dtype, x->device());
  Tensor wc = weight ? contiguous(weight) : Tensor(), bc = bias ? contiguous(bias) : Tensor();
  dispatch<kFloats>(x->dtype, "group_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* px = xc->data<T>();
    const T* pw = wc ? wc->data<T>() : nullptr;
    const T* pb = bc ? bc->data<T>() : nullptr;
    T *py = out->data<T>(), *pm = mean_t->data<T>(), *pr = rstd_t->data<T>();
    const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, D));
    cpu::parallel_for_small(0, N * G, grain, [&](int64_t b, int64_t e) {
      for (int64_t ng = b; ng < e; ++ng) {
        double m, v;
        fn::moments<T>(px + ng * D, 1, D, D, m, v);
        const double rs = 1.0 / std::sqrt(v + eps);
        pm[ng] = T(m);
        pr[ng] = T(rs);
        const int64_t c0 = (ng % G) * (C / G);
        for (int64_t c = 0; c < C / G; ++c) {
          const T scale = T(rs) * (pw ? pw[c0 + c] : T(1)), shift = (pb ? pb[c0 + c] : T(0)) - T(m) * scale;
          const int64_t base = ng * D + c * HW;
          for (int64_t i = 0; i < HW; ++i) py[base + i] = px[base + i] * scale + shift;
        }
      }
    });
  });
  if (auto node = make_node("NativeGroupNormBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0), w = n.get(1), gr = g[0];
        const int64_t N = x->sizes[0], G = n.ints[0];
        int64_t per_group = x->sizes[1] / G;  // (not -1: a batch of 0 leaves it undetermined)
        for (int64_t d = 2; d < x->dim(); ++d) per_group *= x->sizes[d];
        Tensor xr = reshape(x, DimVec{N, G, per_group});
        Tensor mean_b, rstd_b;
        if (grad_enabled() && x->requires_grad()) {  // create_graph: statistics as functions of x
          mean_b = mean(xr, DimVec{2}, true);
          Tensor c = sub(xr, mean_b);
          rstd_b = reciprocal(sqrt(add(mean(mul(c, c), DimVec{2}, true), wrapped(n.scalar))));
        } else {
          mean_b = unsqueeze(n.get(2), 2);
          rstd_b = unsqueeze(n.get(3), 2);
        }
        Tensor xhat_r = mul(sub(xr, mean_b), rstd_b), xhat = reshape(xhat_r, x->sizes);
        DimVec axes{0}, wshape{1, x->sizes[1]};
        for (int64_t d = 2; d < x->dim(); ++d) {
          axes.push_back(d);
          wshape.push_back(1);
        }
        Tensor gx, gw, gb;
        if (n.needs_input_grad(0)) {
          Tensor gxr = reshape(w ? mul(gr, view(w, wshape)) : gr, DimVec{N, G, per_group});
          Tensor a = mean(gxr, DimVec{2}, true), b = mean(mul(gxr, xhat_r), DimVec{2}, true);
          gx = reshape(mul(rstd_b, sub(sub(gxr, a), mul(xhat_r, b))), x->sizes);
        }
        if (n.needs_input_grad(1)) gw = sum(mul(gr, xhat), axes, false);
        if (n.needs_input_grad(2)) gb = sum(gr, axes, false);
        return {gx, gw, gb};
      }, {&x, &weight, &bias})) {
    node->save("input", x);
    node->save("weight", weight);
    node->save("result1", mean_t, true);
    node->save("result2", rstd_t, true);
    node->ints[0] = G;
    node->save_scalar("eps", eps, false);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- embedding
namespace {
void check_indices(const Tensor& idx, const char* op) {
  GG_CHECK(idx->dtype == DType::Int64 || idx->dtype == DType::Int32,
           "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ",
           legacy_type_name(idx->dtype), " instead (while checking arguments for ", op, ")");
}
}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  check_same_device(weight, indices, "embedding");
  check_indices(indices, "embedding");
  GG_CHECK(weight->dim() == 2, "'weight' must be 2-D [embedding] got weight of shape ", shape_str(weight->sizes));
  const int64_t V = weight->sizes[0], D = weight->sizes[1];
  GG_CHECK(V > 0 || indices->numel() == 0, "index_select(): self indexing axis dim should be positive [embedding] "
           "weight of shape ", shape_str(weight->sizes));
  Tensor ic = cast_raw(indices, DType::Int64), wc = contiguous(weight);
  DimVec shape = indices->sizes;
  shape.push_back(D);
  Tensor out = empty(shape, weight->dtype, weight->device());
  const int64_t* pi = ic->data<int64_t>();
  const int64_t n = ic->numel();
  for (int64_t i = 0; i < n; ++i)
    GG_CHECK_KIND(pi[i] >= 0 && pi[i] < V, Index, "index out of range in self [embedding] index ", pi[i],
                  " with weight of shape ", shape_str(weight->sizes));
  const size_t row = size_t(D) * weight->element_size();
  const char* src = static_cast<const char*>(wc->raw_data());
  char* dst = static_cast<char*>(out->raw_data());
  for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * row, src + pi[i] * row, row);
  if (auto node = make_node("EmbeddingBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {embedding_dense_backward(g[0], n.get(0), n.ints[0], n.ints[1])};
      }, {&weight})) {
    node->save("indices", indices);
    node->ints[0] = V;
    node->ints[1] = padding_idx;
    attach(node, out);
  }
  return out;
}

// Rows of grad summed into the rows `indices` name, in index order (deterministic); the
// padding row gets nothing. Linear in grad: its VJP gathers the cotangent's rows.
Tensor embedding_dense_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights, int64_t padding_idx) {
  check_indices(indices, "embedding_backward");
  Tensor ic = cast_raw(indices, DType::Int64), gc = contiguous(grad);
  const int64_t n = ic->numel(), D = grad->sizes.empty() ? 1 : grad->sizes.back();
  Tensor out = empty(DimVec{num_weights, D}, grad->dtype, grad->device());
  dispatch<kFloats>(grad->dtype, "embedding_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out->data<T>();
    std::fill_n(po, out->numel(), T(0));
    const T* pg = gc->data<T>();
    const int64_t* pi = ic->data<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      if (pi[i] == padding_idx) continue;
      T* r = po + pi[i] * D;
      const T* s = pg + i * D;
      for (int64_t j = 0; j < D; ++j) r[j] += s[j];
    }
  });
  if (auto node = make_node("EmbeddingDenseBackwardBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor idx = n.get(0);
        Tensor r = embedding(g[0], idx, n.ints[0]);
        if (n.ints[0] >= 0) {
          Tensor keep = to_dtype(compare(idx, wrapped(double(n.ints[0])), Compare::Ne), r->dtype);
          r = mul(r, unsqueeze(keep, -1));
        }
        return {r};
      }, {&grad})) {
    node->save("indices", indices);
    node->ints[0] = padding_idx;
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- smooth_l1 / huber
namespace {
Tensor pointwise_loss(const char* op, const char* node_name, const Tensor& x, const Tensor& y, Reduction reduction,
                      double param, bool huber) {
  check_same_device(x, y, op);
  check_float(x, op);
  GG_CHECK(x->dtype == y->dtype, op, ": expected input and target of the same dtype, got ", short_name(x->dtype),
           " and ", short_name(y->dtype));
  DimVec shape = x->sizes == y->sizes ? x->sizes : broadcast_shapes(x->sizes, y->sizes, op);
  Tensor l = empty(shape, x->dtype, x->device());
  cpu::LoopPlan plan(l, {&x, &y});
  dispatch<kFloats>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (huber) cpu::elementwise<T, T, T>(plan, fn::Huber<T>{T(param)});
    else cpu::elementwise<T, T, T>(plan, fn::SmoothL1<T>{T(param)});
  });
  Tensor out;
  {
    GradModeGuard no_grad(false);
    out = reduce_loss(l, reduction);
  }
  auto vjp = [](OpNode& n, TensorList& g) -> TensorList {
    Tensor x = n.get(0), y = n.get(1);
    Tensor d = sub(x, y);
    // d/dd: clamp(d / beta, -1, 1) (smooth L1), clamp(d, -delta, delta) (Huber).
    Tensor dd = n.ints[1] ? clamp_ops(d, -n.scalar, n.scalar) : clamp_ops(div(d, wrapped(n.scalar)), -1.0, 1.0);
    Tensor gr = g[0];
    if (Reduction(n.ints[0]) == Reduction::Mean) gr = div(gr, wrapped(double(std::max<int64_t>(d->numel(), 1))));
    Tensor gd = mul(dd, gr);
    return {n.needs_input_grad(0) ? grad_for_input(gd, x->sizes, x->dtype) : Tensor(),
            n.needs_input_grad(1) ? grad_for_input(neg(gd), y->sizes, y->dtype) : Tensor()};
  };
  if (auto node = make_node(node_name, vjp, {&x, &y})) {
    node->save("self", x);
    node->save("target", y);
    node->ints[0] = int64_t(reduction);
    node->ints[1] = huber;
    node->scalar = param;
    node->scalar_name = huber ? "delta" : "beta";
    attach(node, out);
  }
  return out;
}
}  // namespace

Tensor smooth_l1_loss(const Tensor& x, const Tensor& y, Reduction reduction, double beta) {
  GG_CHECK(beta >= 0, "smooth_l1_loss does not support negative values for beta.");
  GG_CHECK(beta > 0, "[smooth_l1_loss] beta == 0 is l1_loss: call l1_loss");
  return pointwise_loss("smooth_l1_loss", "SmoothL1LossBackward0", x, y, reduction, beta, false);
}

Tensor huber_loss(const Tensor& x, const Tensor& y, Reduction reduction, double delta) {
  GG_CHECK(delta > 0, "huber_loss does not support non-positive values for delta.");
  return pointwise_loss("huber_loss", "HuberLossBackward0", x, y, reduction, delta, true);
}

// ---------------------------------------------------------------- binary_cross_entropy
// loss = -w [y log x + (1 - y) log(1 - x)], logs clamped at -100.
// VJP: d/dx = w (x - y) / max(x (1 - x), 1e-12); d/dy = w [log(1 - x) - log x] (clamped logs).
Tensor binary_cross_entropy(const Tensor& x, const Tensor& y, const Tensor& weight, Reduction reduction) {
  check_same_device(x, y, "binary_cross_entropy");
  check_float(x, "binary_cross_entropy");
  GG_CHECK_KIND(x->sizes == y->sizes, Value, "Using a target size (torch.Size(", shape_str(y->sizes),
                ")) that is different to the input size (torch.Size(", shape_str(x->sizes),
                ")) is deprecated. Please ensure they have the same size.");
  GG_CHECK(x->dtype == y->dtype, "binary_cross_entropy: expected input and target of the same dtype, got ",
           short_name(x->dtype), " and ", short_name(y->dtype));
  Tensor l = empty(x->sizes, x->dtype, x->device());
  dispatch<kFloats>(x->dtype, "binary_cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor xc = contiguous(x);
    const T* p = xc->data<T>();
    for (int64_t i = 0; i < xc->numel(); ++i)
      GG_CHECK(p[i] >= T(0) && p[i] <= T(1), "all elements of input should be between 0 and 1");
    cpu::LoopPlan plan(l, {&x, &y});
    cpu::elementwise<T, T, T>(plan, fn::BinaryCrossEntropy{});
  });
  Tensor out;
  {
    GradModeGuard no_grad(false);
    out = reduce_loss(weight ? mul(l, weight) : l, reduction);
  }
  if (auto node = make_node("BinaryCrossEntropyBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor x = n.get(0), y = n.get(1), w = n.get(2);
        Tensor gr = g[0];
        const auto red = Reduction(n.ints[0]);
        if (red != Reduction::None) gr = expand(gr, x->sizes);
        if (red == Reduction::Mean) gr = div(gr, wrapped(double(std::max<int64_t>(x->numel(), 1))));
        if (w) gr = mul(gr, w);
        Tensor gx, gy;
        if (n.needs_input_grad(0))
          gx = grad_for_input(mul(gr, div(sub(x, y), maximum(mul(x, rsub(x, wrapped(1.0))), wrapped(1e-12)))),
                              x->sizes, x->dtype);
        if (n.needs_input_grad(1)) {
          Tensor lx = maximum(log(x), wrapped(-100.0)), l1x = maximum(log(rsub(x, wrapped(1.0))), wrapped(-100.0));
          gy = grad_for_input(mul(gr, sub(l1x, lx)), y->sizes, y->dtype);
        }
        return {gx, gy};
      }, {&x, &y})) {
    node->save("self", x);
    node->save("target", y);
    node->save("weight", weight);
    node->ints[0] = int64_t(reduction);
    attach(node, out);
  }
  return out;
}

namespace {
// Rows of the LSTM cell, AVX-512 where the CPU has it (one of these rows runs five transcendentals
// per element: AVX2 alone made the fused cell slower than the separate ops).
template <class T>
__attribute__((flatten)) GG_CPU_CLONES void lstm_cell_rows(int64_t rows, int64_t H, const T* gi, const T* gh,
                                                           const T* c, T* gates, T* h_next, T* c_next) {
  for (int64_t b = 0; b < rows; ++b, gi += 4 * H, gh += 4 * H, gates += 4 * H, c += H, h_next += H, c_next += H)
    GG_SIMD for (int64_t j = 0; j < H; ++j)
      fn::LstmCell{}.forward(gi[j] + gh[j], gi[H + j] + gh[H + j], gi[2 * H + j] + gh[2 * H + j],
                             gi[3 * H + j] + gh[3 * H + j], c[j], gates[j], gates[H + j], gates[2 * H + j],
                             gates[3 * H + j], h_next[j], c_next[j]);
}

template <class T>
__attribute__((flatten)) GG_CPU_CLONES void lstm_cell_backward_rows(int64_t rows, int64_t H, const T* gates,
                                                                    const T* c, const T* c_next, const T* dh,
                                                                    const T* dc_next, T* d_gates, T* dc) {
  for (int64_t b = 0; b < rows; ++b, gates += 4 * H, d_gates += 4 * H, c += H, c_next += H, dh += H,
               dc_next += H, dc += H)
    GG_SIMD for (int64_t j = 0; j < H; ++j)
      fn::LstmCell{}.backward(gates[j], gates[H + j], gates[2 * H + j], gates[3 * H + j], c[j], c_next[j], dh[j],
                              dc_next[j], d_gates[j], d_gates[H + j], d_gates[2 * H + j], d_gates[3 * H + j], dc[j]);
}
// Rows per task: about kGrainSize gate elements.
int64_t lstm_rows_grain(int64_t H) { return std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, 4 * H)); }
}  // namespace

// The pointwise part of an LSTM step from its two gate projections gi = x @ W_ih^T + b_ih and
// gh = h @ W_hh^T + b_hh, each (B, 4H), and the cell state c (B, H): one pass instead of a dozen
// pointwise ops and their nodes. Returns (h_next, c_next).
std::pair<Tensor, Tensor> lstm_cell(const Tensor& gi, const Tensor& gh, const Tensor& c) {
  GG_CHECK(gi->dim() == 2 && gh->sizes == gi->sizes && c->dim() == 2 && c->sizes[0] == gi->sizes[0] &&
               gi->sizes[1] == 4 * c->sizes[1],
           "[lstm_cell] expected gate projections of shape (B, 4H) and a cell state of shape (B, H), got ",
           shape_str(gi->sizes), ", ", shape_str(gh->sizes), " and ", shape_str(c->sizes));
  GG_CHECK(gh->dtype == gi->dtype && c->dtype == gi->dtype && is_floating(gi->dtype),
           "[lstm_cell] expected floating-point tensors of one dtype, got ", dtype_name(gi->dtype), ", ",
           dtype_name(gh->dtype), " and ", dtype_name(c->dtype));
  check_same_device(gi, gh, "lstm_cell");
  check_same_device(gi, c, "lstm_cell");
  const int64_t B = c->sizes[0], H = c->sizes[1], grain = lstm_rows_grain(H);
  const Tensor gic = cast_raw(gi, gi->dtype), ghc = cast_raw(gh, gi->dtype), cc = cast_raw(c, gi->dtype);
  Tensor gates = empty(gi->sizes, gi->dtype, gi->device());  // activated, for the backward
  Tensor h_next = empty(c->sizes, c->dtype, c->device()), c_next = empty(c->sizes, c->dtype, c->device());
  dispatch<kFloats>(gi->dtype, "lstm_cell", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::parallel_for_small(0, B, grain, [&](int64_t b0, int64_t b1) {
      lstm_cell_rows<T>(b1 - b0, H, gic->data<T>() + b0 * 4 * H, ghc->data<T>() + b0 * 4 * H, cc->data<T>() + b0 * H,
                        gates->data<T>() + b0 * 4 * H, h_next->data<T>() + b0 * H, c_next->data<T>() + b0 * H);
    });
  });
  if (auto node = make_node("LstmCellBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor c = n.get(2), gates = n.get(3), c_next = n.get(4);
        auto zeros_or = [&](size_t k) {
          if (k < g.size() && g[k]) return g[k];
          Tensor z = empty(c->sizes, c->dtype, c->device());
          copy_into(z, wrapped(0.0));
          return z;
        };
        Tensor dh = zeros_or(0), dc_next = zeros_or(1);
        if (grad_enabled()) {  // create_graph: the same formulas from public ops, differentiable again
          auto s = chunk(add(n.get(0), n.get(1)), 4, 1);
          Tensor i = sigmoid(s[0]), f = sigmoid(s[1]), gc = tanh(s[2]), o = sigmoid(s[3]);
          Tensor tc = tanh(add(mul(f, c), mul(i, gc)));
          auto one_minus = [](const Tensor& t) { return rsub(t, wrapped(1.0)); };
          Tensor dc_total = add(dc_next, mul(mul(dh, o), one_minus(mul(tc, tc))));
          Tensor d_gates = cat({mul(mul(dc_total, gc), mul(i, one_minus(i))), mul(mul(dc_total, c), mul(f, one_minus(f))),
                                mul(mul(dc_total, i), one_minus(mul(gc, gc))), mul(mul(dh, tc), mul(o, one_minus(o)))},
                               1);
          return {d_gates, d_gates, mul(dc_total, f)};
        }
        const int64_t B = c->sizes[0], H = c->sizes[1], grain = lstm_rows_grain(H);
        // The saved c is the caller's tensor, possibly strided; the kernel reads contiguous rows.
        const Tensor cc = cast_raw(c, c->dtype), dhc = cast_raw(dh, c->dtype), dnc = cast_raw(dc_next, c->dtype);
        Tensor d_gates = empty(gates->sizes, c->dtype, c->device()), dc = empty(c->sizes, c->dtype, c->device());
        dispatch<kFloats>(c->dtype, "lstm_cell_backward", [&](auto tag) {
          using T = typename decltype(tag)::type;
          cpu::parallel_for_small(0, B, grain, [&](int64_t b0, int64_t b1) {
            lstm_cell_backward_rows<T>(b1 - b0, H, gates->data<T>() + b0 * 4 * H, cc->data<T>() + b0 * H,
                                       c_next->data<T>() + b0 * H, dhc->data<T>() + b0 * H, dnc->data<T>() + b0 * H,
                                       d_gates->data<T>() + b0 * 4 * H, dc->data<T>() + b0 * H);
          });
        });
        return {d_gates, d_gates, dc};
      }, {&gi, &gh, &c})) {
    node->save("input_gates", gi);
    node->save("hidden_gates", gh);
    node->save("cx", c);
    node->save("workspace", gates);
    attach(node, h_next, 0);
    attach(node, c_next, 1);
    node->save("cy", c_next, true);
  }
  return {h_next, c_next};
}

}  // namespace gg
