"""gradgate.nn: modules, parameters and the functional interface."""
from .parameter import Parameter  # noqa: F401
from .modules import (  # noqa: F401
    Module, Linear, Sequential, ModuleList, Identity, ReLU, Sigmoid, Tanh, Flatten, MSELoss, BCEWithLogitsLoss,
    CrossEntropyLoss, NLLLoss, BCELoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, Softmax, LogSoftmax,
    CosineSimilarity, Dropout, LayerNorm, Embedding, BatchNorm1d, BatchNorm2d, GroupNorm,
)
from .modules import LeakyReLU, ELU, GELU, SiLU, Softplus, Hardtanh  # noqa: F401  (elementwise family)
from .modules import ModuleDict, Unflatten, Bilinear  # noqa: F401
from .modules import Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Unfold, Fold  # noqa: F401
from .modules import ConvTranspose1d, ConvTranspose2d, Upsample, UpsamplingNearest2d, UpsamplingBilinear2d  # noqa: F401
from . import functional, init, utils  # noqa: F401
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: F401
from .transformer import (  # noqa: F401
    MultiheadAttention, NonDynamicallyQuantizableLinear, TransformerEncoderLayer, TransformerEncoder,
)
