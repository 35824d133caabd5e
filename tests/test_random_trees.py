"""Random schedule trees (depth <= 4) over every class in tests/catalogue.py, 1200 per run.

Every tree is a new structure, so it is evaluated op by op (a few ms once the
per-primitive caches are warm) rather than jitted (a compilation per tree): schedalg's
compiled eager path is switched off here; tests/test_eager.py checks it on random trees.

For each tree: values are finite, non-negative whenever every value in it is, the text and
dict forms round-trip value-exactly, and batched evaluation equals scalar evaluation.
"""

from __future__ import annotations

import jax
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schedalg as sa
from schedalg import _core
from tests import catalogue

STEPS = np.array([0, 1, 2, 7, 49, 50, 51, 99, 100, 101, 333, 1000, 2**31 - 1], dtype=np.int32)

#: Non-negative values (so every value of a tree is), starts and peaks mostly above ends.
LEVELS = catalogue.Levels(high=st.floats(1e-4, 10.0), low=st.floats(0.0, 1.0))

#: Trees of every class of tests/catalogue.py with a text form (custom has none).
trees = st.recursive(
    catalogue.primitives(LEVELS),
    lambda children: catalogue.combinators(LEVELS, children),
    max_leaves=6,
)


def _assert_same_tree(a: sa.Schedule, b: sa.Schedule) -> None:
    """Same structure and exactly equal leaves: hence the same values at every step.

    (A leaf may come back as ``1.0`` where it was ``1``: the same number.)
    """
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        assert x.shape == y.shape and np.array_equal(x, y), (x, y)


def _op_by_op(fn):
    """``fn()`` with eager calls run op by op (``SCHEDALG_EAGER_JIT=0``)."""
    before, _core.EAGER_JIT = _core.EAGER_JIT, False
    try:
        return fn()
    finally:
        _core.EAGER_JIT = before


def _rows(s: sa.Schedule) -> np.ndarray:
    # vmap run eagerly: one trace per call, no compilation per structure
    return np.asarray(jax.vmap(lambda row: row(STEPS))(sa.stack([s, s])))


@settings(max_examples=1200, deadline=None, suppress_health_check=list(HealthCheck))
@given(trees)
def test_random_tree_is_finite_round_trips_and_batches(s):
    text = repr(s)
    assert repr(sa.parse(text)) == text
    _assert_same_tree(sa.parse(text), s)
    _assert_same_tree(sa.from_dict(sa.to_dict(s)), s)
    v = _op_by_op(lambda: np.asarray(s(STEPS)))
    batched = _rows(s)
    assert v.shape == STEPS.shape
    assert np.all(np.isfinite(v)), repr(s)
    assert np.all(v >= 0), repr(s)  # every generated value is non-negative
    np.testing.assert_allclose(batched, np.stack([v, v]), rtol=1e-6, atol=1e-12)
