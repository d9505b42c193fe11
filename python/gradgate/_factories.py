"""Tensor factories: tensor, zeros, ones, arange, rand, ... (thin wrappers over _C)."""
import builtins

import numpy as np

from . import _C, _dtypes
from ._device import check_device_available

Tensor = _C.Tensor


def _shape(size):
    if len(size) == 1 and not isinstance(size[0], builtins.int):
        return tuple(size[0])
    return tuple(size)


def _finish(t, requires_grad, device):
    if device is not None:
        check_device_available(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """PyTorch's inference: bools stay bool, ints become int64, floats the default float dtype."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray):
        return _dtypes.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return _dtypes.from_numpy_dtype(np.asarray(data).dtype)
    if isinstance(data, builtins.bool):
        return _dtypes.bool_
    if isinstance(data, builtins.int):
        return _dtypes.int64
    if isinstance(data, builtins.float):
        return _dtypes.get_default_dtype()
    if isinstance(data, (list, tuple)):
        kinds = [_infer_dtype(x) for x in data]
        if not kinds:
            return _dtypes.get_default_dtype()
        order = [_dtypes.bool_, _dtypes.int32, _dtypes.int64, _dtypes.float32, _dtypes.float64]
        return max(kinds, key=order.index)
    if hasattr(data, "__float__"):
        return _dtypes.get_default_dtype()
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _to_numpy(data):
    if isinstance(data, Tensor):
        return data.detach().numpy()
    if isinstance(data, (list, tuple)):
        return np.array([_to_numpy(x) for x in data]) if any(isinstance(x, Tensor) for x in data) else np.array(data)
    return np.asarray(data)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or "
                      "sourceTensor.clone().detach().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    dt = dtype if dtype is not None else _infer_dtype(data)
    arr = np.array(_to_numpy(data), dtype=_dtypes.to_numpy_dtype(dt), copy=True, order="C")
    return _finish(_C._from_numpy(arr), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtypes.to_numpy_dtype(dtype) == data.dtype):
        try:
            return from_numpy(data)
        except (TypeError, ValueError):
            pass
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    return _C._from_numpy(arr)


def from_dlpack(ext):
    if not hasattr(ext, "__dlpack__"):
        return _C._from_dlpack_capsule(ext)  # a capsule already
    try:
        capsule = ext.__dlpack__(max_version=(1, 0))
    except TypeError:  # producers that predate DLPack 1.0
        capsule = ext.__dlpack__()
    return _C._from_dlpack_capsule(capsule)


def empty(*size, dtype=None, device=None, requires_grad=False, **_):
    return _finish(_C._empty(_shape(size), dtype or _dtypes.get_default_dtype()), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    shape = tuple(size) if not isinstance(size, builtins.int) else (size,)
    return _finish(_C._full(shape, fill_value, dtype), requires_grad, device)


def zeros(*size, dtype=None, device=None, requires_grad=False, **_):
    return _finish(_C._full(_shape(size), 0, dtype or _dtypes.get_default_dtype()), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, **_):
    return _finish(_C._full(_shape(size), 1, dtype or _dtypes.get_default_dtype()), requires_grad, device)


def scalar_tensor(value, dtype=None, device=None, requires_grad=False):
    return full((), value, dtype=dtype or _dtypes.get_default_dtype(), device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _dtypes.int64 if all(isinstance(v, builtins.int) for v in vals) else _dtypes.get_default_dtype()
    arr = np.arange(*vals, dtype=np.float64 if dtype.is_floating_point else np.int64)
    return _finish(_C._from_numpy(arr.astype(_dtypes.to_numpy_dtype(dtype))), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    dtype = dtype or _dtypes.get_default_dtype()
    arr = np.linspace(start, end, steps).astype(_dtypes.to_numpy_dtype(dtype))
    return _finish(_C._from_numpy(arr), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    dtype = dtype or _dtypes.get_default_dtype()
    arr = np.eye(n, m, dtype=_dtypes.to_numpy_dtype(dtype))
    return _finish(_C._from_numpy(arr), requires_grad, device)


class Generator:
    """An independent random stream (torch.Generator): seeded on its own, used where a
    generator= argument is given (rand, randn, randperm, DataLoader shuffling, random_split)."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(np.random.SeedSequence().entropy % (2 ** 63)).initial_seed()

    def _randperm(self, n):
        return self._rng.permutation(n).tolist()

    def _draw(self, kind, shape, dtype):
        arr = self._rng.random(shape) if kind == "uniform" else self._rng.standard_normal(shape)
        return _C._from_numpy(np.ascontiguousarray(arr.astype(_dtypes.to_numpy_dtype(dtype))))


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    dtype = dtype or _dtypes.get_default_dtype()
    t = generator._draw("uniform", _shape(size), dtype) if generator is not None else _C._rand(_shape(size), dtype)
    return _finish(t, requires_grad, device)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    dtype = dtype or _dtypes.get_default_dtype()
    t = generator._draw("normal", _shape(size), dtype) if generator is not None else _C._randn(_shape(size), dtype)
    return _finish(t, requires_grad, device)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return _finish(_C._randint(low, high, tuple(size), dtype or _dtypes.int64), requires_grad, device)


def randperm(n, dtype=None, device=None, requires_grad=False, generator=None):
    t = tensor(generator._randperm(n), dtype=_dtypes.int64) if generator is not None else _C._randperm(n)
    return _finish(t if dtype in (None, _dtypes.int64) else t.to(dtype), requires_grad, device)


def _like(fn):
    def f(input, dtype=None, device=None, requires_grad=False, **_):
        return fn(*input.shape_tuple, dtype=dtype or input.dtype, requires_grad=requires_grad)
    f.__name__ = fn.__name__ + "_like"
    return f


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, **_):
    return full(input.shape_tuple, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def get_rng_state():
    return _C._get_rng_state()


def set_rng_state(state):
    _C._set_rng_state(state)


def seed():
    import random
    s = random.getrandbits(63)
    _C.manual_seed(s)
    return s
