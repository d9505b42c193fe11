"""utils.data: datasets, samplers, collation and the DataLoader."""
import collections

import numpy as np
import pytest

import gradgate as gg
from gradgate.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler,
                                 SequentialSampler, Subset, TensorDataset, default_collate, random_split)


def _ds(n=10):
    return TensorDataset(gg.arange(n * 2, dtype=gg.float32).view(n, 2), gg.arange(n))


def test_tensor_dataset():
    ds = _ds()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(gg.ones(3), gg.ones(4))


def test_loader_batches_in_order_with_last_partial():
    batches = list(DataLoader(_ds(), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype is gg.float32
    assert len(DataLoader(_ds(), batch_size=4)) == 3
    assert len(DataLoader(_ds(), batch_size=4, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(_ds(), batch_size=4, drop_last=True)][-1] == [4, 5, 6, 7]


def test_shuffle_is_a_seeded_permutation():
    def order(seed):
        gg.manual_seed(seed)
        return [i for b in DataLoader(_ds(), batch_size=3, shuffle=True) for i in b[1].tolist()]
    a, b, c = order(0), order(0), order(1)
    assert sorted(a) == list(range(10)) and a == b and a != c
    g = gg.Generator().manual_seed(5)
    d = [i for b in DataLoader(_ds(), batch_size=3, shuffle=True, generator=g) for i in b[1].tolist()]
    g.manual_seed(5)
    e = [i for b in DataLoader(_ds(), batch_size=3, shuffle=True, generator=g) for i in b[1].tolist()]
    assert d == e and sorted(d) == list(range(10))


def test_default_collate_structures():
    batch = [{"x": gg.ones(2), "y": 1, "z": (2.5, np.zeros(3)), "name": "a"},
             {"x": gg.zeros(2), "y": 2, "z": (3.5, np.ones(3)), "name": "b"}]
    out = default_collate(batch)
    assert out["x"].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert out["y"].dtype is gg.int64 and out["y"].tolist() == [1, 2]
    assert out["z"][0].dtype is gg.float64 and out["z"][1].shape == (2, 3)
    assert out["name"] == ["a", "b"]
    Point = collections.namedtuple("Point", "a b")
    p = default_collate([Point(gg.ones(1), 1), Point(gg.ones(1), 2)])
    assert isinstance(p, Point) and p.b.tolist() == [1, 2]
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_custom_dataset_and_collate_fn():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return gg.tensor([float(i * i)])

    out = list(DataLoader(Squares(), batch_size=2, collate_fn=lambda b: len(b)))
    assert out == [2, 2, 1]
    assert [t.tolist() for t in DataLoader(Squares(), batch_size=None)][:2] == [[0.0], [1.0]]


def test_random_split_and_subset_and_concat():
    gg.manual_seed(0)
    a, b = random_split(_ds(), [7, 3])
    idx = sorted(a.indices + b.indices)
    assert idx == list(range(10)) and len(a) == 7 and isinstance(a, Subset)
    c, d, e = random_split(_ds(), [0.5, 0.3, 0.2], generator=gg.Generator().manual_seed(1))
    assert (len(c), len(d), len(e)) == (5, 3, 2)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(_ds(), [3, 3])
    cat = ConcatDataset([_ds(3), _ds(2)])
    assert len(cat) == 5 and cat[3][1].item() == 0 and cat[-1][1].item() == 1


def test_samplers_and_errors():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    gg.manual_seed(2)
    assert sorted(RandomSampler(range(6))) == list(range(6))
    assert list(BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(5), 0, False)
    with pytest.raises(ValueError, match="num_workers=0"):
        DataLoader(_ds(), num_workers=2)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(_ds(), sampler=SequentialSampler(_ds()), shuffle=True)
