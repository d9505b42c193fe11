// Bindings for the shape and indexing family: cat/stack/split..., gather/scatter, and
// Tensor.__getitem__ / __setitem__ (basic indices become views, advanced ones gg::index).
#include <Python.h>

#include "python/common.h"

namespace gg::py_bind {

namespace {

py::tuple to_tuple(const std::vector<Tensor>& ts) {
  py::tuple r(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) r[i] = py::cast(ts[i]);
  return r;
}

TensorList tensor_list(py::handle seq, const char* op) {
  if (is_tensor(seq) || !PySequence_Check(seq.ptr()))
    throw py::type_error(str_cat(op, "(): argument 'tensors' (position 1) must be tuple of Tensors, not ",
                                 Py_TYPE(seq.ptr())->tp_name));
  TensorList r;
  size_t i = 0;
  for (py::handle it : py::iter(seq)) {
    if (!is_tensor(it))
      throw py::type_error(str_cat(op, "(): expected Tensor as element ", i, " in argument 0, but got ",
                                   Py_TYPE(it.ptr())->tp_name));
    r.push_back(it.cast<Tensor>());
    ++i;
  }
  return r;
}

DimVec int_or_ints(py::handle h) {
  if (PyLong_Check(h.ptr())) return DimVec{h.cast<int64_t>()};
  return shape_from_obj(h);
}

// A Python list used as an index: int64 (ints) or bool (bools) tensor.
Tensor list_index(py::handle lst) {
  PyObject* o = lst.ptr();
  const Py_ssize_t n = PyList_GET_SIZE(o);
  bool all_int = true, all_bool = n > 0;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* e = PyList_GET_ITEM(o, i);
    if (PyBool_Check(e)) {
      all_int = false;
    } else {
      all_bool = false;
      if (!PyLong_Check(e)) all_int = false;
    }
  }
  if (all_bool) {
    Tensor t = empty(DimVec{(int64_t)n}, DType::Bool);
    for (Py_ssize_t i = 0; i < n; ++i) t->data<bool>()[i] = PyList_GET_ITEM(o, i) == Py_True;
    return t;
  }
  if (all_int) {
    Tensor t = empty(DimVec{(int64_t)n}, DType::Int64);
    for (Py_ssize_t i = 0; i < n; ++i) {
      int64_t v = PyLong_AsLongLong(PyList_GET_ITEM(o, i));
      if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
      t->data<int64_t>()[i] = v;
    }
    return t;
  }
  Tensor t = py::module_::import("gradgate").attr("tensor")(lst).cast<Tensor>();
  GG_CHECK_KIND(t->dtype != DType::Float32 && t->dtype != DType::Float64, Index,
                "tensors used as indices must be long, int, byte or bool tensors");
  return t;
}

// Note [Indexing]
// Ints, slices, None and Ellipsis become views (select, slice, unsqueeze) applied left to
// right; integer/boolean tensors and lists are collected, one entry per view dim they
// consume, and applied together afterwards by gg::index / gg::index_put_ (PyTorch's order:
// `x[0, :, [1, 2]]` selects first, then indexes the view).
struct ParsedIndex {
  Tensor view;
  TensorList advanced;  // one entry per dim of `view` consumed (null: not indexed)
  bool has_advanced = false;
};

ParsedIndex parse_index(const Tensor& self, py::handle index) {
  PyObject* idx = index.ptr();
  // Fast single-item paths: x[i], x[tensor], x[list].
  PyObject* single[1] = {idx};
  PyObject** items = single;
  Py_ssize_t n = 1;
  if (PyTuple_Check(idx)) {
    items = PySequence_Fast_ITEMS(idx);
    n = PyTuple_GET_SIZE(idx);
  }
  // Converted advanced indices (lists become tensors once).
  SmallVec<Tensor, 4> converted(n, Tensor());
  int64_t specified = 0;
  bool has_ellipsis = false;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* o = items[i];
    if (o == Py_None) continue;
    if (o == Py_Ellipsis) {
      GG_CHECK_KIND(!has_ellipsis, Index, "an index can only have a single ellipsis ('...')");
      has_ellipsis = true;
      continue;
    }
    if (PyList_Check(o)) {
      converted[i] = list_index(py::handle(o));
    } else if (is_tensor(py::handle(o))) {
      converted[i] = py::handle(o).cast<Tensor>();
    } else if (PyBool_Check(o)) {
      continue;  // a 0-dim mask: adds a dim of size 1 (True) or 0 (False), consumes none
    } else if (!PyLong_Check(o) && !PySlice_Check(o) && PyObject_HasAttrString(o, "__array_interface__") &&
               py::handle(o).attr("ndim").cast<int64_t>() > 0) {  // a NumPy array (not a NumPy scalar)
      converted[i] = py::module_::import("gradgate").attr("tensor")(py::handle(o)).cast<Tensor>();
      GG_CHECK_KIND(!is_floating(converted[i]->dtype), Index,
                    "tensors used as indices must be long, int, byte or bool tensors");
    }
    const Tensor& t = converted[i];
    specified += (t && t->dtype == DType::Bool) ? std::max<int64_t>(t->dim(), 1) : 1;
  }
  GG_CHECK_KIND(specified <= self->dim(), Index, "too many indices for tensor of dimension ", self->dim());
  ParsedIndex p;
  Tensor r = self;
  int64_t dim = 0;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* o = items[i];
    if (o == Py_None) {
      r = unsqueeze(r, dim++);
      p.advanced.push_back(Tensor());
    } else if (o == Py_Ellipsis) {
      for (int64_t k = 0; k < self->dim() - specified; ++k) p.advanced.push_back(Tensor());
      dim += self->dim() - specified;
    } else if (PySlice_Check(o)) {
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw py::error_already_set();
      if (step <= 0) throw py::value_error("step must be greater than zero");
      std::optional<int64_t> s, e;
      if (start != PY_SSIZE_T_MIN && start != 0) s = start;
      if (stop != PY_SSIZE_T_MAX) e = stop;
      if (s || e || step != 1) r = slice(r, dim, s, e, step);  // `:` records nothing, as in PyTorch
      ++dim;
      p.advanced.push_back(Tensor());
    } else if (PyBool_Check(o)) {
      r = unsqueeze(r, dim);
      Tensor sel = empty(DimVec{o == Py_True ? 1 : 0}, DType::Int64);
      if (o == Py_True) *sel->data<int64_t>() = 0;
      p.advanced.push_back(sel);
      p.has_advanced = true;
      ++dim;
    } else if (converted[i]) {
      const Tensor& t = converted[i];
      if (t->dim() == 0 && is_integral(t->dtype, false)) {
        r = select(r, dim, py::handle(o).attr("item")().cast<int64_t>());
      } else {
        p.advanced.push_back(t);
        p.has_advanced = true;
        dim += t->dtype == DType::Bool ? t->dim() : 1;
      }
    } else if (PyLong_Check(o) || PyIndex_Check(o)) {
      r = select(r, dim, py::handle(o).cast<int64_t>());
    } else {
      throw py::index_error(str_cat("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                                    "valid indices (got ", Py_TYPE(o)->tp_name, ")"));
    }
  }
  p.view = r;
  return p;
}

PyObject* getitem(PyObject* self, PyObject* key) noexcept {
  try {
    Tensor s = py::handle(self).cast<Tensor>();
    ParsedIndex p = parse_index(s, key);
    Tensor r = p.has_advanced ? gg::index(p.view, p.advanced) : p.view == s ? view(s, s->sizes) : p.view;
    return py::cast(r).release().ptr();
  } catch (...) {
    return raise_current_exception();
  }
}

void setitem(const Tensor& self, py::handle index, py::handle value) {
  ParsedIndex p = parse_index(self, index);
  Tensor v = operand_or_throw(value, "__setitem__", "value");
  if (!p.has_advanced) {
    copy_(p.view == self ? view(self, self->sizes) : p.view, v);
    return;
  }
  if (v->dtype != p.view->dtype) v = to_dtype(v, p.view->dtype);
  if (v->dim() > 0 && v->sizes[0] == 1) {  // leading 1s are dropped, as PyTorch's setitem does
    DimVec s = v->sizes;
    while (!s.empty() && s[0] == 1) s.erase(0);
    v = view(v, s);
  }
  index_put_(p.view, p.advanced, v, false);
}

TensorList index_tuple(py::handle indices) {
  TensorList r;
  for (py::handle it : py::iter(indices)) {
    if (it.is_none()) r.push_back(Tensor());
    else if (PyList_Check(it.ptr())) r.push_back(list_index(it));
    else r.push_back(it.cast<Tensor>());
  }
  return r;
}

}  // namespace

void bind_index(py::module_& m) {
  py::object cls = m.attr("Tensor");
  auto method = [&](const char* name, py::cpp_function f) { py::setattr(cls, name, f); };
#define GG_METHOD(NAME, fn, ...) \
  method(NAME, py::cpp_function(fn, py::name(NAME), py::is_method(cls), py::sibling(py::none()), ##__VA_ARGS__))

  {  // __getitem__ as a plain CPython method: the hot path for x[idx].
    auto* def = new PyMethodDef{"__getitem__", (PyCFunction)&getitem, METH_O, nullptr};
    PyObject* descr = PyDescr_NewMethod((PyTypeObject*)cls.ptr(), def);
    if (!descr || PyObject_SetAttrString(cls.ptr(), "__getitem__", descr) < 0) throw py::error_already_set();
    Py_DECREF(descr);
  }
  GG_METHOD("__setitem__", &setitem);

  m.def("_cat", [](py::handle ts, int64_t dim) { return cat(tensor_list(ts, "cat"), dim); });
  m.def("_stack", [](py::handle ts, int64_t dim) { return stack(tensor_list(ts, "stack"), dim); });

  GG_METHOD("split", [](const Tensor& t, py::handle size, int64_t dim) {
    if (PyLong_Check(size.ptr())) return to_tuple(split(t, size.cast<int64_t>(), dim));
    return to_tuple(split_with_sizes(t, shape_from_obj(size), dim));
  }, py::arg("split_size"), py::arg("dim") = 0);
  GG_METHOD("split_with_sizes", [](const Tensor& t, py::handle sizes, int64_t dim) {
    return to_tuple(split_with_sizes(t, shape_from_obj(sizes), dim));
  }, py::arg("split_sizes"), py::arg("dim") = 0);
  GG_METHOD("chunk", [](const Tensor& t, int64_t chunks, int64_t dim) { return to_tuple(chunk(t, chunks, dim)); },
            py::arg("chunks"), py::arg("dim") = 0);
  GG_METHOD("unbind", [](const Tensor& t, int64_t dim) { return to_tuple(unbind(t, dim)); }, py::arg("dim") = 0);

  GG_METHOD("index_select", [](const Tensor& t, int64_t dim, const Tensor& index) { return index_select(t, dim, index); },
            py::arg("dim"), py::arg("index"));
  GG_METHOD("gather", [](const Tensor& t, int64_t dim, const Tensor& index, bool) { return gather(t, dim, index); },
            py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false);
  auto scatter_any = [](const Tensor& t, int64_t dim, const Tensor& index, py::handle src, py::handle value,
                        bool inplace) {
    py::handle v = src.is_none() ? value : src;
    if (is_tensor(v)) return inplace ? scatter_(t, dim, index, v.cast<Tensor>()) : scatter(t, dim, index, v.cast<Tensor>());
    GG_CHECK_KIND(!v.is_none(), Type, "scatter() missing required argument 'src' or 'value'");
    Tensor s = operand_or_throw(v, "scatter", "value");
    Scalar sc = is_floating(s->dtype) ? Scalar::from_double(v.cast<double>())
                : s->dtype == DType::Bool ? Scalar::from_bool(v.cast<bool>()) : Scalar::from_int(v.cast<int64_t>());
    return inplace ? scatter_value_(t, dim, index, sc) : scatter_value(t, dim, index, sc);
  };
  GG_METHOD("scatter", [scatter_any](const Tensor& t, int64_t dim, const Tensor& index, py::handle src, py::handle value) {
    return scatter_any(t, dim, index, src, value, false);
  }, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none());
  GG_METHOD("scatter_", [scatter_any](const Tensor& t, int64_t dim, const Tensor& index, py::handle src, py::handle value) {
    return scatter_any(t, dim, index, src, value, true);
  }, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none());
  GG_METHOD("scatter_add_", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    return scatter_add_(t, dim, index, src);
  }, py::arg("dim"), py::arg("index"), py::arg("src"));
  GG_METHOD("index_add_", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& source, double alpha) {
    return index_add_(t, dim, index, source, alpha);
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1.0);
  GG_METHOD("scatter_add", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    return scatter_add(t, dim, index, src);
  }, py::arg("dim"), py::arg("index"), py::arg("src"));
  GG_METHOD("index_add", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& source, double alpha) {
    return index_add(t, dim, index, source, alpha);
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1.0);
  GG_METHOD("take_along_dim", [](const Tensor& t, const Tensor& indices, std::optional<int64_t> dim) {
    return take_along_dim(t, indices, dim);
  }, py::arg("indices"), py::arg("dim") = py::none());
  GG_METHOD("masked_select", [](const Tensor& t, const Tensor& mask) { return masked_select(t, mask); },
            py::arg("mask"));
  GG_METHOD("nonzero", [](const Tensor& t, bool as_tuple) -> py::object {
    Tensor nz = nonzero(t);
    if (!as_tuple) return py::cast(nz);
    if (t->dim() == 0) return py::make_tuple(reshape(nz, DimVec{-1}));
    return to_tuple(unbind(nz, 1));
  }, py::kw_only(), py::arg("as_tuple") = false);
  GG_METHOD("index_put_", [](const Tensor& t, py::handle indices, const Tensor& values, bool accumulate) {
    return index_put_(t, index_tuple(indices), values, accumulate);
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  GG_METHOD("index_put", [](const Tensor& t, py::handle indices, const Tensor& values, bool accumulate) {
    return index_put(t, index_tuple(indices), values, accumulate);
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);

  GG_METHOD("repeat", [](const Tensor& t, py::args sizes) { return repeat(t, shape_from_args(sizes, "repeat")); });
  GG_METHOD("tile", [](const Tensor& t, py::args dims) { return tile(t, shape_from_args(dims, "tile")); });
  GG_METHOD("roll", [](const Tensor& t, py::handle shifts, py::handle dims) {
    return roll(t, int_or_ints(shifts), dims.is_none() ? DimVec{} : int_or_ints(dims));
  }, py::arg("shifts"), py::arg("dims") = py::none());
  GG_METHOD("flip", [](const Tensor& t, py::args dims) { return flip(t, shape_from_args(dims, "flip")); });
  GG_METHOD("tril", [](const Tensor& t, int64_t k) { return tril(t, k); }, py::arg("diagonal") = 0);
  GG_METHOD("triu", [](const Tensor& t, int64_t k) { return triu(t, k); }, py::arg("diagonal") = 0);
  GG_METHOD("diag", [](const Tensor& t, int64_t k) { return diag(t, k); }, py::arg("diagonal") = 0);
#undef GG_METHOD
}

}  // namespace gg::py_bind
