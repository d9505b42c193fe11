"""gradgate.utils.data: datasets, samplers and the DataLoader (num_workers=0)."""
from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split  # noqa: F401
from .sampler import Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, BatchSampler  # noqa: F401
from .dataloader import DataLoader, default_collate  # noqa: F401
