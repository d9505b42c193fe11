"""Short runs of every script in examples/: each finishes, prints what it promises and learns
something (the full runs' accuracies are in the scripts' docstrings and the README)."""
import os
import re
import subprocess
import sys

import pytest

import gradgate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The examples import the same gradgate as these tests: the installed package under CI, the
# checkout's python/ in a development build (python/ alone would lack _C after `pip install .`).
GRADGATE_HOME = os.path.dirname(os.path.dirname(os.path.abspath(gradgate.__file__)))


def run_example(name, *args):
    """Runs examples/<name> with the gradgate these tests import; returns (stdout, stderr)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [GRADGATE_HOME, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, proc.stderr


def _numbers(pattern, text):
    return [float(v) for v in re.findall(pattern, text)]


@pytest.mark.parametrize("script, epochs, min_acc", [("digits_mlp.py", 3, 0.8), ("digits_cnn.py", 2, 0.7)])
def test_digits_examples(tmp_path, script, epochs, min_acc):
    for mod in ("sklearn", "tqdm", "matplotlib"):
        pytest.importorskip(mod)
    png = tmp_path / "curves.png"
    out, err = run_example(script, "--epochs", epochs, "--out", png)
    (acc,) = _numbers(r"test accuracy ([0-9.]+) after", out)
    assert min_acc <= acc <= 1.0
    assert f"plot written to {png}" in out
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert f"{epochs}/{epochs}" in err and "loss=" in err and "test_acc=" in err  # the tqdm bar


def test_regression_example():
    out, _ = run_example("regression.py", "--steps", 200)
    train = _numbers(r"train MSE ([0-9.]+)", out)
    assert len(train) >= 5 and train[-1] < train[0] / 5
    (test_mse,) = _numbers(r"test MSE ([0-9.]+)", out)
    assert test_mse < 0.5


def test_micrograd_example():
    pytest.importorskip("sklearn")
    out, _ = run_example("micrograd_mlp.py")
    losses = _numbers(r"loss ([0-9.]+)", out)
    accuracies = _numbers(r"accuracy ([0-9]+)%", out)
    assert losses[-1] < losses[0] / 10
    assert accuracies[-1] >= 95


def test_train_mlp_example():
    out, _ = run_example("train_mlp.py", "--epochs", 30)
    (test_acc,) = _numbers(r"test accuracy ([0-9.]+)", out)
    assert test_acc >= 0.9  # the script itself exits 1 below 0.9
