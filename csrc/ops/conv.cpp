// conv family. convolution (conv1d / conv2d and their transposes; 1-D is read as 2-D with a unit height):
// forward is im2col + one GEMM per (batch, group), transposed forward that conv's input gradient (GEMM +
// col2im); the VJP (ConvolutionBackward0) is the raw kernels when the backward is not recorded, and
// recorded im2col / col2im (Im2ColBackward0 / Col2ImBackward0, each the other's VJP) + matmul + convolution
// under create_graph, so double backward works.
// Also: unfold / fold, max_pool2d (with indices), avg_pool2d, adaptive_avg_pool2d.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/blas.h"
#include "kernels/fast_math.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/reduce.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

// PyTorch prints shapes in these messages as lists: [4, 3, 3, 3].
std::string lst(const DimVec& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

struct ConvGeom {
  int64_t N, C, H, W, O, kh, kw, Ho, Wo, sh, sw, ph, pw, dh, dw, G;
  int64_t Cg() const { return C / G; }
  int64_t Og() const { return O / G; }
  int64_t K() const { return Cg() * kh * kw; }
  int64_t HW() const { return Ho * Wo; }
};

// Runs fn(i) for i in [0, count), threaded when each item carries enough work (elements touched).
template <typename F>
void for_each_index(int64_t count, int64_t work_per_item, const F& fn) {
  const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, work_per_item));
  cpu::parallel_for_small(0, count, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(i);
  });
}

// Conv rows are short (often < 32 values): plain vector loops, where std::copy / std::fill would be
// memmove / memset calls costing more than the copy.
template <typename T>
inline void copy_span(const T* src, T* dst, int64_t n) {
  GG_SIMD for (int64_t k = 0; k < n; ++k) dst[k] = src[k];
}
template <typename T>
inline void fill_span(T* dst, int64_t n, T v) {
  GG_SIMD for (int64_t k = 0; k < n; ++k) dst[k] = v;
}

// The output columns [lo, hi) whose input column ow*s + off lies in [0, W).
inline void valid_cols(int64_t Wo, int64_t W, int64_t s, int64_t off, int64_t& lo, int64_t& hi) {
  lo = std::min(Wo, off >= 0 ? int64_t(0) : (-off + s - 1) / s);
  hi = std::max(lo, std::min(Wo, W - off <= 0 ? int64_t(0) : (W - off + s - 1) / s));
}

// col[(c*kh + i)*kw + j, oh*Wo + ow] = x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside); rows ld apart.
// Rows are short (LeNet's second conv: 1500 copies of 10 values per sample), so the valid output rows and
// columns of each tap are found once and the loop over output rows does nothing else.
template <typename T>
void im2col(const T* x, const ConvGeom& g, T* col, int64_t ld) {
  const int64_t Ho = g.Ho, Wo = g.Wo, W = g.W, sh = g.sh, sw = g.sw;
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t offh = i * g.dh - g.ph;
      int64_t rlo, rhi;
      valid_cols(Ho, g.H, sh, offh, rlo, rhi);
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * ld;
        const int64_t off = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_cols(Wo, W, sw, off, lo, hi);
        fill_span(row, rlo * Wo, T(0));
        fill_span(row + rhi * Wo, (Ho - rhi) * Wo, T(0));
        for (int64_t oh = rlo; oh < rhi; ++oh) {
          T* r = row + oh * Wo;
          const T* xr = x + (c * g.H + oh * sh + offh) * W + off;
          fill_span(r, lo, T(0));
          if (sw == 1) copy_span(xr + lo, r + lo, hi - lo);
          else
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * sw];
          fill_span(r + hi, Wo - hi, T(0));
        }
      }
    }
}

// The adjoint of im2col: accumulates col (rows ld apart) into x.
template <typename T>
void col2im(const T* col, const ConvGeom& g, T* x, int64_t ld) {
  const int64_t Wo = g.Wo, W = g.W, sh = g.sh, sw = g.sw;
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t offh = i * g.dh - g.ph;
      int64_t rlo, rhi;
      valid_cols(g.Ho, g.H, sh, offh, rlo, rhi);
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * ld;
        const int64_t off = j * g.dw - g.pw;
        int64_t lo, hi;
        valid_cols(Wo, W, sw, off, lo, hi);
        for (int64_t oh = rlo; oh < rhi; ++oh) {
          const T* r = row + oh * Wo;
          T* xr = x + (c * g.H + oh * sh + offh) * W + off;
          if (sw == 1) {
            GG_SIMD for (int64_t ow = lo; ow < hi; ++ow) xr[ow] += r[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) xr[ow * sw] += r[ow];
          }
        }
      }
    }
}

Tensor zeros_raw(const DimVec& sizes, DType dt, Device dev) {
  Tensor t = empty(sizes, dt, dev);
  if (t->numel() > 0) std::memset(t->storage->data, 0, t->numel() * t->element_size());
  return t;
}

ConvGeom geom_of(const DimVec& xs, const DimVec& ws, const DimVec& p) {
  ConvGeom g;
  const bool d1 = xs.size() == 3;  // conv1d: (N, C, L) read as (N, C, 1, L)
  g.N = xs[0]; g.C = xs[1]; g.H = d1 ? 1 : xs[2]; g.W = xs[d1 ? 2 : 3];
  g.O = ws[0]; g.kh = d1 ? 1 : ws[2]; g.kw = ws[d1 ? 2 : 3];
  g.sh = p[0]; g.sw = p[1]; g.ph = p[2]; g.pw = p[3]; g.dh = p[4]; g.dw = p[5]; g.G = p[6];
  g.Ho = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  return g;
}

// The node keeps a convolution's params in 2-D form:
// {sh, sw, ph, pw, dh, dw, groups, transposed, output_padding_h, output_padding_w}.
enum { kGroups = 6, kTransposed = 7, kOutPadH = 8, kOutPadW = 9 };

// The conv2d geometry of a convolution. A transposed conv is a conv run backwards (its forward is that
// conv's input gradient), so it takes that conv's geometry: its input (N, O, Ho, Wo) is the conv's output,
// its weight (O, C/G, kh, kw) the conv's weight and its output (N, C, H, W) the conv's input.
ConvGeom conv_geom(const DimVec& xs, const DimVec& ws, const DimVec& p) {
  if (!p[kTransposed]) return geom_of(xs, ws, p);
  const bool d1 = xs.size() == 3;
  ConvGeom g;
  g.N = xs[0]; g.O = xs[1]; g.Ho = d1 ? 1 : xs[2]; g.Wo = xs[d1 ? 2 : 3];
  g.G = p[kGroups]; g.C = ws[1] * g.G; g.kh = d1 ? 1 : ws[2]; g.kw = ws[d1 ? 2 : 3];
  g.sh = p[0]; g.sw = p[1]; g.ph = p[2]; g.pw = p[3]; g.dh = p[4]; g.dw = p[5];
  g.H = (g.Ho - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + p[kOutPadH] + 1;
  g.W = (g.Wo - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + p[kOutPadW] + 1;
  return g;
}

// Raw (unrecorded) kernels on contiguous tensors, named for the conv x (N, C, H, W) -> y (N, O, Ho, Wo) of
// geometry g: y = conv(x, w) is im2col + GEMM, gx = conv^T(gy, w) GEMM + col2im, gw = gy . im2col(x)^T.
//
// Note [conv threading]
// Samples are independent, so the samples are split in chunks, one per thread, each with its own scratch;
// a chunk runs its im2col, GEMMs and col2im on its thread, and its col scratch stays in cache between them
// (a whole-batch col matrix would not: LeNet's first conv makes 5 MB of it). Within a chunk one GEMM covers
// nb samples, their columns side by side (K x nb*HW), nb just large enough for kMinGemmCols columns and within
// kColBudget elements. The weight gradient sums over samples: each chunk sums its samples into its own
// partial and the partials are added in chunk order, so for a given thread count the bits never change.
// Work too small to split, or too few samples, runs as one chunk whose GEMMs thread themselves (blas.cpp).
constexpr int64_t kColBudget = int64_t(1) << 17;
constexpr int64_t kMinGemmCols = 256;
constexpr double kParallelConvMacs = double(1 << 20);

struct ConvBatching {
  int64_t nb, batches, chunks;  // samples per GEMM, GEMM batches, parallel chunks of batches
};

ConvBatching conv_batching(const ConvGeom& g) {
  const int64_t HW = std::max<int64_t>(1, g.HW()), per_sample = std::max<int64_t>(1, g.K() * HW);
  const int64_t nb = std::max<int64_t>(1, std::min({g.N, (kMinGemmCols + HW - 1) / HW, kColBudget / per_sample}));
  const int64_t batches = (g.N + nb - 1) / nb;
  const bool split = double(g.N) * double(g.O) * double(per_sample) >= kParallelConvMacs && !cpu::in_parallel_region();
  return {nb, batches, split ? std::min<int64_t>(cpu::get_num_threads(), batches) : 1};
}

// Runs f(col, blk, n0, nb, group, chunk) per batch of samples and group, the chunks in parallel; blk holds the
// group's (Og, nb*HW) y block when nb > 1. The buffers come from the caching allocator, uninitialized (every
// use writes them first).
template <typename T, typename F>
void each_conv_batch(const ConvGeom& g, DType dt, const ConvBatching& b, F f) {
  const int64_t col_size = g.K() * b.nb * g.HW(), blk_size = b.nb > 1 ? g.Og() * b.nb * g.HW() : 0;
  Tensor col = empty(DimVec{b.chunks * col_size}, dt, Device{});
  Tensor blk = empty(DimVec{b.chunks * blk_size}, dt, Device{});
  cpu::parallel_for_small(0, b.chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t i = c * b.batches / b.chunks; i < (c + 1) * b.batches / b.chunks; ++i)
        for (int64_t gr = 0; gr < g.G; ++gr)
          f(col->data<T>() + c * col_size, blk->data<T>() + c * blk_size, i * b.nb, std::min(b.nb, g.N - i * b.nb),
            gr, c);
  });
}

// Copies the group's channels of samples [n0, n0 + nb) between y's (N, O, HW) layout and the (Og, nb*HW) block.
template <typename T>
void relayout(const T* src, T* dst, const ConvGeom& g, int64_t n0, int64_t nb, int64_t gr, bool src_is_block) {
  const int64_t HW = g.HW(), Og = g.Og();
  for_each_index(nb, Og * HW, [&](int64_t n) {
    for (int64_t o = 0; o < Og; ++o) {
      const int64_t ya = ((n0 + n) * g.O + gr * Og + o) * HW, ba = o * nb * HW + n * HW;
      copy_span(src + (src_is_block ? ba : ya), dst + (src_is_block ? ya : ba), HW);
    }
  });
}

// The y-side operand of a batch's GEMM: y's own memory for one sample, else the gathered block.
template <typename T>
const T* y_block(const T* y, T* blk, const ConvGeom& g, int64_t n0, int64_t nb, int64_t gr) {
  if (nb == 1) return y + (n0 * g.O + gr * g.Og()) * g.HW();
  relayout(y, blk, g, n0, nb, gr, false);
  return blk;
}

template <typename T>
void im2col_batch(const T* x, T* col, const ConvGeom& g, int64_t n0, int64_t nb, int64_t gr) {
  for_each_index(nb, g.K() * g.HW(), [&](int64_t n) {
    im2col(x + ((n0 + n) * g.C + gr * g.Cg()) * g.H * g.W, g, col + n * g.HW(), nb * g.HW());
  });
}

Tensor conv_forward_raw(const Tensor& x, const Tensor& w, const ConvGeom& g, const DimVec& ysizes) {
  const int64_t K = g.K(), HW = g.HW(), Og = g.Og();
  if (K == 0 || Og == 0 || HW == 0) return zeros_raw(ysizes, x->dtype, x->device());
  Tensor y = empty(ysizes, x->dtype, x->device());
  dispatch<kFloats>(x->dtype, "convolution", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* yp = y->data<T>();
    each_conv_batch<T>(g, x->dtype, conv_batching(g), [&](T* col, T* blk, int64_t n0, int64_t nb, int64_t gr, int64_t) {
      im2col_batch(x->data<T>(), col, g, n0, nb, gr);
      T* dst = nb == 1 ? yp + (n0 * g.O + gr * Og) * HW : blk;
      cpu::gemm<T>(false, false, Og, nb * HW, K, T(1), w->data<T>() + gr * Og * K, K, col, nb * HW, T(0), dst, nb * HW);
      if (nb > 1) relayout<T>(blk, yp, g, n0, nb, gr, true);
    });
  });
  return y;
}

Tensor conv_input_grad_raw(const Tensor& gy, const Tensor& w, const ConvGeom& g, const DimVec& xsizes) {
  Tensor gx = zeros_raw(xsizes, gy->dtype, gy->device());
  const int64_t K = g.K(), HW = g.HW(), Og = g.Og();
  if (K == 0 || Og == 0 || HW == 0) return gx;
  dispatch<kFloats>(gy->dtype, "convolution", [&](auto tag) {
    using T = typename decltype(tag)::type;
    each_conv_batch<T>(g, gy->dtype, conv_batching(g), [&](T* col, T* blk, int64_t n0, int64_t nb, int64_t gr, int64_t) {
      const T* gyb = y_block(gy->data<T>(), blk, g, n0, nb, gr);
      cpu::gemm<T>(true, false, K, nb * HW, Og, T(1), w->data<T>() + gr * Og * K, K, gyb, nb * HW, T(0), col, nb * HW);
      for_each_index(nb, K * HW, [&](int64_t n) {
        col2im(col + n * HW, g, gx->data<T>() + ((n0 + n) * g.C + gr * g.Cg()) * g.H * g.W, nb * HW);
      });
    });
  });
  return gx;
}

Tensor conv_weight_grad_raw(const Tensor& gy, const Tensor& x, const ConvGeom& g, const DimVec& wsizes) {
  Tensor gw = zeros_raw(wsizes, x->dtype, x->device());
  const int64_t K = g.K(), HW = g.HW(), Og = g.Og();
  if (K == 0 || Og == 0 || HW == 0) return gw;
  const ConvBatching b = conv_batching(g);
  const int64_t OK = g.O * K;
  // Chunk 0 sums into gw, chunk c > 0 into partial c - 1 (Note [conv threading]).
  Tensor partial = zeros_raw(DimVec{(b.chunks - 1) * OK}, x->dtype, x->device());
  dispatch<kFloats>(x->dtype, "convolution", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* gwp = gw->data<T>();
    each_conv_batch<T>(g, x->dtype, b, [&](T* col, T* blk, int64_t n0, int64_t nb, int64_t gr, int64_t c) {
      const T* gyb = y_block(gy->data<T>(), blk, g, n0, nb, gr);
      im2col_batch(x->data<T>(), col, g, n0, nb, gr);
      T* dst = (c == 0 ? gwp : partial->data<T>() + (c - 1) * OK) + gr * Og * K;
      cpu::gemm<T>(false, true, Og, K, nb * HW, T(1), gyb, nb * HW, col, nb * HW, T(1), dst, K);
    });
    for (int64_t c = 1; c < b.chunks; ++c) {
      const T* p = partial->data<T>() + (c - 1) * OK;
      GG_SIMD for (int64_t k = 0; k < OK; ++k) gwp[k] += p[k];
    }
  });
  return gw;
}

// The bias of a contiguous (N, Ch, ...) output: added per channel, and its gradient (sums per channel).
void add_bias_raw(const Tensor& y, const Tensor& bias) {
  Tensor b = contiguous(detach(bias));
  const int64_t N = y->sizes[0], Ch = y->sizes[1], S = N * Ch == 0 ? 0 : y->numel() / (N * Ch);
  dispatch<kFloats>(y->dtype, "convolution", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(N * Ch, S, [&](int64_t p) {
      T* o = y->data<T>() + p * S;
      const T v = b->data<T>()[p % Ch];
      for (int64_t k = 0; k < S; ++k) o[k] += v;
    });
  });
}

Tensor bias_grad_raw(const Tensor& gy) {
  const int64_t N = gy->sizes[0], Ch = gy->sizes[1], S = N * Ch == 0 ? 0 : gy->numel() / (N * Ch);
  Tensor gb = zeros_raw(DimVec{Ch}, gy->dtype, gy->device());
  if (S == 0) return gb;
  dispatch<kFloats>(gy->dtype, "convolution_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Each (sample, channel) plane summed in vector lanes, then the samples in order.
    const std::vector<double> planes = cpu::row_reduce(gy->data<T>(), N * Ch, S, 0.0, [](int64_t, T v) { return v; },
                                                       [](double a, double b) { return a + b; });
    for (int64_t c = 0; c < Ch; ++c) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += planes[n * Ch + c];
      gb->data<T>()[c] = T(s);
    }
  });
  return gb;
}

// Recorded im2col / col2im over whole (N, C, H, W) tensors (no groups): each is the other's VJP,
// so the conv VJP built from them (and matmul) is differentiable again. p = {kh, kw, sh, sw, ph, pw, dh, dw}.
ConvGeom unfold_geom(const DimVec& xs, const DimVec& p) {
  return geom_of(xs, DimVec{1, xs[1], p[0], p[1]}, DimVec{p[2], p[3], p[4], p[5], p[6], p[7], 1});
}
Tensor col2im_op(const Tensor& cols, const DimVec& xshape, const DimVec& p);

Tensor im2col_op(const Tensor& x_in, const DimVec& p) {
  const ConvGeom g = unfold_geom(x_in->sizes, p);
  Tensor x = contiguous(detach(x_in));
  const int64_t K = g.K(), L = g.HW();
  Tensor out = empty(DimVec{g.N, K, L}, x->dtype, x->device());
  dispatch<kFloats>(x->dtype, "im2col", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(g.N, K * L, [&](int64_t n) { im2col(x->data<T>() + n * g.C * g.H * g.W, g, out->data<T>() + n * K * L, L); });
  });
  if (auto node = make_node("Im2ColBackward0", [](OpNode& n, TensorList& gr) -> TensorList {
        return {col2im_op(gr[0], n.shape, n.shape2)};
      }, {&x_in})) {
    node->shape = x_in->sizes;
    node->shape2 = p;
    attach(node, out);
  }
  return out;
}

Tensor col2im_op(const Tensor& cols_in, const DimVec& xshape, const DimVec& p) {
  const ConvGeom g = unfold_geom(xshape, p);
  Tensor cols = contiguous(detach(cols_in));
  const int64_t K = g.K(), L = g.HW();
  Tensor out = zeros_raw(xshape, cols->dtype, cols->device());
  dispatch<kFloats>(cols->dtype, "col2im", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(g.N, K * L, [&](int64_t n) { col2im(cols->data<T>() + n * K * L, g, out->data<T>() + n * g.C * g.H * g.W, L); });
  });
  if (auto node = make_node("Col2ImBackward0", [](OpNode& n, TensorList& gr) -> TensorList {
        return {im2col_op(gr[0], n.shape2)};
      }, {&cols_in})) {
    node->shape2 = p;
    attach(node, out);
  }
  return out;
}

// gw of the conv x -> y (4-D) from recorded im2col + matmul, so it is differentiable again.
Tensor conv_weight_grad_recorded(const Tensor& gy, const Tensor& x, const DimVec& ws, const DimVec& P) {
  const int64_t N = x->sizes[0], G = P[kGroups], Og = ws[0] / G, K = ws[1] * ws[2] * ws[3];
  const int64_t L = gy->sizes[2] * gy->sizes[3];
  Tensor cols = reshape(im2col_op(x, DimVec{ws[2], ws[3], P[0], P[1], P[2], P[3], P[4], P[5]}), DimVec{N, G, K, L});
  return sum(matmul(reshape(gy, DimVec{N, G, Og, L}), transpose(cols, 2, 3)), DimVec{0}, false);
}

// The conv VJP from recorded ops (used when the backward itself is recorded: create_graph=True).
void conv_backward_recorded(const Tensor& go_in, const Tensor& x_in, const Tensor& w_in, const DimVec& P,
                            bool need_x, bool need_w, bool need_b, Tensor& gx, Tensor& gw, Tensor& gb) {
  const bool d1 = x_in->dim() == 3;
  Tensor x = d1 ? unsqueeze(x_in, 2) : x_in, w = d1 ? unsqueeze(w_in, 2) : w_in, go = d1 ? unsqueeze(go_in, 2) : go_in;
  if (P[kTransposed]) {
    // y = conv^T(x, w): gx = conv(gy, w), gw = that conv's weight grad with x as its output grad. conv(gy) is
    // longer than x by output_padding / stride (output_padding >= stride, allowed under dilation): crop it
    // and zero-pad x to it.
    const ConvGeom g = geom_of(go->sizes, w->sizes, P);
    const int64_t eh = g.Ho - x->sizes[2], ew = g.Wo - x->sizes[3];
    if (need_x) {
      gx = convolution(go, w, Tensor(), DimVec{P[0], P[1]}, DimVec{P[2], P[3]}, DimVec{P[4], P[5]}, P[kGroups],
                       false, DimVec{0, 0});
      if (eh || ew) gx = constant_pad_nd(gx, DimVec{0, -ew, 0, -eh}, Scalar::from_int(0));
    }
    if (need_w)
      gw = conv_weight_grad_recorded((eh || ew) ? constant_pad_nd(x, DimVec{0, ew, 0, eh}, Scalar::from_int(0)) : x,
                                     go, w->sizes, P);
  } else {
    if (need_x) {
      const int64_t N = x->sizes[0], G = P[kGroups], Og = w->sizes[0] / G, K = w->sizes[1] * w->sizes[2] * w->sizes[3];
      const int64_t L = go->sizes[2] * go->sizes[3];
      Tensor cols = matmul(transpose(reshape(w, DimVec{G, Og, K}), 1, 2), reshape(go, DimVec{N, G, Og, L}));
      gx = col2im_op(reshape(cols, DimVec{N, G * K, L}), x->sizes,
                     DimVec{w->sizes[2], w->sizes[3], P[0], P[1], P[2], P[3], P[4], P[5]});
    }
    if (need_w) gw = conv_weight_grad_recorded(go, x, w->sizes, P);
  }
  if (gx && d1) gx = squeeze_dim(gx, 2);
  if (gw) gw = reshape(gw, w_in->sizes);
  if (need_b) {
    DimVec dims{0};
    for (int64_t d = 2; d < go_in->dim(); ++d) dims.push_back(d);
    gb = sum(go_in, dims, false);
  }
}

}  // namespace

Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVec& stride_in,
                   const DimVec& padding_in, const DimVec& dilation_in, int64_t groups, bool transposed,
                   const DimVec& output_padding_in) {
  const int64_t sd = input->dim() == 3 ? 1 : 2;  // spatial dims
  const char* op = transposed ? (sd == 1 ? "conv_transpose1d" : "conv_transpose2d") : (sd == 1 ? "conv1d" : "conv2d");
  check_same_device(input, weight, op);
  GG_CHECK(input->dim() == 3 || input->dim() == 4, "Expected ", sd + 1, "D (unbatched) or ", sd + 2,
           "D (batched) input to ", op, ", but got input of size: ", lst(input->sizes));
  GG_CHECK(weight->dim() == input->dim(), op, ": expected weight to be ", input->dim(),
           "-dimensional, but got weight of size ", lst(weight->sizes), " for input of size ",
           lst(input->sizes));
  GG_CHECK((int64_t)stride_in.size() == sd && (int64_t)padding_in.size() == sd && (int64_t)dilation_in.size() == sd &&
               (int64_t)output_padding_in.size() == sd,
           op, ": expected stride, padding, dilation and output_padding to have ", sd, " elements");
  // 1-D reads as 2-D with a unit height.
  const auto two = [&](const DimVec& v, int64_t h) { return sd == 1 ? DimVec{h, v[0]} : v; };
  const DimVec stride = two(stride_in, 1), padding = two(padding_in, 0), dilation = two(dilation_in, 1);
  const DimVec outpad = two(output_padding_in, 0);
  GG_CHECK(stride[0] > 0 && stride[1] > 0, "non-positive stride is not supported [", op, ": stride ",
           lst(stride_in), "]");
  GG_CHECK(padding[0] >= 0 && padding[1] >= 0, "negative padding is not supported [", op, ": padding ",
           lst(padding_in), "]");
  GG_CHECK(outpad[0] >= 0 && outpad[1] >= 0, "negative output_padding is not supported [", op,
           ": output_padding ", lst(output_padding_in), "]");
  GG_CHECK(dilation[0] > 0 && dilation[1] > 0, "dilation should be greater than zero [", op, ": dilation ",
           lst(dilation_in), "]");
  GG_CHECK(groups > 0, "non-positive groups is not supported [", op, ": groups=", groups, "]");
  GG_CHECK_KIND(is_floating(input->dtype), NotImplemented, "\"", op, "\" not implemented for '",
                short_name(input->dtype), "'");
  GG_CHECK(input->dtype == weight->dtype, "Input type (", short_name(input->dtype), ") and weight type (",
           short_name(weight->dtype), ") should be the same [", op, "]");
  GG_CHECK(weight->sizes[0] >= groups, "Given groups=", groups, ", expected weight to be at least ", groups,
           " at dimension 0, but got weight of size ", lst(weight->sizes), " instead [", op, "]");
  GG_CHECK(weight->sizes[0] % groups == 0, "Given groups=", groups,
           ", expected weight to be divisible by ", groups, " at dimension 0, but got weight of size ",
           lst(weight->sizes), " instead [", op, "]");
  // The channels the input must have and the output gets: a transposed weight is (in, out/groups, k...).
  const int64_t in_ch = transposed ? weight->sizes[0] : weight->sizes[1] * groups;
  const int64_t out_ch = transposed ? weight->sizes[1] * groups : weight->sizes[0];
  GG_CHECK(input->sizes[1] == in_ch, "Given ", transposed ? std::string("transposed=1") : "groups=" + std::to_string(groups),
           ", weight of size ",
           lst(weight->sizes), ", expected input", lst(input->sizes), " to have ", in_ch, " channels, but got ",
           input->sizes[1], " channels instead [", op, "]");
  GG_CHECK(out_ch > 0, "non-empty ", input->dim(), "D weight tensor expected, but got: ", lst(weight->sizes), " [", op,
           "]");
  if (bias) {
    check_same_device(input, bias, op);
    GG_CHECK(bias->dim() == 1 && bias->sizes[0] == out_ch, "Given ", transposed ? "transposed=1, " : "",
             "weight of size ", lst(weight->sizes), ", expected bias to be 1-dimensional with ", out_ch,
             " elements, but got bias of size ", lst(bias->sizes), " instead [", op, "]");
    GG_CHECK(bias->dtype == input->dtype, "Input type (", short_name(input->dtype), ") and bias type (",
             short_name(bias->dtype), ") should be the same [", op, "]");
  }
  const DimVec params{stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups,
                      transposed ? 1 : 0, outpad[0], outpad[1]};
  const ConvGeom g = conv_geom(input->sizes, weight->sizes, params);
  Tensor x = contiguous(detach(input)), w = contiguous(detach(weight));
  Tensor out;
  if (transposed) {
    GG_CHECK((outpad[0] < stride[0] || outpad[0] < dilation[0]) && (outpad[1] < stride[1] || outpad[1] < dilation[1]),
             "output padding must be smaller than either stride or dilation, but got output_padding_height: ",
             outpad[0], " output_padding_width: ", outpad[1], " stride_height: ", stride[0], " stride_width: ",
             stride[1], " dilation_height: ", dilation[0], " dilation_width: ", dilation[1], " [", op, "]");
    GG_CHECK(g.H > 0 && g.W > 0, "Given input size per channel: (", g.Ho, " x ", g.Wo,
             "). Calculated output size per channel: (", g.H, " x ", g.W, "). Output size is too small [", op, "]");
    out = conv_input_grad_raw(x, w, g, sd == 1 ? DimVec{g.N, g.C, g.W} : DimVec{g.N, g.C, g.H, g.W});
  } else {
    const int64_t eh = g.dh * (g.kh - 1) + 1, ew = g.dw * (g.kw - 1) + 1;
    GG_CHECK(g.H + 2 * g.ph >= eh && g.W + 2 * g.pw >= ew, "Calculated padded input size per channel: (",
             g.H + 2 * g.ph, " x ", g.W + 2 * g.pw, "). Kernel size: (", eh, " x ", ew,
             "). Kernel size can't be greater than actual input size [", op, "]");
    out = conv_forward_raw(x, w, g, sd == 1 ? DimVec{g.N, g.O, g.Wo} : DimVec{g.N, g.O, g.Ho, g.Wo});
  }
  if (bias) add_bias_raw(out, bias);
  if (auto node = make_node("ConvolutionBackward0", [](OpNode& n, TensorList& grads) -> TensorList {
        Tensor gx, gw, gb;
        if (!grads[0]) return {gx, gw, gb};
        const bool nx = n.needs_input_grad(0), nw = n.needs_input_grad(1), nb = n.needs_input_grad(2);
        if (grad_enabled()) {  // create_graph: a differentiable VJP
          conv_backward_recorded(grads[0], n.get(0), n.get(1), n.shape, nx, nw, nb, gx, gw, gb);
          return {gx, gw, gb};
        }
        Tensor x = contiguous(detach(n.get(0))), w = contiguous(detach(n.get(1)));
        Tensor go = contiguous(detach(grads[0]));
        const ConvGeom g = conv_geom(x->sizes, w->sizes, n.shape);
        if (!n.shape[kTransposed]) {
          if (nx) gx = conv_input_grad_raw(go, w, g, x->sizes);
          if (nw) gw = conv_weight_grad_raw(go, x, g, w->sizes);
        } else {  // the conv's roles swapped: gy is its input, x its output gradient
          if (nx) gx = conv_forward_raw(go, w, g, x->sizes);
          if (nw) gw = conv_weight_grad_raw(x, go, g, w->sizes);
        }
        if (nb) gb = bias_grad_raw(go);
        return {gx, gw, gb};
      }, {&input, &weight, &bias})) {
    node->shape = params;
    node->save("input", input);
    node->save("weight", weight);
    attach(node, out);
  }
  return out;
}


// ---- pooling: max_pool2d (with indices), avg_pool2d, adaptive_avg_pool2d ----
namespace {

int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

// Input (C, H, W) or (N, C, H, W) read as P planes of H x W.
struct Planes {
  int64_t P, H, W;
  DimVec lead;  // sizes before H, W
};

Planes planes_of(const Tensor& x, const char* op) {
  GG_CHECK(x->dim() == 3 || x->dim() == 4, "non-empty 3D or 4D (batch mode) tensor expected for input [", op,
           ": got input of size ", lst(x->sizes), "]");
  for (int64_t d = 1; d < x->dim(); ++d)
    GG_CHECK(x->sizes[d] > 0, "Expected input's non-batch dimensions to have positive length, but input has a shape of ",
             lst(x->sizes), " and non-batch dimension ", x->sizes[d], " has length zero! [", op, "]");
  GG_CHECK_KIND(is_floating(x->dtype), NotImplemented, "\"", op, "\" not implemented for '", short_name(x->dtype), "'");
  Planes p;
  p.H = x->sizes[x->dim() - 2];
  p.W = x->sizes[x->dim() - 1];
  p.lead = DimVec(x->sizes.begin(), x->sizes.end() - 2);
  p.P = 1;
  for (auto s : p.lead) p.P *= s;
  return p;
}

DimVec with_hw(const DimVec& lead, int64_t h, int64_t w) {
  DimVec s = lead;
  s.push_back(h);
  s.push_back(w);
  return s;
}

struct PoolWindow {
  int64_t H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw;
  const int64_t* cols;     // per tap column j: the valid output columns [cols[2j], cols[2j+1]) (valid_cols)
  const int64_t* tap_off;  // per tap (i, j): i*dh*W + j*dw - pw, its input index less (oh*sh - ph)*W + ow*sw
};

// One plane of max_pool2d, row by row and one tap at a time across the row, so the select vectorizes (as a
// scalar branch on random data it mispredicts about half the time). Across the row it keeps only the winning
// tap's number (int32, as wide as the float lanes) and turns it into the input index once the row is done.
// The window is copied into locals: read through a reference it could alias the stores, keeping the loop scalar;
// GG_SIMD spares the short rows (LeNet's are 14 wide) the compiler's runtime overlap check of input and output.
// kStride > 0 fixes the column stride at compile time: stride 2 (the usual pooling) then loads with shuffles
// instead of gathers, which are slow on this CPU (tens of cycles each). NaN wins, as in PyTorch; an empty
// window gives index 0.
template <typename T, int kStride>
void max_pool_plane(const T* xs, T* o, int64_t* ip, const PoolWindow& win) {
  const int64_t H = win.H, W = win.W, Ho = win.Ho, Wo = win.Wo, kh = win.kh, kw = win.kw, sh = win.sh;
  const int64_t sw = kStride > 0 ? kStride : win.sw;
  const int64_t ph = win.ph, pw = win.pw, dh = win.dh, dw = win.dw;
  std::vector<int32_t> tap(Wo);
  int32_t* tp = tap.data();
  for (int64_t oh = 0; oh < Ho; ++oh) {
    T* orow = o + oh * Wo;
    fill_span(orow, Wo, -std::numeric_limits<T>::infinity());
    fill_span(tp, Wo, int32_t(-1));
    for (int64_t i = 0; i < kh; ++i) {
      const int64_t ih = oh * sh - ph + i * dh;
      if (ih < 0 || ih >= H) continue;
      for (int64_t j = 0; j < kw; ++j) {
        const int64_t lo = win.cols[2 * j], hi = win.cols[2 * j + 1];
        const T* xr = xs + ih * W + j * dw - pw;
        const int32_t t = int32_t(i * kw + j);
        GG_SIMD for (int64_t ow = lo; ow < hi; ++ow) {
          const T v = xr[ow * sw];
          const bool take = (tp[ow] < 0) | (v > orow[ow]) | (v != v);
          orow[ow] = take ? v : orow[ow];
          tp[ow] = take ? t : tp[ow];
        }
      }
    }
    int64_t* irow = ip + oh * Wo;
    const int64_t row0 = (oh * sh - ph) * W;
    for (int64_t ow = 0; ow < Wo; ++ow) irow[ow] = tp[ow] < 0 ? 0 : row0 + win.tap_off[tp[ow]] + ow * sw;
  }
}

void check_pool_args(const char* op, const DimVec& k, const DimVec& s, const DimVec& pad, const DimVec& dil) {
  GG_CHECK(k.size() == 2 && s.size() == 2 && pad.size() == 2 && dil.size() == 2, op,
           ": kernel_size, stride, padding and dilation must have 2 elements");
  GG_CHECK(k[0] > 0 && k[1] > 0, "kernel size should be greater than zero, but got kH: ", k[0], " kW: ", k[1],
           " [", op, "]");
  GG_CHECK(s[0] > 0 && s[1] > 0, "stride should be greater than zero, but got dH: ", s[0], " dW: ", s[1], " [", op, "]");
  GG_CHECK(dil[0] > 0 && dil[1] > 0, "dilation should be greater than zero, but got dilationH: ", dil[0],
           " dilationW: ", dil[1], " [", op, "]");
  GG_CHECK(pad[0] >= 0 && pad[1] >= 0 && pad[0] <= k[0] / 2 && pad[1] <= k[1] / 2,
           "pad should be at most half of effective kernel size, but got pad=", lst(pad), ", kernel_size=",
           lst(k), " [", op, "]");
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const DimVec& k, const DimVec& s,
                                                  const DimVec& pad, const DimVec& dil, bool ceil_mode) {
  const char* op = "max_pool2d";
  check_pool_args(op, k, s, pad, dil);
  Planes pl = planes_of(input, op);
  const int64_t Ho = pool_out_size(pl.H, k[0], s[0], pad[0], dil[0], ceil_mode);
  const int64_t Wo = pool_out_size(pl.W, k[1], s[1], pad[1], dil[1], ceil_mode);
  GG_CHECK(Ho > 0 && Wo > 0, "Given input size: (", pl.H, "x", pl.W, "). Calculated output size: (", Ho, "x", Wo,
           "). Output size is too small [", op, ": input of size ", lst(input->sizes), "]");
  Tensor x = contiguous(detach(input));
  const DimVec oshape = with_hw(pl.lead, Ho, Wo);
  Tensor out = empty(oshape, x->dtype, x->device());
  Tensor idx = empty(oshape, DType::Int64, x->device());
  const int64_t kh = k[0], kw = k[1], sh = s[0], sw = s[1], ph = pad[0], pw = pad[1], dh = dil[0], dw = dil[1];
  const int64_t H = pl.H, W = pl.W;
  dispatch<kFloats>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x->data<T>();
    T* o = out->data<T>();
    int64_t* ip = idx->data<int64_t>();
    std::vector<int64_t> cols(2 * kw), tap_off(kh * kw);
    for (int64_t j = 0; j < kw; ++j) valid_cols(Wo, W, sw, j * dw - pw, cols[2 * j], cols[2 * j + 1]);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) tap_off[i * kw + j] = i * dh * W + j * dw - pw;
    const PoolWindow win{H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw, cols.data(), tap_off.data()};
    for_each_index(pl.P, Ho * Wo * kh * kw, [&](int64_t p) {
      if (sw == 2) max_pool_plane<T, 2>(xp + p * H * W, o + p * Ho * Wo, ip + p * Ho * Wo, win);
      else max_pool_plane<T, 0>(xp + p * H * W, o + p * Ho * Wo, ip + p * Ho * Wo, win);
    });
  });
  if (auto node = make_node("MaxPool2DWithIndicesBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        // Add the gradient into the argmax positions: a raw loop per plane, or under create_graph a recorded
        // scatter_add, so double backward works.
        Tensor ind = n.get(1);
        const DimVec& xs = n.shape;
        const int64_t HW = xs[xs.size() - 2] * xs[xs.size() - 1];
        const int64_t HoWo = ind->sizes[ind->dim() - 2] * ind->sizes[ind->dim() - 1];
        const int64_t P = HoWo == 0 ? 0 : ind->numel() / HoWo;
        Tensor base = zeros_raw(DimVec{P, HW}, n.dtype, g[0]->device());
        if (base->numel() == 0 || HoWo == 0) return {reshape(base, xs)};
        if (grad_enabled())
          return {reshape(scatter_add(base, 1, reshape(ind, DimVec{P, HoWo}), reshape(g[0], DimVec{P, HoWo})), xs)};
        Tensor go = contiguous(detach(g[0]));
        dispatch<kFloats>(n.dtype, "max_pool2d_backward", [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* gp = go->data<T>();
          const int64_t* ip = ind->data<int64_t>();
          T* xg = base->data<T>();
          for_each_index(P, HoWo, [&](int64_t p) {
            for (int64_t o = p * HoWo; o < (p + 1) * HoWo; ++o) xg[p * HW + ip[o]] += gp[o];
          });
        });
        return {reshape(base, xs)};
      }, {&input})) {
    node->shape = input->sizes;
    node->dtype = input->dtype;
    node->save("self", input);
    node->save("result1", idx);
    attach(node, out);
  }
  return {out, idx};
}

namespace {

// Shared by avg_pool2d's forward and backward: calls f(out_pos, in_pos, 1/divisor) for each tap.
struct AvgPoolCfg {
  int64_t H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, divisor;  // divisor 0: none
  bool count_include_pad;
};

template <typename F>
void avg_pool_taps(const AvgPoolCfg& c, F f) {
  for (int64_t oh = 0; oh < c.Ho; ++oh)
    for (int64_t ow = 0; ow < c.Wo; ++ow) {
      int64_t hs = oh * c.sh - c.ph, ws = ow * c.sw - c.pw;
      int64_t he = std::min(hs + c.kh, c.H + c.ph), we = std::min(ws + c.kw, c.W + c.pw);
      const int64_t pool = (he - hs) * (we - ws);
      hs = std::max<int64_t>(hs, 0);
      ws = std::max<int64_t>(ws, 0);
      he = std::min(he, c.H);
      we = std::min(we, c.W);
      if (hs >= he || ws >= we) continue;
      const int64_t div = c.divisor ? c.divisor : c.count_include_pad ? pool : (he - hs) * (we - ws);
      const double inv = 1.0 / double(div);
      for (int64_t ih = hs; ih < he; ++ih)
        for (int64_t iw = ws; iw < we; ++iw) f(oh * c.Wo + ow, ih * c.W + iw, inv, div);
    }
}

// Adaptive windows: [floor(i*in/out), ceil((i+1)*in/out)).
inline int64_t ad_start(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
inline int64_t ad_end(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

namespace {
// avg_pool2d's VJP as a recorded op (linear in the gradient: its own VJP is avg_pool2d again).
// q = {kh, kw, sh, sw, ph, pw, divisor, count_include_pad, ceil_mode}.
Tensor avg_pool2d_backward_op(const Tensor& g_in, const DimVec& xs, const DimVec& q) {
  Tensor go = contiguous(detach(g_in));
  AvgPoolCfg c{xs[xs.size() - 2], xs[xs.size() - 1], go->sizes[go->dim() - 2], go->sizes[go->dim() - 1],
               q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] != 0};
  Tensor gx = zeros_raw(xs, go->dtype, go->device());
  const int64_t P = c.Ho * c.Wo == 0 ? 0 : go->numel() / (c.Ho * c.Wo);
  dispatch<kFloats>(go->dtype, "avg_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(P, c.Ho * c.Wo * c.kh * c.kw, [&](int64_t p) {
      const T* gs = go->data<T>() + p * c.Ho * c.Wo;
      T* xg = gx->data<T>() + p * c.H * c.W;
      avg_pool_taps(c, [&](int64_t o, int64_t r, double, int64_t div) { xg[r] += gs[o] / T(div); });
    });
  });
  if (auto node = make_node("AvgPool2DBackwardBackward0", [](OpNode& n, TensorList& gg) -> TensorList {
        const DimVec& q = n.shape2;
        return {avg_pool2d(gg[0], DimVec{q[0], q[1]}, DimVec{q[2], q[3]}, DimVec{q[4], q[5]}, q[8] != 0, q[7] != 0,
                           q[6])};
      }, {&g_in})) {
    node->shape2 = q;
    attach(node, gx);
  }
  return gx;
}
}  // namespace

Tensor avg_pool2d(const Tensor& input, const DimVec& k, const DimVec& s, const DimVec& pad, bool ceil_mode,
                  bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d";
  check_pool_args(op, k, s, pad, DimVec{1, 1});
  GG_CHECK(divisor_override >= 0, "divisor must be not zero [", op, "]");
  Planes pl = planes_of(input, op);
  const int64_t Ho = pool_out_size(pl.H, k[0], s[0], pad[0], 1, ceil_mode);
  const int64_t Wo = pool_out_size(pl.W, k[1], s[1], pad[1], 1, ceil_mode);
  GG_CHECK(Ho > 0 && Wo > 0, "Given input size: (", pl.H, "x", pl.W, "). Calculated output size: (", Ho, "x", Wo,
           "). Output size is too small [", op, ": input of size ", lst(input->sizes), "]");
  const AvgPoolCfg cfg{pl.H, pl.W, Ho, Wo, k[0], k[1], s[0], s[1], pad[0], pad[1], divisor_override,
                       count_include_pad};
  Tensor x = contiguous(detach(input));
  Tensor out = zeros_raw(with_hw(pl.lead, Ho, Wo), x->dtype, x->device());
  dispatch<kFloats>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x->data<T>();
    T* o = out->data<T>();
    for_each_index(pl.P, Ho * Wo * k[0] * k[1], [&](int64_t p) {
      const T* xs = xp + p * pl.H * pl.W;
      T* os = o + p * Ho * Wo;
      // sum then divide, as PyTorch does
      std::vector<T> acc(Ho * Wo, T(0));
      std::vector<int64_t> dv(Ho * Wo, 1);
      avg_pool_taps(cfg, [&](int64_t q, int64_t r, double, int64_t div) { acc[q] += xs[r]; dv[q] = div; });
      for (int64_t q = 0; q < Ho * Wo; ++q) os[q] = acc[q] / T(dv[q]);
    });
  });
  if (auto node = make_node("AvgPool2DBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {avg_pool2d_backward_op(g[0], n.shape, n.shape2)};
      }, {&input})) {
    node->shape = input->sizes;
    node->shape2 = DimVec{k[0], k[1], s[0], s[1], pad[0], pad[1], divisor_override, count_include_pad ? 1 : 0,
                          ceil_mode ? 1 : 0};
    node->save("self", input);
    attach(node, out);
  }
  return out;
}

namespace {
// adaptive_avg_pool2d's VJP as a recorded op (its own VJP is adaptive_avg_pool2d again).
Tensor adaptive_avg_pool2d_backward_op(const Tensor& g_in, const DimVec& xs) {
  const int64_t H = xs[xs.size() - 2], W = xs[xs.size() - 1];
  Tensor go = contiguous(detach(g_in));
  const int64_t Ho = go->sizes[go->dim() - 2], Wo = go->sizes[go->dim() - 1];
  Tensor gx = zeros_raw(xs, go->dtype, go->device());
  const int64_t P = Ho * Wo == 0 ? 0 : go->numel() / (Ho * Wo);
  dispatch<kFloats>(go->dtype, "adaptive_avg_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(P, H * W, [&](int64_t p) {
      const T* gs = go->data<T>() + p * Ho * Wo;
      T* xg = gx->data<T>() + p * H * W;
      for (int64_t oh = 0; oh < Ho; ++oh) {
        const int64_t hs = ad_start(oh, Ho, H), he = ad_end(oh, Ho, H);
        for (int64_t ow = 0; ow < Wo; ++ow) {
          const int64_t ws = ad_start(ow, Wo, W), we = ad_end(ow, Wo, W);
          const T v = gs[oh * Wo + ow] / T((he - hs) * (we - ws));
          for (int64_t ih = hs; ih < he; ++ih)
            for (int64_t iw = ws; iw < we; ++iw) xg[ih * W + iw] += v;
        }
      }
    });
  });
  if (auto node = make_node("AdaptiveAvgPool2DBackwardBackward0", [](OpNode& n, TensorList& gg) -> TensorList {
        return {adaptive_avg_pool2d(gg[0], n.shape2)};
      }, {&g_in})) {
    node->shape2 = DimVec{Ho, Wo};
    attach(node, gx);
  }
  return gx;
}
}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& input, const DimVec& output_size) {
  const char* op = "adaptive_avg_pool2d";
  GG_CHECK(output_size.size() == 2, op, ": output_size must be 2");
  GG_CHECK(output_size[0] >= 0 && output_size[1] >= 0, op, ": elements of output_size must be greater than or equal to 0 but received ",
           lst(output_size));
  Planes pl = planes_of(input, op);
  const int64_t Ho = output_size[0], Wo = output_size[1];
  Tensor x = contiguous(detach(input));
  Tensor out = zeros_raw(with_hw(pl.lead, Ho, Wo), x->dtype, x->device());
  dispatch<kFloats>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for_each_index(pl.P, pl.H * pl.W, [&](int64_t p) {
      const T* xs = x->data<T>() + p * pl.H * pl.W;
      T* os = out->data<T>() + p * Ho * Wo;
      for (int64_t oh = 0; oh < Ho; ++oh) {
        const int64_t hs = ad_start(oh, Ho, pl.H), he = ad_end(oh, Ho, pl.H);
        for (int64_t ow = 0; ow < Wo; ++ow) {
          const int64_t ws = ad_start(ow, Wo, pl.W), we = ad_end(ow, Wo, pl.W);
          T acc = T(0);
          for (int64_t ih = hs; ih < he; ++ih)
            for (int64_t iw = ws; iw < we; ++iw) acc += xs[ih * pl.W + iw];
          os[oh * Wo + ow] = acc / T((he - hs) * (we - ws));
        }
      }
    });
  });
  if (auto node = make_node("AdaptiveAvgPool2DBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        return {adaptive_avg_pool2d_backward_op(g[0], n.shape)};
      }, {&input})) {
    node->shape = input->sizes;
    node->save("self", input);
    attach(node, out);
  }
  return out;
}


// ---- unfold / fold (nn.functional.unfold / fold): the recorded im2col / col2im above ----
namespace {
void check_unfold_args(const char* op, const DimVec& k, const DimVec& d, const DimVec& p, const DimVec& s) {
  GG_CHECK(k.size() == 2 && d.size() == 2 && p.size() == 2 && s.size() == 2, op,
           ": kernel_size, dilation, padding and stride must have 2 elements");
  GG_CHECK(k[0] > 0 && k[1] > 0, "kernel size should be greater than zero, but got kernel_height: ", k[0],
           " kernel_width: ", k[1], " [", op, "]");
  GG_CHECK(d[0] > 0 && d[1] > 0, "dilation should be greater than zero, but got dilation_height: ", d[0],
           " dilation_width: ", d[1], " [", op, "]");
  GG_CHECK(p[0] >= 0 && p[1] >= 0, "padding should be non-negative, but got pad_height: ", p[0], " pad_width: ", p[1],
           " [", op, "]");
  GG_CHECK(s[0] > 0 && s[1] > 0, "stride should be greater than zero, but got stride_height: ", s[0],
           " stride_width: ", s[1], " [", op, "]");
}
}  // namespace

Tensor unfold_im2col(const Tensor& input, const DimVec& k, const DimVec& d, const DimVec& p, const DimVec& s) {
  check_unfold_args("unfold", k, d, p, s);
  GG_CHECK(input->dim() == 4, "Input Error: Only 3D or 4D input Tensors are supported (got ", input->dim(),
           "D) [unfold: input of size ", lst(input->sizes), "]");
  GG_CHECK_KIND(is_floating(input->dtype), NotImplemented, "\"im2col\" not implemented for '", short_name(input->dtype), "'");
  const DimVec q{k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]};
  const ConvGeom g = unfold_geom(input->sizes, q);
  GG_CHECK(g.Ho > 0 && g.Wo > 0, "Given input with spatial size (", g.H, ", ", g.W, "), kernel_size=(", k[0], ", ",
           k[1], "), dilation=(", d[0], ", ", d[1], "), padding=(", p[0], ", ", p[1],
           "), calculated shape of the array of sliding blocks as (", g.Ho, ", ", g.Wo,
           "), but its components must be at least one. [unfold]");
  return im2col_op(input, q);
}

Tensor fold_col2im(const Tensor& input, const DimVec& out_size, const DimVec& k, const DimVec& d, const DimVec& p,
                   const DimVec& s) {
  check_unfold_args("fold", k, d, p, s);
  GG_CHECK(out_size.size() == 2 && out_size[0] > 0 && out_size[1] > 0,
           "fold: expected output_size to be 2 positive values, but got ", lst(out_size));
  GG_CHECK(input->dim() == 3, "Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got ",
           input->dim(), "D) [fold: input of size ", lst(input->sizes), "]");
  GG_CHECK_KIND(is_floating(input->dtype), NotImplemented, "\"col2im\" not implemented for '", short_name(input->dtype), "'");
  const int64_t kk = k[0] * k[1];
  GG_CHECK(input->sizes[1] % kk == 0, "Expected size of input's dimension 1 to be divisible by the product of "
           "kernel_size, but got input.size(1)=", input->sizes[1], " and kernel_size=(", k[0], ", ", k[1], ") [fold]");
  const DimVec q{k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]};
  const DimVec xs{input->sizes[0], input->sizes[1] / kk, out_size[0], out_size[1]};
  const ConvGeom g = unfold_geom(xs, q);
  GG_CHECK(g.Ho > 0 && g.Wo > 0 && input->sizes[2] == g.Ho * g.Wo, "Given output_size=(", out_size[0], ", ",
           out_size[1], "), kernel_size=(", k[0], ", ", k[1], "), dilation=(", d[0], ", ", d[1], "), padding=(", p[0],
           ", ", p[1], "), stride=(", s[0], ", ", s[1], "), expected size of input's dimension 2 to match the "
           "calculated number of sliding blocks ", g.Ho, " * ", g.Wo, " = ", g.Ho * g.Wo, ", but got input.size(2)=",
           input->sizes[2], ". [fold]");
  return col2im_op(input, xs, q);
}

}  // namespace gg
