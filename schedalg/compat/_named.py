"""Error naming shared by the compat constructors."""

from __future__ import annotations

import functools
from collections.abc import Callable


def named(fn: Callable) -> Callable:
    """Prefixes the errors raised while building with the constructor's name."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError as err:
            if str(err).startswith(f"{fn.__name__}:"):
                raise
            raise ValueError(f"{fn.__name__}: {err}") from None

    return wrapper
