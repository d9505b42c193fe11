"""Whole training loops run twice, on gradgate and on PyTorch, from the same initial weights and the
same mini-batches: the loss at every step, the final parameters and the trained model's predictions
must agree. One program text per loop, parameterized by the library, as a user would write it."""
import numpy as np
import pytest

import gradgate as gg

torch = pytest.importorskip("torch")

STEPS = 30
BATCH = 16


def make_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 5))


def make_cnn(lib):
    nn, F = lib.nn, lib.nn.functional

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
            self.fc = nn.Linear(8 * 3 * 3, 3)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 10x10 -> 5x5
            x = F.relu(self.conv2(x))  # 5x5 -> 3x3
            return self.fc(lib.flatten(x, 1))

    return SmallCNN()


def _data(shape, classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, classes, shape[0])
    # one batch index list per step: a fresh permutation per epoch, as a shuffling loader gives
    per_epoch = shape[0] // BATCH
    batches = [perm[i * BATCH:(i + 1) * BATCH] for perm in (rng.permutation(shape[0]) for _ in range(STEPS))
               for i in range(per_epoch)][:STEPS]
    return X, y, batches


def _train(lib, make_model, make_optimizer, init, data):
    X, y, batches = data
    model = make_model(lib)
    model.load_state_dict({k: lib.tensor(v) for k, v in init.items()})
    optimizer = make_optimizer(lib.optim, model.parameters())
    loss_fn = lib.nn.CrossEntropyLoss()
    losses = []
    model.train()
    for idx in batches:
        xb, yb = lib.tensor(X[idx]), lib.tensor(y[idx])
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with lib.no_grad():
        logits = model(lib.tensor(X[:32])).numpy()
    return np.array(losses), {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}, logits


def _compare(make_model, make_optimizer, data):
    init = {k: v.numpy().copy() for k, v in make_model(gg).state_dict().items()}
    lg, sg, pg = _train(gg, make_model, make_optimizer, init, data)
    lt, st, pt = _train(torch, make_model, make_optimizer, init, data)
    assert len(lg) == STEPS
    assert lg[-1] < lg[0]  # it learned something, so the comparison is not between two flat lines
    np.testing.assert_allclose(lg, lt, rtol=1e-4)
    assert list(sg) == list(st)
    for k in sg:
        assert not np.array_equal(sg[k], init[k]), k
        np.testing.assert_allclose(sg[k], st[k], rtol=1e-4, atol=1e-5, err_msg=k)
    np.testing.assert_allclose(pg, pt, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)],
                         ids=["momentum", "nesterov-weight_decay"])
def test_mlp_sgd_momentum_loop_matches_pytorch(kw):
    _compare(make_mlp, lambda optim, params: optim.SGD(params, **kw), _data((96, 20), 5, seed=0))


def test_cnn_adam_loop_matches_pytorch():
    _compare(make_cnn, lambda optim, params: optim.Adam(params, lr=1e-2), _data((64, 1, 10, 10), 3, seed=1))
