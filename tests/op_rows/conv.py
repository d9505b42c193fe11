"""Op-table rows of the conv family (csrc/ops/conv.cpp and nn/functional.py): conv2d, conv1d,
conv_transpose2d, conv_transpose1d, max_pool2d, avg_pool2d, adaptive_avg_pool2d, unfold, fold (all twice differentiable)."""
import numpy as np

import gradgate.nn.functional as F
from tests.op_db import Err, Op, attach_errors


def _np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Direct loop over the kernel taps: x (N, C, H, W), w (O, C/groups, kh, kw)."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    Og = O // groups
    out = np.zeros((N, O, Ho, Wo), dtype=x.dtype)
    for g in range(groups):
        xg = xp[:, g * Cg:(g + 1) * Cg]
        wg = w[g * Og:(g + 1) * Og]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dh:i * dh + sh * (Ho - 1) + 1:sh, j * dw:j * dw + sw * (Wo - 1) + 1:sw]
                out[:, g * Og:(g + 1) * Og] += np.einsum("nchw,oc->nohw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.reshape(1, O, 1, 1)
    return out


def _np_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding), (1, dilation), groups)[:, :, 0]


def _np_conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                         dilation=(1, 1)):
    """Scatter of every input pixel times the kernel: x (N, C, H, W), w (C, O/groups, kh, kw)."""
    N, C, H, W = x.shape
    _, Og, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + output_padding[0] + 1
    Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + output_padding[1] + 1
    Cg = C // groups
    full = np.zeros((N, Og * groups, Ho + 2 * ph + dh * kh, Wo + 2 * pw + dw * kw), dtype=x.dtype)
    for g in range(groups):
        xg, wg = x[:, g * Cg:(g + 1) * Cg], w[g * Cg:(g + 1) * Cg]
        for i in range(kh):
            for j in range(kw):
                full[:, g * Og:(g + 1) * Og, i * dh:i * dh + sh * (H - 1) + 1:sh, j * dw:j * dw + sw * (W - 1) + 1:sw] \
                    += np.einsum("nchw,co->nohw", xg, wg[:, :, i, j])
    out = full[:, :, ph:ph + Ho, pw:pw + Wo]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out


def _np_pool(x, k, s, p, d=(1, 1), ceil_mode=False, kind="max", count_include_pad=True):
    """x (N, C, H, W); PyTorch's window rules (ceil_mode windows must start inside the input or left padding)."""
    N, C, H, W = x.shape

    def osize(n, k_, s_, p_, d_):
        num = n + 2 * p_ - d_ * (k_ - 1) - 1 + (s_ - 1 if ceil_mode else 0)
        o = num // s_ + 1
        if ceil_mode and (o - 1) * s_ >= n + p_:
            o -= 1
        return o
    Ho, Wo = osize(H, k[0], s[0], p[0], d[0]), osize(W, k[1], s[1], p[1], d[1])
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for oh in range(Ho):
        for ow in range(Wo):
            if kind == "max":
                hs = [oh * s[0] - p[0] + i * d[0] for i in range(k[0])]
                ws = [ow * s[1] - p[1] + j * d[1] for j in range(k[1])]
                hs = [h for h in hs if 0 <= h < H]
                ws = [w for w in ws if 0 <= w < W]
                out[:, :, oh, ow] = x[:, :, hs][:, :, :, ws].max(axis=(2, 3))
            else:
                h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
                h1, w1 = min(h0 + k[0], H + p[0]), min(w0 + k[1], W + p[1])
                pool = (h1 - h0) * (w1 - w0)
                h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
                div = pool if count_include_pad else (h1 - h0) * (w1 - w0)
                out[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / div
    return out


def _np_pool2_indices(x):
    """Flat (h * W + w) indices of the maxima of max_pool2d(x, 2)."""
    N, C, H, W = x.shape
    Ho, Wo = H // 2, W // 2
    win = x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, Ho, 2, Wo, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, 4)
    k = win.argmax(-1)
    return (2 * np.arange(Ho)[:, None] + k // 2) * W + 2 * np.arange(Wo) + k % 2


def _np_adaptive_avg(x, size):
    N, C, H, W = x.shape
    out = np.zeros((N, C) + tuple(size), dtype=x.dtype)
    for i in range(size[0]):
        for j in range(size[1]):
            h0, h1 = (i * H) // size[0], -((-(i + 1) * H) // size[0])
            w0, w1 = (j * W) // size[1], -((-(j + 1) * W) // size[1])
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _np_unfold(x, k, p, s):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    Ho, Wo = (H + 2 * p[0] - k[0]) // s[0] + 1, (W + 2 * p[1] - k[1]) // s[1] + 1
    rows = [xp[:, :, i:i + s[0] * (Ho - 1) + 1:s[0], j:j + s[1] * (Wo - 1) + 1:s[1]].reshape(N, C, 1, -1)
            for i in range(k[0]) for j in range(k[1])]
    return np.concatenate(rows, 2).reshape(N, C * k[0] * k[1], Ho * Wo)


def _np_unfold_ref(x):
    return _np_unfold(x, (2, 3), (1, 1), (1, 2))


def _np_fold_ref(c):
    """fold is unfold's adjoint: build it column by column from unfold of unit images."""
    N = c.shape[0]
    out = np.zeros((N, 2, 3, 4), dtype=c.dtype)
    for idx in np.ndindex(2, 3, 4):
        e = np.zeros((1, 2, 3, 4))
        e[(0,) + idx] = 1.0
        u = _np_unfold(e, (2, 3), (1, 1), (1, 2))
        out[(slice(None),) + idx] = (c * u).sum(axis=(1, 2))
    return out


ROWS = [
    Op("conv2d", lambda x, w, b: F.conv2d(x, w, b), lambda x, w, b: _np_conv2d(x, w, b),
       [(2, 2, 5, 4), (3, 2, 3, 2), (3,)], tol32=1e-4, gradgrad=True),
    Op("conv2d_stride_pad_dil", lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
       lambda x, w: _np_conv2d(x, w, None, (2, 1), (1, 2), (1, 2)), [(1, 2, 5, 5), (2, 2, 2, 2)], tol32=1e-4, gradgrad=True),
    Op("conv2d_groups", lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
       lambda x, w, b: _np_conv2d(x, w, b, padding=(1, 1), groups=2), [(2, 4, 3, 3), (4, 2, 2, 2), (4,)],
       tol32=1e-4, gradgrad=True),
    Op("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
       lambda x, w, b: _np_conv1d(x, w, b, 2, 1, 2), [(2, 3, 7), (2, 3, 2), (2,)], tol32=1e-4, gradgrad=True),
    Op("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b), lambda x, w, b: _np_conv_transpose2d(x, w, b),
       [(2, 3, 3, 4), (3, 2, 3, 2), (2,)], tol32=1e-4, gradgrad=True),
    Op("conv_transpose2d_stride_pad_outpad_groups",
       lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2),
       lambda x, w, b: _np_conv_transpose2d(x, w, b, (2, 3), (1, 0), (1, 2), 2), [(1, 4, 3, 3), (4, 1, 3, 2), (2,)],
       tol32=1e-4, gradgrad=True),
    Op("conv_transpose2d_dilation_outpad",  # output_padding >= stride, allowed below the dilation
       lambda x, w: F.conv_transpose2d(x, w, padding=1, output_padding=1, dilation=(2, 3)),
       lambda x, w: _np_conv_transpose2d(x, w, None, padding=(1, 1), output_padding=(1, 1), dilation=(2, 3)),
       [(2, 2, 3, 3), (2, 3, 2, 2)], tol32=1e-4, gradgrad=True),
    Op("conv_transpose1d", lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
       lambda x, w, b: _np_conv_transpose2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (0, 1))[:, :, 0],
       [(2, 3, 4), (3, 2, 3), (2,)], tol32=1e-4, gradgrad=True),
    Op("max_pool2d", lambda x: F.max_pool2d(x, 2), lambda x: _np_pool(x, (2, 2), (2, 2), (0, 0)), [(2, 2, 4, 5)],
       gradgrad=True),
    Op("max_pool2d_indices", lambda x: F.max_pool2d(x, 2, return_indices=True)[1], _np_pool2_indices, [(2, 2, 4, 5)],
       grad=False, out_dtype="int64"),
    Op("max_pool2d_with_indices_values", lambda x: F.max_pool2d(x, 2, return_indices=True)[0],
       lambda x: _np_pool(x, (2, 2), (2, 2), (0, 0)), [(2, 2, 4, 5)]),
    Op("max_pool2d_pad_dil_ceil", lambda x: F.max_pool2d(x, (3, 2), (2, 1), (1, 1), (1, 2), ceil_mode=True),
       lambda x: _np_pool(x, (3, 2), (2, 1), (1, 1), (1, 2), ceil_mode=True), [(1, 2, 6, 5)], gradgrad=True),
    Op("avg_pool2d", lambda x: F.avg_pool2d(x, 2), lambda x: _np_pool(x, (2, 2), (2, 2), (0, 0), kind="avg"),
       [(2, 2, 4, 5)], gradgrad=True),
    Op("avg_pool2d_pad_ceil_no_count", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
       lambda x: _np_pool(x, (3, 3), (2, 2), (1, 1), ceil_mode=True, kind="avg", count_include_pad=False),
       [(1, 2, 6, 5)], gradgrad=True),
    Op("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), lambda x: _np_adaptive_avg(x, (3, 2)),
       [(2, 2, 5, 5)], gradgrad=True),
    Op("unfold", lambda x: F.unfold(x, (2, 3), padding=1, stride=(1, 2)), _np_unfold_ref, [(2, 2, 3, 4)], gradgrad=True),
    Op("fold", lambda c: F.fold(c, (3, 4), (2, 3), padding=1, stride=(1, 2)), _np_fold_ref, [(2, 12, 8)],
       gradgrad=True),
]

ERRORS = {
    "conv2d": [Err("channels", [(2, 3, 5, 4), (3, 2, 3, 2), (3,)], RuntimeError, "conv2d", [(2, 3, 5, 4)]),
               Err("kernel_too_big", [(2, 2, 2, 2), (3, 2, 3, 2), (3,)], RuntimeError, "conv2d")],
    "conv1d": [Err("channels", [(2, 2, 7), (2, 3, 2), (2,)], RuntimeError, "conv1d", [(2, 2, 7)])],
    "conv_transpose2d": [Err("channels", [(2, 2, 3, 4), (3, 2, 3, 2), (2,)], RuntimeError, "conv_transpose2d",
                             [(2, 2, 3, 4)])],
    "conv_transpose1d": [Err("channels", [(2, 2, 4), (3, 2, 3), (2,)], RuntimeError, "conv_transpose1d",
                             [(2, 2, 4)])],
    "max_pool2d": [Err("too_small", [(1, 1, 1, 3)], RuntimeError, "max_pool2d")],
    "max_pool2d_pad_dil_ceil": [Err("pad", [(1, 2, 6, 5)], RuntimeError, "max_pool2d",
                                    fn=lambda x: F.max_pool2d(x, 2, padding=2))],
    "avg_pool2d": [Err("too_small", [(1, 1, 1, 3)], RuntimeError, "avg_pool2d")],
    "adaptive_avg_pool2d": [Err("1d", [(5,)], ValueError, "adaptive_avg_pool2d")],
    "unfold": [Err("too_small", [(1, 1, 1, 1)], RuntimeError, "unfold", fn=lambda x: F.unfold(x, 3))],
    "fold": [Err("channels", [(2, 5, 8)], RuntimeError, "fold")],
}
attach_errors(ROWS, ERRORS)

