"""gradgate.accelerator: the current accelerator (none in a CPU-only build)."""


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0
