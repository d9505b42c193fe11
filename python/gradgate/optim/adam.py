"""Adam and AdamW (PyTorch's update rules, amsgrad included), one fused update per parameter
in C++."""
from .. import _C, zeros_like, tensor, float32
from .optimizer import Optimizer


class Adam(Optimizer):
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _state_for(self, p, amsgrad):
        state = self.state[p]
        if not state:  # lazily, on the first step that sees a gradient (as PyTorch does)
            state["step"] = tensor(0.0, dtype=float32)
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_like(p)
        return state

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            amsgrad = group["amsgrad"]
            slots = {"step": [], "exp_avg": [], "exp_avg_sq": [], "max_exp_avg_sq": []}
            for p in group["params"]:
                state = self._state_for(p, amsgrad) if p.grad is not None else {}
                for key, values in slots.items():
                    values.append(state.get(key))
            beta1, beta2 = group["betas"]
            _C._adam_step(group["params"], slots["exp_avg"], slots["exp_avg_sq"], slots["max_exp_avg_sq"],
                          slots["step"], group["lr"], beta1, beta2, group["eps"], group["weight_decay"], amsgrad,
                          group["maximize"], self._decoupled)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2, as in PyTorch)."""
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
