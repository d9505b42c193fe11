"""gradgate.backends: what accelerators this build can use (none besides the CPU)."""
from . import mps, cudnn  # noqa: F401
