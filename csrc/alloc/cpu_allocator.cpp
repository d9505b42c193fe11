// Size-class cache in front of aligned_alloc. Classes: 64-byte steps up to 1 KiB, then four
// steps per power of two, so a freed block fits the next request of about the same size.
#include "alloc/cpu_allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace gg::alloc {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kMaxCachedBytes = size_t(1) << 31;  // 2 GiB kept for reuse at most

size_t size_class(size_t n) {
  if (n <= 1024) return n <= kAlign ? kAlign : (n + kAlign - 1) / kAlign * kAlign;
  size_t p = 1024;
  while (p * 2 < n) p *= 2;        // p < n <= 2p
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t cached = 0;
};
Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: frees may come during interpreter exit
  return *c;
}

// Small blocks (the common case for tiny tensors) recycle through a per-thread list with
// no lock; a block freed on another thread simply joins that thread's list.
constexpr size_t kSmallMax = 1024;
constexpr size_t kSmallPerClass = 4096;
struct SmallCache {
  std::vector<void*> lists[kSmallMax / kAlign + 1];
};
SmallCache& small_cache() {
  // Never destroyed: blocks may be freed during interpreter shutdown, after thread exit hooks.
  thread_local SmallCache* c = new SmallCache();
  return *c;
}

}  // namespace

void* cpu_alloc(size_t nbytes) {
  size_t cls = size_class(nbytes);
  if (cls <= kSmallMax) {
    auto& l = small_cache().lists[cls / kAlign];
    if (!l.empty()) {
      void* p = l.back();
      l.pop_back();
      return p;
    }
    void* p = std::aligned_alloc(kAlign, cls);
    if (!p) throw std::bad_alloc();
    return p;
  }
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(cls);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= cls;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlign, cls);
  if (!p) {
    cpu_empty_cache();
    p = std::aligned_alloc(kAlign, cls);
    if (!p) throw std::bad_alloc();
  }
  return p;
}

void cpu_free(void* ptr, size_t nbytes) {
  if (!ptr) return;
  size_t cls = size_class(nbytes);
  if (cls <= kSmallMax) {
    auto& l = small_cache().lists[cls / kAlign];
    if (l.size() < kSmallPerClass) {
      l.push_back(ptr);
      return;
    }
    std::free(ptr);
    return;
  }
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached + cls <= kMaxCachedBytes) {
      c.free_blocks[cls].push_back(ptr);
      c.cached += cls;
      return;
    }
  }
  std::free(ptr);
}

void cpu_empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& kv : c.free_blocks)
    for (void* p : kv.second) std::free(p);
  c.free_blocks.clear();
  c.cached = 0;
}

size_t cpu_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.cached;
}

}  // namespace gg::alloc
