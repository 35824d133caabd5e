"""The algebra's laws as hypothesis properties.

Random schedules are evaluated eagerly on one fixed step array: op-by-op execution
reuses its compiled kernels across examples, whereas a jit would compile every new
random structure.
"""

import json

import jax
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schedalg as sa
from tests import catalogue

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
T = np.concatenate([np.arange(0, 700), [997, 1000, 4096, 10**5]]).astype(np.int32)


def values(s, t=T):
    return np.asarray(s(t))


# ----------------------------------------------------------------------------
# Strategies: valid parameters and random schedule trees (tests/catalogue.py).


def f32(low, high):
    """float32 values; no subnormals, which XLA flushes to zero."""
    return st.floats(low, high, width=32, allow_subnormal=False)


number = f32(-2.0, 2.0)
length = st.integers(1, 300)


def schedules(depth=2):
    """A random tree of primitives and combinators of every class in tests/catalogue.py
    with a text form, values drawn from ``number``. (Not ``custom``: a user's function
    need not give the same bits in every compiled context, which the laws compare.)"""
    levels = catalogue.Levels(high=number, low=number)
    leaves = catalogue.primitives(levels)
    if depth == 0:
        return leaves
    return st.one_of(leaves, catalogue.combinators(levels, schedules(depth - 1)))


def close(got, want, size):
    """Equal to a few float32 ulps of the operands' ``size``.

    Where a law compares two schedules, they are two compiled programs, and XLA may fuse
    (and contract to FMA) the same operand differently in each, so it is off by ulps of
    its inputs' size, which a cancelling result near zero makes many ulps of its own:
    b = stretch_cycles(join(step(0.0, 1, 0.0), linear(1.15625, -0.125, 1), boundaries=[1]))
    read 0.0031250305 alone and in b + a, 0.0031250268 in a + b (a = 0): 16 ulps of the
    value, 0.03 ulp of 1.16."""
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * size + 1e-30)


def bounded(s):
    return s.duration is not None


def bounded_schedules(depth=2):
    return schedules(depth=depth).filter(bounded)


# ----------------------------------------------------------------------------
# Laws


@settings(SETTINGS, max_examples=10)
@given(st.lists(bounded_schedules(depth=1), min_size=1, max_size=3), schedules(depth=1))
def test_join_with_durations_equals_join_with_explicit_boundaries(pieces, last):
    by_duration = sa.join(*pieces, last)
    ends, end = [], 0
    for p in pieces:
        end = end + p.duration
        ends.append(float(end))
    explicit = sa.join(*pieces, last, boundaries=ends)
    # float boundaries put the pieces on a float clock, where integer clocks take exact
    # integer complements: the two agree to rounding, not always to the bit
    a, b = values(by_duration), values(explicit)
    close(a, b, size=np.abs(b).max(initial=0.0))


@SETTINGS
@given(schedules(), st.integers(0, 200), number, st.sampled_from(["linear", "cosine", "constant"]))
def test_warmup_runs_schedule_after_steps_and_ramps_into_its_start(s, w, start, shape):
    warm = sa.warmup(s, w, start=start, shape=shape)
    got, base = values(warm), values(s, np.maximum(T - w, 0))
    after = w <= T
    size = np.abs(base).max()
    # warm and s are two compiled programs (see close): ulps of s's size apart at most
    close(got[after], base[after], size)
    s0 = float(s(0))
    close(np.float32(warm(w)), np.float32(s0), size)
    if w > 0 and shape != "constant":
        # The ramp arrives: one step before the end it is within one ramp step of s(0).
        gap = abs(float(warm(w - 1)) - s0)
        assert gap <= abs(s0 - start) * (np.pi / 2) / w + 1e-6 * (1 + abs(s0))
        assert float(warm(0)) == np.float32(start)


@SETTINGS
@given(bounded_schedules(), f32(0.0, 1.0))
def test_restart_with_mult_one_is_periodic(s, decay):
    period = int(np.ceil(float(s.duration))) or 1
    r = sa.restart(s, period)
    base = values(r)
    shifted = values(r, T + period)
    np.testing.assert_array_equal(shifted, base)
    decayed = sa.restart(s, period, decay=decay)
    k = T // period
    want = values(decayed, T % period) * np.float32(decay) ** k
    np.testing.assert_allclose(values(decayed), want, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(st.integers(2, 60), st.sampled_from([1, 2, 3, 1.5]), st.none() | st.integers(1, 5))
def test_restart_cycle_k_lasts_period_times_mult_to_the_k(period, mult, limit):
    # The inner ramp reads the stretched local clock: 0 at each cycle start.
    r = sa.restart(sa.linear(0.0, 1.0, period), mult=mult, limit=limit)
    got = values(r)
    starts, k, start = [], 0, 0.0
    while start < T[-1] and (limit is None or k < limit):
        starts.append(start)
        start += period * mult**k
        k += 1
    restarts = [int(np.ceil(x)) for x in starts]
    drops = np.flatnonzero(np.diff(got) < 0) + 1  # where a new cycle begins
    want = [x for x in restarts[1:] if x <= T[699]]
    assert list(T[drops[T[drops] <= T[699]]]) == want
    if limit is not None and start <= T[-1]:
        assert np.all(got[start <= T] == 1.0)  # after the last cycle: its end, held


@SETTINGS
@given(schedules(), schedules(), number)
def test_scale_and_add_commute(a, b, c):
    size_a, size_b = np.abs(values(a)).max(), np.abs(values(b)).max()
    close(values(sa.scale(a, b)), values(sa.scale(b, a)), size=size_a * size_b)
    close(values(a + b), values(b + a), size=size_a + size_b)
    np.testing.assert_array_equal(values(a * c), values(c * a))
    np.testing.assert_array_equal(values(a + c), values(c + a))
    chain1, chain2 = values(sa.scale(sa.scale(a, b), c)), values(sa.scale(sa.scale(a, c), b))
    close(chain1, chain2, size=size_a * size_b * abs(c))


@SETTINGS
@given(
    schedules(),
    f32(-2.0, 2.0),
    f32(0.0, 2.0),
)
def test_clip_stays_within_bounds(s, low, span):
    high = low + span
    got = values(sa.clip(s, low=low, high=high))
    assert np.all(got >= np.float32(low)) and np.all(got <= np.float32(high))
    plain = values(s)
    inside = (plain >= np.float32(low)) & (plain <= np.float32(high))
    close(got[inside], plain[inside], size=np.abs(plain).max())


@settings(SETTINGS, max_examples=10)
@given(schedules(depth=1), st.integers(1, 7))
def test_stretch_by_integer_factor_replays_schedule(s, k):
    t = T[:300]
    # the stretched clock is a float (t / k), the plain one an integer: equal to rounding
    a, b = values(sa.stretch(s, k), k * t), values(s, t)
    close(a, b, size=np.abs(b).max(initial=0.0))


lipschitz = st.one_of(  # no infinite slopes (1-sqrt, exponents < 1): an ulp moves little
    st.builds(sa.linear, number, number, length),
    st.builds(sa.cosine, number, number, length),
    st.builds(sa.one_cycle, number, number, number, st.integers(4, 400)),
    st.builds(sa.wsd, number, st.integers(0, 50), st.integers(0, 50), length),
)


@SETTINGS
@given(lipschitz, st.floats(0.3, 5.0))
def test_stretch_by_any_factor_replays_smooth_schedule_closely(s, k):
    # k * t rounds, so the stretched clock is t within an ulp: close, not bit-equal.
    t = np.arange(0, 300).astype(np.float32)
    got = values(sa.stretch(s, k), np.float32(k) * t)
    np.testing.assert_allclose(got, values(s, t), rtol=1e-4, atol=1e-4)


@SETTINGS
@given(schedules())
def test_parse_of_repr_is_value_exact(s):
    text = repr(s)
    back = sa.parse(text)
    assert repr(back) == text
    np.testing.assert_array_equal(values(back), values(s))


@SETTINGS
@given(schedules())
def test_from_dict_of_to_dict_is_value_exact_through_json(s):
    data = json.loads(json.dumps(sa.to_dict(s)))
    back = sa.from_dict(data)
    assert repr(back) == repr(s)
    np.testing.assert_array_equal(values(back), values(s))


@SETTINGS
@given(schedules())
def test_batched_copy_round_trips_leaf_for_leaf(s):
    # Same structure and the same numbers in every leaf: the same values, row by row.
    batch = sa.stack([s, s])
    for back in (sa.parse(repr(batch)), sa.from_dict(json.loads(json.dumps(sa.to_dict(batch))))):
        assert sa.batch_shape(back) == (2,)
        assert jax.tree_util.tree_structure(back) == jax.tree_util.tree_structure(batch)
        for got, want in zip(jax.tree_util.tree_leaves(back), jax.tree_util.tree_leaves(batch)):
            assert np.shape(got) == np.shape(want)
            np.testing.assert_array_equal(np.asarray(got, np.float64), np.asarray(want, np.float64))
