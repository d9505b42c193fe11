// CPU memory: 64-byte aligned blocks, recycled by size class so that small tensors skip
// malloc and large ones skip fresh page faults.
#pragma once
#include <cstddef>
#include <memory>
#include <utility>

namespace gg::alloc {

void* cpu_alloc(size_t nbytes);
void cpu_free(void* ptr, size_t nbytes);
// Returns every cached block to the system (used by tests and by memory pressure).
void cpu_empty_cache();
size_t cpu_cached_bytes();

}  // namespace gg::alloc

namespace gg::alloc {

// std::allocator-compatible front end to the small-block cache, for allocate_shared of the
// objects every op makes (TensorImpl, Storage, nodes): they recycle without touching malloc.
template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(cpu_alloc(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { cpu_free(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const PoolAllocator<U>&) const { return false; }
};

template <typename T, typename... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(PoolAllocator<T>{}, std::forward<Args>(args)...);
}

}  // namespace gg::alloc
