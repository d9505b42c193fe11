// Bindings of the elementwise family: Tensor methods and operators (where, clamp, masked_fill,
// lerp, addcmul/addcdiv, rounding division, remainder, logical/bitwise ops, nan/inf tests) and
// the private activation entry points nn.functional calls. Argument conversion only.
#include "python/common.h"

namespace gg::py_bind {

namespace {

// A Python number (or a one-element tensor) as a Scalar; None as nullopt.
std::optional<Scalar> scalar_arg(py::handle h, const char* op, const char* arg) {
  if (!h || h.is_none()) return std::nullopt;
  Tensor t = operand_or_throw(h, op, arg);
  GG_CHECK(t->numel() == 1, op, "(): argument '", arg, "' must be a number, got a tensor with ", t->numel(),
           " elements");
  Tensor c = contiguous(detach(t));
  switch (c->dtype) {
    case DType::Float32: return Scalar::from_double(*c->data<float>());
    case DType::Float64: return Scalar::from_double(*c->data<double>());
    case DType::Int32: return Scalar::from_int(*c->data<int32_t>());
    case DType::Int64: return Scalar::from_int(*c->data<int64_t>());
    case DType::Bool: return Scalar::from_bool(*c->data<bool>());
  }
  return std::nullopt;
}

Tensor tensor_or_null(py::handle h, const char* op, const char* arg) {
  if (!h || h.is_none()) return nullptr;
  return operand_or_throw(h, op, arg);
}

Tensor clamp_any(const Tensor& x, py::handle min, py::handle max) {
  if ((min && is_tensor(min)) || (max && is_tensor(max)))
    return clamp_tensor(x, tensor_or_null(min, "clamp", "min"), tensor_or_null(max, "clamp", "max"));
  return clamp(x, scalar_arg(min, "clamp", "min"), scalar_arg(max, "clamp", "max"));
}

Rounding rounding_arg(py::handle mode) {
  if (mode.is_none()) return Rounding::None;
  std::string m = py::str(mode);
  if (m == "floor") return Rounding::Floor;
  if (m == "trunc") return Rounding::Trunc;
  fail(ErrorKind::Runtime, "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", m, "'");
}

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

template <Tensor (*Op)(const Tensor&, const Tensor&), bool Reflected>
py::object binop(const Tensor& self, py::handle other) {
  Tensor o;
  if (!to_operand(other, o)) return not_implemented();
  return py::cast(Reflected ? Op(o, self) : Op(self, o));
}
template <Logical L> Tensor logical_op(const Tensor& a, const Tensor& b) { return logical(a, b, L); }
template <Bitwise B> Tensor bitwise_op(const Tensor& a, const Tensor& b) { return bitwise(a, b, B); }

}  // namespace

void bind_elementwise(py::module_& m) {
  py::object cls = m.attr("Tensor");
  auto method = [&](const char* name, py::cpp_function f) { py::setattr(cls, name, f); };
  auto is_m = py::is_method(cls);
  using py::arg;

  // round(*, decimals): PyTorch records RoundBackward1 whenever decimals is given.
  method("round", py::cpp_function([](const Tensor& x, std::optional<int64_t> decimals) {
           return decimals ? round_decimals(x, *decimals) : round(x);
         }, is_m, py::name("round"), py::kw_only(), arg("decimals") = py::none()));

  // ---- selection and clamping ----
  method("where", py::cpp_function([](const Tensor& self, const Tensor& cond, py::handle other) {
           return where(cond, self, operand_or_throw(other, "where", "other"));
         }, is_m, py::name("where"), arg("condition"), arg("other")));
  m.def("_where", [](const Tensor& cond, py::handle a, py::handle b) {
    return where(cond, operand_or_throw(a, "where", "input"), operand_or_throw(b, "where", "other"));
  });
  for (const char* name : {"clamp", "clip"})
    method(name, py::cpp_function(&clamp_any, is_m, py::name(name), arg("min") = py::none(), arg("max") = py::none()));
  for (const char* name : {"clamp_", "clip_"})
    method(name, py::cpp_function([](const Tensor& x, py::handle min, py::handle max) {
             bool others = (min && is_tensor(min) && min.cast<Tensor>()->requires_grad()) ||
                           (max && is_tensor(max) && max.cast<Tensor>()->requires_grad());
             return inplace_apply(x, "clamp_", [&](const Tensor& s) { return clamp_any(s, min, max); }, others);
           }, is_m, py::name(name), arg("min") = py::none(), arg("max") = py::none()));
  method("clamp_min", py::cpp_function([](const Tensor& x, py::handle v) {
           return clamp_min(x, operand_or_throw(v, "clamp_min", "min"));
         }, is_m, py::name("clamp_min"), arg("min")));
  method("clamp_max", py::cpp_function([](const Tensor& x, py::handle v) {
           return clamp_max(x, operand_or_throw(v, "clamp_max", "max"));
         }, is_m, py::name("clamp_max"), arg("max")));
  method("masked_fill", py::cpp_function([](const Tensor& x, const Tensor& mask, py::handle v) {
           return masked_fill(x, mask, operand_or_throw(v, "masked_fill", "value"));
         }, is_m, py::name("masked_fill"), arg("mask"), arg("value")));
  method("masked_fill_", py::cpp_function([](const Tensor& x, const Tensor& mask, py::handle v) {
           return masked_fill_(x, mask, operand_or_throw(v, "masked_fill_", "value"));
         }, is_m, py::name("masked_fill_"), arg("mask"), arg("value")));

  // ---- fused arithmetic ----
  method("lerp", py::cpp_function([](const Tensor& s, const Tensor& e, py::handle w) {
           return lerp(s, e, operand_or_throw(w, "lerp", "weight"));
         }, is_m, py::name("lerp"), arg("end"), arg("weight")));
  method("addcmul", py::cpp_function([](const Tensor& s, const Tensor& a, const Tensor& b, double value) {
           return addcmul(s, a, b, value);
         }, is_m, py::name("addcmul"), arg("tensor1"), arg("tensor2"), py::kw_only(), arg("value") = 1.0));
  method("addcdiv", py::cpp_function([](const Tensor& s, const Tensor& a, const Tensor& b, double value) {
           return addcdiv(s, a, b, value);
         }, is_m, py::name("addcdiv"), arg("tensor1"), arg("tensor2"), py::kw_only(), arg("value") = 1.0));

  // ---- division with rounding, remainder ----
  method("div", py::cpp_function([](const Tensor& a, py::handle b, py::handle mode) {
           return div_rounding(a, operand_or_throw(b, "div", "other"), rounding_arg(mode));
         }, is_m, py::name("div"), arg("other"), py::kw_only(), arg("rounding_mode") = py::none()));
  m.def("_div_rounding", [](py::handle a, py::handle b, py::handle mode) {
    return div_rounding(operand_or_throw(a, "div", "input"), operand_or_throw(b, "div", "other"), rounding_arg(mode));
  });
  method("floor_divide", py::cpp_function([](const Tensor& a, py::handle b) {
           return floor_divide(a, operand_or_throw(b, "floor_divide", "other"));
         }, is_m, py::name("floor_divide"), arg("other")));
  method("remainder", py::cpp_function([](const Tensor& a, py::handle b) {
           return remainder(a, operand_or_throw(b, "remainder", "other"));
         }, is_m, py::name("remainder"), arg("other")));
  m.def("_remainder", [](py::handle a, py::handle b) {
    return remainder(operand_or_throw(a, "remainder", "input"), operand_or_throw(b, "remainder", "other"));
  });
  method("__floordiv__", py::cpp_function(&binop<floor_divide, false>, is_m, py::name("__floordiv__"), py::is_operator()));
  method("__rfloordiv__", py::cpp_function(&binop<floor_divide, true>, is_m, py::name("__rfloordiv__"), py::is_operator()));
  method("__mod__", py::cpp_function(&binop<remainder, false>, is_m, py::name("__mod__"), py::is_operator()));
  method("__rmod__", py::cpp_function(&binop<remainder, true>, is_m, py::name("__rmod__"), py::is_operator()));

  // ---- logical and bitwise ----
  method("logical_and", py::cpp_function(&logical_op<Logical::And>, is_m, py::name("logical_and"), arg("other")));
  method("logical_or", py::cpp_function(&logical_op<Logical::Or>, is_m, py::name("logical_or"), arg("other")));
  method("logical_xor", py::cpp_function(&logical_op<Logical::Xor>, is_m, py::name("logical_xor"), arg("other")));
  method("logical_not", py::cpp_function(&logical_not, is_m, py::name("logical_not")));
  method("bitwise_and", py::cpp_function(&binop<bitwise_op<Bitwise::And>, false>, is_m, py::name("bitwise_and"), arg("other")));
  method("bitwise_or", py::cpp_function(&binop<bitwise_op<Bitwise::Or>, false>, is_m, py::name("bitwise_or"), arg("other")));
  method("bitwise_xor", py::cpp_function(&binop<bitwise_op<Bitwise::Xor>, false>, is_m, py::name("bitwise_xor"), arg("other")));
  method("bitwise_not", py::cpp_function(&bitwise_not, is_m, py::name("bitwise_not")));
  method("__and__", py::cpp_function(&binop<bitwise_op<Bitwise::And>, false>, is_m, py::name("__and__"), py::is_operator()));
  method("__rand__", py::cpp_function(&binop<bitwise_op<Bitwise::And>, true>, is_m, py::name("__rand__"), py::is_operator()));
  method("__or__", py::cpp_function(&binop<bitwise_op<Bitwise::Or>, false>, is_m, py::name("__or__"), py::is_operator()));
  method("__ror__", py::cpp_function(&binop<bitwise_op<Bitwise::Or>, true>, is_m, py::name("__ror__"), py::is_operator()));
  method("__xor__", py::cpp_function(&binop<bitwise_op<Bitwise::Xor>, false>, is_m, py::name("__xor__"), py::is_operator()));
  method("__rxor__", py::cpp_function(&binop<bitwise_op<Bitwise::Xor>, true>, is_m, py::name("__rxor__"), py::is_operator()));
  method("__invert__", py::cpp_function(&bitwise_not, is_m, py::name("__invert__")));

  // ---- nan / inf ----
  method("isnan", py::cpp_function(&isnan, is_m, py::name("isnan")));
  method("isinf", py::cpp_function(&isinf, is_m, py::name("isinf")));
  method("isfinite", py::cpp_function(&isfinite, is_m, py::name("isfinite")));
  method("nan_to_num", py::cpp_function(&nan_to_num, is_m, py::name("nan_to_num"), arg("nan") = 0.0,
                                        arg("posinf") = py::none(), arg("neginf") = py::none()));

  // ---- activations (nn.functional wraps these; `inplace` writes through inplace_apply) ----
  auto act = [&](const char* name, auto fn) {
    std::string label = std::string(name + 1) + "_";  // "_leaky_relu" -> "leaky_relu_"
    m.def(name, [fn, label](const Tensor& x, bool inplace, py::args params) {
      if (!inplace) return fn(x, params);
      return inplace_apply(x, label.c_str(), [&](const Tensor& s) { return fn(s, params); });
    });
  };
  m.def("_leaky_relu", [](const Tensor& x, bool inplace, double slope) {
    return inplace ? leaky_relu_(x, slope) : leaky_relu(x, slope);
  });
  m.def("_elu", [](const Tensor& x, bool inplace, double alpha) { return inplace ? elu_(x, alpha) : elu(x, alpha); });
  act("_hardtanh", [](const Tensor& x, py::args p) { return hardtanh(x, p[0].cast<double>(), p[1].cast<double>()); });
  act("_silu", [](const Tensor& x, py::args) { return silu(x); });
  m.def("_gelu", [](const Tensor& x, const std::string& approximate) {
    GG_CHECK(approximate == "none" || approximate == "tanh", "approximate argument must be either none or tanh.");
    return gelu(x, approximate == "tanh");
  });
  m.def("_softplus", [](const Tensor& x, double beta, double threshold) { return softplus(x, beta, threshold); });
}

}  // namespace gg::py_bind
