// Where a tensor lives. CUDA is part of the type from day one; a CPU-only build refuses it.
#pragma once
#include <string>
#include "core/error.h"

namespace gg {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;  // -1: the current device of that type
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const {
    std::string s = is_cpu() ? "cpu" : "cuda";
    if (index >= 0) s += ":" + std::to_string(index);
    return s;
  }
};

[[noreturn]] inline void fail_no_cuda(const char* what) {
  fail(ErrorKind::Runtime, "[", what, "] gradgate was built without CUDA: this build runs on the CPU only");
}

}  // namespace gg
