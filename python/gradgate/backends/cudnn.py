"""cuDNN switches, accepted for compatibility: gradgate has no cuDNN path."""
enabled = False
benchmark = False
deterministic = False


def is_available():
    return False
