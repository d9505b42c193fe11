"""nn.RNN / LSTM / GRU and their cells against PyTorch: the same weights loaded into both, then
outputs, final states and every parameter / input / state gradient compared (float64); parameter
names, reprs, errors, seeded init statistics, inter-layer dropout and a short training loop."""
import warnings

import numpy as np
import pytest

import gradgate as gg
import gradgate.nn as gnn

torch = pytest.importorskip("torch")


def copy_weights(tm, gm):
    gm.load_state_dict({k: gg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, gm


def twin(name, *args, **kw):
    """(torch module, gradgate module) of class `name` in float64 with torch's weights in both."""
    return copy_weights(getattr(torch.nn, name)(*args, dtype=torch.float64, **kw),
                        getattr(gnn, name)(*args, dtype=gg.float64, **kw))


def _flat(x):
    return [t for e in x for t in _flat(e)] if isinstance(x, (tuple, list)) else [x]


def _run(lib, m, inputs, call):
    """Calls m through `call(m, *tensors)`, weights every output by a fixed pattern, backprops;
    returns outputs, input grads and parameter grads by name."""
    ts = [lib.tensor(a, requires_grad=True) for a in inputs]
    outs = [o for o in _flat(call(m, *ts)) if o is not None]
    loss = sum((o * lib.tensor(np.cos(np.arange(o.numel()) + i).reshape(tuple(o.shape)))).sum()
               for i, o in enumerate(outs))
    loss.backward()
    return ([o.detach().numpy() for o in outs], [t.grad.numpy() for t in ts],
            {n: p.grad.numpy() for n, p in m.named_parameters()})


def assert_same(tm, gm, inputs, call=lambda m, *a: m(*a), rtol=1e-9, atol=1e-11):
    """Same outputs, input gradients and parameter gradients (by name) from both modules."""
    to, tg, tp = _run(torch, tm, inputs, call)
    go, gg_, gp = _run(gg, gm, inputs, call)
    assert [o.shape for o in go] == [o.shape for o in to]
    for a, b in zip(go + gg_, to + tg):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert list(gp) == list(tp)
    for n in tp:
        np.testing.assert_allclose(gp[n], tp[n], rtol=rtol, atol=atol, err_msg=n)


rng = np.random.default_rng(7)
X = rng.standard_normal((5, 3, 4))  # (T, B, I)
H2 = rng.standard_normal((4, 3, 6))  # (num_layers * num_directions, B, H) for 2 layers x 2 directions
H1 = H2[:1]


# name, constructor args/kwargs, inputs, call
MODULE_CASES = [
    ("rnn_tanh", "RNN", (4, 6), {}, [X], None),
    ("rnn_relu_2layers", "RNN", (4, 6, 2), {"nonlinearity": "relu"}, [X], None),
    ("rnn_hx", "RNN", (4, 6), {}, [X, H1], None),
    ("lstm", "LSTM", (4, 6), {}, [X], None),
    ("lstm_2layers_bidir_batch_first", "LSTM", (4, 6, 2), {"bidirectional": True, "batch_first": True},
     [X.transpose(1, 0, 2)], None),
    ("lstm_hx", "LSTM", (4, 6, 2), {"bidirectional": True}, [X, H2, H2 * 0.5], lambda m, x, h, c: m(x, (h, c))),
    ("lstm_unbatched_hx", "LSTM", (4, 6), {}, [X[:, 0], H1[:, 0], H1[:, 1]], lambda m, x, h, c: m(x, (h, c))),
    ("lstm_no_bias", "LSTM", (4, 6), {"bias": False}, [X], None),
    ("lstm_proj", "LSTM", (4, 6, 2), {"proj_size": 3, "bidirectional": True}, [X], None),
    ("gru", "GRU", (4, 6), {}, [X], None),
    ("gru_2layers_bidir", "GRU", (4, 6, 2), {"bidirectional": True}, [X, H2], None),
    ("gru_unbatched_batch_first", "GRU", (4, 6), {"batch_first": True}, [X[:, 1]], None),
    ("gru_unbatched_hx", "GRU", (4, 6, 2), {}, [X[:, 1], H2[:2, 0]], None),
]


@pytest.mark.parametrize("name,cls,args,kw,inputs,call", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_sequence_modules_match_torch(name, cls, args, kw, inputs, call):
    tm, gm = twin(cls, *args, **kw)
    assert_same(tm, gm, inputs, *([call] if call else []))


CELL_CASES = [
    ("rnn_cell", "RNNCell", (4, 6), {}, [X[0]]),
    ("rnn_cell_relu_hx", "RNNCell", (4, 6), {"nonlinearity": "relu"}, [X[0], H1[0]]),
    ("rnn_cell_unbatched", "RNNCell", (4, 6), {"bias": False}, [X[0, 0], H1[0, 0]]),
    ("lstm_cell", "LSTMCell", (4, 6), {}, [X[0]]),
    ("lstm_cell_hx", "LSTMCell", (4, 6), {}, [X[0], H2[0], H2[1]]),
    ("lstm_cell_unbatched_hx", "LSTMCell", (4, 6), {}, [X[0, 0], H2[0, 0], H2[1, 0]]),
    ("gru_cell", "GRUCell", (4, 6), {}, [X[0]]),
    ("gru_cell_hx", "GRUCell", (4, 6), {}, [X[0], H1[0]]),
    ("gru_cell_unbatched", "GRUCell", (4, 6), {}, [X[0, 2]]),
]


@pytest.mark.parametrize("name,cls,args,kw,inputs", CELL_CASES, ids=[c[0] for c in CELL_CASES])
def test_cells_match_torch(name, cls, args, kw, inputs):
    tm, gm = twin(cls, *args, **kw)
    call = (lambda m, x, h, c: m(x, (h, c))) if len(inputs) == 3 else (lambda m, *a: m(*a))
    assert_same(tm, gm, inputs, call)


def test_cell_grad_fn_names_match_torch():
    for cls in ("RNNCell", "LSTMCell", "GRUCell"):
        tm, gm = twin(cls, 4, 6)
        t, g = _flat(tm(torch.tensor(X[0]))), _flat(gm(gg.tensor(X[0])))
        assert [type(a.grad_fn).__name__ for a in g] == [type(a.grad_fn).__name__ for a in t], cls


def test_sequence_unrolls_into_cells():
    """An LSTM layer is its LSTMCell applied step by step (the module's precomputed projection is the same math)."""
    gg.manual_seed(3)
    m, cell = gnn.LSTM(4, 6), gnn.LSTMCell(4, 6)
    cell.load_state_dict({k[:-3]: v for k, v in m.state_dict().items()})
    x = gg.tensor(X.astype(np.float32))
    out, (h, c) = m(x)
    state = None
    for t in range(X.shape[0]):
        state = cell(x[t], state)
        np.testing.assert_allclose(out[t].detach().numpy(), state[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c[0].detach().numpy(), state[1].detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls,args,kw", [
    ("RNN", (10, 20), {}), ("RNN", (3, 4), {"nonlinearity": "relu", "bias": False}),
    ("LSTM", (10, 20, 2), {"batch_first": True, "dropout": 0.1}), ("LSTM", (5, 8), {"proj_size": 3}),
    ("GRU", (3, 4, 3), {"bidirectional": True}), ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {"bias": False}),
])
def test_names_shapes_and_repr_match_torch(cls, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, gm = getattr(torch.nn, cls)(*args, **kw), getattr(gnn, cls)(*args, **kw)
    assert [(n, tuple(p.shape)) for n, p in gm.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert repr(gm) == repr(tm)
    if hasattr(tm, "all_weights"):
        assert [[tuple(w.shape) for w in ws] for ws in gm.all_weights] == \
               [[tuple(w.shape) for w in ws] for ws in tm.all_weights]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU", "LSTMCell"])
def test_init_statistics_match_torch(cls):
    """U(-1/sqrt(H), 1/sqrt(H)) for every parameter: range, mean and std as torch's (not its values)."""
    gg.manual_seed(0)
    torch.manual_seed(0)
    bound = 1 / np.sqrt(64)
    gm, tm = getattr(gnn, cls)(32, 64), getattr(torch.nn, cls)(32, 64)
    for n, p in gm.named_parameters():
        p = p.detach().numpy()
        assert -bound <= p.min() and p.max() <= bound and p.max() - p.min() > bound, n
    g, t = (np.concatenate([p.detach().numpy().ravel() for p in m.parameters()]) for m in (gm, tm))
    assert abs(g.mean() - t.mean()) < 0.03 * bound
    assert abs(g.std() - t.std()) < 0.02 * bound


def assert_errors_match(make, call=None):
    """make(nn) (or, when call is given, call(lib, make(nn))) raises the same type and message in both."""
    tcall, gcall = ((lambda: make(torch.nn)), (lambda: make(gnn))) if call is None else \
        ((lambda: call(torch, make(torch.nn))), (lambda: call(gg, make(gnn))))
    with pytest.raises(Exception) as te:
        tcall()
    with pytest.raises(type(te.value)) as ge:
        gcall()
    assert str(ge.value) == str(te.value)


@pytest.mark.parametrize("make,call", [
    (lambda nn: nn.LSTM(3, 4), lambda lib, m: m(lib.zeros(5, 2, 4))),
    (lambda nn: nn.RNN(3, 4), lambda lib, m: m(lib.zeros(5, 2, 3, 1))),
    (lambda nn: nn.GRU(3, 4), lambda lib, m: m(lib.zeros(5))),
    (lambda nn: nn.GRU(3, 4), lambda lib, m: m(lib.zeros(5, 2, 3), lib.zeros(1, 3, 4))),
    (lambda nn: nn.RNN(3, 4), lambda lib, m: m(lib.zeros(5, 2, 3), lib.zeros(2, 4))),
    (lambda nn: nn.RNN(3, 4), lambda lib, m: m(lib.zeros(5, 3), lib.zeros(1, 1, 4))),
    (lambda nn: nn.LSTM(3, 4, 2), lambda lib, m: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(2, 2, 4)))),
    (lambda nn: nn.LSTM(3, 4, 2), lambda lib, m: m(lib.zeros(5, 2, 3), (lib.zeros(2, 2, 4), lib.zeros(2, 2, 3)))),
    (lambda nn: nn.LSTM(3, 4), lambda lib, m: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(2, 4)))),
    (lambda nn: nn.LSTM(3, 4), lambda lib, m: m(lib.zeros(5, 2, 3, dtype=lib.float64))),
    (lambda nn: nn.LSTMCell(3, 4), lambda lib, m: m(lib.zeros(2, 5))),
    (lambda nn: nn.LSTMCell(3, 4), lambda lib, m: m(lib.zeros(2, 3), (lib.zeros(3, 4), lib.zeros(2, 4)))),
    (lambda nn: nn.LSTMCell(3, 4), lambda lib, m: m(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(2, 5)))),
    (lambda nn: nn.LSTMCell(3, 4), lambda lib, m: m(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(1, 2, 4)))),
    (lambda nn: nn.GRUCell(3, 4), lambda lib, m: m(lib.zeros(1, 2, 3))),
    (lambda nn: nn.RNNCell(3, 4), lambda lib, m: m(lib.zeros(2, 3), lib.zeros(2, 5))),
    (lambda nn: nn.LSTM(3, 4, dropout=1.5), None),
    (lambda nn: nn.GRU(3, 0), None),
    (lambda nn: nn.LSTM(3, 4, proj_size=4), None),
    (lambda nn: nn.GRU(3, 4, proj_size=2), None),
    (lambda nn: nn.RNN(3, 4, nonlinearity="sigmoid"), None),
    (lambda nn: nn.RNN(3.0, 4), None),
])
def test_errors_match_torch(make, call):
    assert_errors_match(make, call)


def test_dropout_between_layers_only_in_training():
    tm, gm = twin("GRU", 4, 6, 3, dropout=0.5)
    x = X
    gm.train()
    a, b = gm(gg.tensor(x))[0].detach().numpy(), gm(gg.tensor(x))[0].detach().numpy()
    assert not np.allclose(a, b)  # fresh masks each call
    gm.eval()
    tm.eval()
    np.testing.assert_allclose(gm(gg.tensor(x))[0].detach().numpy(), tm(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-10)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        gnn.LSTM(3, 4, dropout=0.2)


def test_lstm_training_loop_matches_torch():
    """The issue's check: an LSTM + linear head learns the running sum of a short sequence; with the same
    initial weights and data, 30 Adam steps give torch's loss trajectory."""
    data = np.random.default_rng(0).uniform(-1, 1, (16, 6, 1))
    target = data.cumsum(1)
    rnns, heads = twin("LSTM", 1, 8, batch_first=True), twin("Linear", 8, 1)
    losses = []
    for lib, nn, rnn, head in zip((torch, gg), (torch.nn, gnn), rnns, heads):
        opt = lib.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.02)
        x, y = lib.tensor(data), lib.tensor(target)
        trace = []
        for _ in range(30):
            opt.zero_grad()
            loss = nn.functional.mse_loss(head(rnn(x)[0]), y)
            loss.backward()
            opt.step()
            trace.append(loss.item())
        losses.append(trace)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    assert losses[1][-1] < 0.5 * losses[1][0]
