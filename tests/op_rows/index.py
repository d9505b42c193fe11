"""Op-table rows for the shape and indexing family (csrc/ops/index.cpp). Index tensors are
constants built inside each row's fn; the table's random inputs are the data."""
import numpy as np

import gradgate as torch
from tests.op_db import Err, Op, _dim_err, _distinct, attach_errors

S = (3, 4)
_I = np.array([2, 0, 2, 1])           # with a repeat: accumulating ops sum
_U = np.array([2, 0, 1])              # unique: assigning ops are well defined
_G = np.array([[0, 2, 1, 0], [2, 1, 0, 1]])   # gather/scatter index over (3, 4) along dim 0
_GU = np.array([[0, 2, 1, 0], [2, 1, 0, 1]])  # unique per column along dim 0
_MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])


def _bits3(rng, shape):  # zeros and ones
    return rng.integers(0, 2, shape).astype(np.float64)


def t(a):
    return torch.tensor(a)


def _np_scatter(a, dim, index, src, add=False):
    out = a.copy()
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        val = src[pos] if isinstance(src, np.ndarray) else src
        if add:
            out[tuple(tgt)] += val
        else:
            out[tuple(tgt)] = val
    return out


def _np_index_add(a, dim, index, src, alpha=1.0):
    out = np.moveaxis(a.copy(), dim, 0)
    s = np.moveaxis(src, dim, 0)
    for k, i in enumerate(index):
        out[i] += alpha * s[k]
    return np.moveaxis(out, 0, dim)


def _np_index_put(a, idx, v, accumulate=False):
    out = a.copy()
    if accumulate:
        np.add.at(out, idx, v)
    else:
        out[idx] = v
    return out


def _setitem(x, idx, v):
    y = x * 1
    y[idx] = v
    return y


def _setitem_view(x, v):
    z = x * 2
    z[1:][:, t(np.array([3, 0]))] = v  # an advanced write into a view of a tensor in the graph
    return z * 3


def _scatter_view(x, s):
    z = x * 1
    z[1:].scatter_(1, t(np.array([[1], [0]])), s)
    return z


ROWS = [
    # ---- cat / stack
    Op("cat", lambda a, b: torch.cat([a, b]), lambda a, b: np.concatenate([a, b]), [S, (2, 4)], gradgrad=True),
    Op("cat_dim1", lambda a, b, c: torch.cat((a, b, c), dim=1), lambda a, b, c: np.concatenate([a, b, c], 1),
       [S, (3, 1), (3, 2)], gradgrad=True),
    Op("cat_neg_dim_3d", lambda a, b: torch.cat([a, b], -1), lambda a, b: np.concatenate([a, b], -1),
       [(2, 3, 1), (2, 3, 2)]),
    Op("cat_single", lambda a: torch.cat([a]), lambda a: a.copy(), [S]),
    Op("concat_alias", lambda a, b: torch.concat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), [S, S]),
    Op("stack", lambda a, b: torch.stack([a, b]), lambda a, b: np.stack([a, b]), [S, S], gradgrad=True),
    Op("stack_dim1", lambda a, b, c: torch.stack((a, b, c), 1), lambda a, b, c: np.stack([a, b, c], 1),
       [S, S, S]),
    Op("stack_last", lambda a, b: torch.stack([a, b], dim=-1), lambda a, b: np.stack([a, b], -1), [(4,), (4,)]),
    # ---- split / chunk / unbind (one piece, or the pieces recombined, so the row returns one tensor)
    Op("split_int", lambda x: x.split(2)[1], lambda a: a[2:4], [(5, 3)], gradgrad=True),
    Op("split_int_dim", lambda x: torch.split(x, 3, dim=1)[1] * 2, lambda a: a[:, 3:] * 2, [(2, 5)]),
    Op("split_sizes", lambda x: x.split([1, 3], 1)[1], lambda a: a[:, 1:], [S], gradgrad=True),
    Op("split_all_used", lambda x: (lambda p: p[0].sum(0) + p[1].sum(0) * 2)(x.split(1)),
       lambda a: a[0] + a[1] * 2, [S]),
    Op("chunk", lambda x: x.chunk(2)[0], lambda a: a[:2], [S]),
    Op("chunk_dim1", lambda x: torch.chunk(x, 3, dim=1)[2], lambda a: a[:, 4:], [(2, 5)]),
    Op("unbind", lambda x: x.unbind()[1], lambda a: a[1], [S], gradgrad=True),
    Op("unbind_dim1", lambda x: (lambda p: p[0] * p[3])(torch.unbind(x, 1)), lambda a: a[:, 0] * a[:, 3], [S]),
    # ---- index_select / gather / scatter / index_add / take_along_dim
    Op("index_select", lambda x: x.index_select(0, t(_I[:3])), lambda a: a[_I[:3]], [S], gradgrad=True),
    Op("index_select_dim1", lambda x: torch.index_select(x, 1, t(_I)), lambda a: a[:, _I], [S]),
    Op("index_select_int32", lambda x: x.index_select(-1, t(_I.astype(np.int32))), lambda a: a[..., _I],
       [(2, 3, 4)]),
    Op("gather", lambda x: x.gather(0, t(_G)), lambda a: np.take_along_axis(a, _G, 0), [S], gradgrad=True),
    Op("gather_dim1", lambda x: torch.gather(x, 1, t(_G.T[:3, :2].copy())),
       lambda a: np.take_along_axis(a, _G.T[:3, :2], 1), [S]),
    Op("scatter", lambda x, s: x.scatter(0, t(_GU), s), lambda a, s: _np_scatter(a, 0, _GU, s), [S, (2, 4)],
       gradgrad=True),
    Op("scatter_value", lambda x: x.scatter(1, t(_GU.T[:3, :1].copy()), 1.5),
       lambda a: _np_scatter(a, 1, _GU.T[:3, :1], 1.5), [S]),
    Op("scatter_add", lambda x, s: x.scatter_add(0, t(_G), s), lambda a, s: _np_scatter(a, 0, _G, s, True),
       [S, (2, 4)], gradgrad=True),
    Op("index_add", lambda x, s: x.index_add(0, t(_I), s), lambda a, s: _np_index_add(a, 0, _I, s), [S, (4, 4)],
       gradgrad=True),
    Op("index_add_alpha_dim1", lambda x, s: torch.index_add(x, 1, t(_U), s, alpha=-2.0),
       lambda a, s: _np_index_add(a, 1, _U, s, -2.0), [S, (3, 3)]),
    Op("scatter_inplace", lambda x, s: (x * 1).scatter_(0, t(_GU), s), lambda a, s: _np_scatter(a, 0, _GU, s),
       [S, (2, 4)], gradgrad=True),
    Op("scatter_value_inplace", lambda x: (x * 1).scatter_(1, t(_GU.T[:3, :1].copy()), -1.0),
       lambda a: _np_scatter(a, 1, _GU.T[:3, :1], -1.0), [S]),
    Op("scatter_add_inplace", lambda x, s: (x * 1).scatter_add_(0, t(_G), s),
       lambda a, s: _np_scatter(a, 0, _G, s, True), [S, (2, 4)]),
    Op("index_add_inplace", lambda x, s: (x * 1).index_add_(1, t(_U), s, alpha=0.5),
       lambda a, s: _np_index_add(a, 1, _U, s, 0.5), [S, (3, 3)], gradgrad=True),
    Op("take_along_dim", lambda x: torch.take_along_dim(x, t(_G), 0), lambda a: np.take_along_axis(a, _G, 0),
       [S], gradgrad=True),
    Op("take_along_dim_bcast", lambda x: x.take_along_dim(t(np.array([[3], [0], [1]])), dim=1),
       lambda a: np.take_along_axis(a, np.array([[3], [0], [1]]), 1), [S]),
    # ---- advanced indexing: get
    Op("adv_index_tensor", lambda x: x[t(_I)], lambda a: a[_I], [S], gradgrad=True),
    Op("adv_index_list", lambda x: x[[0, 2]], lambda a: a[[0, 2]], [S]),
    Op("adv_index_neg", lambda x: x[t(np.array([-1, 0, -3]))], lambda a: a[[-1, 0, -3]], [S]),
    Op("adv_index_2d_index", lambda x: x[t(np.array([[0, 1], [2, 2]]))], lambda a: a[np.array([[0, 1], [2, 2]])],
       [S]),
    Op("adv_index_dim1_slice", lambda x: x[1:, t(_I)], lambda a: a[1:, _I], [S], gradgrad=True),
    Op("adv_index_slice_then_index", lambda x: x[t(_U), 1:3], lambda a: a[_U, 1:3], [S]),
    Op("adv_index_pairs", lambda x: x[t(_U), t(np.array([3, 0, 1]))], lambda a: a[_U, [3, 0, 1]], [S],
       gradgrad=True),
    Op("adv_index_broadcast", lambda x: x[t(np.array([[0], [2]])), t(np.array([1, 3, 3]))],
       lambda a: a[np.array([[0], [2]]), np.array([1, 3, 3])], [S]),
    Op("adv_index_separated", lambda x: x[[0, 1], :, [2, 3]], lambda a: a[[0, 1], :, [2, 3]], [(2, 3, 4)]),
    Op("adv_index_ellipsis", lambda x: x[..., [3, 0]], lambda a: a[..., [3, 0]], [(2, 3, 4)]),
    Op("adv_index_none", lambda x: x[None, [2, 1]], lambda a: a[None, [2, 1]], [S]),
    Op("mask_index", lambda x: x[t(_MASK)], lambda a: a[_MASK], [S], gradgrad=True),
    Op("mask_index_rows", lambda x: x[t(np.array([True, False, True]))], lambda a: a[[True, False, True]], [S]),
    Op("mask_index_cols_list", lambda x: x[:, [True, False, False, True]], lambda a: a[:, [True, False, False, True]],
       [S]),
    Op("mask_from_values", lambda x: x[x > 0.5], lambda a: a[a > 0.5], [S], [_distinct]),
    Op("masked_select", lambda x: x.masked_select(t(_MASK)), lambda a: a[_MASK], [S], gradgrad=True),
    Op("masked_select_bcast", lambda x: torch.masked_select(x, t(_MASK[0])),
       lambda a: a[np.broadcast_to(_MASK[0], a.shape)], [S]),
    # ---- advanced indexing: set (values get gradients too)
    Op("setitem_index", lambda x, v: _setitem(x, t(_U[:2]), v), lambda a, v: _np_index_put(a, _U[:2], v),
       [S, (2, 4)], gradgrad=True),
    Op("setitem_index_bcast", lambda x, v: _setitem(x, [2, 0], v), lambda a, v: _np_index_put(a, [2, 0], v),
       [S, (4,)]),
    Op("setitem_index_scalar", lambda x: _setitem(x, t(_U[:2]), 2.5), lambda a: _np_index_put(a, _U[:2], 2.5), [S]),
    Op("setitem_mask", lambda x: _setitem(x, t(_MASK), 0.0), lambda a: _np_index_put(a, _MASK, 0.0), [S]),
    Op("setitem_mask_values", lambda x, v: _setitem(x, t(_MASK), v), lambda a, v: _np_index_put(a, _MASK, v),
       [S, (7,)]),
    Op("setitem_slice_and_index", lambda x, v: _setitem(x, (slice(1, None), t(np.array([3, 0]))), v),
       lambda a, v: _np_index_put(a, (slice(1, None), [3, 0]), v), [S, (2, 2)]),
    Op("setitem_pairs", lambda x, v: _setitem(x, (t(_U), t(np.array([3, 0, 1]))), v),
       lambda a, v: _np_index_put(a, (_U, [3, 0, 1]), v), [S, (3,)]),
    Op("setitem_into_view", lambda x, v: _setitem_view(x, v),
       lambda a, v: _np_index_put(a * 2, (slice(1, None), [3, 0]), v) * 3, [S, (2, 2)]),
    Op("scatter_into_view", lambda x, s: _scatter_view(x, s),
       lambda a, s: np.concatenate([a[:1], _np_scatter(a[1:], 1, np.array([[1], [0]]), s)]), [S, (2, 1)]),
    Op("index_put_accumulate", lambda x, v: x.index_put((t(_I),), v, accumulate=True),
       lambda a, v: _np_index_put(a, _I, v, True), [S, (4, 4)], gradgrad=True),
    Op("index_put_", lambda x, v: (x * 1).index_put_((t(_U[:2]),), v), lambda a, v: _np_index_put(a, _U[:2], v),
       [S, (2, 4)]),
    # ---- repeat / tile / roll / flip / tril / triu / diag
    Op("repeat", lambda x: x.repeat(2, 3), lambda a: np.tile(a, (2, 3)), [S], gradgrad=True),
    Op("repeat_more_dims", lambda x: x.repeat(2, 1, 2), lambda a: np.tile(a, (2, 1, 2)), [S]),
    Op("repeat_tuple", lambda x: x.repeat((1, 2)), lambda a: np.tile(a, (1, 2)), [(4,)]),
    Op("tile", lambda x: x.tile(2), lambda a: np.tile(a, 2), [S]),
    Op("fn_tile", lambda x: torch.tile(x, (2, 1, 1)), lambda a: np.tile(a, (2, 1, 1)), [S]),
    Op("roll", lambda x: x.roll(1, 0), lambda a: np.roll(a, 1, 0), [S], gradgrad=True),
    Op("roll_multi", lambda x: torch.roll(x, (-1, 5), (1, 0)), lambda a: np.roll(a, (-1, 5), (1, 0)), [S]),
    Op("roll_flat", lambda x: x.roll(5), lambda a: np.roll(a, 5), [S]),
    Op("flip", lambda x: x.flip(0), lambda a: np.flip(a, 0), [S], gradgrad=True),
    Op("flip_dims", lambda x: torch.flip(x, (0, 2)), lambda a: np.flip(a, (0, 2)), [(2, 3, 4)]),
    Op("flip_list", lambda x: x.flip([-1]), lambda a: np.flip(a, -1), [S]),
    Op("tril", lambda x: x.tril(), np.tril, [S], gradgrad=True),
    Op("tril_k", lambda x: torch.tril(x, 1), lambda a: np.tril(a, 1), [(4, 3)]),
    Op("tril_neg_k_batch", lambda x: x.tril(diagonal=-1), lambda a: np.tril(a, -1), [(2, 3, 4)]),
    Op("triu", lambda x: x.triu(), np.triu, [S], gradgrad=True),
    Op("triu_k", lambda x: torch.triu(x, 2), lambda a: np.triu(a, 2), [S]),
    Op("triu_neg_k", lambda x: x.triu(-1), lambda a: np.triu(a, -1), [(2, 4, 3)]),
    Op("diag_2d", lambda x: x.diag(), np.diag, [S], gradgrad=True),
    Op("diag_2d_k", lambda x: torch.diag(x, 1), lambda a: np.diag(a, 1), [S]),
    Op("diag_2d_neg_k", lambda x: x.diag(-1), lambda a: np.diag(a, -1), [S], gradgrad=True),
    Op("diag_1d", lambda x: x.diag(), np.diag, [(3,)], gradgrad=True),
    Op("nonzero", lambda x: torch.nonzero(x > 0.5), lambda a: np.argwhere(a > 0.5), [S], [_distinct], grad=False,
       out_dtype="int64"),
    Op("nonzero_method_3d", lambda x: x.nonzero(), np.argwhere, [(2, 3, 2)], [_bits3], grad=False, out_dtype="int64"),
    Op("diag_1d_k", lambda x: torch.diag(x, -2), lambda a: np.diag(a, -2), [(3,)], gradgrad=True),
]

_IDX5 = np.array([[5, 0, 1, 2]])   # 5 is out of range for dim 0 of size 3
ERRORS = {
    "cat": [Err("shapes", [S, (2, 5)], RuntimeError, "cat", [S, (2, 5)])],
    "stack": [Err("shapes", [S, (3, 5)], RuntimeError, "stack", [S, (3, 5)])],
    "split_sizes": [Err("sizes", [S], RuntimeError, "split", fn=lambda x: x.split([1, 2], 1))],
    "chunk": [Err("zero_chunks", [S], RuntimeError, "chunk", fn=lambda x: x.chunk(0))],
    "unbind": [_dim_err("unbind", lambda x: x.unbind(2))],
    "index_select": [Err("index", [S], IndexError, "index_select", fn=lambda x: x.index_select(0, t(np.array([5]))))],
    "gather": [Err("index", [S], RuntimeError, "gather", fn=lambda x: x.gather(0, t(_IDX5))),
               Err("float_index", [S], RuntimeError, "gather", fn=lambda x: x.gather(0, t(_IDX5 * 0.0)))],
    "scatter": [Err("index", [S, (1, 4)], RuntimeError, "scatter", fn=lambda x, s: x.scatter(0, t(_IDX5), s))],
    "scatter_add": [Err("index", [S, (1, 4)], RuntimeError, "scatter_add",
                        fn=lambda x, s: x.scatter_add(0, t(_IDX5), s))],
    "index_add": [Err("source_shape", [S, (1, 3)], RuntimeError, "index_add", [S, (1, 3)],
                      fn=lambda x, s: x.index_add(0, t(np.array([1])), s))],
    "take_along_dim": [_dim_err("take_along_dim", lambda x: torch.take_along_dim(x, t(np.array([[0]])), 2))],
    "adv_index_tensor": [Err("index", [S], IndexError, "index", fn=lambda x: x[t(np.array([5]))])],
    "mask_index": [Err("mask_shape", [S], IndexError, "mask", [(2, 4)], fn=lambda x: x[t(_MASK[:2])])],
    "masked_select": [Err("float_mask", [S, S], RuntimeError, "masked_select", fn=lambda x, m: x.masked_select(m))],
    "setitem_index": [Err("value_shape", [S, (3, 4)], RuntimeError, "index_put", [(3, 4)])],
    "repeat": [Err("few_dims", [S], RuntimeError, "repeat", fn=lambda x: x.repeat(2))],
    "tile": [Err("negative", [S], RuntimeError, "tile", fn=lambda x: x.tile(-1))],
    "roll": [_dim_err("roll", lambda x: x.roll(1, 2))],
    "flip": [_dim_err("flip", lambda x: x.flip(2))],
    "tril": [Err("1d", [(3,)], RuntimeError, "tril")],
    "triu": [Err("1d", [(3,)], RuntimeError, "triu")],
    "diag_2d": [Err("3d", [(2, 2, 2)], RuntimeError, "diag")],
    "nonzero": [Err("as_tuple", [S], TypeError, "nonzero", fn=lambda x: torch.nonzero(x, as_tuple="x"))],
}
attach_errors(ROWS, ERRORS)

