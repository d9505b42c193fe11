"""no_grad / enable_grad / set_grad_enabled / inference_mode: thread-local switches that work
as context managers and as decorators."""
import functools

from .. import _C


class _Mode:
    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)
        return wrapper

    _args = ()

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_Mode):
    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)


class enable_grad(_Mode):
    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(True)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)


class set_grad_enabled(_Mode):
    """Takes effect at once (as a function call) and restores on exit (as a context manager)."""

    def __init__(self, mode):
        self._args = (mode,)
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(bool(mode))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)

    def __call__(self, fn):
        _C._set_grad_enabled(self._prev)
        return super().__call__(fn)


class inference_mode(_Mode):
    def __init__(self, mode=True):
        self._args = (mode,)
        self._mode = mode

    def __enter__(self):
        self._prev = _C._enter_inference_mode(bool(self._mode))

    def __exit__(self, *exc):
        _C._restore_modes(*self._prev)

    def __call__(self, fn):
        if not isinstance(fn, bool) and callable(fn):
            return super().__call__(fn)
        return inference_mode(fn)
