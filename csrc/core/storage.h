// A refcounted block of memory. Views share one Storage; so does their version counter
// (Note [Version counter]).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include "core/device.h"

namespace gg {

// Note [Version counter]
// Every in-place write bumps the counter of the storage it writes to, so all views see it.
// A SavedTensor remembers the value at save time and refuses to unpack after a change.
// `.data` and from_numpy get their own Storage object (aliasing the same bytes) so their
// writes are not seen by autograd, as in PyTorch.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  uint32_t version = 0;
  std::function<void(void*)> deleter;  // empty: memory came from our allocator
  std::shared_ptr<Storage> base;        // set when this aliases another storage's bytes

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device);
  // Wraps memory owned elsewhere (NumPy, DLPack); `deleter` runs when the last view dies.
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, Device device,
                                       std::function<void(void*)> deleter);
  // Same bytes, fresh version counter.
  static std::shared_ptr<Storage> alias(const std::shared_ptr<Storage>& base);
};

}  // namespace gg
