// Bindings of the nn family (ops/nn.cpp): Tensor.softmax / log_softmax and the _C entry points
// nn.functional calls. Conversion only: no math here.
#include "python/common.h"

namespace gg::py_bind {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t.value_or(nullptr); }
}  // namespace

void bind_nn(py::module_& m) {
  py::object cls = m.attr("Tensor");
  // Tensor.softmax(dim, dtype=None) / Tensor.log_softmax(dim, dtype=None)
  for (bool log : {false, true}) {
    auto f = log ? +[](const Tensor& x, int64_t dim, py::handle dtype) {
      auto dt = optional_dtype(dtype);
      return log_softmax(dt ? to_dtype(x, *dt) : x, dim);
    } : +[](const Tensor& x, int64_t dim, py::handle dtype) {
      auto dt = optional_dtype(dtype);
      return softmax(dt ? to_dtype(x, *dt) : x, dim);
    };
    py::setattr(cls, log ? "log_softmax" : "softmax",
                py::cpp_function(f, py::is_method(cls), py::arg("dim"), py::arg("dtype") = py::none()));
  }
  m.def("_softmax_backward_data", [](const Tensor& g, const Tensor& y, int64_t dim) {
    return softmax_backward_data(g, y, dim);
  });
  m.def("_log_softmax_backward_data", [](const Tensor& g, const Tensor& y, int64_t dim) {
    return log_softmax_backward_data(g, y, dim);
  });
  m.def("_nll_loss", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, int reduction, int64_t ignore) {
    return nll_loss(x, t, opt(w), Reduction(reduction), ignore);
  });
  m.def("_one_hot", &one_hot);
  m.def("_lstm_cell", &lstm_cell);
  m.def("_layer_norm", [](const Tensor& x, py::handle shape, std::optional<Tensor> w, std::optional<Tensor> b,
                          double eps) { return layer_norm(x, shape_from_obj(shape), opt(w), opt(b), eps); });
  m.def("_batch_norm", [](const Tensor& x, std::optional<Tensor> rm, std::optional<Tensor> rv,
                          std::optional<Tensor> w, std::optional<Tensor> b, bool training, double momentum,
                          double eps) { return batch_norm(x, opt(w), opt(b), opt(rm), opt(rv), training, momentum, eps); });
  m.def("_group_norm", [](const Tensor& x, int64_t groups, std::optional<Tensor> w, std::optional<Tensor> b,
                          double eps) { return group_norm(x, groups, opt(w), opt(b), eps); });
  m.def("_embedding", [](const Tensor& weight, const Tensor& idx, int64_t padding_idx) {
    return embedding(weight, idx, padding_idx);
  });
  m.def("_smooth_l1_loss", [](const Tensor& x, const Tensor& y, int reduction, double beta) {
    return smooth_l1_loss(x, y, Reduction(reduction), beta);
  });
  m.def("_huber_loss", [](const Tensor& x, const Tensor& y, int reduction, double delta) {
    return huber_loss(x, y, Reduction(reduction), delta);
  });
  m.def("_binary_cross_entropy", [](const Tensor& x, const Tensor& y, std::optional<Tensor> w, int reduction) {
    return binary_cross_entropy(x, y, opt(w), Reduction(reduction));
  });
}

}  // namespace gg::py_bind
