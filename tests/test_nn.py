"""nn family beyond the op table: differential checks against PyTorch (values, gradients,
grad_fn names and next_functions), error inputs, zero-size dims, dropout, and the nn modules."""
import warnings

import numpy as np
import pytest

import gradgate as gg
import gradgate.nn as gnn
import gradgate.nn.functional as GF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(1234)
X = rng.standard_normal((3, 5))
Y = rng.standard_normal((3, 5))
T = np.array([0, 4, 2])
W5 = np.array([0.5, 1.0, 2.0, 1.5, 0.3])
X3 = rng.standard_normal((2, 3, 4))
T3 = np.array([[0, 2, 1, 1], [2, 0, 0, 1]])
X4 = rng.standard_normal((2, 3, 2, 2))
T4 = rng.integers(0, 3, (2, 2, 2))
P = rng.uniform(0.1, 0.9, (3, 5))
Q = rng.uniform(0.0, 1.0, (3, 5))
SIMPLEX = Q / Q.sum(1, keepdims=True)
E = rng.standard_normal((6, 3))
IDX = np.array([[0, 2, 2], [5, 1, 0]])
XB = rng.standard_normal((4, 3, 2))


def _np(t):
    return t.detach().numpy(force=True)  # (PyTorch's second derivatives may be ZeroTensors)


def _fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _next_names(t):
    return [None if f is None else type(f).__name__ for f, _ in t.grad_fn.next_functions]


# Each case: name, torch fn, gradgate fn, float64 inputs (all differentiated), constant args (np arrays become
# tensors of the matching library).
CASES = [
    ("softmax", lambda F, x: F.softmax(x, 1), [X]),
    ("softmax_dim0_3d", lambda F, x: F.softmax(x, 0), [X3]),
    ("log_softmax", lambda F, x: F.log_softmax(x, -1), [X]),
    ("log_softmax_mid", lambda F, x: F.log_softmax(x, 1), [X3]),
    ("cross_entropy", lambda F, x, t: F.cross_entropy(x, t(T)), [X]),
    ("cross_entropy_sum_weight", lambda F, x, t: F.cross_entropy(x, t(T), weight=t(W5), reduction="sum"), [X]),
    ("cross_entropy_none_ignore", lambda F, x, t: F.cross_entropy(x, t(T), reduction="none", ignore_index=0), [X]),
    ("cross_entropy_smoothing", lambda F, x, t: F.cross_entropy(x, t(T), label_smoothing=0.15), [X]),
    ("cross_entropy_smoothing_w_ignore",
     lambda F, x, t: F.cross_entropy(x, t(T), weight=t(W5), ignore_index=4, label_smoothing=0.3), [X]),
    ("cross_entropy_smoothing_sum_none",
     lambda F, x, t: F.cross_entropy(x, t(T), reduction="none", label_smoothing=0.3), [X]),
    ("cross_entropy_4d", lambda F, x, t: F.cross_entropy(x, t(T4)), [X4]),
    ("cross_entropy_unbatched", lambda F, x, t: F.cross_entropy(x, t(np.array(1))), [X[0]]),
    ("cross_entropy_probs", lambda F, x, p: F.cross_entropy(x, p), [X, SIMPLEX]),
    ("cross_entropy_probs_w_smooth_sum",
     lambda F, x, p, t: F.cross_entropy(x, p, weight=t(W5), reduction="sum", label_smoothing=0.2), [X, SIMPLEX]),
    ("nll_loss", lambda F, x, t: F.nll_loss(x, t(T)), [X]),
    ("nll_loss_weight_ignore", lambda F, x, t: F.nll_loss(x, t(T), weight=t(W5), ignore_index=2), [X]),
    ("nll_loss_none", lambda F, x, t: F.nll_loss(x, t(T), reduction="none"), [X]),
    ("nll_loss_4d_sum", lambda F, x, t: F.nll_loss(x, t(T4), reduction="sum"), [X4]),
    ("layer_norm", lambda F, x, w, b: F.layer_norm(x, (5,), w, b), [X, W5, Y[0]]),
    ("layer_norm_2d", lambda F, x: F.layer_norm(x, [3, 4], eps=1e-3), [X3]),
    ("layer_norm_weight_only", lambda F, x, w: F.layer_norm(x, (5,), w), [X, W5]),
    ("batch_norm_train", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True), [XB, W5[:3], Y[0, :3]]),
    ("batch_norm_4d", lambda F, x: F.batch_norm(x, None, None, training=True, eps=1e-3), [X4]),
    ("batch_norm_eval", lambda F, x, w, t: F.batch_norm(x, t(np.array([0.1, 0.2, -0.3])), t(np.array([1.0, 2.0, 0.5])),
                                                        w, training=False), [XB, W5[:3]]),
    ("group_norm", lambda F, x, w, b: F.group_norm(x, 3, w, b), [X4.reshape(2, 6, 2), W5[:3].repeat(2),
                                                                  np.linspace(-1, 1, 6)]),
    ("group_norm_4d", lambda F, x: F.group_norm(x, 1, eps=1e-3), [X4]),
    ("embedding", lambda F, e, t: F.embedding(t(IDX), e), [E]),
    ("embedding_padding", lambda F, e, t: F.embedding(t(IDX), e, padding_idx=2), [E]),
    ("embedding_padding_neg", lambda F, e, t: F.embedding(t(IDX), e, padding_idx=-1), [E]),
    ("l1_loss", lambda F, x, y: F.l1_loss(x, y), [X, Y]),
    ("l1_loss_sum", lambda F, x, y: F.l1_loss(x, y, reduction="sum"), [X, Y]),
    ("smooth_l1_loss", lambda F, x, y: F.smooth_l1_loss(x * 2, y), [X, Y]),
    ("smooth_l1_loss_beta_none", lambda F, x, y: F.smooth_l1_loss(x, y, reduction="none", beta=0.3), [X, Y]),
    ("smooth_l1_loss_beta0", lambda F, x, y: F.smooth_l1_loss(x, y, beta=0.0), [X, Y]),
    ("huber_loss", lambda F, x, y: F.huber_loss(x * 2, y), [X, Y]),
    ("huber_loss_delta_sum", lambda F, x, y: F.huber_loss(x, y, reduction="sum", delta=0.4), [X, Y]),
    ("binary_cross_entropy", lambda F, x, y: F.binary_cross_entropy(x, y), [P, Q]),
    ("binary_cross_entropy_w_sum", lambda F, x, y, t: F.binary_cross_entropy(x, y, t(W5), reduction="sum"), [P, Q]),
    ("binary_cross_entropy_none", lambda F, x, y: F.binary_cross_entropy(x, y, reduction="none"), [P, Q]),
    ("kl_div_batchmean", lambda F, x, y: F.kl_div(x, y, reduction="batchmean"), [X, SIMPLEX]),
    ("kl_div_none", lambda F, x, y: F.kl_div(x, y, reduction="none"), [X, SIMPLEX]),
    ("kl_div_sum_log_target", lambda F, x, y: F.kl_div(x, y, reduction="sum", log_target=True), [X, Y]),
    ("cosine_similarity", lambda F, x, y: F.cosine_similarity(x, y), [X, Y]),
    ("cosine_similarity_dim0_eps", lambda F, x, y: F.cosine_similarity(x, y, dim=0, eps=1e-6), [X, Y]),
    ("cosine_similarity_bcast", lambda F, x, y: F.cosine_similarity(x, y, dim=-1), [X, Y[:1]]),
]


# PyTorch divides by the batch size inside ATen (a C++ Scalar: DivBackward1); from Python a number divisor
# is DivBackward0 in both libraries, and gradgate has no separate scalar-division node.
KNOWN_NAME_DIFFS = {"cross_entropy_probs": "DivBackward0"}


def _run(lib, fn, arrays, create_graph=False):
    F = TF if lib is torch else GF
    mk = (lambda a, **k: torch.tensor(a, **k)) if lib is torch else (lambda a, **k: gg.tensor(a, **k))
    xs = [mk(a, requires_grad=True) for a in arrays]
    nargs = fn.__code__.co_argcount - 1
    args = list(xs) + ([mk] if nargs > len(xs) else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(F, *args)
    return xs, out


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, arrays):
    txs, tout = _run(torch, fn, arrays)
    gxs, gout = _run(gg, fn, arrays)
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert tuple(gout.shape) == tuple(tout.shape)
    assert _fn_name(gout) == KNOWN_NAME_DIFFS.get(name, _fn_name(tout))
    if name not in KNOWN_NAME_DIFFS:
        assert len(gout.grad_fn.next_functions) == len(tout.grad_fn.next_functions)
    w = rng.standard_normal(tuple(tout.shape))
    tg = torch.autograd.grad(tout, txs, torch.tensor(w), allow_unused=True, create_graph=True)
    gg_ = gg.autograd.grad(gout, gxs, gg.tensor(w), allow_unused=True, create_graph=True)
    for a, b in zip(tg, gg_):
        if a is None:
            assert b is None or np.allclose(b.detach().numpy(), 0)
        else:
            np.testing.assert_allclose(_np(b), _np(a), rtol=1e-9, atol=1e-12)
    # second order: the gradient of the gradient's squared norm
    used = [(i, a, b) for i, (a, b) in enumerate(zip(tg, gg_)) if a is not None and a.requires_grad]
    if used:
        st = sum((a * a).sum() for _, a, _ in used)
        sg = sum((b * b).sum() for _, _, b in used)
        t2 = torch.autograd.grad(st, txs, allow_unused=True)
        g2 = gg.autograd.grad(sg, gxs, allow_unused=True)
        for a, b in zip(t2, g2):
            if a is None or b is None:  # unused on one side: the other must be zero
                assert a is None or np.allclose(_np(a), 0)
                assert b is None or np.allclose(_np(b), 0)
            else:
                np.testing.assert_allclose(_np(b), _np(a), rtol=1e-7, atol=1e-9)


def test_grad_fn_structure_matches_torch():
    x, gx = torch.tensor(X, requires_grad=True), gg.tensor(X, requires_grad=True)
    ce_t, ce_g = TF.cross_entropy(x, torch.tensor(T)), GF.cross_entropy(gx, gg.tensor(T))
    assert _next_names(ce_g) == _next_names(ce_t) == ["LogSoftmaxBackward0"]
    w, gw = torch.ones(5, dtype=torch.float64, requires_grad=True), gg.ones(5, dtype=gg.float64, requires_grad=True)
    ln_t, ln_g = TF.layer_norm(x, (5,), w), GF.layer_norm(gx, (5,), gw)
    assert _next_names(ln_g) == _next_names(ln_t) == ["AccumulateGrad", "AccumulateGrad", None]
    e, ge = torch.tensor(E, requires_grad=True), gg.tensor(E, requires_grad=True)
    assert _next_names(GF.embedding(gg.tensor(IDX), ge)) == _next_names(TF.embedding(torch.tensor(IDX), e))
    s_t, s_g = TF.softmax(x, 1), GF.softmax(gx, 1)
    assert s_g.grad_fn._saved_dim == s_t.grad_fn._saved_dim == 1
    assert s_g.grad_fn._saved_result is not None
    g_t, = torch.autograd.grad((s_t * s_t).sum(), x, create_graph=True)
    g_g, = gg.autograd.grad((s_g * s_g).sum(), gx, create_graph=True)
    assert _fn_name(g_g) == _fn_name(g_t) == "SoftmaxBackwardDataBackward0"
    g_t, = torch.autograd.grad(TF.nll_loss(x, torch.tensor(T)), x, create_graph=True)
    g_g, = gg.autograd.grad(GF.nll_loss(gx, gg.tensor(T)), gx, create_graph=True)
    assert _fn_name(g_g) == _fn_name(g_t) == "NllLossBackwardBackward0"
    assert _next_names(g_g) == _next_names(g_t)


def test_softmax_is_stable_and_sums_to_one():
    x = gg.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    s = GF.softmax(x, 1).numpy()
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(1), 1.0, rtol=1e-6)
    ls = GF.log_softmax(x, 1).numpy()
    np.testing.assert_allclose(ls, TF.log_softmax(torch.tensor(x.numpy()), 1).numpy(), rtol=1e-6)
    inf = gg.tensor([[0.0, float("-inf")]])
    np.testing.assert_array_equal(GF.softmax(inf, 1).numpy(), [[1.0, 0.0]])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("reduce", [
    lambda y: y.sum(),                                   # gradient expanded along every dim
    lambda y: y.mean(),
    lambda y: (y.sum(-1) * y.new_tensor([1.0, -2.0, 0.5])).sum(),  # one value per softmax lane
    lambda y: y[:, :1].sum() + y.sum(),                  # an ordinary (materialized) gradient
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_backward_of_reduced_gradient_matches_torch(name, reduce, dtype):
    x = rng.standard_normal((3, 37)).astype(dtype)  # 37: the lane kernels' vector tail is exercised
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    reduce(getattr(GF, name)(gx, -1)).backward()
    reduce(getattr(TF, name)(tx, -1)).backward()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


def test_softmax_dtype_and_implicit_dim():
    x = gg.tensor(X.astype(np.float32))
    assert GF.softmax(x, 1, dtype=gg.float64).dtype == gg.float64
    assert x.log_softmax(0, dtype=gg.float64).dtype == gg.float64
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = GF.softmax(x)
    np.testing.assert_allclose(out.numpy(), TF.softmax(torch.tensor(X.astype(np.float32)), 1).numpy(), rtol=1e-6)


def test_softmax_deterministic_large():
    x = gg.tensor(rng.standard_normal((257, 1031)))
    a, b = GF.log_softmax(x, 1).numpy(), GF.log_softmax(x, 1).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, TF.log_softmax(torch.tensor(x.numpy()), 1).numpy(), rtol=1e-12, atol=1e-12)
    c = GF.softmax(x, 0).numpy()
    np.testing.assert_allclose(c, TF.softmax(torch.tensor(x.numpy()), 0).numpy(), rtol=1e-12, atol=1e-15)


def test_one_hot():
    t = gg.tensor([[0, 3], [2, 1]])
    out = GF.one_hot(t)
    assert out.dtype == gg.int64 and tuple(out.shape) == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy(), TF.one_hot(torch.tensor([[0, 3], [2, 1]])).numpy())
    assert tuple(GF.one_hot(gg.tensor([1]), 6).shape) == (1, 6)
    assert tuple(GF.one_hot(gg.zeros(0, dtype=gg.int64), 3).shape) == (0, 3)


# ---------------------------------------------------------------- errors
ERRORS = [
    (lambda F, t: F.one_hot(t(np.array([1, 5])), 3), RuntimeError, "smaller than num_classes"),
    (lambda F, t: F.one_hot(t(np.array([-1, 0]))), RuntimeError, "non-negative"),
    (lambda F, t: F.one_hot(t(np.array([1.0]))), RuntimeError, "LongTensor"),
    (lambda F, t: F.one_hot(t(np.zeros(0, dtype=np.int64))), RuntimeError, "empty tensor"),
    (lambda F, t: F.nll_loss(t(X), t(np.array([0, 5, 1]))), IndexError, "out of bounds"),
    (lambda F, t: F.cross_entropy(t(X), t(np.array([0, -3, 1]))), IndexError, "out of bounds"),
    (lambda F, t: F.nll_loss(t(X), t(np.array([0, 1]))), ValueError, "batch_size"),
    (lambda F, t: F.nll_loss(t(X), t(np.array([0.0, 1.0, 1.0]))), RuntimeError, "Long"),
    (lambda F, t: F.nll_loss(t(X), t(T), weight=t(np.ones(4))), RuntimeError, "weight tensor should be defined"),
    (lambda F, t: F.cross_entropy(t(X), t(T), label_smoothing=1.5), RuntimeError, "label_smoothing"),
    (lambda F, t: F.layer_norm(t(X), (4,)), RuntimeError, "normalized_shape"),
    (lambda F, t: F.layer_norm(t(X), (5,), t(np.ones(4))), RuntimeError, "weight"),
    (lambda F, t: F.group_norm(t(X4), 2), RuntimeError, "divisible by num_groups"),
    (lambda F, t: F.group_norm(t(X4), 3, t(np.ones(2))), RuntimeError, "weight"),
    (lambda F, t: F.embedding(t(np.array([0, 6])), t(E)), IndexError, "index out of range in self"),
    (lambda F, t: F.embedding(t(np.array([0.0, 1.0])), t(E)), RuntimeError, "indices"),
    (lambda F, t: F.binary_cross_entropy(t(X), t(Q)), RuntimeError, "between 0 and 1"),
    (lambda F, t: F.binary_cross_entropy(t(P), t(Q[:, :4])), ValueError, "target size"),
    (lambda F, t: F.huber_loss(t(X), t(Y), delta=0.0), RuntimeError, "delta"),
    (lambda F, t: F.smooth_l1_loss(t(X), t(Y), beta=-1.0), RuntimeError, "beta"),
    (lambda F, t: F.dropout(t(X), p=1.5), ValueError, "dropout probability"),
    (lambda F, t: F.batch_norm(t(X[:1]), None, None, training=True), ValueError, "more than 1 value per channel"),
    (lambda F, t: F.softmax(t(X), 2), IndexError, "Dimension out of range"),
    (lambda F, t: F.nll_loss(t(X), t(T), reduction="avg"), ValueError, "is not a valid value for reduction"),
]


@pytest.mark.parametrize("fn,exc,words", ERRORS, ids=[e[2] for e in ERRORS])
def test_error_inputs_match_torch(fn, exc, words):
    with pytest.raises(exc, match=words):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(GF, lambda a: gg.tensor(a))
    with pytest.raises(exc):  # PyTorch raises the same type
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(TF, lambda a: torch.tensor(a))


def test_error_messages_name_op_and_shapes():
    with pytest.raises(IndexError, match=r"nll_loss.*\(3, 5\)"):
        GF.nll_loss(gg.tensor(X), gg.tensor(np.array([0, 5, 1])))
    with pytest.raises(IndexError, match=r"embedding.*\(6, 3\)"):
        GF.embedding(gg.tensor(np.array([7])), gg.tensor(E))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\], expected input with shape \[\*, 4\], but got "
                                           r"input of size\[3, 5\] \[layer_norm\]"):
        GF.layer_norm(gg.tensor(X), (4,))


# ---------------------------------------------------------------- zero-size dims
def test_zero_size_dims():
    for f in (lambda x: GF.softmax(x, 1), lambda x: GF.log_softmax(x, 0), lambda x: GF.layer_norm(x, (5,))):
        x = gg.zeros(0, 5, requires_grad=True)
        out = f(x)
        assert tuple(out.shape) == (0, 5)
        out.sum().backward()
        assert tuple(x.grad.shape) == (0, 5)
    e = gg.tensor(E, requires_grad=True)
    out = GF.embedding(gg.zeros(0, dtype=gg.int64), e)
    assert tuple(out.shape) == (0, 3)
    out.sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), np.zeros((6, 3)))
    x = gg.zeros(0, 5, requires_grad=True)
    s = GF.cross_entropy(x, gg.zeros(0, dtype=gg.int64), reduction="sum")
    assert s.item() == 0.0
    assert np.isnan(GF.cross_entropy(x, gg.zeros(0, dtype=gg.int64)).item())
    assert tuple(GF.cross_entropy(x, gg.zeros(0, dtype=gg.int64), reduction="none").shape) == (0,)
    assert tuple(GF.one_hot(gg.zeros(0, 2, dtype=gg.int64), 3).shape) == (0, 2, 3)
    assert GF.huber_loss(gg.zeros(0), gg.zeros(0), reduction="sum").item() == 0.0


def test_all_ignored_mean_is_nan_like_torch():
    t = np.array([-100, -100, -100])
    a = GF.cross_entropy(gg.tensor(X), gg.tensor(t)).item()
    b = TF.cross_entropy(torch.tensor(X), torch.tensor(t)).item()
    assert np.isnan(a) and np.isnan(b)


# ---------------------------------------------------------------- dropout
def test_dropout_train_eval_and_seed():
    x = gg.ones(1000, 10, requires_grad=True)
    assert GF.dropout(x, 0.5, training=False) is x
    assert GF.dropout(x, 0.0) is x
    gg.manual_seed(7)
    a = GF.dropout(x, 0.3)
    gg.manual_seed(7)
    b = GF.dropout(x, 0.3)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    vals = np.unique(a.detach().numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
    kept = (a.detach().numpy() > 0).mean()
    assert 0.65 < kept < 0.75
    assert type(a.grad_fn).__name__ == type(TF.dropout(torch.ones(2, requires_grad=True), 0.3).grad_fn).__name__
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a.detach().numpy(), rtol=1e-6)
    z = GF.dropout(x, 1.0)
    assert np.all(z.detach().numpy() == 0)
    m = gnn.Dropout(0.5)
    y = gg.ones(4, 4)
    m.eval()
    assert m(y) is y
    m.train()
    assert not np.all(m(y).numpy() == 1)


# ---------------------------------------------------------------- modules
def test_modules_match_torch():
    x = torch.tensor(X, requires_grad=True)
    gx = gg.tensor(X, requires_grad=True)
    pairs = [
        (torch.nn.CrossEntropyLoss(label_smoothing=0.1), gnn.CrossEntropyLoss(label_smoothing=0.1), True),
        (torch.nn.CrossEntropyLoss(weight=torch.tensor(W5), reduction="sum"),
         gnn.CrossEntropyLoss(weight=gg.tensor(W5), reduction="sum"), True),
        (torch.nn.NLLLoss(ignore_index=4), gnn.NLLLoss(ignore_index=4), True),
        (torch.nn.L1Loss(), gnn.L1Loss(), False),
        (torch.nn.SmoothL1Loss(beta=0.5), gnn.SmoothL1Loss(beta=0.5), False),
        (torch.nn.HuberLoss(delta=0.5), gnn.HuberLoss(delta=0.5), False),
        (torch.nn.KLDivLoss(reduction="batchmean", log_target=True),
         gnn.KLDivLoss(reduction="batchmean", log_target=True), False),
    ]
    for tm, gm, index_target in pairs:
        if index_target:
            a, b = tm(x, torch.tensor(T)), gm(gx, gg.tensor(T))
        else:
            a, b = tm(x, torch.tensor(Y)), gm(gx, gg.tensor(Y))
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10)
        assert _fn_name(a) == _fn_name(b)
    p = torch.tensor(P, requires_grad=True)
    np.testing.assert_allclose(gnn.BCELoss()(gg.tensor(P), gg.tensor(Q)).numpy(),
                               torch.nn.BCELoss()(p, torch.tensor(Q)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(gnn.Softmax(dim=1)(gx).detach().numpy(), torch.nn.Softmax(dim=1)(x).detach().numpy())
    np.testing.assert_allclose(gnn.LogSoftmax(dim=0)(gx).detach().numpy(),
                               torch.nn.LogSoftmax(dim=0)(x).detach().numpy())
    np.testing.assert_allclose(gnn.CosineSimilarity()(gx, gx * 2).detach().numpy(), np.ones(3), rtol=1e-12)
    assert "weight" in dict(gnn.CrossEntropyLoss(weight=gg.tensor(W5)).named_buffers())


def test_layer_norm_module():
    m = gnn.LayerNorm(5)
    assert tuple(m.weight.shape) == (5,) and np.all(_np(m.weight) == 1) and np.all(_np(m.bias) == 0)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    x32 = X.astype(np.float32)
    out = m(gg.tensor(x32))
    np.testing.assert_allclose(out.detach().numpy(), TF.layer_norm(torch.tensor(x32), (5,)).numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="mixed dtype"):
        m(gg.tensor(X))
    assert type(out.grad_fn).__name__ == "NativeLayerNormBackward0"
    assert gnn.LayerNorm((3, 4), elementwise_affine=False).weight is None
    assert gnn.LayerNorm(4, bias=False).bias is None


def test_group_norm_module():
    m, tm = gnn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    out = m(gg.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert type(out.grad_fn).__name__ == "NativeGroupNormBackward0"
    with pytest.raises(ValueError, match="divisible"):
        gnn.GroupNorm(3, 4)


def test_embedding_module():
    gg.manual_seed(0)
    m = gnn.Embedding(10, 3, padding_idx=1)
    assert tuple(m.weight.shape) == (10, 3) and m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.detach().numpy()[1], 0)
    out = m(gg.tensor([[1, 2], [3, 1]]))
    assert tuple(out.shape) == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy()[1], 0)
    np.testing.assert_array_equal(m.weight.grad.numpy()[2], 1)
    p = gnn.Embedding.from_pretrained(gg.tensor(E))
    assert not p.weight.requires_grad
    np.testing.assert_array_equal(p(gg.tensor([4])).numpy(), E[[4]])


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 2, 2))])
def test_batch_norm_module_matches_torch(cls, shape):
    tm, gm = getattr(torch.nn, cls)(3, momentum=0.2), getattr(gnn, cls)(3, momentum=0.2)
    assert sorted(n for n, _ in gm.named_buffers()) == sorted(n for n, _ in tm.named_buffers())
    for step in range(3):
        x = rng.standard_normal(shape)
        a = tm(torch.tensor(x, dtype=torch.float32))
        b = gm(gg.tensor(x.astype(np.float32)))
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-4, atol=1e-5)
        assert type(b.grad_fn).__name__ == type(a.grad_fn).__name__
    np.testing.assert_allclose(gm.running_mean.numpy(), tm.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gm.running_var.numpy(), tm.running_var.numpy(), rtol=1e-5, atol=1e-6)
    assert gm.num_batches_tracked.item() == tm.num_batches_tracked.item() == 3
    tm.eval()
    gm.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(gm(gg.tensor(x.astype(np.float32))).detach().numpy(),
                               tm(torch.tensor(x, dtype=torch.float32)).detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gm.running_mean.numpy(), tm.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="expected"):
        gm(gg.zeros(2, 3, 1, 1, 1))


def test_batch_norm_momentum_none_cumulative_average():
    tm, gm = torch.nn.BatchNorm1d(2, momentum=None), gnn.BatchNorm1d(2, momentum=None)
    for _ in range(3):
        x = rng.standard_normal((5, 2))
        tm(torch.tensor(x, dtype=torch.float32))
        gm(gg.tensor(x.astype(np.float32)))
    np.testing.assert_allclose(gm.running_mean.numpy(), tm.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gm.running_var.numpy(), tm.running_var.numpy(), rtol=1e-5, atol=1e-6)


def test_training_loop_with_cross_entropy_decreases_loss():
    gg.manual_seed(0)
    model = gnn.Sequential(gnn.Linear(4, 16), gnn.LayerNorm(16), gnn.ReLU(), gnn.Dropout(0.1), gnn.Linear(16, 3))
    x = gg.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = gg.tensor(rng.integers(0, 3, 32))
    lossf = gnn.CrossEntropyLoss()
    from gradgate.optim import SGD
    opt = SGD(model.parameters(), lr=0.1)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first


def test_float32_softmax_accuracy_and_special_values():
    """float32 softmax uses a vectorized exp (kernels/functors.h exp_fast): check it over a wide range."""
    x = np.linspace(-90, 10, 4001).astype(np.float32).reshape(1, -1)
    ref = np.exp(x.astype(np.float64) - x.max())
    ref /= ref.sum()
    got = GF.softmax(gg.tensor(x), 1).numpy()
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-30)
    lref = x.astype(np.float64) - x.max() - np.log(np.exp(x.astype(np.float64) - x.max()).sum())
    np.testing.assert_allclose(GF.log_softmax(gg.tensor(x), 1).numpy(), lref, rtol=1e-6, atol=1e-5)
    special = np.array([[1.0, np.nan, 2.0], [np.nan] * 3, [0.0, -np.inf, 1.0]], dtype=np.float32)
    for f, tf in ((GF.softmax, TF.softmax), (GF.log_softmax, TF.log_softmax)):
        np.testing.assert_array_equal(np.isnan(f(gg.tensor(special), 1).numpy()),
                                      np.isnan(tf(torch.tensor(special), 1).numpy()))
    np.testing.assert_allclose(GF.softmax(gg.tensor(special[2:]), 1).numpy(),
                               TF.softmax(torch.tensor(special[2:]), 1).numpy(), rtol=1e-6)


def test_linear_bias_is_optional_and_keyword():
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    want = TF.linear(torch.tensor(x), torch.tensor(w)).numpy()
    np.testing.assert_allclose(GF.linear(gg.tensor(x), gg.tensor(w)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(GF.linear(input=gg.tensor(x), weight=gg.tensor(w), bias=gg.tensor(b)).numpy(),
                               TF.linear(torch.tensor(x), torch.tensor(w), bias=torch.tensor(b)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_loss_size_warning_points_at_the_caller(loss):
    with pytest.warns(UserWarning, match="target size") as record:
        getattr(gg.nn.functional, loss)(gg.rand(3, 4), gg.rand(4))
    assert record[0].filename == __file__


def test_kl_div_mean_warning_points_at_the_caller():
    with pytest.warns(UserWarning, match="batchmean") as record:
        gg.nn.functional.kl_div(gg.rand(3, 4), gg.rand(3, 4))
    assert record[0].filename == __file__
