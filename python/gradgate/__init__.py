"""gradgate: an autograd engine with native kernels and PyTorch's semantics.

`import gradgate as torch` runs small training loops unchanged."""
import ctypes as _ctypes
import os as _os

import scipy_openblas32 as _openblas

# The extension links the wheel's OpenBLAS by rpath; loading it here first makes that
# independent of how the two packages were installed.
_ctypes.CDLL(_os.path.join(_openblas.get_lib_dir(), _openblas.get_library(fullname=True)), mode=_ctypes.RTLD_GLOBAL)

from . import _C  # noqa: E402
from ._C import (  # noqa: E402,F401
    Tensor, dtype, get_num_threads, set_num_threads, manual_seed, initial_seed, is_grad_enabled,
    is_inference_mode_enabled,
)
from ._dtypes import (  # noqa: E402,F401
    float32, float64, int32, int64, bool_ as bool, get_default_dtype, set_default_dtype, _dtype_by_name,
)
from ._device import device  # noqa: E402,F401
from ._tensor import Size  # noqa: E402,F401
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode  # noqa: E402,F401
from ._factories import (  # noqa: E402,F401
    tensor, as_tensor, from_numpy, from_dlpack, zeros, ones, full, empty, arange, linspace, eye, rand, randn,
    randint, randperm, zeros_like, ones_like, full_like, empty_like, rand_like, randn_like, scalar_tensor,
    get_rng_state, set_rng_state, seed, Generator,
)
from ._functions import *  # noqa: E402,F401,F403
from . import autograd, accelerator, cuda, backends, nn, optim, utils  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from ._C import return_types  # noqa: E402,F401

float = float32
double = float64
long = int64
int = int32
half = None  # not supported: reserved so `gradgate.half` reads as absent rather than wrong

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


def is_floating_point(t):
    return t.is_floating_point()


del half
