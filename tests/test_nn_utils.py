"""nn.utils (clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters) and
nn.ModuleList / nn.ModuleDict / nn.Unflatten / nn.Bilinear against PyTorch."""
import math

import numpy as np
import pytest
import torch

import gradgate as gg

rng = np.random.default_rng(1)


def _params(shapes, scale=1.0):
    arrs = [rng.standard_normal(s) * scale for s in shapes]
    grads = [rng.standard_normal(s) * scale for s in shapes]
    gp = [gg.nn.Parameter(gg.tensor(a)) for a in arrs]
    tp = [torch.nn.Parameter(torch.tensor(a)) for a in arrs]
    for p, g in zip(gp, grads):
        p.grad = gg.tensor(g)
    for p, g in zip(tp, grads):
        p.grad = torch.tensor(g)
    return gp, tp


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, float("inf"), 0.5])
@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_clip_grad_norm_vs_torch(norm_type, max_norm):
    gp, tp = _params([(3, 4), (5,), (2, 2, 2)])
    gn = gg.nn.utils.clip_grad_norm_(gp, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(gn, gg.Tensor) and gn.dim() == 0
    np.testing.assert_allclose(gn.item(), tn.item(), rtol=1e-12)
    for a, b in zip(gp, tp):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_single_tensor_none_grads_and_empty():
    gp, tp = _params([(4,)])
    np.testing.assert_allclose(gg.nn.utils.clip_grad_norm_(gp[0], 0.5).item(),
                               torch.nn.utils.clip_grad_norm_(tp[0], 0.5).item())
    np.testing.assert_allclose(gp[0].grad.numpy(), tp[0].grad.numpy(), rtol=1e-12)
    p = gg.nn.Parameter(gg.zeros(3))
    out = gg.nn.utils.clip_grad_norm_([p], 1.0)
    assert out.item() == 0.0 and p.grad is None
    assert gg.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    p = gg.nn.Parameter(gg.zeros(2))
    p.grad = gg.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match=r"non-finite.*error_if_nonfinite=False"):
        gg.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(gg.nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_norm_float32():
    p = gg.nn.Parameter(gg.zeros(3))
    p.grad = gg.tensor([3.0, 4.0, 0.0])
    n = gg.nn.utils.clip_grad_norm_([p], 1.0)
    assert n.dtype == gg.float32
    np.testing.assert_allclose(n.item(), 5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)


def test_clip_grad_value_vs_torch():
    gp, tp = _params([(3, 4), (5,)], scale=2.0)
    assert gg.nn.utils.clip_grad_value_(gp, 0.7) is None
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for a, b in zip(gp, tp):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_parameters_to_vector_roundtrip():
    gp, tp = _params([(3, 4), (5,), (2, 1)])
    gv = gg.nn.utils.parameters_to_vector(gp)
    tv = torch.nn.utils.parameters_to_vector(tp)
    np.testing.assert_array_equal(gv.detach().numpy(), tv.detach().numpy())
    assert gv.requires_grad
    (gv * gg.arange(gv.numel(), dtype=gg.float64)).sum().backward()
    (tv * torch.arange(tv.numel(), dtype=torch.float64)).sum().backward()
    for a, b in zip(gp, tp):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    new = rng.standard_normal(gv.numel())
    gg.nn.utils.vector_to_parameters(gg.tensor(new), gp)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tp)
    for a, b in zip(gp, tp):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert isinstance(a, gg.nn.Parameter) and a.requires_grad
    with pytest.raises(TypeError, match=r"expected torch.Tensor"):
        gg.nn.utils.vector_to_parameters(new, gp)


# ---- modules ----
def test_module_dict():
    d = gg.nn.ModuleDict({"a": gg.nn.Linear(2, 3), "b": gg.nn.ReLU()})
    d["c"] = gg.nn.Linear(3, 1)
    assert list(d.keys()) == ["a", "b", "c"] and len(d) == 3 and "a" in d
    assert list(iter(d)) == ["a", "b", "c"]
    assert len(list(d.parameters())) == 4
    assert [k for k, _ in d.named_parameters()] == ["a.weight", "a.bias", "c.weight", "c.bias"]
    d.update([("e", gg.nn.Identity())])
    assert isinstance(d.pop("b"), gg.nn.ReLU) and "b" not in d
    del d["e"]
    assert list(d.keys()) == ["a", "c"]
    t = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 3), "c": torch.nn.Linear(3, 1)})
    assert repr(d) == repr(t)
    assert set(d.state_dict().keys()) == set(t.state_dict().keys())
    with pytest.raises(TypeError):
        gg.nn.ModuleDict([gg.nn.ReLU()])
    d.clear()
    assert len(d) == 0


def _module_list_edits(nn):
    """The same ModuleList edits on either library; returns the list and each step's repr / keys."""
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)]
    ml = nn.ModuleList(layers[:2])
    seen = []
    ml.append(layers[2])
    ml.extend(layers[3:4])
    ml.insert(1, layers[4])
    seen.append(repr(ml))
    ml[0] = nn.Identity()
    del ml[1]
    seen.append(list(ml.state_dict().keys()))
    popped = ml.pop(-1)
    ml += [popped]
    seen.append([type(m).__name__ for m in ml[1:3]] + [type(ml[1:3]).__name__, type(ml[-1]).__name__])
    del ml[::2]
    seen.append(repr(ml + nn.ModuleList([nn.Sigmoid()])))
    seen.append([k for k, _ in ml.named_parameters()])
    return ml, seen


def _sequential_edits(nn):
    from collections import OrderedDict
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))]))
    seen = [list(seq.state_dict().keys()), repr(seq[1:])]
    seq[0] = nn.Linear(2, 3)
    seen.append(list(seq.state_dict().keys()))
    del seq[1]
    seen.append(list(seq.state_dict().keys()))
    seq.append(nn.Sigmoid()).insert(0, nn.Identity())
    seq.extend([nn.Tanh()])
    seen += [repr(seq), type(seq.pop(1)).__name__, repr(seq + nn.Sequential(nn.ReLU()))]
    return seq, seen


@pytest.mark.parametrize("edits", [_module_list_edits, _sequential_edits])
def test_module_sequences_match_torch(edits):
    gl, gseen = edits(gg.nn)
    tl, tseen = edits(torch.nn)
    assert gseen == tseen
    assert len(gl) == len(tl) and repr(gl) == repr(tl)
    for bad in (lambda m: m[5], lambda m: m[-6], lambda m: m.__setitem__(9, gg.nn.ReLU())):
        with pytest.raises(IndexError, match="out of range"):
            bad(edits(gg.nn)[0])
    with pytest.raises(TypeError):
        gg.nn.ModuleList().extend(gg.nn.ReLU())


@pytest.mark.parametrize("dim,sizes,shape", [(1, (2, 3), (4, 6)), (-1, (2, -1), (3, 8)), (0, (1, 2, 2), (4, 3))])
def test_unflatten_vs_torch(dim, sizes, shape):
    a = rng.standard_normal(shape)
    g = gg.nn.Unflatten(dim, sizes)(gg.tensor(a))
    t = torch.nn.Unflatten(dim, sizes)(torch.tensor(a))
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert repr(gg.nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


def test_unflatten_errors():
    with pytest.raises(RuntimeError, match=r"unflatten.*\[2, 4\].*\(6\)"):
        gg.nn.Unflatten(1, (2, 4))(gg.zeros(3, 6))
    with pytest.raises(IndexError, match=r"Dimension out of range"):
        gg.nn.Unflatten(3, (2, 3))(gg.zeros(3, 6))


def test_bilinear_module_vs_torch():
    gm = gg.nn.Bilinear(4, 5, 3, dtype=gg.float64)
    tm = torch.nn.Bilinear(4, 5, 3, dtype=torch.float64)
    assert repr(gm) == repr(tm)
    assert tuple(gm.weight.shape) == tuple(tm.weight.shape) and tuple(gm.bias.shape) == (3,)
    bound = 1 / math.sqrt(4)
    assert np.abs(gm.weight.detach().numpy()).max() <= bound and np.abs(gm.bias.detach().numpy()).max() <= bound
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(gm.weight.detach().numpy()))
        tm.bias.copy_(torch.tensor(gm.bias.detach().numpy()))
    x1, x2 = rng.standard_normal((2, 6, 4)), rng.standard_normal((2, 6, 5))
    go, to = gm(gg.tensor(x1), gg.tensor(x2)), tm(torch.tensor(x1), torch.tensor(x2))
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    go.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(gm.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gm.bias.grad.numpy(), tm.bias.grad.numpy(), rtol=1e-10)
    nb = gg.nn.Bilinear(2, 3, 4, bias=False)
    assert nb.bias is None and len(list(nb.parameters())) == 1
    assert tuple(nb(gg.zeros(5, 2), gg.zeros(5, 3)).shape) == (5, 4)
