"""Big-op throughput: gradgate beside PyTorch (and NumPy where it has the op) in the same run.

Workloads:
  a*b+c      16M float32 elementwise, end to end (fresh outputs), in GB/s of operands moved,
             beside NumPy and beside a plain copy of the same bytes (np.copyto into a warm
             buffer: the machine's copy bandwidth as this process sees it)
  matmul     256^3 and 1024^3 float32, forward and forward+backward, in GFLOP/s
  log_softmax  (4096, 1024) float32, log_softmax(dim=1).sum() forward+backward, in ms
  conv-net   a LeNet-sized CNN training step (batch 64, 1x28x28), when gradgate has conv2d
  lstm       a 2-layer LSTM language-model-sized training step (seq 35, batch 32, 64 -> 128, Adam)
  unary      exp, log, tanh, sigmoid, gelu (erf and tanh forms), softplus, silu, expm1, log1p, erf on
             16M float32, end to end (fresh outputs), in ns per element

    python benchmarks/bench_kernels.py [--quick] [--threads N] [--only axpy,matmul,...]
"""

import numpy as np

from _libs import gradgate, torch

import _models
from _cli import parse_args
from _timing import timeit


def libs():
    out = [("gradgate", gradgate)]
    if torch is not None:
        out.append(("torch", torch))
    return out


# A row: (workload, unit, {library: value}, target), target as gradgate's time over PyTorch's (or None).
TIME_UNITS = {"ms", "ns/elem"}


def per_lib(make):
    """{library name: make(lib)} for gradgate and, when installed, PyTorch."""
    return {name: make(lib) for name, lib in libs()}


def bench_axpy(repeats):
    n = 16 * 1024 * 1024
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(n, dtype=np.float32) for _ in range(3))
    moved = 4 * n * 4  # three inputs read, one output written
    ops = per_lib(lambda lib: [lib.from_numpy(x.copy()) for x in (a, b, c)])
    fused = {name: (lambda t=t: t[0] * t[1] + t[2]) for name, t in ops.items()}
    single = {name: (lambda t=t: t[0] * t[1]) for name, t in ops.items()}
    dst, gg_src, gg_dst = np.empty_like(a), gradgate.from_numpy(a.copy()), gradgate.empty(n)
    fused["numpy"], single["numpy"] = (lambda: a * b + c), (lambda: a * b)
    copies = {"numpy": lambda: np.copyto(dst, a), "gradgate": lambda: gg_dst.copy_(gg_src)}
    t_fused, t_single, t_copy = (timeit(f, repeats=repeats) for f in (fused, single, copies))
    vals = {k: moved / v / 1e9 for k, v in t_fused.items()}
    one_pass = {k: 3 * 4 * n / v / 1e9 for k, v in t_single.items()}  # two reads, one write
    copy = {k: 2 * 4 * n / v / 1e9 for k, v in t_copy.items()}
    return [("a*b+c 16M float32, end to end (two passes)", "GB/s", vals, 0.5),
            ("a*b 16M float32, one elementwise pass", "GB/s", one_pass, None),
            ("copy 16M into a warm buffer (NumPy: memcpy on one thread; gradgate: copy_, a plain C loop "
             "on the same threads)", "GB/s", copy, None),
            ("one elementwise pass / the faster copy (target >= 0.85)", "",
             {"gradgate": one_pass["gradgate"] / max(copy.values())}, None)]


def bench_matmul(repeats):
    rows = []
    for n in (256, 1024):
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
        flops = 2 * n ** 3

        def fwd(lib):
            ta, tb = lib.from_numpy(a.copy()), lib.from_numpy(b.copy())
            return lambda: ta @ tb

        def fwd_bwd(lib):
            wa, wb = lib.from_numpy(a.copy()).requires_grad_(True), lib.from_numpy(b.copy()).requires_grad_(True)

            def step():
                wa.grad = wb.grad = None
                (wa @ wb).sum().backward()
            return step
        inner = 8 if n == 256 else 1
        t_fwd = timeit(per_lib(fwd), inner=inner, repeats=repeats)
        t_both = timeit(per_lib(fwd_bwd), inner=inner, repeats=repeats)
        target = 1 / 0.9 if n == 256 else 1 / 0.95
        rows += [(f"matmul {n}^3 fwd", "GFLOP/s", {k: flops / v / 1e9 for k, v in t_fwd.items()}, target),
                 (f"matmul {n}^3 fwd+bwd", "GFLOP/s", {k: 3 * flops / v / 1e9 for k, v in t_both.items()}, None)]
    return rows


def bench_matmul_numpy(repeats, rows):
    """NumPy's matmul, filled into the matmul rows last: its OpenBLAS threads spin ~0.1 s after each call
    and would slow whatever is timed next."""
    for row in rows:
        if row[0].startswith("matmul") and row[0].endswith("fwd"):
            n = int(row[0].split()[1].split("^")[0])
            a, b = (np.random.default_rng(i).standard_normal((n, n), dtype=np.float32) for i in (0, 1))
            t = timeit({"numpy": lambda: a @ b}, inner=8 if n == 256 else 1, repeats=repeats)
            row[2]["numpy"] = 2 * n ** 3 / t["numpy"] / 1e9


def training_step(lib, model, loss_fn, x, y):
    """One zero_grad / forward / loss / backward / Adam step of `model` on fixed numpy data."""
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    tx, ty = lib.from_numpy(x.copy()), lib.from_numpy(y.copy())

    def step():
        opt.zero_grad()
        loss_fn(model(tx), ty).backward()
        opt.step()
    return step


def bench_log_softmax(repeats):
    x = np.random.default_rng(0).standard_normal((4096, 1024), dtype=np.float32)

    def make(lib):
        t = lib.from_numpy(x.copy()).requires_grad_(True)

        def step():
            t.grad = None
            lib.nn.functional.log_softmax(t, dim=1).sum().backward()
        return step
    vals = {k: v * 1e3 for k, v in timeit(per_lib(make), repeats=repeats).items()}
    return [("log_softmax(dim=1).sum() (4096, 1024) fwd+bwd", "ms", vals, 0.7)]


def bench_convnet(repeats):
    x = np.random.default_rng(0).standard_normal((64, 1, 28, 28), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, 64)

    def make(lib):
        lib.manual_seed(0)
        return training_step(lib, _models.lenet(lib.nn), lib.nn.functional.cross_entropy, x, y)
    vals = {k: v * 1e3 for k, v in timeit(per_lib(make), repeats=repeats).items()}
    return [("LeNet training step, batch 64 (Adam)", "ms", vals, 0.8)]


def bench_lstm(repeats):
    x = np.random.default_rng(0).standard_normal((35, 32, 64), dtype=np.float32)
    y = np.random.default_rng(1).standard_normal((35, 32, 128), dtype=np.float32)

    def make(lib):
        lib.manual_seed(0)
        lstm = lib.nn.LSTM(64, 128, num_layers=2)
        return training_step(lib, lstm, lambda out, ty: lib.nn.functional.mse_loss(out[0], ty), x, y)
    vals = {k: v * 1e3 for k, v in timeit(per_lib(make), repeats=repeats).items()}
    return [("LSTM 2x128 training step, seq 35, batch 32 (Adam)", "ms", vals, None)]


def bench_unary(repeats):
    n = 16 * 1024 * 1024
    real = np.random.default_rng(0).uniform(-4.0, 4.0, n).astype(np.float32)
    pos = np.abs(real) + np.float32(1e-3)  # the logs' domain
    ops = [("exp", lambda L, x: L.exp(x), real), ("log", lambda L, x: L.log(x), pos),
           ("tanh", lambda L, x: L.tanh(x), real), ("sigmoid", lambda L, x: L.sigmoid(x), real),
           ("gelu", lambda L, x: L.nn.functional.gelu(x), real),
           ("gelu tanh", lambda L, x: L.nn.functional.gelu(x, approximate="tanh"), real),
           ("softplus", lambda L, x: L.nn.functional.softplus(x), real),
           ("silu", lambda L, x: L.nn.functional.silu(x), real), ("expm1", lambda L, x: L.expm1(x), real),
           ("log1p", lambda L, x: L.log1p(x), pos), ("erf", lambda L, x: L.erf(x), real)]
    rows = []
    for op, f, data in ops:
        def make(lib, f=f, data=data):
            t = lib.from_numpy(data.copy())
            return lambda: f(lib, t)
        vals = {k: v / n * 1e9 for k, v in timeit(per_lib(make), repeats=repeats).items()}
        rows.append((f"{op} 16M float32", "ns/elem", vals, None))
    return rows


WORKLOADS = {"axpy": bench_axpy, "matmul": bench_matmul, "log_softmax": bench_log_softmax,
             "convnet": bench_convnet, "lstm": bench_lstm, "unary": bench_unary}


def main():
    args = parse_args(__doc__, WORKLOADS)
    repeats = 3 if args.quick else 9
    gradgate.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    rows = []
    for key in args.only:
        rows += WORKLOADS[key](repeats)
    bench_matmul_numpy(repeats, rows)
    print(f"gradgate {gradgate.__version__}, " + (f"PyTorch {torch.__version__}, " if torch else "")
          + f"NumPy {np.__version__}, {args.threads} threads, median of {repeats}\n")
    print("| workload | unit | gradgate | PyTorch | NumPy | time vs PyTorch | target |\n|---|---|---:|---:|---:|---:|---:|")
    for name, unit, vals, target in rows:
        cell = lambda k: f"{vals[k]:.3g}" if k in vals else ""  # noqa: E731
        ratio = ""
        if "gradgate" in vals and "torch" in vals:  # gradgate's time over PyTorch's: below 1 is faster
            r = vals["gradgate"] / vals["torch"] if unit in TIME_UNITS else vals["torch"] / vals["gradgate"]
            ratio = f"{r:.2f}x"
        goal = f"<= {target:.2f}x" if target else ""
        print(f"| {name} | {unit} | {cell('gradgate')} | {cell('torch')} | {cell('numpy')} | {ratio} | {goal} |")

if __name__ == "__main__":
    main()
