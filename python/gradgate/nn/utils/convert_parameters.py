"""parameters_to_vector / vector_to_parameters, as torch.nn.utils."""
from ... import _C

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    import gradgate
    return gradgate.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, _C.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        if pointer + n > vec.numel():
            raise RuntimeError(f"vector_to_parameters: vec of {vec.numel()} elements is too short for the parameters")
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
