// float32 GEMM for CPUs with AVX-512, in the BLIS layout: B is packed once per (K, N) block and
// shared by every thread, each thread packs its own blocks of A, and a 12 x 32 register tile does
// the multiply-adds. Split over our threads, OpenBLAS could not share its packed B (each thread packed
// all of it), and on one core it trailed MKL by 4% at 1024^3 and 25% at 128^3. K is never split
// and a tile's arithmetic does not depend on which thread runs it: the same bits at every thread count.
#include "kernels/cpu/blas.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
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

// Packing space, one per calling thread, that only grows: taken before any worker starts, so no
// allocation can fail while the others wait at a barrier.
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

// Every thread of a GEMM waits here between packing B and using it, and before the next block is packed.
class SpinBarrier {
 public:
  explicit SpinBarrier(int n) : n_(n) {}
  void wait() {
    const int gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      count_.store(0, std::memory_order_relaxed);
      gen_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (int i = 1; gen_.load(std::memory_order_acquire) == gen; ++i) {
      _mm_pause();
      if (i % 1024 == 0) sched_yield();  // a descheduled partner must get the core back
    }
  }

 private:
  const int n_;
  std::atomic<int> count_{0}, gen_{0};
};

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

// One thread's part of a GEMM: rows [row_begin, row_end) of C by column panels [panel_begin, panel_end) of each
// block of B's columns. With `shared_b`, B is packed a block at a time into `bpack`, thread t of n packing the
// t-th share of the block's panels between two waits at `barrier` (null when alone). Otherwise the thread packs
// each of its panels into `bpack` (its own) just before using it, where it stays in L1 for all of its rows: for
// a C whose rows fit in one block of A this reads B once, without barriers, and without a trip to L2 for
// the packed copy.
GG_AVX512 void run_share(const Problem& p, bool shared_b, SpinBarrier* barrier, int thread, int nthreads,
                         float* bpack, float* apack, int64_t row_begin, int64_t row_end, int64_t panel_begin,
                         int64_t panel_end) {
  for (int64_t jc = 0; jc < p.N; jc += kNC) {
    const int64_t nc = std::min(kNC, p.N - jc), panels = (nc + kNR - 1) / kNR;
    auto b_source = [&](int64_t jp, int64_t pc) {
      const int64_t j = jc + jp * kNR;
      return p.tb ? p.B + j * p.ldb + pc : p.B + pc * p.ldb + j;
    };
    for (int64_t pc = 0; pc < p.K; pc += kKC) {
      const int64_t kc = std::min(kKC, p.K - pc);
      if (shared_b) {
        if (barrier && (jc | pc)) barrier->wait();  // the previous block is no longer read
        const auto [jp0, jp1] = share(panels, 1, thread, nthreads);
        if (jp0 < jp1)
          pack_panels(bpack + jp0 * kc * kNR, kNR, std::min(jp1 * kNR, nc) - jp0 * kNR, kc, b_source(jp0, pc),
                      p.ldb, p.tb);
        if (barrier) barrier->wait();
      }
      const float beta = pc == 0 ? p.beta : 1.f;
      const int64_t jp_end = std::min(panel_end, panels);
      for (int64_t ic = row_begin; ic < row_end; ic += kMC) {
        const int64_t mc = std::min(kMC, row_end - ic);
        pack_panels(apack, kMR, mc, kc, p.ta ? p.A + pc * p.lda + ic : p.A + ic * p.lda + pc, p.lda, !p.ta);
        for (int64_t jp = panel_begin; jp < jp_end; ++jp) {
          const int64_t j = jc + jp * kNR, cols = std::min<int64_t>(kNR, p.N - j);
          const float* panel = bpack + jp * kc * kNR;
          if (!shared_b) {
            pack_panels(bpack, kNR, cols, kc, b_source(jp, pc), p.ldb, p.tb);
            panel = bpack;
          }
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
  const int64_t panels_max = (std::min(N, kNC) + kNR - 1) / kNR;
  const int nthreads =
      in_parallel_region() || double(M) * double(N) * double(K) < kParallelMacs ? 1 : get_num_threads();
  const bool shared_b = M > kMC;
  // Packing space: B's shared block (or each thread's panel), then each thread's block of A.
  const int64_t b_floats = shared_b ? panels_max * kNR * kKC : nthreads * kNR * kKC;
  float* scratch = tl_scratch.get(b_floats + nthreads * kMC * kKC);
  auto bpack = [&](int64_t t) { return shared_b ? scratch : scratch + t * kNR * kKC; };
  auto apack = [&](int64_t t) { return scratch + b_floats + t * kMC * kKC; };
  if (nthreads == 1) {
    run_share(p, shared_b, nullptr, 0, 1, bpack(0), apack(0), 0, M, 0, panels_max);
    return true;
  }
  // Threads split C by rows (each packs only its rows of A), or, for a short C with enough column panels,
  // by panels (each packs all of A).
  const bool by_rows = shared_b || panels_max < 2 * nthreads;
  SpinBarrier barrier(nthreads);
  // One index per pool thread, all running at once: the barrier needs every one of them.
  parallel_for(0, nthreads, 1, [&](int64_t t, int64_t) {
    if (by_rows) {
      auto [r0, r1] = share(M, kMR, int(t), nthreads);
      run_share(p, shared_b, &barrier, int(t), nthreads, bpack(t), apack(t), r0, r1, 0, panels_max);
    } else {
      auto [c0, c1] = share(panels_max, 1, int(t), nthreads);
      run_share(p, shared_b, &barrier, int(t), nthreads, bpack(t), apack(t), 0, M, c0, c1);
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
