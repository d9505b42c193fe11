// float32 GEMM for CPUs with AVX-512, in the BLIS layout: blocks of A and B packed into panels, a
// 12 x 32 register tile doing the multiply-adds. Threads take a share of C's columns (or rows) and
// pack what they read themselves: reading panels another core packed, or waiting at a barrier for
// them, cost 5-25% at two threads. OpenBLAS, which this replaces for float32 on such CPUs, trailed
// MKL by 4% at 1024^3 and 25% at 128^3 on one core and by 4-25% on two. K is never split and a tile's
// arithmetic does not depend on which thread runs it: the same bits at every thread count.
#include "kernels/cpu/blas.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>

#include "kernels/cpu/parallel.h"

#define GG_AVX512 __attribute__((target("avx512f")))

namespace gg::cpu {
namespace {

constexpr int kMR = 12;         // rows of C per register tile (broadcasts of A)
constexpr int kNR = 32;         // columns of C per register tile (two 16-float vectors of B)
constexpr int64_t kKC = 256;    // depth of a packed block: a 32 KiB panel of B stays in L1
constexpr int64_t kMC = 192;    // rows of A packed at a time (192 KiB, L2)
constexpr int64_t kNC = 4096;   // columns of B packed at a time
constexpr double kParallelMacs = double(1 << 20);  // below this a GEMM runs on the calling thread

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Packing space, one per calling thread, that only grows: a GEMM takes it without the caching
// allocator's lock (a tiny MLP step runs nine GEMMs of a few microseconds).
class Scratch {
 public:
  float* get(int64_t floats) {
    if (floats > size_) {
      size_t bytes = (size_t(floats) * sizeof(float) + 63) / 64 * 64;
      float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) throw std::bad_alloc();
      buf_.reset(p);
      size_ = floats;
    }
    return buf_.get();
  }

 private:
  std::unique_ptr<float, AlignedFree> buf_;
  int64_t size_ = 0;
};
thread_local Scratch tl_scratch;

// A mask of the first n of 16 lanes (none for n <= 0).
inline __mmask16 low_lanes(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? 0 : __mmask16((1u << n) - 1); }

// In-register transpose of 16 rows of 16 floats (rows[i] lane j -> rows[j] lane i).
GG_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // u[4i + c], 128-bit lane L, holds rows 4i..4i+3 of column 4L + c: transpose the 4 x 4 grid of lanes.
  for (int c = 0; c < 4; ++c) {
    __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88), v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    r[4 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
    r[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
  }
}

// Packs `width` lanes (rows of A or columns of B) by `depth` steps of K into panels of `stride` lanes:
// dst[p * stride * depth + k * stride + w] = src(p * stride + w, k), lanes past `width` zero. src(w, k) is
// src[w * ld + k] when K is contiguous in the source (transposed 16 x 16 at a time), else src[k * ld + w]
// (then each row of the source is read once, front to back).
GG_AVX512 void pack_panels(float* dst, int stride, int64_t width, int64_t depth, const float* src, int64_t ld,
                           bool k_contiguous) {
  const int64_t panels = (width + stride - 1) / stride;
  if (!k_contiguous) {
    for (int64_t k = 0; k < depth; ++k)
      for (int64_t p = 0; p < panels; ++p)
        for (int w0 = 0; w0 < stride; w0 += 16) {
          const int64_t w = p * stride + w0;
          _mm512_mask_storeu_ps(dst + (p * depth + k) * stride + w0, low_lanes(stride - w0),
                                _mm512_maskz_loadu_ps(low_lanes(width - w), src + k * ld + w));
        }
    return;
  }
  for (int64_t p = 0; p < panels; ++p)
    for (int w0 = 0; w0 < stride; w0 += 16) {
      const int64_t w = p * stride + w0, lanes = std::clamp<int64_t>(width - w, 0, 16);
      const __mmask16 store_mask = low_lanes(stride - w0);
      for (int64_t k0 = 0; k0 < depth; k0 += 16) {
        const __mmask16 k_mask = low_lanes(depth - k0);
        __m512 r[16];
        for (int i = 0; i < 16; ++i)
          r[i] = i < lanes ? _mm512_maskz_loadu_ps(k_mask, src + (w + i) * ld + k0) : _mm512_setzero_ps();
        transpose16(r);
        for (int j = 0; j < 16 && k0 + j < depth; ++j)
          _mm512_mask_storeu_ps(dst + (p * depth + k0 + j) * stride + w0, store_mask, r[j]);
      }
    }
}

// acc += (column k of A's panel) x (row k of B's panel).
template <int MR, int NV>
GG_AVX512 __attribute__((always_inline)) inline void rank1_update(__m512 (&acc)[MR][NV], const float* ap,
                                                                  const float* bp) {
  __m512 b[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) b[v] = _mm512_load_ps(bp + 16 * v);
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    const __m512 a = _mm512_set1_ps(ap[r]);
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
  }
}

// C[MR rows, NV*16 columns (the last vector masked)] = alpha * Ap @ Bp + beta * C; C is not read when beta is 0.
template <int MR, int NV>
GG_AVX512 void micro_kernel(int64_t depth, const float* __restrict ap, const float* __restrict bp, float* c,
                            int64_t ldc, float alpha, float beta, __mmask16 last_mask) {
  __m512 acc[MR][NV];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  // C's tile is read at the end and is often out of L2: fetch one row per step of the first MR steps.
  int64_t k = 0;
  for (const int64_t prefetch_steps = std::min<int64_t>(depth, MR); k < prefetch_steps; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(c + k * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + k * ldc + NV * 16 - 1), _MM_HINT_T0);
    rank1_update<MR, NV>(acc, ap + k * kMR, bp + k * kNR);
  }
  for (; k < depth; ++k) rank1_update<MR, NV>(acc, ap + k * kMR, bp + k * kNR);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = v == NV - 1 ? last_mask : __mmask16(0xFFFF);
      float* p = c + r * ldc + 16 * v;
      __m512 x = _mm512_mul_ps(acc[r][v], va);
      if (beta != 0.f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, p), x);
      _mm512_mask_storeu_ps(p, mask, x);
    }
}

using MicroKernel = void (*)(int64_t, const float*, const float*, float*, int64_t, float, float, __mmask16);

template <int... R>
constexpr auto kernel_table(std::integer_sequence<int, R...>) {
  struct Table {
    MicroKernel k[kMR][2];
  } t{{{micro_kernel<R + 1, 1>, micro_kernel<R + 1, 2>}...}};
  return t;
}
constexpr auto kKernels = kernel_table(std::make_integer_sequence<int, kMR>{});

struct Problem {
  bool ta, tb;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
};

// [begin, end) of `items` split into `parts` near-equal contiguous shares, each a multiple of `unit`.
std::pair<int64_t, int64_t> share(int64_t items, int64_t unit, int part, int parts) {
  const int64_t units = (items + unit - 1) / unit;
  const int64_t b = units * part / parts, e = units * (part + 1) / parts;
  return {std::min(items, b * unit), std::min(items, e * unit)};
}

// One thread's part of a GEMM: rows [row0, row1) by columns [col0, col1) of C, packing all it reads itself
// (threads share nothing, so none waits for another). `bpack` takes a block of B's panels when the rows
// span several blocks of A; otherwise each panel is packed just before use and stays in L1 for all the rows.
GG_AVX512 void run_part(const Problem& p, float* bpack, float* apack, int64_t row0, int64_t row1, int64_t col0,
                        int64_t col1) {
  const bool one_a_block = row1 - row0 <= kMC;
  for (int64_t jc = col0; jc < col1; jc += kNC) {
    const int64_t nc = std::min(kNC, col1 - jc), panels = (nc + kNR - 1) / kNR;
    for (int64_t pc = 0; pc < p.K; pc += kKC) {
      const int64_t kc = std::min(kKC, p.K - pc);
      auto pack_b = [&](float* dst, int64_t j, int64_t cols) {
        pack_panels(dst, kNR, cols, kc, p.tb ? p.B + j * p.ldb + pc : p.B + pc * p.ldb + j, p.ldb, p.tb);
      };
      if (!one_a_block) pack_b(bpack, jc, nc);
      const float beta = pc == 0 ? p.beta : 1.f;
      for (int64_t ic = row0; ic < row1; ic += kMC) {
        const int64_t mc = std::min(kMC, row1 - ic);
        pack_panels(apack, kMR, mc, kc, p.ta ? p.A + pc * p.lda + ic : p.A + ic * p.lda + pc, p.lda, !p.ta);
        for (int64_t jp = 0; jp < panels; ++jp) {
          const int64_t j = jc + jp * kNR, cols = std::min<int64_t>(kNR, jc + nc - j);
          const float* panel = bpack + jp * kc * kNR;
          if (one_a_block) pack_b(bpack, j, cols), panel = bpack;
          const __mmask16 last_mask = low_lanes(cols > 16 ? cols - 16 : cols);
          for (int64_t ir = 0; ir < mc; ir += kMR)
            kKernels.k[std::min<int64_t>(kMR, mc - ir) - 1][cols > 16](
                kc, apack + ir * kc, panel, p.C + (ic + ir) * p.ldc + j, p.ldc, p.alpha, beta, last_mask);
        }
      }
    }
  }
}

}  // namespace

bool sgemm_avx512(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  static const bool supported = __builtin_cpu_supports("avx512f");
  if (!supported || K == 0) return false;
  const Problem p{ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  const int nthreads =
      in_parallel_region() || double(M) * double(N) * double(K) < kParallelMacs ? 1 : get_num_threads();
  // Each thread packs space for one block of B and one of A.
  const int64_t b_floats = (std::min(N, kNC) + kNR - 1) / kNR * kNR * kKC, a_floats = kMC * kKC;
  float* scratch = tl_scratch.get(nthreads * (b_floats + a_floats));
  auto bpack = [&](int64_t t) { return scratch + t * (b_floats + a_floats); };
  auto apack = [&](int64_t t) { return bpack(t) + b_floats; };
  if (nthreads == 1) {
    run_part(p, bpack(0), apack(0), 0, M, 0, N);
    return true;
  }
  // Split C by columns (each thread packs all of A) or by rows (each packs all of B), whichever leaves the
  // busiest thread less to do; per K step, packing one float costs about 13 multiply-adds.
  const int64_t panels = (N + kNR - 1) / kNR;
  const double by_cols_cost = double(M) * ((panels + nthreads - 1) / nthreads * kNR + 13);
  const double by_rows_cost = double(N) * ((M + nthreads - 1) / nthreads + 13);
  const bool by_cols = by_cols_cost <= by_rows_cost;
  parallel_for(0, nthreads, 1, [&](int64_t t, int64_t) {
    if (by_cols) {
      auto [c0, c1] = share(N, kNR, int(t), nthreads);
      run_part(p, bpack(t), apack(t), 0, M, c0, c1);
    } else {
      auto [r0, r1] = share(M, 1, int(t), nthreads);
      run_part(p, bpack(t), apack(t), r0, r1, 0, N);
    }
  });
  return true;
}

}  // namespace gg::cpu

#else
namespace gg::cpu {
bool sgemm_avx512(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                  float*, int64_t) {
  return false;
}
}  // namespace gg::cpu
#endif
