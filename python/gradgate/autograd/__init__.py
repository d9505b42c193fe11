"""gradgate.autograd: backward, grad, custom Functions, and the grad-mode context managers."""
from .. import _C
from .function import Function, FunctionCtx  # noqa: F401
from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401

Tensor = _C.Tensor


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(tensors)/d(leaf) into each leaf's .grad (a vector-Jacobian product
    when grad_tensors are given)."""
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) or [None] * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"grad_tensors has {len(grads)} entries but tensors has {len(tensors)}")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        # Accumulate only into the given inputs, like PyTorch's backward(inputs=...).
        inputs = _as_list(inputs)
        results = _C._grad(tensors, inputs, grads, retain_graph, create_graph, True)
        with no_grad():
            for t, g in zip(inputs, results):
                if g is None:
                    continue
                if t.grad is None:
                    t.grad = g if create_graph else g.clone()
                else:
                    t.grad = t.grad + g
        return
    _C._run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns d(outputs)/d(inputs) without touching any .grad."""
    outputs = _as_list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = _C._grad(outputs, inputs, grads, retain_graph, create_graph, allow_unused)
    if materialize_grads:
        from .. import zeros_like
        result = tuple(zeros_like(i) if g is None else g for i, g in zip(inputs, result))
    return result
