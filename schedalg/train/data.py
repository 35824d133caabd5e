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


#: Seed of :func:`harder`'s subset and label noise (fixed: independent of the training seed).
HARDER_SEED = 20240602


def harder(data: Dataset, *, train_images: int | None = None, label_noise: float = 0.0) -> Dataset:
    """A harder task from ``data``: fewer training images and/or noisy training labels.

    The validation set is left as it is (clean labels, every image), so scores stay
    comparable with ``data``'s. ``train_images`` keeps the first images of a fixed
    permutation; ``label_noise`` is the fraction of the kept training labels replaced by
    another class drawn uniformly (a fixed draw: :data:`HARDER_SEED`, never the
    training seed, so every run sees the same task).

    Args:
        data: the dataset to restrict.
        train_images: training images to keep (default all), at least 2.
        label_noise: fraction of training labels to corrupt, in [0, 1).

    Example:
        >>> from schedalg.train.data import harder, load_digits
        >>> d = harder(load_digits(), train_images=360, label_noise=0.2)
        >>> d.name, len(d.y_train), len(d.y_val)
        ('digits (360 train images, 20% label noise)', 360, 359)
        >>> clean = harder(load_digits(), train_images=360)
        >>> int((d.y_train != clean.y_train).sum())  # 20% of 360, the same images
        72
    """
    n = len(data.y_train)
    if train_images is not None and (
        isinstance(train_images, bool) or not isinstance(train_images, int)
        or not 2 <= train_images <= n
    ):  # fmt: skip
        raise DataError(
            f"data: train_images must be an integer in [2, {n}], got train_images={train_images!r}"
        )
    if not 0.0 <= label_noise < 1.0:
        raise DataError(f"data: label_noise must be in [0, 1), got label_noise={label_noise!r}")
    rng = np.random.default_rng(HARDER_SEED)
    keep = rng.permutation(n)[: n if train_images is None else train_images]
    keep.sort()  # the kept images in their original order
    x, y = data.x_train[keep], data.y_train[keep].copy()
    flip = rng.permutation(len(y))[: int(round(label_noise * len(y)))]
    # another class, uniformly: shift by 1..classes-1
    y[flip] = (y[flip] + rng.integers(1, data.classes, len(flip))) % data.classes
    parts = []
    if train_images is not None:
        parts.append(f"{len(y)} train images")
    if label_noise:
        parts.append(f"{label_noise:.0%} label noise")
    name = f"{data.name} ({', '.join(parts)})" if parts else data.name
    return Dataset(x, y.astype(np.int32), data.x_val, data.y_val, data.classes, name)
