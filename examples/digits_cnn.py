"""Classify sklearn's 8x8 handwritten digits with a small convolutional network.

Written as a PyTorch user would write it; only the import differs (`import torch` runs it on
PyTorch). 1,797 images (bundled with scikit-learn) as 1x8x8 tensors, a seeded stratified 75/25
split, conv(16)-relu-conv(32)-relu-maxpool-linear(64)-linear(10) trained with Adam on
cross-entropy from a shuffling DataLoader, with the learning rate halved every 5 epochs.
A tqdm bar shows the loss and test accuracy per epoch; the loss/accuracy curves go to a PNG.

    python examples/digits_cnn.py [--epochs N] [--lr LR] [--seed S] [--out digits_cnn.png]
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

nn, F = torch.nn, torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


class CNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # 8x8 -> 4x4
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))  # logits


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
    args = _digits.parse_args(__doc__, epochs=15, lr=3e-3, out="digits_cnn.png")
    torch.manual_seed(args.seed)
    X_train, X_test, y_train, y_test = _digits.load_digits_split(args.seed)
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)  # (N, channels, H, W)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train)),
                              batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(torch.from_numpy(X_test), torch.from_numpy(y_test)), batch_size=256)

    model = CNN()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters, {len(X_train)} training and "
          f"{len(X_test)} test images")

    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    bar = tqdm(range(1, args.epochs + 1), desc="digits CNN", unit="epoch")
    for _ in bar:
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer))
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.4f}", test_acc=f"{test_acc:.3f}")
    bar.close()

    print(f"test accuracy {history['test_acc'][-1]:.4f} after {args.epochs} epochs "
          f"in {time.perf_counter() - start:.1f}s")
    print("plot written to", _digits.plot_history(history, args.out, "CNN on sklearn digits"))


if __name__ == "__main__":
    main()
