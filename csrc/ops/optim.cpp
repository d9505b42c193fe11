// Optimizer updates: each parameter's whole update in one pass over its memory, instead of
// a chain of small tensor ops (PERF-NOTES: the step of a small model is mostly overhead).
// Each loop runs on a local copy of its update functor, whose constants then live in registers: read
// from the shared one they may alias the parameter's stores (both float), and the loop stayed scalar,
// reloading them every element (SGD with momentum on one thread: 1.4 ns per element, now 0.45).
#include <cmath>
#include <type_traits>

#include "kernels/cpu/parallel.h"
#include "kernels/functors.h"
#include "ops/internal.h"

namespace gg {
using namespace ops;

namespace {

void check_state(const Tensor& param, const Tensor& t, const char* what, const char* op) {
  if (!t) return;
  check_same_device(param, t, op);
  GG_CHECK(t->sizes == param->sizes && t->dtype == param->dtype && t->is_contiguous(), "[", op, "] ", what,
           " must be a contiguous tensor shaped and typed like its parameter: got ", tensor_type_str(t), " for ",
           tensor_type_str(param));
}

// The gradient as the update reads it: same shape, device and dtype as the parameter.
Tensor checked_grad(const Tensor& param, const Tensor& grad, const char* op) {
  GG_CHECK(param->sizes == grad->sizes, "[", op, "] gradient of shape ", shape_str(grad->sizes),
           " does not match its parameter of shape ", shape_str(param->sizes));
  GG_CHECK(is_floating(param->dtype), "[", op, "] parameters must be floating point, got ", dtype_name(param->dtype));
  check_same_device(param, grad, op);
  return cast_raw(grad, param->dtype);
}

// Parameters are updated in place; a non-contiguous one is updated through a copy.
template <typename Body>
void update_contiguous(const Tensor& param, Body body) {
  if (param->is_contiguous()) {
    body(param);
  } else {
    Tensor tmp = contiguous(detach(param));
    body(tmp);
    copy_into(param, tmp);
  }
  param->bump_version();
}

}  // namespace

Tensor sgd_update(const Tensor& param, const Tensor& grad_in, const Tensor& buffer, const SgdOptions& o) {
  Tensor grad = checked_grad(param, grad_in, "sgd");
  check_state(param, buffer, "momentum_buffer", "sgd");
  const bool first = o.momentum != 0 && !buffer;
  Tensor buf = buffer;
  if (first) buf = empty(param->sizes, param->dtype, param->device());
  update_contiguous(param, [&](const Tensor& p) {
    dispatch<kFloats>(param->dtype, "sgd", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const fn::SgdUpdate<T> f{T(o.lr), T(o.momentum), T(o.dampening), T(o.weight_decay), o.nesterov, o.maximize, first};
      T* pp = p->data<T>();
      const T* g = grad->data<T>();
      T* b = buf ? buf->data<T>() : nullptr;
      cpu::parallel_for_small(0, p->numel(), cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
        const auto update = f;
        if (b) {
          GG_SIMD for (int64_t i = lo; i < hi; ++i) update(pp[i], g[i], b + i);
        } else {
          GG_SIMD for (int64_t i = lo; i < hi; ++i) update(pp[i], g[i], nullptr);
        }
      });
    });
  });
  if (buf && !first) buf->bump_version();
  return buf;
}

void adam_update(const Tensor& param, const Tensor& grad_in, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, double step, const AdamOptions& o) {
  Tensor grad = checked_grad(param, grad_in, "adam");
  check_state(param, exp_avg, "exp_avg", "adam");
  check_state(param, exp_avg_sq, "exp_avg_sq", "adam");
  check_state(param, max_exp_avg_sq, "max_exp_avg_sq", "adam");
  GG_CHECK(exp_avg && exp_avg_sq && (!o.amsgrad || max_exp_avg_sq), "[adam] missing optimizer state");
  const double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
  update_contiguous(param, [&](const Tensor& p) {
    dispatch<kFloats>(param->dtype, "adam", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const fn::AdamUpdate<T> f{T(o.beta1), T(o.beta2), T(o.eps), T(o.weight_decay), T(o.lr),
                                T(o.lr / bc1), T(std::sqrt(bc2)), o.decoupled_weight_decay, o.maximize};
      T* pp = p->data<T>();
      const T* g = grad->data<T>();
      T* m = exp_avg->data<T>();
      T* v = exp_avg_sq->data<T>();
      T* vmax = o.amsgrad ? max_exp_avg_sq->data<T>() : nullptr;
      cpu::parallel_for_small(0, p->numel(), cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
        const auto update = f;
        if (vmax) {
          GG_SIMD for (int64_t i = lo; i < hi; ++i) update(pp[i], g[i], m[i], v[i], vmax + i);
        } else {
          GG_SIMD for (int64_t i = lo; i < hi; ++i) update(pp[i], g[i], m[i], v[i], nullptr);
        }
      });
    });
  });
  exp_avg->bump_version();
  exp_avg_sq->bump_version();
  if (max_exp_avg_sq) max_exp_avg_sq->bump_version();
}

void rmsprop_update(const Tensor& param, const Tensor& grad_in, const Tensor& square_avg, const Tensor& grad_avg,
                    const Tensor& buffer, const RmspropOptions& o) {
  Tensor grad = checked_grad(param, grad_in, "rmsprop");
  check_state(param, square_avg, "square_avg", "rmsprop");
  check_state(param, grad_avg, "grad_avg", "rmsprop");
  check_state(param, buffer, "momentum_buffer", "rmsprop");
  GG_CHECK(square_avg && (!o.centered || grad_avg) && (o.momentum <= 0 || buffer), "[rmsprop] missing optimizer state");
  update_contiguous(param, [&](const Tensor& p) {
    dispatch<kFloats>(param->dtype, "rmsprop", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const fn::RmspropUpdate<T> f{T(o.lr), T(o.alpha), T(o.eps), T(o.weight_decay), T(o.momentum), o.maximize};
      T* pp = p->data<T>();
      const T* g = grad->data<T>();
      T* v = square_avg->data<T>();
      T* ga = o.centered ? grad_avg->data<T>() : nullptr;
      T* b = o.momentum > 0 ? buffer->data<T>() : nullptr;
      // One loop per combination of the optional buffers: a per-element choice would keep it scalar.
      auto run = [&](auto centered, auto with_momentum) {
        cpu::parallel_for_small(0, p->numel(), cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
          const auto update = f;
          GG_SIMD for (int64_t i = lo; i < hi; ++i)
            update(pp[i], g[i], v[i], centered ? ga + i : nullptr, with_momentum ? b + i : nullptr);
        });
      };
      const std::true_type yes;
      const std::false_type no;
      if (ga) b ? run(yes, yes) : run(yes, no);
      else b ? run(no, yes) : run(no, no);
    });
  });
  for (const Tensor* t : {&square_avg, &grad_avg, &buffer})
    if (*t) (*t)->bump_version();
}

void adagrad_update(const Tensor& param, const Tensor& grad_in, const Tensor& sum, double step,
                    const AdagradOptions& o) {
  Tensor grad = checked_grad(param, grad_in, "adagrad");
  check_state(param, sum, "sum", "adagrad");
  GG_CHECK((bool)sum, "[adagrad] missing optimizer state");
  const double clr = o.lr / (1 + (step - 1) * o.lr_decay);
  update_contiguous(param, [&](const Tensor& p) {
    dispatch<kFloats>(param->dtype, "adagrad", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const fn::AdagradUpdate<T> f{T(clr), T(o.eps), T(o.weight_decay), o.maximize};
      T* pp = p->data<T>();
      const T* g = grad->data<T>();
      T* acc = sum->data<T>();
      cpu::parallel_for_small(0, p->numel(), cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
        const auto update = f;
        GG_SIMD for (int64_t i = lo; i < hi; ++i) update(pp[i], g[i], acc[i]);
      });
    });
  });
  sum->bump_version();
}

}  // namespace gg
