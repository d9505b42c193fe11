// Reductions over a set of dims. Kept dims index the outputs, reduced dims the inputs of
// each output. Two loop orders: reduce along the innermost input dim (contiguous rows), or
// sweep outer rows into a vector of accumulators (e.g. summing a batch dim), which keeps
// memory access contiguous. Each output's order of accumulation is fixed, so results are
// deterministic at any thread count.
#pragma once
#include <vector>
#include "core/tensor_impl.h"
#include "kernels/cpu/parallel.h"

namespace gg::cpu {

struct ReducePlan {
  DimVec out_sizes, out_in_strides, out_strides;  // kept dims: input and output strides
  DimVec red_sizes, red_strides;                  // reduced dims, input strides
  int64_t out_numel = 1, red_numel = 1;
  const char* in = nullptr;
  char* out = nullptr;
  // `reduce_mask[d]` says whether input dim d is reduced; `out` has the kept-dims layout
  // (keepdim or not, same element order).
  ReducePlan(const Tensor& input, const std::vector<bool>& reduce_mask, const Tensor& output);
};

// R: Acc init() const; Acc step(Acc, T, int64_t index) const; Out finish(Acc, int64_t n) const.
template <typename T, typename Out, typename R>
void reduce(const ReducePlan& p, const R& r) {
  const int nr = (int)p.red_sizes.size(), no = (int)p.out_sizes.size();
  auto out_offset = [&](int64_t o, int64_t& in_off) {
    int64_t out_off = 0;
    in_off = 0;
    for (int d = no - 1; d >= 0; --d) {
      int64_t i = o % p.out_sizes[d];
      o /= p.out_sizes[d];
      out_off += i * p.out_strides[d];
      in_off += i * p.out_in_strides[d];
    }
    return out_off;
  };
  const T* in = reinterpret_cast<const T*>(p.in);
  Out* out = reinterpret_cast<Out*>(p.out);

  // Sweep order: one reduced dim, outputs contiguous along the input's innermost dim.
  const bool sweep = nr == 1 && no >= 1 && p.out_in_strides[no - 1] == 1 && p.red_strides[0] != 1 &&
                     p.out_sizes[no - 1] >= 8;
  if (sweep) {
    const int64_t inner = p.out_sizes[no - 1], outer = p.out_numel / inner;
    const int64_t rn = p.red_sizes[0], rs = p.red_strides[0], os = p.out_strides[no - 1];
    // Tasks are (outer index, block of columns): with fewer outer indices than threads (a 2-D sum(0), a
    // bias gradient) the columns are split too, in blocks of at least 256.
    const int threads = get_num_threads();
    const int64_t col_block = outer >= threads ? inner : std::max<int64_t>(256, (inner + threads - 1) / threads);
    const int64_t blocks = (inner + col_block - 1) / col_block;
    const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, rn * col_block));
    parallel_for_small(0, outer * blocks, grain, [&](int64_t b, int64_t e) {
      std::vector<decltype(r.init())> acc(std::min(inner, col_block));
      for (int64_t task = b; task < e; ++task) {
        const int64_t o = task / blocks, j0 = task % blocks * col_block, n = std::min(col_block, inner - j0);
        int64_t in_off;
        const int64_t out_off = out_offset(o * inner, in_off) + j0 * os;
        in_off += j0;
        for (int64_t j = 0; j < n; ++j) acc[j] = r.init();
        for (int64_t k = 0; k < rn; ++k) {
          const T* row = in + in_off + k * rs;
          for (int64_t j = 0; j < n; ++j) acc[j] = r.step(acc[j], row[j], k);
        }
        for (int64_t j = 0; j < n; ++j) out[out_off + j * os] = r.finish(acc[j], rn);
      }
    });
    return;
  }

  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, p.red_numel));
  parallel_for_small(0, p.out_numel, grain, [&](int64_t b, int64_t e) {
    DimVec idx(nr, 0);
    for (int64_t o = b; o < e; ++o) {
      int64_t in_off;
      int64_t out_off = out_offset(o, in_off);
      auto acc = r.init();
      if (p.red_numel == 0) {  // an empty reduced dim: the odometer below would still walk the others
        out[out_off] = r.finish(acc, 0);
        continue;
      }
      if (nr == 0) {
        acc = r.step(acc, in[in_off], 0);
      } else {
        const int64_t inner = p.red_sizes[nr - 1], is = p.red_strides[nr - 1];
        for (int d = 0; d < nr; ++d) idx[d] = 0;
        int64_t lin = 0;
        for (;;) {
          int64_t off = in_off;
          for (int d = 0; d < nr - 1; ++d) off += idx[d] * p.red_strides[d];
          const T* q = in + off;
          if (is == 1) {
            for (int64_t j = 0; j < inner; ++j) acc = r.step(acc, q[j], lin + j);
          } else {
            for (int64_t j = 0; j < inner; ++j) acc = r.step(acc, q[j * is], lin + j);
          }
          lin += inner;
          int d = nr - 2;
          for (; d >= 0; --d) {
            if (++idx[d] < p.red_sizes[d]) break;
            idx[d] = 0;
          }
          if (d < 0) break;
        }
      }
      out[out_off] = r.finish(acc, p.red_numel);
    }
  });
}

// Note [Row fast path]
// When the reduced dims are a trailing block of a contiguous input, each output reduces one
// contiguous row. Rows are cut in fixed chunks of kRowChunk elements; each chunk accumulates
// in kRowLanes independent double lanes (8 vector registers: enough chains in flight to hide the
// add latency, where 8 lanes ran at half the memory's speed) and the partials
// are combined in a fixed order, so the result depends only on the data, never on the thread
// count. Other layouts go through reduce() above.
constexpr int64_t kRowChunk = 16384;
constexpr int kRowLanes = 32;

inline bool trailing_rows(const Tensor& in, const std::vector<bool>& mask, int64_t& rows, int64_t& n) {
  if (in->dim() == 0 || !in->is_contiguous() || in->numel() == 0) return false;
  int64_t k = in->dim();
  while (k > 0 && mask[k - 1]) --k;
  if (k == in->dim()) return false;
  for (int64_t d = 0; d < k; ++d)
    if (mask[d]) return false;
  rows = 1;
  for (int64_t d = 0; d < k; ++d) rows *= in->sizes[d];
  n = in->numel() / rows;
  return true;
}

// Per row r: combine over the row's elements v of term(r, v), starting from init.
template <class T, class Term, class Combine>
std::vector<double> row_reduce(const T* x, int64_t rows, int64_t n, double init, const Term& term,
                               const Combine& combine) {
  const int64_t chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<double> partial(rows * chunks);
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::min(n, kRowChunk));
  parallel_for_small(0, rows * chunks, grain, [&](int64_t b, int64_t e) {
    for (int64_t task = b; task < e; ++task) {
      const int64_t r = task / chunks, c = task % chunks;
      const T* p = x + r * n + c * kRowChunk;
      const int64_t len = std::min(kRowChunk, n - c * kRowChunk);
      double lanes[kRowLanes];
      for (int l = 0; l < kRowLanes; ++l) lanes[l] = init;
      int64_t i = 0;
      for (; i + kRowLanes <= len; i += kRowLanes)
        for (int l = 0; l < kRowLanes; ++l) lanes[l] = combine(lanes[l], double(term(r, p[i + l])));
      double acc = init;
      for (int l = 0; l < kRowLanes; ++l) acc = combine(acc, lanes[l]);
      for (; i < len; ++i) acc = combine(acc, double(term(r, p[i])));
      partial[task] = acc;
    }
  });
  std::vector<double> out(rows, init);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < chunks; ++c) out[r] = combine(out[r], partial[r * chunks + c]);
  return out;
}

}  // namespace gg::cpu
