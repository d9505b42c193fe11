"""Fit a noisy cubic with a small MLP and mean-squared error, printing the loss as it falls.

Written as a PyTorch user would write it; only the import differs (`import torch` runs it on
PyTorch). Data: y = x^3 - 2x + noise (std 0.3) at 400 points in [-2, 2], split 300/100.
Model: 1-32-32-1 MLP with tanh, full-batch Adam on nn.MSELoss. The last train MSE should
approach the noise variance (0.09), and the test MSE stays close to it.

    python examples/regression.py [--steps N] [--lr LR] [--seed S]
"""
import argparse
import os
import sys

import numpy as np

try:  # run from a checkout without installing
    import gradgate as torch
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import gradgate as torch

nn = torch.nn
NOISE_STD = 0.3


def noisy_cubic(n, rng):
    x = rng.uniform(-2.0, 2.0, (n, 1))
    y = x ** 3 - 2 * x + rng.normal(0.0, NOISE_STD, (n, 1))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = noisy_cubic(300, rng)
    x_test, y_test = noisy_cubic(100, rng)

    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for step in range(1, args.steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x_train), y_train)
        loss.backward()
        optimizer.step()
        if step & (step - 1) == 0 or step == args.steps:  # powers of two: the early fall shows
            print(f"step {step:5d}  train MSE {loss.item():.4f}")

    model.eval()
    with torch.no_grad():
        test_mse = loss_fn(model(x_test), y_test).item()
    print(f"test MSE {test_mse:.4f} (noise variance {NOISE_STD ** 2:.4f})")


if __name__ == "__main__":
    main()
