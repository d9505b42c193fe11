"""The fused LSTM cell the sequence modules run (_C._lstm_cell): forward against NumPy, gradients against
finite differences (also second order, through the composed formulas used under create_graph), unused
outputs, strided inputs and bad inputs. The modules themselves are compared with PyTorch in test_rnn.py."""
import numpy as np
import pytest

import gradgate as gg
from gradgate import _C
from gradgate.autograd import gradcheck, gradgradcheck


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference(gi, gh, c):
    i, f, g, o = np.split(gi + gh, 4, axis=1)
    c_next = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def inputs(B, H, dtype=np.float64, seed=0, requires_grad=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(B, 4 * H), (B, 4 * H), (B, H)]]
    return arrays, [gg.tensor(a, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("B,H", [(1, 1), (3, 5), (32, 128), (70, 33), (0, 4)])
def test_forward_matches_numpy(dtype, tol, B, H):
    arrays, tensors = inputs(B, H, dtype)
    h, c = _C._lstm_cell(*tensors)
    want_h, want_c = reference(*arrays)
    np.testing.assert_allclose(h.numpy(), want_h, rtol=tol, atol=tol)
    np.testing.assert_allclose(c.numpy(), want_c, rtol=tol, atol=tol)
    assert h.dtype == c.dtype == tensors[0].dtype


def test_gradients_match_finite_differences():
    _, tensors = inputs(3, 4, requires_grad=True)
    assert gradcheck(lambda *t: _C._lstm_cell(*t), tensors)


def test_second_order_gradients_match_finite_differences():
    _, tensors = inputs(2, 3, seed=1, requires_grad=True)
    assert gradgradcheck(lambda *t: _C._lstm_cell(*t), tensors)


def test_create_graph_gradients_equal_the_fused_ones():
    """Under create_graph the backward is composed of public ops: the same values as the fused kernel."""
    _, tensors = inputs(4, 5, seed=4, requires_grad=True)
    h, c = _C._lstm_cell(*tensors)
    loss = (h * h).sum() + (c * 3).sum()
    fused = gg.autograd.grad(loss, tensors, retain_graph=True)
    composed = gg.autograd.grad(loss, tensors, create_graph=True)
    for a, b in zip(fused, composed):
        np.testing.assert_allclose(b.detach().numpy(), a.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("used", ["h", "c"])
def test_one_output_unused(used):
    """An output without a gradient (the last cell state of a sequence) counts as zero."""
    _, tensors = inputs(3, 4, seed=2, requires_grad=True)
    assert gradcheck(lambda *t: _C._lstm_cell(*t)[0 if used == "h" else 1], tensors)


def test_strided_inputs():
    arrays, _ = inputs(5, 6, seed=3)
    gi = gg.tensor(np.ascontiguousarray(arrays[0].T)).t()  # (5, 24) viewed through a transpose
    gh = gg.tensor(np.concatenate([arrays[1], arrays[1]], axis=1))[:, ::2]
    h, c = _C._lstm_cell(gi, gh, gg.tensor(arrays[2]))
    want_h, want_c = reference(arrays[0], np.concatenate([arrays[1], arrays[1]], axis=1)[:, ::2], arrays[2])
    np.testing.assert_allclose(h.numpy(), want_h, rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), want_c, rtol=1e-12)


def test_gradients_through_strided_inputs():
    """The backward reads the saved inputs as laid out, not as if they were contiguous."""
    rng = np.random.default_rng(5)
    gi_t, gh, c_t = (gg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(8, 3), (3, 8), (2, 3)])
    assert gradcheck(lambda gi_t, gh, c_t: _C._lstm_cell(gi_t.t(), gh, c_t.t()), [gi_t, gh, c_t])


def test_grad_fn():
    _, tensors = inputs(2, 3, requires_grad=True)
    h, c = _C._lstm_cell(*tensors)
    assert type(h.grad_fn).__name__ == "LstmCellBackward0" and h.grad_fn is c.grad_fn
    with gg.no_grad():
        h, c = _C._lstm_cell(*tensors)
    assert h.grad_fn is None and not c.requires_grad


@pytest.mark.parametrize("shapes", [[(2, 12), (2, 12), (2, 4)], [(2, 12), (2, 8), (2, 3)], [(2, 12), (2, 12), (3, 3)],
                                    [(12,), (12,), (3,)]], ids=str)
def test_bad_shapes(shapes):
    tensors = [gg.zeros(*s, dtype=gg.float64) for s in shapes]
    with pytest.raises(RuntimeError, match=r"lstm_cell.*\(B, 4H\)"):
        _C._lstm_cell(*tensors)


@pytest.mark.parametrize("dtypes", [(gg.float32, gg.float64, gg.float64), (gg.int64, gg.int64, gg.int64)], ids=str)
def test_bad_dtypes(dtypes):
    tensors = [gg.zeros(2, n, dtype=d) for n, d in zip((12, 12, 3), dtypes)]
    with pytest.raises(RuntimeError, match="lstm_cell.*floating-point tensors of one dtype"):
        _C._lstm_cell(*tensors)


def test_lstm_module_gradients_through_the_fused_cell():
    """Sequence modules run the fused cell: their gradients (first and second order) in float64."""
    gg.manual_seed(0)
    m = gg.nn.LSTM(3, 4, num_layers=2, dtype=gg.float64)
    x = gg.randn(5, 2, 3, dtype=gg.float64, requires_grad=True)
    assert type(m(x)[1][1].grad_fn).__name__ == "StackBackward0"
    assert gradcheck(lambda x: m(x)[0], [x])
    assert gradgradcheck(lambda x: m(x)[0].sum(), [x])
