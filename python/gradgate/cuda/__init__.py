"""gradgate.cuda: device queries. This build runs on the CPU only."""


def _unavailable_reason():
    return "gradgate was built without CUDA (a CPU-only build), so no CUDA device can be used"


def is_available():
    return False


def device_count():
    return 0


def current_device():
    raise RuntimeError(_unavailable_reason())


def synchronize(device=None):
    raise RuntimeError(_unavailable_reason())


def manual_seed(seed):
    """Accepted for compatibility: there is no CUDA generator to seed."""


def manual_seed_all(seed):
    """Accepted for compatibility: there is no CUDA generator to seed."""
