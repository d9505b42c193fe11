"""Package-level functions (gradgate.add, gradgate.exp, ...): each forwards to the Tensor
method of the same name, which is bound straight to C++."""
from . import _C

Tensor = _C.Tensor

__all__ = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _method(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        return method(input, *args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"gradgate.{name}(input, ...) is input.{name}(...)"
    return _export(fn)


for _name in ["neg", "abs", "sign", "exp", "log", "sqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu",
              "sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "max", "min", "matmul", "mm", "bmm", "mv",
              "dot", "addmm", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "reshape", "transpose", "t",
              "permute", "squeeze", "unsqueeze", "flatten", "narrow", "select", "clone", "detach", "square",
              "numel", "softmax", "log_softmax",
              "outer", "ger", "baddbmm"]:  # linalg extras
    globals()[_name] = _method(_name)
# The in-place rows of csrc/api/unary_ops.def that PyTorch also exposes as functions (torch.relu_, ...).
for _name in ["neg", "abs", "exp", "log", "reciprocal", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "expm1",
              "log1p", "log2", "rsqrt", "tan", "floor", "ceil", "round", "trunc"]:
    globals()[_name + "_"] = _method(_name + "_")

negative = neg
absolute = abs


@_export
def add(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        input, other = other, input
    return input.add(other, alpha=alpha)


@_export
def sub(input, other, *, alpha=1):
    return input.sub(other, alpha=alpha)


@_export
def rsub(input, other, *, alpha=1):
    return (input * alpha).__rsub__(other)


@_export
def mul(input, other):
    return input * other if isinstance(input, Tensor) else other * input


@_export
def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return _C._div_rounding(input, other, rounding_mode)
    return input / other if isinstance(input, Tensor) else other.__rtruediv__(input)


true_divide = div
multiply = mul
subtract = sub


@_export
def pow(input, exponent):
    return input ** exponent if isinstance(input, Tensor) else exponent.__rpow__(input)


# ---- elementwise family ----
for _name in ["expm1", "log1p", "log2", "erf", "rsqrt", "tan", "floor", "ceil", "round", "trunc", "clamp", "clip",
              "clamp_min", "clamp_max", "masked_fill", "lerp", "addcmul", "addcdiv", "floor_divide",
              "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
              "bitwise_not", "isnan", "isinf", "isfinite", "nan_to_num"]:
    globals()[_name] = _method(_name)

fix = trunc
__all__.append("fix")


@_export
def where(condition, input=None, other=None):
    if input is None and other is None:
        raise NotImplementedError("gradgate.where(condition) (the nonzero form) is not supported yet; "
                                  "use where(condition, input, other)")
    return _C._where(condition, input, other)


@_export
def remainder(input, other):
    return _C._remainder(input, other)



# ---- shape and indexing (csrc/ops/index.cpp) ----
for _name in ["chunk", "unbind", "index_select", "gather", "scatter", "scatter_add", "index_add",
              "take_along_dim", "masked_select", "nonzero", "tril", "triu", "diag", "index_put", "index_put_"]:
    globals()[_name] = _method(_name)


@_export
def cat(tensors, dim=0):
    return _C._cat(tensors, dim)


concat = concatenate = cat


@_export
def stack(tensors, dim=0):
    return _C._stack(tensors, dim)


@_export
def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


@_export
def tile(input, dims):
    return input.tile(dims)


@_export
def roll(input, shifts, dims=None):
    return input.roll(shifts, dims)


@_export
def flip(input, dims):
    return input.flip(dims)


__all__ += ["concat", "concatenate"]


# reduce_extra family (var/std, logsumexp, all/any, norm, cumulative ops, sort/topk/unique).
# From here on `all`, `any` and `sort` in this module are gradgate's: code below that needs
# Python's own must use builtins.all / builtins.any.
for _name in ["var", "std", "logsumexp", "all", "any", "norm", "cumsum", "cumprod", "sort", "argsort", "topk",
              "unique"]:
    globals()[_name] = _method(_name)

# ---- linalg extras (ops-linalg) ----
from ._einsum import einsum  # noqa: E402

__all__.append("einsum")


@_export
def constant_pad_nd(input, pad, value=0):
    return _C.constant_pad_nd(input, pad, value)


@_export
def bilinear(input1, input2, weight, bias=None):
    from .nn.functional import bilinear as _bilinear
    return _bilinear(input1, input2, weight, bias)


# ---- conv family: the nn.functional implementations under the package name ----
def _conv_export(name):
    def fn(*args, **kwargs):
        from .nn import functional as F
        return getattr(F, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"gradgate.{name} is gradgate.nn.functional.{name}"
    return _export(fn)


for _name in ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]:
    globals()[_name] = _conv_export(_name)
