"""nn.init: the initializers' distributions follow PyTorch's fan and gain rules."""
import math

import numpy as np
import pytest

import gradgate as gg
from gradgate.nn import init


def _stats(fn, shape=(400, 300), **kw):
    t = gg.empty(*shape)
    fn(t, **kw)
    a = t.numpy()
    return a.mean(), a.std(), a.min(), a.max()


def test_uniform_and_normal():
    mean, std, lo, hi = _stats(init.uniform_, a=-2.0, b=3.0)
    assert lo >= -2.0 and hi <= 3.0 and abs(mean - 0.5) < 0.02 and abs(std - 5 / math.sqrt(12)) < 0.02
    mean, std, _, _ = _stats(init.normal_, mean=1.0, std=0.5)
    assert abs(mean - 1.0) < 0.01 and abs(std - 0.5) < 0.01


@pytest.mark.parametrize("fn,kw,expected_std", [
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), math.sqrt(2 / 6) / math.sqrt(300)),
    (init.kaiming_normal_, dict(nonlinearity="relu"), math.sqrt(2) / math.sqrt(300)),
    (init.kaiming_normal_, dict(mode="fan_out", nonlinearity="relu"), math.sqrt(2) / math.sqrt(400)),
    (init.xavier_uniform_, dict(), math.sqrt(2 / 700)),
    (init.xavier_normal_, dict(gain=2.0), 2 * math.sqrt(2 / 700)),
])
def test_fan_based_std(fn, kw, expected_std):
    _, std, _, _ = _stats(fn, **kw)
    assert abs(std / expected_std - 1) < 0.03


def test_constant_zeros_ones_run_without_recording():
    p = gg.nn.Parameter(gg.empty(3))
    init.constant_(p, 2.5)
    assert p.tolist() == [2.5, 2.5, 2.5] and p.is_leaf and p.grad_fn is None
    init.zeros_(p)
    assert p.tolist() == [0.0] * 3
    init.ones_(p)
    assert p.tolist() == [1.0] * 3


def test_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(gg.empty(3))
    with pytest.raises(ValueError, match="Mode"):
        init.kaiming_uniform_(gg.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_gains_match_pytorch():
    torch = pytest.importorskip("torch")
    for nl, p in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", 0.2), ("selu", None),
                  ("sigmoid", None)]:
        assert init.calculate_gain(nl, p) == pytest.approx(torch.nn.init.calculate_gain(nl, p))
