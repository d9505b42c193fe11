"""Classify sklearn's 8x8 handwritten digits with an MLP.

Written as a PyTorch user would write it; only the import differs (`import torch` runs it on
PyTorch). 1,797 images (bundled with scikit-learn), a seeded stratified 75/25 split, a
64-128-64-10 MLP trained with SGD (momentum) on cross-entropy from a shuffling DataLoader.
A tqdm bar shows the loss and test accuracy per epoch; the loss/accuracy curves go to a PNG.

    python examples/digits_mlp.py [--epochs N] [--lr LR] [--seed S] [--out digits_mlp.png]
"""
import os
import sys
import time

from tqdm import tqdm

try:  # run from a checkout without installing
    import gradgate as torch
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import gradgate as torch
import _digits

nn = torch.nn
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


class MLP(nn.Module):
    def __init__(self, hidden=(128, 64), num_classes=10):
        super().__init__()
        self.fc1 = nn.Linear(64, hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1])
        self.out = nn.Linear(hidden[1], num_classes)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.out(x)  # logits


def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, n = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
        n += len(xb)
    return total / n


def evaluate(model, loader, loss_fn):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            total += loss_fn(logits, yb).item() * len(xb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
            n += len(xb)
    return total / n, correct / n


def main():
    args = _digits.parse_args(__doc__, epochs=30, lr=0.05, out="digits_mlp.png")
    torch.manual_seed(args.seed)
    X_train, X_test, y_train, y_test = _digits.load_digits_split(args.seed)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train)),
                              batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(torch.from_numpy(X_test), torch.from_numpy(y_test)), batch_size=256)

    model = MLP()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters, {len(X_train)} training and "
          f"{len(X_test)} test images")

    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    bar = tqdm(range(1, args.epochs + 1), desc="digits MLP", unit="epoch")
    for _ in bar:
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}", test_acc=f"{test_acc:.3f}")
    bar.close()

    print(f"test accuracy {history['test_acc'][-1]:.4f} after {args.epochs} epochs "
          f"in {time.perf_counter() - start:.1f}s")
    print("plot written to", _digits.plot_history(history, args.out, "MLP on sklearn digits"))


if __name__ == "__main__":
    main()
