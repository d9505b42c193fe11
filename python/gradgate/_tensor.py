"""Python-side conveniences attached to the bound Tensor class: the parts that are not on
the per-op hot path (repr, size, conversions, backward, hooks)."""
import warnings

import numpy as np

from . import _C, _dtypes
from ._device import as_device, check_device_available
from ._tensor_str import tensor_repr

Tensor = _C.Tensor


class Size(tuple):
    """torch.Size: a tuple of ints that prints like PyTorch's."""

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class RemovableHandle:
    def __init__(self, tensor, hook_id):
        self._tensor, self._id = tensor, hook_id

    def remove(self):
        if self._tensor is not None:
            _C._remove_hook(self._tensor, self._id)
            self._tensor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_max_values = __import__("collections").namedtuple("max", ["values", "indices"])
_min_values = __import__("collections").namedtuple("min", ["values", "indices"])


def _size(self, dim=None):
    return Size(self.shape_tuple) if dim is None else self._size(dim)


def _to(self, *args, **kwargs):
    """to(dtype), to(device), to(device, dtype), to(other), with copy= and non_blocking=."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif a is not None:
            device = a
    if device is not None:
        check_device_available(device)
    if dtype is None or dtype is self.dtype:
        return self.clone() if copy else self
    return self._to_dtype(dtype, copy)


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    if inputs is None and (gradient is None or isinstance(gradient, Tensor)):  # the training-loop case
        _C._run_backward([self], [gradient], create_graph if retain_graph is None else retain_graph, create_graph)
        return
    from .autograd import backward
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _register_hook(self, hook):
    return RemovableHandle(self, _C._register_hook(self, hook))


def _max(self, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return self.maximum(dim)
    if dim is None:
        return self._max_all()
    return _max_values(*self._max_dim(dim, keepdim))


def _min(self, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return self.minimum(dim)
    if dim is None:
        return self._min_all()
    return _min_values(*self._min_dim(dim, keepdim))


def _iter(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape_tuple[0]))


def _array(self, dtype=None, copy=None):
    a = self.numpy()
    return a if dtype is None else a.astype(dtype, copy=False)


def _tolist(self):
    return self.detach().numpy().tolist()


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from . import tensor
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_factory(name):
    def f(self, *size, dtype=None, device=None, requires_grad=False):
        import gradgate
        return getattr(gradgate, name)(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)
    f.__name__ = "new_" + name
    return f


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    from . import full
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _type(self, dtype=None, non_blocking=False):
    """t.type() is the legacy type name ('torch.FloatTensor'); t.type(dtype) casts."""
    if dtype is None:
        return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "int64": "torch.LongTensor",
                "int32": "torch.IntTensor", "bool": "torch.BoolTensor"}[str(self.dtype).split(".")[1]]
    if isinstance(dtype, str):
        names = {"torch.FloatTensor": _dtypes.float32, "torch.DoubleTensor": _dtypes.float64,
                 "torch.LongTensor": _dtypes.int64, "torch.IntTensor": _dtypes.int32, "torch.BoolTensor": _dtypes.bool_}
        if dtype not in names:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = names[dtype]
    return self.to(dtype)


def _type_as(self, other):
    return self.to(other.dtype)


def _cpu(self):
    return self


def _cuda(self, device=None, non_blocking=False):
    check_device_available("cuda" if device is None else as_device(device))


def _deepcopy(self, memo):
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
                           "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
                           "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
    if id(self) in memo:
        return memo[id(self)]
    out = type(self)(self.detach().clone(), self.requires_grad) if type(self) is not Tensor else \
        self.detach().clone().requires_grad_(self.requires_grad)
    memo[id(self)] = out
    return out


def _format(self, spec):
    if self.dim() == 0:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


_methods = {
    "__repr__": tensor_repr,
    "__str__": tensor_repr,
    "__format__": _format,
    "__iter__": _iter,
    "__array__": _array,
    "__deepcopy__": _deepcopy,
    "size": _size,
    "to": _to,
    "cpu": _cpu,
    "cuda": _cuda,
    "backward": _backward,
    "register_hook": _register_hook,
    "max": _max,
    "min": _min,
    "tolist": _tolist,
    "type_as": _type_as,
    "type": _type,
    "new_tensor": _new_tensor,
    "new_zeros": _new_factory("zeros"),
    "new_ones": _new_factory("ones"),
    "new_empty": _new_factory("empty"),
    "new_full": _new_full,
    "float": lambda self: self._to_dtype(_dtypes.float32),
    "double": lambda self: self._to_dtype(_dtypes.float64),
    "long": lambda self: self._to_dtype(_dtypes.int64),
    "int": lambda self: self._to_dtype(_dtypes.int32),
    "bool": lambda self: self._to_dtype(_dtypes.bool_),
    "square": lambda self: self ** 2,
    "__contains__": lambda self, v: bool((self == v).sum().item() > 0),
}

for _name, _fn in _methods.items():
    setattr(Tensor, _name, _fn)

Tensor.shape_tuple = Tensor.shape
Tensor.shape = property(lambda self: Size(self.shape_tuple))
Tensor.device = property(lambda self: as_device(self._device_str))
Tensor.T = property(lambda self: self.permute(*reversed(range(self.dim()))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
Tensor.is_cpu = property(lambda self: not self.is_cuda)
Tensor.__module__ = "gradgate"
