"""interpolate beyond the op table: differential checks against PyTorch (values, gradients, grad_fn names,
double backward), PyTorch's argument errors, and nn.Upsample / UpsamplingNearest2d / UpsamplingBilinear2d."""
import numpy as np
import pytest

import gradgate as gg
import gradgate.nn as gnn
import gradgate.nn.functional as GF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from tests.test_vs_torch import run_both  # noqa: E402

rng = np.random.default_rng(777)


def _fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


CASES = [
    ((2, 3, 4, 5), dict(size=(7, 9))),
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((1, 2, 5, 7), dict(scale_factor=0.5)),
    ((2, 3, 4, 5), dict(size=(3, 8), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=(1.5, 2.5), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=1.7, mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(scale_factor=(1.1, 2.2), mode="bilinear")),  # H keeps its size: left as is
    ((2, 3, 4, 5), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=(0.5, 0.7), mode="bilinear", align_corners=False)),
    ((2, 3, 7), dict(size=12, mode="linear")),
    ((2, 3, 7), dict(size=12, mode="linear", align_corners=True)),
    ((2, 3, 7), dict(scale_factor=3)),
    ((2, 3, 7), dict(scale_factor=1.6, mode="nearest-exact")),
    ((2, 3, 40, 50), dict(scale_factor=2.3, mode="bilinear")),  # big enough to split across threads
    ((2, 3, 40, 50), dict(size=(90, 110))),
    ((2, 3, 8, 6), dict(size=(3, 4), mode="area")),
    ((2, 3, 9), dict(size=4, mode="area")),
]


@pytest.mark.parametrize("shape,kw", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_interpolate_matches_torch(shape, kw, dtype):
    def program(lib, F, x):
        v = lib.tensor(x.astype(dtype), requires_grad=True)
        out = F.interpolate(v, **kw)
        (out * out).sum().backward()
        return {"x": v, "out": out}
    run_both(program, rng.standard_normal(shape), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(size=(5, 7)), dict(size=(5, 7), mode="bilinear"),
                                dict(scale_factor=2.5, mode="bilinear", align_corners=True),
                                dict(size=(6, 3), mode="nearest-exact")])
def test_interpolate_double_backward_matches_torch(kw):
    x = rng.standard_normal((2, 2, 3, 4))
    outs = []
    for lib, f in ((gg, GF.interpolate), (torch, TF.interpolate)):
        v = lib.tensor(x, requires_grad=True)
        y = f(v, **kw)
        (g1,) = lib.autograd.grad((y * y).sum(), (v,), create_graph=True)
        (g1 ** 3).sum().backward()
        outs.append((g1.detach().numpy(), v.grad.numpy(), _fn_name(g1)))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-9, atol=1e-9)
    assert outs[0][2] == outs[1][2]  # Upsample...BackwardBackward0
    v = gg.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    assert gg.autograd.gradgradcheck(lambda t: GF.interpolate(t, **kw), (v,))


def test_interpolate_nonfinite_and_zero_batch():
    x = np.array([[[[1.0, np.nan], [np.inf, -2.0]]]])
    np.testing.assert_array_equal(GF.interpolate(gg.tensor(x), scale_factor=2).numpy(),
                                  TF.interpolate(torch.tensor(x), scale_factor=2).numpy())
    v = gg.zeros(0, 3, 4, 4, requires_grad=True)
    out = GF.interpolate(v, size=(2, 6), mode="bilinear")
    assert tuple(out.shape) == (0, 3, 2, 6)
    out.sum().backward()
    assert tuple(v.grad.shape) == (0, 3, 4, 4)


@pytest.mark.parametrize("shape,kw,exc,words", [
    ((1, 2, 3, 4), dict(size=3, scale_factor=2), ValueError, ["only one of size or scale_factor"]),
    ((1, 2, 3, 4), dict(), ValueError, ["either size or scale_factor"]),
    ((1, 2, 3, 4), dict(size=(3, 4, 5)), ValueError, ["same number of spatial dimensions", "[3, 4]"]),
    ((1, 2, 3, 4), dict(scale_factor=(2, 3, 4)), ValueError, ["scale_factor of shape (2, 3, 4)"]),
    ((1, 2, 3, 4), dict(size=3, align_corners=True), ValueError, ["align_corners option can only be set"]),
    ((1, 2, 3, 4), dict(size=3, antialias=True), ValueError, ["Anti-alias option is restricted"]),
    ((1, 2, 3, 4), dict(size=4, recompute_scale_factor=True), ValueError, ["recompute_scale_factor is not meaningful"]),
    ((1, 2, 3), dict(scale_factor=2, mode="bilinear"), NotImplementedError, ["Got 3D input, but bilinear mode needs 4D"]),
    ((1, 2, 3, 4), dict(scale_factor=2, mode="linear"), NotImplementedError, ["Got 4D input, but linear mode needs 3D"]),
    ((1, 2, 3, 4), dict(scale_factor=2, mode="foo"), NotImplementedError, ["Only 3D, 4D and 5D", "(got foo)"]),
    ((2, 3), dict(scale_factor=2), NotImplementedError, ["Only 3D, 4D and 5D", "(got 2D)"]),
    ((1, 2, 3, 4), dict(size=0), RuntimeError, ["Input and output sizes should be greater than 0", "(H: 0, W: 0)"]),
    ((1, 2, 3, 4), dict(scale_factor=0.1, mode="bilinear"), RuntimeError, ["sizes should be greater than 0"]),
    ((1, 2, 0, 4), dict(size=3), RuntimeError, ["sizes should be greater than 0", "(H: 0, W: 4)"]),
    ((1, 2, 3, 4), dict(size=(3, 3.5)), TypeError, ["expected size to be one of int"]),
])
def test_interpolate_errors(shape, kw, exc, words):
    with pytest.raises(exc) as ei:
        GF.interpolate(gg.zeros(*shape), **kw)
    for w in words:
        assert w in str(ei.value)
    with pytest.raises(exc):
        TF.interpolate(torch.zeros(*shape), **kw)


def test_interpolate_integer_input():
    with pytest.raises(NotImplementedError, match="upsample_nearest2d.*Long"):
        GF.interpolate(gg.zeros(1, 2, 3, 4, dtype=gg.int64), size=3)


@pytest.mark.beyond_torch  # not stricter but narrower: PyTorch implements these, gradgate says so clearly
def test_interpolate_unsupported_modes():
    for kw in (dict(mode="bicubic"), dict(mode="bilinear", antialias=True)):
        with pytest.raises(NotImplementedError, match="not supported yet"):
            GF.interpolate(gg.zeros(1, 2, 3, 4), scale_factor=2, **kw)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
    lambda nn: nn.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
    lambda nn: nn.Upsample(size=6, mode="nearest-exact"),
    lambda nn: nn.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=3),
    lambda nn: nn.UpsamplingBilinear2d(size=(4, 9)),
])
def test_upsample_modules_match_torch(make):
    gm, tm = make(gnn), make(torch.nn)
    assert repr(gm) == repr(tm)
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    gout, tout = gm(gg.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_allclose(gout.numpy(), tout.numpy(), rtol=1e-5, atol=1e-6)
    assert list(gm.parameters()) == []
