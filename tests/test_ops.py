"""Op library tests. One table (OPS) lists every op with sample inputs and a NumPy reference;
generic tests run over it: forward values (float32/float64), non-contiguous inputs, output
dtype, gradcheck, gradgradcheck. A new op is one row. The rest of the file covers what is
not a table row: type promotion, views, errors, factories, interop, repr, threads."""
import math
import re
import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
import pytest

import gradgate as torch
import gradgate.nn.functional as F
from gradgate.autograd import gradcheck, gradgradcheck


from tests.op_db import *  # noqa: F401,F403  (the table and its sample domains)
from tests.op_db import _real, _pos, _away, _distinct, _prob, _sigmoid, _bce_logits  # noqa: F401


def test_table_names_are_unique():
    names = [op.name for op in OPS]
    assert len(names) == len(set(names))


# The ops issue 3 lists, each with the row that carries its error inputs (one per distinct op),
# or None with the reason in NO_ERROR_INPUT: PyTorch has no error case for the op's tensor inputs.
LISTED_OPS = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "div_floor": "div_floor", "neg": "neg", "abs": "abs",
    "sign": None, "pow": "pow_tensor", "exp": None, "expm1": None, "log": None, "log1p": None, "log2": None,
    "sqrt": None, "rsqrt": None, "reciprocal": None, "square": None, "sin": None, "cos": None, "tan": None,
    "tanh": None, "sigmoid": None, "relu": "relu", "leaky_relu": "leaky_relu", "elu": "elu", "gelu": "gelu",
    "silu": "silu", "softplus": "softplus", "hardtanh": "hardtanh", "clamp": "clamp", "clip": "clip",
    "maximum": "maximum", "minimum": "minimum", "where": "where", "lerp": "lerp_tensor", "addcmul": "addcmul",
    "addcdiv": "addcdiv", "eq": "cmp_eq", "ne": "cmp_ne", "lt": "cmp_lt", "le": "cmp_le", "gt": "cmp_gt",
    "ge": "cmp_ge", "logical_and": "logical_and", "logical_or": "logical_or", "logical_not": None,
    "isnan": "isnan", "isinf": "isinf", "nan_to_num": None, "floor": "floor", "ceil": "ceil", "round": "round",
    "trunc": "trunc", "masked_fill": "masked_fill",
    "sum": "sum", "mean": "mean", "var": "var", "std": "std", "prod": "prod", "max": "max_dim_values",
    "min": "min_dim_values", "amax": "amax", "amin": "amin_dim_neg", "argmax": "argmax", "argmin": "argmin",
    "logsumexp": "logsumexp", "norm": "norm", "cumsum": "cumsum", "cumprod": "cumprod", "all": "all", "any": "any",
    "sort": "sort_values", "argsort": "argsort", "topk": "topk", "unique": None,
    "matmul": "matmul_2d_2d", "mm": "mm", "bmm": "bmm", "mv": "mv", "dot": "dot", "outer": "outer",
    "addmm": "addmm", "baddbmm": "baddbmm", "einsum": "einsum_bmm", "linalg.norm": "linalg_norm",
    "cat": "cat", "stack": "stack", "split": "split_sizes", "chunk": "chunk", "unbind": "unbind",
    "repeat": "repeat", "tile": "tile", "roll": "roll", "flip": "flip", "tril": "tril", "triu": "triu",
    "diag": "diag_2d", "gather": "gather", "scatter": "scatter", "scatter_add": "scatter_add",
    "index_select": "index_select", "index_add": "index_add", "masked_select": "masked_select",
    "advanced indexing": "adv_index_tensor", "take_along_dim": "take_along_dim", "nonzero": "nonzero",
    "softmax": "softmax_dim1", "log_softmax": "log_softmax_dim1", "dropout": "dropout_eval",
    "layer_norm": "layer_norm", "batch_norm": "batch_norm_train", "group_norm": "group_norm",
    "embedding": "embedding", "linear": "linear", "conv1d": "conv1d", "conv2d": "conv2d",
    "conv_transpose2d": "conv_transpose2d", "max_pool2d": "max_pool2d", "max_pool2d indices": "max_pool2d_indices",
    "avg_pool2d": "avg_pool2d", "adaptive_avg_pool2d": "adaptive_avg_pool2d",
    "interpolate": "interpolate_nearest_size", "pad": "pad_constant", "one_hot": "one_hot",
    "scaled_dot_product_attention": "sdpa", "cross_entropy": "cross_entropy", "nll_loss": "nll_loss",
    "mse_loss": "mse_loss", "l1_loss": "l1_loss", "smooth_l1_loss": "smooth_l1_loss", "huber_loss": "huber_loss",
    "binary_cross_entropy": "binary_cross_entropy", "binary_cross_entropy_with_logits": "bce_with_logits_mean",
    "kl_div": "kl_div_batchmean", "cosine_similarity": "cosine_similarity",
}
_ROWS_OF = {"sign": "sign", "exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "log2": "log2",
            "sqrt": "sqrt", "rsqrt": "rsqrt", "reciprocal": "reciprocal", "square": "square", "sin": "sin",
            "cos": "cos", "tan": "tan", "tanh": "tanh", "sigmoid": "sigmoid", "logical_not": "logical_not",
            "nan_to_num": "nan_to_num", "unique": "unique"}
NO_ERROR_INPUT = {
    **{n: "PyTorch computes it for every dtype (integers and bools promote to float)"
       for n in ("exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "tanh",
                 "sigmoid")},
    "sign": "defined for every dtype, bool included", "square": "defined for every dtype, bool included",
    "logical_not": "defined for every dtype", "nan_to_num": "defined for every dtype",
    "unique": "PyTorch's one error case is an out-of-range dim=, and gradgate's unique has no dim argument",
}


def test_listed_ops_have_rows_and_error_inputs():
    rows = {op.name: op for op in OPS}
    for name, row in LISTED_OPS.items():
        if row is None:
            assert name in NO_ERROR_INPUT and _ROWS_OF[name] in rows, name
        else:
            assert row in rows, f"{name}: no row {row!r}"
            assert rows[row].errors or row == "max_pool2d_indices", f"{name}: row {row!r} has no error inputs"


# ---------------------------------------------------------------- generic tests over the table

_NP = {"float32": np.float32, "float64": np.float64}
_GG = {"float32": torch.float32, "float64": torch.float64}


def _sample_arrays(op, dtype, seed=0):
    rng = np.random.default_rng(zlib.crc32(op.name.encode()) + seed)
    return [np.asarray(op.domain(i)(rng, tuple(s))).astype(dtype) for i, s in enumerate(op.shapes)]


def _noncontiguous(arr):
    """A gradgate tensor with arr's values whose memory layout is not contiguous (for ndim >= 1)."""
    if arr.ndim == 0:
        return torch.tensor(arr)
    perm = tuple(reversed(range(arr.ndim)))
    base = np.zeros(arr.transpose(perm).shape + (2,), arr.dtype)  # every other element, reversed dims
    base[..., 0] = arr.transpose(perm)
    t = torch.tensor(base)[..., 0].permute(*perm)
    if arr.size > 1:
        assert not t.is_contiguous()
    return t


def _check(out, expected, dtype, op):
    exp = np.asarray(expected)
    got = out.detach().numpy()
    assert tuple(out.shape) == exp.shape, f"{op.name}: shape {tuple(out.shape)} != {exp.shape}"
    if op.out_dtype in ("bool", "int64", "int32"):
        np.testing.assert_array_equal(got, exp.astype(op.out_dtype))
        return
    tol = op.tol32 if out.dtype == torch.float32 else 1e-10
    np.testing.assert_allclose(got.astype(np.float64), exp.astype(np.float64), rtol=tol, atol=tol)


def _expected_dtype(op, dtype):
    return getattr(torch, op.out_dtype) if op.out_dtype else _GG[dtype]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", OPS, ids=str)
def test_forward_matches_numpy(op, dtype):
    arrays = _sample_arrays(op, _NP[dtype])
    out = op.fn(*[torch.tensor(a) for a in arrays])
    expected = op.ref(*[a.astype(np.float64) for a in arrays])
    if op.name == "type_as":
        assert out.dtype == _GG[dtype]
    else:
        assert out.dtype == _expected_dtype(op, dtype), f"{op.name}: dtype {out.dtype}"
    _check(out, expected, dtype, op)


@pytest.mark.parametrize("op", [op for op in OPS if not op.contiguous_only], ids=str)
def test_forward_noncontiguous_inputs(op):
    arrays = _sample_arrays(op, np.float64, seed=1)
    out = op.fn(*[_noncontiguous(a) for a in arrays])
    _check(out, op.ref(*arrays), "float64", op)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_inputs_are_not_modified(op):
    arrays = _sample_arrays(op, np.float32, seed=2)
    ts = [torch.tensor(a) for a in arrays]
    versions = [t._version for t in ts]
    op.fn(*ts)
    for a, t, v in zip(arrays, ts, versions):
        np.testing.assert_array_equal(t.numpy(), a)
        assert t._version == v


def _grad_inputs(op, arrays, noncontig=False):
    idx = range(len(arrays)) if op.grad_inputs is None else op.grad_inputs
    ts = []
    for i, a in enumerate(arrays):
        t = torch.tensor(a, dtype=torch.float64, requires_grad=i in idx)
        ts.append(t)
    return ts


@pytest.mark.parametrize("op", GRAD_OPS, ids=str)
def test_gradcheck(op):
    ts = _grad_inputs(op, _sample_arrays(op, np.float64, seed=3))
    out = op.fn(*ts)
    assert out.requires_grad and out.grad_fn is not None
    assert gradcheck(op.fn, ts, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("op", [op for op in GRAD_OPS if all(len(s) >= 1 for s in op.shapes)
                                and not op.contiguous_only], ids=str)
def test_gradcheck_through_noncontiguous_inputs(op):
    """The op's inputs are non-contiguous views (transposes / strided columns) of the leaves."""
    arrays = _sample_arrays(op, np.float64, seed=4)
    leaves = []
    for i, a in enumerate(arrays):
        base = np.ascontiguousarray(a.T) if a.ndim >= 2 else np.stack([a, np.zeros_like(a)], 1)
        rg = op.grad_inputs is None or i in op.grad_inputs
        leaves.append(torch.tensor(base, requires_grad=rg))

    def fn(*ls):
        xs = [(l.permute(*reversed(range(l.dim()))) if a.ndim >= 2 else l[:, 0]) for l, a in zip(ls, arrays)]
        return op.fn(*xs)

    np.testing.assert_allclose(fn(*leaves).detach().numpy(), op.ref(*arrays), rtol=1e-10, atol=1e-10)
    assert gradcheck(fn, leaves, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("op", GRADGRAD_OPS, ids=str)
def test_gradgradcheck(op):
    ts = _grad_inputs(op, _sample_arrays(op, np.float64, seed=5))
    assert gradgradcheck(op.fn, ts, eps=1e-6, atol=1e-5, rtol=1e-3)


def _second_order_check(fn, xs, seed=0, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Independent of gradgradcheck: with s(x) = <u, d<v, f(x)>/dx> for random v, u, the
    double-backward gradient ds/dx must match central differences of s (each s from a
    first-order backward)."""
    rng = np.random.default_rng(seed)
    diff = [x for x in xs if x.requires_grad]
    out_shape = tuple(fn(*xs).shape)
    v = torch.tensor(rng.standard_normal(out_shape))
    us = [torch.tensor(rng.standard_normal(tuple(x.shape))) for x in diff]

    def s_of(create_graph):
        gs = torch.autograd.grad(fn(*xs), diff, v, create_graph=create_graph, allow_unused=True)
        total = torch.zeros((), dtype=torch.float64)
        for g, u in zip(gs, us):
            if g is not None:
                total = total + (g * u).sum()
        return total

    s = s_of(True)
    if s.requires_grad:
        analytical = torch.autograd.grad(s, diff, allow_unused=True)
    else:  # first derivatives do not depend on x: the op is linear in its inputs
        analytical = [None] * len(diff)
    for x, a in zip(diff, analytical):
        flat = x.detach().numpy().reshape(-1)  # shares memory with the leaf
        num = np.zeros(flat.size)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = s_of(False).item()
            flat[k] = orig - eps
            minus = s_of(False).item()
            flat[k] = orig
            num[k] = (plus - minus) / (2 * eps)
        # (the `* 1` materializes PyTorch's ZeroTensor when the suite is checked against PyTorch itself)
        ana = np.zeros(flat.size) if a is None else (torch.zeros_like(a) + a.detach()).numpy().reshape(-1)
        np.testing.assert_allclose(ana, num, rtol=rtol, atol=atol)


@pytest.mark.parametrize("op", GRADGRAD_OPS, ids=str)
def test_second_derivative_matches_finite_differences(op):
    ts = _grad_inputs(op, _sample_arrays(op, np.float64, seed=5))
    _second_order_check(op.fn, ts)


def test_second_order_check_can_fail():
    class BadSquare(torch.autograd.Function):  # first derivative right, second wrong (constant 2x)
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x.detach()

    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(AssertionError):
        _second_order_check(BadSquare.apply, [x])


@pytest.mark.parametrize("op", GRAD_OPS, ids=str)
def test_grad_fn_recorded_only_when_needed(op):
    arrays = _sample_arrays(op, np.float32, seed=6)
    out = op.fn(*[torch.tensor(a) for a in arrays])
    assert out.requires_grad is False and out.grad_fn is None
    with torch.no_grad():
        out = op.fn(*_grad_inputs(op, arrays))
    assert out.grad_fn is None
    if not out._is_view():  # (PyTorch: a view made under no_grad reports its base's requires_grad)
        assert out.requires_grad is False


@pytest.mark.parametrize("op", [op for op in OPS if not op.grad and op.out_dtype in ("bool", "int64", "int32")],
                         ids=str)
def test_integer_outputs_never_require_grad(op):
    arrays = _sample_arrays(op, np.float32, seed=7)
    out = op.fn(*[torch.tensor(a, requires_grad=True) for a in arrays])
    assert out.requires_grad is False and out.grad_fn is None


def _error_arrays(op, err, dtype=np.float32):
    """An Err's inputs: shapes drawn like the row's samples, arrays as given."""
    rng = np.random.default_rng(zlib.crc32((op.name + err.why).encode()))
    return [a if isinstance(a, np.ndarray) else np.asarray(op.domain(i)(rng, tuple(a))).astype(dtype)
            for i, a in enumerate(err.inputs)]


# Error inputs gradgate does not yet answer as PyTorch does (xfail, strict): test id -> reason.
KNOWN_ERROR_MISMATCHES = {
}
ERROR_CASES = [pytest.param(op, i, id=f"{op.name}-{e.why}",
                            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_ERROR_MISMATCHES[f"{op.name}-{e.why}"])]
                            if f"{op.name}-{e.why}" in KNOWN_ERROR_MISMATCHES else [])
               for op in OPS for i, e in enumerate(op.errors)]


@pytest.mark.beyond_torch  # PyTorch's messages often name neither the op nor the shapes
@pytest.mark.parametrize("op,i", ERROR_CASES)
def test_error_inputs(op, i):
    """Each bad input raises PyTorch's exception type (test_op_table_vs_torch checks PyTorch raises
    it too), with a message naming the op and the shapes involved."""
    err = op.errors[i]
    with pytest.raises(Exception) as ei:
        (err.fn or op.fn)(*[torch.tensor(a) for a in _error_arrays(op, err)])
    msg = str(ei.value)
    assert ei.type is err.exc, f"raised {ei.type.__name__} ({msg}), PyTorch raises {err.exc.__name__}"
    assert err.op.lower() in msg.lower(), f"the message does not name {err.op!r}: {msg}"
    for shape in err.shapes:
        assert _names_shape(msg, shape), f"the message does not name the shape {shape}: {msg}"


# ---------------------------------------------------------------- integer inputs

INT_OPS = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("maximum", lambda a, b: a.maximum(b), np.maximum),
    ("neg", lambda a, b: -a, lambda a, b: -a),
    ("abs", lambda a, b: a.abs(), lambda a, b: np.abs(a)),
    ("sum", lambda a, b: a.sum(1), lambda a, b: a.sum(1)),
    ("amax", lambda a, b: a.amax(0), lambda a, b: a.max(0)),
    ("matmul", lambda a, b: a @ b.t(), lambda a, b: a @ b.T),
    ("transpose", lambda a, b: a.t().contiguous(), lambda a, b: a.T),
    ("lt", lambda a, b: a < b, np.less),
]


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("name,fn,ref", INT_OPS, ids=[r[0] for r in INT_OPS])
def test_integer_ops(name, fn, ref, dtype):
    rng = np.random.default_rng(9)
    a = rng.integers(-5, 6, (3, 4)).astype(dtype)
    b = rng.integers(-5, 6, (3, 4)).astype(dtype)
    out = fn(torch.tensor(a), torch.tensor(b))
    exp = ref(a, b)
    np.testing.assert_array_equal(out.numpy(), exp)
    if name == "lt":
        assert out.dtype == torch.bool
    elif name == "sum":
        assert out.dtype == torch.int64  # integer sums accumulate in int64, like PyTorch
    else:
        assert out.dtype == getattr(torch, dtype)


@pytest.mark.parametrize("name,fn,ref", [
    ("exp", lambda t: t.exp(), np.exp),
    ("sqrt", lambda t: t.sqrt(), np.sqrt),
    ("sigmoid", lambda t: t.sigmoid(), _sigmoid),
    ("div", lambda t: t / 2, lambda a: a / 2),
    ("mean_float_dtype", lambda t: t.mean(dtype=torch.float32), np.mean),
])
def test_integer_inputs_promote_to_float(name, fn, ref):
    a = np.array([1, 2, 4], np.int64)
    out = fn(torch.tensor(a))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), ref(a.astype(np.float64)), rtol=1e-6)


def test_integer_mean_raises():
    with pytest.raises(RuntimeError, match="mean"):
        torch.tensor([1, 2, 3]).mean()


def test_bool_sum_counts():
    t = torch.tensor([True, False, True])
    s = t.sum()
    assert s.dtype == torch.int64 and s.item() == 2


def test_prod_of_int32_is_int64():
    p = torch.tensor([2, 3, 4], dtype=torch.int32).prod()
    assert p.dtype == torch.int64 and p.item() == 24


def test_reduction_dtype_argument():
    t = torch.tensor([1.0, 2.0, 3.0])
    s = t.sum(dtype=torch.float64)
    assert s.dtype == torch.float64 and s.item() == 6.0


def test_reduction_of_empty_tensor():
    e = torch.zeros(0, 3)
    assert e.sum().item() == 0.0
    assert tuple(e.sum(0).shape) == (3,)
    assert e.prod().item() == 1.0
    assert math.isnan(e.mean().item())
    with pytest.raises((RuntimeError, IndexError)):
        e.amax()


def test_sum_is_deterministic_and_accurate():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(100_003).astype(np.float32)
    t = torch.tensor(a)
    s1, s2 = t.sum().item(), t.sum().item()
    assert s1 == s2
    np.testing.assert_allclose(s1, a.astype(np.float64).sum(), rtol=1e-5, atol=1e-3)


def test_large_elementwise_and_matmul():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((300, 257)).astype(np.float32)
    b = rng.standard_normal((257, 129)).astype(np.float32)
    ta, tb = torch.tensor(a), torch.tensor(b)
    np.testing.assert_allclose((ta * 2 + 1).exp().numpy(), np.exp(a * 2 + 1), rtol=1e-5)
    np.testing.assert_allclose((ta @ tb).numpy(), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose((ta.t().contiguous().t() @ tb).numpy(), a.astype(np.float64) @ b, rtol=1e-4,
                               atol=1e-3)
    np.testing.assert_allclose(ta.t().sum(1).numpy(), a.sum(0), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("threads", [1, 2])
def test_large_contiguous_copies_split_over_threads(threads):
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        src = np.random.default_rng(2).standard_normal(300_001).astype(np.float32)  # several tasks, odd tail
        t = torch.from_numpy(src.copy())
        np.testing.assert_array_equal(t.clone().numpy(), src)
        dst = torch.zeros(300_001)
        assert dst.copy_(t) is dst
        np.testing.assert_array_equal(dst.numpy(), src)
    finally:
        torch.set_num_threads(old)


def test_special_values():
    t = torch.tensor([0.0, -1.0, float("inf"), float("nan")])
    out = t.log().numpy()
    assert out[0] == -np.inf and np.isnan(out[1]) and out[2] == np.inf and np.isnan(out[3])
    assert (torch.tensor([1.0]) / 0).item() == float("inf")
    assert torch.tensor([float("nan"), 1.0]).amax().item() != 1.0  # NaN propagates through max


# ---------------------------------------------------------------- type promotion

@pytest.mark.parametrize("make,expected", [
    (lambda: torch.tensor([1, 2]) + 1.5, "float32"),
    (lambda: 1.5 * torch.tensor([1, 2]), "float32"),
    (lambda: torch.tensor([1, 2]) + 1, "int64"),
    (lambda: torch.tensor([1, 2], dtype=torch.int32) + 1, "int32"),
    (lambda: torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2]), "int64"),
    (lambda: torch.tensor([1.0], dtype=torch.float32) + torch.tensor([1.0], dtype=torch.float64), "float64"),
    (lambda: torch.tensor(2.0, dtype=torch.float64) * torch.tensor([1.0, 2.0]), "float32"),
    (lambda: torch.tensor([1.0, 2.0]) * torch.tensor(2.0, dtype=torch.float64), "float32"),
    (lambda: torch.tensor(2, dtype=torch.int64) * torch.tensor([1.0, 2.0]), "float32"),
    (lambda: torch.tensor(2.0) * torch.tensor([1, 2]), "float32"),
    (lambda: torch.tensor([1.0], dtype=torch.float64) + 1.5, "float64"),
    (lambda: torch.tensor([True, False]) + 1, "int64"),
    (lambda: torch.tensor([True, False]) + torch.tensor([True, True]), "bool"),
    (lambda: torch.tensor([1, 2]) / 2, "float32"),
    (lambda: torch.tensor([1, 2]) / torch.tensor([2, 2]), "float32"),
    (lambda: torch.tensor([1, 2]) ** 2, "int64"),
    (lambda: torch.tensor([1, 2]) ** 0.5, "float32"),
    (lambda: torch.tensor([1, 2]) > 1.5, "bool"),
    (lambda: torch.tensor([1.0, 2.0], dtype=torch.float64) @ torch.tensor([1.0, 2.0], dtype=torch.float64),
     "float64"),
    (lambda: torch.tensor([1, 2], dtype=torch.int32).maximum(torch.tensor([0.5, 3.0])), "float32"),
])
def test_type_promotion(make, expected):
    out = make()
    assert out.dtype == getattr(torch, expected), f"got {out.dtype}"


def test_type_promotion_values():
    out = torch.tensor([1, 2]) + 1.5
    np.testing.assert_allclose(out.numpy(), [2.5, 3.5])
    out = torch.tensor(0.5, dtype=torch.float64) + torch.tensor([1.0, 2.0])
    np.testing.assert_allclose(out.numpy(), [1.5, 2.5])


def test_mixed_dtype_gradients_have_input_dtypes():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    out = a * b
    assert out.dtype == torch.float64
    out.sum().backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0])


def test_in_place_cannot_downcast_result():
    t = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        t.add_(1.5)
    f = torch.tensor([1.0, 2.0])
    f.add_(torch.tensor([1, 1]))  # upcasting other into self is fine
    np.testing.assert_array_equal(f.numpy(), [2.0, 3.0])
    assert f.dtype == torch.float32


def test_to_cast_gradient_flows():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(torch.float64)
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.dtype == torch.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert x.to(torch.float32) is x
    assert x.to(torch.float32, copy=True) is not x


# ---------------------------------------------------------------- views share storage and version

VIEW_MAKERS = [
    ("view", lambda t: t.view(3, 4)),
    ("reshape_contig", lambda t: t.reshape(12)),
    ("transpose", lambda t: t.transpose(0, 1)),
    ("t", lambda t: t.t()),
    ("permute", lambda t: t.permute(1, 0)),
    ("expand", lambda t: t[:1].expand(5, 3)),
    ("unsqueeze", lambda t: t.unsqueeze(0)),
    ("squeeze", lambda t: t.unsqueeze(1).squeeze(1)),
    ("flatten", lambda t: t.flatten()),
    ("narrow", lambda t: t.narrow(0, 1, 2)),
    ("select", lambda t: t.select(1, 2)),
    ("slice_step", lambda t: t[::2, 1:]),
    ("index", lambda t: t[1]),
    ("detach", lambda t: t.detach()),
    ("view_as", lambda t: t.view_as(torch.zeros(4, 3))),
]


@pytest.mark.parametrize("name,make", VIEW_MAKERS, ids=[v[0] for v in VIEW_MAKERS])
def test_views_share_storage_and_version_counter(name, make):
    base = torch.arange(12.0).view(4, 3)
    v = make(base)
    before = base._version
    base.add_(100)
    assert v._version == base._version == before + 1
    # writes through the base are visible in the view...
    expected = make(torch.arange(12.0).view(*base.shape) + 100)
    np.testing.assert_array_equal(v.numpy(), expected.numpy())
    # ...and writes through the view are visible in the base
    if name != "expand":  # (writing into an expanded view is refused: overlapping memory)
        v.mul_(0)
        assert base._version == before + 2
        np.testing.assert_array_equal(make(base).numpy(), np.zeros(tuple(v.shape)))
        if v.numel() < base.numel():
            assert base.sum().item() > 0  # the rest of the base is untouched


def test_view_data_ptr_and_strides():
    t = torch.arange(24.0).view(2, 3, 4)
    assert t.stride() == (12, 4, 1)
    p = t.permute(2, 0, 1)
    assert p.stride() == (1, 12, 4)
    assert p.data_ptr() == t.data_ptr()
    n = t.narrow(2, 1, 2)
    assert n.storage_offset() == 1
    assert n.data_ptr() == t.data_ptr() + 4
    s = t[:, 1]
    assert s.storage_offset() == 4 and s.stride() == (12, 1)
    assert not t.transpose(0, 1).is_contiguous()
    c = t.transpose(0, 1).contiguous()
    assert c.is_contiguous() and c.data_ptr() != t.data_ptr()
    assert t.contiguous() is t
    e = torch.ones(3, 1).expand(3, 4)
    assert e.stride() == (1, 0)


def test_reshape_copies_only_when_needed():
    t = torch.arange(6.0).view(2, 3)
    assert t.reshape(3, 2).data_ptr() == t.data_ptr()
    r = t.t().reshape(6)
    assert r.data_ptr() != t.data_ptr()
    np.testing.assert_array_equal(r.numpy(), [0, 3, 1, 4, 2, 5])


def test_view_on_non_contiguous_raises():
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.ones(3, 4).t().view(12)


def test_view_of_wrong_size_raises():
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        torch.ones(2, 3).view(4)


def test_setitem_writes_through():
    t = torch.zeros(3, 4)
    t[1] = 5.0
    t[:, 0] = torch.tensor([1.0, 2.0, 3.0])
    t[2, 1:3] = torch.tensor([7.0, 8.0])
    expected = np.zeros((3, 4))
    expected[1] = 5
    expected[:, 0] = [1, 2, 3]
    expected[2, 1:3] = [7, 8]
    np.testing.assert_array_equal(t.numpy(), expected)


def test_copy_fill_zero_in_place_semantics():
    t = torch.ones(2, 3)
    r = t.copy_(torch.tensor([1.0, 2.0, 3.0]))
    assert r is t
    np.testing.assert_array_equal(t.numpy(), [[1, 2, 3], [1, 2, 3]])
    t.copy_(torch.tensor([[1, 2, 3], [4, 5, 6]]))  # copies across dtypes
    np.testing.assert_array_equal(t.numpy(), [[1, 2, 3], [4, 5, 6]])
    assert t.fill_(7) is t
    np.testing.assert_array_equal(t.numpy(), np.full((2, 3), 7.0))
    assert t.zero_() is t
    np.testing.assert_array_equal(t.numpy(), np.zeros((2, 3)))
    nc = torch.zeros(3, 4).t()
    nc.fill_(2.0)
    np.testing.assert_array_equal(nc.numpy(), np.full((4, 3), 2.0))
    with pytest.raises(RuntimeError):
        t.copy_(torch.ones(4))


def test_copy_gradient_goes_to_source():
    src = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    dst = torch.zeros(2, 3)
    dst.copy_(src)
    assert dst.requires_grad and dst.grad_fn is not None
    (dst * torch.tensor([[1.0], [2.0]])).sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [3.0, 3.0, 3.0])


def test_in_place_version_and_grad_fn():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    v = y._version
    y.add_(1)
    assert y._version == v + 1
    assert y.grad_fn.name() == "AddBackward0"
    y.mul_(3)
    assert y._version == v + 2
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


# ---------------------------------------------------------------- errors

def _shape_patterns(shape):
    s = tuple(shape)
    pats = ["x".join(map(str, s)), "[" + ", ".join(map(str, s)) + "]", str(s)]
    if len(s) == 1:
        pats += [f"({s[0]})", f"[{s[0]}]"]
    return [re.escape(p) for p in pats]


def _names_shape(msg, shape):
    return any(re.search(p, msg) for p in _shape_patterns(shape))


@pytest.mark.beyond_torch  # PyTorch names only the two clashing sizes; gradgate also names both shapes
@pytest.mark.parametrize("a,b", [((2, 3), (4,)), ((2, 3), (3, 2)), ((5, 1, 3), (4, 2))])
def test_broadcast_mismatch_names_both_shapes(a, b):
    for fn in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x.maximum(y), lambda x, y: x < y):
        with pytest.raises(RuntimeError) as ei:
            fn(torch.ones(*a), torch.ones(*b))
        msg = str(ei.value)
        assert _names_shape(msg, a) and _names_shape(msg, b), msg
        assert "must match the size of tensor" in msg  # PyTorch's words


@pytest.mark.beyond_torch  # PyTorch's batched cases name folded or partial shapes
@pytest.mark.parametrize("a,b", [((2, 3), (4, 5)), ((2, 2, 3), (2, 4, 5)), ((3,), (4, 5)), ((2, 3), (4,)),
                                 ((3,), (4,)), ((2, 3, 4), (5, 6))])
def test_matmul_mismatch_names_both_shapes(a, b):
    with pytest.raises(RuntimeError) as ei:
        torch.ones(*a) @ torch.ones(*b)
    msg = str(ei.value)
    assert _names_shape(msg, a) and _names_shape(msg, b), msg


@pytest.mark.parametrize("fn", [
    lambda: torch.ones(2, 3).mm(torch.ones(4, 5)),
    lambda: torch.ones(2, 3).mm(torch.ones(3)),
    lambda: torch.ones(2, 3, 4).bmm(torch.ones(3, 4, 5)),
    lambda: torch.ones(2, 3).bmm(torch.ones(2, 3, 3)),
    lambda: torch.ones(2, 3).mv(torch.ones(2)),
    lambda: torch.ones(3).dot(torch.ones(4)),
    lambda: torch.ones(3, 1).dot(torch.ones(3, 1)),
    lambda: torch.ones(0) @ torch.ones(()),
    lambda: torch.ones(2, 3).expand(3, 3),
    lambda: torch.ones(2, 3).narrow(0, 1, 5),
    lambda: torch.ones(2, 3).permute(0, 0),
    lambda: torch.ones(2, 3).reshape(-1, -1),
    lambda: torch.ones(2).item(),
    lambda: bool(torch.ones(2)),
    lambda: torch.ones(2, dtype=torch.float32) + torch.ones(2, 2, 2).t(),
])
def test_bad_inputs_raise_runtime_error(fn):
    with pytest.raises(RuntimeError):
        fn()


@pytest.mark.parametrize("fn", [
    lambda: torch.ones(3)[3],
    lambda: torch.ones(3)[-4],
    lambda: torch.ones(3, 2)[:, 2],
    lambda: torch.ones(3, 2)[1, 1, 0],
    lambda: torch.ones(3).select(0, 5),
    lambda: torch.ones(())[0],
    lambda: torch.ones(2)[1.5],
], ids=["idx", "neg_idx", "second_dim", "too_many", "select", "0d", "float_index"])
def test_out_of_range_index_raises_index_error(fn):
    with pytest.raises(IndexError):
        fn()


def test_index_error_message():
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        torch.ones(3)[5]


@pytest.mark.parametrize("fn", [
    lambda t: t.sum(dim=2),
    lambda t: t.sum(dim=-3),
    lambda t: t.mean(5),
    lambda t: t.transpose(0, 2),
    lambda t: t.unsqueeze(4),
    lambda t: t.squeeze(2),
    lambda t: t.argmax(2),
    lambda t: t.amax(3),
    lambda t: t.max(dim=2),
    lambda t: t.select(2, 0),
    lambda t: t.narrow(-3, 0, 1),
    lambda t: t.flatten(0, 2),
    lambda t: t.permute(0, 2),
    lambda t: t.size(2),
    lambda t: t.prod(2),
], ids=["sum", "sum_neg", "mean", "transpose", "unsqueeze", "squeeze", "argmax", "amax", "max", "select", "narrow",
        "flatten", "permute", "size", "prod"])
def test_out_of_range_dim_raises_index_error(fn):
    t = torch.ones(3, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        fn(t)


def test_type_errors():
    with pytest.raises(TypeError):
        torch.ones(2) + "a"
    with pytest.raises(TypeError):
        torch.ones(2) * [1, 2]


# ================================================================ factories

def test_tensor_dtype_inference():
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([1.0, 2]).dtype == torch.float32
    assert torch.tensor([1, 2.5]).dtype == torch.float32
    assert torch.tensor(3).dtype == torch.int64
    assert torch.tensor(3.0).dtype == torch.float32
    assert torch.tensor([True, False]).dtype == torch.bool
    assert torch.tensor([True, 2]).dtype == torch.int64
    assert torch.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert torch.tensor([]).dtype == torch.float32 and tuple(torch.tensor([]).shape) == (0,)
    assert torch.tensor(np.array([1.0, 2.0])).dtype == torch.float64
    assert torch.tensor(np.array([1, 2], np.int32)).dtype == torch.int32
    assert torch.tensor(np.float64(1.5)).dtype == torch.float64
    assert torch.tensor([1, 2], dtype=torch.float64).dtype == torch.float64
    assert torch.tensor([1.7, -1.7], dtype=torch.int64).tolist() == [1, -1]
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        torch.tensor([[1, 2], [3]])


def test_tensor_copies_data():
    a = np.array([1.0, 2.0])
    t = torch.tensor(a)
    a[0] = 100
    assert t[0].item() == 1.0


def test_default_dtype():
    assert torch.get_default_dtype() == torch.float32
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.0]).dtype == torch.float64
        assert torch.zeros(2).dtype == torch.float64
        assert torch.tensor([1]).dtype == torch.int64
        assert (torch.tensor([1]) * 1.5).dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.zeros(2).dtype == torch.float32


@pytest.mark.parametrize("make,shape,dtype,value", [
    (lambda: torch.zeros(2, 3), (2, 3), "float32", 0.0),
    (lambda: torch.zeros((2, 3)), (2, 3), "float32", 0.0),
    (lambda: torch.zeros([4]), (4,), "float32", 0.0),
    (lambda: torch.zeros(()), (), "float32", 0.0),
    (lambda: torch.zeros(2, dtype=torch.int64), (2,), "int64", 0),
    (lambda: torch.ones(3, 1), (3, 1), "float32", 1.0),
    (lambda: torch.ones(2, dtype=torch.bool), (2,), "bool", True),
    (lambda: torch.full((2, 2), 3.5), (2, 2), "float32", 3.5),
    (lambda: torch.full((2,), 7), (2,), "int64", 7),
    (lambda: torch.full((2,), True), (2,), "bool", True),
    (lambda: torch.full((2,), 7, dtype=torch.float64), (2,), "float64", 7.0),
])
def test_constant_factories(make, shape, dtype, value):
    t = make()
    assert tuple(t.shape) == shape
    assert t.dtype == getattr(torch, dtype)
    assert np.all(t.numpy() == value)
    assert t.requires_grad is False and t.is_leaf


def test_factory_requires_grad():
    t = torch.zeros(2, 2, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    assert torch.ones(3, requires_grad=True).requires_grad
    assert torch.randn(3, requires_grad=True).requires_grad
    assert torch.full((2,), 1.0, requires_grad=True).requires_grad


def test_arange():
    t = torch.arange(5)
    assert t.dtype == torch.int64 and t.tolist() == [0, 1, 2, 3, 4]
    assert torch.arange(2, 8, 2).tolist() == [2, 4, 6]
    f = torch.arange(0, 1, 0.25)
    assert f.dtype == torch.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert torch.arange(5.0).dtype == torch.float32
    assert torch.arange(3, dtype=torch.float64).dtype == torch.float64
    assert torch.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert tuple(torch.arange(0).shape) == (0,)


def test_linspace_eye():
    l = torch.linspace(0, 1, 5)
    assert l.dtype == torch.float32
    np.testing.assert_allclose(l.numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert torch.linspace(-1, 1, 1).tolist() == [-1.0]
    e = torch.eye(3)
    np.testing.assert_array_equal(e.numpy(), np.eye(3))
    assert e.dtype == torch.float32
    np.testing.assert_array_equal(torch.eye(2, 3).numpy(), np.eye(2, 3))
    assert torch.eye(2, dtype=torch.int64).dtype == torch.int64


def test_rand_randn_randint_ranges():
    r = torch.rand(2000)
    assert r.dtype == torch.float32 and tuple(r.shape) == (2000,)
    a = r.numpy()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert 0.45 < a.mean() < 0.55
    n = torch.randn(4000).numpy()
    assert abs(n.mean()) < 0.08 and 0.92 < n.std() < 1.08
    assert torch.randn(2, 3, dtype=torch.float64).dtype == torch.float64
    i = torch.randint(3, 7, (1000,))
    assert i.dtype == torch.int64
    v = i.numpy()
    assert v.min() == 3 and v.max() == 6
    j = torch.randint(5, (2, 3))
    assert tuple(j.shape) == (2, 3) and j.numpy().min() >= 0 and j.numpy().max() < 5
    assert torch.rand(2, 3).shape == (2, 3)
    assert torch.rand((2, 3)).shape == (2, 3)


def test_manual_seed_reproducibility():
    torch.manual_seed(123)
    a = torch.randn(5)
    b = torch.rand(3)
    c = torch.randint(0, 100, (4,))
    torch.manual_seed(123)
    np.testing.assert_array_equal(torch.randn(5).numpy(), a.numpy())
    np.testing.assert_array_equal(torch.rand(3).numpy(), b.numpy())
    np.testing.assert_array_equal(torch.randint(0, 100, (4,)).numpy(), c.numpy())
    torch.manual_seed(124)
    assert not np.array_equal(torch.randn(5).numpy(), a.numpy())
    # the state can be saved and restored
    torch.manual_seed(5)
    state = torch.get_rng_state()
    x = torch.randn(3)
    torch.set_rng_state(state)
    np.testing.assert_array_equal(torch.randn(3).numpy(), x.numpy())
    # a second draw differs from the first
    assert not np.array_equal(torch.randn(3).numpy(), x.numpy())


def test_like_factories():
    base = torch.ones(2, 3, dtype=torch.float64)
    for fn, val in [(torch.zeros_like, 0.0), (torch.ones_like, 1.0)]:
        t = fn(base)
        assert t.dtype == torch.float64 and tuple(t.shape) == (2, 3)
        assert np.all(t.numpy() == val)
        assert t.data_ptr() != base.data_ptr()
    f = torch.full_like(base, 4)
    assert f.dtype == torch.float64 and np.all(f.numpy() == 4)
    r = torch.rand_like(base)
    assert r.dtype == torch.float64 and tuple(r.shape) == (2, 3)
    rn = torch.randn_like(base, dtype=torch.float32)
    assert rn.dtype == torch.float32
    e = torch.empty_like(base)
    assert tuple(e.shape) == (2, 3)
    ints = torch.zeros_like(torch.tensor([1, 2]))
    assert ints.dtype == torch.int64
    g = torch.zeros_like(torch.ones(2, requires_grad=True))
    assert g.requires_grad is False
    assert torch.ones_like(base, requires_grad=True).requires_grad


def test_new_factories():
    base = torch.ones(2, dtype=torch.float64)
    n = base.new_zeros(3, 2)
    assert n.dtype == torch.float64 and tuple(n.shape) == (3, 2)
    assert base.new_ones((2,)).dtype == torch.float64
    assert base.new_full((2,), 3.0).tolist() == [3.0, 3.0]
    assert base.new_tensor([1, 2]).dtype == torch.float64


# ================================================================ interop

def test_numpy_shares_memory():
    t = torch.zeros(3)
    a = t.numpy()
    assert a.dtype == np.float32
    a[1] = 5
    assert t[1].item() == 5.0
    t.add_(1)
    np.testing.assert_array_equal(a, [1, 6, 1])


def test_numpy_of_noncontiguous_view():
    t = torch.arange(6.0).view(2, 3)
    a = t.t().numpy()
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3).T)
    a[0, 1] = 100  # still shares memory
    assert t[1, 0].item() == 100


@pytest.mark.parametrize("np_dtype,gg_dtype", [(np.float32, "float32"), (np.float64, "float64"),
                                               (np.int32, "int32"), (np.int64, "int64"), (np.bool_, "bool")])
def test_from_numpy_shares_memory(np_dtype, gg_dtype):
    a = np.zeros(4, np_dtype)
    t = torch.from_numpy(a)
    assert t.dtype == getattr(torch, gg_dtype)
    a[2] = 1
    assert bool(t[2].item())
    t[0] = 1
    assert bool(a[0])
    assert t.numpy().dtype == np_dtype


def test_from_numpy_strided_and_errors():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = torch.from_numpy(a)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.stride() == (4, 2)
    with pytest.raises(TypeError):
        torch.from_numpy(np.array([None, 1]))
    with pytest.raises(TypeError):
        torch.from_numpy([1, 2])
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(np.arange(3.0)[::-1])


def test_array_protocol():
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    assert a.dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    np.testing.assert_allclose(np.exp(t), np.exp(a))
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(torch.ones(2, requires_grad=True))


def test_dlpack_to_numpy_shares_memory():
    t = torch.arange(6.0).view(2, 3)
    a = np.from_dlpack(t)
    assert a.shape == (2, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3))
    a[0, 0] = 42
    assert t[0, 0].item() == 42.0
    nc = np.from_dlpack(t.t())
    np.testing.assert_array_equal(nc, t.t().numpy())
    assert t.__dlpack_device__()[0] == 1  # kDLCPU


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_])
def test_dlpack_from_numpy_round_trip(np_dtype):
    a = (np.arange(12) % 3).astype(np_dtype).reshape(3, 4)
    t = torch.from_dlpack(a)
    assert tuple(t.shape) == (3, 4)
    np.testing.assert_array_equal(t.numpy(), a)
    a[1, 1] = 1 if np_dtype is np.bool_ else 7
    assert t[1, 1].item() == a[1, 1]
    back = np.from_dlpack(t)
    np.testing.assert_array_equal(back, a)
    strided = a[:, ::2]
    ts = torch.from_dlpack(strided)
    np.testing.assert_array_equal(ts.numpy(), strided)


def test_dlpack_requires_grad_refused():
    with pytest.raises(BufferError, match="require gradient"):  # PyTorch's type and words
        np.from_dlpack(torch.ones(2, requires_grad=True))
    np.from_dlpack(torch.ones(2, requires_grad=True).detach())


def test_item_tolist_conversions():
    assert torch.tensor(2.5).item() == 2.5
    assert isinstance(torch.tensor(3).item(), int)
    assert isinstance(torch.tensor(True).item(), bool)
    assert torch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(torch.tensor([1.5])) == 1.5
    assert int(torch.tensor(7)) == 7
    assert [1, 2, 3][torch.tensor(1)] == 2
    assert len(torch.zeros(4, 2)) == 4
    assert [r.tolist() for r in torch.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]
    assert f"{torch.tensor(0.123456):.2f}" == "0.12"


# ================================================================ repr

REPR_CASES = [
    ("tensor([1., 2., 3.])", lambda lib: lib.tensor([1.0, 2.0, 3.0])),
    ("tensor([1.5000, 2.0000])", lambda lib: lib.tensor([1.5, 2.0])),
    ("tensor([1, 2, 3])", lambda lib: lib.tensor([1, 2, 3])),
    ("tensor([ True, False])", lambda lib: lib.tensor([True, False])),
    ("tensor(3.)", lambda lib: lib.tensor(3.0)),
    ("tensor(7)", lambda lib: lib.tensor(7)),
    ("tensor([1., 2.], dtype=torch.float64)", lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64)),
    ("tensor([1, 2], dtype=torch.int32)", lambda lib: lib.tensor([1, 2], dtype=lib.int32)),
    ("tensor([1., 2.], requires_grad=True)", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True)),
    ("tensor([2., 4.], grad_fn=<MulBackward0>)", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2),
    ("tensor(3., grad_fn=<SumBackward0>)", lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).sum()),
    ("tensor([[1., 2.],\n        [3., 4.]])", lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]])),
    ("tensor([], size=(0, 3))", lambda lib: lib.zeros(0, 3)),
    ("tensor([])", lambda lib: lib.zeros(0)),
    ("tensor([1.0000e-05, 1.0000e+03])", lambda lib: lib.tensor([1e-5, 1e3])),
    ("tensor([-0.5000,  1.2500])", lambda lib: lib.tensor([-0.5, 1.25])),
    ("tensor([inf, nan, 1.])", lambda lib: lib.tensor([float("inf"), float("nan"), 1.0])),
    ("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
     lambda lib: lib.arange(8.0).view(2, 2, 2)),
    ("tensor([1.5000], dtype=torch.float64, requires_grad=True)",
     lambda lib: lib.tensor([1.5], dtype=lib.float64, requires_grad=True)),
]


@pytest.mark.parametrize("expected,make", REPR_CASES, ids=[c[0].split("\n")[0] for c in REPR_CASES])
def test_repr_matches_pytorch_style(expected, make):
    assert repr(make(torch)) == expected


_R = np.random.default_rng(0)
LONG_REPR_CASES = {
    "summarized_1d": _R.standard_normal(2000).astype(np.float32),
    "summarized_2d": _R.standard_normal((30, 40)).astype(np.float32),
    "summarized_int": np.arange(2000, dtype=np.int64),
    "wrapped_ints": np.arange(100, dtype=np.int64),
    "sci_large": (_R.standard_normal(10) * 1e9).astype(np.float32),
    "float64_2d": _R.standard_normal((3, 7)),
    "fractions_3d": np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    "wide_row": _R.standard_normal((2, 30)).astype(np.float32),
}


@pytest.mark.parametrize("name", list(LONG_REPR_CASES))
def test_repr_long_tensors_match_pytorch(name):
    pt = pytest.importorskip("torch")
    a = LONG_REPR_CASES[name]
    assert repr(torch.tensor(a)) == repr(pt.tensor(a))


def test_size_and_dtype_repr():
    assert repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert torch.zeros(2, 3).size() == (2, 3)
    assert torch.zeros(2, 3).size(1) == 3
    assert torch.zeros(2, 3).size(-1) == 3
    assert repr(torch.float32) == "torch.float32"
    assert str(torch.int64) == "torch.int64"
    assert torch.zeros(2, 3).shape.numel() == 6


# ================================================================ reflected operators

def test_sum_over_list_of_tensors():
    ts = [torch.tensor([1.0, 2.0], requires_grad=True) for _ in range(3)]
    s = sum(ts)
    np.testing.assert_array_equal(s.detach().numpy(), [3.0, 6.0])
    assert s.grad_fn.name() == "AddBackward0"
    s.sum().backward()
    for t in ts:
        np.testing.assert_array_equal(t.grad.numpy(), [1.0, 1.0])


@pytest.mark.parametrize("expr,name,values,grads", [
    (lambda t: 1 - t, "RsubBackward1", lambda a: 1 - a, lambda a: -np.ones_like(a)),
    (lambda t: 2 / t, "MulBackward0", lambda a: 2 / a, lambda a: -2 / a ** 2),
    (lambda t: 2 ** t, "PowBackward2", lambda a: 2.0 ** a, lambda a: np.log(2) * 2.0 ** a),
    (lambda t: 3 + t, "AddBackward0", lambda a: 3 + a, lambda a: np.ones_like(a)),
    (lambda t: 3 * t, "MulBackward0", lambda a: 3 * a, lambda a: 3 * np.ones_like(a)),
    (lambda t: t - 1, "SubBackward0", lambda a: a - 1, lambda a: np.ones_like(a)),
    (lambda t: t / 2, "DivBackward0", lambda a: a / 2, lambda a: np.full_like(a, 0.5)),
    (lambda t: t ** 2, "PowBackward0", lambda a: a ** 2, lambda a: 2 * a),
    (lambda t: t ** t, "PowBackward1", lambda a: a ** a, lambda a: a ** a * (np.log(a) + 1)),
    (lambda t: -t, "NegBackward0", lambda a: -a, lambda a: -np.ones_like(a)),
], ids=["1-t", "2/t", "2**t", "3+t", "3*t", "t-1", "t/2", "t**2", "t**t", "-t"])
def test_reflected_and_scalar_operators(expr, name, values, grads):
    a = np.array([0.5, 1.0, 2.0])
    t = torch.tensor(a, requires_grad=True)
    out = expr(t)
    assert out.grad_fn.name() == name
    np.testing.assert_allclose(out.detach().numpy(), values(a), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), grads(a), rtol=1e-5)


def test_matmul_with_list_raises_type_error():
    t = torch.ones(2, 2)
    with pytest.raises(TypeError):
        [[1, 2], [3, 4]] @ t
    with pytest.raises(TypeError):
        t @ [[1, 2], [3, 4]]


# ================================================================ threads

def test_set_get_num_threads():
    orig = torch.get_num_threads()
    assert isinstance(orig, int) and orig >= 1
    try:
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        a = torch.tensor(np.arange(200_000, dtype=np.float32))
        s1 = (a * 2).sum().item()
        torch.set_num_threads(2)
        assert torch.get_num_threads() == 2
        s2 = (a * 2).sum().item()
        assert s1 == s2  # reductions are deterministic regardless of thread count
        m = torch.randn(64, 64)
        torch.set_num_threads(1)
        p1 = (m @ m).numpy()
        torch.set_num_threads(2)
        np.testing.assert_allclose((m @ m).numpy(), p1, rtol=1e-5, atol=1e-5)
    finally:
        torch.set_num_threads(orig)
    assert torch.get_num_threads() == orig
    with pytest.raises((RuntimeError, ValueError)):
        torch.set_num_threads(0)


# ================================================================ devices

def test_cpu_device_attributes():
    t = torch.ones(2)
    assert t.device == torch.device("cpu")
    assert t.device.type == "cpu"
    assert t.is_cpu and not t.is_cuda
    assert t.to("cpu") is t
    assert t.cpu() is t
    assert torch.zeros(2, device="cpu").device.type == "cpu"


@pytest.mark.beyond_torch  # DESIGN §4: a clear RuntimeError (a CPU-only PyTorch raises AssertionError)
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA path")
@pytest.mark.parametrize("fn", [
    lambda: torch.zeros(2, device="cuda"),
    lambda: torch.ones(2).to("cuda"),
    lambda: torch.ones(2).cuda(),
    lambda: torch.randn(2, device=torch.device("cuda")),
], ids=["factory", "to", "cuda", "randn_device"])
def test_cuda_request_without_cuda_raises_runtime_error(fn):
    assert torch.cuda.is_available() is False
    assert torch.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA"):
        fn()


@pytest.mark.cuda
def test_cuda_round_trip_and_gradient():
    x = torch.tensor([1.0, -2.0, 3.0], device="cuda", requires_grad=True)
    assert x.is_cuda and x.device.type == "cuda"
    y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(x.detach().cpu().numpy(), [1.0, -2.0, 3.0])
    with pytest.raises(RuntimeError):
        x.detach() + torch.ones(3)  # devices must agree
