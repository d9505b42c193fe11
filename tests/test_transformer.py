"""nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder against PyTorch with
the same weights (float64): outputs, attention weights and all gradients; masks of both kinds,
kdim/vdim, unbatched input, norm_first both ways; names, init statistics and errors."""
import numpy as np
import pytest

import gradgate as gg
import gradgate.nn as gnn
from tests.test_rnn import assert_errors_match, assert_same, copy_weights, twin

torch = pytest.importorskip("torch")

rng = np.random.default_rng(11)
Q = rng.standard_normal((5, 3, 8))  # (L, N, E)
KV = rng.standard_normal((4, 3, 8))  # (S, N, E)
K6, V5 = rng.standard_normal((4, 3, 6)), rng.standard_normal((4, 3, 5))
KPM = np.array([[0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=bool)  # (N, S), True = ignore
AM = np.array([[0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]], dtype=bool)  # (L, S)
AM_SELF = np.triu(np.ones((5, 5), dtype=bool), 1)  # causal, (L, L)
AM3 = rng.standard_normal((3 * 2, 5, 4))  # float, (N * heads, L, S)


def _lib(t):
    return torch if isinstance(t, torch.Tensor) else gg


def _mask(t, a):
    return _lib(t).tensor(a)


# name, constructor args/kwargs, inputs, call (m, *inputs requiring grad)
MHA_CASES = [
    ("self", (8, 2), {}, [Q], lambda m, x: m(x, x, x)),
    ("self_no_weights", (8, 2), {}, [Q], lambda m, x: m(x, x, x, need_weights=False)),
    ("self_per_head_weights", (8, 4), {}, [Q], lambda m, x: m(x, x, x, average_attn_weights=False)),
    ("cross", (8, 2), {}, [Q, KV], lambda m, q, k: m(q, k, k)),
    ("cross_kv_differ", (8, 2), {}, [Q, KV, KV * 2], lambda m, q, k, v: m(q, k, v)),
    ("kdim_vdim", (8, 2), {"kdim": 6, "vdim": 5}, [Q, K6, V5], lambda m, q, k, v: m(q, k, v)),
    ("kdim_vdim_no_weights", (8, 2), {"kdim": 6, "vdim": 5}, [Q, K6, V5],
     lambda m, q, k, v: m(q, k, v, need_weights=False)),
    ("batch_first", (8, 2), {"batch_first": True}, [Q.transpose(1, 0, 2)], lambda m, x: m(x, x, x)),
    ("batch_first_cross_no_weights", (8, 2), {"batch_first": True}, [Q.transpose(1, 0, 2), KV.transpose(1, 0, 2)],
     lambda m, q, k: m(q, k, k, need_weights=False)),
    ("unbatched", (8, 2), {}, [Q[:, 0], KV[:, 0]], lambda m, q, k: m(q, k, k)),
    ("unbatched_kpm_no_weights", (8, 2), {}, [Q[:, 0], KV[:, 0]],
     lambda m, q, k: m(q, k, k, key_padding_mask=_mask(q, KPM[0]), need_weights=False)),
    ("bool_key_padding_mask", (8, 2), {}, [Q, KV], lambda m, q, k: m(q, k, k, key_padding_mask=_mask(q, KPM))),
    ("float_key_padding_mask", (8, 2), {}, [Q, KV],
     lambda m, q, k: m(q, k, k, key_padding_mask=_mask(q, KPM * -3.0))),
    ("bool_attn_mask", (8, 2), {}, [Q, KV], lambda m, q, k: m(q, k, k, attn_mask=_mask(q, AM))),
    ("bool_attn_mask_no_weights", (8, 2), {}, [Q, KV],
     lambda m, q, k: m(q, k, k, attn_mask=_mask(q, AM), need_weights=False)),
    ("float_3d_attn_mask_and_kpm", (8, 2), {}, [Q, KV],
     lambda m, q, k: m(q, k, k, attn_mask=_mask(q, AM3), key_padding_mask=_mask(q, KPM * -1e9))),
    ("float_3d_attn_mask_and_kpm_no_weights", (8, 2), {}, [Q, KV],
     lambda m, q, k: m(q, k, k, attn_mask=_mask(q, AM3), key_padding_mask=_mask(q, KPM * -1e9),
                       need_weights=False)),
    ("causal_hint", (8, 2), {}, [Q],
     lambda m, x: m(x, x, x, attn_mask=_mask(x, AM_SELF), is_causal=True, need_weights=False)),
    ("no_bias", (8, 2), {"bias": False}, [Q, KV], lambda m, q, k: m(q, k, k)),
    ("add_zero_attn_masks", (8, 2), {"add_zero_attn": True}, [Q, KV],
     lambda m, q, k: m(q, k, k, attn_mask=_mask(q, AM), key_padding_mask=_mask(q, KPM))),
    ("bias_kv_zero_attn", (8, 2), {"add_bias_kv": True, "add_zero_attn": True}, [Q, KV],
     lambda m, q, k: m(q, k, k, key_padding_mask=_mask(q, KPM), need_weights=False)),
]


@pytest.mark.parametrize("name,args,kw,inputs,call", MHA_CASES, ids=[c[0] for c in MHA_CASES])
def test_multihead_attention_matches_torch(name, args, kw, inputs, call):
    tm, gm = twin("MultiheadAttention", *args, **kw)
    assert_same(tm, gm, inputs, call)


@pytest.mark.parametrize("kw", [{}, {"kdim": 6, "vdim": 5, "bias": False}, {"add_bias_kv": True}])
def test_multihead_attention_names_shapes_repr(kw):
    tm, gm = torch.nn.MultiheadAttention(8, 2, **kw), gnn.MultiheadAttention(8, 2, **kw)
    assert [(n, tuple(p.shape)) for n, p in gm.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert repr(gm) == repr(tm)


def test_multihead_attention_init_statistics():
    gg.manual_seed(0)
    m = gnn.MultiheadAttention(64, 4)
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ over (3E, E)
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    assert abs(m.out_proj.weight.detach().numpy().std() - torch.nn.Linear(64, 64).weight.detach().std().item()) < 3e-3


def test_multihead_attention_dropout_only_in_training():
    _, m = twin("MultiheadAttention", 8, 2, dropout=0.5)
    x = gg.tensor(Q)
    w = m(x, x, x)[1]
    assert not np.allclose(w.detach().numpy(), m(x, x, x)[1].detach().numpy())
    m.eval()
    np.testing.assert_allclose(m(x, x, x)[1].detach().numpy(), m(x, x, x)[1].detach().numpy())
    np.testing.assert_allclose(m(x, x, x)[1].detach().numpy().sum(-1), 1.0)


@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(*[lib.zeros(5, 3, 6)] * 3)),
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(lib.zeros(5, 3, 8), *[lib.zeros(4, 8)] * 2)),
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(*[lib.zeros(5, 3, 8)] * 3,
                                                              attn_mask=lib.zeros(4, 4))),
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(*[lib.zeros(5, 3, 8)] * 3,
                                                              key_padding_mask=lib.zeros(3, 4, dtype=lib.bool))),
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(*[lib.zeros(5, 3, 8)] * 3,
                                                              attn_mask=lib.zeros(5, 5, dtype=lib.int64))),
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(*[lib.zeros(5, 3, 8)] * 3, is_causal=True)),
    (lambda nn: nn.MultiheadAttention(8, 2), lambda lib, m: m(*[lib.zeros(3, 5, 3, 8)] * 3)),
    (lambda nn: nn.MultiheadAttention(8, 3), None),
    (lambda nn: nn.MultiheadAttention(0, 2), None),
    (lambda nn: nn.TransformerEncoderLayer(8, 2, activation="tanh"), None),
])
def test_errors_match_torch(make, call):
    assert_errors_match(make, call)


SRC = rng.standard_normal((6, 3, 8))
SRC_KPM = np.array([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1]], dtype=bool)
CAUSAL = np.triu(np.ones((6, 6), dtype=bool), 1)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first):
    tm, gm = twin("TransformerEncoderLayer", 8, 2, 16, activation=activation, norm_first=norm_first,
                  batch_first=batch_first)
    tm.eval()
    gm.eval()
    src = SRC.transpose(1, 0, 2) if batch_first else SRC
    assert_same(tm, gm, [src], lambda m, x: m(x, src_mask=_mask(x, CAUSAL), src_key_padding_mask=_mask(x, SRC_KPM)))
    assert_same(tm, gm, [src[0] if batch_first else src[:, 0]], lambda m, x: m(x))  # unbatched


def test_encoder_layer_callable_activation_and_names():
    tm, gm = twin("TransformerEncoderLayer", 8, 2, 16, activation=torch.nn.functional.silu, dropout=0.0)
    gm.activation = gnn.functional.silu
    assert_same(tm, gm, [SRC], lambda m, x: m(x))
    assert [n for n, _ in gm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert repr(gm) == repr(tm)
    assert gnn.TransformerEncoderLayer(8, 2, activation=gnn.GELU()).activation_relu_or_gelu == 2


def test_encoder_matches_torch():
    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, dtype=torch.float64), 2,
                                     norm=torch.nn.LayerNorm(8, dtype=torch.float64), enable_nested_tensor=False)
    gm = gnn.TransformerEncoder(gnn.TransformerEncoderLayer(8, 2, 16, dtype=gg.float64), 2,
                                norm=gnn.LayerNorm(8, dtype=gg.float64))
    assert list(gm.state_dict()) == list(tm.state_dict())
    assert gm.layers[0].linear1.weight is not gm.layers[1].linear1.weight  # deep copies
    copy_weights(tm, gm)
    tm.eval()
    gm.eval()
    assert_same(tm, gm, [SRC], lambda m, x: m(x, mask=_mask(x, CAUSAL), src_key_padding_mask=_mask(x, SRC_KPM)))
    assert_same(tm, gm, [SRC], lambda m, x: m(x, mask=_mask(x, CAUSAL), is_causal=True))


def test_encoder_trains():
    gg.manual_seed(0)
    enc = gnn.TransformerEncoder(gnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2)
    head = gnn.Linear(8, 1)
    opt = gg.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=1e-2)
    x = gg.tensor(rng.standard_normal((16, 5, 8)).astype(np.float32))
    y = x.sum((1, 2)).unsqueeze(1) * 0.1
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = gnn.functional.mse_loss(head(enc(x).mean(1)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
