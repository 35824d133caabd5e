"""Random schedule trees (depth <= 4) over every primitive and combinator, 1200 per run.

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

STEPS = np.array([0, 1, 2, 7, 49, 50, 51, 99, 100, 101, 333, 1000, 2**31 - 1], dtype=np.int32)

value = st.floats(1e-4, 10.0)
small = st.floats(0.0, 1.0)
length = st.integers(1, 400)
factor = st.floats(0.05, 1.0)


def primitives() -> st.SearchStrategy[sa.Schedule]:
    sorted_ints = st.lists(st.integers(0, 500), min_size=1, max_size=5).map(sorted)
    return st.one_of(
        st.builds(sa.constant, value),
        st.builds(sa.linear, value, small, st.integers(0, 400)),
        st.builds(sa.cosine, value, small, length, exponent=st.floats(0.5, 3.0)),
        st.builds(sa.polynomial, value, small, length, power=st.floats(0.5, 3.0)),
        st.builds(sa.exponential, value, st.floats(0.5, 0.999), length, staircase=st.booleans()),
        st.builds(sa.step, value, length, factor),
        st.builds(sa.multistep, value, sorted_ints, factor),
        sorted_ints.flatmap(
            lambda b: st.builds(
                sa.piecewise_constant,
                st.just(b),
                st.lists(value, min_size=len(b) + 1, max_size=len(b) + 1),
            )
        ),
        sorted_ints.flatmap(
            lambda b: st.builds(
                sa.piecewise_linear, st.just(b), st.lists(value, min_size=len(b), max_size=len(b))
            )
        ),
        st.builds(sa.inverse_sqrt, value, length),
        st.builds(sa.inverse_time, value, small, length, staircase=st.booleans()),
        st.builds(
            sa.cyclic,
            small,
            value,
            length,
            length,
            mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
            gamma=st.floats(0.99, 1.0),
        ),
        st.builds(
            sa.one_cycle,
            small,
            value,
            small,
            st.integers(10, 500),
            pct_up=st.floats(0.05, 0.45),
            shape=st.sampled_from(["cos", "linear"]),
            three_phase=st.booleans(),
        ),
        st.builds(
            sa.wsd,
            value,
            st.integers(0, 100),
            st.integers(0, 100),
            st.integers(0, 100),
            end=small,
            decay_shape=st.sampled_from(["linear", "cosine", "1-sqrt"]),
            start=small,
        ),
    )


def bounded(children: st.SearchStrategy[sa.Schedule]) -> st.SearchStrategy[sa.Schedule]:
    """Children with a duration (restart and join without boundaries need one)."""
    return children.filter(lambda s: s.duration is not None and np.all(np.asarray(s.duration) > 0))


def combinators(children: st.SearchStrategy[sa.Schedule]) -> st.SearchStrategy[sa.Schedule]:
    return st.one_of(
        st.builds(lambda a, b, w: sa.join(a, b, boundaries=[w]), children, children, length),
        st.builds(lambda a, b: sa.join(a, b), bounded(children), children),
        st.builds(
            sa.warmup,
            children,
            st.integers(0, 200),
            start=small,
            shape=st.sampled_from(["linear", "cosine", "1-sqrt", "constant"]),
            prefix=st.booleans(),
            ramp=st.sampled_from(["t/W", "(t+1)/W", "(t+1)/(W+1)"]),
        ),
        st.builds(
            sa.restart,
            bounded(children),
            mult=st.sampled_from([1, 2, 1.5]),
            decay=factor,
            limit=st.sampled_from([None, 1, 3]),
        ),
        st.builds(sa.restart, children, period=length, mult=st.sampled_from([1, 2])),
        st.builds(
            lambda s, n, more, shape: sa.cooldown(s, n, n + more, shape=shape),
            children,
            st.integers(0, 200),
            st.integers(0, 200),
            st.sampled_from(["linear", "1-sqrt"]),
        ),
        st.builds(sa.scale, children, st.one_of(factor, children)),
        st.builds(sa.add, children, st.one_of(small, children)),
        st.builds(lambda s, lo: sa.clip(s, low=lo, high=lo + 1.0), children, small),
        st.builds(sa.shift, children, st.integers(-50, 200)),
        st.builds(sa.stretch, children, st.sampled_from([0.5, 1, 2, 3])),
        st.builds(sa.per_epoch, children, st.integers(1, 20)),
    )


trees = st.recursive(primitives(), combinators, max_leaves=6)


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
