"""Differential tests: the same small programs run on gradgate and on PyTorch, from the same
NumPy inputs; values, gradients, dtypes, requires_grad/is_leaf flags, grad_fn names (the whole
graph, through next_functions) and, for error cases, exception types must agree."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradgate as gg  # noqa: E402
import gradgate.nn.functional as ggF  # noqa: E402
import torch.nn.functional as ptF  # noqa: E402

LIBS = {"gg": (gg, ggF), "pt": (torch, ptF)}


# ---------------------------------------------------------------- comparison helpers

def _np(t):
    return t.detach().numpy()


def graph_signature(fn, depth=0, seen=None):
    """A hashable description of the backward graph under fn: node names and edge structure."""
    if fn is None:
        return None
    if depth > 40:
        return "..."
    name = fn.name()
    if name.endswith("AccumulateGrad"):
        return "AccumulateGrad"
    return (name, tuple((graph_signature(f, depth + 1), nr if f is not None else 0) for f, nr in fn.next_functions))


def _dtype_name(d):
    return str(d).replace("torch.", "")


def _first_graph_diff(sg, sp, path="root"):
    """Where two graph signatures first differ, as 'path: gradgate-node vs torch-node'."""
    if isinstance(sg, tuple) and isinstance(sp, tuple):
        if sg[0] != sp[0] or len(sg[1]) != len(sp[1]):
            return f"{path}: {sg[0]}{[e[0] if not isinstance(e[0], tuple) else e[0][0] for e in sg[1]]} vs " \
                   f"{sp[0]}{[e[0] if not isinstance(e[0], tuple) else e[0][0] for e in sp[1]]}"
        for i, (eg, ep) in enumerate(zip(sg[1], sp[1])):
            if eg != ep:
                if eg[1] != ep[1]:
                    return f"{path}.next[{i}]: input_nr {eg[1]} vs {ep[1]}"
                return _first_graph_diff(eg[0], ep[0], f"{path}>{sg[0]}.next[{i}]")
    return f"{path}: {sg if not isinstance(sg, tuple) else sg[0]} vs {sp if not isinstance(sp, tuple) else sp[0]}"


def compare_graph(name, g, p):
    sg, sp = graph_signature(g.grad_fn), graph_signature(p.grad_fn)
    assert sg == sp, f"{name}: backward graph differs at {_first_graph_diff(sg, sp)}"


def compare_tensor(name, g, p, rtol, atol, float32_inputs=False):
    assert _dtype_name(g.dtype) == _dtype_name(p.dtype), f"{name}: dtype {g.dtype} vs {p.dtype}"
    assert tuple(g.shape) == tuple(p.shape), f"{name}: shape {tuple(g.shape)} vs {tuple(p.shape)}"
    assert g.requires_grad == p.requires_grad, f"{name}: requires_grad {g.requires_grad} vs {p.requires_grad}"
    assert g.is_leaf == p.is_leaf, f"{name}: is_leaf {g.is_leaf} vs {p.is_leaf}"
    gv, pv = _np(g), _np(p)
    if gv.dtype.kind in "fc":
        # A float64 result computed from float32 values carries float32 rounding: judge it so.
        tol = (rtol, atol) if gv.dtype == np.float32 or float32_inputs else (1e-10, 1e-12)
        np.testing.assert_allclose(gv, pv, rtol=tol[0], atol=tol[1], err_msg=name)
    else:
        np.testing.assert_array_equal(gv, pv, err_msg=name)


def compare_results(rg, rp, rtol=1e-5, atol=1e-6):
    """Values, dtypes, flags and .grad first; then (so a naming difference does not hide a wrong
    number) the backward graphs' node names and structure."""
    assert set(rg) == set(rp)
    no_graph = rg.get("_no_graph", ())
    from_float32 = rg.get("_from_float32", ())
    for k in rg:
        g, p = rg[k], rp[k]
        if isinstance(p, torch.Tensor):
            assert isinstance(g, gg.Tensor), f"{k}: {type(g)}"
            compare_tensor(k, g, p, rtol, atol, float32_inputs=k in from_float32)
            if p.is_leaf and p.requires_grad:
                if p.grad is None:
                    assert g.grad is None, f"{k}.grad should be None"
                else:
                    assert g.grad is not None, f"{k}.grad is None"
                    compare_tensor(k + ".grad", g.grad, p.grad, rtol, atol)
        elif isinstance(p, (tuple, list)) and any(isinstance(e, torch.Tensor) for e in p):
            assert len(g) == len(p)
            for i, (a, b) in enumerate(zip(g, p)):
                if b is None:
                    assert a is None, f"{k}[{i}]"
                else:
                    compare_tensor(f"{k}[{i}]", a, b, rtol, atol)
        else:
            assert g == p, f"{k}: {g!r} vs {p!r}"
    for k in rg:
        g, p = rg[k], rp[k]
        if k in no_graph:
            continue
        if isinstance(p, torch.Tensor):
            compare_graph(k, g, p)
        elif isinstance(p, (tuple, list)) and any(isinstance(e, torch.Tensor) for e in p):
            for i, (a, b) in enumerate(zip(g, p)):
                if isinstance(b, torch.Tensor):
                    compare_graph(f"{k}[{i}]", a, b)


def run_both(program, *arrays, **kw):
    out = {}
    for key, (lib, F) in LIBS.items():
        out[key] = program(lib, F, *[np.array(a, copy=True) for a in arrays])
    compare_results(out["gg"], out["pt"], **kw)
    return out


def _rng(seed=0):
    return np.random.default_rng(seed)


def _f32(*shape, seed=0, low=-2.0, high=2.0):
    return _rng(seed).uniform(low, high, shape).astype(np.float32)


def _f64(*shape, seed=0, low=-2.0, high=2.0):
    return _rng(seed).uniform(low, high, shape)


# ---------------------------------------------------------------- programs

def p_seed_inheritance(lib, F, a):
    t = lib.tensor(a, requires_grad=True)
    y = t * 2 + 1
    y.sum().backward()
    return {"t": t, "y": y}


def p_small_graph(lib, F):
    x = lib.tensor(2.0, requires_grad=True)
    w = lib.tensor(3.0, requires_grad=True)
    b = lib.tensor(1.0, requires_grad=True)
    z = w * x
    y = z + b
    loss = y ** 2
    loss.backward()
    return {"x": x, "w": w, "b": b, "z": z, "y": y, "loss": loss}


def p_quickstart(lib, F, w0, b0):
    x = lib.ones(5)
    y = lib.zeros(3)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    z = lib.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return {"x": x, "w": w, "b": b, "z": z, "loss": loss}


def p_mlp(lib, F, x0, w1, b1, w2, b2, t0):
    x = lib.tensor(x0)
    W1 = lib.tensor(w1, requires_grad=True)
    B1 = lib.tensor(b1, requires_grad=True)
    W2 = lib.tensor(w2, requires_grad=True)
    B2 = lib.tensor(b2, requires_grad=True)
    h = F.linear(x, W1, B1).relu()
    o = (h @ W2.t() + B2).tanh()
    loss = F.mse_loss(o, lib.tensor(t0))
    loss.backward()
    return {"W1": W1, "B1": B1, "W2": W2, "B2": B2, "h": h, "o": o, "loss": loss}


def p_broadcast_chain(lib, F, a, b, c, d):
    A = lib.tensor(a, requires_grad=True)
    B = lib.tensor(b, requires_grad=True)
    C = lib.tensor(c, requires_grad=True)
    D = lib.tensor(d, requires_grad=True)
    out = ((A + B) * C - D) / (D * D + 1) + A.sigmoid() * B.exp()
    out.sum().backward()
    return {"A": A, "B": B, "C": C, "D": D, "out": out}


def p_unary_chain(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    y = x.abs().sqrt().log().sin().cos().reciprocal() + x.neg().sign() * x.square() + (-x).relu()
    y.mean().backward()
    return {"x": x, "y": y}


def p_reductions(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    s = x.sum(1)
    m = x.mean(dim=0, keepdim=True)
    p = x.prod(1)
    am = x.amax(0)
    mn = x.amin(dim=(0, 1))
    mx = x.max(dim=1)
    total = s.sum() + m.sum() + p.sum() + am.sum() + mn + mx.values.sum() + x.max() + x.min() + x.sum()
    total.backward()
    return {"x": x, "s": s, "m": m, "p": p, "am": am, "mn": mn, "mx_values": mx.values,
            "mx_indices": mx.indices, "argmax": x.argmax(), "argmin1": x.argmin(1, keepdim=True), "total": total}


def p_views(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    v = x.t().reshape(2, 6)[:, ::2].unsqueeze(0).expand(3, 2, 3)
    w = x.permute(1, 0).flatten()[1:-1].narrow(0, 2, 5).view(5, 1).squeeze(1)
    u = x[1].select(0, -1) + x[..., 2][None].transpose(0, 1).contiguous().sum()
    out = (v * 2).sum() + (w ** 2).sum() + u
    out.backward()
    return {"x": x, "v": v, "w": w, "u": u, "out": out}


def p_matmuls(lib, F, a, b, c, d, v):
    A = lib.tensor(a, requires_grad=True)   # (2, 3, 4)
    B = lib.tensor(b, requires_grad=True)   # (4, 5)
    C = lib.tensor(c, requires_grad=True)   # (2, 5, 3)
    D = lib.tensor(d, requires_grad=True)   # (3, 3)
    V = lib.tensor(v, requires_grad=True)   # (3,)
    e = A @ B              # batched @ 2-D
    f = e.bmm(C)           # (2, 3, 3)
    g = f @ D              # batched @ 2-D again
    h = D.mm(D.t()).mv(V).dot(V)
    k = V @ D @ V
    out = g.sum() + h + k + (V @ A[0]).sum()
    out.backward()
    return {"A": A, "B": B, "C": C, "D": D, "V": V, "e": e, "f": f, "g": g, "h": h, "k": k, "out": out}


def p_pow_and_reflected(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    y = 1 - x
    z = 2 / x
    w = 2 ** x
    q = x ** x
    r = x ** 2.5 + x.pow(-1) + 3 * x - x / 4 + sum([x, x, x])
    out = (y + z + w + q + r).sum()
    out.backward()
    return {"x": x, "y": y, "z": z, "w": w, "q": q, "r": r, "out": out}


def p_inplace_on_intermediates(lib, F, a, b):
    x = lib.tensor(a, requires_grad=True)
    c = lib.tensor(b)
    y = x * 2
    y.add_(c)
    y.mul_(3)
    y.sub_(c, alpha=0.5)
    y.div_(2)
    y += 1
    z = y.sin()  # saves y (not z), so z may be modified
    z *= 2
    z.sum().backward()
    return {"x": x, "y": y, "z": z, "y_version": y._version, "z_version": z._version}


def p_detach_no_grad(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    d = (x * 2).detach()
    with lib.no_grad():
        n = x * 3
    with lib.no_grad():
        with lib.enable_grad():
            e = x * 4
    s = lib.set_grad_enabled(False)
    f = x * 5
    lib.set_grad_enabled(True)
    del s
    out = (x * d + x * n + e).sum()
    out.backward()
    return {"x": x, "d": d, "n": n, "e": e, "f": f, "out": out}


def p_retain_grad(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    h = x.tanh()
    h.retain_grad()
    k = h * h
    k.retain_grad()
    k.sum().backward()
    return {"x": x, "h_grad": h.grad, "k_grad": k.grad, "h_retains": h.retains_grad, "x_retains": x.retains_grad}


def p_double_backward(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    y = (x.tanh() * x).sum()
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    (h,) = lib.autograd.grad((g * g).sum(), x)
    # g's graph is made of the VJP's ops; DESIGN §2.6 writes VJPs with ordinary differentiable ops,
    # so its node names (PyTorch: TanhBackwardBackward0) are not compared, only its flags and values.
    return {"x": x, "g": g, "h": h, "_no_graph": ("g",)}


def p_hooks(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 2)
    y = x * 3
    y.register_hook(lambda g: seen.append(g.sum().item()) or g + 1)
    y.sum().backward()
    return {"x": x, "seen": seen}


def p_backward_vjp_accumulate(lib, F, a, v):
    x = lib.tensor(a, requires_grad=True)
    y = (x + 1).pow(2)
    y.backward(lib.tensor(v), retain_graph=True)
    first = x.grad.clone()
    y.backward(lib.tensor(v), retain_graph=True)
    second = x.grad.clone()
    x.grad.zero_()
    y.backward(lib.tensor(v))
    return {"x": x, "y": y, "first": first, "second": second}


def p_grad_allow_unused(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    z = lib.tensor(a, requires_grad=True)
    gs = lib.autograd.grad((x * x).sum(), [x, z], allow_unused=True)
    return {"grads": gs}


def p_custom_function(lib, F, a, b):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y.exp()

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y.exp(), g * x * y.exp()

    x = lib.tensor(a, requires_grad=True)
    y = lib.tensor(b, requires_grad=True)
    out = Scale.apply(x, y)
    out.sum().backward()
    return {"x": x, "y": y, "out": out}


def p_promotion(lib, F, a):
    i = lib.tensor(a.astype(np.int64))
    f = lib.tensor(a.astype(np.float32), requires_grad=True)
    d = lib.tensor(a.astype(np.float64), requires_grad=True)
    s64 = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
    r1 = i + 1.5
    r2 = i + 1
    r3 = f + d
    r4 = f * s64
    r5 = i * f
    r6 = i / 2
    r7 = i > 0
    r8 = (i + True)
    r9 = i.sum()
    (r3.sum() + r4.sum() + r5.sum()).backward()
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "r6": r6, "r7": r7, "r8": r8, "r9": r9,
            "f": f, "d": d, "s64": s64}


def p_bce_variants(lib, F, x0, y0, w0, pw0):
    x = lib.tensor(x0, requires_grad=True)
    y = lib.tensor(y0)
    w = lib.tensor(w0)
    pw = lib.tensor(pw0)
    l1 = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    l2 = F.binary_cross_entropy_with_logits(x, y, weight=w, reduction="sum")
    l3 = F.binary_cross_entropy_with_logits(x, y, pos_weight=pw)
    (l1.sum() + l2 + l3).backward()
    return {"x": x, "l1": l1, "l2": l2, "l3": l3}


def p_float64_everything(lib, F, a, b):
    x = lib.tensor(a, requires_grad=True)
    y = lib.tensor(b, requires_grad=True)
    z = (x @ y).sigmoid() * (x.sum(1, keepdim=True) - y.mean(0)) + x.max(1, keepdim=True).values
    out = z.pow(2).mean()
    out.backward()
    return {"x": x, "y": y, "z": z, "out": out}


def p_casts(lib, F, a):
    x = lib.tensor(a, requires_grad=True)
    d = x.to(lib.float64)
    f = d.float()
    i = x.long()
    b = x.bool()
    c = x.clone()
    out = (d * 2).sum() + (f * 3).sum() + c.sum()
    out.backward()
    # out adds float32 sums into a float64 total: float32 rounding, compared as such
    return {"x": x, "d": d, "f": f, "i": i, "b": b, "c": c, "out": out, "_from_float32": ("out",)}


def p_inplace_into_views(lib, F, a, b):
    # writes through views of intermediates and of a plain buffer reach the right leaves
    x = lib.tensor(a, requires_grad=True)
    w = lib.tensor(b, requires_grad=True)
    y = x * 1
    y[0].mul_(2)
    y[1, 1:3] += w
    z = lib.zeros(3, 4)
    z[2, ::2] = w
    out = (y * y).sum() + (z * 3).sum()
    out.backward()
    # CopySlices wraps the op's node in PyTorch; gradgate records the op beside it
    return {"x": x, "w": w, "y": y, "z": z, "out": out, "_no_graph": ("y", "z", "out")}


def p_max_ties_and_abs_at_zero(lib, F):
    # conventions at kinks: PyTorch's choices must be reproduced, not just "a" subgradient
    x = lib.tensor([1.0, 3.0, 3.0, 0.0, -2.0], requires_grad=True)
    (x.max() + x.abs().sum() + x.relu().sum() + x.amax() + x.sign().sum()).backward()
    y = lib.tensor([[2.0, 2.0], [1.0, 1.0]], requires_grad=True)
    m = y.max(dim=1)
    (m.values.sum() + y.amax(1).sum()).backward()
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([1.0, 0.0], requires_grad=True)
    a.maximum(b).sum().backward()
    return {"x": x, "y": y, "m_indices": m.indices, "a": a, "b": b}


def p_module_training_step(lib, F, w0, b0, x0, t0):
    lin = lib.nn.Linear(3, 2)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(w0))
        lin.bias.copy_(lib.tensor(b0))
    opt = lib.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    x, t = lib.tensor(x0), lib.tensor(t0)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.mse_loss(lin(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"weight": lin.weight.detach(), "bias": lin.bias.detach(), "losses": lib.tensor(losses),
            "grad_is_none_after_zero": (opt.zero_grad() or lin.weight.grad) is None}


PROGRAMS = [
    ("seed_inheritance", p_seed_inheritance, [_f32(3)]),
    ("small_graph", p_small_graph, []),
    ("quickstart", p_quickstart, [_f32(5, 3, seed=1), _f32(3, seed=2)]),
    ("mlp", p_mlp, [_f32(4, 3), _f32(5, 3, seed=1), _f32(5, seed=2), _f32(2, 5, seed=3), _f32(2, seed=4),
                    _f32(4, 2, seed=5)]),
    ("broadcast_chain", p_broadcast_chain, [_f32(3, 1), _f32(4, seed=1), _f32(2, 1, 1, seed=2),
                                            _f32(1, 4, seed=3)]),
    ("unary_chain", p_unary_chain, [_f32(3, 4, low=0.3, high=2.0) * np.where(_f32(3, 4, seed=9) > 0, 1, -1)
                                    .astype(np.float32)]),
    ("reductions", p_reductions, [_f32(3, 4, low=0.5, high=1.5) * (1 + np.arange(12).reshape(3, 4)
                                                                   .astype(np.float32) / 7)]),
    ("views", p_views, [_f32(3, 4)]),
    ("matmuls", p_matmuls, [_f32(2, 3, 4), _f32(4, 5, seed=1), _f32(2, 5, 3, seed=2), _f32(3, 3, seed=3),
                            _f32(3, seed=4)]),
    ("pow_and_reflected", p_pow_and_reflected, [_f32(5, low=0.5, high=2.0)]),
    ("inplace_on_intermediates", p_inplace_on_intermediates, [_f32(2, 3), _f32(3, seed=1)]),
    ("detach_no_grad", p_detach_no_grad, [_f32(4)]),
    ("retain_grad", p_retain_grad, [_f32(2, 2)]),
    ("double_backward", p_double_backward, [_f64(4)]),
    ("hooks", p_hooks, [_f32(3)]),
    ("backward_vjp_accumulate", p_backward_vjp_accumulate, [np.eye(4, dtype=np.float32), _f32(4, 4, seed=1)]),
    ("grad_allow_unused", p_grad_allow_unused, [_f32(3)]),
    ("custom_function", p_custom_function, [_f32(3), _f32(3, seed=1)]),
    ("promotion", p_promotion, [np.array([-2.0, 0.0, 3.0])]),
    ("bce_variants", p_bce_variants, [_f32(2, 3), _rng(1).uniform(0, 1, (2, 3)).astype(np.float32),
                                      _f32(3, seed=2, low=0.5), _f32(3, seed=3, low=0.5)]),
    ("float64_everything", p_float64_everything, [_f64(3, 4), _f64(4, 4, seed=1)]),
    ("casts", p_casts, [_f32(2, 3)]),
    ("max_ties_and_abs_at_zero", p_max_ties_and_abs_at_zero, []),
    ("inplace_into_views", p_inplace_into_views, [_f32(3, 4), _f32(2, seed=1)]),
    ("module_training_step", p_module_training_step, [_f32(2, 3), _f32(2, seed=1), _f32(4, 3, seed=2),
                                                      _f32(4, 2, seed=3)]),
]


@pytest.mark.parametrize("name,program,arrays", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_program_matches_pytorch(name, program, arrays):
    run_both(program, *arrays)


def test_signature_is_strict():
    # the comparison itself must be able to fail: different programs give different graphs
    x = gg.tensor([1.0], requires_grad=True)
    assert graph_signature((x * 2).grad_fn) != graph_signature((x + 2).grad_fn)
    with pytest.raises(AssertionError):
        compare_results({"a": gg.tensor([1.0, 2.0])}, {"a": torch.tensor([1.0, 2.5])})
    with pytest.raises(AssertionError):
        compare_results({"a": gg.tensor([1.0], requires_grad=True) * 1}, {"a": torch.tensor([1.0]) * 1})


# ---------------------------------------------------------------- node objects

def test_grad_fn_type_names_and_reprs():
    names = []
    for lib in (gg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 2).sum()
        mul = y.grad_fn.next_functions[0][0]
        acc = mul.next_functions[0][0]
        names.append((type(y.grad_fn).__name__, type(mul).__name__, type(acc).__name__,
                      repr(y.grad_fn).split(" object")[0], repr(acc).split(" object")[0]))
    assert names[0] == names[1]


def test_saved_attributes():
    out = []
    for lib in (gg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x.pow(3)
        z = x * w
        out.append((y.grad_fn._saved_self is x, float(y.grad_fn._saved_exponent),
                    z.grad_fn._saved_self is x, z.grad_fn._saved_other is w))
    assert out[0] == out[1] == (True, 3.0, True, True)


# ---------------------------------------------------------------- error cases: same exception types

def _leaf_inplace(lib):
    lib.ones(2, requires_grad=True).add_(1)


def _saved_modified(lib):
    x = lib.ones(2, requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    h.add_(1)
    y.backward()


def _backward_twice(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    y.backward()


def _inference_saved(lib):
    with lib.inference_mode():
        t = lib.ones(2)
    (lib.ones(2, requires_grad=True) * t).sum()


def _nonleaf_requires_grad_false(lib):
    y = lib.ones(2, requires_grad=True) * 2
    y.requires_grad = False


def _unused(lib):
    x = lib.ones(2, requires_grad=True)
    z = lib.ones(2, requires_grad=True)
    lib.autograd.grad((x * 2).sum(), [x, z])


def _wrong_grad_size(lib):
    x = lib.ones(2, requires_grad=True)
    x.grad = lib.ones(3)


def _bce_shape(lib):
    F = ggF if lib is gg else ptF
    F.binary_cross_entropy_with_logits(lib.ones(4), lib.ones(3))


def _bce_reduction(lib):
    F = ggF if lib is gg else ptF
    F.binary_cross_entropy_with_logits(lib.ones(3), lib.ones(3), reduction="avg")


def _iter_0d(lib):
    iter(lib.tensor(1.0))


def _sgd_negative_lr(lib):
    lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=-1.0)


def _sgd_empty(lib):
    lib.optim.SGD([], lr=0.1)


def _parameter_int(lib):
    lib.nn.Parameter(lib.tensor([1, 2]))


def _detach_view_inplace(lib):
    x = lib.ones(3, requires_grad=True)
    (x * 1)[:2].detach_()


ERRORS = [
    ("broadcast", lambda lib: lib.ones(2, 3) + lib.ones(4)),
    ("broadcast_inplace", lambda lib: lib.ones(3).add_(lib.ones(2, 3))),
    ("matmul_2d", lambda lib: lib.ones(2, 3) @ lib.ones(4, 5)),
    ("matmul_1d", lambda lib: lib.ones(3) @ lib.ones(4)),
    ("matmul_batched", lambda lib: lib.ones(2, 2, 3) @ lib.ones(2, 4, 5)),
    ("matmul_0d", lambda lib: lib.tensor(1.0) @ lib.ones(2)),
    ("mm_3d", lambda lib: lib.ones(2, 3, 4).mm(lib.ones(4, 5))),
    ("bmm_batch", lambda lib: lib.ones(2, 3, 4).bmm(lib.ones(3, 4, 5))),
    ("mv", lambda lib: lib.ones(2, 3).mv(lib.ones(2))),
    ("dot_2d", lambda lib: lib.ones(2, 2).dot(lib.ones(2, 2))),
    ("index", lambda lib: lib.ones(3)[3]),
    ("index_neg", lambda lib: lib.ones(3, 2)[-4]),
    ("index_too_many", lambda lib: lib.ones(3)[0, 0]),
    ("index_0d", lambda lib: lib.tensor(1.0)[0]),
    ("index_float", lambda lib: lib.ones(3)[1.5]),
    ("select", lambda lib: lib.ones(3, 2).select(1, 2)),
    ("dim_sum", lambda lib: lib.ones(3, 2).sum(2)),
    ("dim_transpose", lambda lib: lib.ones(3, 2).transpose(-3, 0)),
    ("dim_unsqueeze", lambda lib: lib.ones(3, 2).unsqueeze(3)),
    ("dim_argmax", lambda lib: lib.ones(3, 2).argmax(5)),
    ("dim_size", lambda lib: lib.ones(3, 2).size(2)),
    ("view_noncontig", lambda lib: lib.ones(3, 4).t().view(12)),
    ("view_size", lambda lib: lib.ones(3, 4).view(5)),
    ("reshape_two_inferred", lambda lib: lib.ones(3, 4).reshape(-1, -1)),
    ("expand", lambda lib: lib.ones(2, 3).expand(4, 3)),
    ("narrow", lambda lib: lib.ones(3).narrow(0, 2, 2)),
    ("permute_repeat", lambda lib: lib.ones(2, 3).permute(1, 1)),
    ("t_3d", lambda lib: lib.ones(2, 3, 4).t()),
    ("item_many", lambda lib: lib.ones(2).item()),
    ("bool_many", lambda lib: bool(lib.ones(2))),
    ("mean_int", lambda lib: lib.tensor([1, 2]).mean()),
    ("inplace_downcast", lambda lib: lib.tensor([1, 2]).add_(1.5)),
    ("requires_grad_int", lambda lib: lib.tensor([1, 2]).requires_grad_()),
    ("requires_grad_int_factory", lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True)),
    ("nonleaf_requires_grad_false", _nonleaf_requires_grad_false),
    ("leaf_inplace", _leaf_inplace),
    ("saved_modified", _saved_modified),
    ("backward_twice", _backward_twice),
    ("backward_nonscalar", lambda lib: (lib.ones(2, requires_grad=True) * 2).backward()),
    ("backward_no_grad", lambda lib: lib.ones(2).sum().backward()),
    ("backward_bad_gradient_shape", lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3))),
    ("grad_unused", _unused),
    ("grad_input_no_grad", lambda lib: lib.autograd.grad((lib.ones(2, requires_grad=True) * 2).sum(),
                                                         [lib.ones(2)])),
    ("inference_saved", _inference_saved),
    ("numpy_requires_grad", lambda lib: lib.ones(2, requires_grad=True).numpy()),
    ("array_requires_grad", lambda lib: np.asarray(lib.ones(2, requires_grad=True))),
    ("hook_no_grad", lambda lib: lib.ones(2).register_hook(lambda g: g)),
    ("retain_grad_no_grad", lambda lib: lib.ones(2).retain_grad()),
    ("wrong_grad_size", _wrong_grad_size),
    ("detach_view_inplace", _detach_view_inplace),
    ("add_str", lambda lib: lib.ones(2) + "a"),
    ("matmul_list", lambda lib: lib.ones(2) @ [1.0, 2.0]),
    ("iter_0d", _iter_0d),
    ("len_0d", lambda lib: len(lib.tensor(1.0))),
    ("ragged", lambda lib: lib.tensor([[1, 2], [3]])),
    ("from_numpy_negative_strides", lambda lib: lib.from_numpy(np.arange(3.0)[::-1])),
    ("from_numpy_list", lambda lib: lib.from_numpy([1.0])),
    ("bce_shape", _bce_shape),
    ("bce_reduction", _bce_reduction),
    ("sgd_negative_lr", _sgd_negative_lr),
    ("sgd_empty", _sgd_empty),
    ("parameter_int", _parameter_int),
    ("randint_empty_range", lambda lib: lib.randint(5, 5, (2,))),
    ("arange_zero_step", lambda lib: lib.arange(0, 5, 0)),
    ("set_default_dtype_int", lambda lib: lib.set_default_dtype(lib.int64)),
]


def _raised(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001
        return type(e)
    return None


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_types_match_pytorch(name, fn):
    expected = _raised(fn, torch)
    assert expected is not None, f"the case {name} does not raise in PyTorch: fix the test"
    got = _raised(fn, gg)
    assert got is not None, f"gradgate does not raise; PyTorch raises {expected.__name__}"
    # PyTorch's exception classes (torch.AcceleratorError etc.) are matched by their builtin base
    builtin = next(c for c in expected.__mro__ if c.__module__ == "builtins")
    assert issubclass(got, builtin), f"gradgate raised {got.__name__}, PyTorch {expected.__name__}"


def test_saved_scalars_have_pytorch_types():
    # ints stay ints (_saved_exponent of x ** 2 is 2, of x ** 2.5 is 2.5), as PyTorch shows them
    exprs = [lambda L, x: (x ** 2, "exponent"), lambda L, x: (x ** 2.5, "exponent"), lambda L, x: (2 ** x, "self"),
             lambda L, x: (x.add(x, alpha=2), "alpha"), lambda L, x: (x.var(1), "correction"),
             lambda L, x: (x.norm(), "ord"), lambda L, x: (x.cumsum(1), "dim")]
    for make in exprs:
        got, name = make(gg, gg.ones(3, 4, requires_grad=True))
        ref, _ = make(torch, torch.ones(3, 4, requires_grad=True))
        a, b = getattr(got.grad_fn, "_saved_" + name), getattr(ref.grad_fn, "_saved_" + name)
        assert (a, type(a)) == (b, type(b)), name
