"""The libraries the benchmark scripts compare: gradgate (from this checkout when it is not
installed) and PyTorch (None when it is not installed)."""
import os
import sys

try:
    import gradgate
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import gradgate

try:
    import torch
except ImportError:
    torch = None

__all__ = ["gradgate", "torch"]
