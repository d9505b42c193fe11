"""Train a small MLP to separate two interleaved spirals: gradgate's "main job".

Written as a PyTorch user would write it; only the import differs:

    import gradgate as torch

The data are two 2-D spirals wound around each other (generated with NumPy from a fixed
seed, with a little noise), split into a train and a test set. The model is a 2-64-64-1 MLP
(nn.Linear, tanh, relu) trained with mini-batch SGD with momentum on
binary_cross_entropy_with_logits. It prints the loss every few epochs and the final train and
test accuracy, and exits with status 1 if the test accuracy is below 90%.

    python examples/train_mlp.py [--epochs N] [--seed S]
"""
import argparse
import os
import sys
import time

import numpy as np

try:  # run from a checkout without installing
    import gradgate as torch
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import gradgate as torch
import gradgate.nn as nn
import gradgate.nn.functional as F


def two_spirals(n_per_class, noise, rng):
    """Points (n, 2) float32 and labels (n, 1) float32 in {0, 1}: two spirals, 2.5 turns each."""
    t = np.sqrt(rng.uniform(0.0, 1.0, n_per_class)) * 2.5 * 2 * np.pi  # denser near the centre
    r = t / (2.5 * 2 * np.pi) * 2.0
    arm = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    X = np.concatenate([arm, -arm]) + rng.normal(0.0, noise, (2 * n_per_class, 2))
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])[:, None]
    return X.astype(np.float32), y.astype(np.float32)


class MLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.out(x)  # logits


def accuracy(model, X, y):
    with torch.no_grad():
        pred = model(X) > 0
    return (pred == (y > 0.5)).sum().item() / len(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    X_np, y_np = two_spirals(1000, noise=0.05, rng=rng)
    order = rng.permutation(len(X_np))
    n_train = int(0.8 * len(X_np))
    train_idx, test_idx = order[:n_train], order[n_train:]
    X_test, y_test = torch.from_numpy(X_np[test_idx]), torch.from_numpy(y_np[test_idx])
    X_train, y_train = torch.from_numpy(X_np[train_idx]), torch.from_numpy(y_np[train_idx])

    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters())} parameters, {n_train} training points, "
          f"{len(test_idx)} test points\n")

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        # Reshuffle every epoch; batches are slices of the shuffled copy.
        perm = rng.permutation(n_train)
        Xs = torch.from_numpy(X_np[train_idx][perm])
        ys = torch.from_numpy(y_np[train_idx][perm])
        total, count = 0.0, 0
        for i in range(0, n_train, args.batch_size):
            xb, yb = Xs[i:i + args.batch_size], ys[i:i + args.batch_size]
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        if epoch == 1 or epoch % 20 == 0 or epoch == args.epochs:
            model.eval()
            print(f"epoch {epoch:3d}  loss {total / count:.4f}  "
                  f"test acc {accuracy(model, X_test, y_test):.3f}  ({time.perf_counter() - start:.1f}s)")

    model.eval()
    train_acc, test_acc = accuracy(model, X_train, y_train), accuracy(model, X_test, y_test)
    print(f"\nfinal: train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f} "
          f"in {time.perf_counter() - start:.1f}s")
    if test_acc < 0.9:
        print("test accuracy below 0.90", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
