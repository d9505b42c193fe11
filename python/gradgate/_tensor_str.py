"""repr() of tensors, in PyTorch's print style: tensor([1., 2.], requires_grad=True).

Same rules as PyTorch's printer: one formatter per tensor chooses integer, fixed or
scientific notation from the nonzero finite values; long tensors are summarized with
edge items; suffixes (dtype, grad_fn, ...) wrap at the line width."""
import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            self.max_width = max([len(self._plain(v)) for v in flat] or [1])
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absval = np.abs(finite)
        lo, hi = absval.min(), absval.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.int_mode and not self.sci_mode:
            widths = [len(f"{v:.0f}") + 1 for v in finite]
        elif self.sci_mode:
            widths = [len(f"{v:.{PRECISION}e}") for v in finite]
        else:
            widths = [len(f"{v:.{PRECISION}f}") for v in finite]
        self.max_width = max(widths)

    @staticmethod
    def _plain(v):
        return str(bool(v)) if isinstance(v, (bool, np.bool_)) else str(int(v))

    def format(self, v):
        if not self.floating:
            ret = self._plain(v)
        else:
            v = float(v)
            if self.sci_mode:
                ret = f"{v:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                ret = f"{v:.0f}" if math.isfinite(v) else _nonfinite(v)
                if math.isfinite(v):
                    ret += "."
            else:
                ret = f"{v:.{PRECISION}f}" if math.isfinite(v) else _nonfinite(v)
        return " " * (self.max_width - len(ret)) + ret


def _nonfinite(v):
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _summarized(a):
    """The values a summarized print shows: edge items along every dim."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    if a.ndim == 1:
        return a
    return np.stack([_summarized(x) for x in a])


def _vector(a, fmt, indent, summarize):
    width = fmt.max_width + 2
    per_line = max(1, math.floor((LINEWIDTH - indent) / width))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        items = [fmt.format(v) for v in a[:EDGEITEMS]] + [" ..."] + [fmt.format(v) for v in a[-EDGEITEMS:]]
    else:
        items = [fmt.format(v) for v in a]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, fmt, indent, summarize):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, fmt, indent, summarize)
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        rows = ([_nested(a[i], fmt, indent + 1, summarize) for i in range(EDGEITEMS)] + ["..."]
                + [_nested(a[i], fmt, indent + 1, summarize) for i in range(a.shape[0] - EDGEITEMS, a.shape[0])])
    else:
        rows = [_nested(x, fmt, indent + 1, summarize) for x in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _add_suffixes(body, suffixes, indent):
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix="tensor("):
    from . import _dtypes
    a = t.detach().numpy()
    indent = len(prefix)
    suffixes = []
    default_float = _dtypes.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if t.dtype is not default_float:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if t.dtype not in (default_float, _dtypes.int64, _dtypes.bool_):
            suffixes.append(f"dtype={t.dtype}")
        summarize = a.size > THRESHOLD
        fmt = _Formatter(_summarized(a) if summarize else a, t.dtype.is_floating_point)
        body = _nested(a, fmt, indent, summarize)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + _add_suffixes(body, suffixes, indent)
