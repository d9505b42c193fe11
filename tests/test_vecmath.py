"""float32 transcendental functions (csrc/kernels/fast_math.h) against float64 references: an ulp
bound over a dense sweep of every float32 range, exact answers at special values (inf, nan, signed
zeros, denormals, out-of-domain inputs), and the ops built on them beside PyTorch."""
import math

import numpy as np
import pytest

import gradgate as gg
import gradgate.nn.functional as F

special = pytest.importorskip("scipy.special")

# Every 997th float32 bit pattern: all exponents, both signs, denormals, inf and nan (~4.3M values).
SWEEP = np.arange(0, 2 ** 32, 997, dtype=np.uint64).astype(np.uint32).view(np.float32)


def _gelu64(x):
    return 0.5 * x * special.erfc(-x / math.sqrt(2.0))


# name: (gradgate op, float64 reference, ulp bound): fast_math.h's bounds, measured over every 7th
# float32, rounded up.
FUNCS = {
    "exp": (gg.exp, np.exp, 1.1),
    "expm1": (gg.expm1, np.expm1, 1.5),
    "log": (gg.log, np.log, 1.1),
    "log2": (gg.log2, np.log2, 1.5),
    "log1p": (gg.log1p, np.log1p, 1.1),
    "tanh": (gg.tanh, np.tanh, 2.5),
    "erf": (gg.erf, special.erf, 1.5),
}


def _ulp_error(got, ref):
    """|got - ref| in units of the float32 spacing at the exact value ref (finite results only)."""
    _, e = np.frexp(ref)
    ulp = np.maximum(np.ldexp(1.0, e - 24), 2.0 ** -149)
    return np.abs(got.astype(np.float64) - ref) / ulp


def _run(op, x):
    return op(gg.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy()


def _check_ulp(got, ref, bound, x):
    with np.errstate(all="ignore"):
        ref32 = ref.astype(np.float32)
    finite = np.isfinite(ref32) & np.isfinite(got)
    err = _ulp_error(got[finite], ref[finite])
    worst = int(np.argmax(err))
    assert err[worst] <= bound, f"{err[worst]:.2f} ulp at x={x[finite][worst]!r}"
    # Non-finite results must be the exact ones (inf with its sign, nan where the reference is nan).
    nf = ~finite
    assert np.array_equal(got[nf], ref32[nf], equal_nan=True), x[nf][got[nf] != ref32[nf]][:5]


@pytest.mark.beyond_torch
@pytest.mark.parametrize("name", FUNCS)
def test_ulp_bound_over_all_floats(name):
    op, ref, bound = FUNCS[name]
    with np.errstate(all="ignore"):
        r = ref(SWEEP.astype(np.float64))
    _check_ulp(_run(op, SWEEP), r, bound, SWEEP)


@pytest.mark.beyond_torch
@pytest.mark.parametrize("name", FUNCS)
def test_ulp_bound_dense_near_zero_and_one(name):
    # Where cancellation lives: tiny arguments (expm1, log1p, erf, tanh) and arguments near 1 (logs).
    op, ref, bound = FUNCS[name]
    x = np.concatenate([np.linspace(-2.0, 2.0, 400001), np.geomspace(1e-30, 1e-2, 20001),
                        -np.geomspace(1e-30, 1e-2, 20001), 1.0 + np.linspace(-1e-3, 1e-3, 20001)]).astype(np.float32)
    with np.errstate(all="ignore"):
        r = ref(x.astype(np.float64))
    _check_ulp(_run(op, x), r, bound, x)


DENORMAL = np.float32(1e-40)
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, DENORMAL, -DENORMAL, 1.0, -1.0, 2.0,
                     np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny,
                     -2.0, 100.0, -100.0, 89.0, -104.0, 1e-8, -1e-8], dtype=np.float32)


@pytest.mark.parametrize("name", FUNCS)
def test_special_values(name):
    op, ref, bound = FUNCS[name]
    with np.errstate(all="ignore"):
        r = ref(SPECIALS.astype(np.float64))
    got = _run(op, SPECIALS)
    _check_ulp(got, r, bound, SPECIALS)  # inf and nan results exactly, finite ones within the bound
    with np.errstate(all="ignore"):
        r32 = r.astype(np.float32)
    edges = np.isin(SPECIALS, [0.0, np.inf, -np.inf]) | np.isnan(SPECIALS)
    assert np.array_equal(got[edges], r32[edges], equal_nan=True), (SPECIALS[edges], got[edges])
    num = ~np.isnan(r32)
    assert np.array_equal(np.signbit(got[num]), np.signbit(r32[num])), "a sign differs (signed zeros included)"


@pytest.mark.beyond_torch  # PyTorch flushes log1p of a denormal to 0, its gelu tail cancels
def test_log_family_domain_edges():
    x = np.array([-1.0, np.nextafter(np.float32(-1), np.float32(0)), np.nextafter(np.float32(-1), np.float32(-2)),
                  -np.inf, -1e-45], dtype=np.float32)
    with np.errstate(all="ignore"):
        assert np.array_equal(_run(gg.log1p, x), np.log1p(x.astype(np.float64)).astype(np.float32), equal_nan=True)
        assert np.all(np.isnan(_run(gg.log, x))) and np.all(np.isnan(_run(gg.log2, x)))
    assert _run(gg.log, np.array([0.0, -0.0], np.float32)).tolist() == [-np.inf, -np.inf]
    # Exact powers of two have exact base-2 logs, including denormal ones.
    p = np.ldexp(np.float32(1), np.arange(-149, 128)).astype(np.float32)
    assert np.array_equal(_run(gg.log2, p), np.arange(-149, 128, dtype=np.float32))


@pytest.mark.beyond_torch
def test_gelu_tail_keeps_relative_accuracy():
    # 0.5 x erfc(-x / sqrt(2)): the left tail stays accurate where 1 + erf(x / sqrt(2)) cancels to 0.
    x = np.linspace(-13.0, 6.0, 200001).astype(np.float32)
    ref = _gelu64(x.astype(np.float64))
    got = _run(F.gelu, x)
    nz = np.abs(ref) > 1e-37  # normal float32 results
    rel = np.abs(got[nz] - ref[nz]) / np.abs(ref[nz])
    assert np.max(rel[x[nz] > -1.5]) < 8 * 2.0 ** -24
    # Further left the rounding of x / sqrt(2) dominates: 2 a^2 half-ulps at a = |x| / sqrt(2).
    assert rel.max() < 2e-5


def test_float64_keeps_libm():
    x = np.linspace(-5, 5, 1001)
    for op, ref in ((gg.exp, np.exp), (gg.log1p, np.log1p), (gg.expm1, np.expm1), (gg.erf, special.erf)):
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(op(gg.from_numpy(x)).numpy(), ref(x), rtol=1e-15, atol=1e-300)


def test_erf_op():
    x = gg.tensor([-1.5, 0.0, 0.5, 2.0], requires_grad=True)
    y = x.erf()
    assert y.grad_fn.name() == "ErfBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 / math.sqrt(math.pi) * np.exp(-x.detach().numpy() ** 2), rtol=1e-6)
    assert gg.erf(gg.tensor([1, 2])).dtype == gg.float32  # integers promote, as in PyTorch
    assert np.allclose(gg.erf(x).detach().numpy(), y.detach().numpy())


# ---------------------------------------------------------------- beside PyTorch

torch = None
try:
    import torch
except ImportError:
    pass
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

OPS = {
    "exp": lambda L, F_, x: L.exp(x), "log": lambda L, F_, x: L.log(x), "log2": lambda L, F_, x: L.log2(x),
    "log1p": lambda L, F_, x: L.log1p(x), "expm1": lambda L, F_, x: L.expm1(x), "erf": lambda L, F_, x: L.erf(x),
    "tanh": lambda L, F_, x: L.tanh(x), "sigmoid": lambda L, F_, x: L.sigmoid(x),
    "gelu": lambda L, F_, x: F_.gelu(x), "gelu_tanh": lambda L, F_, x: F_.gelu(x, approximate="tanh"),
    "silu": lambda L, F_, x: F_.silu(x), "softplus": lambda L, F_, x: F_.softplus(x),
    "softplus_beta": lambda L, F_, x: F_.softplus(x, beta=2.0, threshold=5.0), "elu": lambda L, F_, x: F_.elu(x),
}


@needs_torch
@pytest.mark.parametrize("name", OPS)
def test_matches_torch(name):
    import torch.nn.functional as tF
    x = np.concatenate([np.linspace(-30.0, 30.0, 60001), np.geomspace(1e-6, 1e2, 2001),
                        -np.geomspace(1e-6, 1e2, 2001)]).astype(np.float32)
    if name in ("log", "log2"):
        x = np.abs(x) + np.float32(1e-6)
    if name == "log1p":
        x = np.maximum(x, np.float32(-0.999))
    got = OPS[name](gg, F, gg.from_numpy(x.copy())).numpy()
    want = OPS[name](torch, tF, torch.from_numpy(x.copy())).numpy()
    # PyTorch's float32 erf (Abramowitz-Stegun 7.1.26) is good to 1.5e-7 absolute, and its gelus
    # cancel in 1 + erf / 1 + tanh where ours keep relative accuracy: compare those absolutely.
    atol = {"erf": 2e-7, "gelu": 2e-6, "gelu_tanh": 5e-7}.get(name, 1e-30)
    np.testing.assert_allclose(got, want, rtol=4e-6, atol=atol)


@needs_torch
@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_sign_and_saturation_match_torch(name):
    big = [0.0, -0.0, 1e-30, -1e-30, 8.0, -8.0, 10.0, -10.0, 20.0, -20.0, 50.0, -50.0, 88.0, -88.0, 89.0,
           -89.0, 100.0, -100.0, 105.0, -105.0, 1e30, -1e30, np.inf, -np.inf, np.nan]
    x = np.array(big, dtype=np.float32)
    got = getattr(gg, name)(gg.from_numpy(x.copy())).numpy()
    want = getattr(torch, name)(torch.from_numpy(x.copy())).numpy()
    assert np.array_equal(got, want, equal_nan=True), (x, got, want)
    # A NaN's sign bit is no part of either library's contract (it varies with the vector ISA).
    real = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[real]), np.signbit(want[real]))
