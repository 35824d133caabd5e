"""Error naming and argument checks shared by the compat constructors."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from schedalg._core import Schedule, _show, concrete

# Annotations of the parameters that take one number (or an array of numbers).
_NUMERIC = {"ArrayLike", "int", "float", "ArrayLike | None", "int | None", "float | None"}


def _takes_numbers(p: inspect.Parameter) -> bool:
    """A numeric annotation, or ``Any`` without a text default (``lr``, ``base_lr``)."""
    annotation = str(p.annotation)
    if annotation == "Any":
        return not isinstance(p.default, str)
    return annotation in _NUMERIC


def _finite(fn: str, arguments: Mapping[str, Any], numeric: set[str]) -> None:
    """Rejects a NaN or infinite number under the caller's own parameter name (the
    algebra would reject it too, but under its own name, after the arithmetic that
    turns ``lr`` into ``start``), and text or a mapping where a number is expected
    (arithmetic on it would fail with a TypeError naming no parameter). Traced and
    non-numeric arguments are left alone."""
    for param, value in arguments.items():
        if param in numeric and isinstance(value, (str, bytes, Mapping, Schedule)):
            raise ValueError(f"{fn}: {param} must be a number, got {param}={_show(value)}")
        if value is None or isinstance(value, (str, bool, Schedule, Mapping)) or callable(value):
            continue
        try:
            v = concrete(value)
        except (TypeError, ValueError):  # ragged lists, objects: not a number to check
            continue
        if v is not None and np.issubdtype(v.dtype, np.inexact) and not np.all(np.isfinite(v)):
            raise ValueError(f"{fn}: {param} must be finite, got {param}={_show(value)}")


def is_sequence(value: Any) -> bool:
    """Whether ``value`` is a sequence of numbers (a list, an iterable or an array with at
    least one axis), not a single number; works on lists of traced values."""
    ndim = getattr(value, "ndim", None)
    if ndim is not None:
        return ndim >= 1
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes))


def named(fn: Callable) -> Callable:
    """Prefixes the errors raised while building with the constructor's name, and
    rejects NaN or infinite arguments by their own name before building."""
    signature = inspect.signature(fn)
    numeric = {n for n, p in signature.parameters.items() if _takes_numbers(p)}

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            bound = None  # a wrong call: let the function itself say so
        try:
            if bound is not None:
                _finite(fn.__name__, bound.arguments, numeric)
            return fn(*args, **kwargs)
        except ValueError as err:
            if str(err).startswith(f"{fn.__name__}:"):
                raise
            raise ValueError(f"{fn.__name__}: {err}") from None

    return wrapper


def fresh(last_epoch: Any, first: int) -> None:
    """Refuses a resumed scheduler: ``last_epoch`` must be the library's fresh value
    (PyTorch's -1, braintools' 0); a schedule resumes with ``sa.shift`` instead."""
    if last_epoch != first:
        raise ValueError(
            f"last_epoch must be {first} (a fresh scheduler; resume at step n with "
            f"sa.shift(s, -n)), got last_epoch={last_epoch!r}"
        )


def one_group(param: str, value: Any) -> None:
    """Refuses a list or tuple (one value per parameter group): a compat schedule serves
    one group; an array is a batch of schedules."""
    if isinstance(value, (list, tuple)):
        raise ValueError(f"{param} must be a number (one parameter group), got {param}={value!r}")
