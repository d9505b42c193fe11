"""conv family beyond the op table: differential checks against PyTorch (values, gradients,
grad_fn names and next_functions), error inputs, zero-size dims, and nn.Conv1d / nn.Conv2d."""
import math

import numpy as np
import pytest

import gradgate as gg
import gradgate.nn as gnn
import gradgate.nn.functional as GF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from tests.test_vs_torch import run_both  # noqa: E402

rng = np.random.default_rng(4321)


def _fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _next_names(t):
    return [None if f is None else type(f).__name__ for f, _ in t.grad_fn.next_functions]


def _pair(arrs, dtype="float64"):
    g = [gg.tensor(a.astype(dtype), requires_grad=True) for a in arrs]
    t = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrs]
    return g, t


CONV2D_CASES = [
    # (x shape, w shape, bias, kwargs)
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), False, dict(stride=2, padding=1)),
    ((1, 4, 8, 9), (6, 2, 3, 3), True, dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    ((2, 6, 5, 5), (6, 1, 3, 3), True, dict(padding=1, groups=6)),  # depthwise
    ((3, 2, 5, 5), (3, 2, 1, 1), True, {}),
    ((1, 2, 5, 6), (3, 2, 3, 2), True, dict(padding="same")),
    ((1, 2, 5, 6), (3, 2, 2, 4), True, dict(padding="same", dilation=(1, 2))),
    ((1, 2, 5, 6), (3, 2, 3, 2), True, dict(padding="valid")),
    ((3, 7, 6), (4, 3, 3, 3), True, dict(padding=1)),  # unbatched
]


@pytest.mark.parametrize("xs,ws,bias,kw", CONV2D_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_matches_torch(xs, ws, bias, kw, dtype):
    arrs = [rng.standard_normal(xs), rng.standard_normal(ws)] + ([rng.standard_normal(ws[0])] if bias else [])
    g, t = _pair(arrs, dtype)
    gout = GF.conv2d(*g, **kw) if bias else GF.conv2d(g[0], g[1], **kw)
    tout = TF.conv2d(*t, **kw) if bias else TF.conv2d(t[0], t[1], **kw)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert tuple(gout.shape) == tuple(tout.shape)
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    assert _fn_name(gout) == _fn_name(tout)
    if kw.get("padding") != "same":  # (PyTorch pads odd 'same' with constant_pad_nd; we use cat)
        assert _next_names(gout) == _next_names(tout)
    go = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    gout.backward(gg.tensor(go))
    tout.backward(torch.tensor(go))
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 4, 9), (6, 2, 2), dict(stride=2, padding=1, dilation=2, groups=2)),
    ((4, 9), (2, 4, 3), dict(padding="same")),  # unbatched
])
def test_conv1d_matches_torch(xs, ws, kw):
    g, t = _pair([rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])])
    gout, tout = gg.conv1d(*g, **kw), torch.conv1d(*t, **kw)
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-10)
    assert _fn_name(gout) == _fn_name(tout)
    gout.sum().backward()
    tout.sum().backward()
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_conv2d_partial_requires_grad_and_gradcheck():
    x = gg.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = gg.tensor(rng.standard_normal((2, 1, 2, 2)))
    out = gg.conv2d(x, w, groups=2, stride=2)
    tout = torch.conv2d(torch.tensor(x.detach().numpy(), requires_grad=True), torch.tensor(w.numpy()),
                        groups=2, stride=2)
    assert _next_names(out) == _next_names(tout)
    out.sum().backward()
    assert w.grad is None and x.grad is not None
    b = gg.tensor(rng.standard_normal(2), requires_grad=True)
    w.requires_grad_(True)
    assert gg.autograd.gradcheck(lambda x, w, b: GF.conv2d(x, w, b, padding=1, dilation=(1, 2), groups=2),
                                 (x, w, b))


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv2d", (2, 4, 5, 6), (4, 2, 3, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ("conv1d", (2, 3, 7), (2, 3, 3), dict(padding=1, stride=2)),
    # transposed: the recorded VJP is conv2d (for x) and unfold + matmul (for w); output_padding >= stride crops / pads
    ("conv_transpose2d", (2, 4, 3, 4), (4, 1, 3, 2), dict(stride=(2, 1), padding=1, output_padding=(1, 0), groups=2)),
    ("conv_transpose2d", (1, 2, 3, 3), (2, 3, 2, 2), dict(dilation=(2, 3), output_padding=1)),
    ("conv_transpose1d", (2, 3, 5), (3, 2, 3), dict(stride=2, output_padding=1)),
])
def test_conv_double_backward_matches_torch(name, xs, ws, kw):
    # d/d(x, w) of a gradient penalty: the conv VJP is recorded (unfold/fold + matmul) under create_graph
    out_ch = ws[1] * kw.get("groups", 1) if "transpose" in name else ws[0]
    g, t = _pair([rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(out_ch)])
    outs = []
    for (x, w, b), lib in ((g, gg), (t, torch)):
        y = getattr(lib.nn.functional, name)(x, w, b, **kw)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        ((gx * gx).sum() + (gw ** 3).sum()).backward()
        outs.append([v.detach().numpy() for v in (gx, gw, x.grad, w.grad, b.grad)])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("fn", [lambda x, w, b: GF.conv2d(x, w, b, padding=1, groups=2),
                                lambda x, w, b: GF.conv_transpose2d(x, w, b, stride=2, output_padding=1, groups=2)])
def test_conv_gradgradcheck(fn):
    x, w, b = (gg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((1, 2, 3, 3), (2, 1, 2, 2), (2,)))
    assert gg.autograd.gradgradcheck(fn, (x, w, b))


def test_conv2d_zero_size():
    x = gg.zeros(0, 3, 5, 5, requires_grad=True)
    w = gg.ones(2, 3, 3, 3, requires_grad=True)
    b = gg.ones(2, requires_grad=True)
    out = GF.conv2d(x, w, b)
    assert tuple(out.shape) == (0, 2, 3, 3)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 5, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((2, 3, 3, 3)))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(2))
    # zero output channels: an error, as in PyTorch
    with pytest.raises(RuntimeError, match=r"at least 1 at dimension 0.*\[0, 3, 3, 3\]"):
        GF.conv2d(gg.ones(1, 3, 4, 4), gg.ones(0, 3, 3, 3))


@pytest.mark.parametrize("args,kw,exc,words", [
    (((2, 3), (4, 3, 3, 3)), {}, RuntimeError, ["conv2d", "[2, 3]"]),
    (((1, 5, 8, 8), (4, 3, 3, 3)), {}, RuntimeError, ["groups=1", "[4, 3, 3, 3]", "[1, 5, 8, 8]", "channels"]),
    (((1, 3, 2, 2), (4, 3, 3, 3)), {}, RuntimeError, ["Kernel size can't be greater", "conv2d"]),
    (((1, 4, 5, 5), (3, 2, 3, 3)), dict(groups=2), RuntimeError, ["divisible", "[3, 2, 3, 3]"]),
    (((1, 3, 5, 5), (4, 3, 3, 3)), dict(stride=0), RuntimeError, ["stride", "conv2d"]),
    (((1, 3, 5, 5), (4, 3, 3, 3)), dict(padding=-1), RuntimeError, ["padding", "conv2d"]),
    (((1, 3, 5, 5), (4, 3, 3, 3)), dict(stride=2, padding="same"), RuntimeError, ["strided", "conv2d"]),
    (((1, 3, 5, 5), (4, 3, 3, 3)), dict(padding="full"), RuntimeError, ["Invalid padding string", "conv2d"]),
])
def test_conv2d_errors(args, kw, exc, words):
    x, w = (gg.zeros(*s) for s in args)
    with pytest.raises(exc) as ei:
        GF.conv2d(x, w, **kw)
    for word in words:
        assert word in str(ei.value)
    # PyTorch raises the same type
    with pytest.raises(exc):
        TF.conv2d(torch.zeros(*args[0]), torch.zeros(*args[1]), **kw)


def test_conv2d_dtype_and_bias_errors():
    with pytest.raises(RuntimeError, match="conv2d"):
        GF.conv2d(gg.zeros(1, 3, 5, 5), gg.zeros(4, 3, 3, 3, dtype=gg.float64))
    with pytest.raises(RuntimeError, match=r"bias.*\[3\]"):
        GF.conv2d(gg.zeros(1, 3, 5, 5), gg.zeros(4, 3, 3, 3), gg.zeros(3))
    with pytest.raises(NotImplementedError, match="conv2d"):
        GF.conv2d(gg.zeros(1, 3, 5, 5, dtype=gg.int64), gg.zeros(4, 3, 3, 3, dtype=gg.int64))
    with pytest.raises(RuntimeError, match="conv1d"):
        GF.conv1d(gg.zeros(1, 3, 5, 5), gg.zeros(4, 3, 3))


def _module_matches_torch(gm, tm, shape):
    """Same repr, parameters and default-init bounds; with gm's weights copied into tm, the same forward.
    Returns (x, gm(x), tm(x))."""
    assert repr(gm) == repr(tm)
    assert tuple(gm.weight.shape) == tuple(tm.weight.shape)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    # PyTorch's default init bounds: fan_in from weight dim 1 (in/groups, or out/groups when transposed)
    bound = 1 / math.sqrt(gm.weight.shape[1] * math.prod(gm.weight.shape[2:]))
    for p in (gm.weight, gm.bias):
        assert p is None or np.abs(p.detach().numpy()).max() <= bound + 1e-7
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(gm.weight.detach().numpy()))
        if tm.bias is not None:
            tm.bias.copy_(torch.tensor(gm.bias.detach().numpy()))
    x = rng.standard_normal(shape).astype("float32")
    gout, tout = gm(gg.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert _fn_name(gout) == _fn_name(tout)
    return x, gout, tout


def test_nn_conv_modules_match_torch():
    for gcls, tcls, kw in [(gnn.Conv2d, torch.nn.Conv2d, dict(kernel_size=3, stride=2, padding=1)),
                           (gnn.Conv2d, torch.nn.Conv2d, dict(kernel_size=(3, 2), groups=2, bias=False,
                                                               dilation=2)),
                           (gnn.Conv2d, torch.nn.Conv2d, dict(kernel_size=3, padding="same")),
                           (gnn.Conv1d, torch.nn.Conv1d, dict(kernel_size=3, stride=1))]:
        _module_matches_torch(gcls(4, 6, **kw), tcls(4, 6, **kw), (2, 4, 7, 8) if gcls is gnn.Conv2d else (2, 4, 9))


def test_conv2d_training_step_decreases_loss():
    gg.manual_seed(0)
    m = gnn.Conv2d(2, 3, 3, padding=1)
    x = gg.randn(4, 2, 6, 6)
    y = gg.randn(4, 3, 6, 6)
    opt = gg.optim.SGD(m.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


# ---- conv_transpose ----
CONVT_CASES = [
    # (x shape, w shape, bias, kwargs)
    ((2, 3, 4, 5), (3, 2, 3, 3), True, {}),
    ((2, 4, 4, 5), (4, 3, 3, 2), True, dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 3, 4, 4), (3, 2, 3, 3), False, dict(dilation=2, output_padding=1)),  # output_padding >= stride
    ((1, 2, 3, 4), (2, 3, 2, 3), True, dict(stride=(2, 3), padding=(1, 2), output_padding=(1, 2), dilation=(2, 1))),
    ((2, 6, 3, 3), (6, 1, 3, 3), True, dict(stride=2, padding=1, groups=6)),  # depthwise
    ((3, 4, 5), (3, 2, 3, 3), True, dict(stride=2)),  # unbatched
    ((2, 3, 6), (3, 4, 3), True, dict(stride=2, padding=1, output_padding=1)),  # 1-D
    ((2, 4, 5), (4, 1, 2), False, dict(stride=3, dilation=2, groups=2, output_padding=2)),
    ((3, 5), (3, 2, 4), True, dict(padding=1)),  # 1-D unbatched
]


@pytest.mark.parametrize("xs,ws,bias,kw", CONVT_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_transpose_matches_torch(xs, ws, bias, kw, dtype):
    name = "conv_transpose1d" if len(ws) == 3 else "conv_transpose2d"
    arrs = [rng.standard_normal(xs), rng.standard_normal(ws)] + ([rng.standard_normal(ws[1] * kw.get("groups", 1))]
                                                                  if bias else [])

    def program(lib, F, *a):
        ins = [lib.tensor(v.astype(dtype), requires_grad=True) for v in a]
        out = getattr(F, name)(*ins, **kw)
        (out * out).sum().backward()
        return {"out": out, **{f"in{i}": t for i, t in enumerate(ins)}}
    run_both(program, *arrs, rtol=1e-4, atol=1e-4)


def test_conv_transpose_zero_batch_and_partial_grads():
    x = gg.zeros(0, 3, 4, 4, requires_grad=True)
    w = gg.ones(3, 2, 3, 3, requires_grad=True)
    out = GF.conv_transpose2d(x, w, stride=2)
    assert tuple(out.shape) == (0, 2, 9, 9)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 4, 4)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 2, 3, 3)))
    x = gg.tensor(rng.standard_normal((1, 3, 2, 2)))
    w = gg.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    GF.conv_transpose2d(x, w).sum().backward()
    assert x.grad is None and tuple(w.grad.shape) == (3, 2, 3, 3)


@pytest.mark.parametrize("xs,ws,kw,exc,words", [
    ((2, 3), (3, 4, 3, 3), {}, RuntimeError, ["conv_transpose2d", "[2, 3]"]),
    ((1, 5, 5, 5), (3, 4, 3, 3), {}, RuntimeError, ["transposed=1", "[3, 4, 3, 3]", "[1, 5, 5, 5]", "channels"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(groups=2), RuntimeError, ["divisible", "[3, 4, 3, 3]"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(stride=2, output_padding=2), RuntimeError,
     ["output padding must be smaller than either stride or dilation", "output_padding_height: 2"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(output_padding=1), RuntimeError, ["output padding must be smaller"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(output_padding=-1), RuntimeError, ["negative output_padding"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(stride=0), RuntimeError, ["non-positive stride"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(padding=-1), RuntimeError, ["negative padding"]),
    ((1, 3, 1, 1), (3, 4, 3, 3), dict(padding=2), RuntimeError, ["Output size is too small", "(-1 x -1)"]),
    ((1, 3, 5, 5), (3, 0, 3, 3), {}, RuntimeError, ["non-empty", "[3, 0, 3, 3]"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(stride=(1, 2, 3)), RuntimeError, ["stride", "2 values"]),
    ((1, 3, 5, 5), (3, 4, 3, 3), dict(padding="same"), TypeError, ["padding", "str"]),
])
def test_conv_transpose_errors(xs, ws, kw, exc, words):
    with pytest.raises(exc) as ei:
        GF.conv_transpose2d(gg.zeros(*xs), gg.zeros(*ws), **kw)
    for word in words:
        assert word in str(ei.value)
    with pytest.raises(exc):
        TF.conv_transpose2d(torch.zeros(*xs), torch.zeros(*ws), **kw)


def test_conv_transpose_bias_and_rank_errors():
    with pytest.raises(RuntimeError, match=r"transposed=1.*expected bias to be 1-dimensional with 4 elements.*\[3\]"):
        GF.conv_transpose2d(gg.zeros(1, 3, 5, 5), gg.zeros(3, 4, 3, 3), gg.zeros(3))
    with pytest.raises(RuntimeError, match="conv_transpose1d"):
        GF.conv_transpose1d(gg.zeros(1, 3, 5, 5), gg.zeros(3, 4, 3))


@pytest.mark.parametrize("gcls,tcls,args,kw", [
    (gnn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, 3), dict(stride=2, padding=1, output_padding=1)),
    (gnn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, (3, 2)), dict(groups=2, bias=False, dilation=2)),
    (gnn.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, 2), dict(stride=(2, 1))),
    (gnn.ConvTranspose1d, torch.nn.ConvTranspose1d, (4, 6, 3), dict(stride=3, output_padding=2, groups=2)),
])
def test_nn_conv_transpose_modules_match_torch(gcls, tcls, args, kw):
    gm, tm = gcls(*args, **kw), tcls(*args, **kw)
    assert (gm.transposed, gm.output_padding) == (tm.transposed, tm.output_padding)
    x, _, tout = _module_matches_torch(gm, tm, (2, 4, 5, 6) if gcls is gnn.ConvTranspose2d else (2, 4, 7))
    # forward(input, output_size): the output_padding that reaches the asked size (with or without (N, C))
    stride = tm.stride
    for extra in range(stride[-1]):
        size = [d - p + min(extra, s - 1) for d, p, s in zip(tout.shape[2:], tm.output_padding, stride)]
        for asked in (size, list(tout.shape[:2]) + size):
            g2, t2 = gm(gg.tensor(x), output_size=asked), tm(torch.tensor(x), output_size=asked)
            assert tuple(g2.shape) == tuple(t2.shape)
            np.testing.assert_allclose(g2.detach().numpy(), t2.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_nn_conv_transpose_init_statistics_and_errors():
    # PyTorch's default init: kaiming_uniform(a=sqrt(5)) with fan_in = weight.size(1) * receptive field, which for a
    # transposed conv is out_channels / groups: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
    gg.manual_seed(0)
    m = gnn.ConvTranspose2d(64, 48, 3, groups=2)
    bound = 1 / math.sqrt(24 * 9)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound + 1e-7 and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound and abs(w.mean()) < 0.02 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound + 1e-7
    t = torch.nn.ConvTranspose2d(64, 48, 3, groups=2)
    assert abs(t.weight.detach().numpy().std() - w.std()) < 0.02 * bound
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        gnn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        gnn.ConvTranspose2d(4, 3, 3, groups=2)
    m = gnn.ConvTranspose2d(2, 3, 3, stride=2)
    with pytest.raises(ValueError, match=r"requested an output size of \(12, 11\), but valid sizes range from "
                                         r"\[9, 9\] to \[10, 10\]"):
        m(gg.zeros(1, 2, 4, 4), output_size=(12, 11))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        m(gg.zeros(1, 2, 4, 4), output_size=(9,))


# ---- pooling ----
POOL_CASES = [
    ("max", (2, 3, 7, 6), dict(kernel_size=2)),
    ("max", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max", (1, 2, 9, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
    ("max", (3, 7, 6), dict(kernel_size=2, stride=1)),  # unbatched
    ("avg", (2, 3, 7, 6), dict(kernel_size=2)),
    ("avg", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("avg", (1, 2, 5, 5), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), divisor_override=4)),
    ("avg", (3, 5, 6), dict(kernel_size=2, ceil_mode=True)),
    ("adaptive", (2, 3, 7, 6), dict(output_size=(3, 4))),
    ("adaptive", (2, 3, 5, 5), dict(output_size=7)),
    ("adaptive", (3, 5, 6), dict(output_size=(None, 2))),
    ("adaptive", (2, 3, 5, 6), dict(output_size=1)),
]
_POOL = {"max": ("max_pool2d",), "avg": ("avg_pool2d",), "adaptive": ("adaptive_avg_pool2d",)}


@pytest.mark.parametrize("kind,shape,kw", POOL_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pool_matches_torch(kind, shape, kw, dtype):
    name = _POOL[kind][0]
    (gx,), (tx,) = _pair([rng.standard_normal(shape)], dtype)
    gout, tout = getattr(GF, name)(gx, **kw), getattr(TF, name)(tx, **kw)
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert tuple(gout.shape) == tuple(tout.shape)
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    assert _fn_name(gout) == _fn_name(tout)
    assert _next_names(gout) == _next_names(tout)
    go = rng.standard_normal(tuple(tout.shape)).astype(dtype)
    gout.backward(gg.tensor(go))
    tout.backward(torch.tensor(go))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=tol * 10, atol=tol * 10)


def test_max_pool2d_indices_ties_nan_and_double_backward():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [2.0, np.nan, -1.0, 5.0], [4.0, 4.0, 0.0, 0.0], [-np.inf, -np.inf, 7, 7]]]])
    gout, gidx = GF.max_pool2d(gg.tensor(x), 2, return_indices=True)
    tout, tidx = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(gout.numpy(), tout.numpy())
    np.testing.assert_array_equal(gidx.numpy(), tidx.numpy())
    assert gidx.dtype == gg.int64
    # the backward is a scatter of recorded ops: double backward works
    xs = gg.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert gg.autograd.gradgradcheck(lambda t: GF.max_pool2d(t, 2, stride=1, padding=1), (xs,))


def test_pool_gradcheck_and_double_backward():
    x = gg.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    assert gg.autograd.gradcheck(lambda t: GF.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gg.autograd.gradcheck(lambda t: GF.adaptive_avg_pool2d(t, (3, 3)), (x,))
    for name, kw in [("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
                     ("avg_pool2d", dict(kernel_size=2, divisor_override=3)),
                     ("adaptive_avg_pool2d", dict(output_size=(2, 3))),
                     ("max_pool2d", dict(kernel_size=2, stride=1))]:
        f = lambda t: getattr(GF, name)(t, **kw)  # noqa: E731
        assert gg.autograd.gradgradcheck(f, (x,))
        # double backward against PyTorch, grad_fn names of the recorded VJP included
        tx = torch.tensor(x.detach().numpy(), requires_grad=True)
        gx = x.detach().requires_grad_(True)
        outs = []
        for lib, fn, v in ((gg, f, gx), (torch, lambda t: getattr(TF, name)(t, **kw), tx)):
            y = fn(v)
            (g1,) = lib.autograd.grad((y * y).sum(), (v,), create_graph=True)
            (g1 ** 3).sum().backward()
            outs.append((g1.detach().numpy(), v.grad.numpy(), _fn_name(g1)))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-9, atol=1e-9)
        if name != "max_pool2d":  # (PyTorch's max-pool VJP is one fused op; ours a recorded scatter_add)
            assert outs[0][2] == outs[1][2]


@pytest.mark.parametrize("fn,args,words", [
    ("max_pool2d", ((2, 3), 2), ["3D or 4D", "[2, 3]"]),
    ("max_pool2d", ((1, 1, 5, 5), 3, 1, 2), ["pad should be at most half", "max_pool2d"]),
    ("max_pool2d", ((1, 1, 2, 2), 3), ["Output size is too small", "max_pool2d"]),
    ("avg_pool2d", ((1, 1, 2, 2), 3), ["Output size is too small", "avg_pool2d"]),
    ("avg_pool2d", ((1, 1, 5, 5), 3, 1, 2), ["pad should be at most half", "avg_pool2d"]),
    ("adaptive_avg_pool2d", ((5, 5), 2), ["3D or 4D", "[5, 5]"]),
    ("max_pool2d", ((1, 0, 5, 5), 2), ["[1, 0, 5, 5]"]),
])
def test_pool_errors(fn, args, words):
    with pytest.raises(RuntimeError) as ei:
        getattr(GF, fn)(gg.zeros(*args[0]), *args[1:])
    for w in words:
        assert w in str(ei.value)
    with pytest.raises(RuntimeError):
        getattr(TF, fn)(torch.zeros(*args[0]), *args[1:])


def test_pool_zero_batch():
    for f in (lambda t: GF.max_pool2d(t, 2), lambda t: GF.avg_pool2d(t, 2),
              lambda t: GF.adaptive_avg_pool2d(t, (2, 2))):
        x = gg.zeros(0, 3, 4, 4, requires_grad=True)
        out = f(x)
        assert tuple(out.shape) == (0, 3, 2, 2)
        out.sum().backward()
        assert tuple(x.grad.shape) == (0, 3, 4, 4)


def test_pool_modules_repr_and_forward():
    for gm, tm in [(gnn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                   (gnn.MaxPool2d(3, 1, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 1, 1, ceil_mode=True)),
                   (gnn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
                   (gnn.AvgPool2d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
                   (gnn.AdaptiveAvgPool2d((3, 2)), torch.nn.AdaptiveAvgPool2d((3, 2))),
                   (gnn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1))]:
        assert repr(gm) == repr(tm)
        x = rng.standard_normal((2, 3, 7, 6)).astype("float32")
        np.testing.assert_allclose(gm(gg.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    gout, gidx = gnn.MaxPool2d(2, return_indices=True)(gg.ones(1, 1, 4, 4))
    assert tuple(gidx.shape) == (1, 1, 2, 2)


# ---- unfold / fold ----
@pytest.mark.parametrize("xs,kw", [
    ((2, 3, 5, 6), dict(kernel_size=2)),
    ((1, 2, 6, 7), dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))),
])
def test_unfold_fold_match_torch(xs, kw):
    (gx,), (tx,) = _pair([rng.standard_normal(xs)])
    gu, tu = GF.unfold(gx, **kw), TF.unfold(tx, **kw)
    np.testing.assert_allclose(gu.detach().numpy(), tu.detach().numpy())
    assert _fn_name(gu) == _fn_name(tu) == "Im2ColBackward0"
    gf, tf_ = GF.fold(gu, xs[2:], **kw), TF.fold(tu, xs[2:], **kw)
    np.testing.assert_allclose(gf.detach().numpy(), tf_.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert _fn_name(gf) == _fn_name(tf_) == "Col2ImBackward0"
    w = rng.standard_normal(tuple(tf_.shape))
    (gf * gg.tensor(w)).sum().backward()
    (tf_ * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert gg.autograd.gradgradcheck(lambda t: GF.fold(GF.unfold(t, **kw), xs[2:], **kw), (gx.detach()[:1].requires_grad_(),))
    # unbatched
    np.testing.assert_allclose(GF.unfold(gx[0], **kw).detach().numpy(), TF.unfold(tx[0], **kw).detach().numpy())
    assert repr(gnn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
    assert repr(gnn.Fold(xs[2:], **kw)) == repr(torch.nn.Fold(xs[2:], **kw))


def test_unfold_fold_errors():
    with pytest.raises(RuntimeError, match=r"3D or 4D.*\[2, 3\]"):
        GF.unfold(gg.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="sliding blocks"):
        GF.unfold(gg.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="sliding blocks.*input.size\\(2\\)=10"):
        GF.fold(gg.zeros(1, 4, 10), (4, 5), 2)
    with pytest.raises(RuntimeError, match="divisible"):
        GF.fold(gg.zeros(1, 5, 12), (4, 5), 2)
    for f, a in ((TF.unfold, (torch.zeros(1, 1, 2, 2), 3)), (TF.fold, (torch.zeros(1, 4, 10), (4, 5), 2)),
                 (TF.fold, (torch.zeros(1, 5, 12), (4, 5), 2))):
        with pytest.raises(RuntimeError):
            f(*a)


@pytest.mark.parametrize("transposed", [False, True])
def test_conv_batched_gemm_blocks_and_threads_match_torch(transposed):
    # 16*3*3 x 80*80 columns per sample: the column budget fits two samples per GEMM, so batches of
    # 2, 2 and 1 (the single-sample path) run, with their copies split over the thread pool.
    xs, ws = ((5, 16, 82, 82), (4, 16, 3, 3)) if not transposed else ((5, 4, 80, 80), (4, 16, 3, 3))
    arrs = [rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(16 if transposed else 4)]
    g, t = _pair(arrs, "float32")
    gfn, tfn = (GF.conv_transpose2d, TF.conv_transpose2d) if transposed else (GF.conv2d, TF.conv2d)
    threads = gg.get_num_threads()
    try:
        gg.set_num_threads(2)
        gout, tout = gfn(*g), tfn(*t)
        np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-3)
        go = rng.standard_normal(tuple(tout.shape)).astype("float32")
        gout.backward(gg.tensor(go))
        tout.backward(torch.tensor(go))
        for a, b in zip(g, t):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-3, atol=1e-2)
        again = gfn(*g)  # the same thread count gives the same bits
        np.testing.assert_array_equal(again.detach().numpy(), gout.detach().numpy())
    finally:
        gg.set_num_threads(threads)


def test_pooling_threaded_over_planes_matches_torch():
    x = rng.standard_normal((8, 16, 33, 31)).astype("float32")
    threads = gg.get_num_threads()
    try:
        gg.set_num_threads(2)
        for name, kw in [("max_pool2d", dict(kernel_size=3, stride=2, padding=1)), ("avg_pool2d", dict(kernel_size=2)),
                         ("adaptive_avg_pool2d", dict(output_size=(5, 7)))]:
            (gx,), (tx,) = _pair([x], "float32")
            gout, tout = getattr(GF, name)(gx, **kw), getattr(TF, name)(tx, **kw)
            np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
            go = rng.standard_normal(tuple(tout.shape)).astype("float32")
            gout.backward(gg.tensor(go))
            tout.backward(torch.tensor(go))
            np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    finally:
        gg.set_num_threads(threads)


# LeNet's convs, a grouped strided one over an odd batch (uneven chunks) and a transposed one: with 2 threads the
# samples run in chunks and the weight gradient is a sum of per-chunk partials (Note [conv threading]).
CHUNKED_CONV_CASES = [
    ((64, 1, 28, 28), (6, 1, 5, 5), False, dict(padding=2)),
    ((64, 6, 14, 14), (16, 6, 5, 5), False, {}),
    ((9, 4, 17, 15), (6, 2, 3, 3), False, dict(stride=2, padding=1, dilation=(2, 1), groups=2)),
    ((7, 4, 12, 12), (4, 3, 3, 3), True, dict(stride=2, output_padding=1)),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("xs,ws,transposed,kw", CHUNKED_CONV_CASES)
def test_conv_chunked_over_samples_matches_torch_and_repeats(xs, ws, transposed, kw, threads):
    arrs = [rng.standard_normal(xs), rng.standard_normal(ws) * 0.2, rng.standard_normal(ws[1] if transposed else ws[0])]
    gfn, tfn = (GF.conv_transpose2d, TF.conv_transpose2d) if transposed else (GF.conv2d, TF.conv2d)
    t = [torch.tensor(a.astype("float32"), requires_grad=True) for a in arrs]
    tout = tfn(*t, **kw)
    go = rng.standard_normal(tuple(tout.shape)).astype("float32")
    tout.backward(torch.tensor(go))
    saved = gg.get_num_threads()
    try:
        gg.set_num_threads(threads)
        runs = []
        for _ in range(2):
            g = [gg.tensor(a.astype("float32"), requires_grad=True) for a in arrs]
            gout = gfn(*g, **kw)
            gout.backward(gg.tensor(go))
            runs.append([gout.detach().numpy()] + [a.grad.numpy() for a in g])
    finally:
        gg.set_num_threads(saved)
    for a, b in zip(runs[0], [tout.detach().numpy()] + [a.grad.numpy() for a in t]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)
    for a, b in zip(*runs):  # the same thread count gives the same bits
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),  # overlapping windows: an input gets several gradients
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
])
def test_max_pool2d_backward_over_planes_matches_torch(kw, threads):
    x = rng.standard_normal((16, 12, 21, 19)).astype("float32")
    x[0, 0, :4, :4] = 1.0  # ties: the first in the window wins in both
    tx = torch.tensor(x, requires_grad=True)
    tout = TF.max_pool2d(tx, **kw)
    go = rng.standard_normal(tuple(tout.shape)).astype("float32")
    tout.backward(torch.tensor(go))
    saved = gg.get_num_threads()
    try:
        gg.set_num_threads(threads)
        grads = []
        for _ in range(2):
            gx = gg.tensor(x, requires_grad=True)
            GF.max_pool2d(gx, **kw).backward(gg.tensor(go))
            grads.append(gx.grad.numpy())
    finally:
        gg.set_num_threads(saved)
    np.testing.assert_allclose(grads[0], tx.grad.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(grads[0], grads[1])
