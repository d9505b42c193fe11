"""gradgate.vision: torchvision-shaped models (`import gradgate.vision as torchvision`).

Not imported by `import gradgate`; import it explicitly, as one imports torchvision."""
from . import models  # noqa: F401
