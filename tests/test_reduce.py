"""The reduce_extra family beyond its op-table rows: differential checks against PyTorch
(values, gradients, backward graph names) for every op, cumprod's gradient with zeros,
ties, integer inputs, zero-size dims, multi-output return types, error inputs and
determinism."""
import math
import warnings

import numpy as np
import pytest

import gradgate as gg

torch = pytest.importorskip("torch")

INF = math.inf
# Under `pytest --oracle-torch` gradgate is PyTorch itself: checks of gradgate's own limits skip.
ORACLE = gg.__name__ == "torch"
gradgate_limit = pytest.mark.skipif(ORACLE, reason="checks a documented gradgate limitation, not PyTorch")


# ---------------------------------------------------------------- differential helpers

def _graph(fn, depth=0):
    if fn is None:
        return None
    name = fn.name() if hasattr(fn, "name") else type(fn).__name__
    if name.endswith("AccumulateGrad"):
        return "AccumulateGrad"
    assert depth < 30
    return (name, tuple((_graph(f, depth + 1), nr if f is not None else 0) for f, nr in fn.next_functions))


def _np(t):
    return t.detach().numpy()


def _run(lib, prog, arrays, dtype, grad):
    xs = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=grad) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = prog(lib, *xs)
    return xs, out


def differential(prog, arrays, dtype="float64", grad=True, rtol=1e-10, atol=1e-12, seed=0):
    """Runs prog on gradgate and PyTorch from the same inputs; compares output values, dtype,
    shape, requires_grad, the backward graph and (with a random upstream gradient) the input
    gradients."""
    arrays = [np.asarray(a) for a in arrays]
    gx, go = _run(gg, prog, arrays, dtype, grad)
    px, po = _run(torch, prog, arrays, dtype, grad)
    assert str(go.dtype) == str(po.dtype), (go.dtype, po.dtype)
    assert tuple(go.shape) == tuple(po.shape)
    np.testing.assert_allclose(_np(go), _np(po), rtol=rtol, atol=atol, equal_nan=True)
    assert go.requires_grad == po.requires_grad
    if not grad or not po.requires_grad:
        return go, po
    assert _graph(go.grad_fn) == _graph(po.grad_fn), (_graph(go.grad_fn), _graph(po.grad_fn))
    up = np.random.default_rng(seed).standard_normal(tuple(po.shape))
    go.backward(gg.tensor(up, dtype=go.dtype))
    po.backward(torch.tensor(up, dtype=po.dtype))
    for a, b in zip(gx, px):
        if b.grad is None:
            assert a.grad is None
        else:
            np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=rtol, atol=atol, equal_nan=True)
    return go, po


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- every op against PyTorch

PROGRAMS = {
    "var": lambda L, x: x.var(),
    "var_dim": lambda L, x: x.var(1),
    "var_dims_keep": lambda L, x: x.var((0, 2), keepdim=True),
    "var_unbiased_false": lambda L, x: x.var(0, False),
    "var_bool_positional": lambda L, x: x.var(False),
    "var_correction": lambda L, x: x.var(dim=1, correction=0),
    "var_correction_float": lambda L, x: x.var(dim=-1, correction=1.5),
    "fn_var": lambda L, x: L.var(x, 0, keepdim=True),
    "std": lambda L, x: x.std(),
    "std_dim_keep": lambda L, x: x.std(1, keepdim=True),
    "std_correction": lambda L, x: x.std(dim=(0, 1), correction=0),
    "fn_std": lambda L, x: L.std(x, unbiased=False),
    "logsumexp": lambda L, x: x.logsumexp(1),
    "logsumexp_dims": lambda L, x: x.logsumexp((0, 2), keepdim=True),
    "fn_logsumexp": lambda L, x: L.logsumexp(x * 300, -1),
    "norm": lambda L, x: x.norm(),
    "norm_p1": lambda L, x: x.norm(1),
    "norm_inf": lambda L, x: x.norm(INF),
    "norm_neg_inf_dim": lambda L, x: x.norm(-INF, dim=1),
    "norm_p3_dim": lambda L, x: x.norm(p=3, dim=0, keepdim=True),
    "norm_fro_dims": lambda L, x: x.norm("fro", dim=(1, 2)),
    "fn_norm": lambda L, x: L.norm(x, dim=1),
    "fn_norm_dtype": lambda L, x: L.norm(x.float(), 2, dtype=L.float64),
    "vector_norm": lambda L, x: L.linalg.vector_norm(x),
    "vector_norm_p": lambda L, x: L.linalg.vector_norm(x, 2.5, dim=(0, 1)),
    "vector_norm_p0": lambda L, x: L.linalg.vector_norm(x, 0),
    "vector_norm_p_small": lambda L, x: L.linalg.vector_norm(x, 0.7, dim=-1, keepdim=True),
    "linalg_norm": lambda L, x: L.linalg.norm(x),
    "linalg_norm_fro": lambda L, x: L.linalg.norm(x[0], "fro"),
    "linalg_norm_vec": lambda L, x: L.linalg.norm(x[0, 0], 1),
    "linalg_norm_mat1": lambda L, x: L.linalg.norm(x[0], 1),
    "linalg_norm_matinf": lambda L, x: L.linalg.norm(x[1], INF),
    "linalg_norm_mat_dims": lambda L, x: L.linalg.norm(x, -INF, dim=(2, 1), keepdim=True),
    "linalg_norm_dim": lambda L, x: L.linalg.norm(x, dim=2),
    "cumsum": lambda L, x: x.cumsum(1),
    "cumsum_neg": lambda L, x: L.cumsum(x, -1),
    "cumsum_dtype": lambda L, x: x.float().cumsum(0, dtype=L.float64),
    "cumprod": lambda L, x: x.cumprod(1),
    "fn_cumprod": lambda L, x: L.cumprod(x, dim=0),
    "sort": lambda L, x: x.sort().values,
    "sort_desc": lambda L, x: x.sort(1, descending=True)[0],
    "sort_stable": lambda L, x: x.sort(dim=0, stable=True).values,
    "fn_sort": lambda L, x: L.sort(x, -2).values,
    "topk": lambda L, x: x.topk(2).values,
    "topk_smallest": lambda L, x: x.topk(1, dim=0, largest=False).values,
    "fn_topk": lambda L, x: L.topk(x, 3, 1)[0],
    "sort_then_sum_twice": lambda L, x: x.sort(2).values[..., :2].sum() + x.topk(2, 1).values.sum(),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_torch(name):
    tol = 1e-6 if name in ("cumsum_dtype", "fn_norm_dtype") else 1e-10  # float32 inputs
    differential(PROGRAMS[name], [_x(2, 3, 4, seed=len(name))], rtol=tol)


@pytest.mark.parametrize("name", ["var_dim", "std_dim_keep", "logsumexp", "norm_p3_dim", "cumsum", "cumprod",
                                  "sort_desc", "topk", "vector_norm"])
def test_matches_torch_float32(name):
    differential(PROGRAMS[name], [_x(2, 3, 4, seed=len(name))], dtype="float32", rtol=2e-6, atol=1e-6)


def test_index_outputs_match_torch():
    x = _x(3, 5, seed=1)
    for prog in [lambda L, t: t.sort(1).indices, lambda L, t: t.sort(0, descending=True).indices,
                 lambda L, t: t.argsort(), lambda L, t: L.argsort(t, 0, descending=True),
                 lambda L, t: t.topk(2).indices, lambda L, t: t.topk(2, 0, largest=False)[1]]:
        differential(prog, [x], grad=False)


def test_grad_fn_names():
    x = gg.randn(3, 4, requires_grad=True)
    names = {
        "VarBackward0": x.var(1), "StdBackward0": x.std(), "LogsumexpBackward0": x.logsumexp(0),
        "LinalgVectorNormBackward0": x.norm(), "CumsumBackward0": x.cumsum(0), "CumprodBackward0": x.cumprod(1),
        "SortBackward0": x.sort().values, "SortBackward1": x.sort(stable=True).values,
        "TopkBackward0": x.topk(2).values, "Unique2Backward0": x.unique(),
    }
    for name, y in names.items():
        assert type(y.grad_fn).__name__ == name
        assert y.grad_fn.name() == name
    assert x.std(1).grad_fn._saved_self is x
    assert x.var(correction=0).grad_fn._saved_correction == 0
    assert x.std(1, correction=2).grad_fn._saved_correction == 2
    assert x.norm(3).grad_fn._saved_ord == 3


# ---------------------------------------------------------------- cumprod with zeros, ties, edge values

@pytest.mark.parametrize("values", [
    [[1.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 4.0], [2.0, 3.0, 4.0, 0.0], [0.5, -2.0, 3.0, 1.5]],
    [[0.0, 0.0, 1.0, 2.0]],
    [[0.0]],
])
def test_cumprod_gradient_with_zeros(values):
    differential(lambda L, x: x.cumprod(1), [np.array(values)])
    differential(lambda L, x: x.cumprod(0), [np.array(values)])
    differential(lambda L, x: x.t().cumprod(1), [np.array(values)])


def test_cumprod_gradient_with_zeros_matches_finite_differences():
    x = gg.tensor([[1.5, 0.0, -2.0, 3.0], [0.0, 0.7, 0.0, 1.2]], dtype=gg.float64, requires_grad=True)
    assert gg.autograd.gradcheck(lambda t: t.cumprod(1), [x], eps=1e-6, atol=1e-6)


@gradgate_limit
def test_cumprod_double_backward_with_zeros_is_refused():
    x = gg.tensor([1.0, 0.0, 2.0], dtype=gg.float64, requires_grad=True)
    (g,) = gg.autograd.grad(x.cumprod(0).sum(), [x])  # first order is fine
    np.testing.assert_allclose(g.numpy(), [1.0, 3.0, 0.0])
    with pytest.raises(NotImplementedError, match="cumprod"):
        gg.autograd.grad(x.cumprod(0).sum(), [x], create_graph=True)


@pytest.mark.parametrize("prog", [
    lambda L, x: x.norm(INF), lambda L, x: x.norm(-INF, dim=1), lambda L, x: L.linalg.vector_norm(x, INF, dim=0),
    lambda L, x: x.norm(), lambda L, x: x.norm(3, dim=1), lambda L, x: x.norm(1.5), lambda L, x: x.norm(1),
    lambda L, x: L.linalg.vector_norm(x, 0.5, dim=1), lambda L, x: x.std(1),
])
def test_norms_with_ties_and_zeros(prog):
    x = np.array([[1.0, -3.0, 3.0], [0.0, 0.0, 0.0], [2.0, 0.0, -2.0]])
    differential(prog, [x])


def test_logsumexp_infinities_and_nan():
    x = np.array([[-INF, -INF], [INF, 1.0], [np.nan, 1.0], [1e308, 1e308]])
    differential(lambda L, t: t.logsumexp(1), [x], grad=False)


def test_sort_nan_order_and_stability():
    x = np.array([[1.0, np.nan, 0.5, 1.0, -INF, INF, 0.5]])
    for desc in (False, True):
        differential(lambda L, t: t.sort(1, descending=desc).values, [x], grad=False)
        differential(lambda L, t: t.sort(dim=1, descending=desc, stable=True).indices, [x], grad=False)


def test_sort_grad_with_ties_goes_to_each_position_once():
    x = gg.tensor([2.0, 1.0, 2.0, 1.0], requires_grad=True)
    x.sort().values.backward(gg.tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0, 4.0, 2.0])


# ---------------------------------------------------------------- integer and bool inputs

@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_integer_inputs(dtype):
    a = np.array([[3, 0, 2, 2], [1, 5, 0, 4]])
    progs = [lambda L, x: x.all(), lambda L, x: x.any(1), lambda L, x: x.all(0, keepdim=True),
             lambda L, x: x.cumsum(1), lambda L, x: x.sort(1).values, lambda L, x: x.argsort(0),
             lambda L, x: x.unique(), lambda L, x: L.unique(x, return_counts=True)[1],
             lambda L, x: L.unique(x, return_inverse=True)[1]]
    if dtype != "bool":
        progs += [lambda L, x: x.cumprod(0), lambda L, x: x.logsumexp(1), lambda L, x: x.topk(2).values]
    for prog in progs:
        differential(prog, [a], dtype=dtype, grad=False, rtol=1e-6)  # logsumexp: float32 output


def test_all_any_on_floats_with_nan_and_empty_dims_tuple():
    x = np.array([[0.0, np.nan], [0.0, 0.0]])
    for prog in [lambda L, t: t.all(1), lambda L, t: t.any(1), lambda L, t: t.any(), lambda L, t: t.all(()),
                 lambda L, t: t.any((0, 1), keepdim=True)]:
        differential(prog, [x], grad=False)


# ---------------------------------------------------------------- zero-size dims

@pytest.mark.parametrize("prog", [
    lambda L, x: x.var(1), lambda L, x: x.std(), lambda L, x: x.var(0), lambda L, x: x.logsumexp(1),
    lambda L, x: x.logsumexp(0), lambda L, x: x.norm(), lambda L, x: x.norm(dim=1), lambda L, x: x.norm(1, dim=0),
    lambda L, x: x.all(), lambda L, x: x.any(1), lambda L, x: x.all(0), lambda L, x: x.cumsum(1),
    lambda L, x: x.cumprod(0), lambda L, x: x.sort(1).values, lambda L, x: x.sort(0).indices,
    lambda L, x: x.topk(0, 1).values, lambda L, x: x.argsort(1), lambda L, x: x.unique(),
])
def test_zero_size(prog):
    differential(prog, [np.zeros((3, 0))], grad=False)


def test_single_element_var_is_nan_like_torch():
    differential(lambda L, x: x.var(), [np.array([2.0])], grad=False)
    differential(lambda L, x: x.std(0, correction=0), [np.array([2.0])], grad=False)


def test_zero_dim_inputs():
    x = np.array(1.5)
    for prog in [lambda L, t: t.var(correction=0), lambda L, t: t.logsumexp(0), lambda L, t: t.norm(),
                 lambda L, t: t.cumsum(0), lambda L, t: t.cumprod(-1), lambda L, t: t.sort().values,
                 lambda L, t: t.topk(1).values, lambda L, t: t.topk(0).values]:
        differential(prog, [x])
    for prog in [lambda L, t: t.all(), lambda L, t: t.any(0), lambda L, t: t.argsort(), lambda L, t: t.unique()]:
        differential(prog, [x], grad=False)


# ---------------------------------------------------------------- return types

def test_sort_and_topk_return_named_tuples():
    x = gg.tensor([[3.0, 1.0, 2.0]])
    s = x.sort()
    assert type(s).__name__ == "sort" and isinstance(s, tuple)
    values, indices = s
    assert values is s.values and indices is s.indices and s[0] is values
    assert indices.dtype == gg.int64
    t = gg.topk(x, 2)
    assert type(t).__name__ == "topk" and t.values.tolist() == [[3.0, 2.0]] and t.indices.tolist() == [[0, 2]]
    assert gg.return_types.sort is type(s) and gg.return_types.topk is type(t)


def test_unique_return_shapes_and_no_grad():
    x = gg.tensor([[2.0, 1.0], [2.0, 3.0]], requires_grad=True)
    u = x.unique()
    assert isinstance(u, gg.Tensor)
    assert u.tolist() == [1.0, 2.0, 3.0]
    u, inv, cnt = gg.unique(x, return_inverse=True, return_counts=True)
    assert inv.tolist() == [[1, 0], [1, 2]] and cnt.tolist() == [1, 2, 1]
    with pytest.raises(NotImplementedError, match="_unique2"):
        u.sum().backward()
    if not ORACLE:  # a gradgate limitation: only dim=None
        with pytest.raises(TypeError, match="dim"):
            x.unique(dim=0)


# ---------------------------------------------------------------- errors: PyTorch's types, op and shapes named

def _both_raise(prog, arrays, dtype="float64", exc=RuntimeError, words=()):
    """Both libraries raise `exc` with `words` in the message; returns gradgate's message."""
    msgs = []
    for lib in (gg, torch):
        xs = [lib.tensor(np.asarray(a), dtype=getattr(lib, dtype)) for a in arrays]
        with pytest.raises(exc) as info:
            prog(lib, *xs)
        for w in words:
            assert w in str(info.value), (lib.__name__, str(info.value))
        msgs.append(str(info.value))
    return msgs[0]


@pytest.mark.beyond_torch  # gradgate's message also names the op and the shapes
def test_error_var_std_on_integers():
    for prog, op in [(lambda L, x: x.var(), "var"), (lambda L, x: x.std(1), "std")]:
        _both_raise(prog, [np.ones((2, 3))], "int64", RuntimeError, ["std and var only support floating point"])
        with pytest.raises(RuntimeError) as info:
            prog(gg, gg.ones(2, 3, dtype=gg.int64))
        assert op in str(info.value) and "(2, 3)" in str(info.value)


def test_error_var_unbiased_and_correction():
    _both_raise(lambda L, x: x.var(1, unbiased=True, correction=1), [np.ones((2, 3))], exc=TypeError)
    _both_raise(lambda L, x: x.std(unbiased=False, correction=0), [np.ones((2, 3))], exc=TypeError)


@pytest.mark.beyond_torch  # gradgate's message also names the op and the shapes
def test_error_topk_k_out_of_range():
    msg = _both_raise(lambda L, x: x.topk(5), [np.ones((2, 3))], words=["selected index k out of range"])
    assert "topk" in msg and "(2, 3)" in msg
    _both_raise(lambda L, x: x.topk(-1), [np.ones((2, 3))], words=["selected index k out of range"])


@pytest.mark.beyond_torch  # gradgate's message also names the op and the shapes
def test_error_vector_norm_on_integers():
    msg = _both_raise(lambda L, x: L.linalg.vector_norm(x), [np.ones(3)], "int64",
                      words=["linalg.vector_norm", "Expected a floating point"])
    assert "(3,)" in msg
    _both_raise(lambda L, x: x.norm(), [np.ones(3)], "int64", words=["Expected a floating point"])


@pytest.mark.beyond_torch  # gradgate's message also names the op and the shapes
def test_error_inf_norm_of_empty():
    msg = _both_raise(lambda L, x: x.norm(INF), [np.zeros(0)], words=["linalg.vector_norm", "inf norm", "empty"])
    assert "(0,)" in msg
    _both_raise(lambda L, x: x.norm(-1, dim=1), [np.zeros((2, 0))], words=["empty"])


@pytest.mark.parametrize("prog", [
    lambda L, x: x.sort(2), lambda L, x: x.cumsum(-3), lambda L, x: x.cumprod(2), lambda L, x: x.topk(1, 5),
    lambda L, x: x.var(4), lambda L, x: x.logsumexp(2), lambda L, x: x.all(3), lambda L, x: x.norm(dim=2),
    lambda L, x: x.argsort(-3),
])
def test_error_dim_out_of_range(prog):
    _both_raise(prog, [np.ones((2, 3))], exc=IndexError, words=["Dimension out of range"])


def test_error_logsumexp_needs_dim():
    _both_raise(lambda L, x: x.logsumexp(), [np.ones((2, 3))], exc=TypeError)


def test_error_linalg_norm_3d_with_ord():
    _both_raise(lambda L, x: L.linalg.norm(x, 1), [np.ones((2, 2, 2))], words=["linalg.norm", "1D or 2D"])


@gradgate_limit
def test_error_nuclear_norm_is_clear():
    with pytest.raises(NotImplementedError, match="nuc"):
        gg.linalg.norm(gg.ones(2, 2), "nuc")
    with pytest.raises(NotImplementedError, match="nuc"):
        gg.ones(2, 2).norm("nuc")
    with pytest.raises(ValueError, match="norm"):
        gg.ones(2, 2).norm("bad")


def test_error_repeated_dims():
    _both_raise(lambda L, x: x.var((0, 0)), [np.ones((2, 3))], words=["appears multiple times"])


# ---------------------------------------------------------------- determinism and threads

@pytest.mark.beyond_torch  # PyTorch's reductions depend on the thread count
def test_results_are_deterministic_and_thread_count_independent_enough():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((64, 40000)).astype(np.float32)
    x = gg.tensor(a)
    progs = [lambda t: t.var(1), lambda t: t.std(0), lambda t: t.logsumexp(1), lambda t: t.norm(dim=0),
             lambda t: t.norm(3), lambda t: t.cumsum(1), lambda t: t.cumprod(0), lambda t: t.sort(1).values]
    for prog in progs:
        first = prog(x).numpy()
        for _ in range(2):
            np.testing.assert_array_equal(prog(x).numpy(), first)
    threads = gg.get_num_threads()
    try:
        gg.set_num_threads(1)
        single = [prog(x).numpy() for prog in progs]
    finally:
        gg.set_num_threads(threads)
    for prog, s in zip(progs, single):
        np.testing.assert_allclose(prog(x).numpy(), s, rtol=1e-5, atol=1e-5)
    # Trailing-dims reductions of contiguous inputs (Note [Row fast path]) and the scans do not
    # depend on the thread count at all.
    exact = [lambda t: t.var(1), lambda t: t.std(), lambda t: t.logsumexp(1), lambda t: t.logsumexp((0, 1)),
             lambda t: t.norm(), lambda t: t.norm(3, dim=1), lambda t: t.norm(1), lambda t: t.norm(-math.inf, 1),
             lambda t: t.cumsum(0), lambda t: t.cumsum(1)]
    many = [prog(x).numpy() for prog in exact]
    try:
        gg.set_num_threads(1)
        single = [prog(x).numpy() for prog in exact]
    finally:
        gg.set_num_threads(threads)
    for m, s in zip(many, single):
        np.testing.assert_array_equal(m, s)
    np.testing.assert_allclose(x.var(1).numpy(), a.astype(np.float64).var(1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(x.logsumexp(1).numpy(),
                               torch.logsumexp(torch.tensor(a, dtype=torch.float64), 1).numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(300, 1000), (257, 1001), (2, 40, 700)])
def test_sum_over_a_leading_dim_split_by_columns(shape):
    # Few outer rows: the threads split the columns; each column's sum keeps its order (same bits).
    a = np.random.default_rng(11).standard_normal(shape).astype(np.float32)
    x = gg.tensor(a)
    dim = len(shape) - 2
    threads = gg.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            gg.set_num_threads(n)
            results.append((x.sum(dim).numpy(), x.mean(dim).numpy()))
    finally:
        gg.set_num_threads(threads)
    for (s1, m1), (s2, m2) in zip(results, results[1:]):
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(m1, m2)
    np.testing.assert_allclose(results[0][0], a.astype(np.float64).sum(dim), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][1], a.astype(np.float64).mean(dim), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,dims", [((3, 40000), 1), ((40000,), 0), ((2, 3, 20000), (1, 2)), ((5, 7), 1),
                                        ((2, 3, 4), -1), ((1, 33000), None)])
def test_row_fast_path_matches_torch(shape, dims):
    a = np.random.default_rng(6).standard_normal(shape)
    a.reshape(-1)[5] = 7.5  # a clear maximum
    for prog in [lambda L, x: x.var(dims) if dims is not None else x.var(),
                 lambda L, x: x.std(dims, keepdim=True) if dims is not None else x.std(),
                 lambda L, x: x.logsumexp(dims if dims is not None else tuple(range(x.dim()))),
                 lambda L, x: x.norm(dim=dims), lambda L, x: x.norm(1, dim=dims), lambda L, x: x.norm(3.5, dim=dims),
                 lambda L, x: x.norm(math.inf, dim=dims), lambda L, x: x.norm(-math.inf, dim=dims),
                 lambda L, x: L.linalg.vector_norm(x, 0, dim=dims)]:
        differential(prog, [a], rtol=1e-9, atol=1e-10)


def test_row_fast_path_special_values():
    a = np.array([[1.0, np.nan, 2.0], [-INF, -INF, -INF], [INF, 1.0, 2.0], [INF, np.nan, 0.0], [0.0, 0.0, 0.0]])
    for prog in [lambda L, x: x.logsumexp(1), lambda L, x: x.norm(dim=1), lambda L, x: x.norm(INF, dim=1),
                 lambda L, x: x.norm(-INF, dim=1), lambda L, x: x.var(1), lambda L, x: x.norm(0, dim=1)]:
        differential(prog, [a], grad=False)


@pytest.mark.skipif(ORACLE, reason="compares gradgate with PyTorch: meaningless when they are the same")
def test_differential_check_can_fail():
    with pytest.raises(AssertionError):
        differential(lambda L, x: x.var(1) if L is gg else x.var(1, correction=0), [_x(3, 4)])
    with pytest.raises(AssertionError):
        differential(lambda L, x: x.sort().values if L is gg else x.sort(stable=True).values, [_x(3, 4)])


@pytest.mark.beyond_torch  # PyTorch leaves topk's order among ties unspecified
def test_topk_order_equals_stable_sort_with_ties_and_nan():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, (5, 40)).astype(np.float64)
    a[1, 7] = a[2, 3] = a[2, 30] = np.nan
    x = gg.tensor(a)
    for largest in (True, False):
        for k in (1, 3, 17, 39, 40):
            tk = x.topk(k, 1, largest=largest)
            st = x.sort(1, descending=largest, stable=True)
            np.testing.assert_array_equal(tk.indices.numpy(), st.indices.numpy()[:, :k])
            np.testing.assert_array_equal(tk.values.numpy(), st.values.numpy()[:, :k])
    np.testing.assert_array_equal(x.sort(1, stable=True).indices.numpy(), np.argsort(a, 1, kind="stable"))


def test_cumsum_split_across_threads_is_exact():
    a = np.random.default_rng(4).standard_normal((3, 5000)).astype(np.float64)
    x = gg.tensor(a)
    np.testing.assert_allclose(x.cumsum(0).numpy(), np.cumsum(a, 0), rtol=1e-12)
    np.testing.assert_allclose(x.t().cumsum(1).numpy(), np.cumsum(a.T, 1), rtol=1e-12)
    b = np.random.default_rng(5).standard_normal((2, 300, 3000))
    np.testing.assert_allclose(gg.tensor(b).cumsum(1).numpy(), np.cumsum(b, 1), rtol=1e-10)
