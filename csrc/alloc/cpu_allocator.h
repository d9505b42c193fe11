// CPU memory: 64-byte aligned blocks, recycled by size class so that small tensors skip
// malloc and large ones skip fresh page faults.
#pragma once
#include <cstddef>

namespace gg::alloc {

void* cpu_alloc(size_t nbytes);
void cpu_free(void* ptr, size_t nbytes);
// Returns every cached block to the system (used by tests and by memory pressure).
void cpu_empty_cache();
size_t cpu_cached_bytes();

}  // namespace gg::alloc
