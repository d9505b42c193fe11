"""gradgate.optim: optimizers."""
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .rmsprop import RMSprop, Adagrad  # noqa: F401
from . import lr_scheduler  # noqa: F401,E402
