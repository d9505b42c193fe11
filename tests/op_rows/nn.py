"""Op-table rows of the nn family (csrc/ops/nn.cpp and the composites in nn/functional.py):
softmax, log_softmax, cross_entropy, nll_loss, one_hot, layer_norm, batch_norm, embedding,
l1 / smooth_l1 / huber, binary_cross_entropy, kl_div, cosine_similarity."""
import numpy as np

import gradgate as torch
import gradgate.nn.functional as F
from tests.op_db import Err, Op, _dim_err, _real, _pos, _away, _prob, _shape_err, attach_errors

S = (3, 5)
T = np.array([0, 4, 2])                  # class indices for (3, 5) inputs
T3 = np.array([[0, 2, 1, 1], [2, 0, 0, 1]])  # for (2, 3, 4) inputs
W5 = np.array([0.5, 1.0, 2.0, 1.5, 0.3])
IDX = np.array([[0, 2, 2], [5, 1, 0]])   # embedding indices into 6 rows


def _mid_prob(rng, shape):  # probabilities away from 0 and 1 (BCE's gradient blows up there)
    return rng.uniform(0.1, 0.9, shape)


def _simplex(rng, shape):  # rows that sum to 1 along dim 1
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(1, keepdims=True)


def _np_softmax(a, d):
    e = np.exp(a - a.max(d, keepdims=True))
    return e / e.sum(d, keepdims=True)


def _np_log_softmax(a, d):
    m = a.max(d, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(d, keepdims=True))


def _np_nll(logp, t, w=None, reduction="mean", ignore_index=-100):
    """logp (N, C, *), t (N, *)."""
    C = logp.shape[1]
    w = np.ones(C) if w is None else w
    lp = np.moveaxis(logp, 1, -1).reshape(-1, C)
    tf = t.reshape(-1)
    keep = tf != ignore_index
    ts = np.where(keep, tf, 0)
    wt = w[ts] * keep
    loss = -lp[np.arange(len(tf)), ts] * wt
    if reduction == "none":
        return loss.reshape(t.shape)
    return loss.sum() if reduction == "sum" else loss.sum() / wt.sum()


def _np_ce_smooth(a, t, eps, w=None, reduction="mean", ignore_index=-100):
    C = a.shape[1]
    lp = _np_log_softmax(a, 1)
    nll = _np_nll(lp, t, w, reduction, ignore_index)
    wv = np.ones(C) if w is None else w
    keep = t != ignore_index
    smooth = -(lp * wv).sum(1) * keep
    if reduction == "mean":
        denom = (wv[np.where(keep, t, 0)] * keep).sum() if w is not None else keep.sum()
        ret = smooth.sum() / denom
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - eps) * nll + ret * (eps / C)


def _np_layer_norm(a, k, w=None, b=None, eps=1e-5):
    ax = tuple(range(a.ndim - k, a.ndim))
    y = (a - a.mean(ax, keepdims=True)) / np.sqrt(a.var(ax, keepdims=True) + eps)
    if w is not None:
        y = y * w
    return y if b is None else y + b


def _np_batch_norm(a, w, b, eps=1e-5):
    ax = (0,) + tuple(range(2, a.ndim))
    shape = (1, -1) + (1,) * (a.ndim - 2)
    y = (a - a.mean(ax, keepdims=True)) / np.sqrt(a.var(ax, keepdims=True) + eps)
    return y * w.reshape(shape) + b.reshape(shape)


RM, RV = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])


def _np_batch_norm_eval(a, w, b, eps=1e-5):
    shape = (1, -1) + (1,) * (a.ndim - 2)
    return (a - RM.reshape(shape)) / np.sqrt(RV.reshape(shape) + eps) * w.reshape(shape) + b.reshape(shape)


def _np_group_norm(a, w, b, g=2, eps=1e-5):
    N, C = a.shape[:2]
    r = a.reshape(N, g, -1)
    y = ((r - r.mean(2, keepdims=True)) / np.sqrt(r.var(2, keepdims=True) + eps)).reshape(a.shape)
    shape = (1, C) + (1,) * (a.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


def _np_embedding(w):
    return w[IDX]


def _red(x, reduction):
    return x.mean() if reduction == "mean" else x.sum() if reduction == "sum" else x


def _np_smooth_l1(a, b, beta=1.0, reduction="mean"):
    d = np.abs(a - b)
    return _red(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _np_huber(a, b, delta=1.0, reduction="mean"):
    d = np.abs(a - b)
    return _red(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _np_bce(x, y, w=None, reduction="mean"):
    l = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
    return _red(l if w is None else l * w, reduction)


def _np_kl(x, t, reduction="mean", log_target=False):
    l = np.exp(t) * (t - x) if log_target else t * np.log(t) - t * x
    return l.sum() / x.shape[0] if reduction == "batchmean" else _red(l, reduction)


def _np_cos(a, b, d=1, eps=1e-8):
    na = np.maximum(np.sqrt((a * a).sum(d, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(d, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(d)


def _t(a):
    return torch.tensor(a)


ROWS = [
    # ---- softmax / log_softmax
    Op("softmax_dim1", lambda x: F.softmax(x, dim=1), lambda a: _np_softmax(a, 1), [S], gradgrad=True),
    Op("softmax_dim0", lambda x: F.softmax(x, 0), lambda a: _np_softmax(a, 0), [S], gradgrad=True),
    Op("softmax_3d_mid", lambda x: x.softmax(1), lambda a: _np_softmax(a, 1), [(2, 3, 4)], gradgrad=True),
    Op("softmax_1d", lambda x: torch.softmax(x, 0), lambda a: _np_softmax(a, 0), [(5,)]),
    Op("softmax_large_values", lambda x: F.softmax(x * 1000, -1), lambda a: _np_softmax(a * 1000, -1), [S]),
    Op("log_softmax_dim1", lambda x: F.log_softmax(x, dim=1), lambda a: _np_log_softmax(a, 1), [S], gradgrad=True),
    Op("log_softmax_3d_first", lambda x: x.log_softmax(0), lambda a: _np_log_softmax(a, 0), [(2, 3, 4)],
       gradgrad=True),
    Op("log_softmax_large_values", lambda x: torch.log_softmax(x * 1000, -1),
       lambda a: _np_log_softmax(a * 1000, -1), [S]),
    # ---- cross_entropy / nll_loss (index targets are fixed; gradients are for the input)
    Op("cross_entropy", lambda x: F.cross_entropy(x, _t(T)), lambda a: _np_nll(_np_log_softmax(a, 1), T), [S],
       gradgrad=True),
    Op("cross_entropy_sum", lambda x: F.cross_entropy(x, _t(T), reduction="sum"),
       lambda a: _np_nll(_np_log_softmax(a, 1), T, reduction="sum"), [S]),
    Op("cross_entropy_none", lambda x: F.cross_entropy(x, _t(T), reduction="none"),
       lambda a: _np_nll(_np_log_softmax(a, 1), T, reduction="none"), [S], gradgrad=True),
    Op("cross_entropy_weight", lambda x: F.cross_entropy(x, _t(T), weight=_t(W5).to(x.dtype)),
       lambda a: _np_nll(_np_log_softmax(a, 1), T, W5), [S], gradgrad=True),
    Op("cross_entropy_ignore_index", lambda x: F.cross_entropy(x, _t(T), ignore_index=4),
       lambda a: _np_nll(_np_log_softmax(a, 1), T, ignore_index=4), [S]),
    Op("cross_entropy_label_smoothing", lambda x: F.cross_entropy(x, _t(T), label_smoothing=0.2),
       lambda a: _np_ce_smooth(a, T, 0.2), [S], gradgrad=True),
    Op("cross_entropy_smoothing_weight_ignore",
       lambda x: F.cross_entropy(x, _t(T), weight=_t(W5).to(x.dtype), ignore_index=2, label_smoothing=0.1),
       lambda a: _np_ce_smooth(a, T, 0.1, W5, ignore_index=2), [S]),
    Op("cross_entropy_spatial", lambda x: F.cross_entropy(x, _t(T3)), lambda a: _np_nll(_np_log_softmax(a, 1), T3),
       [(2, 3, 4)]),
    Op("cross_entropy_probs", lambda x, p: F.cross_entropy(x, p),
       lambda a, p: -(_np_log_softmax(a, 1) * p).sum() / a.shape[0], [S, S], [_real, _simplex], gradgrad=True),
    Op("cross_entropy_probs_none_smooth", lambda x, p: F.cross_entropy(x, p, reduction="none", label_smoothing=0.3),
       lambda a, p: -(_np_log_softmax(a, 1) * (p * 0.7 + 0.3 / 5)).sum(1), [S, S], [_real, _simplex]),
    Op("nll_loss", lambda x: F.nll_loss(x, _t(T)), lambda a: _np_nll(a, T), [S], gradgrad=True),
    Op("nll_loss_weight_sum", lambda x: F.nll_loss(x, _t(T), weight=_t(W5).to(x.dtype), reduction="sum"),
       lambda a: _np_nll(a, T, W5, "sum"), [S]),
    Op("nll_loss_unbatched", lambda x: F.nll_loss(x, _t(np.array(3))), lambda a: -a[3], [(5,)]),
    Op("one_hot", lambda x: F.one_hot((x > 0).long() + 1, 4), lambda a: np.eye(4)[(a > 0).astype(int) + 1], [S],
       [_away], grad=False, out_dtype="int64"),
    # ---- dropout: deterministic cases (training mode with p in (0, 1): test_nn's seeded checks)
    # (x * 2: eval-mode and p=0 dropout return their input itself, which has no grad_fn to check)
    Op("dropout_eval", lambda x: F.dropout(x * 2, 0.5, training=False), lambda a: a * 2, [S], gradgrad=True),
    Op("dropout_p0", lambda x: F.dropout(x * 2, 0.0), lambda a: a * 2, [S], gradgrad=True),
    Op("dropout_p1", lambda x: F.dropout(x, 1.0), np.zeros_like, [S]),
    # ---- normalization
    Op("layer_norm", lambda x, w, b: F.layer_norm(x, (5,), w, b), lambda a, w, b: _np_layer_norm(a, 1, w, b),
       [S, (5,), (5,)], gradgrad=True, tol32=1e-4, zero_shapes=[(0, 5), (5,), (5,)]),
    Op("layer_norm_2d_no_affine", lambda x: F.layer_norm(x, (3, 4)), lambda a: _np_layer_norm(a, 2),
       [(2, 3, 4)], gradgrad=True, tol32=1e-4),
    Op("batch_norm_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
       _np_batch_norm, [(4, 3, 2), (3,), (3,)], gradgrad=True, tol32=1e-4, zero_shapes=[(0, 3, 2), (3,), (3,)]),
    Op("batch_norm_train_2d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
       _np_batch_norm, [(5, 3), (3,), (3,)], tol32=1e-4, zero_shapes=[(0, 3), (3,), (3,)]),
    Op("batch_norm_eval", lambda x, w, b: F.batch_norm(x, _t(RM).to(x.dtype), _t(RV).to(x.dtype), w, b),
       _np_batch_norm_eval, [(4, 3, 2), (3,), (3,)], gradgrad=True, tol32=1e-4, zero_shapes=[(0, 3, 2), (3,), (3,)]),
    Op("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), _np_group_norm, [(3, 4, 3), (4,), (4,)],
       gradgrad=True, tol32=1e-4, zero_shapes=[(0, 4, 3), (4,), (4,)]),
    Op("group_norm_4d_no_affine", lambda x: F.group_norm(x, 1), lambda a: _np_group_norm(a, None, None, 1),
       [(2, 3, 2, 2)], tol32=1e-4),
    # ---- embedding
    Op("embedding", lambda w: F.embedding(_t(IDX), w), _np_embedding, [(6, 3)], gradgrad=True),
    # (the padding row gets no gradient by design, so finite differences disagree: test_nn checks it against torch)
    Op("embedding_padding_idx", lambda w: F.embedding(_t(IDX), w, padding_idx=2), _np_embedding, [(6, 3)],
       grad=False),
    # ---- pointwise losses
    Op("l1_loss", lambda x, y: F.l1_loss(x, y), lambda a, b: np.abs(a - b).mean(), [S, S], [_away, lambda r, s: 0 * r.uniform(size=s)]),
    Op("l1_loss_none", lambda x, y: F.l1_loss(x, y, reduction="none"), lambda a, b: np.abs(a - b), [S, S],
       [_away, lambda r, s: 0 * r.uniform(size=s)]),
    Op("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y), _np_smooth_l1, [S, S], gradgrad=True),
    Op("smooth_l1_loss_beta_sum", lambda x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.5),
       lambda a, b: _np_smooth_l1(a, b, 0.5, "sum"), [S, S]),
    Op("huber_loss", lambda x, y: F.huber_loss(x, y), _np_huber, [S, S], gradgrad=True),
    Op("huber_loss_delta_none", lambda x, y: F.huber_loss(x, y, reduction="none", delta=0.7),
       lambda a, b: _np_huber(a, b, 0.7, "none"), [S, S]),
    Op("binary_cross_entropy", lambda x, y: F.binary_cross_entropy(x, y), _np_bce, [S, S], [_mid_prob, _prob],
       gradgrad=True),
    Op("binary_cross_entropy_weight_none", lambda x, y, w: F.binary_cross_entropy(x, y, w, reduction="none"),
       lambda a, b, w: _np_bce(a, b, w, "none"), [S, S, (5,)], [_mid_prob, _prob, _pos], grad_inputs=[0, 1]),
    Op("kl_div_batchmean", lambda x, t: F.kl_div(x, t, reduction="batchmean"),
       lambda a, t: _np_kl(a, t, "batchmean"), [S, S], [_real, _simplex], gradgrad=True),
    Op("kl_div_log_target_sum", lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True),
       lambda a, t: _np_kl(a, t, "sum", True), [S, S]),
    Op("cosine_similarity", lambda a, b: F.cosine_similarity(a, b), _np_cos, [S, S], gradgrad=True),
    Op("cosine_similarity_dim0_bcast", lambda a, b: F.cosine_similarity(a, b, dim=0),
       lambda a, b: _np_cos(np.broadcast_to(a, (3, 5)), np.broadcast_to(b, (3, 5)), 0), [S, (1, 5)]),
]

ERRORS = {
    "softmax_dim1": [_dim_err("softmax", lambda x: F.softmax(x, 2))],
    "log_softmax_dim1": [_dim_err("log_softmax", lambda x: F.log_softmax(x, -3))],
    "cross_entropy": [Err("batch", [(2, 5)], ValueError, "cross_entropy"),
                      Err("target", [S], IndexError, "cross_entropy",
                          fn=lambda x: F.cross_entropy(x, _t(np.array([0, 1, 7]))))],
    "nll_loss": [Err("batch", [(2, 5)], ValueError, "nll_loss")],
    "one_hot": [Err("class", [S], RuntimeError, "one_hot", fn=lambda x: F.one_hot((x > 0).long() + 3, 4)),
                Err("float", [S], RuntimeError, "one_hot", fn=lambda x: F.one_hot(x, 4))],
    "dropout_eval": [Err("p", [S], ValueError, "dropout", fn=lambda x: F.dropout(x, 1.5))],
    "layer_norm": [Err("normalized_shape", [(3, 4), (5,), (5,)], RuntimeError, "layer_norm", [(3, 4)])],
    "batch_norm_train": [Err("running_mean", [(4, 3, 2)], RuntimeError, "batch_norm",
                             fn=lambda x: F.batch_norm(x, _t(np.zeros(4)), _t(np.ones(4))))],
    "group_norm": [Err("groups", [(3, 4, 3)], RuntimeError, "group_norm", [(3, 4, 3)],
                       fn=lambda x: F.group_norm(x, 3))],
    "embedding": [Err("float_indices", [(6, 3)], RuntimeError, "embedding",
                      fn=lambda w: F.embedding(_t(np.array([0.0, 1.0])), w)),
                  Err("index", [(6, 3)], IndexError, "embedding", fn=lambda w: F.embedding(_t(np.array([6])), w))],
    "l1_loss": [_shape_err("l1_loss", S, (2, 5))],
    "smooth_l1_loss": [_shape_err("smooth_l1_loss", S, (2, 5))],
    "huber_loss": [_shape_err("huber_loss", S, (2, 5))],
    "binary_cross_entropy": [_shape_err("binary_cross_entropy", S, (2, 5), ValueError)],
    "kl_div_batchmean": [_shape_err("kl_div", S, (2, 5))],
    "cosine_similarity": [_shape_err("cosine_similarity", S, (2, 5)),
                          Err("dim", [S, S], IndexError, "cosine_similarity",
                              fn=lambda a, b: F.cosine_similarity(a, b, dim=2))],
}
attach_errors(ROWS, ERRORS)

