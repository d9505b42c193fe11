"""The op table run on PyTorch: the table (tests/op_db.py + tests/op_rows/) is loaded a second time
with `torch` standing in for gradgate, so each row's fn calls PyTorch's own op. For every row both
libraries run it on the same NumPy inputs and must agree on output dtype, shape and values
(float32 and float64), on the input gradients of (out * w).sum() for fixed random weights w and on
the output's grad_fn name; then again with a zero-size first dim (same result, or the same
exception type); and PyTorch must raise each row's error inputs with the type the table says.
Rows that cannot be compared carry their reason in NOT_COMPARABLE; known differences are strict
xfails with their reasons."""
import importlib
import sys
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradgate as gg  # noqa: E402
from tests.op_db import OPS  # noqa: E402
from tests.test_ops import ERROR_CASES, _error_arrays, _sample_arrays  # noqa: E402

if gg is torch:  # --oracle-torch: PyTorch against itself
    pytest.skip("compares gradgate with PyTorch", allow_module_level=True)


def _load_table_on_torch():
    """{row name: Op} with every fn bound to PyTorch: op_db and op_rows imported afresh while
    sys.modules maps gradgate's modules to torch's (as conftest's --oracle-torch does); sys.modules
    and the `tests` package's attributes are restored afterwards."""
    import torch.autograd
    import torch.linalg
    import torch.nn
    import torch.nn.functional
    import tests
    stand_ins = {"gradgate": torch, "gradgate.nn": torch.nn, "gradgate.nn.functional": torch.nn.functional,
                 "gradgate.autograd": torch.autograd, "gradgate.linalg": torch.linalg}
    ours = [k for k in sys.modules if k in stand_ins or k == "tests.op_db" or k.startswith("tests.op_rows")]
    saved = {k: sys.modules[k] for k in ours}
    saved_attrs = {a: getattr(tests, a) for a in ("op_db", "op_rows") if hasattr(tests, a)}
    try:
        for k in ours:
            del sys.modules[k]
        sys.modules.update(stand_ins)
        table = importlib.import_module("tests.op_db").OPS
    finally:
        for k in [k for k in sys.modules if k in stand_ins or k == "tests.op_db" or k.startswith("tests.op_rows")]:
            del sys.modules[k]
        sys.modules.update(saved)
        for a, v in saved_attrs.items():
            setattr(tests, a, v)
    return {op.name: op for op in table}


PT_OPS = _load_table_on_torch()

# Rows whose results cannot be compared with PyTorch's, with the reason (keep this tiny).
NOT_COMPARABLE = {
}

# Real differences from PyTorch, each an xfail(strict=True) until fixed: row name -> reason.
_MATMUL_2D_3D = ("grad_fn: PyTorch computes (3, 4) @ (2, 4, 2) through transposes and a copy (CloneBackward0; "
                 "TransposeBackward0 when empty); gradgate's batched path ends in UnsafeViewBackward0")
_EINSUM_DIAG = ("grad_fn: PyTorch's einsum takes a diagonal as a strided view, then permutes (PermuteBackward0); "
                "gradgate's _einsum.py ends in a sum (SumBackward1)")
_DIV_NONE = ("grad_fn: torch.div(a, b, rounding_mode=None) records DivBackward2 (the rounding-mode overload); "
             "gradgate sends rounding_mode=None to true division (DivBackward0)")
_PAD = ("grad_fn: PyTorch has reflection / replication pad kernels (and CopySlices for circular); gradgate composes "
        "these modes from cat (CatBackward0)")
KNOWN_MISMATCHES = {
    "matmul_2d_3d": _MATMUL_2D_3D,
    "div_none": _DIV_NONE,
    "einsum_diag": _EINSUM_DIAG,
    "pad_reflect": _PAD, "pad_replicate": _PAD, "pad_circular": _PAD,
    "cross_entropy_probs": "grad_fn: PyTorch's C++ composite divides by a Scalar (DivBackward1); gradgate's Python "
                           "composite divides by a wrapped number (DivBackward0)",
}

# The same for zero-size inputs.
_EMPTY_BATCH = "grad_fn: for an empty batch PyTorch returns a different composite ({}); gradgate keeps {}"
KNOWN_ZERO_SIZE_MISMATCHES = {
    "matmul_2d_3d": _MATMUL_2D_3D,
    "div_none": _DIV_NONE,
    "einsum_diag": _EINSUM_DIAG,
    "pad_circular": _PAD,
    "sdpa": _EMPTY_BATCH.format("AddBackward0", "UnsafeViewBackward0"),
    "sdpa_causal": _EMPTY_BATCH.format("AddBackward0", "UnsafeViewBackward0"),
    "cross_entropy_probs": _EMPTY_BATCH.format("NegBackward0", "MulBackward0"),
    **{n: _EMPTY_BATCH.format("AddBackward0", "NativeBatchNormBackward0")
       for n in ("batch_norm_train", "batch_norm_train_2d", "batch_norm_eval")},
    "linalg_norm_matrix_inf": "PyTorch answers 0 for the inf-norm of a (0, 4) matrix; gradgate raises amax's "
                              "empty-dim IndexError (PyTorch itself raises so for ord=-1)",
}


def _rows(ops, known=KNOWN_MISMATCHES):
    out = []
    for op in ops:
        if op.name in NOT_COMPARABLE:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=known[op.name])] if op.name in known else []
        out.append(pytest.param(op, marks=marks, id=op.name))
    return out


def _weights(name, shape, dtype):
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 77)
    return rng.uniform(0.5, 1.5, shape).astype(dtype)


def _tols(op, dtype):
    """(forward rtol/atol, gradient rtol/atol): two float32 libraries round differently."""
    if dtype == "float64":
        return 1e-9, 1e-9
    return max(op.tol32, 1e-5), max(10 * op.tol32, 1e-4)


def _run(lib, op, arrays, grad):
    idx = range(len(arrays)) if op.grad_inputs is None else op.grad_inputs
    ts = [lib.tensor(a, requires_grad=grad and i in idx) for i, a in enumerate(arrays)]
    return ts, op.fn(*ts)


def _compare(what, g, p, tol):
    assert str(g.dtype).replace("gradgate.", "torch.") == str(p.dtype), f"{what}: dtype {g.dtype} vs {p.dtype}"
    assert tuple(g.shape) == tuple(p.shape), f"{what}: shape {tuple(g.shape)} vs {tuple(p.shape)}"
    gv, pv = g.detach().numpy(), p.detach().numpy()
    if pv.dtype.kind in "biu":
        np.testing.assert_array_equal(gv, pv, err_msg=what)
    else:
        np.testing.assert_allclose(gv, pv, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def compare_row(op, arrays, dtype):
    """Forward values; for grad rows also grad_fn name and input gradients of (out * w).sum()."""
    pt_op = PT_OPS[op.name]
    (gts, gout), (pts, pout) = _run(gg, op, arrays, op.grad), _run(torch, pt_op, arrays, op.grad)
    ftol, gtol = _tols(op, dtype)
    _compare(f"{op.name} output", gout, pout, ftol)
    if not op.grad:
        return
    gname, pname = type(gout.grad_fn).__name__, type(pout.grad_fn).__name__
    assert gname == pname, f"grad_fn {gname} vs {pname}"
    w = _weights(op.name, tuple(pout.shape), pout.detach().numpy().dtype)
    gin = [t for t in gts if t.requires_grad]
    pin = [t for t in pts if t.requires_grad]
    gg_grads = gg.autograd.grad((gout * gg.tensor(w)).sum(), gin, allow_unused=True)
    pt_grads = torch.autograd.grad((pout * torch.tensor(w)).sum(), pin, allow_unused=True)
    for i, (a, b) in enumerate(zip(gg_grads, pt_grads)):
        assert (a is None) == (b is None), f"grad {i}: {a} vs {b}"
        if a is not None:
            _compare(f"{op.name} grad of input {i}", a, b, gtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", _rows(OPS))
def test_row_matches_pytorch(op, dtype):
    compare_row(op, _sample_arrays(op, np.dtype(dtype)), dtype)


def _zero_shapes(op):
    if op.zero_shapes is not None:
        return [tuple(s) for s in op.zero_shapes]
    return [(0,) + tuple(s[1:]) if len(s) else tuple(s) for s in op.shapes]


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return e
    return None


def _builtin(exc_type):
    """PyTorch's exception classes (torch.AcceleratorError etc.) are matched by their builtin base."""
    return next(c for c in exc_type.__mro__ if c.__module__ == "builtins")


# Rows with zero-size inputs: every row whose sample inputs have a dim, unless it says why not.
ZERO_ROWS = [op for op in OPS if not op.zero_skip and any(len(s) for s in _zero_shapes(op))]


@pytest.mark.parametrize("op", _rows(ZERO_ROWS, KNOWN_ZERO_SIZE_MISMATCHES))
def test_zero_size_matches_pytorch(op):
    """The first dim of each input is 0: same result (dtype, shape, values, gradients) as PyTorch,
    or, where PyTorch refuses, the same exception type."""
    rng = np.random.default_rng(0)
    arrays = [np.asarray(op.domain(i)(rng, s), dtype=np.float64) for i, s in enumerate(_zero_shapes(op))]
    pt_err = _raised(lambda: _run(torch, PT_OPS[op.name], arrays, False))
    if pt_err is None:
        compare_row(op, arrays, "float64")
    else:
        gg_err = _raised(lambda: _run(gg, op, arrays, False))
        assert gg_err is not None, f"gradgate does not raise; PyTorch raises {type(pt_err).__name__}: {pt_err}"
        assert _builtin(type(gg_err)) is _builtin(type(pt_err)), \
            f"gradgate raises {type(gg_err).__name__} ({gg_err}); PyTorch {type(pt_err).__name__} ({pt_err})"


@pytest.mark.parametrize("op,i", [pytest.param(*p.values, id=p.id) for p in ERROR_CASES])  # (gradgate's xfails dropped)
def test_error_inputs_raise_in_pytorch(op, i):
    """The table's error inputs and their exception types are PyTorch's (gradgate's side, with the
    message checks: test_ops.test_error_inputs)."""
    err = PT_OPS[op.name].errors[i]
    e = _raised(lambda: (err.fn or PT_OPS[op.name].fn)(*[torch.tensor(a) for a in _error_arrays(op, err)]))
    assert e is not None, f"PyTorch does not raise for {op.name}/{err.why}: fix the table"
    assert _builtin(type(e)) is err.exc, f"PyTorch raises {type(e).__name__}: {e}"


def test_table_loaded_on_torch():
    assert set(PT_OPS) == {op.name for op in OPS}
    assert all(PT_OPS[op.name].fn is not op.fn for op in OPS)
    assert sys.modules["gradgate"] is gg and sys.modules["tests.op_db"].OPS is OPS
    assert set(NOT_COMPARABLE) | set(KNOWN_MISMATCHES) | set(KNOWN_ZERO_SIZE_MISMATCHES) <= set(PT_OPS)
