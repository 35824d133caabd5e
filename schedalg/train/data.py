"""Image classification data for the trainer: scikit-learn's digits or a user's ``.npz``.

Both sources become a :class:`Dataset` of float32 images ``(N, H, W, C)`` scaled to
``[0, 1]`` and int32 labels ``0..classes-1``, split into train and validation parts by
a fixed permutation (the split never depends on the training seed, so runs with
different seeds are scored on the same validation images). The training order is one
permutation per epoch, a pure function of ``(seed, epoch)``: a resumed run sees the same
batches as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Any

import numpy as np

#: Seed of the train/validation split (fixed: independent of the training seed).
SPLIT_SEED = 20240601


class DataError(ValueError):
    """Data that cannot be trained on; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Train and validation arrays: images ``(N, H, W, C)`` float32, labels int32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: int
    name: str

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        """A short hash of every array: a resumed run must see the same data."""
        h = hashlib.sha256()
        for a in (self.x_train, self.y_train, self.x_val, self.y_val):
            h.update(str(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        h, w, c = self.image_shape
        return (
            f"{self.name}: {len(self.y_train)} train / {len(self.y_val)} validation images "
            f"of {h}x{w}x{c}, {self.classes} classes"
        )


def split(
    x: np.ndarray, y: np.ndarray, name: str, val_fraction: float = 0.2, classes: int | None = None
) -> Dataset:
    """Splits arrays into a :class:`Dataset` with a fixed permutation."""
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"data: val_fraction must be in (0, 1), got val_fraction={val_fraction!r}")
    n = len(y)
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_val < 1:
        raise DataError(f"data: {name}: {n} images are too few to split")
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    train, val = order[n_val:], order[:n_val]
    classes = int(y.max()) + 1 if classes is None else classes
    return Dataset(x[train], y[train], x[val], y[val], classes, name)


def load_digits(val_fraction: float = 0.2) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, no download)."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    x = (bunch.images / 16.0).astype(np.float32)[..., None]
    return split(x, bunch.target.astype(np.int32), "digits", val_fraction, classes=10)


def _fail(path: str, problem: str) -> DataError:
    return DataError(f"data: {path}: {problem}")


def load_npz(path: str, val_fraction: float = 0.2) -> Dataset:
    """A user's images from an ``.npz`` with arrays ``x`` (images) and ``y`` (labels).

    ``x`` is ``(N, H, W)`` or ``(N, H, W, C)`` of finite numbers (any scale: divided by
    its largest absolute value when that exceeds 1); ``y`` is ``(N,)`` of integer labels
    ``0..classes-1``. Images must be at least 2x2 and there must be two classes or more.
    """
    if not os.path.exists(path):
        raise _fail(path, "no such file")
    if os.path.isdir(path):
        raise _fail(path, "is a directory, expected an .npz file")
    try:
        with np.load(path, allow_pickle=False) as f:
            names = list(f.files)
            missing = [k for k in ("x", "y") if k not in names]
            if missing:
                found = ", ".join(names) or "nothing"
                raise _fail(path, f"missing array {missing[0]!r} (found: {found})")
            x, y = f["x"], f["y"]
    except DataError:
        raise
    except Exception as err:  # zip, pickle or format errors: name the file, not the internals
        raise _fail(path, f"not a readable .npz file ({type(err).__name__}: {err})") from None
    return split(*_validate(path, x, y), os.path.basename(path), val_fraction)


def _validate(path: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim not in (3, 4):
        raise _fail(path, f"x must have shape (N, H, W) or (N, H, W, C), got {x.shape}")
    if x.ndim == 3:
        x = x[..., None]
    if not (np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.bool_)):
        raise _fail(path, f"x must hold numbers, got dtype {x.dtype}")
    if x.shape[1] < 2 or x.shape[2] < 2:
        raise _fail(path, f"images must be at least 2x2, got {x.shape[1]}x{x.shape[2]}")
    if y.ndim != 1 or len(y) != len(x):
        raise _fail(path, f"y must have shape ({len(x)},) to match x, got {y.shape}")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise _fail(path, f"y must hold integer labels, got dtype {y.dtype}")
    if len(y) < 4:
        raise _fail(path, f"need at least 4 images, got {len(y)}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise _fail(path, "x holds NaN or infinite values")
    if np.issubdtype(y.dtype, np.floating) and not np.all(y == np.round(y)):
        raise _fail(path, "y must hold integer labels, got fractional values")
    if y.min() < 0:
        raise _fail(path, f"labels must be >= 0, got {int(y.min())}")
    y = y.astype(np.int64)
    if len(np.unique(y)) < 2:
        raise _fail(path, "y must hold at least two classes")
    if y.max() >= 10_000:
        raise _fail(path, f"labels must be class indices < 10000, got {int(y.max())}")
    top = float(np.abs(x).max())
    if top > 1.0:
        x = x / top
    return x, y.astype(np.int32)


def load_data(path: str | None = None, val_fraction: float = 0.2) -> Dataset:
    """The digits (``path=None``) or a user's ``.npz`` (see :func:`load_npz`).

    Example:
        >>> from schedalg.train import load_data
        >>> print(load_data().describe())
        digits: 1438 train / 359 validation images of 8x8x1, 10 classes
    """
    return load_digits(val_fraction) if path is None else load_npz(path, val_fraction)


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The training order of epoch ``epoch``: a permutation fixed by ``(seed, epoch)``."""
    return np.random.default_rng([seed, epoch]).permutation(n)
