// upsample: F.interpolate's nearest / nearest-exact / linear / bilinear on (N, C, W) and (N, C, H, W) inputs
// with PyTorch's source-index formulas (1-D runs as 2-D with a unit height). Forward and VJP walk one table
// of taps per axis, the forward gathering and the VJP scattering; the VJP is recorded (its VJP is the forward).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

// Output index o along one axis reads source i0[o] with weight l0[o] and i1[o] with l1[o] (nearest: l1 = 0).
template <typename T>
struct AxisTaps {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

// As PyTorch's CPU kernels: the scale is 1/scale_factor when one was given (> 0), else in/out, in the input's
// dtype; nearest takes floor(o * scale), nearest-exact floor(src + 0.5), linear the two pixels around
// src = (o + 0.5) * scale - 0.5 (o * scale with align_corners), each rounded through float as floorf does.
template <typename T>
AxisTaps<T> axis_taps(int64_t in, int64_t out, double scale, UpsampleMode mode, bool align_corners) {
  AxisTaps<T> t{std::vector<int64_t>(out), std::vector<int64_t>(out), std::vector<T>(out, T(1)),
                std::vector<T>(out, T(0))};
  const bool linear = mode == UpsampleMode::Linear;
  if (linear && in == out) {  // PyTorch leaves a linear axis of unchanged size as is, whatever the scale
    for (int64_t o = 0; o < out; ++o) t.i0[o] = t.i1[o] = o;
    return t;
  }
  const T s = linear && align_corners ? (out > 1 ? T(in - 1) / T(out - 1) : T(0))
                                      : scale > 0 ? T(1.0 / scale) : T(in) / T(out);
  for (int64_t o = 0; o < out; ++o) {
    const T src = mode == UpsampleMode::Nearest || align_corners ? s * T(o)
                                                                 : std::max(s * (T(o) + T(0.5)) - T(0.5), T(0));
    const float f = float(mode == UpsampleMode::NearestExact ? src + T(0.5) : src);
    const int64_t i = std::min<int64_t>(int64_t(std::floor(f)), in - 1);
    t.i0[o] = t.i1[o] = i;
    if (!linear) continue;
    const T l = std::min(std::max(src - T(i), T(0)), T(1));
    t.i1[o] = i + (i < in - 1 ? 1 : 0);
    t.l0[o] = T(1) - l;
    t.l1[o] = l;
  }
  return t;
}

// One upsample: input planes (.., H, W) -> (.., Ho, Wo). Kept on the node as shape (input sizes), shape2
// (output sizes), scalar / scalar2 (scale h / w, <= 0: none), ints[0] (mode), ints[1] (align_corners).
struct Upsample {
  DimVec in_sizes, out_sizes;
  double sh, sw;
  UpsampleMode mode;
  bool align_corners;

  bool d1() const { return in_sizes.size() == 3; }
  int64_t H() const { return d1() ? 1 : in_sizes[2]; }
  int64_t W() const { return in_sizes.back(); }
  int64_t Ho() const { return d1() ? 1 : out_sizes[2]; }
  int64_t Wo() const { return out_sizes.back(); }
  int64_t planes() const { return in_sizes[0] * in_sizes[1]; }

  static Upsample of(const OpNode& n) {
    return {n.shape, n.shape2, n.scalar, n.scalar2, UpsampleMode(n.ints[0]), n.ints[1] != 0};
  }
  void keep(OpNode& n) const {
    n.shape = in_sizes;
    n.shape2 = out_sizes;
    n.scalar = sh;
    n.scalar2 = sw;
    n.ints[0] = int64_t(mode);
    n.ints[1] = align_corners;
  }
  // grad_fn names as PyTorch records them: [mode][2-D][backward of the backward].
  const char* node_name(bool backward_backward) const {
    static const char* names[3][2][2] = {
        {{"UpsampleNearest1DBackward0", "UpsampleNearest1DBackwardBackward0"},
         {"UpsampleNearest2DBackward0", "UpsampleNearest2DBackwardBackward0"}},
        {{"UpsampleNearestExact1DBackward0", "UpsampleNearestExact1DBackwardBackward0"},
         {"UpsampleNearestExact2DBackward0", "UpsampleNearestExact2DBackwardBackward0"}},
        {{"UpsampleLinear1DBackward0", "UpsampleLinear1DBackwardBackward0"},
         {"UpsampleBilinear2DBackward0", "UpsampleBilinear2DBackwardBackward0"}}};
    return names[int(mode)][d1() ? 0 : 1][backward_backward ? 1 : 0];
  }

  // Runs f(x plane, y plane, taps h, taps w) over all planes, split across threads above a grain size.
  template <typename T, typename F>
  void for_planes(const T* src, T* dst, int64_t src_plane, int64_t dst_plane, F f) const {
    const AxisTaps<T> th = axis_taps<T>(H(), Ho(), sh, mode, align_corners);
    const AxisTaps<T> tw = axis_taps<T>(W(), Wo(), sw, mode, align_corners);
    const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, Ho() * Wo()));
    cpu::parallel_for_small(0, planes(), grain, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) f(src + p * src_plane, dst + p * dst_plane, th, tw);
    });
  }

  Tensor forward(const Tensor& input) const;
  Tensor backward(const Tensor& grad) const;
};

Tensor Upsample::forward(const Tensor& input) const {
  Tensor x = contiguous(detach(input));
  Tensor y = empty(out_sizes, x->dtype, x->device());
  const int64_t Wi = W(), Wout = Wo();
  dispatch<kFloats>(x->dtype, "upsample", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool linear = mode == UpsampleMode::Linear;
    for_planes<T>(x->data<T>(), y->data<T>(), H() * Wi, Ho() * Wout,
                  [&](const T* xp, T* yp, const AxisTaps<T>& th, const AxisTaps<T>& tw) {
      for (size_t oh = 0; oh < th.i0.size(); ++oh) {
        const T* r0 = xp + th.i0[oh] * Wi;
        const T* r1 = xp + th.i1[oh] * Wi;
        T* yr = yp + oh * Wout;
        if (!linear) {
          for (int64_t ow = 0; ow < Wout; ++ow) yr[ow] = r0[tw.i0[ow]];
          continue;
        }
        for (int64_t ow = 0; ow < Wout; ++ow) {  // PyTorch's order: rows first, then the row weights
          const int64_t a = tw.i0[ow], b = tw.i1[ow];
          yr[ow] = (r0[a] * tw.l0[ow] + r0[b] * tw.l1[ow]) * th.l0[oh] +
                   (r1[a] * tw.l0[ow] + r1[b] * tw.l1[ow]) * th.l1[oh];
        }
      }
    });
  });
  return y;
}

// The VJP (a scatter-add of the gradient through the same taps), recorded: it is linear in the gradient,
// so its own VJP is the forward.
Tensor Upsample::backward(const Tensor& grad) const {
  Tensor go = contiguous(detach(grad));
  Tensor gx = empty(in_sizes, go->dtype, go->device());
  if (gx->numel() > 0) std::memset(gx->storage->data, 0, gx->numel() * gx->element_size());
  const int64_t Wi = W(), Wout = Wo();
  dispatch<kFloats>(go->dtype, "upsample_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool linear = mode == UpsampleMode::Linear;
    for_planes<T>(go->data<T>(), gx->data<T>(), Ho() * Wout, H() * Wi,
                  [&](const T* gp, T* xp, const AxisTaps<T>& th, const AxisTaps<T>& tw) {
      for (size_t oh = 0; oh < th.i0.size(); ++oh) {
        T* r0 = xp + th.i0[oh] * Wi;
        T* r1 = xp + th.i1[oh] * Wi;
        const T* gr = gp + oh * Wout;
        for (int64_t ow = 0; ow < Wout; ++ow) {
          const int64_t a = tw.i0[ow], b = tw.i1[ow];
          if (!linear) {
            r0[a] += gr[ow];
            continue;
          }
          const T g0 = gr[ow] * th.l0[oh], g1 = gr[ow] * th.l1[oh];
          r0[a] += g0 * tw.l0[ow];
          r0[b] += g0 * tw.l1[ow];
          r1[a] += g1 * tw.l0[ow];
          r1[b] += g1 * tw.l1[ow];
        }
      }
    });
  });
  if (auto node = make_node(node_name(true), [](OpNode& n, TensorList& gg) -> TensorList {
        const Upsample u = Upsample::of(n);
        return {upsample(gg[0], DimVec(u.out_sizes.begin() + 2, u.out_sizes.end()),
                         u.d1() ? std::vector<double>{u.sw} : std::vector<double>{u.sh, u.sw}, u.mode, u.align_corners)};
      }, {&grad})) {
    keep(*node);
    attach(node, gx);
  }
  return gx;
}

}  // namespace

Tensor upsample(const Tensor& input, const DimVec& output_size, const std::vector<double>& scales, UpsampleMode mode,
                bool align_corners) {
  static const char* op_names[3][2] = {{"upsample_nearest1d", "upsample_nearest2d"},
                                       {"_upsample_nearest_exact1d", "_upsample_nearest_exact2d"},
                                       {"upsample_linear1d", "upsample_bilinear2d"}};
  const int64_t sd = input->dim() - 2;
  GG_CHECK(sd == 1 || sd == 2, "[upsample] expected a 3-D or 4-D input, but got a ", input->dim(), "-D input");
  const char* op = op_names[int(mode)][sd - 1];
  check_device(input, op);
  GG_CHECK((int64_t)output_size.size() == sd && (int64_t)scales.size() == sd, "It is expected output_size and "
           "scales to have ", sd, " elements, but got ", output_size.size(), " and ", scales.size(), " [", op, "]");
  GG_CHECK_KIND(is_floating(input->dtype), NotImplemented, "\"", op, "\" not implemented for '",
                short_name(input->dtype), "'");
  const int64_t H = sd == 1 ? 1 : input->sizes[2], W = input->sizes.back();
  const int64_t Ho = sd == 1 ? 1 : output_size[0], Wo = output_size.back();
  const bool ok = H > 0 && W > 0 && Ho > 0 && Wo > 0;
  if (sd == 1)
    GG_CHECK(ok, "Input and output sizes should be greater than 0, but got input (W: ", W, ") and output (W: ", Wo,
             ") [", op, "]");
  else
    GG_CHECK(ok, "Input and output sizes should be greater than 0, but got input (H: ", H, ", W: ", W,
             ") output (H: ", Ho, ", W: ", Wo, ") [", op, "]");
  DimVec out_sizes{input->sizes[0], input->sizes[1]};
  for (int64_t s : output_size) out_sizes.push_back(s);
  const Upsample u{input->sizes, out_sizes, sd == 1 ? 0.0 : scales[0], scales.back(), mode,
                   mode == UpsampleMode::Linear && align_corners};
  Tensor out = u.forward(input);
  if (auto node = make_node(u.node_name(false), [](OpNode& n, TensorList& g) -> TensorList {
        return {Upsample::of(n).backward(g[0])};
      }, {&input})) {
    u.keep(*node);
    attach(node, out);
  }
  return out;
}

}  // namespace gg
