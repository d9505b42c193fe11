"""Per-op overhead and a tiny training step: gradgate against PyTorch in the same run.

Workloads (the same program on both libraries, checked to compute the same values):
  chain/*  a chain of 200 elementwise ops (mul, add, tanh, sub, sigmoid, repeated) on a (16,)
           float32 tensor: forward under no_grad, forward recording the graph (the input requires
           grad), forward + sum + backward. Reported in microseconds per op (total / 200).
  mlp      one SGD-with-momentum step of a 2-16-16-1 MLP (nn.Linear, tanh, relu) on a batch of 32
           with binary_cross_entropy_with_logits: zero_grad, forward, loss, backward, step.
           Reported in microseconds per step.

Each measurement: warm-up, then `repeats` timed blocks of `inner` iterations with
time.perf_counter, the two libraries taking turns block by block; the median block is
reported. Both libraries run with the same number of threads (2 unless --threads says).

    python benchmarks/bench_overhead.py [--quick] [--threads N] [--only chain,mlp]
"""
import os
import platform

import numpy as np

from _libs import gradgate, torch

import _models
from _cli import parse_args
from _timing import timeit

CHAIN_LEN = 200
WORKLOADS = ("chain", "mlp")


# ---------------------------------------------------------------------------------------------
# timing

# ---------------------------------------------------------------------------------------------
# workload 1: the 200-op chain

def make_chain(lib, x_np, w_np, b_np):
    """Returns (forward, x, make_leaf): forward(x) applies CHAIN_LEN ops (mul, add, tanh, sub, sigmoid)."""
    w = lib.from_numpy(w_np.copy())
    b = lib.from_numpy(b_np.copy())
    assert CHAIN_LEN % 5 == 0

    def forward(x):
        for _ in range(CHAIN_LEN // 5):
            x = x * w
            x = x + b
            x = x.tanh()
            x = x - b
            x = x.sigmoid()
        return x

    def make_input(requires_grad):
        return lib.from_numpy(x_np.copy()).requires_grad_(requires_grad)

    return forward, make_input


def chain_workloads(lib, x_np, w_np, b_np):
    forward, make_input = make_chain(lib, x_np, w_np, b_np)
    x_plain = make_input(False)
    x_leaf = make_input(True)

    def fwd_no_grad():
        with lib.no_grad():
            forward(x_plain)

    def fwd_record():
        forward(x_leaf)

    def fwd_bwd():
        x_leaf.grad = None
        forward(x_leaf).sum().backward()

    def result():
        x = make_input(True)
        y = forward(x)
        y.sum().backward()
        return y.detach().numpy().copy(), x.grad.numpy().copy()

    return {"no_grad": fwd_no_grad, "record": fwd_record, "fwd_bwd": fwd_bwd}, result


# ---------------------------------------------------------------------------------------------
# workload 2: a tiny MLP training step

def make_mlp(lib, params_np, X_np, Y_np):
    F = lib.nn.functional
    model = _models.tiny_mlp(lib.nn)
    with lib.no_grad():
        for (name, p) in model.named_parameters():
            p.copy_(lib.from_numpy(params_np[name].copy()))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    X = lib.from_numpy(X_np.copy())
    Y = lib.from_numpy(Y_np.copy())

    def step():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), Y)
        loss.backward()
        opt.step()
        return loss

    return step


def mlp_data(seed=0):
    rng = np.random.default_rng(seed)
    shapes = {"fc1.weight": (16, 2), "fc1.bias": (16,), "fc2.weight": (16, 16), "fc2.bias": (16,),
              "fc3.weight": (1, 16), "fc3.bias": (1,)}
    params = {k: (rng.standard_normal(s) * 0.5).astype(np.float32) for k, s in shapes.items()}
    X = rng.standard_normal((32, 2)).astype(np.float32)
    Y = (X[:, :1] * X[:, 1:] > 0).astype(np.float32)
    return params, X, Y


# ---------------------------------------------------------------------------------------------

def check_same(libs, x_np, w_np, b_np):
    """Both libraries must compute the same thing before their times are compared."""
    outs = {}
    for name, lib in libs.items():
        _, result = chain_workloads(lib, x_np, w_np, b_np)
        y, g = result()
        params, X, Y = mlp_data()
        step = make_mlp(lib, params, X, Y)
        losses = [float(step().item()) for _ in range(20)]
        outs[name] = (y, g, np.array(losses))
    if len(outs) == 2:
        a, b = outs["gradgate"], outs["torch"]
        for what, u, v in zip(("chain output", "chain gradient", "MLP losses"), a, b):
            if not np.allclose(u, v, rtol=1e-4, atol=1e-5):
                raise SystemExit(f"gradgate and torch disagree on the {what}: max abs diff "
                                 f"{np.max(np.abs(u - v)):.3g}")
    return outs


def main():
    args = parse_args(__doc__, WORKLOADS, no_torch=True)

    libs = {"gradgate": gradgate}
    if torch is not None and not args.no_torch:
        libs["torch"] = torch
    for lib in libs.values():
        lib.set_num_threads(args.threads)

    if args.quick:
        chain_inner, mlp_inner, repeats, warmup = 20, 50, 3, 5
    else:
        chain_inner, mlp_inner, repeats, warmup = 200, 500, 11, 50

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(16).astype(np.float32)
    w_np = rng.uniform(0.5, 1.5, 16).astype(np.float32)
    b_np = rng.uniform(-0.5, 0.5, 16).astype(np.float32)
    check_same(libs, x_np, w_np, b_np)

    labels = {"no_grad": "chain of 200 ops, forward, no_grad (µs/op)",
              "record": "chain of 200 ops, forward, recording (µs/op)",
              "fwd_bwd": "chain of 200 ops, forward + backward (µs/op)"}
    rows = []  # (label, {lib: seconds})
    if "chain" in args.only:
        chains = {name: chain_workloads(lib, x_np, w_np, b_np)[0] for name, lib in libs.items()}
        for key, label in labels.items():
            r = timeit({name: chains[name][key] for name in libs}, chain_inner, repeats, warmup)
            rows.append((label, {name: t / CHAIN_LEN for name, t in r.items()}))
    if "mlp" in args.only:
        params, X, Y = mlp_data()
        steps = {name: make_mlp(lib, params, X, Y) for name, lib in libs.items()}
        rows.append(("MLP 2-16-16-1, batch 32, SGD step (µs/step)", timeit(steps, mlp_inner, repeats, warmup)))

    tv = torch.__version__ if "torch" in libs else ("skipped" if torch is not None else "not installed")
    print(f"gradgate {gradgate.__version__}, PyTorch {tv}, {args.threads} threads, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
          f"{', --quick' if args.quick else ''}; median of {repeats} repeats\n")
    print("| workload | gradgate µs | torch µs | gradgate/torch |")
    print("|---|---:|---:|---:|")
    for label, r in rows:
        g = r["gradgate"] * 1e6
        if "torch" in r:
            t = r["torch"] * 1e6
            print(f"| {label} | {g:.2f} | {t:.2f} | {g / t:.2f} |")
        else:
            print(f"| {label} | {g:.2f} | – | – |")


if __name__ == "__main__":
    main()
