"""PyTorch's "Learn the Basics" quickstart, run with only the import changed (on in-memory
data shaped like FashionMNIST instead of a download)."""
import numpy as np

import gradgate as torch
from gradgate import nn
from gradgate.utils.data import DataLoader, TensorDataset


def _fashion_like(n, seed):
    """28x28 images whose class sets the brightness of one of ten bands."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.uniform(0, 0.3, (n, 1, 28, 28)).astype(np.float32)
    for i, c in enumerate(y):
        x[i, 0, c * 2:c * 2 + 3, :] += 0.7
    return TensorDataset(torch.tensor(x), torch.tensor(y))


training_data = _fashion_like(2048, 0)
test_data = _fashion_like(512, 1)


# ---- from here on, the tutorial's code as written ----
batch_size = 64

train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct, test_loss


test.__test__ = False  # the tutorial's helper is called `test`; it is not a pytest test


def test_quickstart_trains_saves_and_reloads(tmp_path):
    torch.manual_seed(0)
    model = NeuralNetwork().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
    accuracy0, loss0 = test(test_dataloader, model, loss_fn)
    epochs = 3
    for t in range(epochs):
        print(f"Epoch {t+1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        accuracy, avg_loss = test(test_dataloader, model, loss_fn)
    print("Done!")
    assert avg_loss < loss0 and accuracy > 0.9

    torch.save(model.state_dict(), tmp_path / "model.pth")
    model2 = NeuralNetwork().to(device)
    model2.load_state_dict(torch.load(tmp_path / "model.pth", weights_only=True))
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    model2.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model2(x)
        predicted, actual = classes[pred[0].argmax(0)], classes[y]
    assert predicted == actual
    assert test(test_dataloader, model2, loss_fn) == test(test_dataloader, model, loss_fn)
