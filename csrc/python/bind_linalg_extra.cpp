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
  m.def("constant_pad_nd", [](const Tensor& self, py::handle pad, py::handle value) {
    Scalar v = Scalar::from_int(0);
    if (PyBool_Check(value.ptr())) v = Scalar::from_bool(value.ptr() == Py_True);
    else if (PyLong_Check(value.ptr())) v = Scalar::from_int(value.cast<int64_t>());
    else if (!value.is_none()) v = Scalar::from_double(value.cast<double>());
    return constant_pad_nd(self, shape_from_obj(pad), v);
  }, py::arg("input"), py::arg("pad"), py::arg("value") = 0);
}

}  // namespace gg::py_bind
