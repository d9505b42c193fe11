// Optimizer steps over a whole parameter group in one call: the loop over parameters runs
// in C++ as well as each parameter's update.
#include "autograd/node.h"
#include "python/common.h"

namespace gg::py_bind {

void bind_optim(py::module_& m) {
  // Returns the momentum buffers (None where a parameter had no gradient or no momentum is used).
  m.def("_sgd_step", [](const std::vector<Tensor>& params, std::vector<std::optional<Tensor>> buffers, double lr,
                        double momentum, double dampening, double weight_decay, bool nesterov, bool maximize) {
    GG_CHECK(buffers.size() == params.size(), "[sgd] one momentum buffer slot per parameter expected");
    SgdOptions o{lr, momentum, dampening, weight_decay, nesterov, maximize};
    for (size_t i = 0; i < params.size(); ++i) {
      auto* meta = autograd::meta(params[i]);
      if (!meta || !meta->grad) continue;
      Tensor b = sgd_update(params[i], meta->grad, buffers[i].value_or(nullptr), o);
      buffers[i] = b ? std::optional<Tensor>(b) : std::nullopt;
    }
    return buffers;
  });
  // State tensors per parameter (None for parameters without a gradient); steps are 0-dim
  // float tensors counted up here, as PyTorch keeps state['step'].
  m.def("_adam_step", [](const std::vector<Tensor>& params, const std::vector<std::optional<Tensor>>& exp_avgs,
                         const std::vector<std::optional<Tensor>>& exp_avg_sqs,
                         const std::vector<std::optional<Tensor>>& max_exp_avg_sqs,
                         const std::vector<std::optional<Tensor>>& steps, double lr, double beta1, double beta2,
                         double eps, double weight_decay, bool amsgrad, bool maximize, bool decoupled) {
    const size_t n = params.size();
    GG_CHECK(exp_avgs.size() == n && exp_avg_sqs.size() == n && max_exp_avg_sqs.size() == n && steps.size() == n,
             "[adam] one state slot per parameter expected");
    AdamOptions o{lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled};
    for (size_t i = 0; i < n; ++i) {
      auto* meta = autograd::meta(params[i]);
      if (!meta || !meta->grad) continue;
      GG_CHECK(steps[i] && exp_avgs[i] && exp_avg_sqs[i] && (!amsgrad || max_exp_avg_sqs[i]),
               "[adam] missing optimizer state for parameter ", i);
      const Tensor& step = *steps[i];
      GG_CHECK(step->numel() == 1 && step->dtype == DType::Float32, "[adam] state['step'] must be a float32 scalar");
      float& count = *step->data<float>();
      count += 1;
      step->bump_version();
      adam_update(params[i], meta->grad, *exp_avgs[i], *exp_avg_sqs[i], max_exp_avg_sqs[i].value_or(nullptr), count, o);
    }
  });
}

}  // namespace gg::py_bind
