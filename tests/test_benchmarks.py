"""Smoke runs of the benchmark scripts (--quick, subsets where a full list is slow): each exits 0
and prints its markdown table. Timings are not checked here (see benchmarks/)."""
import os
import subprocess
import sys

import gradgate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The scripts import the same gradgate as these tests: the installed package under CI (the
# checkout's python/ has no _C there), the checkout's python/ in a development build.
GRADGATE_HOME = os.path.dirname(os.path.dirname(os.path.abspath(gradgate.__file__)))


def run_bench(name, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [GRADGATE_HOME, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", name), "--quick", *args],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def table_rows(out):
    return [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| workload")]


def test_bench_training():
    out = run_bench("bench_training.py")
    rows = table_rows(out)
    assert len(rows) == 4, out
    assert all(r.count("|") == 6 and "x |" in r for r in rows), out
    assert "RSS growth over" in out


def test_bench_training_only():
    out = run_bench("bench_training.py", "--only", "tiny", "--threads", "1")
    assert len(table_rows(out)) == 1 and "2-16-16-1" in out, out


def test_bench_kernels():
    out = run_bench("bench_kernels.py", "--only", "log_softmax,convnet")  # the big-matrix rows are slow
    assert len(table_rows(out)) == 2, out


def test_bench_overhead():
    out = run_bench("bench_overhead.py")
    assert len(table_rows(out)) == 4, out


def test_bench_overhead_only():
    out = run_bench("bench_overhead.py", "--only", "mlp", "--threads", "1")
    rows = table_rows(out)
    assert len(rows) == 1 and "2-16-16-1" in rows[0] and "1 threads" in out, out
