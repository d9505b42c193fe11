// Bindings of the linalg-extras family (outer, baddbmm) as Tensor methods.
#include "python/common.h"

namespace gg::py_bind {

void bind_linalg_extra(py::module_& m) {
  py::object cls = m.attr("Tensor");
  py::setattr(cls, "outer", py::cpp_function([](const Tensor& self, const Tensor& vec2) { return outer(self, vec2); },
                                             py::is_method(cls), py::arg("vec2")));
  py::setattr(cls, "ger", py::cpp_function([](const Tensor& self, const Tensor& vec2) { return outer(self, vec2); },
                                           py::is_method(cls), py::arg("vec2")));
  py::setattr(cls, "baddbmm",
              py::cpp_function([](const Tensor& self, const Tensor& b1, const Tensor& b2, double beta, double alpha) {
                return baddbmm(self, b1, b2, beta, alpha);
              }, py::is_method(cls), py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1.0,
                 py::arg("alpha") = 1.0));
}

}  // namespace gg::py_bind
