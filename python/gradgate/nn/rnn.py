"""Recurrent layers (RNN, LSTM, GRU and their cells) composed of linear + pointwise ops (an LSTM
sequence module fuses each step's pointwise part into one op). One step function per mode serves both
the sequence modules and the cells; a sequence module projects its whole input with one matmul per
layer and direction, so only the hidden projection runs per step."""
import math
import numbers
import warnings

from .. import _C
from . import functional as F, init
from .modules import Module
from .parameter import Parameter


# Each step takes the input projection gi = x @ W_ih^T + b_ih, the state tuple ((h,) or (h, c))
# and the hidden weights, and returns the next state; the formulas and gate order are PyTorch's.
def _tanh_step(gi, state, w_hh, b_hh):
    return ((gi + F.linear(state[0], w_hh, b_hh)).tanh(),)


def _relu_step(gi, state, w_hh, b_hh):
    return ((gi + F.linear(state[0], w_hh, b_hh)).relu(),)


def _lstm_step(gi, state, w_hh, b_hh):
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _lstm_sequence_step(gi, state, w_hh, b_hh):
    # The sequence modules run the pointwise part as one fused op (LSTMCell keeps the composed ops:
    # its grad_fn names are PyTorch's, MulBackward0 and AddBackward0).
    return _C._lstm_cell(gi, F.linear(state[0], w_hh, b_hh), state[1])


def _gru_step(gi, state, w_hh, b_hh):
    h = state[0]
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return (n + z * (h - n),)  # == (1 - z) * n + z * h


_MODES = {"RNN_TANH": (_tanh_step, 1), "RNN_RELU": (_relu_step, 1), "LSTM": (_lstm_step, 4), "GRU": (_gru_step, 3)}


def _nonlinearity_mode(nonlinearity):
    if nonlinearity == "tanh":
        return "RNN_TANH"
    if nonlinearity == "relu":
        return "RNN_RELU"
    raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")


def _reset_uniform(module):
    # PyTorch: every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in registration order.
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


def _empty(*shape, device=None, dtype=None):
    from .. import empty
    return Parameter(empty(*shape, dtype=dtype, device=device))


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _MODES[mode][1] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                shapes = {"weight_ih": (gate_size, layer_input_size), "weight_hh": (gate_size, real_hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{'_reverse' if direction == 1 else ''}"
                    setattr(self, name, _empty(*shape, device=device, dtype=dtype))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """No-op: the weights are always used where they live (kept for code written for cuDNN)."""

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _check_input(self, input):
        w = getattr(self, self._flat_weights_names[0])
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def _state_sizes(self, batch):
        """Expected (h, c) or (h,) sizes and the messages that name them."""
        rows = self.num_layers * (2 if self.bidirectional else 1)
        h = (rows, batch, self.proj_size if self.proj_size > 0 else self.hidden_size)
        if self.mode != "LSTM":
            return [(h, "Expected hidden size {}, got {}")]
        return [(h, "Expected hidden[0] size {}, got {}"),
                ((rows, batch, self.hidden_size), "Expected hidden[1] size {}, got {}")]

    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        name = self.mode if self.mode in ("LSTM", "GRU") else "RNN"
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             + ("tensor instead" if name == "RNN" else "instead"))
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        self._check_input(input)
        if self.batch_first:
            input = input.transpose(0, 1)
        sizes = self._state_sizes(input.shape[1])
        if hx is None:
            from .. import zeros
            states = tuple(zeros(*s, dtype=input.dtype, device=input.device) for s, _ in sizes)
        else:
            states = tuple(hx) if lstm else (hx,)
            want = 3 if batched else 2
            if any(s.dim() != want for s in states):
                got = (f"({states[0].dim()}-D, {states[1].dim()}-D) tensors" if lstm
                       else f"{states[0].dim()}-D tensor")
                raise RuntimeError(f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, "
                                   f"{'hx and cx' if lstm else 'hx'} should also be {want}-D but got {got}")
            if not batched:
                states = tuple(s.unsqueeze(1) for s in states)
            for s, (size, msg) in zip(states, sizes):
                if tuple(s.shape) != size:
                    raise RuntimeError(msg.format(size, list(s.shape)))
        output, states = self._run(input, states)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(batch_dim)
            states = tuple(s.squeeze(1) for s in states)
        return output, (states if lstm else states[0])

    def _run(self, input, states):
        """input (T, B, I); states: (num_layers * num_directions, B, H) tensors. Returns the last
        layer's outputs (T, B, num_directions * H) and the final states stacked like the given ones."""
        from .. import stack, cat
        step = _lstm_sequence_step if self.mode == "LSTM" else _MODES[self.mode][0]
        num_directions = 2 if self.bidirectional else 1
        initial = [s.unbind(0) for s in states]
        finals = []
        x = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                # names in PyTorch's order: weight_ih, weight_hh[, bias_ih, bias_hh][, weight_hr]
                ws = [getattr(self, n) for n in self._all_weights[k]]
                b_ih, b_hh = ws[2:4] if self.bias else (None, None)
                w_hr = ws[-1] if self.proj_size > 0 else None
                gis = F.linear(x, ws[0], b_ih).unbind(0)
                state = tuple(s[k] for s in initial)
                hs = []
                for gi in (reversed(gis) if direction else gis):
                    state = step(gi, state, ws[1], b_hh)
                    if w_hr is not None:
                        state = (F.linear(state[0], w_hr, None),) + state[1:]
                    hs.append(state[0])
                if direction:
                    hs.reverse()
                outputs.append(stack(hs))
                finals.append(state)
            x = outputs[0] if num_directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, tuple(stack([f[i] for f in finals]) for i in range(len(states)))


def _no_proj(name, kwargs):
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")


class RNN(RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        _no_proj("RNN", kwargs)
        mode = _nonlinearity_mode(nonlinearity)
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, **kwargs):
        _no_proj("GRU", kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = _empty(num_chunks * hidden_size, input_size, device=device, dtype=dtype)
        self.weight_hh = _empty(num_chunks * hidden_size, hidden_size, device=device, dtype=dtype)
        if bias:
            self.bias_ih = _empty(num_chunks * hidden_size, device=device, dtype=dtype)
            self.bias_hh = _empty(num_chunks * hidden_size, device=device, dtype=dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _cell(self, mode, input, hx, hidden_names):
        """Checks shapes as PyTorch's cells do, then runs one step; hx is a tuple of states or None."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for label, s in zip(hidden_names, hx):
                if s.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            from .. import zeros
            z = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (z,) * len(hidden_names)
        elif not batched:
            hx = tuple(s.unsqueeze(0) for s in hx)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        for i, s in enumerate(hx):
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} batch size "
                                   f"{s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected "
                                   f"{self.hidden_size}")
        out = _MODES[mode][0](F.linear(input, self.weight_ih, self.bias_ih), hx, self.weight_hh, self.bias_hh)
        return out if batched else tuple(s.squeeze(0) for s in out)


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        try:
            mode = _nonlinearity_mode(self.nonlinearity)
        except ValueError:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}") from None
        return self._cell(mode, input, None if hx is None else (hx,), ("hidden",))[0]


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._cell("LSTM", input, None if hx is None else tuple(hx), ("hx[0]", "hx[1]"))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._cell("GRU", input, None if hx is None else (hx,), ("hidden",))[0]
