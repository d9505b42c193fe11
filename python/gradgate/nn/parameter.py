"""nn.Parameter: a leaf Tensor that requires grad and registers with the Module it is set on."""
from .. import _C


class Parameter(_C.Tensor):
    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C._empty((0,), None)
        super().__init__(data, requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, proto):
        return (Parameter, (self.detach(), self.requires_grad))
