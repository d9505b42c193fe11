// Optimizer steps over a whole parameter group in one call: the loop over parameters runs
// in C++ as well as each parameter's update.
#include "autograd/node.h"
#include "python/common.h"

namespace gg::py_bind {

namespace {
// state['step'] is a 0-dim float32 tensor, as in PyTorch; counts one more step and returns it.
double count_step(const Tensor& step, const char* op) {
  GG_CHECK(step->numel() == 1 && step->dtype == DType::Float32, "[", op, "] state['step'] must be a float32 scalar");
  float& count = *step->data<float>();
  count += 1;
  step->bump_version();
  return count;
}
}  // namespace

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
      adam_update(params[i], meta->grad, *exp_avgs[i], *exp_avg_sqs[i], max_exp_avg_sqs[i].value_or(nullptr),
                  count_step(*steps[i], "adam"), o);
    }
  });
  m.def("_rmsprop_step", [](const std::vector<Tensor>& params, const std::vector<std::optional<Tensor>>& square_avgs,
                            const std::vector<std::optional<Tensor>>& grad_avgs,
                            const std::vector<std::optional<Tensor>>& buffers,
                            const std::vector<std::optional<Tensor>>& steps, double lr, double alpha, double eps,
                            double weight_decay, double momentum, bool centered, bool maximize) {
    const size_t n = params.size();
    GG_CHECK(square_avgs.size() == n && grad_avgs.size() == n && buffers.size() == n && steps.size() == n,
             "[rmsprop] one state slot per parameter expected");
    RmspropOptions o{lr, alpha, eps, weight_decay, momentum, centered, maximize};
    for (size_t i = 0; i < n; ++i) {
      auto* meta = autograd::meta(params[i]);
      if (!meta || !meta->grad) continue;
      GG_CHECK(steps[i] && square_avgs[i], "[rmsprop] missing optimizer state for parameter ", i);
      count_step(*steps[i], "rmsprop");
      rmsprop_update(params[i], meta->grad, *square_avgs[i], grad_avgs[i].value_or(nullptr),
                     buffers[i].value_or(nullptr), o);
    }
  });
  m.def("_adagrad_step", [](const std::vector<Tensor>& params, const std::vector<std::optional<Tensor>>& sums,
                            const std::vector<std::optional<Tensor>>& steps, double lr, double lr_decay,
                            double weight_decay, double eps, bool maximize) {
    const size_t n = params.size();
    GG_CHECK(sums.size() == n && steps.size() == n, "[adagrad] one state slot per parameter expected");
    AdagradOptions o{lr, lr_decay, eps, weight_decay, maximize};
    for (size_t i = 0; i < n; ++i) {
      auto* meta = autograd::meta(params[i]);
      if (!meta || !meta->grad) continue;
      GG_CHECK(steps[i] && sums[i], "[adagrad] missing optimizer state for parameter ", i);
      adagrad_update(params[i], meta->grad, *sums[i], count_step(*steps[i], "adagrad"), o);
    }
  });
}

}  // namespace gg::py_bind
