// float32 GEMM for CPUs with AVX-512, in the BLIS layout: blocks of A and B packed into panels, a
// 12 x 32 register tile doing the multiply-adds. Threads take a share of C's columns (or rows) and
// pack what they read themselves: reading panels another core packed, or waiting at a barrier for
// them, cost 5-25% at two threads. Only a thread that has finished its share takes rows from
// another's (then it reads that thread's panels), so one slowed by another process on its core holds
// up no one: beside a CPU hog, 256^3 at two threads went from 1.07-1.21x MKL's time to 0.97-1.10x.
// OpenBLAS, which this replaces for float32 on such CPUs, trailed MKL by 4% at 1024^3 and 25% at
// 128^3 on one core and by 4-25% on two. K is never split and a tile's arithmetic does not depend on
// which thread runs it: the same bits at every thread count.
#include "kernels/cpu/blas.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <utility>

#include "kernels/cpu/parallel.h"

#define GG_AVX512 __attribute__((target("avx512f")))

namespace gg::cpu {
namespace {

constexpr int kMR = 12;         // rows of C per register tile (broadcasts of A)
constexpr int kNR = 32;         // columns of C per register tile (two 16-float vectors of B)
constexpr int64_t kKC = 256;    // depth of a packed block: a 32 KiB panel of B stays in L1
constexpr int64_t kMC = 192;    // rows of A packed at a time (192 KiB, L2)
constexpr int64_t kNC = 4096;   // widest block of B's columns packed at a time
constexpr int64_t kMinUnits = 4;  // units of rows per step when they span more than a block of A
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

// One thread's share of C: rows [row0, row1) by columns [col0, col1), done as a sequence of steps: for each
// block of at most kNC columns, for each block of kKC along K, that block of B is packed into this queue's
// buffer and the rows' product with it added to C. A step's rows go out in units to whichever thread asks:
// the owner first, then any thread that has run out of work, so a thread slowed by another process on its
// core does not hold up the rest. A step that is a single unit packs each panel of B just before use
// instead (it then stays in L1 for all the rows).
struct Queue {
  int64_t row0, row1, col0, col1, unit_rows, steps;
  float* bpack;
  // step << 34 | phase << 32 | next unit; phase: 0 = B not packed, 1 = being packed, 2 = packed.
  std::atomic<uint64_t> state;
  std::atomic<int64_t> units_done;  // of the current step

  int64_t units() const { return (row1 - row0 + unit_rows - 1) / unit_rows; }
  bool single_unit() const { return units() == 1; }
};
constexpr int kPhaseShift = 32, kStepShift = 34;
constexpr uint64_t kUnitMask = (uint64_t(1) << kPhaseShift) - 1;
uint64_t queue_state(uint64_t step, uint64_t phase, uint64_t unit) {
  return step << kStepShift | phase << kPhaseShift | unit;
}

// The block of B one step multiplies by: columns [c0, c0 + nc), depth [pc, pc + kc).
struct Step {
  int64_t c0, nc, pc, kc;
  Step(const Problem& p, const Queue& q, int64_t step) {
    const int64_t k_steps = (p.K + kKC - 1) / kKC;
    c0 = q.col0 + step / k_steps * kNC, nc = std::min(kNC, q.col1 - c0);
    pc = step % k_steps * kKC, kc = std::min(kKC, p.K - pc);
  }
  const float* b(const Problem& p, int64_t j) const {
    return p.tb ? p.B + j * p.ldb + pc : p.B + pc * p.ldb + j;
  }
};

// Rows [r0, r1) of one step into C.
GG_AVX512 void run_unit(const Problem& p, const Queue& q, const Step& st, int64_t r0, int64_t r1, float* apack) {
  const int64_t mc = r1 - r0, panels = (st.nc + kNR - 1) / kNR;
  const float beta = st.pc == 0 ? p.beta : 1.f;
  pack_panels(apack, kMR, mc, st.kc, p.ta ? p.A + st.pc * p.lda + r0 : p.A + r0 * p.lda + st.pc, p.lda, !p.ta);
  for (int64_t jp = 0; jp < panels; ++jp) {
    const int64_t j = st.c0 + jp * kNR, cols = std::min<int64_t>(kNR, st.c0 + st.nc - j);
    const float* panel = q.bpack + jp * st.kc * kNR;
    if (q.single_unit()) pack_panels(q.bpack, kNR, cols, st.kc, st.b(p, j), p.ldb, p.tb), panel = q.bpack;
    const __mmask16 last_mask = low_lanes(cols > 16 ? cols - 16 : cols);
    for (int64_t ir = 0; ir < mc; ir += kMR)
      kKernels.k[std::min<int64_t>(kMR, mc - ir) - 1][cols > 16](st.kc, apack + ir * st.kc, panel,
                                                                 p.C + (r0 + ir) * p.ldc + j, p.ldc, p.alpha, beta,
                                                                 last_mask);
  }
}

enum class Claim { kRan, kBusy, kFinished };

// Claims and runs one unit of q's current step (packing its B first if nobody has): kRan; kBusy when every
// unit is taken but some are still running (or B is being packed); kFinished when q has no work left. A
// single-unit step is left to q's owner: another thread taking it whole would only move the work, not share
// it (2% slower at 64 x 512 x 784).
Claim work_on(const Problem& p, Queue& q, float* apack, bool owner) {
  uint64_t s = q.state.load(std::memory_order_acquire);
  const int64_t step = int64_t(s >> kStepShift), units = q.units();
  if (step == q.steps) return Claim::kFinished;
  const Step st(p, q, step);
  const uint64_t phase = s >> kPhaseShift & 3;
  int64_t unit = int64_t(s & kUnitMask);
  if (phase == 1 || unit == units || (!owner && q.single_unit())) return Claim::kBusy;
  if (phase == 0) {
    // Whoever packs B also takes the first unit; a single-unit step packs as it goes.
    if (!q.state.compare_exchange_strong(s, queue_state(step, q.single_unit() ? 2 : 1, 1), std::memory_order_acq_rel))
      return Claim::kBusy;
    if (!q.single_unit()) {
      pack_panels(q.bpack, kNR, st.nc, st.kc, st.b(p, st.c0), p.ldb, p.tb);
      q.state.store(queue_state(step, 2, 1), std::memory_order_release);
    }
    unit = 0;
  } else if (!q.state.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel)) {
    return Claim::kBusy;
  }
  const int64_t r0 = q.row0 + unit * q.unit_rows;
  run_unit(p, q, st, r0, std::min(q.row1, r0 + q.unit_rows), apack);
  if (q.units_done.fetch_add(1, std::memory_order_acq_rel) + 1 == units) {
    // The last unit done: C holds this step's sums and B's buffer is free for the next step.
    q.units_done.store(0, std::memory_order_relaxed);
    q.state.store(queue_state(step + 1, 0, 0), std::memory_order_release);
  }
  return Claim::kRan;
}

// Per calling thread, grow-only: the queues of one GEMM (no allocation for the small single-thread ones).
thread_local std::unique_ptr<Queue[]> tl_queues;
thread_local int tl_queue_count = 0;

}  // namespace

bool sgemm_avx512(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  static const bool supported = __builtin_cpu_supports("avx512f");
  if (!supported || K == 0) return false;
  const Problem p{ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  const int nthreads =
      in_parallel_region() || double(M) * double(N) * double(K) < kParallelMacs ? 1 : get_num_threads();
  // Split C by columns (each thread packs all of A) or by rows (each packs all of B), whichever leaves the
  // busiest thread less to do; per K step, packing one float costs about 13 multiply-adds.
  const int64_t panels = (N + kNR - 1) / kNR;
  const double by_cols_cost = double(M) * ((panels + nthreads - 1) / nthreads * kNR + 13);
  const double by_rows_cost = double(N) * ((M + nthreads - 1) / nthreads + 13);
  const bool by_cols = nthreads > 1 && by_cols_cost <= by_rows_cost;
  const int64_t share_rows = by_cols ? M : (M + nthreads - 1) / nthreads;
  const int64_t share_cols = by_cols ? (panels + nthreads - 1) / nthreads * kNR : N;
  // At least kMinUnits units per step, so a thread that finishes early has rows to take.
  const int64_t unit_rows =
      share_rows <= kMC ? share_rows : std::min(kMC, ((share_rows + kMinUnits - 1) / kMinUnits + kMR - 1) / kMR * kMR);
  const int64_t b_floats = share_rows <= kMC ? kKC * kNR : (std::min(share_cols, kNC) + kNR - 1) / kNR * kNR * kKC;
  const int64_t a_floats = kMC * kKC;
  float* scratch = tl_scratch.get(nthreads * (b_floats + a_floats));
  if (tl_queue_count < nthreads) tl_queues.reset(new Queue[nthreads]), tl_queue_count = nthreads;
  Queue* queues = tl_queues.get();
  for (int t = 0; t < nthreads; ++t) {
    Queue& q = queues[t];
    auto [r0, r1] = by_cols ? std::pair<int64_t, int64_t>{0, M} : share(M, 1, t, nthreads);
    auto [c0, c1] = by_cols ? share(N, kNR, t, nthreads) : std::pair<int64_t, int64_t>{0, N};
    q.row0 = r0, q.row1 = r1, q.col0 = c0, q.col1 = c1;
    q.unit_rows = std::max<int64_t>(unit_rows, 1);
    q.steps = r1 > r0 ? (c1 - c0 + kNC - 1) / kNC * ((K + kKC - 1) / kKC) : 0;
    q.bpack = scratch + t * (b_floats + a_floats);
    q.state.store(0, std::memory_order_relaxed);
    q.units_done.store(0, std::memory_order_relaxed);
  }
  auto participate = [&](int t) {
    float* apack = queues[t].bpack + b_floats;
    for (int idle = 0;;) {
      bool ran = false, busy = false;
      for (int i = 0; i < nthreads && !ran; ++i) {  // its own queue first, then the others'
        const Claim c = work_on(p, queues[(t + i) % nthreads], apack, i == 0);
        ran = c == Claim::kRan, busy |= c == Claim::kBusy;
      }
      if (ran) continue;
      if (!busy) return;
      // Waiting for units other threads are running: let them have this core if they share it.
      if (++idle % 256 == 0) std::this_thread::yield();
      else _mm_pause();
    }
  };
  if (nthreads == 1) participate(0);
  else parallel_for(0, nthreads, 1, [&](int64_t t, int64_t) { participate(int(t)); });
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
