"""Every scenario the seed texts (../shared/seeds) walk through, written the way a user of
PyTorch would write it, with `import gradgate as torch`."""
import numpy as np
import pytest

import gradgate as torch
import gradgate.nn as nn
import gradgate.optim as optim

try:
    import torch as _pt
except ImportError:  # pragma: no cover
    _pt = None


def assert_close(t, expected, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.detach().numpy(), dtype=np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol)


# ---------------------------------------------------------------- seed 000: requires_grad gateway

def test_requires_grad_defaults_to_false():
    t = torch.tensor([1.0, 2.0, 3.0])
    assert t.requires_grad is False
    assert t.grad_fn is None
    assert t.is_leaf is True


def test_requires_grad_two_ways_to_enable():
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert t.requires_grad is True
    u = torch.tensor([1.0, 2.0, 3.0])
    r = u.requires_grad_(True)
    assert r is u
    assert u.requires_grad is True
    u.requires_grad_()  # default argument is True
    assert u.requires_grad is True
    u.requires_grad_(False)
    assert u.requires_grad is False


def test_requires_grad_inheritance_and_grad_fn_name():
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = t * 2 + 1
    assert y.requires_grad is True
    assert y.is_leaf is False
    assert y.grad_fn is not None
    assert y.grad_fn.name() == "AddBackward0"
    assert repr(y.grad_fn).startswith("<AddBackward0 object at 0x")
    # the graph goes AddBackward0 -> MulBackward0 -> AccumulateGrad(t)
    (mul_fn, _), = [e for e in y.grad_fn.next_functions if e[0] is not None]
    assert mul_fn.name() == "MulBackward0"
    acc = [e[0] for e in mul_fn.next_functions if e[0] is not None]
    assert len(acc) == 1 and acc[0].name() == "torch::autograd::AccumulateGrad"
    assert acc[0].variable is t
    assert_close(y, [3.0, 5.0, 7.0])


def test_grad_fn_type_is_named_like_the_node():
    # PyTorch: type(y.grad_fn).__name__ == "AddBackward0"; the common idiom for checking a node
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = t * 2 + 1
    assert type(y.grad_fn).__name__ == "AddBackward0"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"


def test_output_does_not_require_grad_when_no_input_does():
    a = torch.tensor([1.0, 2.0])
    b = torch.tensor([3.0, 4.0])
    c = a * b + 1
    assert c.requires_grad is False and c.grad_fn is None and c.is_leaf is True


def test_linear_named_parameters_are_parameters():
    linear = nn.Linear(10, 4)
    rows = [(name, p.requires_grad, type(p).__name__) for name, p in linear.named_parameters()]
    assert rows == [("weight", True, "Parameter"), ("bias", True, "Parameter")]
    assert tuple(linear.weight.shape) == (4, 10)
    assert tuple(linear.bias.shape) == (4,)
    assert isinstance(linear.weight, torch.Tensor)
    assert isinstance(linear.weight, nn.Parameter)
    assert linear.weight.is_leaf and linear.weight.grad_fn is None


def test_parameter_is_tensor_subclass_requiring_grad_and_registers():
    p = nn.Parameter(torch.zeros(3))
    assert isinstance(p, torch.Tensor)
    assert p.requires_grad is True
    p2 = nn.Parameter(torch.zeros(3), requires_grad=False)
    assert p2.requires_grad is False

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(2))
            self.plain = torch.ones(2)  # a plain tensor attribute is not a parameter

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["scale"]
    assert list(m.parameters())[0] is m.scale


@pytest.mark.vision
def test_freeze_backbone_and_replace_head(tmp_path):
    # The seed's snippet with torchvision spelled gradgate.vision; pretrained weights come from a file.
    from gradgate.vision.models import resnet18, ResNet18_Weights

    with pytest.raises(RuntimeError, match="pass its path"):  # no download here
        resnet18(weights=ResNet18_Weights.DEFAULT)
    torch.save(resnet18().state_dict(), tmp_path / "resnet18.pth")
    model = resnet18(weights=tmp_path / "resnet18.pth")
    assert sum(p.numel() for p in model.parameters()) == 11_689_512
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 11_689_512

    # Freeze the backbone
    for p in model.parameters():
        p.requires_grad = False
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 0

    # Replace the head with a fresh layer (which is unfrozen by default)
    model.fc = nn.Linear(model.fc.in_features, 5)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert f"{trainable:,}" == "2,565"  # only the new head: 512 * 5 + 5
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]

    # Only the head receives gradients; frozen parameters keep grad None.
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    assert model.fc.weight.grad is not None and model.fc.bias.grad is not None
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))

    # The exercise: unfreezing layer4 too (fine-tuning) grows the count by layer4's parameters.
    for p in model.layer4.parameters():
        p.requires_grad = True
    layer4 = 512 * 256 * 9 + 3 * 512 * 512 * 9 + 512 * 256 + 5 * 2 * 512  # four 3x3 convs, the 1x1 shortcut, five BNs
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 2_565 + layer4

    # seed 001: replace fc with a 100-class head and optimize only the classifier
    model.fc = nn.Linear(512, 100)
    opt = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    assert len(opt.param_groups[0]["params"]) == 2


@pytest.mark.vision
def test_module_requires_grad_():
    from gradgate.vision.models import resnet18
    model = resnet18()
    r = model.requires_grad_(False)
    assert r is model
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


# ---------------------------------------------------------------- seed 001: leaves

def test_leaf_nodes_and_mm():
    A = torch.randn(10, 10)
    B = 2 * A
    w = torch.randn(10, 10)
    C = A.mm(w)
    assert A.is_leaf and B.is_leaf and C.is_leaf  # nothing requires grad: all leaves
    A.requires_grad_()
    B = 2 * A
    C = A.mm(w)
    assert not B.is_leaf and not C.is_leaf
    assert B.grad_fn.name() == "MulBackward0"
    assert C.grad_fn.name() == "MmBackward0"


def test_requires_grad_only_settable_on_leaves():
    x = torch.ones(10, requires_grad=True)
    y = torch.ones(10, requires_grad=True)
    z = x * y
    msg = "only change requires_grad flags of leaf variables"
    with pytest.raises(RuntimeError, match=msg):
        z.requires_grad = False
    with pytest.raises(RuntimeError, match=msg):
        z.requires_grad_(False)
    with pytest.raises(RuntimeError, match=msg):  # assignment refuses even True on a non-leaf
        z.requires_grad = True
    assert z.requires_grad_(True) is z  # the method accepts True on a non-leaf
    assert z.requires_grad and not z.is_leaf
    # leaves may toggle freely
    x.requires_grad = False
    assert x.requires_grad is False


# ---------------------------------------------------------------- seed 002: quickstart

def _quickstart(w_np, b_np):
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.tensor(w_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    return x, y, w, b, z, loss


def test_quickstart_grad_fns_and_gradients():
    torch.manual_seed(0)
    w0 = torch.randn(5, 3).numpy()
    b0 = torch.randn(3).numpy()
    x, y, w, b, z, loss = _quickstart(w0, b0)
    assert z.grad_fn.name() == "AddBackward0"
    assert loss.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    assert repr(z.grad_fn).startswith("<AddBackward0 object at ")
    assert repr(loss.grad_fn).startswith("<BinaryCrossEntropyWithLogitsBackward0 object at ")
    assert tuple(loss.shape) == ()
    loss.backward()
    assert tuple(w.grad.shape) == (5, 3)
    assert tuple(b.grad.shape) == (3,)
    g = w.grad.numpy()
    # x is all ones, so every row of dL/dw equals dL/db
    for r in range(5):
        np.testing.assert_array_equal(g[r], g[0])
    np.testing.assert_allclose(g[0], b.grad.numpy(), rtol=1e-6, atol=1e-7)

    # closed form: dL/dz = (sigmoid(z) - y) / 3
    z_np = np.ones(5, np.float64) @ w0.astype(np.float64) + b0
    expected = (1 / (1 + np.exp(-z_np))) / 3
    np.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-5)
    loss_np = np.mean(np.log1p(np.exp(-np.abs(z_np))) + np.maximum(z_np, 0))
    np.testing.assert_allclose(loss.item(), loss_np, rtol=1e-5)


@pytest.mark.skipif(_pt is None, reason="PyTorch not installed")
def test_quickstart_matches_pytorch():
    w0 = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
    b0 = np.random.default_rng(4).standard_normal(3).astype(np.float32)
    *_, w, b, z, loss = _quickstart(w0, b0)
    loss.backward()
    tw = _pt.tensor(w0, requires_grad=True)
    tb = _pt.tensor(b0, requires_grad=True)
    tz = _pt.matmul(_pt.ones(5), tw) + tb
    tloss = _pt.nn.functional.binary_cross_entropy_with_logits(tz, _pt.zeros(3))
    tloss.backward()
    assert z.grad_fn.name() == type(tz.grad_fn).__name__
    assert loss.grad_fn.name() == type(tloss.grad_fn).__name__
    np.testing.assert_allclose(z.detach().numpy(), tz.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_stop_tracking_false_true_false():
    x = torch.ones(5)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    flags = [z.requires_grad]
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    flags.append(z.requires_grad)
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    flags.append(z_det.requires_grad)
    assert flags == [True, False, False]
    # and the no_grad result has no history
    with torch.no_grad():
        z2 = torch.matmul(x, w) + b
    assert z2.grad_fn is None and z2.is_leaf
    assert z_det.grad_fn is None and z_det.is_leaf


def test_jacobian_product_accumulates_and_zeroes():
    inp = torch.eye(5, requires_grad=True)
    out = (inp + 1).pow(2)
    assert out.grad_fn.name() == "PowBackward0"
    first = np.full((5, 5), 2.0) + 2.0 * np.eye(5)
    out.backward(torch.ones_like(inp), retain_graph=True)
    assert_close(inp.grad, first)
    out.backward(torch.ones_like(inp), retain_graph=True)
    assert_close(inp.grad, 2 * first)
    r = inp.grad.zero_()
    assert r is inp.grad or np.array_equal(r.numpy(), np.zeros((5, 5)))
    assert_close(inp.grad, np.zeros((5, 5)))
    out.backward(torch.ones_like(inp), retain_graph=True)
    assert_close(inp.grad, first)
    expected_repr = ("tensor([[4., 2., 2., 2., 2.],\n"
                     "        [2., 4., 2., 2., 2.],\n"
                     "        [2., 2., 4., 2., 2.],\n"
                     "        [2., 2., 2., 4., 2.],\n"
                     "        [2., 2., 2., 2., 4.]])")
    assert repr(inp.grad) == expected_repr


# ---------------------------------------------------------------- seed 003: graph and grad_fn

def _small_graph():
    x = torch.tensor(2.0, requires_grad=True)
    w = torch.tensor(3.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    z = w * x
    y = z + b
    loss = y ** 2
    return x, w, b, z, y, loss


def test_graph_inspection_leaves_and_intermediates():
    x, w, b, z, y, loss = _small_graph()
    assert (x.is_leaf, x.grad_fn) == (True, None)
    assert (w.is_leaf, w.grad_fn) == (True, None)
    assert z.is_leaf is False and z.grad_fn.name() == "MulBackward0"
    assert y.is_leaf is False and y.grad_fn.name() == "AddBackward0"
    assert loss.grad_fn.name() == "PowBackward0"
    # structure: PowBackward0 -> AddBackward0 -> (MulBackward0, AccumulateGrad(b))
    nf = loss.grad_fn.next_functions
    assert nf[0][0] is y.grad_fn or nf[0][0] == y.grad_fn
    add_next = [f.name() for f, _ in y.grad_fn.next_functions]
    assert add_next == ["MulBackward0", "torch::autograd::AccumulateGrad"]
    mul_next = [f.variable for f, _ in z.grad_fn.next_functions]
    assert mul_next[0] is w and mul_next[1] is x


def test_graph_backward_42_28_14():
    x, w, b, z, y, loss = _small_graph()
    assert z.item() == 6.0 and y.item() == 7.0 and loss.item() == 49.0
    loss.backward()
    assert (x.grad.item(), w.grad.item(), b.grad.item()) == (42.0, 28.0, 14.0)
    assert repr(x.grad) == "tensor(42.)"
    assert repr(w.grad) == "tensor(28.)"
    assert repr(b.grad) == "tensor(14.)"


def test_exercise_intermediates_have_no_grad():
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    z = y + 3
    loss = z ** 2
    loss.backward()
    # d/dx (2x+3)^2 = 4(2x+3) = 20 at x = 1
    assert x.grad.item() == 20.0
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert z.grad is None


def test_retain_graph_12_then_24():
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward()
    assert x.grad.item() == 12.0
    # a fresh graph works without retain_graph
    y = x ** 3
    y.backward()
    assert x.grad.item() == 24.0
    x.grad = None
    assert x.grad is None
    y = x ** 3
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0


def test_second_backward_without_retain_graph_raises():
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    assert x.grad.item() == 12.0  # the failed call did not accumulate anything


# ---------------------------------------------------------------- seed 004: saved tensors, modes, in-place

def test_saved_self_is_the_same_object():
    x = torch.randn(5, requires_grad=True)
    y = x.pow(2)
    assert y.grad_fn.name() == "PowBackward0"
    assert x is y.grad_fn._saved_self
    assert y.grad_fn._saved_exponent == 2.0


def test_mul_saves_only_what_it_needs():
    a = torch.randn(3, requires_grad=True)
    b = torch.randn(3)
    c = a * b
    assert c.grad_fn._saved_other is b
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.numpy())


def test_saved_tensor_modified_in_place_raises_at_backward():
    a = torch.randn(4, requires_grad=True)
    b = a * 2
    c = b.pow(2)  # saves b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_in_place_on_leaf_allowed_only_under_no_grad():
    w = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        w.mul_(2)
        w += 1
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert_close(w, [3.0, 3.0, 3.0])
    msg = "a leaf Variable that requires grad is being used in an in-place operation"
    with pytest.raises(RuntimeError, match=msg):
        w.mul_(2)
    with pytest.raises(RuntimeError, match=msg):
        w += 1
    assert_close(w, [3.0, 3.0, 3.0])  # the refused op did not write


def test_in_place_on_intermediate_is_allowed():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_parameter_init_in_place_keeps_optimizer_reference():
    lin = nn.Linear(3, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    with torch.no_grad():
        lin.weight.fill_(0.5)
        lin.bias.zero_()
    assert opt.param_groups[0]["params"][0] is lin.weight
    assert_close(opt.param_groups[0]["params"][0], np.full((2, 3), 0.5))


def test_no_grad_results_do_not_record():
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        y = x * 2
        assert torch.is_grad_enabled() is False
    assert torch.is_grad_enabled() is True
    assert y.requires_grad is False and y.grad_fn is None
    # no_grad output can be used in a later graph
    z = (y * x).sum()
    z.backward()
    assert_close(x.grad, [2.0, 2.0, 2.0])


def test_inference_mode_tensors_refuse_later_autograd():
    w = torch.ones(3, requires_grad=True)
    with torch.inference_mode():
        t = w * 2
        assert torch.is_inference_mode_enabled()
    assert not torch.is_inference_mode_enabled()
    assert t.requires_grad is False and t.is_inference() is True
    assert w.is_inference() is False
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        w * t
    # using an inference tensor in a graph that does not save it is fine
    u = (w + t).sum()
    u.backward()
    assert_close(w.grad, [1.0, 1.0, 1.0])


def test_inference_tensor_in_place_outside_inference_mode_raises():
    with torch.inference_mode():
        t = torch.ones(3)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
        t.add_(1)


@pytest.mark.vision
def test_eval_does_not_change_requires_grad():
    from gradgate.vision.models import resnet18
    model = resnet18()
    model.eval()
    assert model.training is False
    assert all(not m.training for m in model.modules())
    assert all(p.requires_grad for p in model.parameters())
    out = model(torch.randn(1, 3, 32, 32))
    assert out.requires_grad and out.grad_fn is not None
    model.train()
    assert model.training and model.fc.training
    model.requires_grad_(False)
    assert model.training  # and requires_grad does not change the mode


def test_optimizer_zero_grad_sets_none_and_step_updates():
    lin = nn.Linear(4, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    x = torch.randn(3, 4)
    w0 = lin.weight.detach().clone()
    loss = lin(x).pow(2).sum()
    loss.backward()
    g = lin.weight.grad.clone()
    assert lin.bias.grad is not None
    opt.step()
    assert_close(lin.weight, w0.numpy() - 0.1 * g.numpy(), rtol=1e-6, atol=1e-6)
    opt.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None

    # zero_grad between backward and step means no update
    lin(x).pow(2).sum().backward()
    opt.zero_grad()
    w1 = lin.weight.detach().clone()
    opt.step()
    np.testing.assert_array_equal(lin.weight.detach().numpy(), w1.numpy())

    # set_to_none=False keeps zero tensors
    lin(x).pow(2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert lin.weight.grad is not None
    np.testing.assert_array_equal(lin.weight.grad.numpy(), np.zeros((2, 4), np.float32))


def test_gradients_accumulate_without_zero_grad():
    lin = nn.Linear(2, 1)
    x = torch.ones(1, 2)
    lin(x).sum().backward()
    g1 = lin.weight.grad.clone()
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * g1.numpy())
