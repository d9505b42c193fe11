"""Op-table rows of interpolate (csrc/ops/upsample.cpp): nearest, nearest-exact, linear, bilinear (all twice
differentiable: the VJP is linear and recorded)."""
import numpy as np

import gradgate.nn.functional as F
from tests.op_db import Err, Op, attach_errors


def _np_axis(n_in, n_out, mode, align_corners=False, scale_factor=None):
    """The (n_out, n_in) matrix of one axis, from PyTorch's documented index rules."""
    m = np.zeros((n_out, n_in))
    s = 1.0 / scale_factor if scale_factor else n_in / n_out
    for o in range(n_out):
        if mode == "nearest":
            m[o, min(int(np.floor(o * s)), n_in - 1)] = 1.0
        elif mode == "nearest-exact":
            m[o, min(int(np.floor((o + 0.5) * s)), n_in - 1)] = 1.0
        elif n_in == n_out:
            m[o, o] = 1.0
        else:
            if align_corners:
                src = o * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
            else:
                src = max((o + 0.5) * s - 0.5, 0.0)
            i0 = min(int(np.floor(src)), n_in - 1)
            lam = src - i0
            m[o, i0] += 1.0 - lam
            m[o, min(i0 + 1, n_in - 1)] += lam
    return m


def np_interpolate(x, size, mode, align_corners=False, scale_factors=None):
    """x (N, C, *spatial) resampled axis by axis."""
    scale_factors = scale_factors or [None] * len(size)
    for ax, (n_out, sf) in enumerate(zip(size, scale_factors)):
        m = _np_axis(x.shape[2 + ax], n_out, mode, align_corners, sf)
        x = np.moveaxis(np.tensordot(x, m, axes=([2 + ax], [1])), -1, 2 + ax)
    return x


ROWS = [
    Op("interpolate_nearest_size", lambda x: F.interpolate(x, size=(5, 7)),
       lambda x: np_interpolate(x, (5, 7), "nearest"), [(2, 3, 3, 4)], gradgrad=True),
    Op("interpolate_nearest_scale_down", lambda x: F.interpolate(x, scale_factor=(0.5, 0.75)),
       lambda x: np_interpolate(x, (2, 3), "nearest", scale_factors=[0.5, 0.75]), [(1, 2, 5, 4)], gradgrad=True),
    Op("interpolate_nearest_1d", lambda x: F.interpolate(x, scale_factor=2.5),
       lambda x: np_interpolate(x, (7,), "nearest", scale_factors=[2.5]), [(2, 3, 3)], gradgrad=True),
    Op("interpolate_nearest_exact", lambda x: F.interpolate(x, size=(4, 7), mode="nearest-exact"),
       lambda x: np_interpolate(x, (4, 7), "nearest-exact"), [(2, 2, 3, 5)], gradgrad=True),  # odd sizes: no ties
    Op("interpolate_bilinear", lambda x: F.interpolate(x, size=(5, 7), mode="bilinear"),
       lambda x: np_interpolate(x, (5, 7), "linear"), [(2, 3, 3, 4)], tol32=1e-5, gradgrad=True),
    Op("interpolate_bilinear_align_corners",
       lambda x: F.interpolate(x, scale_factor=(1.5, 0.6), mode="bilinear", align_corners=True),
       lambda x: np_interpolate(x, (4, 3), "linear", True), [(2, 2, 3, 5)], tol32=1e-5, gradgrad=True),
    Op("interpolate_bilinear_scale", lambda x: F.interpolate(x, scale_factor=(1.7, 2.0), mode="bilinear"),
       lambda x: np_interpolate(x, (5, 8), "linear", scale_factors=[1.7, 2.0]), [(1, 2, 3, 4)], tol32=1e-5,
       gradgrad=True),
    Op("interpolate_linear_1d", lambda x: F.interpolate(x, size=8, mode="linear"),
       lambda x: np_interpolate(x, (8,), "linear"), [(2, 3, 5)], tol32=1e-5, gradgrad=True),
    Op("interpolate_area", lambda x: F.interpolate(x, size=(2, 3), mode="area"),
       lambda x: x.reshape(2, 2, 2, 2, 3, 2).mean(axis=(3, 5)), [(2, 2, 4, 6)], gradgrad=True),
]

ERRORS = {
    "interpolate_nearest_size": [
        Err("size_and_scale", [(2, 3, 3, 4)], ValueError, "interpolate",
            fn=lambda x: F.interpolate(x, size=(5, 7), scale_factor=2.0)),
        Err("mode_rank", [(2, 3, 4)], NotImplementedError, "bilinear",
            fn=lambda x: F.interpolate(x, size=5, mode="bilinear"))],
}
attach_errors(ROWS, ERRORS)

