"""Shape and indexing ops beyond the table rows (tests/op_rows/index.py): differential runs
against PyTorch (values, gradients, grad_fn graphs), error inputs (exception type, PyTorch's
key words, the op and the shapes), zero-size dims, bounds checks, and in-place writes through
advanced indices into tensors that are part of a graph."""
import numpy as np
import pytest

import gradgate as gg

torch = pytest.importorskip("torch")


def _sig(fn, depth=0):
    """Node names and edge structure of the graph under fn."""
    if fn is None:
        return None
    name = type(fn).__name__ if not hasattr(fn, "name") else fn.name()
    if name.endswith("AccumulateGrad"):
        return "AccumulateGrad"
    name = name.replace("torch::autograd::", "")
    if depth > 30:
        return name
    return (name, tuple(_sig(f, depth + 1) for f, _ in fn.next_functions))


def _run(lib, fn, arrays, grad_out_seed=0):
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    sig = _sig(out.grad_fn)
    rng = np.random.default_rng(grad_out_seed)
    g = lib.tensor(rng.standard_normal(tuple(out.shape)))
    out.backward(g)
    grads = [None if x.grad is None else x.grad.detach().numpy() for x in xs]
    return out.detach().numpy(), out.dtype, sig, grads


def L(T, v):
    return T.tensor(v)


def _setitem(x, idx, v):
    y = x * 1
    y[idx] = v
    return y


def _setitem_view(T, x, v):
    z = x * 2
    w = z[1:]             # a view of a tensor in the graph
    w[L(T, [0, 1])] = v   # advanced-index write into the view: CopySlices on z
    return z * z


# name -> (program(T, *leaves), input shapes)
CASES = {
    "cat": (lambda T, a, b: T.cat([a, b], 1), [(3, 2), (3, 4)]),
    "cat_3": (lambda T, a, b, c: T.cat((a, b, c)), [(1, 4), (2, 4), (3, 4)]),
    "cat_promotes": (lambda T, a, b: T.cat([a.float(), b]), [(2, 3), (1, 3)]),
    "stack": (lambda T, a, b: T.stack([a, b], 1), [(3, 4), (3, 4)]),
    "stack_promotes": (lambda T, a, b: T.stack([a, b.float()]), [(3,), (3,)]),
    "split": (lambda T, x: x.split(2)[1] * 3, [(5, 2)]),
    "split_sizes": (lambda T, x: T.split(x, [1, 2], dim=1)[0] + 1, [(3, 3)]),
    "split_two_used": (lambda T, x: (lambda p: p[0] * p[2])(x.split(1)), [(3, 4)]),
    "chunk": (lambda T, x: x.chunk(3, 1)[1].exp(), [(2, 7)]),
    "unbind": (lambda T, x: (lambda p: p[0] - p[2])(x.unbind(1)), [(2, 3)]),
    "index_select": (lambda T, x: x.index_select(1, L(T, [2, 0, 2])), [(3, 4)]),
    "gather": (lambda T, x: x.gather(1, L(T, [[0, 0], [3, 1], [2, 2]])), [(3, 4)]),
    "scatter": (lambda T, x, s: x.scatter(0, L(T, [[1, 0, 2]]), s), [(3, 3), (1, 3)]),
    "scatter_value": (lambda T, x: x.scatter(1, L(T, [[1], [0]]), 2.0), [(2, 3)]),
    "scatter_add": (lambda T, x, s: x.scatter_add(0, L(T, [[1, 1, 0], [1, 0, 0]]), s), [(2, 3), (2, 3)]),
    "index_add": (lambda T, x, s: x.index_add(0, L(T, [1, 1]), s, alpha=3), [(2, 3), (2, 3)]),
    "take_along_dim": (lambda T, x: T.take_along_dim(x, L(T, [[1], [0]]), 1), [(2, 3)]),
    "take_along_dim_negative": (lambda T, x: T.take_along_dim(x, L(T, [[-1], [0]]), 1), [(2, 3)]),
    "take_along_dim_flat": (lambda T, x: T.take_along_dim(x, L(T, [5, 0])), [(2, 3)]),
    "index_tensor": (lambda T, x: x[L(T, [2, 0, 2])], [(3, 4)]),
    "index_list": (lambda T, x: x[[1, 0]], [(3, 4)]),
    "index_slice_tensor": (lambda T, x: x[1:, L(T, [3, 0])], [(3, 4)]),
    "index_tensor_slice": (lambda T, x: x[L(T, [0, 2]), ::2], [(3, 4)]),
    "index_two": (lambda T, x: x[L(T, [0, 2]), L(T, [1, 3])], [(3, 4)]),
    "index_bcast": (lambda T, x: x[L(T, [[0], [1]]), L(T, [0, 2, 3])], [(3, 4)]),
    "index_separated": (lambda T, x: x[[0, 1], :, [2, 3]], [(2, 3, 4)]),
    "index_int_and_list": (lambda T, x: x[0, :, [1, 2]], [(2, 3, 4)]),
    "index_mask": (lambda T, x: x[x > 0], [(3, 4)]),
    "index_mask_rows": (lambda T, x: x[L(T, [True, False, True])], [(3, 4)]),
    "masked_select": (lambda T, x: x.masked_select(L(T, [True, False, True, True])), [(3, 4)]),
    "setitem_index": (lambda T, x, v: _setitem(x, L(T, [2, 0]), v), [(3, 4), (2, 4)]),
    "setitem_scalar": (lambda T, x: _setitem(x, L(T, [1]), 5.0), [(3, 4)]),
    "setitem_mask": (lambda T, x: _setitem(x, x > 0, 0.0), [(3, 4)]),
    "setitem_slice_index": (lambda T, x, v: _setitem(x, (slice(1, None), L(T, [0, 3])), v), [(3, 4), (2, 2)]),
    "setitem_into_view": (_setitem_view, [(3, 4), (2, 4)]),
    "setitem_value_leading_ones": (lambda T, x, v: _setitem(x, [0, 2], v), [(3, 4), (1, 1, 4)]),
    "index_put_accumulate": (lambda T, x, v: x.index_put((L(T, [1, 1]),), v, accumulate=True), [(3, 2), (2, 2)]),
    "scatter_inplace": (lambda T, x, s: (x * 1).scatter_(0, L(T, [[1, 0, 2]]), s), [(3, 3), (1, 3)]),
    "scatter_value_inplace": (lambda T, x: (x + 1).scatter_(1, L(T, [[1], [0]]), 2.0), [(2, 3)]),
    "scatter_add_inplace": (lambda T, x, s: (x * 1).scatter_add_(0, L(T, [[1, 1, 0]]), s), [(2, 3), (1, 3)]),
    "index_add_inplace": (lambda T, x, s: (x * 1).index_add_(0, L(T, [1, 1]), s, alpha=3), [(2, 3), (2, 3)]),
    "index_add_into_view": (lambda T, x, s: (lambda z: (z[1:].index_add_(1, L(T, [0]), s), z * z)[1])(x * 2),
                            [(3, 2), (2, 1)]),
    "repeat": (lambda T, x: x.repeat(2, 1, 3), [(2, 3)]),
    "tile": (lambda T, x: x.tile(2), [(2, 3)]),
    "roll": (lambda T, x: x.roll(1, 1), [(2, 3)]),
    "roll_flat": (lambda T, x: x.roll(-2), [(2, 3)]),
    "flip": (lambda T, x: x.flip(0, 1), [(2, 3)]),
    "tril": (lambda T, x: x.tril(-1), [(3, 3)]),
    "triu": (lambda T, x: T.triu(x, 1), [(2, 3, 3)]),
    "diag_2d": (lambda T, x: x.diag(1), [(3, 4)]),
    "diag_1d": (lambda T, x: T.diag(x, -1), [(3,)]),
    "index_numpy": (lambda T, x: x[np.array([2, 0]), 1:], [(3, 4)]),
    "index_numpy_mask": (lambda T, x: x[:, np.array([True, False, False, True])], [(3, 4)]),
    "index_mask_trailing_2d": (lambda T, x: x[:, x[0] > 0], [(2, 3, 4)]),
    "index_mask_and_list": (lambda T, x: x[L(T, [True, False, True]), [3, 1]], [(3, 4)]),
    "setitem_mask_middle": (lambda T, x, v: _setitem(x, (slice(None), L(T, [True, False, True])), v),
                            [(2, 3, 4), (4,)]),
    "index_of_index": (lambda T, x: x[L(T, [1, 0])][:, L(T, [2])], [(3, 4)]),
}


_GRAPH_DIFFERS = set()  # (cases whose values and gradients agree but whose graphs do not)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    arrays = [rng.standard_normal(s) for s in shapes]
    vg, dg, sg, gg_grads = _run(gg, fn, arrays)
    vp, dp, sp, pt_grads = _run(torch, fn, arrays)
    assert str(dg) == str(dp)
    np.testing.assert_allclose(vg, vp, rtol=1e-12, atol=1e-12)
    if name not in _GRAPH_DIFFERS:
        assert sg == sp
    for a, b in zip(gg_grads, pt_grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_split_and_unbind_return_tuples_of_views():
    x = gg.arange(12.0).reshape(3, 4)
    for parts in (x.split(2), x.split([1, 2]), x.chunk(2), x.unbind(), gg.split(x, 1, 1)):
        assert isinstance(parts, tuple)
        assert all(p._is_view() for p in parts)
    p = x.unbind(1)
    assert len(p) == 4 and p[1].tolist() == [1.0, 5.0, 9.0]
    assert len(x.chunk(3, 1)) == 2  # PyTorch: chunks of ceil(4 / 3) = 2
    y = x.clone().requires_grad_()
    parts = y.split(1)
    assert {type(q.grad_fn).__name__ for q in parts} == {"SplitBackward0"}
    assert [q.output_nr for q in parts] == [0, 1, 2]
    parts[1].sum().backward()
    assert y.grad.tolist() == [[0.0] * 4, [1.0] * 4, [0.0] * 4]


def test_module_functions_take_pytorch_keywords():
    x = gg.arange(12.0).reshape(3, 4)
    assert [tuple(p.shape) for p in gg.split(x, split_size_or_sections=[1, 3], dim=1)] == [(3, 1), (3, 3)]
    assert tuple(gg.tile(x, dims=(2,)).shape) == (3, 8)
    assert gg.roll(x, shifts=1, dims=0)[0].tolist() == x[2].tolist()
    assert gg.flip(x, dims=(1,))[0].tolist() == [3.0, 2.0, 1.0, 0.0]
    assert gg.cat(tensors=[x, x], dim=1).shape == gg.stack(tensors=[x, x], dim=2).shape[:1] + (8,)
    assert gg.diag(x, diagonal=1).tolist() == [1.0, 6.0, 11.0]
    assert gg.tril(x, diagonal=-1)[0].tolist() == [0.0] * 4
    assert gg.take_along_dim(x, gg.tensor([[0], [1], [2]]), dim=1).tolist() == [[0.0], [5.0], [10.0]]
    assert gg.index_select(x, dim=1, index=gg.tensor([3])).tolist() == [[3.0], [7.0], [11.0]]
    assert gg.gather(x, 1, index=gg.tensor([[1], [0], [0]])).tolist() == [[1.0], [4.0], [8.0]]
    assert gg.scatter(gg.zeros(2, 2), 1, gg.tensor([[1], [0]]), value=3.0).tolist() == [[0.0, 3.0], [3.0, 0.0]]
    assert gg.concat([x, x]).shape[0] == gg.concatenate([x, x]).shape[0] == 6


def test_nonzero():
    x = gg.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    nz = x.nonzero()
    assert nz.dtype == gg.int64 and nz.tolist() == [[0, 1], [1, 0], [1, 2]]
    rows, cols = gg.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    assert tuple(gg.zeros(2, 3).nonzero().shape) == (0, 2)
    assert tuple(gg.tensor(1.0).nonzero().shape) == (1, 0)
    assert not x.requires_grad_().nonzero().requires_grad


def test_python_bool_index():
    x = gg.tensor(X, requires_grad=True)
    assert tuple(x[True].shape) == (1, 6, 4) and tuple(x[False].shape) == (0, 6, 4)
    assert tuple(x[1, True].shape) == (1, 4) and type(x[True].grad_fn).__name__ == "IndexBackward0"
    y = gg.tensor(X)
    y[False] = 5.0
    assert y.tolist() == X.tolist()
    y[True] = 5.0
    assert (y == 5.0).all().item() if hasattr(y, "all") else y.sum().item() == 5.0 * 24


def test_index_overhead_path_keeps_basic_views():
    x = gg.arange(24.0).reshape(2, 3, 4)
    assert x[1]._is_view() and x[:, 1:]._is_view() and x[..., None]._is_view()
    assert not x[[1]]._is_view()  # advanced indexing copies, as in PyTorch
    assert x[1, [0, 2], 1:3].tolist() == [[13.0, 14.0], [21.0, 22.0]]
    assert x[gg.tensor(1)].tolist() == x[1].tolist()  # a 0-dim integer tensor is an int


# ---------------------------------------------------------------- errors

X = np.arange(24.0).reshape(6, 4)

ERRORS = [
    ("cat_sizes", lambda T, x: T.cat([x, T.ones(5, 3)]), RuntimeError, ["Sizes of tensors must match", "[6, 4]"]),
    ("cat_dims", lambda T, x: T.cat([x, T.ones(6)]), RuntimeError, ["same number of dimensions", "2 and 1"]),
    ("cat_empty_list", lambda T, x: T.cat([]), ValueError, ["cat", "non-empty"]),
    ("cat_zero_dim", lambda T, x: T.cat([T.tensor(1.0)]), RuntimeError, ["zero-dimensional", "concatenated"]),
    ("cat_not_tensors", lambda T, x: T.cat([x, 1]), TypeError, ["cat"]),
    ("stack_sizes", lambda T, x: T.stack([x, T.ones(5, 3)]), RuntimeError, ["stack", "[6, 4]", "[5, 3]"]),
    ("stack_empty", lambda T, x: T.stack([]), RuntimeError, ["stack", "non-empty"]),
    ("split_sizes", lambda T, x: x.split([2, 3]), RuntimeError, ["split_with_sizes", "6", "[2, 3]"]),
    ("split_zero", lambda T, x: x.split(0), RuntimeError, ["split_size", "6"]),
    ("chunk_zero", lambda T, x: x.chunk(0), RuntimeError, ["chunk", "greater than 0"]),
    ("index_oob", lambda T, x: x[T.tensor([7])], IndexError,
     ["index 7 is out of bounds for dimension 0 with size 6"]),
    ("index_oob_neg", lambda T, x: x[:, [-5]], IndexError, ["index -5 is out of bounds for dimension 1 with size 4"]),
    ("index_oob_second", lambda T, x: x[[0], [9]], IndexError, ["index 9", "dimension 1 with size 4"]),
    ("index_bcast", lambda T, x: x[[0, 1], [0, 1, 2]], IndexError, ["shape mismatch", "[2], [3]"]),
    ("index_float", lambda T, x: x[T.tensor([1.0])], IndexError, ["long, int, byte or bool"]),
    ("index_mask_shape", lambda T, x: x[T.ones(5, dtype=T.bool)], IndexError,
     ["shape of the mask [5]", "[6, 4]"]),
    ("index_too_many", lambda T, x: x[[0], 0, [1]], IndexError, ["too many indices", "dimension 2"]),
    ("setitem_value_shape", lambda T, x: x.__setitem__(T.tensor([0, 1]), T.ones(3)), RuntimeError,
     ["shape mismatch", "[3]", "[2, 4]"]),
    ("setitem_oob", lambda T, x: x.__setitem__([6], 0.0), IndexError, ["index 6", "size 6"]),
    ("index_put_dtype", lambda T, x: x.index_put_((T.tensor([0]),), T.ones(4, dtype=T.float32)), RuntimeError,
     ["Index put requires the source and destination dtypes match", "Double", "Float"]),
    ("index_select_oob", lambda T, x: x.index_select(0, T.tensor([7])), IndexError, ["index out of range in self"]),
    ("index_select_neg", lambda T, x: x.index_select(0, T.tensor([-1])), IndexError, ["index -1", "out of range"]),
    ("index_add_neg", lambda T, x: x.index_add(0, T.tensor([-1]), T.ones(1, 4, dtype=T.float64)), RuntimeError,
     ["index -1 is out of bounds"]),
    ("index_select_2d", lambda T, x: x.index_select(0, T.tensor([[1]])), IndexError, ["index_select", "vector"]),
    ("index_select_dtype", lambda T, x: x.index_select(0, T.tensor([1.0])), RuntimeError,
     ["index_select", "int32 or int64"]),
    ("gather_oob", lambda T, x: x.gather(0, T.tensor([[7]])), RuntimeError,
     ["index 7 is out of bounds for dimension 0 with size 6"]),
    ("gather_oob_neg", lambda T, x: x.gather(1, T.tensor([[-1]])), RuntimeError, ["index -1 is out of bounds"]),
    ("gather_ndim", lambda T, x: x.gather(0, T.tensor([7])), RuntimeError, ["same number of dimensions"]),
    ("gather_size", lambda T, x: x.gather(0, T.zeros(2, 5, dtype=T.int64)), RuntimeError,
     ["Size does not match at dimension 1", "[2, 5]", "[6, 4]"]),
    ("scatter_oob", lambda T, x: x.scatter(0, T.tensor([[6]]), 1.0), RuntimeError, ["index 6 is out of bounds"]),
    ("scatter_dtype", lambda T, x: x.scatter(0, T.tensor([[1]]), x.float()), RuntimeError,
     ["scatter", "self.dtype", "src.dtype"]),
    ("scatter_add_oob", lambda T, x: x.scatter_add(1, T.tensor([[4]]), x), RuntimeError, ["index 4", "size 4"]),
    ("index_add_shape", lambda T, x: x.index_add(0, T.tensor([1]), T.ones(1, 3, dtype=T.float64)), RuntimeError,
     ["source tensor shape must match self tensor shape", "[6, 4]", "[1, 3]"]),
    ("index_add_oob", lambda T, x: x.index_add(0, T.tensor([6]), T.ones(1, 4, dtype=T.float64)), RuntimeError,
     ["index 6 is out of bounds for dimension 0 with size 6"]),
    ("take_along_dim_ndim", lambda T, x: T.take_along_dim(x, T.tensor([1]), 0), RuntimeError,
     ["take_along_dim", "same number of dimensions"]),
    ("masked_select_dtype", lambda T, x: x.masked_select(T.ones(6, 4)), RuntimeError,
     ["masked_select", "BoolTensor"]),
    ("repeat_dims", lambda T, x: x.repeat(2), RuntimeError, ["repeat dims can not be smaller"]),
    ("roll_align", lambda T, x: x.roll((1, 2), (0,)), RuntimeError, ["shifts and dimensions must align"]),
    ("flip_dup", lambda T, x: x.flip(0, 0), RuntimeError, ["dim 0 appears multiple times"]),
    ("tril_1d", lambda T, x: x[0].tril(), RuntimeError, ["tril", "at least 2 dimensions"]),
    ("diag_3d", lambda T, x: T.ones(2, 2, 2).diag(), RuntimeError, ["diag", "1D or 2D", "3D"]),
]


# Where gradgate's message says more than PyTorch's (the shapes, the op, the true dim).
_MORE_THAN_TORCH = {"cat_sizes", "cat_not_tensors", "index_oob_neg", "index_select_neg"}


@pytest.mark.parametrize("name,fn,exc,words", [
    pytest.param(*e, marks=[pytest.mark.beyond_torch] if e[0] in _MORE_THAN_TORCH else []) for e in ERRORS],
    ids=[e[0] for e in ERRORS])
def test_errors(name, fn, exc, words):
    with pytest.raises(exc) as info:
        fn(gg, gg.tensor(X))
    for w in words:
        assert w in str(info.value), f"{w!r} not in {str(info.value)!r}"
    with pytest.raises(Exception) as pt_info:  # PyTorch raises the same type
        fn(torch, torch.tensor(X))
    assert isinstance(pt_info.value, exc)


@pytest.mark.beyond_torch  # PyTorch writes the in-bounds indices before raising for x[[0, 6]] = 1
def test_out_of_bounds_never_reads_or_writes():
    x = gg.tensor(X)
    before = x.numpy().copy()
    for bad in ([0, 6], [-7], [2**40]):
        with pytest.raises(IndexError):
            x[bad] = 1.0
        with pytest.raises(IndexError):
            x[bad]
    np.testing.assert_array_equal(x.numpy(), before)  # a failed write leaves x untouched
    with pytest.raises(RuntimeError):
        x.scatter_(0, gg.tensor([[6]]), 1.0) if hasattr(x, "scatter_") else x.scatter(0, gg.tensor([[6]]), 1.0)
    np.testing.assert_array_equal(x.numpy(), before)


# ---------------------------------------------------------------- zero-size dims

def test_zero_size_dims():
    e = gg.ones(0, 4)
    x = gg.tensor(X)
    assert tuple(gg.cat([e, x]).shape) == (6, 4)
    assert tuple(gg.cat([x, gg.ones(0)]).shape) == (6, 4)  # legacy: 1-D empty tensors are skipped
    assert tuple(gg.stack([e, e]).shape) == (2, 0, 4)
    assert [tuple(p.shape) for p in e.split(2)] == [(0, 4)]
    assert tuple(x[gg.tensor([], dtype=gg.int64)].shape) == (0, 4)
    assert tuple(x[x > 100].shape) == (0,)
    assert tuple(x.index_select(1, gg.tensor([], dtype=gg.int64)).shape) == (6, 0)
    assert tuple(x.gather(0, gg.zeros(0, 4, dtype=gg.int64)).shape) == (0, 4)
    assert tuple(x.repeat(0, 2).shape) == (0, 8)
    assert tuple(e.roll(1, 0).shape) == (0, 4) and tuple(e.flip(0).shape) == (0, 4)
    assert tuple(e.tril().shape) == (0, 4) and tuple(e.diag().shape) == (0,)
    y = gg.tensor(X, requires_grad=True)
    y[gg.tensor([], dtype=gg.int64)].sum().backward()
    assert y.grad.abs().sum().item() == 0.0
    z = x.clone()
    z[x > 100] = 5.0
    assert z.tolist() == x.tolist()


# ---------------------------------------------------------------- in-place and version counters

def test_setitem_bumps_version_and_refuses_leaves():
    x = gg.tensor(X)
    v = x._version
    x[[0, 1]] = 0.0
    assert x._version == v + 1 and x[0].sum().item() == 0.0
    leaf = gg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf[[0]] = 1.0
    with gg.no_grad():
        leaf[[0]] = 1.0
    assert leaf[0].tolist() == [1.0] * 4


def test_setitem_saved_tensor_is_detected():
    x = gg.tensor(X, requires_grad=True)
    y = x * 1
    z = y.exp()  # saves its result
    z[[0]] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (z * 1).sum().backward()


def test_inplace_forms_refuse_leaves_and_bump_versions():
    leaf = gg.zeros(3, 2, requires_grad=True)
    idx = gg.tensor([[0, 1]])
    for call in (lambda t: t.scatter_(0, idx, 1.0), lambda t: t.scatter_add_(0, idx, gg.ones(1, 2)),
                 lambda t: t.index_add_(0, gg.tensor([0]), gg.ones(1, 2))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            call(leaf)
        x = gg.zeros(3, 2)
        v = x._version
        assert call(x) is x and x._version == v + 1 and x.sum().item() > 0


def test_accumulate_sums_duplicates_deterministically():
    x = gg.zeros(3)
    idx = gg.tensor([0, 0, 2, 0])
    out = x.index_put((idx,), gg.tensor([1.0, 2.0, 3.0, 4.0]), accumulate=True)
    assert out.tolist() == [7.0, 0.0, 3.0]
    assert gg.zeros(3).scatter_add(0, idx, gg.ones(4)).tolist() == [3.0, 0.0, 1.0]
    assert gg.zeros(3).index_add(0, idx, gg.ones(4)).tolist() == [3.0, 0.0, 1.0]


def test_integer_and_bool_dtypes_move_exactly():
    big = gg.tensor([2**62 + 1, -3, 7])
    assert big[[0, 0]].tolist() == [2**62 + 1] * 2
    assert gg.cat([big, gg.tensor([1], dtype=gg.int32)]).dtype == gg.int64
    b = gg.tensor([True, False, True])
    assert b.flip(0).tolist() == [True, False, True][::-1] and b.repeat(2).dtype == gg.bool
    assert gg.cat([b, gg.tensor([1.5])]).tolist() == [1.0, 0.0, 1.0, 1.5]


# ---------------------------------------------------------------- beyond PyTorch

@pytest.mark.beyond_torch  # PyTorch raises "invalid gradient" when src is larger than index
def test_scatter_add_src_larger_than_index_gets_padded_gradient():
    x = gg.zeros(3, 4, dtype=gg.float64, requires_grad=True)
    s = gg.ones(3, 3, dtype=gg.float64, requires_grad=True)
    x.scatter_add(1, gg.tensor([[0, 0], [3, 1], [2, 2]]), s).sum().backward()
    assert s.grad.tolist() == [[1.0, 1.0, 0.0]] * 3


@pytest.mark.beyond_torch  # PyTorch's take_along_dim(dim=None) views the input: non-contiguous inputs fail
def test_take_along_dim_flat_of_noncontiguous_input():
    x = gg.tensor(X).t()
    assert gg.take_along_dim(x, gg.tensor([1, 6])).tolist() == [X.T.reshape(-1)[1], X.T.reshape(-1)[6]]


# ---------------------------------------------------------------- random index expressions

def _random_index(rng, shape):
    """A random mix of ints, slices, lists, integer tensors, boolean masks, None and Ellipsis."""
    items, d = [], 0
    n_items = int(rng.integers(1, len(shape) + 1))
    while d < len(shape) and len(items) < n_items:
        kind = rng.choice(["int", "slice", "list", "tensor", "mask", "none", "ellipsis"])
        size = int(shape[d])
        if kind == "int":
            items.append(int(rng.integers(-size, size)))
            d += 1
        elif kind == "slice":
            items.append(slice(rng.choice([None, 0, 1]), rng.choice([None, -1, size]), rng.choice([None, 1, 2])))
            d += 1
        elif kind == "list":
            items.append([int(v) for v in rng.integers(-size, size, size=int(rng.integers(0, 4)))])
            d += 1
        elif kind == "tensor":
            items.append(("int", rng.integers(-size, size, size=tuple(rng.integers(1, 3, size=int(rng.integers(0, 3)))))))
            d += 1
        elif kind == "mask":
            m = int(rng.integers(1, len(shape) - d + 1))
            items.append(("mask", rng.random(tuple(shape[d:d + m])) > 0.5))
            d += m
        elif kind == "none":
            items.append(None)
        elif Ellipsis not in items:
            items.append(Ellipsis)
            d = len(shape)
    return tuple(items)


def _as_index(lib, idx):
    return tuple(lib.tensor(it[1]) if isinstance(it, tuple) else it for it in idx)


def test_random_index_expressions_match_torch():
    """get (values and gradients) and set, or the same exception type, for 400 random indices."""
    rng = np.random.default_rng(1234)
    checked = 0
    for _ in range(400):
        shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 5))))
        idx = _random_index(rng, shape)
        a = rng.standard_normal(shape)
        res = {}
        for name, lib in (("gg", gg), ("pt", torch)):
            x = lib.tensor(a, requires_grad=True)
            try:
                y = x[_as_index(lib, idx)]
                y.backward(lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape))))
                z = lib.tensor(a) * 1
                z[_as_index(lib, idx)] = 7.0  # (one value: duplicate indices make the last write win)
                w = lib.tensor(a) * 1
                w.index_put_(tuple(lib.tensor(it[1]) for it in idx if isinstance(it, tuple) and it[0] == "int"),
                             lib.tensor(1.0), accumulate=True) if all(isinstance(it, tuple) and it[0] == "int"
                                                                      for it in idx) else None
                res[name] = [y.detach().numpy(), x.grad.numpy(), z.numpy(), w.numpy()]
            except (IndexError, RuntimeError, ValueError, TypeError) as e:
                res[name] = type(e)
        g, p = res["gg"], res["pt"]
        if isinstance(p, type):
            assert g is p, (shape, idx)
            continue
        assert not isinstance(g, type), (shape, idx, g)
        for u, v in zip(g, p):
            assert u.shape == v.shape, (shape, idx)
            np.testing.assert_array_equal(u, v)
        checked += 1
    assert checked > 300


def test_write_into_view_retain_graph_and_release():
    x = gg.randn(3, 4, requires_grad=True)
    v = gg.randn(2, 2, requires_grad=True)

    def loss():
        z = x * 2
        z[1:][:, gg.tensor([3, 0])] = v
        assert type(z.grad_fn).__name__ == "CopySlices"
        assert [type(f).__name__ for f, _ in z.grad_fn.next_functions] == ["MulBackward0", "AccumulateGrad"]
        return (z * z).sum()

    l = loss()
    l.backward(retain_graph=True)
    g1 = x.grad.clone()
    l.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1.numpy())
    l = loss()
    l.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        l.backward()
