"""What :mod:`schedalg.train.meta` learns: knobs, and their log-space vector.

A :class:`Knob` is one learned leaf of a schedule: a name (:data:`NAMES`, resolved
through the schedule classes' declared roles, or a leaf path), its path, shape and
search range. Every learned leaf is positive and searched in log space: :func:`encode`
turns the knobs' leaves into one vector ``theta`` of logs, :func:`decode` back into leaf
values (differentiably), :func:`clip` keeps ``theta`` in range and :func:`penalty`
measures the roughness of learned knot vectors. :func:`knot_schedule` makes a free
``piecewise_linear`` curve whose knot values are all learned.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from schedalg._batch import evaluate
from schedalg._core import Schedule
from schedalg._steps import piecewise_linear
from schedalg._tree import main, role_path
from schedalg._tree import paths as leaf_paths
from schedalg._tree import with_paths as with_leaves

# ----------------------------------------------------------------------------
# What is learned: names and leaf paths


@dataclasses.dataclass(frozen=True)
class Knob:
    """One learned leaf: a name, its path in the schedule, its shape and its bounds.

    Every learned leaf is positive and searched in log space, clipped to [low, high].
    """

    name: str
    path: str
    shape: tuple[int, ...]
    low: float
    high: float

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


_ALIASES = {"decay": "steps", "power": "exponent"}
#: The names understood by :func:`resolve`, with their meaning.
NAMES = {
    "peak": "top value of the main schedule (cosine/linear/polynomial start, wsd peak...)",
    "end": "final value of the main decay",
    "warmup": "the outermost warmup's steps (wsd: its warmup)",
    "steps": "decay length of the main schedule (alias: decay; wsd: decay)",
    "exponent": "cosine exponent or polynomial power (alias: power)",
    "knots": "the knot values of a piecewise_linear schedule",
}


def _bounds(name: str, steps: int) -> tuple[float, float]:
    """Search range of a named leaf (durations in steps of an inner run of ``steps``)."""
    return {
        "warmup": (1.0, float(steps)),
        "steps": (1.0, 10.0 * steps),
        "exponent": (0.05, 20.0),
    }.get(name, (1e-8, 10.0))  # values: peak, end, knots


def resolve(schedule: Schedule, params: Sequence[str], steps: int) -> tuple[Knob, ...]:
    """The knobs for ``params``: names of :data:`NAMES` or explicit leaf paths.

    Example:
        >>> s = sa.warmup(sa.cosine(1e-3, 0.0, 300), 30)
        >>> [(k.name, k.path) for k in resolve(s, ["peak", "warmup"], 330)]
        [('peak', 'schedule.start'), ('warmup', 'steps')]
    """
    paths = leaf_paths(schedule)
    node = main(schedule)[0]
    knobs: list[Knob] = []
    for raw in params:
        name = _ALIASES.get(raw, raw)
        if name in NAMES:
            path = role_path(schedule, name)  # the classes' own declarations
            if path is None and name == "knots":
                raise ValueError(
                    "learn: knots needs a piecewise_linear schedule (use --knots K to make one)"
                )
            if path is None and name == "warmup":
                raise ValueError(f"learn: warmup: {schedule!r} has no warmup node")
            if path is None:
                raise ValueError(
                    f"learn: {raw} is not defined for {node.name}; name a leaf path instead, "
                    f"one of: {', '.join(paths)}"
                )
        elif raw in paths:
            name, path = raw, raw
        else:
            raise ValueError(
                f"learn: unknown parameter {raw!r}: use one of {', '.join(NAMES)} or a leaf "
                f"path, one of: {', '.join(paths)}"
            )
        if any(k.path == path for k in knobs):
            raise ValueError(f"learn: {raw} names the leaf {path} twice")
        value = np.asarray(paths[path], np.float64)
        if not np.all(value > 0):
            raise ValueError(
                f"learn: {raw} ({path}) must be > 0 to be learned in log space, got {value}; "
                "start it at a small positive value"
            )
        low, high = (
            _bounds(name, steps) if name in NAMES else (value.min() / 1e4, value.max() * 1e4)
        )
        if not np.all((low <= value) & (value <= high)):
            raise ValueError(f"learn: {raw} starts at {value}, outside its range [{low}, {high}]")
        knobs.append(Knob(name, path, value.shape, float(low), float(high)))
    if not knobs:
        raise ValueError("learn: nothing to learn: give --params (or --knots)")
    return tuple(knobs)


def knot_schedule(schedule: Schedule, steps: int, knots: int) -> piecewise_linear:
    """A free curve: ``piecewise_linear`` through ``knots`` evenly spaced knots over
    ``[0, steps]`` at the values of ``schedule`` (floored at 1e-3 of its largest value,
    so every knot is positive and can be learned in log space).

    Example:
        >>> knot_schedule(sa.linear(1.0, 0.0, 100), 100, 3)
        piecewise_linear(boundaries=[0, 50, 100], values=[1.0, 0.5, 0.001])
    """
    if isinstance(knots, bool) or not isinstance(knots, int) or not 2 <= knots <= steps + 1:
        raise ValueError(f"learn: knots must be an integer in [2, {steps + 1}], got {knots!r}")
    bounds = np.round(np.linspace(0, steps, knots)).astype(np.int64)
    values = np.asarray(evaluate(schedule, bounds), np.float64)
    top = float(values.max())
    if not top > 0:
        raise ValueError(f"learn: the schedule must be positive somewhere, got max {top}")
    values = np.maximum(values, top * 1e-3)
    return piecewise_linear(bounds.tolist(), [float(f"{v:.6g}") for v in values])


# ----------------------------------------------------------------------------
# The log-space vector of the learned leaves


def encode(knobs: tuple[Knob, ...], schedule: Schedule) -> np.ndarray:
    """``theta``: the logs of the knobs' leaves in ``schedule``, concatenated (float64)."""
    paths = leaf_paths(schedule)
    return np.concatenate([np.log(np.asarray(paths[k.path], np.float64)).ravel() for k in knobs])


def decode(knobs: tuple[Knob, ...], theta: Any) -> dict[str, Any]:
    """Leaf path -> value of each knob for ``theta`` (JAX: differentiable in ``theta``)."""
    out, i = {}, 0
    for k in knobs:
        out[k.path] = jnp.exp(theta[i : i + k.size]).reshape(k.shape)
        i += k.size
    return out


def clip(knobs: tuple[Knob, ...], theta: np.ndarray) -> np.ndarray:
    """``theta`` clipped to the knobs' ranges (in log space)."""
    low = np.concatenate([np.full(k.size, math.log(k.low)) for k in knobs])
    high = np.concatenate([np.full(k.size, math.log(k.high)) for k in knobs])
    return np.clip(theta, low, high)


def penalty(knobs: tuple[Knob, ...], theta: jax.Array, smooth: float) -> jax.Array:
    """``smooth`` times the mean squared second difference of each vector's log values."""
    total, i = jnp.zeros((), theta.dtype), 0
    for k in knobs:
        if k.size >= 3:
            z = theta[i : i + k.size]
            total = total + jnp.mean((z[2:] - 2.0 * z[1:-1] + z[:-2]) ** 2)
        i += k.size
    return smooth * total


def split(knobs: tuple[Knob, ...], flat: np.ndarray) -> list[np.ndarray]:
    """``flat`` (one number per learned element) cut into one array per knob."""
    return np.split(flat, np.cumsum([k.size for k in knobs])[:-1])


def values(knobs: tuple[Knob, ...], theta: np.ndarray) -> dict[str, Any]:
    """Knob name -> learned value (a float, or a list for a vector)."""
    out = {}
    for k, z in zip(knobs, split(knobs, np.exp(theta))):
        out[k.name] = float(z[0]) if k.shape == () else z.tolist()
    return out


def rounded(schedule: Schedule, knobs: tuple[Knob, ...], theta: np.ndarray) -> Schedule:
    """``schedule`` with the learned leaves (6 significant digits, plain Python floats)."""
    out = {}
    for k, z in zip(knobs, split(knobs, np.exp(theta))):
        v = z.reshape(k.shape)
        nice = np.vectorize(lambda x: float(f"{x:.6g}"))(v)
        out[k.path] = float(nice) if nice.ndim == 0 else nice
    return with_leaves(schedule, out)
