"""linalg extras against PyTorch: outer, baddbmm, einsum, F.pad, F.scaled_dot_product_attention,
F.bilinear — values, grads, grad_fn names, error types/messages and zero-size dims."""
import numpy as np
import pytest
import torch

import gradgate as gg
import gradgate.nn.functional as F

rng = np.random.default_rng(0)


def pair(*shapes, dtype=np.float64, grad=True):
    arrs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    g = [gg.tensor(a, requires_grad=grad) for a in arrs]
    t = [torch.tensor(a, requires_grad=grad) for a in arrs]
    return g, t


def check(gfn, tfn, shapes, grad_fn=None, atol=1e-10):
    g, t = pair(*shapes)
    go, to = gfn(*g), tfn(*t)
    assert tuple(go.shape) == tuple(to.shape)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), atol=atol, rtol=1e-9)
    if grad_fn is not None:
        assert type(go.grad_fn).__name__ == grad_fn == type(to.grad_fn).__name__
    w = rng.standard_normal(tuple(to.shape))
    (go * gg.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for a, b in zip(g, t):
        if b.grad is None:
            assert a.grad is None
        else:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=1e-9)
    return go, to


# ---- outer / baddbmm ----
def test_outer_vs_torch():
    check(gg.outer, torch.outer, [(4,), (3,)], grad_fn="MulBackward0")
    check(lambda a, b: a.outer(b), lambda a, b: a.outer(b), [(1,), (5,)])
    check(gg.ger, torch.ger, [(2,), (3,)])


def test_outer_next_functions():
    g, t = pair((3,), (4,))
    go, to = gg.outer(*g), torch.outer(*t)
    assert [type(n).__name__ for n, _ in go.grad_fn.next_functions] == \
        [type(n).__name__ for n, _ in to.grad_fn.next_functions]


def test_outer_errors_and_empty():
    with pytest.raises(RuntimeError, match=r"outer.*1-D.*2-D"):
        gg.outer(gg.zeros(2, 2), gg.zeros(3))
    with pytest.raises(RuntimeError, match=r"outer.*vec2.*0-D"):
        gg.outer(gg.zeros(2), gg.tensor(1.0))
    assert tuple(gg.outer(gg.zeros(0), gg.zeros(3)).shape) == (0, 3)


@pytest.mark.parametrize("beta,alpha", [(1.0, 1.0), (0.5, 2.0), (0.0, 1.0), (2.0, 0.0)])
def test_baddbmm_vs_torch(beta, alpha):
    f = (lambda m: lambda s, a, b: m.baddbmm(s, a, b, beta=beta, alpha=alpha))
    check(f(gg), f(torch), [(2, 3, 5), (2, 3, 4), (2, 4, 5)], grad_fn="BaddbmmBackward0")
    check(f(gg), f(torch), [(5,), (2, 3, 4), (2, 4, 5)], grad_fn="BaddbmmBackward0")
    check(f(gg), f(torch), [(1, 3, 1), (2, 3, 4), (2, 4, 5)], grad_fn="BaddbmmBackward0")


def test_baddbmm_method_and_next_functions():
    g, t = pair((2, 3, 5), (2, 3, 4), (2, 4, 5))
    go, to = g[0].baddbmm(g[1], g[2], alpha=3), t[0].baddbmm(t[1], t[2], alpha=3)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    assert len(go.grad_fn.next_functions) == len(to.grad_fn.next_functions) == 3


def test_baddbmm_beta0_ignores_nan():
    s = gg.full((2, 3, 5), float("nan"))
    a, b = gg.ones(2, 3, 4), gg.ones(2, 4, 5)
    assert not np.isnan(gg.baddbmm(s, a, b, beta=0).numpy()).any()


def test_baddbmm_errors():
    with pytest.raises(RuntimeError, match=r"batch1 must be a 3D tensor.*baddbmm"):
        gg.baddbmm(gg.zeros(3, 5), gg.zeros(3, 4), gg.zeros(2, 4, 5))
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2"):
        gg.baddbmm(gg.zeros(2, 3, 5), gg.zeros(2, 3, 4), gg.zeros(2, 5, 5))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(7\).*baddbmm.*\(7,\)"):
        gg.baddbmm(gg.zeros(7), gg.zeros(2, 3, 4), gg.zeros(2, 4, 5))
    with pytest.raises(RuntimeError, match=r"baddbmm.*dtype"):
        gg.baddbmm(gg.zeros(2, 3, 5, dtype=gg.float64), gg.zeros(2, 3, 4), gg.zeros(2, 4, 5))


def test_baddbmm_zero_size():
    out = gg.baddbmm(gg.ones(2, 3, 5), gg.zeros(2, 3, 0), gg.zeros(2, 0, 5))
    np.testing.assert_array_equal(out.numpy(), np.ones((2, 3, 5)))
    assert tuple(gg.baddbmm(gg.zeros(0, 3, 5), gg.zeros(0, 3, 4), gg.zeros(0, 4, 5)).shape) == (0, 3, 5)


# ---- einsum ----
EQS = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("bi,ij->bj", [(3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ba,cb", [(3, 4), (2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,)] * 2),
    ("ij->", [(3, 4)]),
    ("ijk->kj", [(2, 3, 4)]),
    ("bi,oij,bj->bo", [(3, 4), (2, 4, 5), (3, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
    ("ij,kl->ijkl", [(2, 3), (4, 1)]),
    ("ijx,jy->iy", [(2, 3, 4), (3, 5)]),
    ("i,i->i", [(5,)] * 2),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("bii->bi", [(2, 3, 3)]),
    ("iij,j->i", [(3, 3, 4), (4,)]),
    ("ij,ji->", [(3, 4), (4, 3)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ij,...jk", [(3, 4), (2, 4, 5)]),
    ("bn...,bn...->b...", [(2, 3, 4), (2, 3, 4)]),
    ("...->", [(2, 3)]),
    ("i...->i", [(2, 3, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("b...d,...d", [(2, 3, 4), (4,)]),
    ("ij,jk->ik", [(3, 1), (4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 1, 4, 5), (2, 3, 6, 5)]),
]


@pytest.mark.parametrize("eq,shapes", EQS, ids=[e for e, _ in EQS])
def test_einsum_vs_torch(eq, shapes):
    check(lambda *a: gg.einsum(eq, *a), lambda *a: torch.einsum(eq, *a), shapes)


@pytest.mark.parametrize("eq,shapes,name", [("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], "ViewBackward0"),
                                            ("ij->ji", [(3, 4)], "PermuteBackward0"),
                                            ("bi,ij->bj", [(3, 4), (4, 5)], "ViewBackward0")])
def test_einsum_grad_fn_names(eq, shapes, name):
    check(lambda *a: gg.einsum(eq, *a), lambda *a: torch.einsum(eq, *a), shapes, grad_fn=name)


def test_einsum_list_operands_and_gradgrad():
    a = gg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = gg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gg.autograd.gradcheck(lambda x, y: gg.einsum("ij,jk->ik", [x, y]), (a, b))
    assert gg.autograd.gradgradcheck(lambda x, y: gg.einsum("ij,jk->ik", x, y), (a, b))


def test_einsum_errors():
    a = gg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"einsum.*subscript i has size 3.*size 2"):
        gg.einsum("ii->i", a)
    with pytest.raises(RuntimeError, match=r"einsum.*'\.' for operand that is not part of any ellipsis"):
        gg.einsum("..ij->ji", a)
    with pytest.raises(RuntimeError, match=r"einsum.*subscripts.*\(3\) is more than.*\(2\)"):
        gg.einsum("...ijk->i", a)
    with pytest.raises(RuntimeError, match=r"einsum.*number of subscripts.*\(3\).*\(2\)"):
        gg.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match=r"einsum.*subscript j has size 4.*size 3"):
        gg.einsum("ij,jk->ik", a, gg.zeros(4, 5))
    with pytest.raises(RuntimeError, match=r"einsum.*fewer operands"):
        gg.einsum("ij,jk->ik", a)
    with pytest.raises(RuntimeError, match=r"einsum.*more operands"):
        gg.einsum("ij->ji", a, a)
    with pytest.raises(RuntimeError, match=r"einsum.*output subscript z"):
        gg.einsum("ij->iz", a)
    with pytest.raises(RuntimeError, match=r"einsum.*subscripts must be in \[a-zA-Z\]"):
        gg.einsum("i1->i", a)
    with pytest.raises(TypeError, match=r"einsum"):
        gg.einsum("ij->ji", np.zeros((2, 3)))


def test_einsum_zero_size():
    out = gg.einsum("ij,jk->ik", gg.zeros(2, 0), gg.zeros(0, 3))
    np.testing.assert_array_equal(out.numpy(), np.zeros((2, 3)))
    assert tuple(gg.einsum("bij,bjk->bik", gg.zeros(0, 2, 3), gg.zeros(0, 3, 4)).shape) == (0, 2, 4)


# ---- pad ----
PADS = [((2, 3), (1, 2)), ((2, 3, 4), (1, 2, 0, 1)), ((2, 3, 4), (1, 1, 2, 2, 3, 3)), ((3, 4), (-1, 2)),
        ((3, 4), (0, 0)), ((2, 3, 4), (-1, -1, 1, -2)), ((5,), (0, 3))]


@pytest.mark.parametrize("shape,p", PADS)
def test_pad_vs_torch(shape, p):
    check(lambda a: F.pad(a, p, value=1.5), lambda a: torch.nn.functional.pad(a, p, value=1.5), [shape],
          grad_fn="ConstantPadNdBackward0")
    check(lambda a: F.pad(a, p), lambda a: torch.nn.functional.pad(a, p), [shape])
    check(lambda a: gg.constant_pad_nd(a, p, 2), lambda a: torch.constant_pad_nd(a, p, 2), [shape])


MODE_PADS = [((2, 3), (1, 1)), ((2, 3), (2, 0)), ((1, 2, 3), (1, 1, 1, 1)), ((1, 2, 3, 4), (1, 2, 2, 1, 1, 0)),
             ((2, 4), (-1, 2)), ((2, 5, 4), (2, 3)), ((2, 3), (0, 0))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,p", MODE_PADS)
def test_pad_modes_vs_torch(mode, shape, p):
    check(lambda a: F.pad(a, p, mode=mode), lambda a: torch.nn.functional.pad(a, p, mode=mode), [shape])


def test_pad_errors_and_zero_size():
    with pytest.raises(RuntimeError, match=r"Padding length must be divisible by 2"):
        F.pad(gg.zeros(2, 3), (1,))
    with pytest.raises(RuntimeError, match=r"Padding length should be less than or equal to two times.*\[2, 3\]"):
        F.pad(gg.zeros(2, 3), (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"length must be non-negative.*constant_pad_nd.*\(2, 3\)"):
        F.pad(gg.zeros(2, 3), (-2, -2))
    with pytest.raises(RuntimeError, match=r"length must be non-negative.*constant_pad_nd"):
        F.pad(gg.zeros(2, 3), (-4, 2))
    with pytest.raises(RuntimeError, match=r"divisible by 2.*constant_pad_nd"):
        gg.constant_pad_nd(gg.zeros(2, 3), (1,))
    with pytest.raises(RuntimeError, match=r"two times the input dimension.*constant_pad_nd"):
        gg.constant_pad_nd(gg.zeros(2, 3), (1, 1, 1, 1, 1, 1))
    with pytest.raises(NotImplementedError, match=r"Padding size 2 is not supported for 1D input"):
        F.pad(gg.zeros(3), (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match=r"Padding size 4 is not supported for 2D input"):
        F.pad(gg.zeros(2, 3), (1, 1, 1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match=r"Padding size should be less than the corresponding input dimension.*"
                       r"\(3, 1\).*\[2, 3\]"):
        F.pad(gg.zeros(2, 3), (3, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match=r"Unrecognised padding mode"):
        F.pad(gg.zeros(2, 3), (1, 1), mode="wrap")
    out = F.pad(gg.zeros(0, 3), (1, 1))
    assert tuple(out.shape) == tuple(torch.nn.functional.pad(torch.zeros(0, 3), (1, 1)).shape)
    np.testing.assert_array_equal(F.pad(gg.zeros(2, 0), (1, 1), value=2).numpy(),
                                  torch.nn.functional.pad(torch.zeros(2, 0), (1, 1), value=2).numpy())


def test_pad_int_dtype():
    a = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(F.pad(gg.tensor(a), (1, 1), value=7).numpy(),
                                  torch.nn.functional.pad(torch.tensor(a), (1, 1), value=7).numpy())
    assert F.pad(gg.tensor(a), (1, 1)).dtype == gg.int64
    np.testing.assert_array_equal(F.pad(gg.tensor(a), (1, 1), value=1.7).numpy(),
                                  torch.nn.functional.pad(torch.tensor(a), (1, 1), value=1.7).numpy())
    b = np.array([True, False])
    np.testing.assert_array_equal(F.pad(gg.tensor(b), (1, 0), value=True).numpy(),
                                  torch.nn.functional.pad(torch.tensor(b), (1, 0), value=True).numpy())


def test_pad_gradgrad():
    a = gg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gg.autograd.gradgradcheck(lambda x: F.pad(x, (1, -1, 2, 0), value=3.0), (a,))


# ---- scaled_dot_product_attention ----
def _sdpa(m, **kw):
    return lambda q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"is_causal": True, "scale": 2.0}])
def test_sdpa_vs_torch(kw):
    check(_sdpa(gg, **kw), _sdpa(torch, **kw), [(2, 3, 4, 5), (2, 3, 4, 5), (2, 3, 4, 6)], atol=1e-9)
    check(_sdpa(gg, **kw), _sdpa(torch, **kw), [(4, 5), (6, 5), (6, 2)], atol=1e-9)


def test_sdpa_grad_fn_name():
    check(_sdpa(gg), _sdpa(torch), [(2, 3, 4, 5), (2, 3, 4, 5), (2, 3, 4, 6)], grad_fn="UnsafeViewBackward0", atol=1e-9)


def test_sdpa_masks_vs_torch():
    mb = rng.random((3, 6)) > 0.3
    mb[:, 0] = True
    mf = rng.standard_normal((3, 6))
    for m_np in (mb, mf):
        check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(m_np)),
              lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(m_np)),
              [(2, 3, 5), (2, 6, 5), (2, 6, 4)], atol=1e-9)


def test_sdpa_fully_masked_row_is_zero():
    m = np.ones((3, 6), bool)
    m[1] = False
    g, t = check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(m)),
                 lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(m)),
                 [(2, 3, 5), (2, 6, 5), (2, 6, 4)], atol=1e-9)
    np.testing.assert_array_equal(g.detach().numpy()[:, 1], 0)


def test_sdpa_gqa_vs_torch():
    check(_sdpa(gg, enable_gqa=True), _sdpa(torch, enable_gqa=True), [(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 4)],
          atol=1e-9)
    check(_sdpa(gg, enable_gqa=True, is_causal=True), _sdpa(torch, enable_gqa=True, is_causal=True),
          [(6, 3, 5), (2, 3, 5), (2, 3, 4)], atol=1e-9)
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention.*heads.*\[2, 3, 6, 5\]"):
        F.scaled_dot_product_attention(gg.zeros(2, 4, 3, 5), gg.zeros(2, 3, 6, 5), gg.zeros(2, 3, 6, 5),
                                       enable_gqa=True)


def test_sdpa_dropout():
    q = gg.ones(2, 3, 4)
    gg.manual_seed(0)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert tuple(out.shape) == (2, 3, 4)
    vals = set(np.round(out.numpy().ravel().astype(np.float64), 4))
    assert vals <= {0.0, 0.6667, 1.3333, 2.0}  # (kept count / 3) * 2
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).numpy(), 0)


def test_sdpa_errors():
    q = gg.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=gg.ones(3, 3, dtype=gg.bool), is_causal=True)
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention.*embedding dim.*\[2, 3, 5\]"):
        F.scaled_dot_product_attention(q, gg.zeros(2, 3, 5), q)
    with pytest.raises(RuntimeError, match=r"same dtype"):
        F.scaled_dot_product_attention(q, q, gg.zeros(2, 3, 4, dtype=gg.float64))


# ---- bilinear ----
def test_bilinear_functional_vs_torch():
    check(F.bilinear, torch.nn.functional.bilinear, [(3, 4), (3, 5), (2, 4, 5), (2,)])
    check(F.bilinear, torch.nn.functional.bilinear, [(2, 3, 4), (2, 3, 5), (6, 4, 5)])
    check(gg.bilinear, torch.bilinear, [(3, 4), (3, 5), (2, 4, 5), (2,)])
    with pytest.raises(RuntimeError, match=r"bilinear"):
        F.bilinear(gg.zeros(3, 4), gg.zeros(2, 5), gg.zeros(2, 4, 5))


@pytest.mark.parametrize("op", ["linear", "mm_t", "addmm_t", "mm_t_first"])
def test_transposed_operand_gradients_keep_their_layout(op):
    """Gradients for a transposed (column-major) operand are computed in its layout, so nn.Linear's
    weight gradient arrives contiguous (Note [Gradient layout of a transposed operand]); values and
    double backward as PyTorch."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    got = []
    for L in (gg, torch):
        X, W, B = (L.tensor(v, requires_grad=True) for v in (x, w, b))
        y = {"linear": lambda: L.nn.functional.linear(X, W, B), "mm_t": lambda: X.mm(W.t()),
             "addmm_t": lambda: L.addmm(B, X, W.t()), "mm_t_first": lambda: W.t().t().mm(X.t())}[op]()
        gx, gw = L.autograd.grad((y * y).sum(), (X, W), create_graph=True)
        (gx.pow(2).sum() + gw.sum()).backward()
        assert W.grad.is_contiguous() and gw.is_contiguous()
        got.append([t.detach().numpy() for t in (gx, gw, X.grad, W.grad)])
    for u, v in zip(*got):
        np.testing.assert_allclose(u, v, rtol=1e-10)
