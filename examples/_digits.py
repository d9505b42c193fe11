"""The framework-free parts of digits_mlp.py and digits_cnn.py: command line, data split, plot.

The models and training loops stay in the two scripts (where a reader looks for them), so that
either script runs with PyTorch by changing its import line alone."""
import argparse
import os

import numpy as np


def parse_args(doc, epochs, lr, out):
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=out, help=f"where to write the loss/accuracy plot (default: ./{out})")
    return ap.parse_args()


def load_digits_split(seed):
    """sklearn's 1,797 8x8 digit images (bundled with scikit-learn: no download), pixels scaled to [0, 1],
    split 75/25 stratified by class: X_train (n, 64) float32, X_test, y_train (n,) int64, y_test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    X, y = load_digits(return_X_y=True)
    return train_test_split((X / 16.0).astype(np.float32), y.astype(np.int64), test_size=0.25,
                            random_state=seed, stratify=y)


def plot_history(history, path, title):
    """Train/test loss and test accuracy per epoch into a PNG; returns its absolute path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["test_acc"], color="tab:green")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="test accuracy", ylim=(min(history["test_acc"]) - 0.02, 1.0))
    ax_acc.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return os.path.abspath(path)
