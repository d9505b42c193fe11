"""The one timing loop the benchmark scripts share."""
import math
import statistics
import time

MIN_BLOCK_S = 0.02  # each timed block lasts at least this long
SETTLE_S = 0.03     # idle time before a block: the previous library's spinning threads stop
RAMP_S = 0.005      # untimed calls before a block: this library's threads (and the vCPUs) wake up


def _run_for(fn, seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        fn()


def timeit(fns, inner=1, repeats=9, warmup=2, min_block_s=MIN_BLOCK_S):
    """Median seconds per call for each fn in the dict `fns`: `repeats` blocks of at least `inner`
    calls and at least `min_block_s` seconds, the entries taking turns block by block so that drift
    and noise on a shared machine hit them alike. Between blocks the machine first goes quiet
    (PyTorch's OpenMP workers spin for milliseconds after each call and would hold a core through
    the next library's block), then the next entry runs untimed for a few milliseconds to wake its
    own threads, as they are in a running loop."""
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
            time.sleep(SETTLE_S)
            _run_for(fn, RAMP_S)
            n = counts[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}
