// Thread-local execution modes. They live in core because tensor creation reads them
// (inference tensors are marked at birth); autograd/ owns their meaning (Note [Grad modes]).
#pragma once

namespace gg {

// Note [Grad modes]
// grad_enabled: ops record nodes only when true (no_grad / enable_grad / set_grad_enabled).
// inference: implies no grad; every tensor made while it is on is an inference tensor, which
// later refuses to be saved for backward or written in place outside inference mode.
struct Modes {
  bool grad_enabled = true;
  bool inference = false;
};
inline Modes& modes() {
  thread_local Modes m;
  return m;
}
inline bool grad_enabled() { return modes().grad_enabled; }

struct GradModeGuard {
  bool prev;
  explicit GradModeGuard(bool enabled) : prev(modes().grad_enabled) { modes().grad_enabled = enabled; }
  ~GradModeGuard() { modes().grad_enabled = prev; }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;
};

}  // namespace gg
