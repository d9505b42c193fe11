#include "core/storage.h"
#include "alloc/cpu_allocator.h"

namespace gg {

Storage::~Storage() {
  if (base) return;
  if (deleter) {
    deleter(data);
  } else if (data) {
    alloc::cpu_free(data, nbytes);
  }
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  if (device.is_cuda()) fail_no_cuda("allocate");
  auto s = alloc::make_pooled<Storage>();
  s->data = nbytes ? alloc::cpu_alloc(nbytes) : nullptr;
  s->nbytes = nbytes;
  s->device = device;
  return s;
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t nbytes, Device device,
                                       std::function<void(void*)> deleter) {
  auto s = alloc::make_pooled<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->device = device;
  s->deleter = deleter ? std::move(deleter) : [](void*) {};
  return s;
}

std::shared_ptr<Storage> Storage::alias(const std::shared_ptr<Storage>& base) {
  auto s = alloc::make_pooled<Storage>();
  s->data = base->data;
  s->nbytes = base->nbytes;
  s->device = base->device;
  s->base = base->base ? base->base : base;
  return s;
}

}  // namespace gg
