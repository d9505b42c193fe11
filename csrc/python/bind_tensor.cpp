// The Tensor class: operators and methods bound straight to the C++ ops (one crossing per op).
#include <Python.h>

#include "autograd/node.h"
#include "python/common.h"

namespace gg::py_bind {

namespace {

PyTypeObject* g_tensor_type = nullptr;
const py::detail::type_info* g_tensor_tinfo = nullptr;

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// Binary operator: tensor op (tensor | number); anything else is NotImplemented so Python
// can try the reflected method.
template <Tensor (*Op)(const Tensor&, const Tensor&)>
py::object binary_op(const Tensor& self, py::handle other) {
  Tensor o;
  if (!to_operand(other, o)) return not_implemented();
  return py::cast(Op(self, o));
}
template <Tensor (*Op)(const Tensor&, const Tensor&)>
py::object reflected_op(const Tensor& self, py::handle other) {
  Tensor o;
  if (!to_operand(other, o)) return not_implemented();
  return py::cast(Op(o, self));
}

// ---- the hot path: operators and unary math as plain CPython methods (METH_O /
// METH_NOARGS), without pybind11's general dispatcher (argument tuples, overload search).
// Big kernels run with the GIL released so other Python threads can go on; small ones keep
// it (releasing costs more than their math).
constexpr int64_t kReleaseGilAbove = 1 << 16;

template <Tensor (*Op)(const Tensor&, const Tensor&), bool Reflected>
PyObject* raw_binary(PyObject* self, PyObject* other) noexcept {
  try {
    Tensor o;
    if (!to_operand(other, o)) Py_RETURN_NOTIMPLEMENTED;
    Tensor s = py::handle(self).cast<Tensor>();
    Tensor r;
    if (s->numel() > kReleaseGilAbove || o->numel() > kReleaseGilAbove) {
      py::gil_scoped_release no_gil;
      r = Reflected ? Op(o, s) : Op(s, o);
    } else {
      r = Reflected ? Op(o, s) : Op(s, o);
    }
    return py::cast(r).release().ptr();
  } catch (...) {
    return raise_current_exception();
  }
}

template <Tensor (*Op)(const Tensor&)>
PyObject* raw_unary(PyObject* self, PyObject*) noexcept {
  try {
    Tensor s = py::handle(self).cast<Tensor>(), r;
    if (s->numel() > kReleaseGilAbove) {
      py::gil_scoped_release no_gil;
      r = Op(s);
    } else {
      r = Op(s);
    }
    return py::cast(r).release().ptr();
  } catch (...) {
    return raise_current_exception();
  }
}

void add_raw_method(py::handle cls, const char* name, PyCFunction fn, int flags) {
  auto* def = new PyMethodDef{name, fn, flags, nullptr};  // lives as long as the type
  PyObject* descr = PyDescr_NewMethod((PyTypeObject*)cls.ptr(), def);
  if (!descr || PyObject_SetAttrString(cls.ptr(), name, descr) < 0) throw py::error_already_set();
  Py_DECREF(descr);
}

Tensor add1(const Tensor& a, const Tensor& b) { return add(a, b, 1.0); }
Tensor sub1(const Tensor& a, const Tensor& b) { return sub(a, b, 1.0); }
Tensor rsub_(const Tensor& self, const Tensor& other) { return rsub(self, other); }
Tensor rdiv(const Tensor& other, const Tensor& self) { return mul(reciprocal(self), other); }
template <Compare C> Tensor cmp(const Tensor& a, const Tensor& b) { return compare(a, b, C); }

template <Inplace K>
py::object inplace_op(const Tensor& self, py::handle other) {
  Tensor o;
  if (!to_operand(other, o)) return not_implemented();
  inplace(self, o, K);
  return py::cast(self);
}

std::optional<DimVec> dims_arg(py::handle dim) {
  if (!dim || dim.is_none()) return std::nullopt;
  if (PyLong_Check(dim.ptr())) return DimVec{dim.cast<int64_t>()};
  return shape_from_obj(dim);
}

py::object item(const Tensor& t) {
  GG_CHECK(t->numel() == 1, "a Tensor with ", t->numel(), " elements cannot be converted to Scalar");
  Tensor c = contiguous(detach(t));
  switch (t->dtype) {
    case DType::Float32: return py::float_(*c->data<float>());
    case DType::Float64: return py::float_(*c->data<double>());
    case DType::Int32: return py::int_(*c->data<int32_t>());
    case DType::Int64: return py::int_(*c->data<int64_t>());
    case DType::Bool: return py::bool_(*c->data<bool>());
  }
  return py::none();
}

void warn_nonleaf_grad() {
  PyErr_WarnEx(PyExc_UserWarning,
               "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
               "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
               "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
               "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
               "for more informations.",
               1);
}

}  // namespace

PyTypeObject* tensor_type() { return g_tensor_type; }
const py::detail::type_info* tensor_type_info() { return g_tensor_tinfo; }

void bind_tensor(py::module_& m) {
  using namespace autograd;
  using namespace pybind11::literals;
  py::class_<TensorImpl, std::shared_ptr<TensorImpl>> cls(m, "Tensor", py::dynamic_attr());
  g_tensor_type = (PyTypeObject*)cls.ptr();
  g_tensor_tinfo = py::detail::get_type_info(typeid(TensorImpl));

  // Tensor(other): a new tensor sharing other's memory (used by nn.Parameter);
  // Tensor(data): a default-float tensor from Python data, as torch.Tensor([1, 2]) is.
  cls.def(py::init([](py::handle data, bool requires_grad) {
            Tensor t;
            if (is_tensor(data)) {
              t = detach(data.cast<Tensor>());
            } else {
              py::object made = py::module_::import("gradgate").attr("tensor")(data, "dtype"_a = dtype_object(default_float_dtype()));
              t = made.cast<Tensor>();
            }
            if (requires_grad) set_requires_grad(t, true);
            return t;
          }),
          py::arg("data"), py::arg("requires_grad") = false);

  // ---- operators ----
  // radd/rmul keep self first, as PyTorch records them.
  add_raw_method(cls, "__add__", (PyCFunction)&raw_binary<add1, false>, METH_O);
  add_raw_method(cls, "__radd__", (PyCFunction)&raw_binary<add1, false>, METH_O);
  add_raw_method(cls, "__sub__", (PyCFunction)&raw_binary<sub1, false>, METH_O);
  add_raw_method(cls, "__rsub__", (PyCFunction)&raw_binary<rsub_, false>, METH_O);
  add_raw_method(cls, "__mul__", (PyCFunction)&raw_binary<mul, false>, METH_O);
  add_raw_method(cls, "__rmul__", (PyCFunction)&raw_binary<mul, false>, METH_O);
  add_raw_method(cls, "__truediv__", (PyCFunction)&raw_binary<div, false>, METH_O);
  add_raw_method(cls, "__rtruediv__", (PyCFunction)&raw_binary<rdiv, true>, METH_O);
  add_raw_method(cls, "__matmul__", (PyCFunction)&raw_binary<matmul, false>, METH_O);
  add_raw_method(cls, "__rmatmul__", (PyCFunction)&raw_binary<matmul, true>, METH_O);
  add_raw_method(cls, "__neg__", (PyCFunction)&raw_unary<neg>, METH_NOARGS);
  add_raw_method(cls, "__abs__", (PyCFunction)&raw_unary<abs>, METH_NOARGS);
  // Identity hash (defining __eq__ removed the default): raw, since optimizers and modules key
  // dicts by tensor on every step and pybind11's dispatch costs several times the lookup.
  add_raw_method(cls, "__hash__", (PyCFunction)+[](PyObject* self, PyObject*) noexcept -> PyObject* {
    return PyLong_FromSsize_t((Py_ssize_t)(uintptr_t)self);
  }, METH_NOARGS);
  cls.def("__pow__", &binary_op<pow>, py::is_operator())
      .def("__rpow__", &reflected_op<pow>, py::is_operator())
      .def("__eq__", &binary_op<cmp<Compare::Eq>>, py::is_operator())
      .def("__ne__", &binary_op<cmp<Compare::Ne>>, py::is_operator())
      .def("__lt__", &binary_op<cmp<Compare::Lt>>, py::is_operator())
      .def("__le__", &binary_op<cmp<Compare::Le>>, py::is_operator())
      .def("__gt__", &binary_op<cmp<Compare::Gt>>, py::is_operator())
      .def("__ge__", &binary_op<cmp<Compare::Ge>>, py::is_operator())
      .def("__iadd__", &inplace_op<Inplace::Add>, py::is_operator())
      .def("__isub__", &inplace_op<Inplace::Sub>, py::is_operator())
      .def("__imul__", &inplace_op<Inplace::Mul>, py::is_operator())
      .def("__itruediv__", &inplace_op<Inplace::Div>, py::is_operator())
      .def("__ipow__", &inplace_op<Inplace::Pow>, py::is_operator());

  // ---- elementwise methods ----
#define GG_UNARY(name, F, node, saves, to_float) \
  add_raw_method(cls, #name, (PyCFunction)&raw_unary<name>, METH_NOARGS); \
  add_raw_method(cls, #name "_", (PyCFunction)&raw_unary<name##_>, METH_NOARGS);
#include "api/unary_ops.def"
#undef GG_UNARY
  cls.def("add", [](const Tensor& a, py::handle b, double alpha) { return add(a, operand_or_throw(b, "add", "other"), alpha); },
          py::arg("other"), py::kw_only(), py::arg("alpha") = 1.0)
      .def("sub", [](const Tensor& a, py::handle b, double alpha) { return sub(a, operand_or_throw(b, "sub", "other"), alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1.0)
      .def("mul", [](const Tensor& a, py::handle b) { return mul(a, operand_or_throw(b, "mul", "other")); })
      .def("div", [](const Tensor& a, py::handle b) { return div(a, operand_or_throw(b, "div", "other")); })
      .def("pow", [](const Tensor& a, py::handle b) { return pow(a, operand_or_throw(b, "pow", "exponent")); })
      .def("maximum", &maximum)
      .def("minimum", &minimum)
      .def("eq", &binary_op<cmp<Compare::Eq>>)
      .def("ne", &binary_op<cmp<Compare::Ne>>)
      .def("lt", &binary_op<cmp<Compare::Lt>>)
      .def("le", &binary_op<cmp<Compare::Le>>)
      .def("gt", &binary_op<cmp<Compare::Gt>>)
      .def("ge", &binary_op<cmp<Compare::Ge>>)
      .def("add_", [](const Tensor& a, py::handle b, double alpha) { return inplace(a, operand_or_throw(b, "add_", "other"), Inplace::Add, alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1.0)
      .def("sub_", [](const Tensor& a, py::handle b, double alpha) { return inplace(a, operand_or_throw(b, "sub_", "other"), Inplace::Sub, alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1.0)
      .def("mul_", [](const Tensor& a, py::handle b) { return inplace(a, operand_or_throw(b, "mul_", "other"), Inplace::Mul); })
      .def("div_", [](const Tensor& a, py::handle b) { return inplace(a, operand_or_throw(b, "div_", "other"), Inplace::Div); })
      .def("pow_", [](const Tensor& a, py::handle b) { return inplace(a, operand_or_throw(b, "pow_", "exponent"), Inplace::Pow); })
      .def("zero_", &zero_)
      .def("fill_", [](const Tensor& t, py::handle v) {
        Tensor s = operand_or_throw(v, "fill_", "value");
        GG_CHECK(s->numel() == 1, "fill_ only supports 0-dimension value tensor but got tensor with ", s->dim(), " dimensions.");
        Tensor c = contiguous(detach(s));
        Scalar sc = is_floating(c->dtype) ? Scalar::from_double(c->dtype == DType::Float32 ? *c->data<float>() : *c->data<double>())
                    : c->dtype == DType::Bool ? Scalar::from_bool(*c->data<bool>())
                    : Scalar::from_int(c->dtype == DType::Int32 ? *c->data<int32_t>() : *c->data<int64_t>());
        return fill_(t, sc);
      })
      .def("copy_", [](const Tensor& dst, const Tensor& src, bool) { return copy_(dst, src); },
           py::arg("src"), py::arg("non_blocking") = false);

  // ---- reductions ----
  cls.def("sum", [](const Tensor& t, py::handle dim, bool keepdim, py::handle dtype) {
            return sum(t, dims_arg(dim), keepdim, optional_dtype(dtype));
          }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none())
      .def("mean", [](const Tensor& t, py::handle dim, bool keepdim, py::handle dtype) {
            return mean(t, dims_arg(dim), keepdim, optional_dtype(dtype));
          }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none())
      .def("prod", [](const Tensor& t, std::optional<int64_t> dim, bool keepdim, py::handle dtype) {
            return prod(t, dim, keepdim, optional_dtype(dtype));
          }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none())
      .def("amax", [](const Tensor& t, py::handle dim, bool keepdim) {
            auto d = dims_arg(dim);
            return amax(t, d ? *d : DimVec{}, keepdim);
          }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("amin", [](const Tensor& t, py::handle dim, bool keepdim) {
            auto d = dims_arg(dim);
            return amin(t, d ? *d : DimVec{}, keepdim);
          }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("_max_all", &max_all)
      .def("_min_all", &min_all)
      .def("_max_dim", &max_dim)
      .def("_min_dim", &min_dim)
      .def("argmax", &argmax, py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("argmin", &argmin, py::arg("dim") = py::none(), py::arg("keepdim") = false);

  // ---- linear algebra ----
  cls.def("addmm", [](const Tensor& self, const Tensor& a, const Tensor& b, double beta, double alpha) {
            return addmm(self, a, b, beta, alpha);
          }, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
  cls.def("matmul", &matmul).def("mm", &mm).def("bmm", &bmm).def("mv", &mv).def("dot", &dot);

  // ---- shapes and views ----
  cls.def("view", [](const Tensor& t, py::args shape) { return view(t, shape_from_args(shape, "view")); })
      .def("reshape", [](const Tensor& t, py::args shape) { return reshape(t, shape_from_args(shape, "reshape")); })
      .def("transpose", &transpose)
      .def("t", &t_)
      .def("permute", [](const Tensor& t, py::args dims) { return permute(t, shape_from_args(dims, "permute")); })
      .def("expand", [](const Tensor& t, py::args shape) { return expand(t, shape_from_args(shape, "expand")); })
      .def("expand_as", [](const Tensor& t, const Tensor& o) { return expand(t, o->sizes); })
      .def("view_as", [](const Tensor& t, const Tensor& o) { return view(t, o->sizes); })
      .def("reshape_as", [](const Tensor& t, const Tensor& o) { return reshape(t, o->sizes); })
      .def("squeeze", [](const Tensor& t, py::handle dim) {
            if (dim.is_none()) return squeeze(t);
            if (PyLong_Check(dim.ptr())) return squeeze_dim(t, dim.cast<int64_t>());
            Tensor r = t;
            DimVec ds = shape_from_obj(dim);
            std::vector<int64_t> sorted;
            for (int64_t d : ds) sorted.push_back(wrap_dim(d, t->dim()));
            std::sort(sorted.rbegin(), sorted.rend());
            for (int64_t d : sorted) r = squeeze_dim(r, d);
            return r;
          }, py::arg("dim") = py::none())
      .def("unsqueeze", &unsqueeze)
      .def("flatten", &flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("narrow", &narrow)
      .def("select", &select)
      .def("contiguous", [](const Tensor& t) { return contiguous(t); })
      .def("clone", [](const Tensor& t) { return clone(t); })
      .def("detach", &detach)
      .def("_to_dtype", [](const Tensor& t, py::handle dtype, bool copy) { return to_dtype(t, dtype_from_py(dtype), copy); },
           py::arg("dtype"), py::arg("copy") = false);
  // __getitem__ / __setitem__: bind_index.cpp

  m.def("_binary_cross_entropy_with_logits", [](const Tensor& x, const Tensor& y, std::optional<Tensor> w,
                                                  std::optional<Tensor> pw, int reduction) {
    return binary_cross_entropy_with_logits(x, y, w.value_or(nullptr), pw.value_or(nullptr), Reduction(reduction));
  });

  m.def("_linear", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b) { return linear(x, w, b.value_or(nullptr)); },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  // Optimizer.zero_grad / Module.zero_grad over a list of parameters in one call.
  m.def("_zero_grad", [](const std::vector<Tensor>& params, bool set_to_none) {
    for (const Tensor& p : params) {
      auto* meta = autograd::meta(p);
      if (!meta || !meta->grad) continue;
      if (set_to_none) {
        meta->grad = nullptr;
      } else {
        auto* gm = autograd::meta(meta->grad);
        if (gm) {  // detach_(): the gradient stops being part of any graph
          gm->grad_fn = nullptr;
          gm->requires_grad = false;
        }
        zero_(meta->grad);
      }
    }
  });
  m.def("_mse_loss", [](const Tensor& x, const Tensor& y, int reduction) { return mse_loss(x, y, Reduction(reduction)); });

  // ---- properties ----
  cls.def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(std::vector<int64_t>(t->sizes.begin(), t->sizes.end()))); })
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_object(t->dtype); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t->dim(); })
      .def_property_readonly("_device_str", [](const Tensor& t) { return t->device().str(); })
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t->device().is_cuda(); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return is_leaf(t); })
      .def_property_readonly("grad_fn", [](const Tensor& t) { return node_to_python(grad_fn(t)); })
      .def_property_readonly("_version", [](const Tensor& t) { return t->version(); })
      .def_property_readonly("retains_grad", [](const Tensor& t) { auto* m = meta(t); return m && m->retains_grad; })
      .def_property_readonly("output_nr", [](const Tensor& t) { auto* m = meta(t); return m ? m->output_nr : 0u; })
      .def_property("requires_grad", [](const Tensor& t) { return t->requires_grad(); },
                    [](const Tensor& t, bool r) {
                      GG_CHECK(is_leaf(t), "you can only change requires_grad flags of leaf variables.");
                      set_requires_grad(t, r);
                    })
      .def_property("grad",
                    [](const Tensor& t) -> Tensor {
                      auto* m = meta(t);
                      if (m && m->grad_fn && !m->retains_grad) warn_nonleaf_grad();
                      return m ? m->grad : nullptr;
                    },
                    [](const Tensor& t, std::optional<Tensor> g) {
                      if (g && *g) {
                        GG_CHECK((*g)->sizes == t->sizes, "assigned grad has data of a different size");
                        GG_CHECK((*g)->dtype == t->dtype, "assigned grad has data of a different type");
                        GG_CHECK((*g)->device() == t->device(), "assigned grad has data located on a different device");
                        materialize_meta(t).grad = *g;
                      } else if (auto* m = meta(t)) {
                        m->grad = nullptr;
                      }
                    })
      .def_property("data",
                    [](const Tensor& t) {
                      Tensor d = std::make_shared<TensorImpl>(Storage::alias(t->storage), t->sizes, t->strides, t->offset, t->dtype);
                      d->is_inference = t->is_inference;
                      return d;
                    },
                    [](const Tensor& t, const Tensor& src) {
                      t->storage = src->storage;
                      t->dtype = src->dtype;
                      t->set_geometry(src->sizes, src->strides, src->offset);
                    });

  // ---- small methods ----
  cls.def("dim", [](const Tensor& t) { return t->dim(); })
      .def("numel", [](const Tensor& t) { return t->numel(); })
      .def("nelement", [](const Tensor& t) { return t->numel(); })
      .def("element_size", [](const Tensor& t) { return t->element_size(); })
      .def("is_contiguous", [](const Tensor& t) { return t->is_contiguous(); })
      .def("is_inference", [](const Tensor& t) { return t->is_inference; })
      .def("_is_view", [](const Tensor& t) { return t->is_view; })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t->dtype); })
      .def("storage_offset", [](const Tensor& t) { return t->offset; })
      .def("data_ptr", [](const Tensor& t) { return (uintptr_t)t->raw_data(); })
      .def("stride", [](const Tensor& t, py::handle dim) -> py::object {
            if (dim.is_none()) return py::tuple(py::cast(std::vector<int64_t>(t->strides.begin(), t->strides.end())));
            return py::int_(t->strides[wrap_dim(dim.cast<int64_t>(), t->dim(), false)]);
          }, py::arg("dim") = py::none())
      .def("_size", [](const Tensor& t, int64_t dim) { return t->sizes[wrap_dim(dim, t->dim(), false)]; })
      .def("item", &item)
      .def("__len__", [](const Tensor& t) {
        if (t->dim() == 0) throw py::type_error("len() of a 0-d tensor");
        return t->sizes[0];
      })
      .def("__bool__", [](const Tensor& t) {
        GG_CHECK(t->numel() == 1, "Boolean value of Tensor with more than one value is ambiguous");
        return py::bool_(PyObject_IsTrue(item(t).ptr()) == 1);
      })
      .def("__float__", [](const Tensor& t) { return item(t).cast<double>(); })
      .def("__int__", [](const Tensor& t) { return py::int_(item(t)); })
      .def("__index__", [](const Tensor& t) {
        GG_CHECK_KIND(is_integral(t->dtype, true) && t->numel() == 1, Type,
                      "only integer tensors of a single element can be converted to an index");
        return item(t).cast<int64_t>();
      })
      .def("requires_grad_", [](const Tensor& t, bool r) { set_requires_grad(t, r); return t; },
           py::arg("requires_grad") = true)
      .def("detach_", [](const Tensor& t) {
        GG_CHECK(!t->is_view || !t->requires_grad(), "Can't detach views in-place. Use detach() instead.");
        if (auto* m = meta(t)) {
          m->grad_fn = nullptr;
          m->requires_grad = false;
          m->output_nr = 0;
        }
        return t;
      })
      .def("retain_grad", [](const Tensor& t) {
        GG_CHECK(t->requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
        auto* m = meta(t);
        if (!m->grad_fn || m->retains_grad) return;
        m->grad_fn->retained.emplace_back(m->output_nr, std::weak_ptr<TensorImpl>(t));
        m->retains_grad = true;
      });
}

}  // namespace gg::py_bind
