// Shared by the binding files: argument conversion (Python numbers, shapes, dtypes) and
// the Python objects that stand for dtypes.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "api/ops.h"

namespace py = pybind11;

namespace gg::py_bind {

// The dtype objects (gradgate.float32, ...): one Python object per DType, so `is` works.
struct DTypeObj {
  DType dtype;
};
py::object dtype_object(DType t);
DType dtype_from_py(py::handle h);
std::optional<DType> optional_dtype(py::handle h);

PyTypeObject* tensor_type();
inline bool is_tensor(py::handle h) { return PyObject_TypeCheck(h.ptr(), tensor_type()); }
inline Tensor as_tensor_unchecked(py::handle h) { return h.cast<Tensor>(); }

// A tensor, or a Python number wrapped as a 0-dim tensor (a "wrapped number" for type
// promotion). Returns false for anything else.
bool to_operand(py::handle h, Tensor& out);
Tensor operand_or_throw(py::handle h, const char* op, const char* arg);

// Shapes given as f(2, 3), f((2, 3)) or f([2, 3]) (also torch.Size).
DimVec shape_from_args(const py::args& args, const char* op);
DimVec shape_from_obj(py::handle h);

void bind_tensor(py::module_& m);
void bind_autograd(py::module_& m);
void bind_interop(py::module_& m);

}  // namespace gg::py_bind
