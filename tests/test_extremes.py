"""Extremes: the largest int32 step, 2**40 under x64, negative steps, zero lengths.

Expected values are the formulas evaluated in Python float64 with exact integer
arithmetic for floors and cycle positions.
"""

import math

import jax
import numpy as np
import pytest

import schedalg as sa

MAX32 = 2**31 - 1
BIG = 2**40 + 12345

_call = jax.jit(lambda s, t: s(t))


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def _cos(start, end, frac):
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * frac))


def cases(t):
    """(id, schedule, float64 value at step t). Lengths that must exceed t are floats
    (2 * t does not fit in an int32); integer lengths divide t exactly or not at all."""
    long = 2.0 * t  # t sits halfway through
    half = t // 2
    return [
        ("constant", sa.constant(0.3), 0.3),
        ("linear_done", sa.linear(1.0, 0.1, 1000), 0.1),
        ("linear_mid", sa.linear(0.0, 1.0, long), 0.5),
        ("cosine_done", sa.cosine(1.0, 0.1, 1000, exponent=2.0), 0.1),
        ("cosine_mid", sa.cosine(1.0, 0.1, long), 0.55),
        ("polynomial_mid", sa.polynomial(1.0, 0.0, long, power=2.0), 0.25),
        ("exponential_end", sa.exponential(1.0, 0.5, 1000, end=0.01), 0.01),
        ("exponential", sa.exponential(1.0, 0.5, half), 0.5 ** (t / half)),
        ("exponential_stairs", sa.exponential(1.0, 0.5, half, staircase=True), 0.25),
        ("step", sa.step(1.0, t // 4, 0.5), 0.5 ** (t // (t // 4))),
        ("step_every_t", sa.step(1.0, t, 0.5), 0.5),
        ("multistep_at", sa.multistep(1.0, [10, t], 0.5), 0.25),
        ("piecewise_constant", sa.piecewise_constant([t], [1.0, 2.0]), 2.0),
        ("piecewise_linear", sa.piecewise_linear([0, long], [0.0, 1.0]), 0.5),
        ("inverse_sqrt", sa.inverse_sqrt(1.0, 100), math.sqrt(100 / t)),
        ("inverse_time", sa.inverse_time(1.0, 1.0, half), 1.0 / (1.0 + t / half)),
        ("inverse_time_stairs", sa.inverse_time(1.0, 1.0, half, staircase=True), 1 / 3),
        ("cyclic", sa.cyclic(0.1, 1.0, 1000, 3000), _cyclic(t, 0.1, 1.0, 1000, 3000)),
        ("cyclic2", sa.cyclic(0.1, 1.0, 1000, mode="triangular2"), 0.1),
        ("cyclic_exp", sa.cyclic(0.1, 1.0, 1000, mode="exp_range", gamma=0.999), 0.1),
        ("one_cycle_done", sa.one_cycle(0.1, 1.0, 1e-4, 1000), 1e-4),
        (
            "one_cycle_mid",  # up to 3t/8, then down: t is 5/9 of the way down
            sa.one_cycle(0.1, 1.0, 0.0, 1.5 * t, pct_up=0.25),
            _cos(1.0, 0.0, 5 / 9),
        ),
        ("wsd_done", sa.wsd(1.0, 100, 1000, 100, end=0.1), 0.1),
        ("wsd_stable", sa.wsd(1.0, 100, long, 100), 1.0),
        ("join_done", sa.join(sa.linear(0.0, 1.0, 100), sa.cosine(1.0, 0.1, 1000)), 0.1),
        (
            "join_mid",
            sa.join(sa.linear(0.0, 1.0, 100), sa.cosine(1.0, 0.1, long)),
            _cos(1.0, 0.1, (t - 100) / long),
        ),
        ("join_boundary_at", sa.join(sa.constant(1.0), sa.constant(2.0), boundaries=[t]), 2.0),
        ("warmup_done", sa.warmup(sa.cosine(1.0, 0.1, 1000), 1000), 0.1),
        ("warmup_ramp", sa.warmup(sa.constant(1.0), long), 0.5),
        ("restart", sa.restart(sa.cosine(1.0, 0.1, 1000)), _cos(1.0, 0.1, (t % 1000) / 1000)),
        ("restart_decay", sa.restart(sa.cosine(1.0, 0.1, 1000), decay=0.5), 0.0),
        ("restart_mult2", sa.restart(sa.cosine(1.0, 0.1, 1000), mult=2), _sgdr(t, 1000, 2)),
        ("restart_limit", sa.restart(sa.cosine(1.0, 0.1, 1000), mult=2, limit=5), 0.1),
        ("shift_back", sa.shift(sa.cosine(1.0, 0.0, 1000), -5000), 0.0),
        ("shift", sa.shift(sa.linear(0.0, 1.0, long), 1000), (t - 1000) / long),
        ("stretch", sa.stretch(sa.linear(0.0, 1.0, t), 2), 0.5),
        ("per_epoch", sa.per_epoch(sa.step(1.0, 1, 0.5), half), 0.25),
        ("clip", sa.clip(sa.linear(1.0, 0.0, 1000), low=0.2), 0.2),
        ("scale", sa.inverse_sqrt(1.0, 100) * 3.0, 3.0 * math.sqrt(100 / t)),
    ]


def _cyclic(t, low, high, up, down):
    p = t % (up + down)
    r = p / up if p <= up else (up + down - p) / down
    return low + (high - low) * r


def _sgdr(t, period, mult):
    k, start = 0, 0
    while t >= start + period * mult**k:
        start += period * mult**k
        k += 1
    return _cos(1.0, 0.1, (t - start) / (period * mult**k))


def _check_all(named_cases, t, dtype, abs_tol):
    """Every case eagerly and, all together, under one jit (one compile, not 43)."""
    schedules = tuple(s for _, s, _ in named_cases)
    jitted = jax.jit(lambda ss, t: [s(t) for s in ss])(schedules, t)
    bad = []
    for (name, s, want), in_jit in zip(named_cases, jitted):
        for how, got in (("eager", s(t)), ("jit", in_jit)):
            ok = got.dtype == dtype and np.isfinite(float(got))
            if not (ok and float(got) == pytest.approx(want, rel=1e-6, abs=abs_tol)):
                bad.append(f"{name} ({how}): got {float(got)!r} ({got.dtype}), want {want!r}")
    assert not bad, "\n".join(bad)


def test_largest_int32_step_matches_float64_formula():
    _check_all(cases(MAX32), np.int32(MAX32), np.float32, 1e-7)


def test_step_2_pow_40_under_x64_matches_float64_formula(x64):
    # Built here, under x64: lengths past 2**31 are rejected without it.
    _check_all(cases(BIG), np.int64(BIG), np.float64, 1e-12)


def test_restart_local_clock_is_exact_at_huge_steps(x64):
    # linear(0, 1000, 1000) reads the local clock itself: t mod 1000, to the unit.
    s = sa.restart(sa.linear(0.0, 1000.0, 1000))
    t = np.array([BIG, BIG + 1, 2**62 + 999, 2**62 + 1000], dtype=np.int64)
    np.testing.assert_array_equal(np.asarray(_call(s, t)), (t % 1000).astype(np.float64))


def test_restart_local_clock_is_exact_at_largest_int32_step():
    s = sa.restart(sa.linear(0.0, 1000.0, 1000))
    t = np.array([MAX32 - 1, MAX32], dtype=np.int32)
    np.testing.assert_array_equal(np.asarray(_call(s, t)), [646.0, 647.0])


def test_step_boundaries_are_exact_where_float32_would_blur_them():
    # float32 cannot tell 2**31 - 2 from 2**31 - 1: integer arithmetic must.
    t = np.array([MAX32 - 2, MAX32 - 1, MAX32], dtype=np.int32)
    np.testing.assert_array_equal(_call(sa.step(1.0, MAX32 - 1, 0.5), t), [1.0, 0.5, 0.5])
    np.testing.assert_array_equal(_call(sa.multistep(1.0, [MAX32], 0.5), t), [1.0, 1.0, 0.5])
    np.testing.assert_array_equal(_call(sa.per_epoch(sa.step(1.0, 1, 0.5), MAX32), t), [1, 1, 0.5])
    two = sa.join(sa.constant(1.0), sa.constant(2.0), boundaries=[MAX32 - 1])
    np.testing.assert_array_equal(_call(two, t), [1.0, 2.0, 2.0])
    cyc = sa.cyclic(0.0, 1.0, 1, MAX32 - 1)  # period 2**31 - 1: the last step restarts
    np.testing.assert_array_equal(_call(cyc, t), np.float32([2, 1, 0]) / np.float32(MAX32 - 1))


def test_shift_back_saturates_instead_of_wrapping():
    s = sa.shift(sa.linear(1.0, 0.0, 10), -10)
    t = np.array([0, MAX32 - 10, MAX32 - 9, MAX32], dtype=np.int32)
    np.testing.assert_array_equal(np.asarray(_call(s, t)), [0.0, 0.0, 0.0, 0.0])
    assert float(_call(s, np.int32(-3))) == 0.0


# ----------------------------------------------------------------------------
# Negative and odd step types


NEGATIVE = [
    sa.linear(0.3, 1.0, 10),
    sa.cosine(1.0, 0.0, 10),
    sa.step(1.0, 3, 0.5),
    sa.multistep(1.0, [0, 5], 0.5),
    sa.piecewise_linear([0, 10], [0.5, 1.0]),
    sa.inverse_sqrt(1.0, 10),
    sa.cyclic(0.1, 1.0, 10),
    sa.one_cycle(0.1, 1.0, 0.0, 100),
    sa.wsd(1.0, 10, 10, 10),
    sa.warmup(sa.cosine(1.0, 0.0, 10), 5, start=0.2),
    sa.join(sa.linear(0.5, 1.0, 10), sa.constant(0.1)),
    sa.restart(sa.cosine(1.0, 0.0, 10), mult=2),
    sa.shift(sa.linear(0.0, 1.0, 10), -3),
    sa.stretch(sa.linear(0.0, 1.0, 10), 3),
    sa.per_epoch(sa.linear(0.0, 1.0, 10), 7),
]


def test_negative_steps_evaluate_as_step_zero():
    t = np.array([-1, -7, -(2**31), 0])
    for s in NEGATIVE:
        got = np.asarray(s(t))
        np.testing.assert_array_equal(got[:3], got[3:].repeat(3), err_msg=repr(s))
    floats = jax.jit(lambda ss: [s(np.array([-0.5, -3.0, 0.0])) for s in ss])(tuple(NEGATIVE))
    for s, got in zip(NEGATIVE, floats):
        np.testing.assert_array_equal(got[:2], np.asarray(got[2:]).repeat(2), err_msg=repr(s))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint32, np.bool_])
def test_narrow_and_unsigned_steps_count_like_int32(dtype):
    # An unsigned step must not wrap when a combinator subtracts an offset from it.
    s = sa.join(sa.shift(sa.linear(0.0, 1.0, 10), 5), sa.constant(2.0), boundaries=[30])
    t = np.array([0, 1, 7, 31] if dtype is not np.bool_ else [0, 1], dtype=dtype)
    want = np.asarray(_call(s, t.astype(np.int32)))
    np.testing.assert_array_equal(np.asarray(_call(s, t)), want)
    assert want[0] == 0.0


# ----------------------------------------------------------------------------
# Zero lengths


def test_zero_length_warmup_is_the_schedule_itself():
    inner = sa.cosine(1.0, 0.1, 50)
    t = np.arange(60)
    for shape in ("linear", "cosine", "constant"):
        np.testing.assert_array_equal(_call(sa.warmup(inner, 0, shape=shape), t), _call(inner, t))
    np.testing.assert_array_equal(_call(sa.warmup(inner, 0, prefix=False), t), _call(inner, t))


def test_wsd_with_zero_warmup_and_zero_stable():
    t = np.arange(0, 12)
    np.testing.assert_allclose(_call(sa.wsd(1.0, 0, 0, 10), t), np.clip(1 - t / 10, 0, 1), 1e-6)
    np.testing.assert_allclose(
        _call(sa.wsd(1.0, 4, 0, 4), t), [0, 0.25, 0.5, 0.75, 1, 0.75, 0.5, 0.25, 0, 0, 0, 0], 1e-6
    )
    np.testing.assert_array_equal(_call(sa.wsd(1.0, 0, 5, 0, end=0.5), t), [1.0] * 5 + [0.5] * 7)


def test_zero_length_pieces_and_phases():
    skip = sa.join(sa.linear(0.0, 1.0, 10), sa.shift(sa.constant(5.0), -3), boundaries=[0])
    assert float(skip(0)) == 5.0
    assert float(sa.one_cycle(0.1, 1.0, 0.5, 10, pct_up=1.0)(10)) == 0.5
    assert float(sa.one_cycle(0.1, 1.0, 0.5, 10, pct_up=0.5, three_phase=True)(10)) == 0.5
    assert float(sa.piecewise_constant([], [0.7])(10**6)) == pytest.approx(0.7)
