"""RMSprop and Adagrad (PyTorch's update rules), one fused update per parameter in C++."""
from .. import _C, zeros_like, full_like, tensor, float32
from .optimizer import Optimizer


def _step_counter():
    return tensor(0.0, dtype=float32)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 *, maximize=False):
        for name, value in (("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha)):
            if value < 0.0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            slots = {"step": [], "square_avg": [], "grad_avg": [], "momentum_buffer": []}
            for p in group["params"]:
                state = self.state[p] if p.grad is not None else {}
                if p.grad is not None and not state:
                    state["step"] = _step_counter()
                    state["square_avg"] = zeros_like(p)
                    if group["momentum"] > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                for key, values in slots.items():
                    values.append(state.get(key))
            _C._rmsprop_step(group["params"], slots["square_avg"], slots["grad_avg"], slots["momentum_buffer"],
                             slots["step"], group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                             group["momentum"], group["centered"], group["maximize"])
        return loss


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 *, maximize=False):
        for name, value in (("learning rate", lr), ("lr_decay value", lr_decay), ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value), ("epsilon value", eps)):
            if value < 0.0:
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:  # Adagrad's state exists from the start, as in PyTorch
            for p in group["params"]:
                self.state[p]["step"] = _step_counter()
                self.state[p]["sum"] = full_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params = group["params"]
            _C._adagrad_step(params, [self.state[p].get("sum") for p in params],
                             [self.state[p].get("step") for p in params], group["lr"], group["lr_decay"],
                             group["weight_decay"], group["eps"], group["maximize"])
        return loss
