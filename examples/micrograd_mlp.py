"""A micrograd-style MLP: neurons, layers and a manual SGD step, on two interleaved moons.

In the spirit of karpathy/micrograd's demo: each Neuron owns its weight vector and bias (leaf
tensors that require grad), a Layer is a list of neurons, an MLP a list of layers; there is no
nn.Module and no optimizer. Loss: the SVM max-margin (hinge) loss with L2 regularization on
labels -1/+1; the update is the by-hand `p.data -= lr * p.grad`. Data: sklearn's make_moons.
Only the import line differs from the same program on PyTorch (`import torch`).

    python examples/micrograd_mlp.py [--steps N] [--seed S]
"""
import argparse
import os
import sys

try:  # run from a checkout without installing
    import gradgate as torch
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import gradgate as torch


class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, nonlin=True):
        self.w = (torch.rand(nin) * 2 - 1).requires_grad_()  # U(-1, 1) as in micrograd
        self.b = torch.zeros((), requires_grad=True)
        self.nonlin = nonlin

    def __call__(self, x):  # x: (batch, nin) -> (batch,)
        act = x @ self.w + self.b
        return act.relu() if self.nonlin else act

    def parameters(self):
        return [self.w, self.b]


class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):  # (batch, nin) -> (batch, nout)
        return torch.stack([n(x) for n in self.neurons], dim=1)

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):
    def __init__(self, nin, nouts):
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def loss_and_accuracy(model, X, y, alpha=1e-4):
    scores = model(X).squeeze(1)
    data_loss = (1 - y * scores).relu().mean()  # max-margin
    reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
    accuracy = ((scores > 0) == (y > 0)).float().mean().item()
    return data_loss + reg_loss, accuracy


def main():
    from sklearn.datasets import make_moons
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    X_np, y_np = make_moons(n_samples=100, noise=0.1, random_state=args.seed)
    X = torch.tensor(X_np, dtype=torch.float32)
    y = torch.tensor(y_np * 2 - 1, dtype=torch.float32)  # labels -1 / +1

    model = MLP(2, [16, 16, 1])
    print(f"MLP of {sum(len(layer.neurons) for layer in model.layers)} neurons, "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    for k in range(args.steps):
        loss, acc = loss_and_accuracy(model, X, y)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / args.steps  # decaying learning rate, as in micrograd's demo
        for p in model.parameters():
            p.data -= lr * p.grad
        if k % max(1, args.steps // 10) == 0 or k == args.steps - 1:
            print(f"step {k:3d}  loss {loss.item():.4f}  accuracy {acc * 100:.0f}%")


if __name__ == "__main__":
    main()
