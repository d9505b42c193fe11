"""Op-table rows of the elementwise family: where, clamp, masked_fill, lerp, addcmul/addcdiv,
extra unary math, activations, rounding division, remainder, logical/bitwise and nan/inf ops."""
import math

import numpy as np

import gradgate as torch
import gradgate.nn.functional as F
from tests.op_db import B, I64, Err, Op, _prob, _real, _pos, _away, _shape_err, attach_errors

S = (3, 4)


def _small(rng, shape):  # inside (-1.2, 1.2): tan stays tame
    return rng.uniform(-1.2, 1.2, shape)


def _above_minus1(rng, shape):
    return rng.uniform(-0.7, 2.0, shape)


def _low(rng, shape):  # lower clamp bounds
    return rng.uniform(-1.5, -0.2, shape)


def _high(rng, shape):  # upper clamp bounds
    return rng.uniform(0.2, 1.5, shape)


def _special(rng, shape):  # finite values with nan, inf and -inf sprinkled in
    a = rng.uniform(-2.0, 2.0, shape)
    flat = a.reshape(-1)
    flat[::5] = np.nan
    flat[1::7] = np.inf
    flat[2::6] = -np.inf
    return a


def _offgrid(rng, shape):  # away from the jumps of floor/ceil/round/trunc (integers and halves)
    return np.floor(rng.uniform(-3.0, 3.0, shape)) + rng.uniform(0.1, 0.4, shape) + rng.choice([0.0, 0.5], shape)


_erf = np.vectorize(math.erf)


def _gelu(a):
    return 0.5 * a * (1.0 + _erf(a / math.sqrt(2.0)))


def _gelu_tanh(a):
    return 0.5 * a * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (a + 0.044715 * a ** 3)))


def _softplus(a, beta=1.0, threshold=20.0):
    return np.where(a * beta > threshold, a, np.log1p(np.exp(a * beta)) / beta)


def _elu(a, alpha=1.0):
    return np.where(a > 0, a, alpha * np.expm1(a))


def _mod(a, b):
    return a - np.floor(a / b) * b


def _masked_fill_(x, m):
    y = x.clone()
    y.masked_fill_(m > 0, -1.0)
    return y


ROWS = [
    # ---- where ----
    Op("where", lambda c, a, b: torch.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b), [S, S, S],
       [_away], grad_inputs=[1, 2], gradgrad=True),
    Op("where_bcast", lambda c, a, b: torch.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
       [(3, 1), (4,), S], [_away], grad_inputs=[1, 2], gradgrad=True),
    Op("where_scalar_other", lambda c, a: torch.where(c > 0, a, 0.5), lambda c, a: np.where(c > 0, a, 0.5),
       [S, S], [_away], grad_inputs=[1]),
    Op("where_scalar_input", lambda c, b: torch.where(c > 0, 2.0, b), lambda c, b: np.where(c > 0, 2.0, b),
       [S, (4,)], [_away], grad_inputs=[1]),
    Op("where_method", lambda a, c, b: a.where(c > 0, b), lambda a, c, b: np.where(c > 0, a, b), [S, S, S],
       [_real, _away], grad_inputs=[0, 2]),
    # ---- clamp ----
    Op("clamp", lambda x: x.clamp(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), [S], gradgrad=True),
    Op("clamp_min_kw", lambda x: torch.clamp(x, min=-0.5), lambda a: np.maximum(a, -0.5), [S]),
    Op("clamp_max_kw", lambda x: x.clamp(max=0.3), lambda a: np.minimum(a, 0.3), [S]),
    Op("clip", lambda x: torch.clip(x, -1, 1), lambda a: np.clip(a, -1, 1), [S]),
    Op("clamp_min_scalar", lambda x: x.clamp_min(0.2), lambda a: np.maximum(a, 0.2), [S], gradgrad=True),
    Op("clamp_max_scalar", lambda x: torch.clamp_max(x, 0.2), lambda a: np.minimum(a, 0.2), [S]),
    Op("clamp_tensor", lambda x, lo, hi: x.clamp(lo, hi), lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi),
       [S, S, (4,)], [_real, _low, _high], gradgrad=True),
    Op("clamp_tensor_min", lambda x, lo: torch.clamp(x, min=lo), lambda a, lo: np.maximum(a, lo), [S, (3, 1)],
       [_real, _low]),
    Op("clamp_tensor_max", lambda x, hi: torch.clamp(x, max=hi), lambda a, hi: np.minimum(a, hi), [S, S],
       [_real, _high]),
    Op("clamp_min_tensor", lambda x, lo: x.clamp_min(lo), lambda a, lo: np.maximum(a, lo), [S, (4,)]),
    Op("clamp_max_tensor", lambda x, hi: x.clamp_max(hi), lambda a, hi: np.minimum(a, hi), [S, S]),
    Op("clamp_inplace", lambda x: x.clone().clamp_(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), [S]),
    Op("hardtanh", lambda x: F.hardtanh(x), lambda a: np.clip(a, -1, 1), [S], gradgrad=True),
    Op("hardtanh_range", lambda x: F.hardtanh(x, -0.5, 1.5), lambda a: np.clip(a, -0.5, 1.5), [S]),
    # ---- masked_fill ----
    Op("masked_fill", lambda x, m: x.masked_fill(m > 0, 0.5), lambda a, m: np.where(m > 0, 0.5, a), [S, S],
       [_real, _away], grad_inputs=[0], gradgrad=True),
    Op("masked_fill_bcast_mask", lambda x, m: x.masked_fill(m > 0, -2), lambda a, m: np.where(m > 0, -2.0, a),
       [S, (4,)], [_real, _away], grad_inputs=[0]),
    Op("masked_fill_tensor_value", lambda x, m, v: torch.masked_fill(x, m > 0, v),
       lambda a, m, v: np.where(m > 0, v, a), [S, S, ()], [_real, _away], grad_inputs=[0, 2], gradgrad=True),
    Op("masked_fill_", _masked_fill_, lambda a, m: np.where(m > 0, -1.0, a), [S, S], [_real, _away],
       grad_inputs=[0]),
    # ---- lerp, addcmul, addcdiv ----
    Op("lerp_scalar", lambda a, b: torch.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a), [S, S], gradgrad=True),
    Op("lerp_scalar_high", lambda a, b: a.lerp(b, 0.8), lambda a, b: a + 0.8 * (b - a), [S, (4,)]),
    Op("lerp_tensor", lambda a, b, w: torch.lerp(a, b, w), lambda a, b, w: a + w * (b - a), [S, S, S],
       [_real, _real, _prob], gradgrad=True),
    Op("lerp_tensor_bcast", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a), [S, (4,), (3, 1)],
       [_real, _real, _prob]),
    Op("addcmul", lambda s, a, b: torch.addcmul(s, a, b), lambda s, a, b: s + a * b, [S, S, S], gradgrad=True),
    Op("addcmul_value_bcast", lambda s, a, b: s.addcmul(a, b, value=-0.5), lambda s, a, b: s - 0.5 * a * b,
       [(4,), S, (3, 1)], gradgrad=True),
    Op("addcdiv", lambda s, a, b: torch.addcdiv(s, a, b), lambda s, a, b: s + a / b, [S, S, S],
       [_real, _real, _pos], gradgrad=True),
    Op("addcdiv_value_bcast", lambda s, a, b: s.addcdiv(a, b, value=2.0), lambda s, a, b: s + 2.0 * a / b,
       [S, (4,), (3, 1)], [_real, _real, _pos]),
    # ---- unary math ----
    Op("expm1", lambda x: x.expm1(), np.expm1, [S], gradgrad=True),
    Op("log1p", lambda x: torch.log1p(x), np.log1p, [S], [_above_minus1], gradgrad=True),
    Op("log2", lambda x: x.log2(), np.log2, [S], [_pos], gradgrad=True),
    Op("erf", lambda x: x.erf(), _erf, [S], gradgrad=True),
    Op("fn_erf", lambda x: torch.erf(x), _erf, [S]),
    Op("rsqrt", lambda x: torch.rsqrt(x), lambda a: 1 / np.sqrt(a), [S], [_pos], gradgrad=True),
    Op("tan", lambda x: x.tan(), np.tan, [S], [_small], gradgrad=True),
    Op("floor", lambda x: x.floor(), np.floor, [S], [_offgrid]),
    Op("ceil", lambda x: torch.ceil(x), np.ceil, [S], [_offgrid]),
    Op("round", lambda x: x.round(), np.round, [S], [_offgrid]),
    Op("round_half_even", lambda x: (x * 0 + torch.tensor([0.5, 1.5, 2.5, -0.5], dtype=x.dtype)).round(),
       lambda a: np.round(a * 0 + np.array([0.5, 1.5, 2.5, -0.5])), [S], grad=False),
    Op("round_decimals", lambda x: x.round(decimals=1), lambda a: np.round(a, 1), [S], [_offgrid]),
    Op("round_decimals_neg", lambda x: torch.round(x * 100, decimals=-1), lambda a: np.round(a * 100, -1), [S],
       [_offgrid], grad=False),
    Op("trunc", lambda x: torch.trunc(x), np.trunc, [S], [_offgrid]),
    Op("fix", lambda x: torch.fix(x), np.trunc, [S], [_offgrid], grad=False),
    # ---- activations ----
    Op("leaky_relu", lambda x: F.leaky_relu(x), lambda a: np.where(a > 0, a, 0.01 * a), [S], [_away],
       gradgrad=True),
    Op("leaky_relu_slope", lambda x: F.leaky_relu(x, negative_slope=0.2), lambda a: np.where(a > 0, a, 0.2 * a),
       [S], [_away]),
    Op("elu", lambda x: F.elu(x), _elu, [S], [_away], gradgrad=True),
    Op("elu_alpha", lambda x: F.elu(x, alpha=0.5), lambda a: _elu(a, 0.5), [S], [_away], gradgrad=True),
    Op("gelu", lambda x: F.gelu(x), _gelu, [S], gradgrad=True),
    Op("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh, [S], gradgrad=True),
    Op("silu", lambda x: F.silu(x), lambda a: a / (1 + np.exp(-a)), [S], gradgrad=True),
    Op("softplus", lambda x: F.softplus(x), _softplus, [S], gradgrad=True),
    Op("softplus_beta_threshold", lambda x: F.softplus(x, beta=2.0, threshold=1.5),
       lambda a: _softplus(a, 2.0, 1.5), [S], [_away], gradgrad=True),
    Op("relu6", lambda x: F.relu6(x * 4), lambda a: np.clip(a * 4, 0, 6), [S], [_away]),
    # ---- rounding division, remainder ----
    Op("div_floor", lambda a, b: a.div(b, rounding_mode="floor"), lambda a, b: np.floor(a / b), [S, S],
       [_real, _away]),
    Op("div_trunc", lambda a, b: torch.div(a, b, rounding_mode="trunc"), lambda a, b: np.trunc(a / b), [S, (4,)],
       [_real, _away]),
    Op("div_none", lambda a, b: torch.div(a, b, rounding_mode=None), np.divide, [S, S], [_real, _pos]),
    Op("floor_divide", lambda a, b: torch.floor_divide(a, b), lambda a, b: np.floor(a / b), [S, S],
       [_real, _away], grad=False),
    Op("floordiv_op", lambda a: a // 0.7, lambda a: np.floor(a / 0.7), [S], grad=False),
    Op("rfloordiv_op", lambda b: 3 // b, lambda b: np.floor(3 / b), [S], [_away], grad=False),
    Op("remainder", lambda a, b: torch.remainder(a, b), _mod, [S, S], [_real, _away], gradgrad=True),
    Op("mod_op_scalar", lambda a: a % 0.75, lambda a: _mod(a, 0.75), [S]),
    Op("mod_op_bcast", lambda a, b: a % b, _mod, [S, (4,)], [_real, _away]),
    Op("rmod_op", lambda b: 2.5 % b, lambda b: _mod(2.5, b), [S], [_away], grad=False),  # (no derivative in torch)
    # ---- logical, bitwise, nan/inf ----
    Op("logical_and", lambda a, b: torch.logical_and(a > 0, b > 0), lambda a, b: (a > 0) & (b > 0), [S, (4,)],
       grad=False, out_dtype="bool"),
    Op("logical_or", lambda a, b: (a > 0).logical_or(b), lambda a, b: (a > 0) | (b != 0), [S, S], [_real, _away],
       grad=False, out_dtype="bool"),
    Op("logical_xor", lambda a, b: torch.logical_xor(a > 0, b > 0), lambda a, b: (a > 0) ^ (b > 0), [S, S],
       grad=False, out_dtype="bool"),
    Op("logical_not", lambda a: torch.logical_not(a > 0), lambda a: ~(a > 0), [S], grad=False, out_dtype="bool"),
    Op("bool_and_op", lambda a, b: (a > 0) & (b > 0), lambda a, b: (a > 0) & (b > 0), [S, S], grad=False,
       out_dtype="bool"),
    Op("bool_or_op", lambda a, b: (a > 0) | (b > 0), lambda a, b: (a > 0) | (b > 0), [S, (4,)], grad=False,
       out_dtype="bool"),
    Op("bool_xor_op", lambda a, b: (a > 0) ^ (b > 0), lambda a, b: (a > 0) ^ (b > 0), [S, S], grad=False,
       out_dtype="bool"),
    Op("bool_invert_op", lambda a: ~(a > 0), lambda a: ~(a > 0), [S], grad=False, out_dtype="bool"),
    Op("isnan", lambda a: a.isnan(), np.isnan, [S], [_special], grad=False, out_dtype="bool"),
    Op("isinf", lambda a: torch.isinf(a), np.isinf, [S], [_special], grad=False, out_dtype="bool"),
    Op("isfinite", lambda a: torch.isfinite(a), np.isfinite, [S], [_special], grad=False, out_dtype="bool"),
    Op("nan_to_num_special", lambda a: a.nan_to_num(nan=0.5, posinf=100.0, neginf=-100.0),
       lambda a: np.nan_to_num(a, nan=0.5, posinf=100.0, neginf=-100.0), [S], [_special], grad=False),
    Op("nan_to_num", lambda a: torch.nan_to_num(a), np.nan_to_num, [S], gradgrad=True),
]

ERRORS = {
    "where": [Err("float_condition", [S, S, S], RuntimeError, "where", fn=lambda c, a, b: torch.where(c, a, b)),
              Err("shapes", [S, (2, 4), S], RuntimeError, "where", [S, (2, 4)])],
    "clamp": [Err("no_bounds", [S], RuntimeError, "clamp", fn=lambda x: x.clamp())],
    "hardtanh": [Err("bool", [B], RuntimeError, "hardtanh")],
    "hardtanh_range": [Err("min_above_max", [S], ValueError, "hardtanh", fn=lambda x: F.hardtanh(x, 1.0, -1.0))],
    "masked_fill": [Err("float_mask", [S, S], RuntimeError, "masked_fill", fn=lambda x, m: x.masked_fill(m, 0.5)),
                    Err("shapes", [S, (2, 4)], RuntimeError, "masked_fill", [S, (2, 4)])],
    "lerp_tensor": [Err("shapes", [S, (2, 4), S], RuntimeError, "lerp", [S, (2, 4)])],
    "addcmul": [Err("shapes", [S, (2, 4), S], RuntimeError, "addcmul", [S, (2, 4)])],
    "addcdiv": [Err("int", [I64, I64, I64], RuntimeError, "addcdiv")],
    "clip": [Err("no_bounds", [S], RuntimeError, "clamp", fn=lambda x: torch.clip(x))],
    "floor": [Err("bool", [B], NotImplementedError, "floor")],
    "ceil": [Err("bool", [B], NotImplementedError, "ceil")],
    "round": [Err("bool", [B], NotImplementedError, "round")],
    "trunc": [Err("bool", [B], NotImplementedError, "trunc")],
    "leaky_relu": [Err("bool", [B], NotImplementedError, "leaky_relu")],
    "elu": [Err("int", [I64], NotImplementedError, "elu")],
    "silu": [Err("int", [I64], NotImplementedError, "silu")],
    "softplus": [Err("int", [I64], NotImplementedError, "softplus")],
    "gelu": [Err("approximate", [S], RuntimeError, "gelu", fn=lambda x: F.gelu(x, approximate="x"))],
    "div_floor": [_shape_err("div", S, (2, 4))],
    "remainder": [_shape_err("remainder", S, (2, 4))],
    "logical_and": [Err("shapes", [S, (2, 4)], RuntimeError, "logical_and", [S, (2, 4)])],
    "logical_or": [Err("shapes", [S, (2, 4)], RuntimeError, "logical_or", [S, (2, 4)])],
    "isnan": [Err("str", [], TypeError, "isnan", fn=lambda: torch.isnan("a"))],
    "isinf": [Err("str", [], TypeError, "isinf", fn=lambda: torch.isinf("a"))],
}
attach_errors(ROWS, ERRORS)

