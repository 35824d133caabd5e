"""Extremes: the largest int32 step, 2**40 under x64, negative steps, zero lengths.

Expected values are the formulas evaluated in Python float64 with exact integer
arithmetic for floors and cycle positions.
"""

import dataclasses
import math
from fractions import Fraction

import jax
import numpy as np
import pytest

import schedalg as sa
from schedalg import _core
from tests.catalogue import CATALOGUE, reference, stored

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


# ----------------------------------------------------------------------------
# Every schedule class at 0, 1, its boundaries +-1, 2**31 - 1 and 2**40, against the
# float64 reference of each class in tests/catalogue.py (exact integers for floors and
# cycles).


def catalogue():
    """(id, schedule, boundaries): the variants of tests/catalogue.py, each class at least
    once, each option that changes the formula at least once; the boundaries are where
    the formula changes."""
    return [v for entry in CATALOGUE.values() for v in entry.variants]


def _probes(boundaries, top):
    near = {b + d for b in boundaries for d in (-1, 0, 1)}
    return sorted({0, 1, *near, *top} - {-1})


def _check_catalogue(top, int_dtype, dtype, rtol, atol):
    named = catalogue()
    probes = [np.asarray(_probes(b, top), int_dtype) for _, _, b in named]
    schedules = tuple(s for _, s, _ in named)
    jitted = jax.jit(lambda ss, ts: [s(t) for s, t in zip(ss, ts)])(schedules, probes)
    bad = []
    for (name, s, _), t, in_jit in zip(named, probes, jitted):
        want = reference(stored(s, dtype), t)
        for how, got in (("eager", s(t)), ("jit", in_jit)):
            got = np.asarray(got)
            ok = np.isclose(got, want, rtol=rtol, atol=atol) & np.isfinite(got)
            if got.dtype != dtype or not ok.all():
                bad.append(f"{name} ({how}, {got.dtype}) at {t[~ok]}: {got[~ok]} != {want[~ok]}")
    assert not bad, "\n".join(bad)


def test_every_schedule_class_is_in_the_catalogue():
    objects = [getattr(sa, n) for n in sa.__all__]
    classes = {c.__name__ for c in objects if isinstance(c, type) and issubclass(c, sa.Schedule)}
    classes.discard("Schedule")
    kinds = set()
    for _, s, _ in catalogue():
        kinds |= {type(x).__name__ for x in _nodes(s)}
    assert classes - kinds == set()


def _nodes(s):
    yield s
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        for child in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(child, sa.Schedule):
                yield from _nodes(child)


def test_every_schedule_at_zero_one_boundaries_and_int32_max():
    _check_catalogue([MAX32], np.int32, np.float32, rtol=1e-6, atol=1e-7)


def test_every_schedule_at_zero_one_boundaries_and_2_pow_40_under_x64(x64):
    _check_catalogue([MAX32, 2**40], np.int64, np.float64, rtol=1e-6, atol=1e-12)


# ----------------------------------------------------------------------------
# Growing restarts: every cycle boundary up to 2**31 - 1, in float32/int32.


def _cycle(t, period, mult):
    """(k, local, length) of the cycle holding t; cycle j lasts period * mult**j."""
    if mult == 1:
        k = t // period
        return k, t - k * period, period
    k, start, length = 0, 0, period
    while t >= start + length:
        start, length, k = start + length, length * mult, k + 1
    return k, t - start, length


def _cycle_starts(period, mult, top=MAX32):
    """The start of every cycle up to ``top`` (Python integers)."""
    starts, start, length = [], 0, period
    while start <= top:
        starts.append(start)
        start, length = start + length, length * mult
    return starts


def _boundary_steps(period, mult):
    near = {s + d for s in _cycle_starts(period, mult) for d in (-1, 0, 1)}
    return np.asarray(sorted(x for x in near if 0 <= x <= MAX32), np.int32)


# (period, mult) as given to restart; whole numbers, some of them as floats.
GROWING = [(1000, 2), (7, 2), (1000, 3), (7, 3), (1000, 2.0), (1000.0, 2.0), (1, 2), (7, 1000)]


@pytest.mark.parametrize("period, mult", GROWING, ids=str)
def test_growing_restart_puts_every_boundary_step_in_its_cycle(period, mult):
    t = _boundary_steps(int(period), int(mult))
    cycles = [_cycle(int(x), int(period), int(mult)) for x in t]
    want_k = np.array([k for k, _, _ in cycles], np.float64)
    want_local = np.array([local for _, local, _ in cycles], np.float64)
    want_length = np.array([length for _, _, length in cycles], np.float64)
    jitted = jax.jit(_core.cycle_index)(t, period, mult)
    for how, (k, local, length) in (("eager", _core.cycle_index(t, period, mult)), ("jit", jitted)):
        np.testing.assert_array_equal(k, want_k, err_msg=how)
        np.testing.assert_array_equal(local, want_local.astype(np.float32), err_msg=how)
        np.testing.assert_allclose(length, want_length, rtol=1e-6, err_msg=how)
    # The values: a linear ramp 1 -> 0 in each cycle reads the local clock directly.
    s = sa.restart(sa.linear(1.0, 0.0, 1000), period=period, mult=mult, decay=0.5)
    want = np.array([0.5**k * (1.0 - local / length) for k, local, length in cycles])
    for how, got in (("eager", s(t)), ("jit", _call(s, t))):
        assert got.dtype == np.float32
        np.testing.assert_allclose(
            np.asarray(got) / 0.5**want_k, want / 0.5**want_k, rtol=1e-6, atol=1e-6, err_msg=how
        )


def test_growing_restart_issue_example_beyond_2_pow_24():
    s = sa.restart(sa.cosine(1.0, 0.0, 1000), mult=2.0)
    # 32_767_000 = 1000 * (2**15 - 1) starts cycle 15: the step before ends cycle 14.
    assert float(s(np.int32(32_766_999))) == pytest.approx(0.0, abs=1e-6)
    assert float(s(np.int32(32_767_000))) == 1.0
    assert float(_call(s, np.int32(32_766_999))) == pytest.approx(0.0, abs=1e-6)


def test_restart_limit_counts_cycles_exactly_at_huge_steps():
    # period 1000, mult 2: cycle k starts at 1000 * (2**k - 1); limit=21 ends at 2_097_151_000.
    s = sa.restart(sa.linear(1.0, 0.5, 1000), mult=2, decay=0.5, limit=21)
    s20, s21 = 1000 * (2**20 - 1), 1000 * (2**21 - 1)
    t = np.array([s20 - 1, s20, s21 - 1, s21, MAX32], np.int32)
    want = [0.5**19 * 0.5, 0.5**20, 0.5**20 * 0.5, 0.5**20 * 0.5, 0.5**20 * 0.5]
    for got in (s(t), _call(s, t)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


# ----------------------------------------------------------------------------
# One step before the end of a long ramp: ``steps - t`` is exact, so the value is
# start * 1/steps-ish there, not the end value that float32's ``t / steps`` rounds to.

LONG = [3 * 10**7, 2**31 - 2]


def _long_ramps(n):
    """(id, schedule, float64 value at step n - 1)."""
    x = 1.0 / n  # the fraction left one step before the end
    d = 1.0 / (n - 100)  # the same for a decay of n - 100 steps after 100 stable ones
    q = 1.0 / (n - n // 4)  # one_cycle's fall after pct_up = 0.25
    h = n / 2  # three-phase: the tail after 2 * 0.25 * n

    def half_cos(r):  # (1 + cos(pi * (1 - r))) / 2
        return math.sin(math.pi * r / 2) ** 2

    floats = []  # a float length (the issue's linear(1e-3, 0, 3e7)) where float32 holds it
    if float(np.float32(n)) == n:
        floats = [("linear_float_steps", sa.linear(1e-3, 0.0, float(n)), 1e-3 * x)]
    return floats + [
        ("linear", sa.linear(1e-3, 0.0, n), 1e-3 * x),
        ("cosine", sa.cosine(1e-3, 0.0, n), 1e-3 * half_cos(x)),
        ("cosine_exponent", sa.cosine(1e-3, 0.0, n, exponent=0.5), 1e-3 * half_cos(x) ** 0.5),
        ("polynomial", sa.polynomial(1e-3, 0.0, n, power=2.0), 1e-3 * x**2),
        ("wsd_linear", sa.wsd(1.0, 0, 100, n - 100), d),
        ("wsd_cosine", sa.wsd(1.0, 0, 100, n - 100, decay_shape="cosine"), half_cos(d)),
        ("wsd_1-sqrt", sa.wsd(1.0, 0, 100, n - 100, decay_shape="1-sqrt"), 1 - math.sqrt(1 - d)),
        ("warmup_linear", sa.warmup(sa.constant(0.0), n, start=1e-3), 1e-3 * x),
        (
            "warmup_cosine",
            sa.warmup(sa.constant(0.0), n, start=1e-3, shape="cosine"),
            1e-3 * half_cos(x),
        ),
        (
            "warmup_exponential",
            sa.warmup(sa.constant(1.0), n, start=1e-3, shape="exponential"),
            1e-3**x,
        ),
        ("warmup_constant", sa.warmup(sa.constant(0.0), n, start=1e-3, shape="constant"), 1e-3),
        ("one_cycle_cos", sa.one_cycle(0.5, 1e-3, 0.0, n, pct_up=0.25), 1e-3 * half_cos(q)),
        (
            "one_cycle_linear",
            sa.one_cycle(0.5, 1e-3, 0.0, n, pct_up=0.25, shape="linear"),
            1e-3 * q,
        ),
        (
            "one_cycle_three_phase",
            sa.one_cycle(1e-3, 1.0, 0.0, n, pct_up=0.25, shape="linear", three_phase=True),
            1e-3 / (n - h),
        ),
    ]


@pytest.mark.parametrize("n", LONG)
def test_long_ramps_one_step_before_the_end_match_float64(n):
    cases = _long_ramps(n)
    t = np.array([n - 1, n], np.int32)
    schedules = tuple(s for _, s, _ in cases)
    jitted = jax.jit(lambda ss, t: [s(t) for s in ss])(schedules, t)
    bad = []
    for (name, s, want), in_jit in zip(cases, jitted):
        end = float(reference(stored(s, np.float32), n))
        for how, got in (("eager", s(t)), ("jit", in_jit)):
            got = np.asarray(got, np.float64)
            if not (got[0] == pytest.approx(want, rel=1e-5) and got[1] == end):
                bad.append(f"{name} ({how}): got {got.tolist()}, want [{want!r}, {end!r}]")
    assert not bad, "\n".join(bad)


def test_linear_issue_example_does_not_end_a_step_early():
    s = sa.linear(1e-3, 0.0, 3e7)
    assert float(s(np.int32(29_999_999))) == pytest.approx(1e-3 / 3e7, rel=1e-6)
    assert float(s(np.int32(30_000_000))) == 0.0


def test_whole_float_lengths_are_exact_at_large_steps():
    # 3e7 is a float32, but 29_999_999 rounds to it: comparisons and floors stay integer.
    t = np.array([29_999_999, 30_000_000, MAX32], np.int32)
    many = np.arange(1.0, 40.0, dtype=np.float32) * 1e6  # > 32 knots: the binary search
    cases = [
        (sa.multistep(1.0, [3e7], 0.5), [1.0, 0.5, 0.5]),
        (sa.piecewise_constant([3e7], [1.0, 2.0]), [1.0, 2.0, 2.0]),
        (sa.piecewise_constant(many, np.arange(40.0)), [29.0, 30.0, 39.0]),
        (sa.join(sa.constant(1.0), sa.constant(2.0), boundaries=[3e7]), [1.0, 2.0, 2.0]),
        (sa.step(1.0, 3e7, 0.5), [1.0, 0.5, 0.5**71]),
        (sa.warmup(sa.constant(2.0), 3e7, start=1.0, shape="constant"), [1.0, 2.0, 2.0]),
        (sa.wsd(1.0, 0, 3e7, 10, end=0.5, decay_shape="linear"), [1.0, 1.0, 0.5]),
        (
            # The cycles are exact; the replayed clock is a float (exact below 2**24).
            sa.restart(sa.linear(1.0, 0.0, 1e7)),
            [1e-7, 1.0, 1 - (MAX32 % 10_000_000) / 1e7],
        ),
    ]
    for s, want in cases:
        for got in (s(t), _call(s, t)):
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=repr(s))


def test_lengths_past_int32_without_x64_are_float32_leaves_above_every_step():
    s = sa.cosine(1000.0, 0.0, 10**10)
    assert np.asarray(s.steps).dtype == np.float32 and s.steps == 1e10
    # 2**31 + 5 rounds to 2**31 in float32, where int32's top rounds too: stored above it.
    for big in (2**31, 2**31 + 5, np.int64(2**31 + 100)):
        m = sa.multistep(1.0, [10, big], 0.5)
        assert m.milestones.dtype == np.float32 and m.milestones[1] > 2**31
        got = [_call(m, np.int32(MAX32)), m(np.int32(MAX32)), _call(sa.warmup(m, big), MAX32)]
        assert [float(x) for x in got] == [0.5, 0.5, pytest.approx(MAX32 / float(m.milestones[1]))]
    # No answer is right past float32's range: refused.
    with pytest.raises(ValueError, match=r"^cosine: steps must fit in float32, got steps=10{40}"):
        sa.cosine(1.0, 0.0, 10**40)


def test_lengths_past_int64_under_x64_are_float64_leaves(x64):
    s = sa.linear(1.0, 0.0, 2**64)
    assert np.asarray(s.steps).dtype == np.float64
    assert float(s(np.int64(2**62))) == pytest.approx(0.75)


@pytest.mark.parametrize("period, mult", [(1000, 1.5), (7, 1.5), (333.25, 1.25), (1000.5, 2.0)])
def test_fractional_restart_cycles_hold_the_documented_float_precision(period, mult):
    # Fractional period or mult: float starts, good to a relative 1e-6 (cycle_index).
    p, m = Fraction(float(np.float32(period))), Fraction(float(np.float32(mult)))
    starts, start, length = [], Fraction(0), p
    while start <= MAX32:
        starts.append(start)
        start, length = start + length, length * m
    near = {math.floor(s) + d for s in starts for d in (-2, -1, 0, 1, 2)}
    middle = {math.floor(a + (b - a) / 3) for a, b in zip(starts, starts[1:])}
    t = np.array(sorted(x for x in near | middle if 0 <= x <= MAX32), np.int32)
    k, local, _ = jax.jit(_core.cycle_index)(t, period, mult)
    for x, got_k, got_local in zip(t.tolist(), np.asarray(k), np.asarray(local)):
        want = max(j for j, s in enumerate(starts) if s <= x)
        if min(abs(x - s) for s in starts) > 1e-6 * x + 1:
            assert got_k == want, x
        if got_k == want:
            assert got_local == pytest.approx(float(x - starts[want]), rel=1e-6, abs=1e-6 * x)
