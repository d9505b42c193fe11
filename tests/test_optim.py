"""Optimizers: fused C++ updates checked against PyTorch's step by step, plus state handling."""
import numpy as np
import pytest

import gradgate as gg

torch = pytest.importorskip("torch")

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def _train(lib, name, kw, steps=30, dtype="float32"):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(dtype)
    b0 = rng.standard_normal(4).astype(dtype)
    x = lib.tensor(rng.standard_normal((8, 3)).astype(dtype))
    w, b = lib.nn.Parameter(lib.tensor(w0)), lib.nn.Parameter(lib.tensor(b0))
    unused = lib.nn.Parameter(lib.tensor(np.ones(2, dtype=dtype)))  # never gets a gradient
    opt = getattr(lib.optim, name)([w, b, unused], **kw)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w.t() + b).tanh() ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), [p.detach().numpy().copy() for p in (w, b, unused)], opt


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CONFIGS])
def test_trajectory_matches_pytorch(name, kw):
    lg, pg, _ = _train(gg, name, kw)
    lt, pt, _ = _train(torch, name, kw)
    np.testing.assert_allclose(lg, lt, rtol=1e-4)
    for a, b in zip(pg, pt):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_float64_parameters():
    lg, _, _ = _train(gg, "Adam", dict(lr=0.01), dtype="float64")
    lt, _, _ = _train(torch, "Adam", dict(lr=0.01), dtype="float64")
    np.testing.assert_allclose(lg, lt, rtol=1e-10)


def test_state_layout_matches_pytorch():
    _, _, og = _train(gg, "Adam", dict(lr=0.01, amsgrad=True), steps=3)
    _, _, ot = _train(torch, "Adam", dict(lr=0.01, amsgrad=True), steps=3)
    sg = [og.state[p] for p in og.param_groups[0]["params"]]
    st = [ot.state[p] for p in ot.param_groups[0]["params"]]
    assert [sorted(s) for s in sg] == [sorted(s) for s in st]
    assert not sg[2]  # the parameter without a gradient has no state
    assert sg[0]["step"].item() == st[0]["step"].item() == 3.0
    _, _, sgd = _train(gg, "SGD", dict(lr=0.1, momentum=0.9), steps=2)
    w = sgd.param_groups[0]["params"][0]
    assert isinstance(sgd.state[w]["momentum_buffer"], gg.Tensor)


def test_unused_parameter_is_untouched():
    _, params, _ = _train(gg, "AdamW", dict(lr=0.1, weight_decay=0.5), steps=5)
    np.testing.assert_array_equal(params[2], np.ones(2, dtype=np.float32))


def test_step_bumps_parameter_version():
    p = gg.nn.Parameter(gg.ones(3))
    p.grad = gg.ones(3)
    v = p._version
    gg.optim.SGD([p], lr=0.1).step()
    assert p._version == v + 1
    np.testing.assert_allclose(p.detach().numpy(), np.full(3, 0.9, dtype=np.float32))


@pytest.mark.parametrize("make", [
    lambda p: gg.optim.SGD(p, lr=-1.0),
    lambda p: gg.optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda p: gg.optim.SGD(p, lr=0.1, nesterov=True),
    lambda p: gg.optim.Adam(p, lr=0.1, betas=(1.0, 0.9)),
    lambda p: gg.optim.Adam(p, lr=0.1, eps=-1.0),
])
def test_invalid_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make([gg.nn.Parameter(gg.ones(2))])


def test_empty_parameter_list_raises():
    with pytest.raises(ValueError, match="empty parameter list"):
        gg.optim.Adam([])


def test_gradient_shape_mismatch_is_an_error():
    p = gg.nn.Parameter(gg.ones(3))
    p.data = gg.ones(3)
    # .grad can only be assigned with a matching shape, so reach the check through the kernel
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        p.grad = gg.ones(4)
