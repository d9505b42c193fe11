// A small persistent thread pool. Work below the grain size runs inline on the caller:
// tiny tensors never wake a thread (PERF-NOTES: waking costs tens of microseconds).
#pragma once
#include <cstdint>
#include <functional>

namespace gg::cpu {

constexpr int64_t kGrainSize = 32768;  // elements of simple elementwise work per task

int get_num_threads();
void set_num_threads(int n);
bool in_parallel_region();

// Runs fn(begin, end) over [begin, end) split in at most get_num_threads() contiguous
// chunks of at least `grain` items; the split depends only on the range and thread count,
// so results are deterministic for a given thread count.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn);

// Inline fast path for the common tiny case, without constructing a std::function.
template <typename F>
inline void parallel_for_small(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  if (end - begin <= grain || get_num_threads() == 1 || in_parallel_region()) {
    if (end > begin) fn(begin, end);
    return;
  }
  parallel_for(begin, end, grain, fn);
}

}  // namespace gg::cpu
