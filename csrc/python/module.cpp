// The extension module gradgate._C: error translation, dtype objects, and the other binding files.
#include "python/common.h"

#include "alloc/cpu_allocator.h"
#include "kernels/cpu/parallel.h"

namespace gg::py_bind {

namespace {
// Owned references, never released: static py::objects would be destroyed after the interpreter.
PyObject* g_dtypes[kNumDTypes];
const char* const kDTypeNames[kNumDTypes] = {"bool", "int32", "int64", "float32", "float64"};
}  // namespace

PyObject* exception_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Index: return PyExc_IndexError;
    case ErrorKind::Value: return PyExc_ValueError;
    case ErrorKind::Type: return PyExc_TypeError;
    case ErrorKind::NotImplemented: return PyExc_NotImplementedError;
    case ErrorKind::Runtime: break;
  }
  return PyExc_RuntimeError;
}

PyObject* raise_current_exception() {
  try {
    throw;
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const Error& e) {
    PyErr_SetString(exception_type(e.kind), e.what());
  } catch (py::builtin_exception& e) {
    e.set_error();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

py::object dtype_object(DType t) { return py::reinterpret_borrow<py::object>(g_dtypes[int(t)]); }

DType dtype_from_py(py::handle h) {
  if (py::isinstance<DTypeObj>(h)) return h.cast<DTypeObj&>().dtype;
  // Python types and NumPy dtypes are accepted where PyTorch accepts them.
  if (h.ptr() == (PyObject*)&PyFloat_Type) return DType::Float64;
  if (h.ptr() == (PyObject*)&PyLong_Type) return DType::Int64;
  if (h.ptr() == (PyObject*)&PyBool_Type) return DType::Bool;
  throw py::type_error(str_cat("expected a gradgate dtype (e.g. gradgate.float32), got ",
                               std::string(py::str(py::repr(h)))));
}

std::optional<DType> optional_dtype(py::handle h) {
  if (!h || h.is_none()) return std::nullopt;
  return dtype_from_py(h);
}

bool to_operand(py::handle h, Tensor& out) {
  PyObject* o = h.ptr();
  if (is_tensor(h)) {
    out = h.cast<Tensor>();
    return true;
  }
  if (PyBool_Check(o)) {
    out = scalar_tensor(Scalar::from_bool(o == Py_True), std::nullopt, true);
    return true;
  }
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) throw std::overflow_error("Python int too large to convert to a gradgate integer");
    out = scalar_tensor(Scalar::from_int(v), std::nullopt, true);
    return true;
  }
  if (PyFloat_Check(o)) {
    out = scalar_tensor(Scalar::from_double(PyFloat_AS_DOUBLE(o)), std::nullopt, true);
    return true;
  }
  // NumPy scalars and other number-likes.
  if (PyIndex_Check(o) && !PySequence_Check(o)) {
    out = scalar_tensor(Scalar::from_int(h.cast<int64_t>()), std::nullopt, true);
    return true;
  }
  if (PyNumber_Check(o) && !PySequence_Check(o) && py::hasattr(h, "__float__") && !py::hasattr(h, "shape")) {
    out = scalar_tensor(Scalar::from_double(h.cast<double>()), std::nullopt, true);
    return true;
  }
  if (py::hasattr(h, "shape") && py::hasattr(h, "dtype") && py::hasattr(h, "item") &&
      py::len(h.attr("shape")) == 0) {  // 0-d NumPy arrays and NumPy scalars
    return to_operand(h.attr("item")(), out);
  }
  return false;
}

Tensor operand_or_throw(py::handle h, const char* op, const char* arg) {
  Tensor t;
  if (!to_operand(h, t))
    throw py::type_error(str_cat(op, "(): argument '", arg, "' must be Tensor or Number, not ",
                                 Py_TYPE(h.ptr())->tp_name));
  return t;
}

DimVec shape_from_obj(py::handle h) {
  DimVec s;
  if (PyLong_Check(h.ptr()) || PyIndex_Check(h.ptr())) {
    s.push_back(h.cast<int64_t>());
    return s;
  }
  if (is_tensor(h)) {
    Tensor t = h.cast<Tensor>();
    GG_CHECK_KIND(t->dim() <= 1 && is_integral(t->dtype, false), Type, "a shape must be a sequence of ints");
    py::object lst = h.attr("tolist")();
    if (t->dim() == 0) return DimVec{lst.cast<int64_t>()};
    return shape_from_obj(lst);
  }
  if (!PySequence_Check(h.ptr())) throw py::type_error(str_cat("a shape must be a sequence of ints, not ", Py_TYPE(h.ptr())->tp_name));
  for (py::handle x : py::reinterpret_borrow<py::sequence>(h)) {
    if (!PyIndex_Check(x.ptr()) && !is_tensor(x))
      throw py::type_error(str_cat("a shape must be a sequence of ints, got an element of type ", Py_TYPE(x.ptr())->tp_name));
    s.push_back(is_tensor(x) ? x.attr("item")().cast<int64_t>() : x.cast<int64_t>());
  }
  return s;
}

DimVec shape_from_args(const py::args& args, const char* op) {
  if (args.size() == 1 && !PyLong_Check(args[0].ptr())) return shape_from_obj(args[0]);
  DimVec s;
  for (py::handle x : args) {
    if (!PyIndex_Check(x.ptr()))
      throw py::type_error(str_cat(op, "(): argument 'size' must be tuple of ints, but found element of type ",
                                   Py_TYPE(x.ptr())->tp_name));
    s.push_back(x.cast<int64_t>());
  }
  return s;
}

}  // namespace gg::py_bind

using namespace gg;
using namespace gg::py_bind;

PYBIND11_MODULE(_C, m) {
  m.doc() = "gradgate native core";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(exception_type(e.kind), e.what());
    }
  });

  py::class_<DTypeObj>(m, "dtype")
      .def_property_readonly("is_floating_point", [](const DTypeObj& d) { return is_floating(d.dtype); })
      .def_property_readonly("itemsize", [](const DTypeObj& d) { return itemsize(d.dtype); })
      .def_property_readonly("is_signed", [](const DTypeObj& d) { return d.dtype != DType::Bool; })
      .def_property_readonly("_name", [](const DTypeObj& d) { return std::string(dtype_name(d.dtype)).substr(6); })
      .def("__repr__", [](const DTypeObj& d) { return std::string(dtype_name(d.dtype)); })
      .def("__reduce__", [](const DTypeObj& d) {
        return py::make_tuple(py::module_::import("gradgate").attr("_dtype_by_name"),
                              py::make_tuple(std::string(dtype_name(d.dtype)).substr(6)));
      });
  for (int i = 0; i < kNumDTypes; ++i) {
    g_dtypes[i] = py::cast(DTypeObj{DType(i)}).release().ptr();
    m.attr(kDTypeNames[i]) = dtype_object(DType(i));
  }

  m.def("_set_default_dtype", [](py::handle d) {
    DType t = dtype_from_py(d);
    if (!is_floating(t)) throw py::type_error("only floating-point types are supported as the default type");
    default_float_dtype() = t;
  });
  m.def("get_num_threads", &cpu::get_num_threads);
  m.def("set_num_threads", [](int n) {
    if (n < 1) throw py::value_error("set_num_threads expects a positive integer");
    cpu::set_num_threads(n);
  });
  m.def("_empty_cache", &alloc::cpu_empty_cache);
  m.def("_cached_bytes", &alloc::cpu_cached_bytes);

  bind_tensor(m);
  bind_autograd(m);
  bind_interop(m);
  bind_optim(m);
  bind_reduce(m);
  bind_index(m);
  bind_elementwise(m);
  bind_nn(m);
  bind_linalg_extra(m);
  bind_conv(m);
}
