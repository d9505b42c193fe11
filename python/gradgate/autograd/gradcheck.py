"""Finite-difference checks of gradients (float64 inputs recommended), as torch.autograd.gradcheck."""
import numpy as np

from .. import _C

Tensor = _C.Tensor


class GradcheckError(RuntimeError):
    pass


def _flat_outputs(out):
    return [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)]


def _numerical_jacobians(func, inputs, eps):
    """J[i][j]: d output_j / d input_i, by central differences, as (numel_in, numel_out) arrays.
    Runs func with grad mode as the caller has it: gradgradcheck's func differentiates inside."""
    jac = []
    base = [o.detach().numpy().copy() for o in _flat_outputs(func(*inputs))]
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            jac.append(None)
            continue
        data = t.detach().numpy()  # shares memory with t
        flat = data.reshape(-1) if data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck needs contiguous inputs")
        cols = [np.zeros((t.numel(), b.size)) for b in base]
        for k in range(t.numel()):
            orig = flat[k]
            flat[k] = orig + eps
            plus = [o.detach().numpy().copy() for o in _flat_outputs(func(*inputs))]
            flat[k] = orig - eps
            minus = [o.detach().numpy().copy() for o in _flat_outputs(func(*inputs))]
            flat[k] = orig
            for j, (p, m) in enumerate(zip(plus, minus)):
                cols[j][k] = ((p.astype(np.float64) - m.astype(np.float64)) / (2 * eps)).reshape(-1)
        jac.append(cols)
    return jac


def _analytical_jacobians(func, inputs):
    from . import grad
    from .. import zeros_like
    outs = _flat_outputs(func(*inputs))
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    jac = {id(t): [np.zeros((t.numel(), o.numel())) for o in outs] for t in diff_inputs}
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for k in range(o.numel()):
            g = zeros_like(o)
            g.view(-1)[k] = 1.0
            grads = grad([o], diff_inputs, [g], retain_graph=True, allow_unused=True)
            for t, gt in zip(diff_inputs, grads):
                if gt is not None:
                    jac[id(t)][j][:, k] = gt.detach().numpy().reshape(-1)
    return [jac.get(id(t)) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_):
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs)
    for i, (n, a) in enumerate(zip(numerical, analytical)):
        if n is None:
            continue
        for j, (nj, aj) in enumerate(zip(n, a)):
            if not np.allclose(aj, nj, atol=atol, rtol=rtol):
                if raise_exception:
                    raise GradcheckError(f"Jacobian mismatch for output {j} with respect to input {i},\n"
                                         f"numerical:{nj}\nanalytical:{aj}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_):
    """Checks second derivatives: gradcheck of the map (inputs, v) -> v^T J(inputs)."""
    from . import grad
    from .. import randn_like
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outs = _flat_outputs(func(*inputs))
    if grad_outputs is None:
        grad_outputs = [randn_like(o, dtype=o.dtype).requires_grad_(True) for o in outs]
    n_in = len(inputs)

    def first_order(*args):
        xs, vs = args[:n_in], args[n_in:]
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(_flat_outputs(func(*xs)), diff, list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
