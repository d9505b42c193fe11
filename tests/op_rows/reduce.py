"""Op-table rows of the reduce_extra family: var/std, logsumexp, all/any, norms,
cumsum/cumprod, sort/argsort/topk, unique."""
import math

import numpy as np

import gradgate as torch
from tests.op_db import I64, Err, Op, _away, _dim_err, _distinct, _pos, S, attach_errors  # noqa: F401


def _bits(rng, shape):  # 0.0 / 1.0: all/any see both values
    return rng.integers(0, 2, shape).astype(np.float64)


def _small_ints(rng, shape):  # repeated values for unique
    return rng.integers(0, 4, shape).astype(np.float64)


def _lse(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    r = m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))
    return r if keepdims else np.squeeze(r, axis=axis)


def _vnorm(a, p, axis=None, keepdims=False):
    x = np.abs(a)
    if p == math.inf:
        return x.max(axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return x.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (x != 0).sum(axis=axis, keepdims=keepdims).astype(a.dtype)
    return (x ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


def _sort(a, axis, descending=False):
    s = np.sort(a, axis=axis, kind="stable")
    return np.flip(s, axis=axis) if descending else s


def _argsort(a, axis, descending=False):
    return np.argsort(-a if descending else a, axis=axis, kind="stable")


def _topk(a, k, axis=-1, largest=True):
    return np.take(_sort(a, axis, largest), np.arange(k), axis=axis)


T3 = (2, 3, 4)
INF = math.inf

VAR_STD = [
    Op("var", lambda x: x.var(), lambda a: np.var(a, ddof=1), [S], gradgrad=True),
    Op("var_dim", lambda x: x.var(1), lambda a: np.var(a, 1, ddof=1), [S], gradgrad=True),
    Op("var_dims_keep_correction0", lambda x: x.var((0, 2), keepdim=True, correction=0),
       lambda a: np.var(a, (0, 2), keepdims=True), [T3], gradgrad=True),
    Op("var_unbiased_false_positional", lambda x: x.var(0, False), lambda a: np.var(a, 0), [S]),
    Op("var_bool_positional", lambda x: x.var(False), lambda a: np.var(a), [S]),
    Op("var_correction2", lambda x: x.var(dim=-1, correction=2), lambda a: np.var(a, -1, ddof=2), [S]),
    Op("fn_var", lambda x: torch.var(x, 0, keepdim=True), lambda a: np.var(a, 0, ddof=1, keepdims=True), [S]),
    Op("std", lambda x: x.std(), lambda a: np.std(a, ddof=1), [S], gradgrad=True),
    Op("std_dim_keep", lambda x: x.std(0, keepdim=True), lambda a: np.std(a, 0, ddof=1, keepdims=True), [S],
       gradgrad=True),
    Op("std_correction0_dims", lambda x: x.std(dim=(1, 2), correction=0), lambda a: np.std(a, (1, 2)), [T3]),
    Op("std_unbiased_kw", lambda x: x.std(1, unbiased=False), lambda a: np.std(a, 1), [S]),
    Op("fn_std", lambda x: torch.std(x), lambda a: np.std(a, ddof=1), [S]),
]

LOGSUMEXP = [
    Op("logsumexp", lambda x: x.logsumexp(1), lambda a: _lse(a, 1), [S], gradgrad=True),
    Op("logsumexp_dims_keep", lambda x: x.logsumexp((0, 2), keepdim=True),
       lambda a: _lse(a, (0, 2), True), [T3], gradgrad=True),
    Op("logsumexp_neg_dim", lambda x: x.logsumexp(-1), lambda a: _lse(a, -1), [T3]),
    Op("fn_logsumexp", lambda x: torch.logsumexp(x, 0), lambda a: _lse(a, 0), [S]),
    Op("logsumexp_large", lambda x: (x * 1000).logsumexp(1), lambda a: _lse(a * 1000, 1), [S], tol32=1e-4),
    Op("logsumexp_0d", lambda x: x.logsumexp(0), lambda a: a, [()]),
]

ALL_ANY = [
    Op("all", lambda x: x.all(), lambda a: np.all(a != 0), [S], [_bits], grad=False, out_dtype="bool"),
    Op("all_dim", lambda x: x.all(1), lambda a: np.all(a != 0, 1), [(6, 2)], [_bits], grad=False,
       out_dtype="bool"),
    Op("all_dims_keep", lambda x: x.all((0, 2), keepdim=True), lambda a: np.all(a != 0, (0, 2), keepdims=True),
       [(3, 2, 2)], [_bits], grad=False, out_dtype="bool"),
    Op("fn_all", lambda x: torch.all(x, 0), lambda a: np.all(a != 0, 0), [S], [_away], grad=False,
       out_dtype="bool"),
    Op("any", lambda x: x.any(), lambda a: np.any(a != 0), [S], [_bits], grad=False, out_dtype="bool"),
    Op("any_dim_keep", lambda x: x.any(0, keepdim=True), lambda a: np.any(a != 0, 0, keepdims=True), [(2, 6)],
       [_bits], grad=False, out_dtype="bool"),
    Op("fn_any", lambda x: torch.any(x, -1), lambda a: np.any(a != 0, -1), [S], [_bits], grad=False,
       out_dtype="bool"),
]

NORMS = [
    Op("norm", lambda x: x.norm(), lambda a: np.sqrt((a * a).sum()), [S], gradgrad=True),
    Op("norm_p1", lambda x: x.norm(1), lambda a: _vnorm(a, 1), [S], [_away]),
    Op("norm_inf", lambda x: x.norm(INF), lambda a: _vnorm(a, INF), [S], [_distinct]),
    Op("norm_dim", lambda x: x.norm(dim=1), lambda a: _vnorm(a, 2, 1), [S], gradgrad=True),
    Op("norm_p3_dim_keep", lambda x: x.norm(p=3, dim=0, keepdim=True), lambda a: _vnorm(a, 3, 0, True), [S],
       gradgrad=True),
    Op("norm_p1_dims", lambda x: x.norm(1, dim=(0, 2)), lambda a: _vnorm(a, 1, (0, 2)), [T3], [_away]),
    Op("norm_fro_dims", lambda x: x.norm("fro", dim=(1, 2)), lambda a: _vnorm(a, 2, (1, 2)), [T3]),
    Op("fn_norm", lambda x: torch.norm(x, 2, 1), lambda a: _vnorm(a, 2, 1), [S]),
    Op("vector_norm", lambda x: torch.linalg.vector_norm(x), lambda a: _vnorm(a, 2), [T3], gradgrad=True),
    Op("vector_norm_p1_5", lambda x: torch.linalg.vector_norm(x, 1.5, dim=-1), lambda a: _vnorm(a, 1.5, -1), [S],
       [_away], gradgrad=True),
    Op("vector_norm_p0_5", lambda x: torch.linalg.vector_norm(x, 0.5), lambda a: _vnorm(a, 0.5), [S], [_away]),
    Op("vector_norm_neg_inf", lambda x: torch.linalg.vector_norm(x, -INF, dim=0), lambda a: _vnorm(a, -INF, 0), [S],
       [_distinct]),
    Op("vector_norm_p0", lambda x: torch.linalg.vector_norm(x, 0, dim=1), lambda a: _vnorm(a, 0, 1), [S], [_bits]),
    Op("vector_norm_keep", lambda x: torch.linalg.vector_norm(x, 2, (0, 1), True), lambda a: _vnorm(a, 2, (0, 1), True),
       [T3]),
    Op("linalg_norm", lambda x: torch.linalg.norm(x), lambda a: _vnorm(a, 2), [S], gradgrad=True),
    Op("linalg_norm_vector", lambda x: torch.linalg.norm(x, 3), lambda a: _vnorm(a, 3), [(5,)]),
    Op("linalg_norm_fro", lambda x: torch.linalg.norm(x, "fro"), lambda a: _vnorm(a, 2), [S]),
    Op("linalg_norm_matrix_1", lambda x: torch.linalg.norm(x, 1), lambda a: np.linalg.norm(a, 1), [S],
       [_distinct]),
    Op("linalg_norm_matrix_inf", lambda x: torch.linalg.norm(x, INF), lambda a: np.linalg.norm(a, np.inf), [S],
       [_distinct]),
    Op("linalg_norm_matrix_neg1_dims", lambda x: torch.linalg.norm(x, -1, dim=(2, 0)),
       lambda a: np.linalg.norm(a.transpose(1, 2, 0), -1, axis=(1, 2)), [T3], [_distinct]),
    Op("linalg_norm_dim_keep", lambda x: torch.linalg.norm(x, dim=1, keepdim=True),
       lambda a: _vnorm(a, 2, 1, True), [S]),
]

CUMULATIVE = [
    Op("cumsum", lambda x: x.cumsum(1), lambda a: np.cumsum(a, 1), [S], gradgrad=True),
    Op("cumsum_dim0", lambda x: x.cumsum(0), lambda a: np.cumsum(a, 0), [S]),
    Op("cumsum_3d_mid", lambda x: x.cumsum(dim=1), lambda a: np.cumsum(a, 1), [T3], gradgrad=True),
    Op("fn_cumsum_neg", lambda x: torch.cumsum(x, -1), lambda a: np.cumsum(a, -1), [T3]),
    Op("cumsum_0d", lambda x: x.cumsum(0), lambda a: a, [()]),
    Op("cumprod", lambda x: x.cumprod(1), lambda a: np.cumprod(a, 1), [S], [_away], gradgrad=True),
    Op("cumprod_3d", lambda x: x.cumprod(0), lambda a: np.cumprod(a, 0), [T3], [_away], gradgrad=True),
    Op("fn_cumprod", lambda x: torch.cumprod(x, dim=-1), lambda a: np.cumprod(a, -1), [S], [_away]),
]

SORTING = [
    Op("sort_values", lambda x: x.sort().values, lambda a: _sort(a, -1), [S], [_distinct], gradgrad=True),
    Op("sort_desc_dim0", lambda x: x.sort(0, descending=True)[0], lambda a: _sort(a, 0, True), [S], [_distinct],
       gradgrad=True),
    Op("sort_stable", lambda x: x.sort(dim=1, stable=True).values, lambda a: _sort(a, 1), [T3], [_distinct]),
    Op("sort_indices", lambda x: x.sort(1).indices, lambda a: _argsort(a, 1), [S], [_distinct], grad=False,
       out_dtype="int64"),
    Op("fn_sort", lambda x: torch.sort(x, 0)[0], lambda a: _sort(a, 0), [S], [_distinct]),
    Op("argsort", lambda x: x.argsort(), lambda a: _argsort(a, -1), [S], [_distinct], grad=False,
       out_dtype="int64"),
    Op("fn_argsort_desc", lambda x: torch.argsort(x, 0, descending=True), lambda a: _argsort(a, 0, True), [S],
       [_distinct], grad=False, out_dtype="int64"),
    Op("topk", lambda x: x.topk(2).values, lambda a: _topk(a, 2), [S], [_distinct], gradgrad=True),
    Op("topk_smallest_dim0", lambda x: x.topk(2, dim=0, largest=False)[0], lambda a: _topk(a, 2, 0, False), [S],
       [_distinct], gradgrad=True),
    Op("topk_indices", lambda x: x.topk(3, 1).indices, lambda a: _argsort(-a, 1)[:, :3], [S], [_distinct],
       grad=False, out_dtype="int64"),
    Op("fn_topk_3d", lambda x: torch.topk(x, 1, dim=1).values, lambda a: _topk(a, 1, 1), [T3], [_distinct]),
    Op("unique", lambda x: x.unique(), np.unique, [S], [_small_ints], grad=False),
    Op("fn_unique_counts", lambda x: torch.unique(x, return_counts=True)[1],
       lambda a: np.unique(a, return_counts=True)[1], [S], [_small_ints], grad=False, out_dtype="int64"),
    Op("unique_inverse", lambda x: x.unique(return_inverse=True)[1],
       lambda a: np.unique(a, return_inverse=True)[1].reshape(a.shape), [S], [_small_ints], grad=False,
       out_dtype="int64"),
]

ROWS = VAR_STD + LOGSUMEXP + ALL_ANY + NORMS + CUMULATIVE + SORTING

ERRORS = {
    "var": [Err("int", [I64], RuntimeError, "var"), _dim_err("var", lambda x: x.var(2))],
    "std": [Err("int", [I64], RuntimeError, "std")],
    "logsumexp": [_dim_err("logsumexp", lambda x: x.logsumexp(2))],
    "all": [_dim_err("all", lambda x: x.all(2))],
    "any": [_dim_err("any", lambda x: x.any(-3))],
    "norm": [Err("int", [I64], RuntimeError, "norm"), _dim_err("norm", lambda x: x.norm(dim=2))],
    "vector_norm": [Err("int", [I64], RuntimeError, "vector_norm")],
    "linalg_norm": [Err("int", [I64], RuntimeError, "norm")],
    "cumsum": [_dim_err("cumsum", lambda x: x.cumsum(2))],
    "cumprod": [_dim_err("cumprod", lambda x: x.cumprod(-3))],
    "sort_values": [_dim_err("sort", lambda x: x.sort(2))],
    "argsort": [_dim_err("argsort", lambda x: x.argsort(2))],
    "topk": [Err("k", [S], RuntimeError, "topk", fn=lambda x: x.topk(5))],
}
attach_errors(ROWS, ERRORS)

