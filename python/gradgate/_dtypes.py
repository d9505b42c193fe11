"""dtype objects and the rules for inferring a dtype from Python data."""
from . import _C

float32 = _C.float32
float64 = _C.float64
int32 = _C.int32
int64 = _C.int64
bool_ = _C.bool

_BY_NAME = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "int32": int32, "int": int32, "int64": int64, "long": int64, "bool": bool_,
}
_NUMPY_NAMES = {float32: "float32", float64: "float64", int32: "int32", int64: "int64", bool_: "bool"}

_default_dtype = [float32]


def _dtype_by_name(name):
    return _BY_NAME[name]


def to_numpy_dtype(dtype):
    import numpy as np
    return np.dtype(_NUMPY_NAMES[dtype])


def from_numpy_dtype(np_dtype):
    import numpy as np
    kind, size = np_dtype.kind, np_dtype.itemsize
    if kind == "f":
        return float64 if size == 8 else float32
    if kind in "iu":
        return int32 if (kind == "i" and size == 4) else int64
    if kind == "b":
        return bool_
    raise TypeError(f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported types are: "
                    "float64, float32, int64, int32, and bool.")


def get_default_dtype():
    return _default_dtype[0]


def set_default_dtype(d):
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _C._set_default_dtype(d)
    _default_dtype[0] = d
