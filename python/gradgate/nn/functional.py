"""gradgate.nn.functional: stateless layers and losses."""
import functools

from .. import _C

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduction(reduction):
    try:
        return _REDUCTIONS[reduction]
    except KeyError:
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


linear = _C._linear  # linear(input, weight, bias=None): input @ weight.T + bias


def _named(e, op, *tensors):
    """The error `e` of a composite op's part, again, its message ending with the op and the input
    shapes (raise it `from None`); an error that already names them is returned as it is."""
    msg = str(e)
    if f"[{op}" in msg:
        return e
    shapes = " and ".join(str(tuple(t.shape)) for t in tensors if isinstance(t, _C.Tensor))
    return type(e)(f"{msg} [{op}: shapes {shapes}]" if shapes else f"{msg} [{op}]")


def _names_errors(op, rename=_named):
    """Decorator for a composite op: an error raised by one of its parts comes out as
    rename(error, op, its first two tensor arguments), i.e. naming the op the user called."""
    def wrap(fn):
        @functools.wraps(fn)
        def named(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (RuntimeError, ValueError, IndexError) as e:
                tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, _C.Tensor)][:2]
                raise rename(e, op, *tensors) from None
        return named
    return wrap


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _C._leaky_relu(input, inplace, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _C._elu(input, inplace, alpha)


@_names_errors("gelu")
def gelu(input, approximate="none"):
    return _C._gelu(input, approximate)


def silu(input, inplace=False):
    return _C._silu(input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _C._softplus(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError(f"min_val cannot be greater than max_val [hardtanh: min_val={min_val}, max_val={max_val}]")
    return _C._hardtanh(input, inplace, min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


@_names_errors("mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if input.shape != target.shape:
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)  # past the _names_errors wrapper
    return _C._mse_loss(input, target, _reduction(reduction))


@_names_errors("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    return _C._binary_cross_entropy_with_logits(input, target, weight, pos_weight, _reduction(reduction))


# ================================================================ nn family (csrc/ops/nn.cpp)
import math as _math
import warnings as _warnings

Tensor = _C.Tensor


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _softmax_dim(name, ndim):
    _warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                   "an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return input.softmax(dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return input.log_softmax(dim, dtype)


def _nll_error(e, op, input, target):
    # PyTorch compares the batch sizes first (a ValueError) and then the target's other dims
    if input.dim() >= 2 and target.dim() >= 1 and input.shape[0] != target.shape[0]:
        e = ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                       f"({target.shape[0]}).")
    return _named(e, op, input, target)


@_names_errors("nll_loss", _nll_error)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _C._nll_loss(input, target, weight, _reduction(reduction), ignore_index)


def one_hot(tensor, num_classes=-1):
    return _C._one_hot(tensor, num_classes)


def _class_weight_view(weight, input):
    # weight (C,) broadcast along the class dim (1, or 0 for an unbatched input).
    return weight if input.dim() == 1 else weight.view(weight.shape[0], *([1] * (input.dim() - 2)))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    red = _reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)
    if target.dtype.is_floating_point:  # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected target size {tuple(input.shape)}, got {tuple(target.shape)} "
                               "[cross_entropy with class probabilities]")
        if label_smoothing > 0.0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        if weight is not None:
            logp = logp * _class_weight_view(weight, input)
        prod = logp * target
        if red == 1:
            n = input.numel() // n_classes if n_classes else 0
            return -prod.sum() / n if n else -prod.sum() * float("nan")
        if red == 2:
            return -prod.sum()
        return -prod.sum(class_dim)
    try:
        nll = _C._nll_loss(logp, target, weight, red, ignore_index)
    except (RuntimeError, ValueError, IndexError) as e:
        raise _nll_error(e, "cross_entropy", input, target) from None
    if label_smoothing <= 0.0:
        return nll
    keep = (target != ignore_index).to(input.dtype)
    if weight is not None:
        smooth = -(logp * _class_weight_view(weight, input)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth * keep
    if red == 1:
        if weight is not None:
            safe = target * (target != ignore_index).long()
            denom = (one_hot(safe, n_classes).to(input.dtype) * weight).sum(-1) * keep
            ret = smooth.sum() / denom.sum()
        else:
            ret = smooth.sum() / keep.sum()
    elif red == 2:
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        noise = input.detach() * 0
    else:
        noise = (_C._rand(tuple(input.shape), input.dtype) < (1.0 - p)).to(input.dtype) / (1.0 - p)
    return input.mul_(noise) if inplace else input * noise


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _C._layer_norm(input, tuple(normalized_shape), weight, bias, eps)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if training:
        size = tuple(input.shape)
        n = 1
        for i, s in enumerate(size):
            if i != 1:
                n *= s
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    return _C._batch_norm(input, running_mean, running_var, weight, bias, training,
                          0.0 if momentum is None else momentum, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    return _C._group_norm(input, num_groups, weight, bias, eps)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.shape[0], "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.shape[0], "Padding_idx must be within num_embeddings"
            padding_idx = weight.shape[0] + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported by gradgate")
    return _C._embedding(weight, input, padding_idx)


def _reduce(loss, reduction):
    red = _reduction(reduction)
    return loss.mean() if red == 1 else loss.sum() if red == 2 else loss


def _warn_size(input, target):
    if tuple(input.shape) != tuple(target.shape):
        _warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                       "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                       "same size.", stacklevel=4)  # loss, _names_errors wrapper, caller


@_names_errors("l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _warn_size(input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@_names_errors("smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _warn_size(input, target)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return _C._smooth_l1_loss(input, target, _reduction(reduction), beta)


@_names_errors("huber_loss")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_size(input, target)
    if weight is None:
        return _C._huber_loss(input, target, _reduction(reduction), delta)
    return _reduce(_C._huber_loss(input, target, 0, delta) * weight, reduction)


@_names_errors("binary_cross_entropy")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _C._binary_cross_entropy(input, target, weight, _reduction(reduction))


@_names_errors("kl_div")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        _warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                       "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                       "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                       stacklevel=3)  # past the _names_errors wrapper
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(target, target): 0 where target == 0
        zero = (target == 0).to(target.dtype)
        loss = target * (target + zero).log() - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() != 0 else loss.sum()
    return _reduce(loss, reduction)


@_names_errors("cosine_similarity")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    # PyTorch: each input over its norm clamped below at eps, then the sum of products (SumBackward1).
    if tuple(x1.shape) != tuple(x2.shape):
        x1, x2 = _broadcast_pair(x1, x2)
    n1 = _clamp_min((x1 * x1).sum(dim, keepdim=True).sqrt(), eps)
    n2 = _clamp_min((x2 * x2).sum(dim, keepdim=True).sqrt(), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _broadcast_pair(a, b):
    shape = _broadcast_shape(tuple(a.shape), tuple(b.shape))
    return a.expand(*shape), b.expand(*shape)


def _broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               "dimension")
        out.append(max(x, y))
    return tuple(out)


def _clamp_min(t, v):
    from .. import full
    return t.maximum(full((), v, dtype=t.dtype))


# ---- linalg extras (ops-linalg): pad, scaled_dot_product_attention ----
def pad(input, pad, mode="constant", value=None):
    """Constant padding of the last len(pad) // 2 dims (negative pads crop): constant_pad_nd
    (ConstantPadNdBackward0); reflect / replicate / circular are composites (CatBackward0), with
    PyTorch's limits (2-3 D input for 2 pads, 3-4 D for 4, 4-5 D for 6)."""
    if not isinstance(pad, (list, tuple)) or not all(isinstance(p, int) for p in pad):
        raise TypeError(f"pad(): argument 'pad' must be tuple of ints, not {type(pad).__name__}")
    if len(pad) % 2 != 0:
        raise RuntimeError(f"Padding length must be divisible by 2 [pad: got {len(pad)} values]")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()} "
                           f"[pad: input shape {list(input.shape)}]")
    if mode == "constant":
        return _C.constant_pad_nd(input, tuple(pad), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise AssertionError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if not (1 <= k <= 3 and input.dim() in (k + 1, k + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode != "circular" and 0 in tuple(input.shape)[input.dim() - k - 1:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(input.shape)} [pad: mode {mode!r}]")
    return _pad_composite(input, pad, mode)


def _repeat_heads(t, rep):
    """repeat_interleave(rep, dim=-3) as unsqueeze + expand + reshape."""
    shape = list(t.shape)
    e = t.unsqueeze(-3).expand(*shape[:-2], rep, *shape[-2:])
    return e.reshape(shape[:-3] + [shape[-3] * rep] + shape[-2:])


def _pad_composite(input, pad, mode):
    """reflect / replicate / circular padding as narrow + flip / expand + cat (differentiable)."""
    from .. import cat
    out = input
    nd = input.dim()
    for i in range(len(pad) // 2):
        d = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = out.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)} "
                               f"[pad: mode '{mode}']")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"Padding value causes wrapping around more than once. [pad: mode '{mode}', "
                               f"padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}]")
        if mode == "replicate" and n == 0 and (lo > 0 or hi > 0):
            raise RuntimeError(f"pad: input tensor must have a non-zero size in dimension {d} for mode "
                               f"'replicate' [input shape {list(input.shape)}]")
        if lo < 0 or hi < 0:
            start = max(-lo, 0)
            out = out.narrow(d, start, n - start - max(-hi, 0))
            n = out.shape[d]
            lo, hi = max(lo, 0), max(hi, 0)
        parts = []
        if lo > 0:
            if mode == "reflect":
                parts.append(out.narrow(d, 1, lo).flip(d))
            elif mode == "replicate":
                shape = list(out.shape)
                shape[d] = lo
                parts.append(out.narrow(d, 0, 1).expand(*shape))
            else:
                parts.append(out.narrow(d, n - lo, lo))
        parts.append(out)
        if hi > 0:
            if mode == "reflect":
                parts.append(out.narrow(d, n - 1 - hi, hi).flip(d))
            elif mode == "replicate":
                shape = list(out.shape)
                shape[d] = hi
                parts.append(out.narrow(d, n - 1, 1).expand(*shape))
            else:
                parts.append(out.narrow(d, 0, hi))
        if len(parts) > 1:
            out = cat(parts, d)
    return out.clone() if out is input else out


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q @ k^T * scale + mask) @ v, PyTorch's math reference composed of existing ops."""
    from .. import ones, bool as _bool
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value to be at least 2-D, got "
                           f"shapes {list(query.shape)}, {list(key.shape)}, {list(value.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same embedding dim, got "
                           f"query {list(query.shape)} and key {list(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same sequence length, got "
                           f"key {list(key.shape)} and value {list(value.shape)}")
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk == 0 or hq % hk != 0 or value.shape[-3] != hk:
            raise RuntimeError(f"scaled_dot_product_attention: number of heads in key and value must divide the "
                               f"number of heads in query (enable_gqa), got query {list(query.shape)}, key "
                               f"{list(key.shape)}, value {list(value.shape)}")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1.0 / _math.sqrt(query.shape[-1]) if scale is None else scale
    attn = query.matmul(key.transpose(-2, -1)) * scale_factor
    if is_causal:
        causal = ones(L, S, dtype=_bool).tril()
        attn = attn.masked_fill(causal.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == _bool:
            attn = attn.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn = attn + attn_mask
    if is_causal or attn_mask is not None:
        # Rows masked entirely give 0 (as PyTorch's CPU kernel), not NaN; grads there are 0 too.
        dead = (attn == float("-inf")).all(-1, keepdim=True)
        if dead.any().item():
            attn = attn.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
        else:
            attn = attn.softmax(-1)
    else:
        attn = attn.softmax(-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn.matmul(value)


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T W x2 + b over the last dim, leading dims batched (einsum 'bi,oij,bj->bo')."""
    from .. import einsum
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes do not match weight: input1 {list(input1.shape)}, input2 "
                           f"{list(input2.shape)}, weight {list(weight.shape)}")
    lead = list(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    y = einsum("bi,oij,bj->bo", x1, weight, x2)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + [weight.shape[0]])


# ---- conv family (csrc/ops/conv.cpp) ----
def _ntuple(x, n, name, op):
    if isinstance(x, int):
        return [x] * n
    x = list(x)
    if len(x) == 1:
        return x * n
    if len(x) != n:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of {n} values to match "
                           f"the convolution dimensions, but got {name}={x}")
    return x


def _conv_padding(padding, weight, stride, dilation, n, op):
    """Numeric padding per spatial dim, plus (left, right) extra padding for padding='same' when odd."""
    if isinstance(padding, str):
        if padding == "valid":
            return [0] * n, None
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}' [{op}]")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"padding='same' is not supported for strided convolutions [{op}]")
        pads, extra = [], []
        for d, k in zip(dilation, weight.shape[2:]):
            total = d * (k - 1)
            pads.append(total // 2)
            extra.append(total - 2 * (total // 2))
        return pads, (extra if any(extra) else None)
    return _ntuple(padding, n, "padding", op), None


def _convnd(input, weight, bias, stride, padding, dilation, groups, n, output_padding=None):
    """conv{n}d, or conv_transpose{n}d when output_padding is given."""
    transposed = output_padding is not None
    op = f"conv_transpose{n}d" if transposed else f"conv{n}d"
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {op}, but got input of "
                           f"size: {list(input.shape)}")
    stride = _ntuple(stride, n, "stride", op)
    dilation = _ntuple(dilation, n, "dilation", op)
    if transposed:
        if isinstance(padding, str):
            raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
        pads, extra = _ntuple(padding, n, "padding", op), None
        output_padding = _ntuple(output_padding, n, "output_padding", op)
    else:
        pads, extra = _conv_padding(padding, weight, stride, dilation, n, op)
    unbatched = input.dim() == n + 1
    x = input.unsqueeze(0) if unbatched else input
    if extra is not None:  # padding='same' with an even kernel: PyTorch pads one more on the right
        from .. import zeros, cat
        for i, e in enumerate(extra):
            if e:
                d = 2 + i
                shape = list(x.shape)
                shape[d] = e
                x = cat([x, zeros(*shape, dtype=x.dtype)], d)
    out = _C._convolution(x, weight, bias, stride, pads, dilation, groups, transposed,
                          output_padding if transposed else [0] * n)
    return out.squeeze(0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, output_padding)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, output_padding)


def _pool_pair(v, name, op):
    if isinstance(v, int):
        return [v, v]
    v = list(v)
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of two ints")
    return v


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    op = "max_pool2d"
    k = _pool_pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pool_pair(stride, "stride", op)
    out, idx = _C._max_pool2d_with_indices(input, k, s, _pool_pair(padding, "padding", op),
                                           _pool_pair(dilation, "dilation", op), bool(ceil_mode))
    return (out, idx) if return_indices else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    op = "avg_pool2d"
    k = _pool_pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pool_pair(stride, "stride", op)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero [avg_pool2d]")
    return _C._avg_pool2d(input, k, s, _pool_pair(padding, "padding", op), bool(ceil_mode), bool(count_include_pad),
                          0 if divisor_override is None else int(divisor_override))


def adaptive_avg_pool2d(input, output_size):
    if not isinstance(output_size, int) and input.dim() <= len(output_size):  # (PyTorch's _list_with_default)
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1} [adaptive_avg_pool2d: input of "
                         f"shape {tuple(input.shape)}]")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    size = _pool_pair(output_size, "output_size", "adaptive_avg_pool2d")
    size = [input.shape[-2 + i] if v is None else v for i, v in enumerate(size)]
    if size == [1, 1]:  # PyTorch takes the mean (MeanBackward1)
        return input.mean((-2, -1), keepdim=True)
    return _C._adaptive_avg_pool2d(input, size)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D) "
                           f"[unfold: input of size {list(input.shape)}]")
    op = "unfold"
    args = [_pool_pair(v, n, op) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                              (padding, "padding"), (stride, "stride"))]
    if input.dim() == 3:
        return _C._unfold(input.unsqueeze(0), *args).squeeze(0)
    return _C._unfold(input, *args)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got "
                           f"{input.dim()}D) [fold: input of size {list(input.shape)}]")
    op = "fold"
    args = [_pool_pair(v, n, op) for v, n in ((output_size, "output_size"), (kernel_size, "kernel_size"),
                                              (dilation, "dilation"), (padding, "padding"), (stride, "stride"))]
    if input.dim() == 2:
        return _C._fold(input.unsqueeze(0), *args).squeeze(0)
    return _C._fold(input, *args)


# ---- attention (nn.MultiheadAttention): PyTorch's slow path, composed of existing ops ----
def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask becomes the additive float mask PyTorch uses (-inf where True); float masks pass."""
    from .. import zeros, bool as _bool
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype != _bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        _warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                       "instead.", stacklevel=3)
    return mask if is_float else zeros(tuple(mask.shape), dtype=target_type, device=mask.device).masked_fill(
        mask, float("-inf"))


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (3-D) query, False for unbatched (2-D); PyTorch's AssertionErrors otherwise."""
    q = query.dim()
    if q not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {q}-D query tensor")
    kind = "batched (3-D)" if q == 3 else "unbatched (2-D)"
    if key.dim() != q or value.dim() != q:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {q}-D but found {key.dim()}-D and "
                             f"{value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != q - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {q - 1}-D but found "
                             f"{key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if q == 2 and attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return q == 3


def _static_kv(t, name, rows, head_dim):
    if t.shape[0] != rows:
        raise AssertionError(f"expecting {name}.size(0) of {rows}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Inputs (L, N, E) / (S, N, E) or unbatched (L, E) / (S, E); returns (attn_output, weights or None)."""
    from .. import cat, zeros
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.dtype, "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal hint replaces the mask (scaled_dot_product_attention's is_causal)
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        weights = in_proj_weight.chunk(3)
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
    if not use_separate_proj_weight and query is key and key is value:  # self-attention: one matmul
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        q, k, v = (linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(bsz * num_heads, tgt_len, src_len)}.")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None else
                             "bias_v is set but bias_k is None")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static {'key' if static_k is not None else 'value'}.")
        k, v = cat([k, bias_k.repeat(1, bsz, 1)]), cat([v, bias_v.repeat(1, bsz, 1)])
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None
         else _static_kv(static_k, "static_k", bsz * num_heads, head_dim))
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None
         else _static_kv(static_v, "static_v", bsz * num_heads, head_dim))
    if add_zero_attn:
        z = zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k, v = cat([k, z], 1), cat([v, z], 1)
    extra = int(bias_k is not None) + int(add_zero_attn)  # key columns appended above: never masked
    if extra:
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, extra))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, extra))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            i = 0 if key_padding_mask.shape[0] != bsz else 1
            raise AssertionError(f"Expected key_padded_mask.shape[{i}] to be {(bsz, src_len)[i]}, but got "
                                 f"{key_padding_mask.shape[i]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        q_scaled = q * _math.sqrt(1.0 / float(head_dim))
        kt = k.transpose(-2, -1)
        weights = q_scaled.bmm(kt) if attn_mask is None else attn_mask.baddbmm(q_scaled, kt)
        weights = weights.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = weights.bmm(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        if attn_mask is not None:
            attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                         else attn_mask.view(bsz, num_heads, -1, src_len))
        q, k, v = (t.reshape(bsz, num_heads, -1, head_dim) for t in (q, k, v))
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
        weights = None
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


# ---- interpolate (csrc/ops/upsample.cpp; 'area' is adaptive_avg_pool2d, as in PyTorch) ----
_UPSAMPLE_MODES = {"nearest": 0, "nearest-exact": 1, "linear": 2, "bilinear": 2}
_MODE_NDIM = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _spatial_arg(v, dim, input, what, shown):
    if not isinstance(v, (list, tuple)):
        return [v] * dim
    if len(v) != dim:
        raise ValueError(f"Input and {what} must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {list(input.shape[2:])} and {shown}{v}. Please provide input tensor "
                         f"in (N, C, d1, d2, ...,dK) format and {what} in "
                         f"({'o1, o2, ...,oK' if what == 'output' else 's1, s2, ...,sK'}) format.")
    return list(v)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined [interpolate]")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined [interpolate]")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if size is not None:
        output_size, scales = _spatial_arg(size, dim, input, "output", "output size of "), None
        if not all(isinstance(s, int) for s in output_size):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], "
                            f"but got size with types {[type(s) for s in output_size]}")
    else:
        scales = [float(s) for s in _spatial_arg(scale_factor, dim, input, "scale_factor", "scale_factor of shape ")]
        output_size = [int(input.shape[2 + i] * s) for i, s in enumerate(scales)]
        if recompute_scale_factor or mode == "area":  # the kernel then uses the size ratio
            scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported yet")
    ndim = input.dim()
    if mode == "area" and ndim in (3, 4):
        if ndim == 4:
            return adaptive_avg_pool2d(input, output_size)
        return adaptive_avg_pool2d(input.unsqueeze(-2), [1, output_size[0]]).squeeze(-2)
    if mode in _UPSAMPLE_MODES and ndim == _MODE_NDIM.get(mode, ndim) and ndim in (3, 4):
        return _C._upsample(input, output_size, scales or [0.0] * dim, _UPSAMPLE_MODES[mode], bool(align_corners))
    if mode in _MODE_NDIM and ndim in (3, 4, 5) and ndim != _MODE_NDIM[mode]:
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {_MODE_NDIM[mode]}D input")
    if mode in ("nearest", "nearest-exact", "area", "bicubic", "trilinear", "lanczos") and ndim in (3, 4, 5):
        raise NotImplementedError(f"interpolate: mode '{mode}' with {ndim}D input is not supported yet")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: "
                              f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
                              f"(got {mode})")
