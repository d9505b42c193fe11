"""repr() of tensors, in PyTorch's print style: tensor([1., 2.], requires_grad=True)."""
import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    def __init__(self, values, is_float):
        self.is_float = is_float
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        finite = values[np.isfinite(values)] if is_float else values
        if not is_float:
            self.max_width = max([len(str(int(v))) for v in values] or [1])
            return
        if finite.size == 0:
            self.max_width = max([len(self._special(v)) for v in values] or [1])
            return
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        nonzero = np.abs(finite[finite != 0])
        if nonzero.size:
            mx, mn = float(nonzero.max()), float(nonzero.min())
            if self.int_mode:
                self.sci_mode = mx > 1e8
            else:
                self.sci_mode = mx / mn > 1000.0 or mx > 1e8 or mn < 1e-4
        self.max_width = max(len(self.format(v)) for v in values)

    @staticmethod
    def _special(v):
        if math.isnan(v):
            return "nan"
        return "inf" if v > 0 else "-inf"

    def format(self, v):
        if not self.is_float:
            return str(int(v))
        v = float(v)
        if not math.isfinite(v):
            return self._special(v)
        if self.sci_mode:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{PRECISION}f}"

    def padded(self, v):
        return self.format(v).rjust(self.max_width)


def _summarize(a):
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return np.concatenate([_summarize(x) for x in a]) if a.ndim > 1 else a


def _body(a, fmt, indent, summarize):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        items = [fmt.padded(v) for v in a]
        if summarize and len(items) > 2 * EDGEITEMS:
            items = items[:EDGEITEMS] + ["..."] + items[-EDGEITEMS:]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_body(x, fmt, indent + 1, summarize) for x in a]
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        rows = rows[:EDGEITEMS] + ["..."] + rows[-EDGEITEMS:]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def tensor_repr(t):
    from . import _dtypes
    a = t.detach().numpy()
    is_float = t.dtype.is_floating_point
    summarize = a.size > THRESHOLD
    if t.dtype is _dtypes.bool_:
        body = _bool_body(a)
    else:
        vals = _summarize(a) if summarize else a.reshape(-1)
        fmt = _Formatter(vals.astype(np.float64) if is_float else vals, is_float)
        body = _body(a, fmt, len("tensor("), summarize)
    suffix = []
    if a.size == 0 and a.ndim != 1:
        suffix.append(f"size={tuple(a.shape)}")
    default_float = t.dtype is _dtypes.get_default_dtype()
    implied = default_float or t.dtype is _dtypes.int64 or t.dtype is _dtypes.bool_
    if not implied or (a.size == 0 and not default_float):
        suffix.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    if a.size == 0:
        body = "[]"
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"


def _bool_body(a):
    fmt = _BoolFmt()
    return _body(a, fmt, len("tensor("), a.size > THRESHOLD)


class _BoolFmt:
    is_float = False
    max_width = 5

    def format(self, v):
        return "True" if v else "False"

    def padded(self, v):
        return self.format(v).rjust(self.max_width)
