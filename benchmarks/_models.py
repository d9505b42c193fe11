"""Models shared by the benchmark scripts, built from whichever library is passed in (gradgate or
torch), so each script times the same architecture and one definition serves them all."""


def tiny_mlp(nn):
    """The 2-16-16-1 MLP of bench_overhead's MLP row: Linear, tanh, Linear, relu, Linear."""
    F = nn.functional

    class TinyMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 16)
            self.fc2 = nn.Linear(16, 16)
            self.fc3 = nn.Linear(16, 1)

        def forward(self, x):
            x = self.fc1(x).tanh()
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return TinyMLP()


def mlp(nn, sizes=(784, 512, 512, 10)):
    """Linear layers of the given widths with ReLU between them."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


def lenet(nn):
    """The LeNet-sized CNN for 1x28x28 inputs and 10 classes."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))


def copy_parameters(src, dst, lib):
    """Copies src's parameters (any library) into dst's (built by `lib`), name by name."""
    values = {name: p.detach().numpy().copy() for name, p in src.named_parameters()}
    with lib.no_grad():
        for name, p in dst.named_parameters():
            p.copy_(lib.from_numpy(values[name]))
