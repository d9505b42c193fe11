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
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
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
    for name, kw in [("RMSprop", dict(momentum=0.9, centered=True)), ("Adagrad", {})]:
        _, _, a = _train(gg, name, kw, steps=2)
        _, _, b = _train(torch, name, kw, steps=2)
        assert [sorted(s) for s in a.state.values()] == [sorted(s) for s in b.state.values()]
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


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5), "SGD"),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3), "SGD"),
    ("ExponentialLR", dict(gamma=0.9), "SGD"),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), "SGD"),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e)), "SGD"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=25), "SGD"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=25, anneal_strategy="linear", three_phase=True), "Adam"),
    ("OneCycleLR", dict(max_lr=0.5, epochs=5, steps_per_epoch=5, cycle_momentum=False), "Adam"),
]


@pytest.mark.parametrize("name,kw,opt", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULERS)])
def test_scheduler_matches_pytorch(name, kw, opt):
    def run(lib):
        p = lib.nn.Parameter(lib.ones(2))
        o = getattr(lib.optim, opt)([p], lr=0.1, **({"momentum": 0.9} if opt == "SGD" else {}))
        s = getattr(lib.optim.lr_scheduler, name)(o, **kw)
        trace = []
        for _ in range(24):
            p.grad = lib.ones(2)
            o.step()
            s.step()
            g = o.param_groups[0]
            trace.append((g["lr"], g.get("momentum", g.get("betas", (0,))[0])))
        return np.array(trace), s.get_last_lr()

    a, la = run(gg)
    b, lb = run(torch)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(la, lb, rtol=1e-12)


def test_reduce_lr_on_plateau_matches_pytorch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]

    def run(lib):
        p = lib.nn.Parameter(lib.ones(1))
        o = lib.optim.SGD([p], lr=1.0)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1, min_lr=0.1)
        out = []
        for m in metrics:
            s.step(m)
            out.append(o.param_groups[0]["lr"])
        return out

    assert run(gg) == run(torch)


def test_one_cycle_refuses_extra_steps():
    p = gg.nn.Parameter(gg.ones(1))
    o = gg.optim.SGD([p], lr=0.1, momentum=0.9)
    s = gg.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True))])
def test_optimizer_state_dict_resumes_training(name, kw, tmp_path):
    # 10 steps straight == 5 steps, save, a fresh optimizer loads, 5 more steps
    straight, _, _ = _train(gg, name, kw, steps=10)
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    b0 = rng.standard_normal(4).astype(np.float32)
    x = gg.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    w, b = gg.nn.Parameter(gg.tensor(w0)), gg.nn.Parameter(gg.tensor(b0))
    unused = gg.nn.Parameter(gg.ones(2))
    losses = []

    def run(opt, n):
        for _ in range(n):
            opt.zero_grad()
            loss = ((x @ w.t() + b).tanh() ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())

    opt = getattr(gg.optim, name)([w, b, unused], **kw)
    run(opt, 5)
    gg.save(opt.state_dict(), tmp_path / "opt.pt")
    fresh = getattr(gg.optim, name)([w, b, unused], **kw)
    fresh.load_state_dict(gg.load(tmp_path / "opt.pt"))
    run(fresh, 5)
    np.testing.assert_allclose(losses, straight, rtol=1e-6)


def test_optimizer_state_dict_layout_matches_pytorch():
    _, _, og = _train(gg, "Adam", dict(lr=0.01), steps=2)
    _, _, ot = _train(torch, "Adam", dict(lr=0.01), steps=2)
    sg, st = og.state_dict(), ot.state_dict()
    assert sorted(sg["state"]) == sorted(st["state"]) == [0, 1]
    assert sg["param_groups"][0]["params"] == st["param_groups"][0]["params"] == [0, 1, 2]
    assert set(sg["param_groups"][0]) <= set(st["param_groups"][0])
    for i in (0, 1):
        for k in st["state"][i]:
            np.testing.assert_allclose(sg["state"][i][k].numpy(), st["state"][i][k].numpy(), rtol=1e-5, atol=1e-7)


def test_load_state_dict_group_size_mismatch():
    a = gg.optim.SGD([gg.nn.Parameter(gg.ones(2))], lr=0.1)
    b = gg.optim.SGD([gg.nn.Parameter(gg.ones(2)), gg.nn.Parameter(gg.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        b.load_state_dict(a.state_dict())
