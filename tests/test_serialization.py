"""save / load: round trips, PyTorch's checkpoint format both ways, and safe loading."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import gradgate as gg


def _sample():
    gg.manual_seed(0)
    return {
        "model": collections.OrderedDict(
            w=gg.randn(2, 3), b=gg.arange(4), t=gg.randn(3, 2).t(), s=gg.tensor(2.5, dtype=gg.float64),
            m=gg.tensor([True, False]), i=gg.tensor([1, 2], dtype=gg.int32), e=gg.zeros(0, 3)),
        "epoch": 3, "lr": 0.1, "names": ["a", "b"], "pair": (1, "x"),
        "param": gg.nn.Parameter(gg.ones(2)),
    }


def _assert_same(a, b):
    assert type(a) is type(b) or (isinstance(a, gg.Tensor) and isinstance(b, gg.Tensor))
    if isinstance(a, gg.Tensor):
        assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert a == b


def test_round_trip_path_and_file(tmp_path):
    obj = _sample()
    gg.save(obj, tmp_path / "ck.pt")
    _assert_same(obj, gg.load(tmp_path / "ck.pt"))
    buf = io.BytesIO()
    gg.save(obj, buf)
    buf.seek(0)
    back = gg.load(buf)
    _assert_same(obj, back)
    assert type(back["param"]).__name__ == "Parameter" and back["param"].requires_grad


def test_loaded_tensors_own_their_memory(tmp_path):
    t = gg.arange(6).view(2, 3)
    gg.save({"t": t}, tmp_path / "a.pt")
    back = gg.load(tmp_path / "a.pt")["t"]
    back.add_(1)
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_module_and_optimizer_state_round_trip(tmp_path):
    model = gg.nn.Sequential(gg.nn.Linear(3, 4), gg.nn.ReLU(), gg.nn.Linear(4, 1))
    gg.save(model.state_dict(), tmp_path / "m.pt")
    other = gg.nn.Sequential(gg.nn.Linear(3, 4), gg.nn.ReLU(), gg.nn.Linear(4, 1))
    other.load_state_dict(gg.load(tmp_path / "m.pt"))
    x = gg.randn(5, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_malicious_checkpoint_is_refused_without_running(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"x": Evil()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        gg.load(path)
    assert not marker.exists()


def test_not_a_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"not a zip file")
    with pytest.raises(RuntimeError, match="zip checkpoint format"):
        gg.load(path)


def test_truncated_storage_is_refused(tmp_path):
    gg.save({"t": gg.ones(10)}, tmp_path / "t.pt")
    src = zipfile.ZipFile(tmp_path / "t.pt")
    with zipfile.ZipFile(tmp_path / "bad.pt", "w") as z:
        for n in src.namelist():
            data = src.read(n)
            z.writestr(n, data[:8] if n.endswith("data/0") else data)
    with pytest.raises(pickle.UnpicklingError):
        gg.load(tmp_path / "bad.pt")


torch = pytest.importorskip("torch")


def test_reads_torch_save(tmp_path):
    torch.manual_seed(0)
    sd = collections.OrderedDict(w=torch.randn(2, 3), b=torch.arange(4), t=torch.randn(3, 2).t(),
                                 d=torch.randn(2, dtype=torch.float64), m=torch.tensor([True, False]))
    torch.save({"model": sd, "epoch": 7}, tmp_path / "t.pt")
    back = gg.load(tmp_path / "t.pt")
    assert back["epoch"] == 7
    for k, v in sd.items():
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
        assert str(back["model"][k].dtype) == str(v.dtype)


def test_torch_load_reads_gradgate_save(tmp_path):
    obj = _sample()
    gg.save(obj, tmp_path / "g.pt")
    back = torch.load(tmp_path / "g.pt")  # weights_only=True: only allowed globals inside
    for k, v in obj["model"].items():
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
        assert str(back["model"][k].dtype) == str(v.dtype)
    assert isinstance(back["param"], torch.nn.Parameter)
    assert back["names"] == ["a", "b"] and back["epoch"] == 3


def test_pytorch_linear_weights_load_into_gradgate(tmp_path):
    tm = torch.nn.Linear(3, 2)
    torch.save(tm.state_dict(), tmp_path / "lin.pt")
    gm = gg.nn.Linear(3, 2)
    gm.load_state_dict(gg.load(tmp_path / "lin.pt"))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(gm(gg.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-6)
