"""A fitted law as JSON text: ``{"kind": ..., "coefficients": {...}}``, and back.

Example:
    >>> from schedalg import laws
    >>> from schedalg.laws._text import law_from_dict, law_to_dict
    >>> law = laws.AnnealingLaw(L0=2.6, A=0.6, alpha=0.45, C=0.5, lam=0.999)
    >>> text = law_to_dict(law)
    >>> text["kind"], law_to_dict(law_from_dict(text)) == text
    ('annealing', True)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any

from schedalg._text import read_json
from schedalg.laws._annealing import AnnealingLaw
from schedalg.laws._multi_power import MultiPowerLaw

#: kind name -> law class (the names :func:`schedalg.laws.fit` takes).
KINDS: dict[str, type] = {"multi_power": MultiPowerLaw, "annealing": AnnealingLaw}


def law_to_dict(law: Any) -> dict:
    """``{"kind": "multi_power" | "annealing", "coefficients": {name: float}}`` of an
    unbatched law."""
    kind = next((k for k, c in KINDS.items() if type(law) is c), None)
    if kind is None:
        raise ValueError(f"law_to_dict: not a law: {law!r}")
    cls = KINDS[kind]
    if law.batch_shape():
        raise ValueError(f"law_to_dict: a single law only, got a batch {law.batch_shape()}")
    coefficients = {f.name: float(getattr(law, f.name)) for f in dataclasses.fields(cls)}
    return {"kind": kind, "coefficients": coefficients}


def law_from_dict(data: Any) -> Any:
    """The law of :func:`law_to_dict`'s dict; every problem is one line of ``ValueError``."""
    if not isinstance(data, dict) or "kind" not in data or "coefficients" not in data:
        raise ValueError('a law is {"kind": ..., "coefficients": {...}}')
    kind, values = data["kind"], data["coefficients"]
    if kind not in KINDS:
        raise ValueError(f"unknown law kind {kind!r} (one of {', '.join(KINDS)})")
    cls = KINDS[kind]
    names = [f.name for f in dataclasses.fields(cls)]
    if not isinstance(values, dict):
        raise ValueError(f"coefficients must be an object with {', '.join(names)}")
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValueError(f"unknown {kind} coefficients {unknown} (expected {', '.join(names)})")
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    missing = [n for n in required if n not in values]
    if missing:
        raise ValueError(f"missing {kind} coefficients {missing}")
    for name, value in values.items():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            raise ValueError(f"coefficient {name} must be a finite number, got {value!r}")
    return cls(**{n: float(v) for n, v in values.items()})


def write_law(law: Any, path: str | os.PathLike) -> str:
    """Writes ``law`` as JSON to ``path``; returns the path."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(law_to_dict(law), f, indent=2)
        f.write("\n")
    return os.fspath(path)


def read_law(path: str | os.PathLike) -> Any:
    """The law of a JSON file written by :func:`write_law`."""
    data = read_json(path, "law")
    try:
        return law_from_dict(data)
    except ValueError as err:
        raise ValueError(f"law file {os.fspath(path)}: {err}") from None
