"""save / load in PyTorch's checkpoint format (a zip of data.pkl plus one raw file per tensor),
so gradgate reads checkpoints written by torch.save and torch.load reads gradgate's.

load is safe by default (weights_only=True): the unpickler accepts only containers, numbers,
strings and tensors; any other global in the file is refused before anything runs."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np

from . import _C, _dtypes

Tensor = _C.Tensor

_STORAGE_OF = {
    _dtypes.float32: "FloatStorage", _dtypes.float64: "DoubleStorage", _dtypes.int64: "LongStorage",
    _dtypes.int32: "IntStorage", _dtypes.bool_: "BoolStorage",
}
_NUMPY_OF = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64,
             "IntStorage": np.int32, "BoolStorage": np.bool_}


class _Global:
    """A global written into the pickle by name (torch's own names), with no import needed."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints, not a function")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = _Global("collections", "OrderedDict")


class _StorageRef:
    def __init__(self, key, storage_type, numel):
        self.key, self.storage_type, self.numel = key, storage_type, numel


class _Pickler(pickle._Pickler):
    """Writes tensors as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)."""

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = []

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _Global("torch", obj.storage_type), obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            from .nn import Parameter
            data = obj.detach().contiguous().numpy()
            if obj.dtype not in _STORAGE_OF:
                raise pickle.PicklingError(f"cannot save tensors of dtype {obj.dtype}")
            key = str(len(self.storages))
            self.storages.append((key, data))
            ref = _StorageRef(key, _STORAGE_OF[obj.dtype], data.size)
            stride = tuple(s // data.itemsize for s in data.strides) if data.size else (1,) * data.ndim
            args = (ref, 0, tuple(data.shape), stride, False, _OrderedDictCall())
            rebuilt = (_REBUILD_TENSOR, args)
            if isinstance(obj, Parameter):
                return (_REBUILD_PARAMETER, (_Rebuild(*rebuilt), obj.requires_grad, _OrderedDictCall()))
            if obj.requires_grad:
                args = args[:4] + (True,) + args[5:]
                rebuilt = (_REBUILD_TENSOR, args)
            return rebuilt
        if isinstance(obj, _Rebuild):
            return obj.reduce
        if isinstance(obj, _OrderedDictCall):
            return (_ORDERED_DICT, ())
        return NotImplemented

    def save_global(self, obj, name=None):
        if isinstance(obj, _Global):
            key = id(obj)
            if key in self.memo:
                self.write(self.get(self.memo[key][0]))
                return
            self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, _Global):
            return self.save_global(obj)
        return super().save(obj, save_persistent_id)


class _Rebuild:
    def __init__(self, fn, args):
        self.reduce = (fn, args)


class _OrderedDictCall:
    """An empty OrderedDict(), as torch writes for backward hooks."""


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    return "archive"


def save(obj, f, pickle_protocol=2):
    """Writes obj (tensors, state_dicts, optimizer state, nested containers) to a path or file."""
    name = _archive_name(f)
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    opened = open(f, "wb") if isinstance(f, (str, os.PathLike)) else None
    try:
        with zipfile.ZipFile(opened or f, "w", zipfile.ZIP_STORED) as z:
            z.writestr(f"{name}/data.pkl", buf.getvalue())
            z.writestr(f"{name}/.format_version", b"1")
            z.writestr(f"{name}/.storage_alignment", b"64")
            z.writestr(f"{name}/byteorder", b"little")
            for key, data in pickler.storages:
                z.writestr(f"{name}/data/{key}", np.ascontiguousarray(data).tobytes())
            z.writestr(f"{name}/version", b"3\n")
    finally:
        if opened:
            opened.close()


# ---------------------------------------------------------------- load

def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    from ._factories import from_numpy
    itemsize = storage.itemsize
    if any(s < 0 for s in stride):
        raise pickle.UnpicklingError("tensor with negative strides in checkpoint")
    extent = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if extent > storage.size:
        raise pickle.UnpicklingError(f"tensor of size {tuple(size)} runs past its storage of {storage.size} elements")
    view = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                           strides=tuple(s * itemsize for s in stride))
    t = from_numpy(np.array(view))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    from .nn import Parameter
    return Parameter(data, requires_grad)


class _StorageType:
    def __init__(self, name):
        self.name = name


_SAFE_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    **{("torch", name): _StorageType(name) for name in _NUMPY_OF},
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf, prefix, weights_only):
        super().__init__(file)
        self.zf, self.prefix, self.weights_only = zf, prefix, weights_only
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return _SAFE_GLOBALS[(module, name)]
        if self.weights_only:
            raise pickle.UnpicklingError(
                f"Weights only load failed: the file asks for GLOBAL {module}.{name}, which is not an allowed global "
                "(gradgate.load reads tensors, containers, numbers and strings only). Re-run with "
                "weights_only=False only if you trust the source of this file.")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id in checkpoint: {pid!r}")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type in checkpoint: {storage_type!r}")
        if key not in self.storages:
            raw = self.zf.read(f"{self.prefix}data/{key}")
            arr = np.frombuffer(bytearray(raw), dtype=_NUMPY_OF[storage_type.name])
            if arr.size < numel:
                raise pickle.UnpicklingError(f"storage {key} holds {arr.size} elements, the checkpoint says {numel}")
            self.storages[key] = arr
        return self.storages[key]


def load(f, map_location=None, weights_only=True, **_):
    """Reads what save (or torch.save) wrote. map_location may be None, 'cpu' or a cpu device."""
    if map_location is not None and str(map_location).split(":")[0] not in ("cpu",) and not callable(map_location):
        from ._device import check_device_available
        check_device_available(map_location)
    opened = open(f, "rb") if isinstance(f, (str, os.PathLike)) else None
    try:
        src = opened or f
        if not zipfile.is_zipfile(src):
            raise RuntimeError("gradgate.load reads the zip checkpoint format written by gradgate.save and by "
                               "torch.save since PyTorch 1.6; this file is not one")
        src.seek(0)
        with zipfile.ZipFile(src) as zf:
            pkl = [n for n in zf.namelist() if n.endswith("data.pkl")]
            if len(pkl) != 1:
                raise RuntimeError("checkpoint has no single data.pkl record")
            prefix = pkl[0][:-len("data.pkl")]
            return _Unpickler(io.BytesIO(zf.read(pkl[0])), zf, prefix, weights_only).load()
    finally:
        if opened:
            opened.close()
