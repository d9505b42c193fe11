"""Custom differentiable operations: subclass Function with static forward/backward."""
from .. import _C
from .grad_mode import no_grad

Tensor = _C.Tensor


class FunctionCtx:
    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        unpack = getattr(self, "_unpack_saved", None)
        if unpack is not None:
            return unpack()
        return tuple(getattr(self, "_to_save", ()))


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = name + "Backward"


class Function(metaclass=_FunctionMeta):
    """Subclass with @staticmethod forward(ctx, *args) and backward(ctx, *grads); call .apply."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad and _C.is_grad_enabled()
                                     for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        tensors = [o for o in outs if isinstance(o, Tensor)]
        recorded = _C._record_function(cls._backward_name, ctx, cls.backward, list(args), tensors,
                                       list(getattr(ctx, "_to_save", ())),
                                       list(getattr(ctx, "_non_differentiable", ())))
        it = iter(recorded)
        result = tuple(next(it) if isinstance(o, Tensor) else o for o in outs)
        if hasattr(ctx, "_to_save"):
            del ctx._to_save  # the node holds them now, with version checks
        return result[0] if single else result
