"""SGD with momentum, dampening, Nesterov and weight decay (PyTorch's update rule), one fused
update per parameter in C++."""
from .. import _C
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = group["params"]
            momentum = group["momentum"]
            buffers = [self.state[p].get("momentum_buffer") for p in params] if momentum != 0 else [None] * len(params)
            new = _C._sgd_step(params, buffers, group["lr"], momentum, group["dampening"], group["weight_decay"],
                               group["nesterov"], group["maximize"])
            if momentum != 0:
                for p, b, nb in zip(params, buffers, new):
                    if nb is not None and nb is not b:
                        self.state[p]["momentum_buffer"] = nb
        return loss
