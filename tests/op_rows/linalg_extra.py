"""Op-table rows of the linalg-extras family (csrc/ops/linalg_extra.cpp, gradgate/_einsum.py and
the composites pad / scaled_dot_product_attention / bilinear in nn/functional.py)."""
import numpy as np

import gradgate as torch
import gradgate.nn.functional as F
from tests.op_db import Err, Op, _shape_err, attach_errors


def _np_softmax(a, d):
    e = np.exp(a - a.max(d, keepdims=True))
    return e / e.sum(d, keepdims=True)


def _np_sdpa(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    return _np_softmax(s, -1) @ v


def _np_sdpa_causal(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    L, S = s.shape[-2:]
    s = np.where(np.tril(np.ones((L, S), bool)), s, -np.inf)
    return _np_softmax(s, -1) @ v


ROWS = [
    Op("outer", torch.outer, np.outer, [(4,), (5,)], gradgrad=True),
    Op("addmm", lambda s, a, b: torch.addmm(s, a, b), lambda s, a, b: s + a @ b, [(3, 5), (3, 4), (4, 5)],
       gradgrad=True),
    Op("addmm_scaled_bcast", lambda s, a, b: torch.addmm(s, a, b, beta=0.5, alpha=-2.0),
       lambda s, a, b: 0.5 * s - 2.0 * (a @ b), [(5,), (3, 4), (4, 5)], gradgrad=True),
    Op("addmm_method", lambda s, a, b: s.addmm(a, b), lambda s, a, b: s + a @ b, [(2, 3), (2, 4), (4, 3)]),
    Op("baddbmm", lambda s, a, b: torch.baddbmm(s, a, b), lambda s, a, b: s + a @ b,
       [(2, 3, 5), (2, 3, 4), (2, 4, 5)], gradgrad=True),
    Op("baddbmm_scaled_bcast", lambda s, a, b: torch.baddbmm(s, a, b, beta=0.5, alpha=-2.0),
       lambda s, a, b: 0.5 * s + -2.0 * (a @ b), [(3, 5), (2, 3, 4), (2, 4, 5)], gradgrad=True),
    Op("einsum_bmm", lambda a, b: torch.einsum("bij,bjk->bik", a, b), lambda a, b: np.einsum("bij,bjk->bik", a, b),
       [(2, 3, 4), (2, 4, 5)], gradgrad=True),
    Op("einsum_attn", lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b),
       lambda a, b: np.einsum("bhqd,bhkd->bhqk", a, b), [(2, 2, 3, 4), (2, 2, 5, 4)], gradgrad=True),
    Op("einsum_vecmat", lambda a, b: torch.einsum("bi,ij->bj", a, b), lambda a, b: np.einsum("bi,ij->bj", a, b),
       [(3, 4), (4, 5)], gradgrad=True),
    Op("einsum_transpose", lambda a: torch.einsum("ij->ji", a), lambda a: np.einsum("ij->ji", a), [(3, 4)]),
    Op("einsum_bilinear", lambda a, w, b: torch.einsum("bi,oij,bj->bo", a, w, b),
       lambda a, w, b: np.einsum("bi,oij,bj->bo", a, w, b), [(3, 4), (2, 4, 5), (3, 5)], gradgrad=True),
    Op("einsum_diag", lambda a: torch.einsum("bii->bi", a), lambda a: np.einsum("bii->bi", a), [(2, 4, 4)],
       gradgrad=True),
    Op("einsum_sum", lambda a: torch.einsum("ijk->j", a), lambda a: np.einsum("ijk->j", a), [(2, 3, 4)]),
    Op("pad_constant", lambda a: F.pad(a, (1, 2, 0, 1), value=0.5),
       lambda a: np.pad(a, ((0, 0), (0, 1), (1, 2)), constant_values=0.5), [(2, 3, 4)], gradgrad=True),
    Op("pad_negative", lambda a: F.pad(a, (-1, 2)), lambda a: np.pad(a[:, 1:], ((0, 0), (0, 2))), [(3, 4)]),
    Op("pad_reflect", lambda a: F.pad(a, (2, 1, 1, 0), mode="reflect"),
       lambda a: np.pad(a, ((0, 0), (1, 0), (2, 1)), mode="reflect"), [(2, 3, 4)], gradgrad=True),
    Op("pad_replicate", lambda a: F.pad(a, (2, 1), mode="replicate"),
       lambda a: np.pad(a, ((0, 0), (2, 1)), mode="edge"), [(3, 4)], gradgrad=True),
    Op("pad_circular", lambda a: F.pad(a, (2, 1), mode="circular"),
       lambda a: np.pad(a, ((0, 0), (2, 1)), mode="wrap"), [(3, 4)]),
    Op("sdpa", F.scaled_dot_product_attention, _np_sdpa, [(2, 3, 4), (2, 5, 4), (2, 5, 6)], gradgrad=True),
    Op("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), _np_sdpa_causal,
       [(2, 4, 3), (2, 4, 3), (2, 4, 2)]),
]

ERRORS = {
    "outer": [Err("2d", [(2, 2), (2,)], RuntimeError, "outer")],
    "addmm": [Err("shapes", [(3, 5), (3, 4), (3, 5)], RuntimeError, "addmm", [(3, 4), (3, 5)])],
    "baddbmm": [Err("shapes", [(2, 3, 5), (2, 3, 4), (2, 3, 5)], RuntimeError, "baddbmm", [(2, 3, 4), (2, 3, 5)])],
    "einsum_bmm": [Err("shapes", [(2, 3, 4), (2, 5, 5)], RuntimeError, "einsum")],
    "pad_constant": [Err("odd_length", [(2, 3, 4)], RuntimeError, "pad", fn=lambda a: F.pad(a, (1, 2, 3)))],
    "pad_reflect": [Err("too_wide", [(2, 3, 4)], RuntimeError, "pad", fn=lambda a: F.pad(a, (4, 4), mode="reflect"))],
    "sdpa": [Err("shapes", [(2, 3, 4), (2, 5, 3), (2, 5, 6)], RuntimeError, "scaled_dot_product_attention",
                 [(2, 3, 4), (2, 5, 3)])],
}
attach_errors(ROWS, ERRORS)

