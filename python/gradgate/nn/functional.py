"""gradgate.nn.functional: stateless layers and losses."""
from .. import _C

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduction(reduction):
    try:
        return _REDUCTIONS[reduction]
    except KeyError:
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


linear = _C._linear  # linear(input, weight, bias=None): input @ weight.T + bias


def relu(input, inplace=False):
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _C._leaky_relu(input, inplace, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _C._elu(input, inplace, alpha)


def gelu(input, approximate="none"):
    return _C._gelu(input, approximate)


def silu(input, inplace=False):
    return _C._silu(input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _C._softplus(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _C._hardtanh(input, inplace, min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if input.shape != target.shape:
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=2)
    return _C._mse_loss(input, target, _reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    return _C._binary_cross_entropy_with_logits(input, target, weight, pos_weight, _reduction(reduction))
