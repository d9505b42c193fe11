"""The one timing loop the benchmark scripts share."""
import math
import statistics
import time

MIN_BLOCK_S = 0.02


def timeit(fns, inner=1, repeats=9, warmup=2, min_block_s=MIN_BLOCK_S):
    """Median seconds per call for each fn in the dict `fns`: `repeats` blocks of at least `inner`
    calls and at least `min_block_s` seconds, the entries taking turns block by block so that drift
    and noise on a shared machine hit them alike. Short blocks are what make timings unstable on
    this kind of VM: a vCPU that was idle (or held by the other library's spinning threads) needs
    a few milliseconds to come back to speed, so each block is long enough to amortize that."""
    counts = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        t0 = time.perf_counter()
        fn()
        counts[name] = max(inner, math.ceil(min_block_s / max(time.perf_counter() - t0, 1e-9)))
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            n = counts[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}
