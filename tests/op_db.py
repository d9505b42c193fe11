"""The op table: every op's sample inputs, NumPy reference, dtypes, whether it is twice
differentiable, and (in test_ops.py) the generic tests that run over it. A new op is one row:
add it to the family list here, or to a module in tests/op_rows/ (each defines ROWS), which
this file collects."""
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

import gradgate as torch
import gradgate.nn.functional as F

# ================================================================ the op table

# Input domains: how sample values are drawn so the op is smooth there (no kinks, no ties).
def _real(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def _pos(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _away(rng, shape):  # |x| in [0.3, 2]: away from the kink at 0 of abs/relu/sign
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _distinct(rng, shape):  # all values distinct and well separated: no ties for max/min/argmax
    n = int(np.prod(shape)) if shape else 1
    vals = (rng.permutation(n) - n / 2.0) * 0.37 + 0.05
    return vals.reshape(shape)


def _prob(rng, shape):
    return rng.uniform(0.0, 1.0, shape)


@dataclass
class Err:
    """A bad input for an op: `fn` (default: the row's fn) called on `inputs` (sample shapes, drawn as
    floats in the row's dtype, or NumPy arrays used as they are) must raise `exc`, PyTorch's type,
    with a message that names `op` and every shape in `shapes`. `why` names the case (its test id)."""
    why: str
    inputs: Sequence
    exc: type
    op: str
    shapes: Sequence = ()
    fn: Optional[Callable] = None


@dataclass
class Op:
    name: str
    fn: Callable            # gradgate: fn(*tensors) -> tensor
    ref: Callable           # numpy:    ref(*arrays) -> array
    shapes: Sequence        # sample input shapes
    domains: Sequence = ()  # one per input (default _real)
    grad: bool = True       # has a VJP (gradcheck it)
    gradgrad: bool = False  # twice differentiable (gradgradcheck it)
    grad_inputs: Optional[Sequence[int]] = None  # which inputs to differentiate (default: all)
    contiguous_only: bool = False  # .view(): refuses non-contiguous inputs by design
    out_dtype: Optional[str] = None  # "bool", "int64" when not the input dtype
    tol32: float = 1e-5
    tags: Sequence[str] = field(default_factory=tuple)
    errors: Sequence[Err] = ()  # bad inputs (tests: test_error_inputs, and against PyTorch)
    # Zero-size inputs (test_op_table_vs_torch): by default the first dim of every sample shape with
    # one becomes 0; zero_shapes replaces those shapes, a zero_skip reason skips the row.
    zero_shapes: Optional[Sequence] = None
    zero_skip: str = ""

    def __str__(self):
        return self.name

    def domain(self, i):
        return self.domains[i] if i < len(self.domains) else _real


def attach_errors(rows, errors):
    """Sets each named row's `errors` (a family module's ERRORS table: {row name: [Err, ...]}, one
    row per distinct op, next to the rows)."""
    by_name = {op.name: op for op in rows}
    for name, errs in errors.items():
        by_name[name].errors = list(errs)
    return rows


B = np.array([True, False, True])   # bool input (refused by arithmetic / activations)
I64 = np.array([1, 2, 3])           # integer input (refused by floating-point-only ops)


def _dim_err(op, call, shape=(3, 2)):
    """An out-of-range dim: `call(x)` on a tensor of `shape` raises IndexError naming `op`."""
    return Err("dim", [shape], IndexError, op, fn=call)


def _shape_err(op, a, b, exc=RuntimeError):
    """Mismatched shapes a, b (the row's own fn): the message names the op and both shapes."""
    return Err("shapes", [a, b], exc, op, shapes=[a, b])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _bce_logits(x, y, w=None, pw=None, reduction="mean"):
    logsig = -np.logaddexp(0.0, -x)
    log1msig = -np.logaddexp(0.0, x)
    pw = 1.0 if pw is None else pw
    loss = -(pw * y * logsig + (1 - y) * log1msig)
    if w is not None:
        loss = loss * w
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _sum_ref(a, axis=None, keepdims=False):
    return np.sum(a, axis=axis, keepdims=keepdims)


def _max_dim_values(a, d, keep):
    return np.max(a, axis=d, keepdims=keep)


S = (3, 4)  # the default sample shape
U = [_real]

UNARY = [
    Op("neg", lambda x: x.neg(), np.negative, [S], gradgrad=True),
    Op("neg_op", lambda x: -x, np.negative, [S]),
    Op("abs", lambda x: x.abs(), np.abs, [S], [_away], gradgrad=True),
    Op("abs_builtin", lambda x: abs(x), np.abs, [S], [_away]),
    Op("sign", lambda x: x.sign(), np.sign, [S], [_away]),
    Op("exp", lambda x: x.exp(), np.exp, [S], gradgrad=True),
    Op("log", lambda x: x.log(), np.log, [S], [_pos], gradgrad=True),
    Op("sqrt", lambda x: x.sqrt(), np.sqrt, [S], [_pos], gradgrad=True),
    Op("reciprocal", lambda x: x.reciprocal(), np.reciprocal, [S], [_pos], gradgrad=True),
    Op("sin", lambda x: x.sin(), np.sin, [S], gradgrad=True),
    Op("cos", lambda x: x.cos(), np.cos, [S], gradgrad=True),
    Op("tanh", lambda x: x.tanh(), np.tanh, [S], gradgrad=True),
    Op("sigmoid", lambda x: x.sigmoid(), _sigmoid, [S], gradgrad=True),
    Op("relu", lambda x: x.relu(), lambda a: np.maximum(a, 0), [S], [_away], gradgrad=True),
    Op("square", lambda x: x.square(), np.square, [S], gradgrad=True),
    Op("fn_exp", lambda x: torch.exp(x), np.exp, [S]),
    Op("fn_sigmoid", lambda x: torch.sigmoid(x), _sigmoid, [S]),
    Op("unary_0d", lambda x: x.tanh(), np.tanh, [()], gradgrad=True),
    Op("unary_3d", lambda x: x.sin(), np.sin, [(2, 3, 2)]),
]

BINARY = [
    Op("add", lambda a, b: a + b, np.add, [S, S], gradgrad=True),
    Op("add_bcast_row", lambda a, b: a + b, np.add, [S, (4,)], gradgrad=True),
    Op("add_bcast_outer", lambda a, b: a + b, np.add, [(3, 1), (1, 4)], gradgrad=True),
    Op("add_bcast_3d", lambda a, b: a + b, np.add, [(2, 1, 4), (3, 1)]),
    Op("add_0d", lambda a, b: a + b, np.add, [S, ()]),
    Op("add_alpha", lambda a, b: a.add(b, alpha=2.5), lambda a, b: a + 2.5 * b, [S, (4,)], gradgrad=True),
    Op("fn_add", lambda a, b: torch.add(a, b), np.add, [S, S]),
    Op("add_scalar", lambda a: a + 1.5, lambda a: a + 1.5, [S]),
    Op("radd_scalar", lambda a: 1.5 + a, lambda a: 1.5 + a, [S]),
    Op("sub", lambda a, b: a - b, np.subtract, [S, S], gradgrad=True),
    Op("sub_bcast", lambda a, b: a - b, np.subtract, [(3, 1), (4,)], gradgrad=True),
    Op("sub_alpha", lambda a, b: a.sub(b, alpha=0.5), lambda a, b: a - 0.5 * b, [S, S]),
    Op("rsub_scalar", lambda a: 1 - a, lambda a: 1 - a, [S], gradgrad=True),
    Op("fn_rsub", lambda a, b: torch.rsub(a, b), lambda a, b: b - a, [S, S]),
    Op("mul", lambda a, b: a * b, np.multiply, [S, S], gradgrad=True),
    Op("mul_bcast", lambda a, b: a * b, np.multiply, [(2, 3, 4), (3, 1)], gradgrad=True),
    Op("mul_scalar", lambda a: a * 3.0, lambda a: a * 3.0, [S]),
    Op("rmul_scalar", lambda a: 3 * a, lambda a: 3 * a, [S]),
    Op("div", lambda a, b: a / b, np.divide, [S, S], [_real, _pos], gradgrad=True),
    Op("div_bcast", lambda a, b: a / b, np.divide, [S, (3, 1)], [_real, _pos], gradgrad=True),
    Op("div_scalar", lambda a: a / 4.0, lambda a: a / 4.0, [S]),
    Op("rdiv_scalar", lambda a: 2 / a, lambda a: 2 / a, [S], [_pos], gradgrad=True),
    Op("pow_tensor", lambda a, b: a ** b, np.power, [S, S], [_pos, _real], gradgrad=True),
    Op("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, [S], gradgrad=True),
    Op("pow_scalar_frac", lambda a: a.pow(2.5), lambda a: a ** 2.5, [S], [_pos], gradgrad=True),
    Op("pow_neg_exponent", lambda a: a ** -1.5, lambda a: a ** -1.5, [S], [_pos]),
    Op("rpow_scalar", lambda a: 2 ** a, lambda a: 2.0 ** a, [S], gradgrad=True),
    Op("fn_pow", lambda a: torch.pow(a, 2), np.square, [S]),
    Op("maximum", lambda a, b: a.maximum(b), np.maximum, [S, S], [_distinct, lambda r, s: _distinct(r, s) + 0.11]),
    Op("minimum", lambda a, b: torch.minimum(a, b), np.minimum, [S, S],
       [_distinct, lambda r, s: _distinct(r, s) + 0.11]),
    Op("maximum_bcast", lambda a, b: a.maximum(b), np.maximum, [S, (4,)],
       [_distinct, lambda r, s: _distinct(r, s) + 0.13]),
]

COMPARE = [
    Op(f"cmp_{n}", (lambda n: lambda a, b: getattr(a, n)(b))(n), ref, [S, (4,)], [_distinct, _distinct],
       grad=False, out_dtype="bool")
    for n, ref in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                   ("gt", np.greater), ("ge", np.greater_equal)]
] + [
    Op("cmp_op_lt", lambda a, b: a < b, np.less, [S, S], grad=False, out_dtype="bool"),
    Op("cmp_op_ge_scalar", lambda a: a >= 0.5, lambda a: a >= 0.5, [S], grad=False, out_dtype="bool"),
    Op("cmp_op_eq_self", lambda a: a == a, lambda a: a == a, [S], grad=False, out_dtype="bool"),
    Op("cmp_op_ne_scalar", lambda a: a != 0.25, lambda a: a != 0.25, [S], grad=False, out_dtype="bool"),
]

REDUCE = [
    Op("sum", lambda x: x.sum(), np.sum, [S], gradgrad=True),
    Op("sum_dim0", lambda x: x.sum(0), lambda a: a.sum(0), [S], gradgrad=True),
    Op("sum_dim_neg_keep", lambda x: x.sum(dim=-1, keepdim=True), lambda a: a.sum(-1, keepdims=True), [S]),
    Op("sum_dims", lambda x: x.sum(dim=(0, 2)), lambda a: a.sum((0, 2)), [(2, 3, 4)]),
    Op("fn_sum", lambda x: torch.sum(x, 1), lambda a: a.sum(1), [S]),
    Op("mean", lambda x: x.mean(), np.mean, [S], gradgrad=True),
    Op("mean_dim", lambda x: x.mean(1), lambda a: a.mean(1), [S]),
    Op("mean_dims_keep", lambda x: x.mean((0, 1), keepdim=True), lambda a: a.mean((0, 1), keepdims=True),
       [(2, 3, 4)]),
    Op("prod", lambda x: x.prod(), np.prod, [(2, 3)], [_away], gradgrad=True),
    Op("prod_dim", lambda x: x.prod(1), lambda a: a.prod(1), [S], [_away]),
    Op("prod_dim_keep", lambda x: x.prod(0, keepdim=True), lambda a: a.prod(0, keepdims=True), [S], [_away]),
    Op("amax", lambda x: x.amax(), np.max, [S], [_distinct]),
    Op("amax_dim", lambda x: x.amax(1), lambda a: a.max(1), [S], [_distinct]),
    Op("amax_dims_keep", lambda x: x.amax((0, 2), keepdim=True), lambda a: a.max((0, 2), keepdims=True),
       [(2, 3, 4)], [_distinct]),
    Op("amin_dim_neg", lambda x: x.amin(-1), lambda a: a.min(-1), [S], [_distinct]),
    Op("max_all", lambda x: x.max(), np.max, [S], [_distinct]),
    Op("min_all", lambda x: torch.min(x), np.min, [S], [_distinct]),
    Op("max_dim_values", lambda x: x.max(dim=1).values, lambda a: a.max(1), [S], [_distinct]),
    Op("max_dim_keep", lambda x: x.max(0, keepdim=True)[0], lambda a: a.max(0, keepdims=True), [S], [_distinct]),
    Op("min_dim_values", lambda x: x.min(dim=0).values, lambda a: a.min(0), [S], [_distinct]),
    Op("max_dim_indices", lambda x: x.max(dim=1).indices, lambda a: a.argmax(1), [S], [_distinct], grad=False,
       out_dtype="int64"),
    Op("min_dim_indices", lambda x: x.min(1, keepdim=True)[1], lambda a: a.argmin(1)[:, None], [S], [_distinct],
       grad=False, out_dtype="int64"),
    Op("argmax", lambda x: x.argmax(), np.argmax, [S], [_distinct], grad=False, out_dtype="int64"),
    Op("argmax_dim", lambda x: x.argmax(dim=0), lambda a: a.argmax(0), [S], [_distinct], grad=False,
       out_dtype="int64"),
    Op("argmin_dim_keep", lambda x: x.argmin(dim=1, keepdim=True), lambda a: a.argmin(1)[:, None], [S],
       [_distinct], grad=False, out_dtype="int64"),
    Op("argmin", lambda x: torch.argmin(x), np.argmin, [S], [_distinct], grad=False, out_dtype="int64"),
]

LINALG = [
    Op("matmul_1d_1d", lambda a, b: a.matmul(b), np.matmul, [(4,), (4,)], gradgrad=True),
    Op("matmul_2d_1d", lambda a, b: a @ b, np.matmul, [(3, 4), (4,)], gradgrad=True),
    Op("matmul_1d_2d", lambda a, b: a @ b, np.matmul, [(3,), (3, 4)], gradgrad=True),
    Op("matmul_2d_2d", lambda a, b: torch.matmul(a, b), np.matmul, [(3, 4), (4, 2)], gradgrad=True),
    Op("matmul_3d_3d", lambda a, b: a @ b, np.matmul, [(2, 3, 4), (2, 4, 2)], gradgrad=True),
    Op("matmul_3d_2d", lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4, 2)], gradgrad=True),
    Op("matmul_2d_3d", lambda a, b: a @ b, np.matmul, [(3, 4), (2, 4, 2)]),
    Op("matmul_bcast_4d", lambda a, b: a @ b, np.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
    Op("matmul_1d_3d", lambda a, b: a @ b, np.matmul, [(4,), (2, 4, 3)]),
    Op("matmul_3d_1d", lambda a, b: a @ b, np.matmul, [(2, 3, 4), (4,)]),
    Op("mm", lambda a, b: a.mm(b), np.matmul, [(3, 4), (4, 5)], gradgrad=True),
    Op("fn_mm", lambda a, b: torch.mm(a, b), np.matmul, [(2, 3), (3, 2)]),
    Op("bmm", lambda a, b: a.bmm(b), np.matmul, [(2, 3, 4), (2, 4, 2)], gradgrad=True),
    Op("mv", lambda a, b: a.mv(b), np.matmul, [(3, 4), (4,)], gradgrad=True),
    Op("dot", lambda a, b: a.dot(b), np.dot, [(5,), (5,)], gradgrad=True),
    Op("fn_dot", lambda a, b: torch.dot(a, b), np.dot, [(3,), (3,)]),
]

VIEWS = [
    Op("view", lambda x: x.view(4, 3), lambda a: a.reshape(4, 3), [S], gradgrad=True, contiguous_only=True),
    Op("view_infer", lambda x: x.view(-1, 2), lambda a: a.reshape(-1, 2), [S], contiguous_only=True),
    Op("view_tuple", lambda x: x.view((2, 6)), lambda a: a.reshape(2, 6), [S], contiguous_only=True),
    Op("view_noncontig_ok", lambda x: x.view(3, 2, 2), lambda a: a.reshape(3, 2, 2), [S]),  # splits the last dim
    Op("reshape", lambda x: x.reshape(2, -1), lambda a: a.reshape(2, -1), [S]),
    Op("fn_reshape", lambda x: torch.reshape(x, (12,)), lambda a: a.reshape(12), [S]),
    Op("transpose", lambda x: x.transpose(0, 1), lambda a: a.T, [S], gradgrad=True),
    Op("transpose_neg", lambda x: x.transpose(-1, 0), lambda a: np.swapaxes(a, -1, 0), [(2, 3, 4)]),
    Op("t", lambda x: x.t(), lambda a: a.T, [S]),
    Op("T", lambda x: x.T, lambda a: a.T, [S]),
    Op("mT", lambda x: x.mT, lambda a: np.swapaxes(a, -1, -2), [(2, 3, 4)]),
    Op("permute", lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)]),
    Op("permute_tuple", lambda x: x.permute((1, 0)), lambda a: a.T, [S]),
    Op("expand", lambda x: x.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)]),
    Op("expand_minus1", lambda x: x.expand(-1, 4), lambda a: np.broadcast_to(a, (3, 4)), [(3, 1)]),
    Op("expand_as", lambda x, y: x.expand_as(y), lambda a, b: np.broadcast_to(a, b.shape), [(1, 4), S],
       grad_inputs=[0]),
    Op("squeeze", lambda x: x.squeeze(), np.squeeze, [(1, 3, 1, 4)]),
    Op("squeeze_dim", lambda x: x.squeeze(2), lambda a: np.squeeze(a, 2), [(3, 4, 1)]),
    Op("squeeze_noop", lambda x: x.squeeze(0), lambda a: a, [S]),
    Op("unsqueeze", lambda x: x.unsqueeze(1), lambda a: np.expand_dims(a, 1), [S]),
    Op("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda a: np.expand_dims(a, -1), [S]),
    Op("flatten", lambda x: x.flatten(), lambda a: a.reshape(-1), [(2, 3, 4)]),
    Op("flatten_range", lambda x: x.flatten(1), lambda a: a.reshape(2, -1), [(2, 3, 4)]),
    Op("flatten_mid", lambda x: torch.flatten(x, 0, 1), lambda a: a.reshape(6, 4), [(2, 3, 4)]),
    Op("narrow", lambda x: x.narrow(1, 1, 2), lambda a: a[:, 1:3], [S]),
    Op("select", lambda x: x.select(0, 1), lambda a: a[1], [S]),
    Op("select_neg", lambda x: x.select(1, -1), lambda a: a[:, -1], [S]),
    Op("index_int", lambda x: x[2], lambda a: a[2], [S]),
    Op("index_neg", lambda x: x[-1, -2], lambda a: a[-1, -2], [S]),
    Op("slice", lambda x: x[1:3], lambda a: a[1:3], [(5, 2)]),
    Op("slice_step", lambda x: x[::2, 1::2], lambda a: a[::2, 1::2], [(5, 6)], gradgrad=True),
    Op("slice_neg", lambda x: x[-3:-1, :-1], lambda a: a[-3:-1, :-1], [(5, 6)]),
    Op("slice_out_of_range_clamps", lambda x: x[2:100], lambda a: a[2:100], [(5,)]),
    Op("slice_empty", lambda x: x[3:1], lambda a: a[3:1], [(5,)]),
    Op("index_ellipsis", lambda x: x[..., 1], lambda a: a[..., 1], [(2, 3, 4)]),
    Op("index_none", lambda x: x[None, :, None], lambda a: a[None, :, None], [S]),
    Op("index_mixed", lambda x: x[1, ::2, None], lambda a: a[1, ::2, None], [(2, 5, 3)]),
    Op("contiguous", lambda x: x.t().contiguous(), lambda a: a.T.copy(), [S]),
    Op("clone", lambda x: x.clone(), lambda a: a.copy(), [S]),
    Op("view_as", lambda x, y: x.view_as(y), lambda a, b: a.reshape(b.shape), [S, (6, 2)], grad_inputs=[0],
       contiguous_only=True),
    Op("reshape_noncontig", lambda x: x.t().reshape(-1), lambda a: a.T.reshape(-1), [S]),
]

CASTS = [
    # (cast gradients: test_to_cast_gradient_flows; a float64 gradcheck of a cast is the identity)
    Op("to_float64", lambda x: x.to(torch.float64), lambda a: a.astype(np.float64), [S], grad=False,
       out_dtype="float64"),
    Op("double", lambda x: x.double(), lambda a: a.astype(np.float64), [S], grad=False, out_dtype="float64"),
    Op("float", lambda x: x.float(), lambda a: a.astype(np.float32), [S], grad=False,  # fd in float32: noise
       out_dtype="float32"),
    Op("to_int64", lambda x: x.to(torch.int64), lambda a: np.trunc(a).astype(np.int64), [S], grad=False,
       out_dtype="int64"),
    Op("long", lambda x: x.long(), lambda a: np.trunc(a).astype(np.int64), [S], grad=False, out_dtype="int64"),
    Op("int", lambda x: x.int(), lambda a: np.trunc(a).astype(np.int32), [S], grad=False, out_dtype="int32"),
    Op("bool", lambda x: x.bool(), lambda a: a.astype(bool), [S], [_away], grad=False, out_dtype="bool"),
    Op("type_as", lambda x, y: x.type_as(y), lambda a, b: a.astype(b.dtype), [S, S], grad=False),
]


def _inplace(method, *args):
    def f(x, *rest):
        y = x.clone()  # in-place on a non-leaf: autograd records through it
        getattr(y, method)(*(rest + args))
        return y
    return f


INPLACE = [
    Op("add_", _inplace("add_"), np.add, [S, S], gradgrad=True),
    Op("add_alpha_", lambda x, y: x.clone().add_(y, alpha=-2), lambda a, b: a - 2 * b, [S, (4,)]),
    Op("sub_", _inplace("sub_"), np.subtract, [S, (3, 1)]),
    Op("mul_", _inplace("mul_"), np.multiply, [S, S], gradgrad=True),
    Op("mul_scalar_", lambda x: x.clone().mul_(3.0), lambda a: 3 * a, [S]),
    Op("div_", _inplace("div_"), np.divide, [S, S], [_real, _pos]),
    Op("pow_", lambda x: x.clone().pow_(2), np.square, [S]),
    Op("iadd", lambda x, y: _iop(x, y, "add"), np.add, [S, S]),
    Op("isub", lambda x, y: _iop(x, y, "sub"), np.subtract, [S, S]),
    Op("imul", lambda x, y: _iop(x, y, "mul"), np.multiply, [S, (4,)]),
    Op("itruediv", lambda x, y: _iop(x, y, "div"), np.divide, [S, S], [_real, _pos]),
    Op("ipow", lambda x: _iop(x, 2, "pow"), np.square, [S]),
    Op("zero_", lambda x: (x * 1).zero_(), np.zeros_like, [S]),
    Op("fill_", lambda x: (x * 1).fill_(2.5), lambda a: np.full_like(a, 2.5), [S]),
    Op("copy_", lambda x, y: (x * 1).copy_(y), lambda a, b: np.broadcast_to(b, a.shape).copy(), [S, (4,)]),
    Op("setitem_slice", lambda x, y: _setitem(x, (slice(None), slice(1, 3)), y),
       lambda a, b: _np_setitem(a, (slice(None), slice(1, 3)), b), [S, (3, 2)]),
]


def _iop(x, y, kind):
    y_ = x.clone()
    if kind == "add":
        y_ += y
    elif kind == "sub":
        y_ -= y
    elif kind == "mul":
        y_ *= y
    elif kind == "div":
        y_ /= y
    elif kind == "pow":
        y_ **= y
    return y_


def _setitem(x, idx, v):
    y = x.clone()
    y[idx] = v
    return y


def _np_setitem(a, idx, v):
    b = a.copy()
    b[idx] = v
    return b


NN = [
    Op("bce_with_logits_mean", lambda x, y: F.binary_cross_entropy_with_logits(x, y), _bce_logits,
       [S, S], [_real, _prob], grad_inputs=[0], gradgrad=True),
    Op("bce_with_logits_sum", lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"),
       lambda a, b: _bce_logits(a, b, reduction="sum"), [S, S], [_real, _prob], grad_inputs=[0]),
    Op("bce_with_logits_none", lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
       lambda a, b: _bce_logits(a, b, reduction="none"), [S, S], [_real, _prob]),
    Op("bce_with_logits_weight", lambda x, y, w: F.binary_cross_entropy_with_logits(x, y, weight=w),
       lambda a, b, w: _bce_logits(a, b, w=w), [S, S, (4,)], [_real, _prob, _pos], grad_inputs=[0]),
    Op("bce_with_logits_pos_weight", lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
       lambda a, b, pw: _bce_logits(a, b, pw=pw), [S, S, (4,)], [_real, _prob, _pos], grad_inputs=[0]),
    Op("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b, [(2, 4), (3, 4), (3,)],
       gradgrad=True, zero_shapes=[(0, 4), (3, 4), (3,)]),
    Op("mse_loss", lambda x, y: F.mse_loss(x, y), lambda a, b: np.mean((a - b) ** 2), [S, S]),
]



ERRORS = {
    "neg": [Err("bool", [B], RuntimeError, "neg")],
    "relu": [Err("bool", [B], RuntimeError, "relu")],
    "abs": [Err("bool", [B], NotImplementedError, "abs")],
    "add": [_shape_err("add", (2, 3), (4,))],
    "sub": [_shape_err("sub", (2, 3), (4,)), Err("bool", [B, B], RuntimeError, "sub")],
    "mul": [_shape_err("mul", (2, 3), (3, 2))],
    "div": [_shape_err("div", (5, 1, 3), (4, 2))],
    "pow_tensor": [_shape_err("pow", (2, 3), (4,))],
    "maximum": [_shape_err("maximum", (2, 3), (4,))],
    "minimum": [_shape_err("minimum", (2, 3), (4,))],
    **{f"cmp_{n}": [_shape_err(n, (2, 3), (4,))] for n in ("eq", "ne", "lt", "le", "gt", "ge")},
    "sum": [_dim_err("sum", lambda x: x.sum(2))],
    "mean": [_dim_err("mean", lambda x: x.mean(-3)), Err("int", [I64], RuntimeError, "mean")],
    "prod": [_dim_err("prod", lambda x: x.prod(2))],
    "amax": [_dim_err("amax", lambda x: x.amax(2)), Err("empty", [(0, 3)], RuntimeError, "amax")],
    "amin_dim_neg": [_dim_err("amin", lambda x: x.amin(-3))],
    "max_all": [Err("empty", [(0, 3)], RuntimeError, "max")],
    "max_dim_values": [_dim_err("max", lambda x: x.max(dim=2))],
    "min_all": [Err("empty", [(0, 3)], RuntimeError, "min")],
    "min_dim_values": [_dim_err("min", lambda x: x.min(dim=2))],
    "argmax": [_dim_err("argmax", lambda x: x.argmax(2)), Err("empty", [(0, 3)], IndexError, "argmax")],
    "argmin": [_dim_err("argmin", lambda x: x.argmin(-3))],
    "matmul_2d_2d": [_shape_err("matmul", (2, 3), (4, 5))],
    "matmul_3d_3d": [_shape_err("matmul", (2, 2, 3), (2, 4, 5))],
    "mm": [_shape_err("mm", (2, 3), (4, 5)), Err("1d", [(2, 3), (3,)], RuntimeError, "mm")],
    "bmm": [_shape_err("bmm", (2, 3, 4), (3, 4, 5))],
    "mv": [_shape_err("mv", (2, 3), (2,))],
    "dot": [_shape_err("dot", (3,), (4,)), Err("2d", [(3, 1), (3, 1)], RuntimeError, "dot")],
    "view": [Err("size", [S], RuntimeError, "view", fn=lambda x: x.view(5)),
             Err("noncontig", [S], RuntimeError, "view", fn=lambda x: x.t().view(12))],
    "reshape": [Err("two_inferred", [S], RuntimeError, "reshape", fn=lambda x: x.reshape(-1, -1))],
    "transpose": [_dim_err("transpose", lambda x: x.transpose(0, 2))],
    "permute": [Err("repeated_dim", [S], RuntimeError, "permute", fn=lambda x: x.permute(0, 0))],
    "expand": [Err("size", [(3, 1)], RuntimeError, "expand", [(3, 1)], fn=lambda x: x.expand(4, 3))],
    "squeeze_dim": [_dim_err("squeeze", lambda x: x.squeeze(2))],
    "unsqueeze": [_dim_err("unsqueeze", lambda x: x.unsqueeze(3))],
    "flatten": [_dim_err("flatten", lambda x: x.flatten(0, 2))],
    "narrow": [Err("length", [S], RuntimeError, "narrow", fn=lambda x: x.narrow(1, 1, 5))],
    "select": [Err("index", [S], IndexError, "select", [S], fn=lambda x: x.select(0, 5))],
    "index_int": [Err("index", [S], IndexError, "index", fn=lambda x: x[5])],
    "add_": [Err("broadcast", [(3, 1), S], RuntimeError, "add_", [(3, 1), S])],
    "bce_with_logits_mean": [_shape_err("binary_cross_entropy_with_logits", S, (2, 4), ValueError)],
    "linear": [Err("shapes", [(2, 4), (3, 5), (3,)], RuntimeError, "linear", [(2, 4), (3, 5)])],
    "mse_loss": [_shape_err("mse_loss", S, (2, 4))],
}
attach_errors(UNARY + BINARY + COMPARE + REDUCE + LINALG + VIEWS + INPLACE + NN, ERRORS)


def _collect_rows():
    """Rows from tests/op_rows/*.py, in module-name order."""
    from tests import op_rows
    rows = []
    for mod in sorted(pkgutil.iter_modules(op_rows.__path__), key=lambda m: m.name):
        rows += importlib.import_module(f"tests.op_rows.{mod.name}").ROWS
    return rows


OPS = UNARY + BINARY + COMPARE + REDUCE + LINALG + VIEWS + CASTS + INPLACE + NN + _collect_rows()
GRAD_OPS = [op for op in OPS if op.grad]
GRADGRAD_OPS = [op for op in OPS if op.gradgrad]


