"""Training-step time: gradgate beside PyTorch in the same run, on whole training steps
(zero_grad, forward, loss, backward, optimizer step).

Workloads (the same model, data and initial weights on both libraries; the first steps' losses
are checked to agree before anything is timed):
  tiny    the 2-16-16-1 MLP of bench_overhead.py (Linear, tanh, relu), batch 32,
          binary_cross_entropy_with_logits, SGD with momentum 0.9
  mlp64   MLP 784-512-512-10 with ReLU, batch 64, cross_entropy, SGD with momentum 0.9
  mlp512  the same MLP at batch 512
  cnn     the LeNet-sized CNN of bench_kernels.py, batch 64 of 1x28x28, cross_entropy, Adam

Each: warm-up, then `repeats` timed blocks of `inner` steps, gradgate and PyTorch taking turns
block by block (so load on a shared machine hits both alike); the median block is reported in
ms per step. Then gradgate alone runs 200 more steps of each workload and reports how much its
resident memory (RSS) grew: it should stay flat.

    python benchmarks/bench_training.py [--quick] [--threads N] [--only tiny,mlp64,mlp512,cnn]
"""
import os
import platform

import numpy as np

from _libs import gradgate, torch

import _models
from _cli import parse_args
from _timing import timeit

# workload -> (label, target as gradgate's time over PyTorch's, steps per timed block)
WORKLOADS = {
    "tiny": ("MLP 2-16-16-1, batch 32, SGD momentum", 0.2, 200),
    "mlp64": ("MLP 784-512-512-10, batch 64, SGD momentum", 0.75, 20),
    "mlp512": ("MLP 784-512-512-10, batch 512, SGD momentum", 0.95, 4),
    "cnn": ("LeNet-sized CNN, batch 64, Adam", 0.8, 4),
}


def make_data(key):
    """(inputs, targets) as NumPy arrays for a workload."""
    rng = np.random.default_rng(0)
    if key == "tiny":
        X = rng.standard_normal((32, 2)).astype(np.float32)
        return X, (X[:, :1] * X[:, 1:] > 0).astype(np.float32)
    if key == "cnn":
        return rng.standard_normal((64, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)
    batch = 64 if key == "mlp64" else 512
    return rng.standard_normal((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)


def build_model(key, nn):
    return {"tiny": _models.tiny_mlp, "mlp64": _models.mlp, "mlp512": _models.mlp, "cnn": _models.lenet}[key](nn)


def make_step(key, lib, reference=None):
    """A closure running one training step on `lib` and returning the loss tensor. The model's
    initial weights are copied from `reference` (a model of either library) when given."""
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(0)
    model = build_model(key, nn)
    if reference is not None:
        _models.copy_parameters(reference, model, lib)
    if key == "cnn":
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = lib.optim.SGD(model.parameters(), lr=0.05 if key == "tiny" else 0.01, momentum=0.9)
    loss_fn = F.binary_cross_entropy_with_logits if key == "tiny" else F.cross_entropy
    X_np, Y_np = make_data(key)
    X, Y = lib.from_numpy(X_np.copy()), lib.from_numpy(Y_np.copy())

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        return loss

    return step, model


def check_same(key, steps, n=3):
    """Both libraries must compute the same losses over the first steps (the first checks the
    forward, the later ones the backward and the update) before their times are compared."""
    losses = {name: [float(step().item()) for _ in range(n)] for name, step in steps.items()}
    if len(losses) == 2:
        a, b = np.array(losses["gradgate"]), np.array(losses["torch"])
        if not np.allclose(a, b, rtol=1e-4, atol=1e-5):
            raise SystemExit(f"{key}: gradgate and PyTorch disagree on the first losses: {a} vs {b}")


def rss_mb():
    """Current resident set size in MB (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError):
        return None


def rss_growth(step, n):
    """RSS growth in MB over n steps, measured after a few warm-up steps."""
    for _ in range(10):
        step()
    before = rss_mb()
    for _ in range(n):
        step()
    after = rss_mb()
    return None if before is None else after - before


def main():
    args = parse_args(__doc__, WORKLOADS, no_torch=True)

    libs = {"gradgate": gradgate}
    if torch is not None and not args.no_torch:
        libs["torch"] = torch
    for lib in libs.values():
        lib.set_num_threads(args.threads)
    repeats, warmup, rss_steps = (3, 3, 20) if args.quick else (11, 10, 200)

    rows, growth = [], {}
    for key in args.only:
        label, target, inner = WORKLOADS[key]
        reference = None
        steps = {}
        for name, lib in libs.items():
            steps[name], model = make_step(key, lib, reference)
            if reference is None:
                reference = model
        check_same(key, steps)
        times = timeit(steps, max(1, inner // 4) if args.quick else inner, repeats, warmup)
        rows.append((label, times, target))
        growth[key] = rss_growth(steps["gradgate"], rss_steps)

    tv = torch.__version__ if "torch" in libs else ("skipped" if torch is not None else "not installed")
    print(f"gradgate {gradgate.__version__}, PyTorch {tv}, {args.threads} threads, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}{', --quick' if args.quick else ''}; median of {repeats} repeats\n")
    print("| workload | gradgate ms | PyTorch ms | time vs PyTorch | target |")
    print("|---|---:|---:|---:|---:|")
    for label, t, target in rows:
        g = t["gradgate"] * 1e3
        if "torch" in t:
            p = t["torch"] * 1e3
            print(f"| {label} | {g:.3g} | {p:.3g} | {g / p:.2f}x | <= {target:.2f}x |")
        else:
            print(f"| {label} | {g:.3g} | – | – | <= {target:.2f}x |")
    print()
    for key in args.only:
        mb = growth[key]
        print(f"RSS growth over {rss_steps} gradgate steps, {key}: " + ("n/a" if mb is None else f"{mb:+.2f} MB"))
    known = [mb for mb in growth.values() if mb is not None]
    if known:  # a few pages of allocator slack are noise; a leak grows with the step count
        print(f"RSS flat over {rss_steps} steps" if max(known) < 1.0 else f"RSS GREW over {rss_steps} steps")


if __name__ == "__main__":
    main()
