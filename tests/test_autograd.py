"""Autograd engine semantics: accumulation, retain_graph, VJPs, autograd.grad, hooks, grad
modes, detach, version counters, custom Functions. Expected behaviour is PyTorch's."""
import threading
import warnings

import numpy as np
import pytest

import gradgate as torch
from gradgate.autograd import Function, gradcheck, gradgradcheck


def npy(t):
    return t.detach().numpy()


def close(t, expected, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(npy(t), np.float64), np.asarray(expected, np.float64), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- accumulation and the graph's life

def test_grad_accumulates_across_backward_calls():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    close(x.grad, [2.0, 4.0, 6.0])
    (x * 3).sum().backward()
    close(x.grad, [5.0, 7.0, 9.0])
    x.grad = None
    (x * 3).sum().backward()
    close(x.grad, [3.0, 3.0, 3.0])


def test_accumulation_is_in_place_into_existing_grad():
    # PyTorch adds into the existing .grad tensor, so references to it (an optimizer's, a user's) see it
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert x.grad is g
    close(g, [5.0, 5.0])


def test_grad_sums_over_all_paths():
    # diamond: x feeds two branches that meet again
    x = torch.tensor(3.0, requires_grad=True)
    a = x * 2
    b = x ** 2
    c = x.exp()
    (a + b * a + c).backward()
    # d/dx [2x + 2x^3 + e^x] = 2 + 6x^2 + e^x
    close(x.grad, 2 + 6 * 9 + np.exp(3.0), rtol=1e-6)


def test_tensor_used_twice_in_one_op():
    x = torch.tensor([1.5, -2.0], requires_grad=True)
    (x * x).sum().backward()
    close(x.grad, [3.0, -4.0])
    x.grad = None
    (x + x).sum().backward()
    close(x.grad, [2.0, 2.0])


def test_grad_dtype_and_shape_follow_the_leaf():
    x = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.dtype == torch.float64
    assert tuple(x.grad.shape) == (2, 3)
    assert x.grad.requires_grad is False and x.grad.grad_fn is None


def test_retain_graph_allows_second_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 2).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, [6.0, 12.0])


def test_second_backward_through_freed_graph_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_freed_graph_partially_shared_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.sigmoid()
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        (h * 3).sum().backward()


def test_graph_without_saved_tensors_can_run_twice():
    # PyTorch only complains when a node needs freed saved tensors; add/sum save nothing.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    close(x.grad, [2.0, 2.0])


def test_backward_with_gradient_is_a_vjp():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2
    v = torch.tensor([0.1, 1.0, 10.0])
    y.backward(v)
    close(x.grad, [0.2, 4.0, 60.0], rtol=1e-6)


def test_backward_on_matrix_with_gradient():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
    y = x.mm(w)
    g = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    y.backward(g)
    close(x.grad, np.eye(2) @ np.array([[1.0, -1.0], [0.5, 2.0]]).T)


def test_non_scalar_backward_without_gradient_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    assert x.grad is None


def test_backward_gradient_shape_mismatch_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(3))


def test_backward_on_tensor_without_grad_raises():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        x.sum().backward()


def test_backward_on_leaf_itself():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.backward(torch.tensor([3.0, 4.0]))
    close(x.grad, [3.0, 4.0])


def test_one_element_non_scalar_backward_is_implicit():
    x = torch.tensor([2.0], requires_grad=True)
    (x * 5).backward()
    close(x.grad, [5.0])


def test_autograd_backward_function_many_roots():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    a = (x * 2).sum()
    b = (x * x).sum()
    torch.autograd.backward([a, b])
    close(x.grad, [4.0, 6.0])


def test_backward_inputs_restricts_accumulation():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([3.0, 4.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    close(x.grad, [3.0, 4.0])
    assert y.grad is None


def test_create_graph_backward_gives_differentiable_grad():
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    close(x.grad, 12.0)
    g = x.grad
    x.grad = None
    g.backward()
    close(x.grad, 12.0)  # d/dx 3x^2 = 6x = 12


# ---------------------------------------------------------------- autograd.grad

def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = torch.autograd.grad((x ** 2).sum(), x)
    close(gx, [2.0, 4.0])
    assert x.grad is None
    res = torch.autograd.grad((x ** 2).sum(), [x])
    assert isinstance(res, tuple) and len(res) == 1


def test_grad_with_grad_outputs():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = torch.autograd.grad(x * 3, x, grad_outputs=torch.tensor([1.0, -2.0]))
    close(gx, [3.0, -6.0])


def test_grad_second_derivative_of_cube_is_6x():
    x = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    close(g, 3 * np.array([1.0, 4.0, 0.25]))
    assert g.requires_grad and g.grad_fn is not None
    (h,) = torch.autograd.grad(g.sum(), x)
    close(h, 6 * np.array([1.0, -2.0, 0.5]))
    assert h.requires_grad is False


def test_grad_third_derivative():
    x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y = x.sin()
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    close(g1, np.cos(1.5), rtol=1e-12)
    close(g2, -np.sin(1.5), rtol=1e-12)
    close(g3, -np.cos(1.5), rtol=1e-12)


def test_grad_without_create_graph_frees_graph():
    x = torch.tensor(2.0, requires_grad=True)
    y = x.exp()
    torch.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        torch.autograd.grad(y, x)


def test_grad_allow_unused():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    close(gx, [2.0, 2.0])
    assert gz is None
    gx, gz = torch.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    close(gz, [0.0])


def test_grad_wrt_tensor_not_requiring_grad_raises():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad((x * 2).sum(), [torch.ones(2)])


def test_grad_wrt_intermediate():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h ** 2).sum()
    gh, gx = torch.autograd.grad(y, [h, x])
    close(gh, [6.0, 12.0])
    close(gx, [18.0, 36.0])


# ---------------------------------------------------------------- retain_grad, non-leaf .grad

def test_retain_grad_on_intermediate():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    assert h.retains_grad is True
    assert x.retains_grad is False
    (h ** 2).sum().backward()
    close(h.grad, [4.0, 8.0])
    close(x.grad, [8.0, 16.0])


def test_non_leaf_grad_access_warns():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert h.grad is None


def test_leaf_grad_access_does_not_warn():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None
        assert h.grad is not None


def test_retain_grad_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        torch.ones(2).retain_grad()


def test_grad_assignment_checks():
    x = torch.ones(3, requires_grad=True)
    x.grad = torch.full((3,), 2.0)
    close(x.grad, [2.0, 2.0, 2.0])
    (x * 1).sum().backward()
    close(x.grad, [3.0, 3.0, 3.0])
    with pytest.raises(RuntimeError, match="size"):
        x.grad = torch.ones(2)
    with pytest.raises(RuntimeError):
        x.grad = torch.ones(3, dtype=torch.float64)


# ---------------------------------------------------------------- hooks

def test_hook_sees_and_modifies_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def hook(g):
        seen.append(npy(g).copy())
        return g * 10

    h = x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    close(x.grad, [30.0, 30.0])
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    close(x.grad, [3.0, 3.0])
    assert len(seen) == 1


def test_hook_on_intermediate_changes_upstream_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    calls = []
    h.register_hook(lambda g: calls.append(1) or g * 0.5)
    (h * 4).sum().backward()
    assert calls == [1]
    close(x.grad, [4.0, 4.0])  # 4 * 0.5 * 2


def test_hook_returning_none_keeps_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    got = []
    x.register_hook(lambda g: got.append(g.sum().item()))
    (x * 2).sum().backward()
    assert got == [4.0]
    close(x.grad, [2.0, 2.0])


def test_multiple_hooks_run_in_order_and_removal_is_per_handle():
    x = torch.tensor([1.0], requires_grad=True)
    order = []
    h1 = x.register_hook(lambda g: order.append("a") or g + 1)
    x.register_hook(lambda g: order.append("b") or g * 2)
    (x * 1).sum().backward()
    assert order == ["a", "b"]
    close(x.grad, [4.0])  # (1 + 1) * 2
    h1.remove()
    h1.remove()  # removing twice is harmless
    order.clear()
    x.grad = None
    (x * 1).sum().backward()
    assert order == ["b"]
    close(x.grad, [2.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)


# ---------------------------------------------------------------- grad modes

def test_no_grad_context_and_restore():
    x = torch.ones(2, requires_grad=True)
    assert torch.is_grad_enabled()
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            assert torch.is_grad_enabled()
            z = x * 2
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn.name() == "MulBackward0"


def test_no_grad_restores_on_exception():
    with pytest.raises(ValueError):
        with torch.no_grad():
            raise ValueError("boom")
    assert torch.is_grad_enabled()


def test_no_grad_as_decorator():
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def f(t):
        assert not torch.is_grad_enabled()
        return t * 2

    y = f(x)
    assert not y.requires_grad
    assert torch.is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_as_decorator_inside_no_grad():
    x = torch.ones(2, requires_grad=True)

    @torch.enable_grad()
    def f(t):
        return t * 2

    with torch.no_grad():
        y = f(x)
        assert not torch.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_function_context_and_decorator():
    x = torch.ones(2, requires_grad=True)
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    with torch.no_grad():
        with torch.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not torch.is_grad_enabled()
    torch.set_grad_enabled(False)  # as a plain call it takes effect at once
    try:
        assert not torch.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)
    assert torch.is_grad_enabled()

    @torch.set_grad_enabled(False)
    def f():
        return torch.is_grad_enabled()

    assert torch.is_grad_enabled()  # decorating does not switch the mode
    assert f() is False
    assert torch.is_grad_enabled()


def test_grad_mode_is_thread_local():
    result = []
    with torch.no_grad():
        t = threading.Thread(target=lambda: result.append(torch.is_grad_enabled()))
        t.start()
        t.join()
        assert not torch.is_grad_enabled()
    assert result == [True]


def test_inference_mode_context_decorator_and_is_inference():
    x = torch.ones(2, requires_grad=True)
    assert not torch.is_inference_mode_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled()
        assert not torch.is_grad_enabled()
        y = x * 2
        n = torch.ones(2)
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    assert y.is_inference() and n.is_inference()
    assert not y.requires_grad
    assert not x.is_inference()

    @torch.inference_mode()
    def f(t):
        return t + 1

    r = f(x)
    assert r.is_inference() and not r.requires_grad

    with torch.inference_mode(False):
        assert not torch.is_inference_mode_enabled()
        z = x * 2
    assert not z.is_inference() and z.requires_grad


def test_inference_tensor_refuses_autograd():
    with torch.inference_mode():
        t = torch.ones(3)
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        (w * t).sum()
    # a clone made outside inference mode is a normal tensor
    c = t.clone()
    assert not c.is_inference()
    (w * c).sum().backward()
    close(w.grad, [1.0, 1.0, 1.0])


def test_inference_tensor_in_place_refused_outside_inference_mode():
    with torch.inference_mode():
        t = torch.ones(3)
        t.add_(1)  # fine inside
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
        t.mul_(2)


# ---------------------------------------------------------------- detach, requires_grad rules

def test_detach_shares_storage_and_version():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.requires_grad is False and d.is_leaf and d.grad_fn is None
    assert d.data_ptr() == y.data_ptr()
    v = y._version
    d.add_(1)
    assert y._version == v + 1
    close(y, [3.0, 5.0, 7.0])
    # the detached leaf of a leaf also aliases
    xd = x.detach()
    xd[0] = 100.0
    assert x[0].item() == 100.0


def test_detach_in_place():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    r = y.detach_()
    assert r is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    close(y, [2.0, 4.0])


def test_detach_in_place_on_view_raises():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = (x * 1)[:2]
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        v.detach_()


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.tensor([1, 2, 3]).requires_grad_()
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.zeros(2, dtype=torch.int64, requires_grad=True)
    t = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        t.requires_grad = True
    torch.tensor([1, 2]).requires_grad_(False)  # False is always fine


def test_setting_requires_grad_false_on_non_leaf_raises():
    x = torch.ones(2, requires_grad=True)
    y = x + 1
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    assert y.requires_grad


def test_integer_ops_do_not_require_grad():
    x = torch.tensor([1.0, 2.5], requires_grad=True)
    i = x.argmax()
    c = x > 1
    assert i.requires_grad is False and i.grad_fn is None
    assert c.requires_grad is False and c.grad_fn is None


def test_numpy_on_tensor_requiring_grad_raises():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="requires grad"):
        (x * 2).numpy()


# ---------------------------------------------------------------- version counter, in place

def test_version_counter_bumps_on_in_place():
    x = torch.zeros(3)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    assert x._version == 2
    x[0] = 5.0
    assert x._version == 3
    y = x.view(3)
    y.zero_()
    assert x._version == 4 and y._version == 4


def test_saved_tensor_modified_in_place_error_names_versions():
    x = torch.ones(3, requires_grad=True)
    h = x * 2
    y = h.exp().sum() + (h * h).sum()  # MulBackward0 saves h
    h.mul_(3)
    with pytest.raises(RuntimeError) as ei:
        y.backward()
    msg = str(ei.value)
    assert "one of the variables needed for gradient computation has been modified by an inplace operation" in msg
    assert "is at version 1; expected version 0 instead" in msg


def test_saved_leaf_modified_under_no_grad_raises():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with torch.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_saved_result_modified_in_place_raises():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()  # ExpBackward0 saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_on_tensor_not_saved_is_fine():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x + 1   # AddBackward0 saves nothing
    h.mul_(2)   # MulBackward0 on h: needs only the scalar
    h.sum().backward()
    close(x.grad, [2.0, 2.0])


def test_in_place_on_view_of_leaf_raises():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        x[0].mul_(2)


def test_in_place_through_view_of_intermediate_gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[0].mul_(5)
    y.sum().backward()
    close(x.grad, [5.0, 1.0, 1.0])


# ---------------------------------------------------------------- custom autograd.Function

class MulConst(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class Bilinear(Function):
    seen_needs = []

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        Bilinear.seen_needs.append(ctx.needs_input_grad)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3  # wrong on purpose


def test_custom_function_apply_and_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = MulConst.apply(x, 4.0)
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn.name() == "MulConstBackward"
    y.sum().backward()
    close(x.grad, [4.0, 4.0])


def test_custom_function_forward_runs_without_grad():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(torch.is_grad_enabled())
            r = x * 2
            seen.append(r.requires_grad)
            return r

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = torch.ones(2, requires_grad=True)
    y = Probe.apply(x)
    assert seen == [False, False]
    assert y.requires_grad


def test_custom_function_saved_tensors():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    close(y, [1.0, -8.0])
    y.sum().backward()
    close(x.grad, [3.0, 12.0])


def test_custom_function_needs_input_grad():
    Bilinear.seen_needs.clear()
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0])
    y = Bilinear.apply(a, b)
    y.sum().backward()
    assert Bilinear.seen_needs[-1] == (True, False)
    close(a.grad, [3.0, 4.0])
    assert b.grad is None
    b.requires_grad_()
    Bilinear.apply(a, b).sum().backward()
    assert Bilinear.seen_needs[-1] == (True, True)
    close(b.grad, [1.0, 2.0])


def test_custom_function_without_grad_inputs_records_nothing():
    y = Cube.apply(torch.tensor([2.0]))
    assert y.requires_grad is False and y.grad_fn is None
    x = torch.tensor([2.0], requires_grad=True)
    with torch.no_grad():
        z = Cube.apply(x)
    assert z.requires_grad is False


def test_custom_function_saved_tensor_version_check():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Cube.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_custom_function_gradcheck():
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(Cube.apply, (x,), eps=1e-6, atol=1e-5)
    a = torch.randn(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(Bilinear.apply, (a, b))


def test_gradgradcheck_api_on_builtin_ops():
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t ** 3, (x,))
    y = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    assert gradgradcheck(lambda a, b: (a.exp() * b).sum(0), (x[:2].detach().requires_grad_(), y))


def test_custom_function_gradgradcheck():
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert gradgradcheck(Cube.apply, (x,))


def test_gradcheck_detects_a_wrong_backward():
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongGrad.apply, (x,))
    assert gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_custom_function_returning_wrong_number_of_grads_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x * 1).sum().backward()


def test_custom_function_multiple_outputs_and_non_differentiable():
    class SplitArgmax(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2

    x = torch.tensor([1.0, 3.0, 2.0], requires_grad=True)
    y, i = SplitArgmax.apply(x)
    assert y.requires_grad and not i.requires_grad
    assert i.item() == 1
    y.sum().backward()
    close(x.grad, [2.0, 2.0, 2.0])


# ---------------------------------------------------------------- graph structure

def test_next_functions_structure():
    a = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([2.0], requires_grad=True)
    c = torch.tensor([3.0])
    y = a * b + c
    nf = y.grad_fn.next_functions
    assert len(nf) == 2
    assert nf[0][0].name() == "MulBackward0"
    assert nf[1][0] is None  # c does not require grad
    acc_a, acc_b = (f for f, _ in nf[0][0].next_functions)
    assert acc_a.variable is a and acc_b.variable is b
    # a leaf's AccumulateGrad node is shared by all uses
    z = a * 2
    assert z.grad_fn.next_functions[0][0] is acc_a or z.grad_fn.next_functions[0][0] == acc_a


def test_max_dim_gradient_flows_through_values():
    x = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.grad_fn.name() == "MaxBackward0"
    assert not indices.requires_grad
    values.sum().backward()
    close(x.grad, [[0, 1, 0], [1, 0, 0]])


def test_long_chain_backward_does_not_recurse():
    # a deep graph must not overflow the C stack
    x = torch.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    close(x.grad, [1.0])
