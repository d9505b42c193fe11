"""gradgate.linalg: norms (vector_norm, norm). Vector norms run in C++
(LinalgVectorNormBackward0); matrix norms other than 'fro' are composed of differentiable
reductions, as in PyTorch."""
import math

from . import _C

__all__ = ["vector_norm", "norm"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    return _C._linalg_vector_norm(x, ord, dim, keepdim, dtype=dtype)


def _matrix_norm(A, ord, dim, keepdim, dtype):
    if A.dim() < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions "
                           f"(got shape {tuple(A.shape)})")
    d0, d1 = (d % A.dim() if -A.dim() <= d < A.dim() else d for d in dim)
    if not (0 <= d0 < A.dim() and 0 <= d1 < A.dim()):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-A.dim()}, {A.dim() - 1}], "
                         f"but got {dim})")
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values, which gradgate "
                                  f"does not compute yet")
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    # ord 1: max over columns of the column sums of |A|; inf: max over rows of the row sums.
    if ord in (math.inf, -math.inf):
        d0, d1 = d1, d0
    s = vector_norm(A, 1, d0, keepdim, dtype=dtype)
    d = d1 if keepdim or d1 < d0 else d1 - 1
    return s.amax(dim=d, keepdim=keepdim) if ord > 0 else s.amin(dim=d, keepdim=keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return _matrix_norm(A, "fro", dim, keepdim, dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.dim() == 1:
            dim = (0,)
        elif A.dim() == 2:
            dim = (0, 1)
        else:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.dim()}D.")
    if len(dim) == 2:
        return _matrix_norm(A, ord, dim, keepdim, dtype)
    if len(dim) != 1:
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number for a vector norm, got {ord!r}")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
