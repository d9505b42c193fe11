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
              "numel", "softmax", "log_softmax"]:
    globals()[_name] = _method(_name)

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
def div(input, other):
    return input / other if isinstance(input, Tensor) else other.__rtruediv__(input)


true_divide = div
multiply = mul
subtract = sub


@_export
def pow(input, exponent):
    return input ** exponent if isinstance(input, Tensor) else exponent.__rpow__(input)
