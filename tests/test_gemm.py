"""float32 GEMM (kernels/cpu/sgemm_avx512.cpp on CPUs with AVX-512, OpenBLAS elsewhere): shapes on and
around its blocking edges (12-row and 32-column register tiles, K blocks of 256, B blocks of 4096
columns), every transpose, leading dimensions wider than the matrix, beta and alpha, and bit-identical
results at every thread count."""
import numpy as np
import pytest

import gradgate as gg

SHAPES = [  # (M, N, K)
    (1, 1, 1), (12, 32, 256), (13, 33, 257), (11, 31, 255), (24, 64, 512), (64, 512, 784), (64, 10, 512),
    (300, 17, 5), (5, 4100, 20), (200, 40, 600), (2, 3, 1000), (130, 130, 130),
    (24, 2000, 600), (30, 5000, 300),  # short C: threads split the columns (the second crosses a B block)
    (400, 4200, 300),  # row units shared between threads, two column blocks, two K blocks
]


def has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f" in f.read()
    except OSError:
        return False


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    saved = gg.get_num_threads()
    gg.set_num_threads(request.param)
    yield request.param
    gg.set_num_threads(saved)


def operand(rng, rows, cols, transposed):
    """A float32 (rows, cols) operand, stored transposed when asked, with its float64 value."""
    a = rng.standard_normal((cols, rows) if transposed else (rows, cols)).astype(np.float32)
    t = gg.from_numpy(a)
    return (t.t(), a.T.astype(np.float64)) if transposed else (t, a.astype(np.float64))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_matches_float64(threads, shape, ta, tb):
    M, N, K = shape
    rng = np.random.default_rng(M * 7919 + N * 31 + K)
    (a, a64), (b, b64) = operand(rng, M, K, ta), operand(rng, K, N, tb)
    np.testing.assert_allclose((a @ b).numpy(), a64 @ b64, rtol=1e-4, atol=2e-6 * K)


def test_leading_dimension_wider_than_the_matrix(threads):
    rng = np.random.default_rng(3)
    big_a = rng.standard_normal((100, 700)).astype(np.float32)
    big_b = rng.standard_normal((600, 90)).astype(np.float32)
    a, b = gg.from_numpy(big_a)[:, 50:650], gg.from_numpy(big_b)[:, 7:77]
    ref = big_a[:, 50:650].astype(np.float64) @ big_b[:, 7:77]
    np.testing.assert_allclose((a @ b).numpy(), ref, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("K", [100, 600])  # one and three K blocks: beta applies once, alpha to each
def test_addmm_beta_alpha(threads, K):
    rng = np.random.default_rng(K)
    c, a, b = (rng.standard_normal(s).astype(np.float32) for s in [(70, 90), (70, K), (K, 90)])
    out = gg.addmm(gg.from_numpy(c), gg.from_numpy(a), gg.from_numpy(b), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 0.5 * c + 2.0 * (a.astype(np.float64) @ b), rtol=1e-4, atol=1e-3)


def test_addmm_beta_zero_ignores_nan_in_input(threads):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((40, 300)).astype(np.float32), rng.standard_normal((300, 50)).astype(np.float32)
    c = np.full((40, 50), np.nan, dtype=np.float32)
    out = gg.addmm(gg.from_numpy(c), gg.from_numpy(a), gg.from_numpy(b), beta=0.0)
    np.testing.assert_allclose(out.numpy(), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.skipif(not has_avx512(), reason="OpenBLAS (used without AVX-512) is deterministic per thread count only")
@pytest.mark.parametrize("shape", [(256, 300, 700), (64, 512, 784), (1000, 40, 64), (24, 2000, 600), (520, 1100, 300)],
                         ids=str)
def test_same_bits_at_every_thread_count(shape):
    """Also when a thread takes rows from the other's share: which thread runs a unit changes nothing."""
    M, N, K = shape
    rng = np.random.default_rng(9)
    a, b = gg.from_numpy(rng.standard_normal((M, K)).astype(np.float32)), gg.from_numpy(
        rng.standard_normal((K, N)).astype(np.float32))
    saved = gg.get_num_threads()
    try:
        results = []
        for n in (1, 2, 1, 2, 2, 2):
            gg.set_num_threads(n)
            results.append((a @ b).numpy())
    finally:
        gg.set_num_threads(saved)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
