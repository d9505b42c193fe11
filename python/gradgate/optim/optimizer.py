"""Optimizer base: parameter groups, per-parameter state, zero_grad."""
from collections import defaultdict

from .. import _C


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        ps = group["params"]
        group["params"] = [ps] if hasattr(ps, "requires_grad") else list(ps)
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self.param_groups.append(group)

    # ---- state_dict in PyTorch's layout: params are numbered in group order ----
    def state_dict(self):
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        from collections import defaultdict
        self.state = defaultdict(dict)
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                if i in state_dict["state"]:
                    self.state[p] = {k: self._cast_state(p, k, v) for k, v in state_dict["state"][i].items()}
            mine.update({k: v for k, v in theirs.items() if k != "params"})

    @staticmethod
    def _cast_state(param, key, value):
        """State tensors follow their parameter's dtype (except step counters), as in PyTorch."""
        from .. import Tensor
        if not isinstance(value, Tensor):
            return value
        if key != "step" and value.is_floating_point() and value.dtype is not param.dtype:
            return value.to(param.dtype)
        return value.clone()

    def _closure_loss(self, closure):
        if closure is None:
            return None
        from .. import enable_grad
        with enable_grad():
            return closure()

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            _C._zero_grad(group["params"], set_to_none)

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, g in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for k in sorted(k for k in g if k != "params"):
                s += f"\n    {k}: {g[k]}"
        return s + "\n)"
