"""DataLoader: batches of samples from a map-style dataset, collated into tensors (in the
calling process: num_workers=0)."""
import collections.abc
import numbers

import numpy as np

from ... import _C
from .sampler import BatchSampler, RandomSampler, SequentialSampler

Tensor = _C.Tensor


def default_collate(batch):
    """Stacks tensors (and NumPy arrays, numbers), and recurses into tuples, lists and dicts,
    as torch.utils.data.default_collate does."""
    import gradgate
    elem = batch[0]
    if isinstance(elem, Tensor):
        return gradgate.stack(batch, 0)
    if isinstance(elem, np.ndarray):
        return gradgate.stack([gradgate.as_tensor(b) for b in batch], 0)
    if isinstance(elem, bool):
        return gradgate.tensor(batch)
    if isinstance(elem, numbers.Integral):
        return gradgate.tensor(batch, dtype=gradgate.int64)
    if isinstance(elem, numbers.Real):
        return gradgate.tensor(batch, dtype=gradgate.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        return tuple(transposed) if isinstance(elem, tuple) else transposed
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                    f"{type(elem)}")


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 generator=None, **_):
        if num_workers != 0:
            raise ValueError("gradgate's DataLoader loads in the calling process: use num_workers=0")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                             "drop_last")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.drop_last = drop_last
        self.generator = generator
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else (lambda x: x))
        self.num_workers = 0

    def __iter__(self):
        if self.batch_sampler is None:
            for idx in self.sampler:
                yield self.collate_fn(self.dataset[idx])
            return
        getitems = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)

    def __len__(self):
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)
