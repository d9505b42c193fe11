"""Shared pytest configuration for the gradgate suite: markers, per-test state, and an oracle
mode (`pytest tests --oracle-torch`) that runs the whole suite with PyTorch standing in for
gradgate, to check that the suite's expectations are PyTorch's own. In that mode the only
expected failures are the tests marked `beyond_torch` (gradgate promises more than PyTorch)."""
import sys

import numpy as np
import pytest


def pytest_addoption(parser):
    parser.addoption("--oracle-torch", action="store_true", default=False,
                     help="run the suite against PyTorch (import gradgate -> torch) to validate expectations")


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs a CUDA device (skipped when gradgate.cuda.is_available() is False)")
    config.addinivalue_line("markers", "vision: uses gradgate.vision (needs torchvision under --oracle-torch)")
    config.addinivalue_line("markers", "beyond_torch: gradgate's contract is stricter than PyTorch here "
                                       "(expected to fail under --oracle-torch)")
    if config.getoption("--oracle-torch"):
        import torch
        import torch.autograd
        import torch.nn
        import torch.nn.functional
        import torch.optim
        import torch.utils.data
        for name, mod in {"gradgate": torch, "gradgate.nn": torch.nn, "gradgate.optim": torch.optim,
                          "gradgate.autograd": torch.autograd,
                          "gradgate.nn.functional": torch.nn.functional, "gradgate.utils": torch.utils,
                          "gradgate.utils.data": torch.utils.data}.items():
            sys.modules[name] = mod
        try:  # gradgate.vision mirrors torchvision; without it the `vision` tests are skipped in this mode
            import torchvision
            sys.modules["gradgate.vision"], sys.modules["gradgate.vision.models"] = torchvision, torchvision.models
        except ImportError:
            pass


def _vision_missing(config):
    return config.getoption("--oracle-torch") and "gradgate.vision" not in sys.modules


def pytest_ignore_collect(collection_path, config):
    # test_vision.py imports gradgate.vision at module level, which has no stand-in without torchvision
    if collection_path.name == "test_vision.py" and _vision_missing(config):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    if _vision_missing(config):
        skip_vision = pytest.mark.skip(reason="--oracle-torch: torchvision is not installed")
        for item in items:
            if "vision" in item.keywords:
                item.add_marker(skip_vision)
    import gradgate
    try:
        has_cuda = bool(gradgate.cuda.is_available())
    except Exception:  # pragma: no cover - a broken cuda module must not hide the CPU suite
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with grad mode on, default dtype float32 and a fixed seed; a test that
    leaks a mode (a bug under test) cannot poison the next one."""
    import gradgate
    gradgate.manual_seed(0)
    np.random.seed(0)
    yield
    restore = getattr(getattr(gradgate, "_C", None), "_restore_modes", None)
    if restore is not None:
        restore(True, False)
    else:  # --oracle-torch
        gradgate.set_grad_enabled(True)
    gradgate.set_default_dtype(gradgate.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
