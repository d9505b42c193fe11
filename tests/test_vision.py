"""gradgate.vision.models: resnet18/34 with torchvision's names, shapes, count and init; forward and
gradients against a reference written with torch.nn.functional on the same weights; weights= from
checkpoints written by torch.save and gradgate.save; the errors for names, paths and mismatched keys."""
import math

import numpy as np
import pytest

import gradgate as gg
import gradgate.nn as gnn
from gradgate.vision.models import BasicBlock, ResNet, ResNet18_Weights, resnet18, resnet34

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
pytestmark = pytest.mark.vision

LAYERS = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}
WIDTHS = [64, 128, 256, 512]


def _expected_state(layers, num_classes=1000):
    """(name, shape) of every state_dict entry in torchvision's ResNet with BasicBlocks, in registration order,
    derived from its structure: stem, four stages whose first block downsamples (stride 2) from stage 2 on, fc."""
    def bn(prefix, c):
        return [(f"{prefix}.weight", (c,)), (f"{prefix}.bias", (c,)), (f"{prefix}.running_mean", (c,)),
                (f"{prefix}.running_var", (c,)), (f"{prefix}.num_batches_tracked", ())]
    out = [("conv1.weight", (64, 3, 7, 7))] + bn("bn1", 64)
    cin = 64
    for stage, (blocks, c) in enumerate(zip(layers, WIDTHS), start=1):
        for b in range(blocks):
            p = f"layer{stage}.{b}"
            out += [(f"{p}.conv1.weight", (c, cin, 3, 3))] + bn(f"{p}.bn1", c)
            out += [(f"{p}.conv2.weight", (c, c, 3, 3))] + bn(f"{p}.bn2", c)
            if cin != c:
                out += [(f"{p}.downsample.0.weight", (c, cin, 1, 1))] + bn(f"{p}.downsample.1", c)
            cin = c
    return out + [("fc.weight", (num_classes, 512)), ("fc.bias", (num_classes,))]


def _is_buffer(name):
    return name.rsplit(".", 1)[1] in ("running_mean", "running_var", "num_batches_tracked")


@pytest.fixture(scope="module")
def model18():
    gg.manual_seed(0)
    return resnet18()


def test_resnet18_names_shapes_and_count(model18):
    expected = _expected_state(LAYERS["resnet18"])
    assert [(n, tuple(t.shape)) for n, t in model18.state_dict().items()] == expected
    params = [(n, tuple(p.shape)) for n, p in model18.named_parameters()]
    assert params == [e for e in expected if not _is_buffer(e[0])]
    assert sum(p.numel() for p in model18.parameters()) == 11_689_512
    assert all(type(p).__name__ == "Parameter" and p.requires_grad for p in model18.parameters())
    assert isinstance(model18, ResNet) and isinstance(model18.layer3[1], BasicBlock)
    assert [n for n, _ in model18.named_children()] == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2",
                                                       "layer3", "layer4", "avgpool", "fc"]
    assert model18.fc.in_features == 512


def test_resnet34_is_the_same_family_with_more_blocks():
    m = resnet34(num_classes=10)
    assert [(n, tuple(t.shape)) for n, t in m.state_dict().items()] == _expected_state(LAYERS["resnet34"], 10)
    assert sum(p.numel() for p in resnet34().parameters()) == 21_797_672


def test_torchvision_init(model18):
    for name, p in model18.named_parameters():
        w = p.detach().numpy()
        if p.dim() == 4:  # kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / fan_out)
            std = math.sqrt(2.0 / (p.shape[0] * p.shape[2] * p.shape[3]))
            assert abs(w.mean()) < 0.2 * std and abs(w.std() / std - 1) < 0.1, name
        elif name.startswith("fc."):  # Linear's own default: U(-1/sqrt(512), 1/sqrt(512))
            assert np.abs(w).max() <= 1 / math.sqrt(512) and w.std() > 0.5 / math.sqrt(3 * 512), name
        else:
            np.testing.assert_array_equal(w, np.full(w.shape, 1.0 if name.endswith("weight") else 0.0), err_msg=name)
    zero = resnet18(zero_init_residual=True)
    assert all(float(b.bn2.weight.abs().sum()) == 0 for layer in (zero.layer1, zero.layer4) for b in layer)
    assert float(zero.layer1[0].bn1.weight.sum()) == 64


def test_constructor_arguments_as_torchvision():
    assert tuple(resnet18(num_classes=7).fc.weight.shape) == (7, 512)
    assert isinstance(resnet18(norm_layer=gnn.Identity).bn1, gnn.Identity)
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        resnet18(groups=2)
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported in BasicBlock"):
        resnet18(replace_stride_with_dilation=[False, True, False])
    with pytest.raises(ValueError, match="replace_stride_with_dilation should be None or a 3-element tuple"):
        resnet18(replace_stride_with_dilation=[False])


def _randomize_bn_stats(model):
    """Non-trivial BN affine parameters and running statistics, so eval mode is not an identity."""
    with gg.no_grad():
        for m in model.modules():
            if isinstance(m, gnn.BatchNorm2d):
                m.weight.copy_(gg.rand(m.num_features) + 0.5)
                m.bias.copy_(gg.randn(m.num_features) * 0.1)
                m.running_mean.copy_(gg.randn(m.num_features) * 0.1)
                m.running_var.copy_(gg.rand(m.num_features) + 0.5)


def _reference_resnet(sd, x, training):
    """torchvision's ResNet forward spelled with torch.nn.functional on the state_dict sd (torch tensors)."""
    def bn(prefix, h):
        return TF.batch_norm(h, sd[f"{prefix}.running_mean"], sd[f"{prefix}.running_var"], sd[f"{prefix}.weight"],
                             sd[f"{prefix}.bias"], training, 0.1, 1e-5)
    h = TF.relu(bn("bn1", TF.conv2d(x, sd["conv1.weight"], stride=2, padding=3)))
    h = TF.max_pool2d(h, 3, 2, 1)
    for stage in range(1, 5):
        b = 0
        while f"layer{stage}.{b}.conv1.weight" in sd:
            p = f"layer{stage}.{b}"
            stride = 2 if stage > 1 and b == 0 else 1
            out = TF.relu(bn(f"{p}.bn1", TF.conv2d(h, sd[f"{p}.conv1.weight"], stride=stride, padding=1)))
            out = bn(f"{p}.bn2", TF.conv2d(out, sd[f"{p}.conv2.weight"], padding=1))
            if f"{p}.downsample.0.weight" in sd:
                h = bn(f"{p}.downsample.1", TF.conv2d(h, sd[f"{p}.downsample.0.weight"], stride=stride))
            h = TF.relu(out + h)
            b += 1
    return TF.linear(TF.adaptive_avg_pool2d(h, 1).flatten(1), sd["fc.weight"], sd["fc.bias"])


def _to_torch_state(model):
    return {n: torch.tensor(t.numpy(), requires_grad=n in dict(model.named_parameters()))
            for n, t in model.state_dict().items()}


@needs_torch
def test_eval_forward_matches_reference():
    model = resnet18(num_classes=10)
    _randomize_bn_stats(model)
    model.eval()
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with gg.no_grad():
        out = model(gg.tensor(x))
    with torch.no_grad():
        ref = _reference_resnet(_to_torch_state(model), torch.tensor(x), training=False)
    assert tuple(out.shape) == (1, 10)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


@needs_torch
def test_train_forward_backward_and_running_stats_match_reference():
    model = resnet18(num_classes=10)
    _randomize_bn_stats(model)
    sd = _to_torch_state(model)  # before the forward, which updates the running statistics in place
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    g = rng.standard_normal((2, 10)).astype(np.float32)
    out = model(gg.tensor(x))
    (out * gg.tensor(g)).sum().backward()
    ref = _reference_resnet(sd, torch.tensor(x), training=True)
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-4)
    for name, p in model.named_parameters():
        expected = sd[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max(),
                                   err_msg=name)
    for name, t in model.state_dict().items():
        if _is_buffer(name):
            expected = 1 if name.endswith("num_batches_tracked") else sd[name].numpy()
            np.testing.assert_allclose(t.numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=name)


def _save(state, path, writer):
    if writer == "gradgate":
        gg.save(state, path)
    else:
        torch.save({n: torch.tensor(t.numpy()) for n, t in state.items()}, str(path))


@pytest.mark.parametrize("writer", ["gradgate", pytest.param("torch", marks=needs_torch)])
def test_weights_from_a_checkpoint_path(tmp_path, writer):
    src = resnet18(num_classes=10)
    _randomize_bn_stats(src)
    path = tmp_path / "resnet18.pth"
    _save(src.state_dict(), path, writer)
    gg.manual_seed(1)  # a different init, so equality below comes from the file
    for weights in (path, str(path)):
        m = resnet18(weights=weights, num_classes=10)
        for (n, a), (_, b) in zip(m.state_dict().items(), src.state_dict().items()):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)
        assert all(type(p).__name__ == "Parameter" and p.requires_grad for p in m.parameters())


def test_weights_path_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        resnet18(weights=tmp_path / "missing.pth")
    state = resnet18().state_dict()
    gg.save(state, tmp_path / "full.pth")
    with pytest.raises(RuntimeError, match=r"size mismatch for fc\.weight"):
        resnet18(weights=tmp_path / "full.pth", num_classes=10)
    state["head.bias"] = state.pop("fc.bias")
    gg.save(state, tmp_path / "renamed.pth")
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "fc\.bias".*\n?.*Unexpected key\(s\) '
                                           r'in state_dict: "head\.bias"'):
        resnet18(weights=tmp_path / "renamed.pth")
    with pytest.raises(TypeError, match="weights must be None or the path"):
        resnet18(weights=3)


@pytest.mark.beyond_torch  # torchvision downloads these; gradgate has no network access to rely on
@pytest.mark.parametrize("weights", [ResNet18_Weights.DEFAULT, ResNet18_Weights.IMAGENET1K_V1, "DEFAULT",
                                     "IMAGENET1K_V1", "ResNet18_Weights.IMAGENET1K_V1"])
def test_named_weights_ask_for_a_path(weights):
    with pytest.raises(RuntimeError, match=r"cannot download pretrained weights \(ResNet18_Weights\.IMAGENET1K_V1\)"
                                           r".*resnet18-f37072fd\.pth.*pass its path"):
        resnet18(weights=weights)


@pytest.mark.beyond_torch
def test_pretrained_true_and_unknown_weight_names():
    with pytest.raises(RuntimeError, match="pass its path"):
        resnet18(pretrained=True)
    with pytest.raises(RuntimeError, match=r"resnet34-b627a593\.pth"):
        resnet34(weights="DEFAULT")
    with pytest.raises(ValueError, match="Failed to find Weights IMAGENET1K_V9 in ResNet18_Weights"):
        resnet18(weights="IMAGENET1K_V9")
