// Shared by the binding files: argument conversion (Python numbers, shapes, dtypes) and
// the Python objects that stand for dtypes.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "api/ops.h"
#include "autograd/node.h"

namespace py = pybind11;

namespace gg::py_bind {
PyTypeObject* tensor_type();
const py::detail::type_info* tensor_type_info();
}  // namespace gg::py_bind

// Tensor <-> Python without pybind11's per-call type lookup (a hash of the C++ type name):
// the Python type and its type_info are looked up once, when the class is bound.
namespace pybind11::detail {
template <>
class type_caster<std::shared_ptr<gg::TensorImpl>> {
 public:
  PYBIND11_TYPE_CASTER(std::shared_ptr<gg::TensorImpl>, const_name("Tensor"));
  bool load(handle src, bool) {
    if (!PyObject_TypeCheck(src.ptr(), gg::py_bind::tensor_type())) return false;
    auto* inst = reinterpret_cast<instance*>(src.ptr());
    value_and_holder vh(inst, gg::py_bind::tensor_type_info(), 0, 0);
    if (!inst->simple_layout || !vh.holder_constructed())
      throw type_error("Tensor object is not initialized: a subclass __init__ must call Tensor.__init__");
    value = vh.template holder<std::shared_ptr<gg::TensorImpl>>();
    return true;
  }
  static handle cast(const std::shared_ptr<gg::TensorImpl>& src, return_value_policy, handle) {
    if (!src) return none().release();
    return type_caster_generic::cast(src.get(), return_value_policy::take_ownership, handle(),
                                     gg::py_bind::tensor_type_info(), nullptr, nullptr, &src);
  }
};
template <>
struct is_holder_type<gg::TensorImpl, std::shared_ptr<gg::TensorImpl>> : std::true_type {};
}  // namespace pybind11::detail

namespace gg::py_bind {

// The dtype objects (gradgate.float32, ...): one Python object per DType, so `is` works.
struct DTypeObj {
  DType dtype;
};
py::object dtype_object(DType t);
DType dtype_from_py(py::handle h);
std::optional<DType> optional_dtype(py::handle h);

inline bool is_tensor(py::handle h) { return PyObject_TypeCheck(h.ptr(), tensor_type()); }
inline Tensor as_tensor_unchecked(py::handle h) { return h.cast<Tensor>(); }

// A tensor, or a Python number wrapped as a 0-dim tensor (a "wrapped number" for type
// promotion). Returns false for anything else.
bool to_operand(py::handle h, Tensor& out);
Tensor operand_or_throw(py::handle h, const char* op, const char* arg);

// Shapes given as f(2, 3), f((2, 3)) or f([2, 3]) (also torch.Size).
DimVec shape_from_args(const py::args& args, const char* op);
DimVec shape_from_obj(py::handle h);

// The Python exception PyTorch raises for each kind of gradgate error.
PyObject* exception_type(ErrorKind kind);
// Sets the Python error for the exception being handled (call inside a catch block) and
// returns nullptr, for functions called straight from CPython.
PyObject* raise_current_exception();

// A graph node as Python sees it: an instance of a class named after the node.
py::object node_to_python(const std::shared_ptr<autograd::Node>& n);
void bind_tensor(py::module_& m);
void bind_reduce(py::module_& m);
void bind_nn(py::module_& m);
void bind_linalg_extra(py::module_& m);
void bind_autograd(py::module_& m);
void bind_interop(py::module_& m);
void bind_optim(py::module_& m);
void bind_index(py::module_& m);
void bind_elementwise(py::module_& m);
void bind_conv(py::module_& m);

}  // namespace gg::py_bind
