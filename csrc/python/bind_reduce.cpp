// Bindings of the reduce_extra family: var/std, logsumexp, all/any, norm, cumsum/cumprod,
// sort/argsort/topk, unique. Argument conversion only; the ops live in ops/reduce_extra.cpp.
#include "python/common.h"

namespace gg::py_bind {
namespace {

std::optional<DimVec> dims_of(py::handle dim) {
  if (!dim || dim.is_none()) return std::nullopt;
  if (PyLong_Check(dim.ptr())) return DimVec{dim.cast<int64_t>()};
  return shape_from_obj(dim);
}

// PyTorch's var/std overloads: (dim, unbiased, keepdim), (unbiased), (dim, *, correction, keepdim).
double correction_of(const char* op, py::handle& dim, py::handle unbiased, py::handle correction) {
  if (dim && PyBool_Check(dim.ptr())) {  // x.var(False): the bool is `unbiased`
    if (unbiased && !unbiased.is_none())
      throw py::type_error(std::string(op) + "() received an invalid combination of arguments");
    unbiased = dim;
    dim = py::none();
  }
  const bool has_unbiased = unbiased && !unbiased.is_none();
  if (correction && !correction.is_none()) {
    if (has_unbiased)
      throw py::type_error(std::string(op) + "() received an invalid combination of arguments - got both "
                           "unbiased and correction");
    return correction.cast<double>();
  }
  return has_unbiased ? (unbiased.cast<bool>() ? 1.0 : 0.0) : 1.0;
}

double ord_of(py::handle p, const char* op) {
  if (p.is_none()) return 2.0;
  if (py::isinstance<py::str>(p)) {
    std::string s = p.cast<std::string>();
    if (s == "fro") return 2.0;
    if (s == "nuc") {
      PyErr_SetString(PyExc_NotImplementedError,
                      (std::string(op) + ": the nuclear norm ('nuc') needs singular values, which gradgate does "
                       "not compute yet").c_str());
      throw py::error_already_set();
    }
    throw py::value_error(std::string(op) + ": Expected a valid norm order, got '" + s + "'");
  }
  return p.cast<double>();
}

// Leaked on purpose: a static py::object would be released after the interpreter is gone.
py::handle sort_result, topk_result;

}  // namespace

void bind_reduce(py::module_& m) {
  py::object cls = m.attr("Tensor");
  py::object collections = py::module_::import("collections");
  sort_result = collections.attr("namedtuple")("sort", py::make_tuple("values", "indices")).release();
  topk_result = collections.attr("namedtuple")("topk", py::make_tuple("values", "indices")).release();
  sort_result.attr("__module__") = "gradgate.return_types";
  topk_result.attr("__module__") = "gradgate.return_types";
  py::module_ rt = m.def_submodule("return_types", "named tuples returned by multi-output ops");
  rt.attr("sort") = sort_result;
  rt.attr("topk") = topk_result;

  auto def = [&](const char* name, py::cpp_function f) { py::setattr(cls, name, f); };

  def("var", py::cpp_function([](const Tensor& t, py::handle dim, py::handle unbiased, bool keepdim,
                                  py::handle correction) {
        double c = correction_of("var", dim, unbiased, correction);
        return var(t, dims_of(dim), c, keepdim);
      }, py::is_method(cls), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
      py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none()));
  def("std", py::cpp_function([](const Tensor& t, py::handle dim, py::handle unbiased, bool keepdim,
                                  py::handle correction) {
        double c = correction_of("std", dim, unbiased, correction);
        return std_(t, dims_of(dim), c, keepdim);
      }, py::is_method(cls), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
      py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none()));
  def("logsumexp", py::cpp_function([](const Tensor& t, py::handle dim, bool keepdim) {
        auto d = dims_of(dim);
        return logsumexp(t, d ? *d : DimVec{}, keepdim);
      }, py::is_method(cls), py::arg("dim"), py::arg("keepdim") = false));
  def("all", py::cpp_function([](const Tensor& t, py::handle dim, bool keepdim) {
        return all(t, dims_of(dim), keepdim);
      }, py::is_method(cls), py::arg("dim") = py::none(), py::arg("keepdim") = false));
  def("any", py::cpp_function([](const Tensor& t, py::handle dim, bool keepdim) {
        return any(t, dims_of(dim), keepdim);
      }, py::is_method(cls), py::arg("dim") = py::none(), py::arg("keepdim") = false));
  def("norm", py::cpp_function([](const Tensor& t, py::handle p, py::handle dim, bool keepdim, py::handle dtype) {
        return vector_norm(t, ord_of(p, "norm"), dims_of(dim), keepdim, optional_dtype(dtype));
      }, py::is_method(cls), py::arg("p") = "fro", py::arg("dim") = py::none(), py::arg("keepdim") = false,
      py::arg("dtype") = py::none()));
  def("cumsum", py::cpp_function([](const Tensor& t, int64_t dim, py::handle dtype) {
        return cumsum(t, dim, optional_dtype(dtype));
      }, py::is_method(cls), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none()));
  def("cumprod", py::cpp_function([](const Tensor& t, int64_t dim, py::handle dtype) {
        return cumprod(t, dim, optional_dtype(dtype));
      }, py::is_method(cls), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none()));
  def("sort", py::cpp_function([](const Tensor& t, int64_t dim, bool descending, bool stable) {
        auto [v, i] = sort(t, dim, descending, stable);
        return sort_result(v, i);
      }, py::is_method(cls), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
      py::arg("stable") = false));
  def("argsort", py::cpp_function([](const Tensor& t, int64_t dim, bool descending, bool stable) {
        return argsort(t, dim, descending, stable);
      }, py::is_method(cls), py::arg("dim") = -1, py::arg("descending") = false, py::arg("stable") = false));
  def("topk", py::cpp_function([](const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
        auto [v, i] = topk(t, k, dim, largest, sorted);
        return topk_result(v, i);
      }, py::is_method(cls), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
      py::arg("sorted") = true));
  def("unique", py::cpp_function([](const Tensor& t, bool sorted, bool return_inverse, bool return_counts,
                                     py::handle dim) -> py::object {
        if (!dim.is_none())
          throw py::type_error("unique(): the dim argument is not supported by gradgate yet (only dim=None)");
        auto [values, inverse, counts] = unique(t, sorted, return_inverse, return_counts);
        if (!return_inverse && !return_counts) return py::cast(values);
        py::list out;
        out.append(py::cast(values));
        if (return_inverse) out.append(py::cast(inverse));
        if (return_counts) out.append(py::cast(counts));
        return py::tuple(out);
      }, py::is_method(cls), py::arg("sorted") = true, py::arg("return_inverse") = false,
      py::arg("return_counts") = false, py::arg("dim") = py::none()));

  m.def("_linalg_vector_norm", [](const Tensor& t, py::handle ord, py::handle dim, bool keepdim, py::handle dtype) {
        if (py::isinstance<py::str>(ord)) throw py::type_error("linalg.vector_norm: ord must be a number, got a str");
        return vector_norm(t, ord.cast<double>(), dims_of(dim), keepdim, optional_dtype(dtype));
      }, py::arg("x"), py::arg("ord") = 2, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
      py::arg("dtype") = py::none());
}

}  // namespace gg::py_bind
