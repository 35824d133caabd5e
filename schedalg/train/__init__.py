"""The Flax CNN trainer: data, model, one run, comparisons, checkpoints.

``schedalg.train`` trains a small CNN (scikit-learn's 8x8 digits by default) with any
schedalg schedule as the learning rate; the ``schedalg`` command is built on it.

Example:
    >>> import schedalg as sa
    >>> from schedalg.train import Config, load_data, train
    >>> result = train(sa.cosine(3e-3, 0.0, 22), load_data(), Config(epochs=1), progress=False)
    >>> len(result.lr), result.metrics[0]["epoch"]
    (22, 1)
"""

from schedalg.train.checkpoint import CheckpointError
from schedalg.train.data import DataError, Dataset, load_data
from schedalg.train.model import CNN
from schedalg.train.run import Config, RunResult, train

__all__ = [
    "CNN",
    "CheckpointError",
    "Config",
    "DataError",
    "Dataset",
    "RunResult",
    "load_data",
    "train",
]
