"""Every primitive against its formula written independently in NumPy float64.

Each case is checked under x64 over thousands of steps plus the steps just before, at
and after every boundary and far past the end: eagerly, under ``jax.jit`` (the schedule
is an argument) and under ``jax.vmap`` over two stacked parameter sets. A float32 run
checks the default dtype against the same references with a float32 tolerance.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# ----------------------------------------------------------------------------
# NumPy float64 references, written from the formulas (not from the library).


def np_linear(t, start, end, steps):
    t = np.asarray(t, np.float64)
    return np.where(t < steps, start + (end - start) * t / steps, end)


def np_cosine(t, start, end, steps, exponent=1.0):
    t = np.minimum(np.asarray(t, np.float64), steps)
    return end + (start - end) * (0.5 * (1.0 + np.cos(np.pi * t / steps))) ** exponent


def np_polynomial(t, start, end, steps, power=1.0):
    t = np.minimum(np.asarray(t, np.float64), steps)
    return end + (start - end) * (1.0 - t / steps) ** power


def np_exponential(t, start, rate, steps=1, staircase=False, end=None):
    t = np.asarray(t)
    p = (t // steps).astype(np.float64) if staircase else t / steps
    v = start * rate**p
    if end is not None:
        v = np.maximum(v, end) if rate < 1 else np.minimum(v, end)
    return v


def np_step(t, start, every, factor):
    return start * factor ** (np.asarray(t) // every).astype(np.float64)


def np_multistep(t, start, milestones, factor):
    count = sum((np.asarray(t) >= m).astype(np.int64) for m in milestones)
    return start * factor ** count.astype(np.float64)


def np_piecewise_constant(t, boundaries, values):
    return np.asarray(values, np.float64)[np.searchsorted(boundaries, t, side="right")]


def np_piecewise_linear(t, boundaries, values):
    return np.interp(np.asarray(t, np.float64), boundaries, values)


def np_inverse_sqrt(t, peak, timescale):
    return peak / np.sqrt(np.maximum(1.0, np.asarray(t, np.float64) / timescale))


def np_inverse_time(t, start, rate, steps, staircase=False):
    t = np.asarray(t)
    p = (t // steps).astype(np.float64) if staircase else t / steps
    return start / (1.0 + rate * p)


def np_cyclic(t, low, high, up, down=None, mode="triangular", gamma=1.0):
    """PyTorch CyclicLR's formulation: cycle counted from 1, x the position in it."""
    down = up if down is None else down
    t = np.asarray(t)
    total = up + down
    cycle = (t // total + 1).astype(np.float64)
    x = (t % total) / total  # = 1 + t / total - cycle, without the cancellation
    ratio = up / total
    scale = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
    if mode == "triangular2":
        scale = scale / 2.0 ** (cycle - 1.0)
    elif mode == "exp_range":
        scale = scale * gamma**t
    return low + (high - low) * scale


def _ratio(num, den):
    """num / den clipped to [0, 1]; a phase of zero length is complete (1)."""
    return np.clip(num / den, 0.0, 1.0) if den > 0 else np.ones_like(num)


def _np_anneal(start, end, frac, shape):
    if shape == "cos":
        return end + (start - end) * 0.5 * (1.0 + np.cos(np.pi * frac))
    return start + (end - start) * frac


def np_one_cycle(t, start, peak, end, steps, pct_up=0.3, shape="cos", three_phase=False):
    t = np.asarray(t, np.float64)
    u = pct_up * steps
    rise = _np_anneal(start, peak, _ratio(t, u), shape)
    if not three_phase:
        fall = _np_anneal(peak, end, _ratio(t - u, steps - u), shape)
        return np.where(t < u, rise, fall)
    back = _np_anneal(peak, start, _ratio(t - u, u), shape)
    tail = _np_anneal(start, end, _ratio(t - 2 * u, steps - 2 * u), shape)
    return np.where(t < u, rise, np.where(t < 2 * u, back, tail))


def np_wsd(t, peak, warmup, stable, decay, end=0.0, decay_shape="linear", start=0.0):
    t = np.asarray(t, np.float64)
    x = np.clip((t - warmup - stable) / decay, 0.0, 1.0)
    if decay_shape == "linear":
        fall = peak + (end - peak) * x
    elif decay_shape == "cosine":
        fall = end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * x))
    elif decay_shape == "exponential":
        fall = peak * (end / peak) ** x
    else:
        fall = end + (peak - end) * (1.0 - np.sqrt(x))
    rise = start + (peak - start) * t / max(warmup, 1)
    return np.where(t < warmup, rise, np.where(t < warmup + stable, peak, fall))


# ----------------------------------------------------------------------------
# The cases: (id, constructor, two parameter sets, reference, boundaries).
# Each parameter set is (args, kwargs); boundaries are the steps where the formula
# changes, checked at b - 1, b and b + 1.

CASES = [
    ("constant", sa.constant, [((0.3,), {}), ((-2.5,), {})], None, []),
    ("linear_up", sa.linear, [((0.0, 1.0, 1000), {}), ((0.1, 0.7, 3000), {})], np_linear, [1000]),
    ("linear_down", sa.linear, [((1.0, 0.1, 999), {}), ((0.3, 0.0, 7), {})], np_linear, [999]),
    (
        "cosine",
        sa.cosine,
        [((1.0, 0.1, 2000), {}), ((3e-4, 1e-5, 777), {})],
        np_cosine,
        [2000, 777],
    ),
    (
        "cosine_exponent",
        sa.cosine,
        [((1.0, 0.1, 1500), {"exponent": 2.0}), ((0.5, 0.0, 900), {"exponent": 0.5})],
        np_cosine,
        [1500, 900],
    ),
    (
        "polynomial",
        sa.polynomial,
        [((1.0, 0.01, 1200), {"power": 2.0}), ((0.1, 0.0, 3333), {"power": 0.5})],
        np_polynomial,
        [1200, 3333],
    ),
    (
        "exponential",
        sa.exponential,
        [((1.0, 0.5, 700), {}), ((0.1, 0.96, 100), {})],
        np_exponential,
        [700],
    ),
    (
        "exponential_staircase",
        sa.exponential,
        [((1.0, 0.5, 250), {"staircase": True}), ((0.1, 0.9, 100), {"staircase": True})],
        np_exponential,
        [250, 500, 750, 100, 200, 300],
    ),
    (
        "exponential_end",
        sa.exponential,
        [((1.0, 0.5, 300), {"end": 0.1}), ((0.1, 0.99, 10), {"end": 0.05})],
        np_exponential,
        [997, 690],
    ),
    (
        "exponential_growth_end",
        sa.exponential,
        [((0.01, 2.0, 500), {"end": 0.5}), ((0.1, 1.5, 100), {"end": 1.0})],
        np_exponential,
        [2822, 568],
    ),
    ("step", sa.step, [((1.0, 300, 0.5), {}), ((0.1, 7, 0.9), {})], np_step, [300, 600, 7, 14]),
    (
        "multistep",
        sa.multistep,
        [((1.0, [100, 1000, 2500], 0.1), {}), ((0.5, [0, 1000, 1000], 0.5), {})],
        np_multistep,
        [100, 1000, 2500],
    ),
    (
        "piecewise_constant",
        sa.piecewise_constant,
        [(([100, 2000], [1.0, 0.5, 0.1]), {}), (([0, 1500], [3.0, 2.0, -1.0]), {})],
        np_piecewise_constant,
        [100, 1500, 2000],
    ),
    (
        "piecewise_linear",
        sa.piecewise_linear,
        [(([50, 1000, 3000], [0.0, 1.0, 0.1]), {}), (([0, 10, 2000], [1.0, 2.0, 0.5]), {})],
        np_piecewise_linear,
        [50, 1000, 3000, 10, 2000],
    ),
    (
        "inverse_sqrt",
        sa.inverse_sqrt,
        [((1.0, 500), {}), ((0.01, 37), {})],
        np_inverse_sqrt,
        [500, 37],
    ),
    (
        "inverse_time",
        sa.inverse_time,
        [((1.0, 0.5, 100), {}), ((0.1, 2.0, 7), {})],
        np_inverse_time,
        [100, 7],
    ),
    (
        "inverse_time_staircase",
        sa.inverse_time,
        [((1.0, 0.5, 100), {"staircase": True}), ((0.1, 2.0, 7), {"staircase": True})],
        np_inverse_time,
        [100, 200, 7, 14],
    ),
    (
        "cyclic_triangular",
        sa.cyclic,
        [((0.1, 1.0, 200), {}), ((0.01, 0.05, 150), {})],
        np_cyclic,
        [200, 400, 150, 300],
    ),
    (
        "cyclic_asymmetric",
        sa.cyclic,
        [((0.1, 1.0, 200, 600), {}), ((0.01, 0.05, 150, 450), {})],
        np_cyclic,
        [200, 800, 150, 600],
    ),
    (
        "cyclic_triangular2",
        sa.cyclic,
        [
            ((0.1, 1.0, 200, 200), {"mode": "triangular2"}),
            ((0.0, 1.0, 50, 150), {"mode": "triangular2"}),
        ],
        np_cyclic,
        [200, 400, 800, 50, 200],
    ),
    (
        "cyclic_exp_range",
        sa.cyclic,
        [
            ((0.1, 1.0, 200, 200), {"mode": "exp_range", "gamma": 0.999}),
            ((0.0, 1.0, 50, 150), {"mode": "exp_range", "gamma": 0.9995}),
        ],
        np_cyclic,
        [200, 400, 50, 200],
    ),
    (
        "cyclic_inverted",  # high < low: the momentum cycle
        sa.cyclic,
        [((0.95, 0.85, 300), {}), ((0.9, 0.8, 100), {})],
        np_cyclic,
        [300, 600, 100, 200],
    ),
    (
        "one_cycle_cos",
        sa.one_cycle,
        [((0.04, 1.0, 4e-6, 3000), {}), ((0.95, 0.85, 0.95, 1000), {"pct_up": 0.25})],
        np_one_cycle,
        [900, 3000, 250, 1000],
    ),
    (
        "one_cycle_linear",
        sa.one_cycle,
        [
            ((0.04, 1.0, 0.0, 2000), {"shape": "linear"}),
            ((0.1, 0.5, 0.01, 999), {"shape": "linear", "pct_up": 0.5}),
        ],
        np_one_cycle,
        [600, 2000, 499, 500, 999],
    ),
    (
        "one_cycle_three_phase",
        sa.one_cycle,
        [
            ((0.04, 1.0, 1e-4, 3000), {"three_phase": True}),
            ((0.1, 0.5, 0.0, 1000), {"three_phase": True, "pct_up": 0.5}),
        ],
        np_one_cycle,
        [900, 1800, 3000, 500, 1000],
    ),
    (
        "one_cycle_three_phase_linear",
        sa.one_cycle,
        [
            ((0.04, 1.0, 1e-4, 3000), {"three_phase": True, "shape": "linear"}),
            ((0.1, 0.5, 0.0, 1000), {"three_phase": True, "pct_up": 0.2, "shape": "linear"}),
        ],
        np_one_cycle,
        [900, 1800, 3000, 200, 400, 1000],
    ),
    (
        "wsd_linear",
        sa.wsd,
        [((1.0, 100, 2000, 500), {}), ((0.3, 0, 0, 1000), {"end": 0.01})],
        np_wsd,
        [100, 2100, 2600, 1000],
    ),
    (
        "wsd_cosine",
        sa.wsd,
        [
            ((1.0, 100, 2000, 500), {"decay_shape": "cosine", "end": 0.1}),
            ((0.3, 10, 0, 1000), {"decay_shape": "cosine"}),
        ],
        np_wsd,
        [100, 2100, 2600, 10, 1010],
    ),
    (
        "wsd_1_sqrt",
        sa.wsd,
        [
            ((1.0, 100, 2000, 500), {"decay_shape": "1-sqrt"}),
            ((0.3, 0, 700, 1000), {"decay_shape": "1-sqrt", "end": 0.02}),
        ],
        np_wsd,
        [100, 2100, 2600, 700, 1700],
    ),
    (
        "wsd_exponential_from_a_floor",
        sa.wsd,
        [
            ((1.0, 100, 2000, 500), {"decay_shape": "exponential", "end": 1e-3, "start": 0.1}),
            ((0.3, 7, 0, 1000), {"decay_shape": "exponential", "end": 0.03, "start": 0.03}),
        ],
        np_wsd,
        [100, 2100, 2600, 7, 1007],
    ),
]

IDS = [c[0] for c in CASES]


def _steps(boundaries):
    """Thousands of consecutive steps, each boundary +-1, and far past the end.

    Always the same length (boundaries padded by repetition), so the compiled
    programs are shared between cases.
    """
    near = [b + d for b in boundaries for d in (-1, 0, 1)] or [0]
    near = (near * 24)[:24]
    far = [7919, 10**5, 10**6 + 3]
    return np.concatenate([np.arange(4000), near, far]).astype(np.int64)


# Module-level so every case with the same structure reuses one compiled program.
_call = jax.jit(lambda s, t: s(t))
_vcall = jax.jit(jax.vmap(lambda s, t: s(t), in_axes=(0, None)))


def _as_float32(x):
    """Float parameters rounded to float32: what a float32 schedule actually holds."""
    if isinstance(x, float):
        return float(np.float32(x))
    if isinstance(x, (list, tuple)):
        return type(x)(_as_float32(v) for v in x)
    return x


def _reference(ref, params, t, float32=False):
    args, kwargs = params
    if float32:
        args, kwargs = _as_float32(args), {k: _as_float32(v) for k, v in kwargs.items()}
    if ref is None:  # constant
        return np.full(t.shape, args[0], np.float64)
    return ref(t, *args, **kwargs)


def _evaluate_three_ways(fn, sets, t):
    """(eager first row, jitted rows, vmapped batch) for the parameter sets."""
    schedules = [fn(*args, **kwargs) for args, kwargs in sets]
    eager = [np.asarray(schedules[0](t))]  # op by op: costly to compile, so one row
    jitted = [np.asarray(_call(s, t)) for s in schedules]
    batched = np.asarray(_vcall(sa.stack(schedules), t))
    return eager, jitted, batched


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_primitive_matches_float64_formula_eager_jit_vmap(case, x64):
    _, fn, sets, ref, boundaries = case
    t = _steps(boundaries)
    eager, jitted, batched = _evaluate_three_ways(fn, sets, t)
    assert eager[0].dtype == np.float64
    np.testing.assert_allclose(eager[0], _reference(ref, sets[0], t), rtol=1e-12, atol=1e-14)
    for i, params in enumerate(sets):
        want = _reference(ref, params, t)
        np.testing.assert_allclose(jitted[i], want, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(batched[i], want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_primitive_float32_by_default_matches_formula(case):
    _, fn, sets, ref, boundaries = case
    t = _steps(boundaries).astype(np.int32)
    s = fn(*sets[0][0], **sets[0][1])
    got = np.asarray(_call(s, t))
    assert got.dtype == np.float32
    want = _reference(ref, sets[0], t, float32=True)
    np.testing.assert_allclose(got, want, rtol=3e-6, atol=3e-7 * np.max(np.abs(want)))


# ----------------------------------------------------------------------------
# Named edge cases.


@pytest.mark.parametrize(
    "s, end",
    [
        (sa.linear(0.1, 0.7, 10), 0.7),
        (sa.cosine(0.7, 0.1, 10, exponent=3.0), 0.1),
        (sa.polynomial(0.3, 0.1, 10, power=2.0), 0.1),
        (sa.one_cycle(0.1, 1.0, 0.03, 10), 0.03),
        (sa.one_cycle(0.1, 1.0, 0.03, 10, three_phase=True, shape="linear"), 0.03),
        (sa.wsd(0.7, 2, 2, 6, end=0.1, decay_shape="1-sqrt"), 0.1),
        (sa.wsd(0.7, 2, 2, 6, end=0.1, decay_shape="cosine"), 0.1),
    ],
)
def test_decay_end_value_is_exact_at_and_after_steps(s, end):
    # DESIGN: "the end value of a decay is reached exactly at step == steps and held after"
    got = np.asarray(s(np.arange(10, 40)))
    assert np.all(got == np.float32(end))


@pytest.mark.parametrize(
    "s, start",
    [
        (sa.linear(0.1, 0.7, 10), 0.1),
        (sa.cosine(0.7, 0.1, 10), 0.7),
        (sa.cosine(0.7, 0.1, 10, exponent=0.3), 0.7),
        (sa.polynomial(0.3, 0.1, 10, power=2.0), 0.3),
        (sa.one_cycle(0.13, 1.0, 0.03, 10), 0.13),
        (sa.cyclic(0.13, 0.9, 10), 0.13),
    ],
)
def test_start_value_is_exact_at_step_zero(s, start):
    assert float(s(0)) == float(np.float32(start))


def test_step_counts_milestones_with_exact_integers():
    s = sa.step(1.0, 3, 0.5)
    assert [float(s(t)) for t in (0, 2, 3, 5, 6, 9)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_multistep_repeated_milestone_counts_twice():
    s = sa.multistep(1.0, [5, 5, 8], 0.5)
    assert [float(s(t)) for t in (4, 5, 7, 8)] == [1.0, 0.25, 0.25, 0.125]


def test_piecewise_constant_value_at_boundary_belongs_to_next_piece():
    s = sa.piecewise_constant([10, 20], [3.0, 2.0, 1.0])
    assert [float(s(t)) for t in (9, 10, 19, 20)] == [3.0, 2.0, 2.0, 1.0]


def test_piecewise_constant_single_value_is_constant_with_zero_duration():
    s = sa.piecewise_constant([], [0.25])
    assert np.all(np.asarray(s(np.arange(5))) == 0.25)
    assert int(s.duration) == 0


def test_piecewise_linear_repeated_boundary_makes_a_jump():
    s = sa.piecewise_linear([0, 10, 10, 20], [0.0, 1.0, 5.0, 6.0])
    got = [float(s(t)) for t in (5, 9, 10, 15, 20, 30)]
    np.testing.assert_allclose(got, [0.5, 0.9, 5.0, 5.5, 6.0, 6.0], rtol=1e-6)


def test_piecewise_linear_holds_first_value_before_first_knot():
    s = sa.piecewise_linear([100, 200], [0.5, 1.0])
    assert float(s(0)) == 0.5 and float(s(99)) == 0.5
    assert float(s(150)) == 0.75 and float(s(10**6)) == 1.0


def test_piecewise_linear_many_knots_uses_search_and_matches_interp(x64):
    # Above 32 knots the lookup switches to a binary search: same values.
    knots = np.cumsum(np.arange(1, 61))
    values = np.sin(knots / 100.0)
    s = sa.piecewise_linear(knots, values)
    t = np.arange(0, 2000)
    np.testing.assert_allclose(np.asarray(s(t)), np.interp(t, knots, values), rtol=1e-12)
    m = sa.multistep(1.0, knots, 0.9)
    np.testing.assert_allclose(np.asarray(m(t)), np_multistep(t, 1.0, knots, 0.9), rtol=1e-12)


def test_exponential_bound_is_floor_for_decay_and_ceiling_for_growth():
    assert float(sa.exponential(1.0, 0.5, end=0.2)(100)) == pytest.approx(0.2)
    assert float(sa.exponential(0.1, 2.0, end=0.4)(100)) == pytest.approx(0.4)
    assert float(sa.exponential(0.1, 2.0, end=0.4)(1)) == pytest.approx(0.2)


def test_cyclic_inverted_cycle_dips_to_high():
    s = sa.cyclic(0.95, 0.85, 10)
    assert float(s(0)) == pytest.approx(0.95)
    assert float(s(10)) == pytest.approx(0.85)
    assert float(s(20)) == pytest.approx(0.95)
    assert float(s(5)) == pytest.approx(0.9)


def test_cyclic_triangular2_halves_amplitude_each_cycle():
    s = sa.cyclic(0.0, 1.0, 5, 5, mode="triangular2")
    assert [float(s(t)) for t in (5, 15, 25, 35)] == [1.0, 0.5, 0.25, 0.125]


def test_one_cycle_momentum_is_anticorrelated_with_lr():
    lr = sa.one_cycle(0.04, 1.0, 4e-6, 100)
    momentum = sa.one_cycle(0.95, 0.85, 0.95, 100)
    t = np.arange(0, 101)
    a, m = np.asarray(_call(lr, t)), np.asarray(_call(momentum, t))
    assert np.argmax(a) == np.argmin(m) == 30
    assert np.all(np.sign(np.diff(a)) == -np.sign(np.diff(m)))


def test_wsd_zero_warmup_and_zero_stable_starts_decaying_at_once():
    s = sa.wsd(1.0, 0, 0, 10)
    assert [float(s(t)) for t in (0, 5, 10, 11)] == [1.0, 0.5, 0.0, 0.0]
    assert s.duration == 10


def test_inverse_time_zero_rate_is_constant():
    s = sa.inverse_time(0.3, 0.0, 10)
    assert np.all(np.asarray(s(np.arange(100))) == np.float32(0.3))


@pytest.mark.parametrize(
    "s, duration",
    [
        (sa.constant(1.0), None),
        (sa.linear(0.0, 1.0, 17), 17),
        (sa.cosine(1.0, 0.0, 17), 17),
        (sa.polynomial(1.0, 0.0, 17), 17),
        (sa.exponential(1.0, 0.5, 17), None),
        (sa.step(1.0, 17, 0.5), None),
        (sa.multistep(1.0, [5, 17], 0.5), 17),
        (sa.piecewise_constant([5, 17], [1.0, 0.5, 0.1]), 17),
        (sa.piecewise_linear([5, 17], [1.0, 0.5]), 17),
        (sa.inverse_sqrt(1.0, 17), None),
        (sa.inverse_time(1.0, 0.5, 17), None),
        (sa.cyclic(0.1, 1.0, 17), None),
        (sa.one_cycle(0.1, 1.0, 0.0, 17), 17),
        (sa.wsd(1.0, 2, 10, 5), 17),
    ],
)
def test_primitive_duration(s, duration):
    if duration is None:
        assert s.duration is None
    else:
        assert int(s.duration) == duration


# ----------------------------------------------------------------------------
# Zero lengths (bug 6): one rule for every length of a piece. A piece of length 0 is
# allowed, contributes nothing and gives its end value from step 0 (eagerly, traced,
# with finite gradients). Periods and time constants stay > 0.


def _tanh_end(start, end, upper):
    return end + (start - end) * 0.5 * (1.0 - math.tanh(upper))


ZERO = [
    ("linear", lambda n: sa.linear(0.3, 0.9, n), 0.9),
    ("cosine", lambda n: sa.cosine(0.9, 0.2, n), 0.2),
    ("cosine_exponent", lambda n: sa.cosine(0.9, 0.2, n, exponent=2.5), 0.2),
    ("polynomial", lambda n: sa.polynomial(0.9, 0.2, n, power=0.5), 0.2),
    ("tanh", lambda n: sa.tanh(0.9, 0.2, n, lower=-1.0, upper=1.0), _tanh_end(0.9, 0.2, 1.0)),
    ("one_cycle", lambda n: sa.one_cycle(0.1, 1.0, 0.05, n), 0.05),
    (
        "one_cycle_three_phase",
        lambda n: sa.one_cycle(0.1, 1.0, 0.05, n, three_phase=True, shape="linear"),
        0.05,
    ),
    ("wsd", lambda n: sa.wsd(1.0, n, n, n, end=0.05, start=0.3), 0.05),
    ("wsd_cosine", lambda n: sa.wsd(1.0, n, n, n, end=0.05, decay_shape="cosine"), 0.05),
    ("wsd_1_sqrt", lambda n: sa.wsd(1.0, n, n, n, end=0.05, decay_shape="1-sqrt"), 0.05),
    ("wsd_exp", lambda n: sa.wsd(1.0, n, n, n, end=0.05, decay_shape="exponential"), 0.05),
    ("warmup", lambda n: sa.warmup(sa.constant(0.7), n, start=0.1), 0.7),
    ("warmup_1_sqrt", lambda n: sa.warmup(sa.constant(0.7), n, start=0.1, shape="1-sqrt"), 0.7),
    ("warmup_llm_c", lambda n: sa.warmup(sa.constant(0.7), n, ramp="(t+1)/W"), 0.7),
    ("warmup_nanogpt", lambda n: sa.warmup(sa.constant(0.7), n, ramp="(t+1)/(W+1)"), 0.7),
    ("cooldown", lambda n: sa.cooldown(sa.constant(0.7), n, n), 0.0),
    ("cooldown_cosine", lambda n: sa.cooldown(sa.constant(0.7), n, n, shape="cosine"), 0.0),
    ("cooldown_1_sqrt", lambda n: sa.cooldown(sa.constant(0.7), n, n, shape="1-sqrt"), 0.0),
    ("join", lambda n: sa.join(sa.linear(0.0, 0.5, n), sa.cosine(0.5, 0.1, n)), 0.1),
]
ZERO_AT = np.array([0, 1, 100], np.int32)


@pytest.mark.parametrize("make, end", [z[1:] for z in ZERO], ids=[z[0] for z in ZERO])
def test_zero_length_piece_gives_its_end_from_step_zero(make, end):
    s = make(0)  # bug 6: linear(0.0, 1.0, 0) raised while warmup(s, 0) worked
    want = np.full(3, np.float32(end))
    traced = jax.jit(lambda n: make(n)(ZERO_AT))(0)  # built inside jit: a traced 0
    for how, got in (("eager", s(ZERO_AT)), ("jit", _call(s, ZERO_AT)), ("traced", traced)):
        got = np.asarray(got)
        assert got.dtype == np.float32, how
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=how)
    # Gradients with respect to every number in it, lengths included, are finite.
    leaves, tree = jax.tree.flatten(s)
    floats = [jnp.asarray(x, jnp.float32) for x in leaves]
    grads = jax.grad(lambda ls: jnp.sum(jax.tree.unflatten(tree, ls)(ZERO_AT)))(floats)
    assert all(np.all(np.isfinite(np.asarray(g))) for g in grads), grads


def test_zero_length_pieces_in_a_join_contribute_nothing():
    s = sa.join(sa.cosine(1.0, 0.2, 10), sa.linear(5.0, 9.0, 0), sa.polynomial(7.0, 0.3, 0))
    assert int(s.duration) == 10
    assert at_steps(s, 9, 10, 11, 1000)[1:] == [np.float32(0.3)] * 3


def at_steps(s, *steps):
    return np.asarray(_call(s, np.asarray(steps, np.int32))).tolist()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: sa.exponential(1.0, 0.5, 0), "exponential: steps must be > 0"),
        (lambda: sa.inverse_time(1.0, 0.5, 0), "inverse_time: steps must be > 0"),
        (lambda: sa.step(1.0, 0, 0.5), "step: every must be > 0"),
        (lambda: sa.inverse_sqrt(1.0, 0), "inverse_sqrt: timescale must be > 0"),
        (lambda: sa.cyclic(0.1, 1.0, 0), "cyclic: up must be > 0"),
        (lambda: sa.cyclic(0.1, 1.0, 10, 0), "cyclic: down must be > 0"),
        (lambda: sa.restart(sa.linear(1.0, 0.0, 10), 0), "restart: period must be > 0"),
        (lambda: sa.per_epoch(sa.constant(1.0), 0), "per_epoch: steps_per_epoch must be > 0"),
    ],
)
def test_periods_and_time_constants_stay_positive(make, message):
    # Not the length of a piece: 0 would mean an infinitely fast clock, not "nothing".
    with pytest.raises(ValueError, match=message):
        make()


# ----------------------------------------------------------------------------
# Validation: ValueError naming the function, the parameter and the value.

BAD = [
    (lambda: sa.linear(0.0, 1.0, -5), "linear", "steps", "-5"),
    (lambda: sa.linear(float("nan"), 1.0, 5), "linear", "start", "nan"),
    (lambda: sa.linear(0.0, float("inf"), 5), "linear", "end", "inf"),
    (lambda: sa.cosine(1.0, 0.0, -1), "cosine", "steps", "-1"),
    (lambda: sa.cosine(1.0, 0.0, 10, exponent=0.0), "cosine", "exponent", "0.0"),
    (lambda: sa.cosine(1.0, 0.0, [10, -2]), "cosine", "steps", "-2"),
    (lambda: sa.polynomial(1.0, 0.0, 10, power=-1.0), "polynomial", "power", "-1.0"),
    (lambda: sa.polynomial(1.0, 0.0, -0.5), "polynomial", "steps", "-0.5"),
    (lambda: sa.exponential(1.0, 0.0), "exponential", "rate", "0.0"),
    (lambda: sa.exponential(1.0, -0.5), "exponential", "rate", "-0.5"),
    (lambda: sa.exponential(1.0, 0.5, 0), "exponential", "steps", "0"),
    (lambda: sa.exponential(1.0, 0.5, end=float("nan")), "exponential", "end", "nan"),
    (lambda: sa.step(1.0, 0, 0.5), "step", "every", "0"),
    (lambda: sa.step(1.0, 10, -0.5), "step", "factor", "-0.5"),
    (lambda: sa.multistep(1.0, [20, 10], 0.5), "multistep", "milestones", "[20, 10]"),
    (lambda: sa.multistep(1.0, [-1, 10], 0.5), "multistep", "milestones", "-1"),
    (lambda: sa.multistep(1.0, [], 0.5), "multistep", "milestones", "[]"),
    (lambda: sa.piecewise_constant([20, 10], [1, 2, 3]), "piecewise_constant", "boundaries", "20"),
    (lambda: sa.piecewise_constant([10, 20], [1, 2]), "piecewise_constant", "values", "2 values"),
    (lambda: sa.piecewise_linear([0, 20, 10], [1, 2, 3]), "piecewise_linear", "boundaries", "20"),
    (lambda: sa.piecewise_linear([0, 10], [1.0]), "piecewise_linear", "boundaries", "2 and 1"),
    (lambda: sa.piecewise_linear([], []), "piecewise_linear", "boundaries", "[]"),
    (lambda: sa.inverse_sqrt(1.0, 0), "inverse_sqrt", "timescale", "0"),
    (lambda: sa.inverse_time(1.0, -0.1, 10), "inverse_time", "rate", "-0.1"),
    (lambda: sa.inverse_time(1.0, 0.1, 0), "inverse_time", "steps", "0"),
    (lambda: sa.cyclic(0.1, 1.0, 0), "cyclic", "up", "0"),
    (lambda: sa.cyclic(0.1, 1.0, 10, -1), "cyclic", "down", "-1"),
    (lambda: sa.cyclic(0.1, 1.0, 10, mode="triangle"), "cyclic", "mode", "'triangle'"),
    (lambda: sa.cyclic(0.1, 1.0, 10, gamma=0.0), "cyclic", "gamma", "0.0"),
    (lambda: sa.one_cycle(0.1, 1.0, 0.0, -1), "one_cycle", "steps", "-1"),
    (lambda: sa.one_cycle(0.1, 1.0, 0.0, 10, pct_up=0.0), "one_cycle", "pct_up", "0.0"),
    (lambda: sa.one_cycle(0.1, 1.0, 0.0, 10, pct_up=1.5), "one_cycle", "pct_up", "1.5"),
    (
        lambda: sa.one_cycle(0.1, 1.0, 0.0, 10, pct_up=0.6, three_phase=True),
        "one_cycle",
        "pct_up",
        "0.6",
    ),
    (lambda: sa.one_cycle(0.1, 1.0, 0.0, 10, shape="cosine"), "one_cycle", "shape", "'cosine'"),
    (lambda: sa.wsd(1.0, -1, 10, 10), "wsd", "warmup", "-1"),
    (lambda: sa.wsd(1.0, 1, -10, 10), "wsd", "stable", "-10"),
    (lambda: sa.wsd(1.0, 1, 10, -10), "wsd", "decay", "-10"),
    (lambda: sa.wsd(1.0, 1, 10, 10, decay_shape="sqrt"), "wsd", "decay_shape", "'sqrt'"),
    (lambda: sa.wsd(1.0, 1, 10, 10, decay_shape="exponential"), "wsd", "end", "0.0"),
    (lambda: sa.wsd(-1.0, 1, 1, 1, end=0.1, decay_shape="exponential"), "wsd", "peak", "-1.0"),
    (lambda: sa.wsd(1.0, 1, 10, 10, start=float("nan")), "wsd", "start", "nan"),
    (lambda: sa.constant("0.1"), "constant", "value", "'0.1'"),
    (lambda: sa.constant(None), "constant", "value", "None"),
    (lambda: sa.cosine(sa.constant(1.0), 0.0, 10), "cosine", "start", "constant(value=1.0)"),
]


@pytest.mark.parametrize("make, fn, param, value", BAD)
def test_primitive_bad_value_raises_value_error_naming_fn_param_value(make, fn, param, value):
    with pytest.raises(ValueError) as err:
        make()
    message = str(err.value)
    assert message.startswith(f"{fn}: {param}"), message
    assert value in message, message


@pytest.mark.parametrize(
    "make, field, t, want",
    [
        (lambda: sa.cosine(1.0, 0.0, 2**31), "steps", 2**30, 0.5),
        (lambda: sa.multistep(1.0, [10, 2**40], 0.5), "milestones", 2**31 - 1, 0.5),
        (lambda: sa.step(1.0, 2**32, 0.5), "every", 2**31 - 1, 1.0),
    ],
)
def test_int_leaf_beyond_int32_without_x64_becomes_a_float32_leaf(make, field, t, want):
    s = make()  # no wider integer without x64: a float32 leaf (tests/test_extremes.py)
    assert np.asarray(getattr(s, field)).dtype == np.float32
    assert float(s(np.int32(t))) == pytest.approx(want)


def test_int_leaf_beyond_int32_is_fine_under_x64(x64):
    s = sa.cosine(1.0, 0.0, 2**33)
    assert float(s(2**32)) == pytest.approx(0.5)


def test_traced_bad_value_is_not_checked_at_construction():
    # Inside vmap the numbers are unknown: construction must not raise (check() does later).
    f = jax.vmap(lambda steps: sa.cosine(1.0, 0.0, steps)(0))
    got = np.asarray(f(jnp.array([10, 0, -3])))
    assert got.shape == (3,)
    g = jax.jit(lambda rate: sa.exponential(1.0, rate)(1))
    assert np.isfinite(float(g(0.5)))


def test_math_reference_sanity():
    # The references themselves: one hand-computed value each, to catch a broken reference.
    assert np_cosine(50, 1.0, 0.0, 100) == pytest.approx(0.5)
    assert np_cyclic(15, 0.0, 1.0, 10) == pytest.approx(0.5)
    assert np_one_cycle(30, 0.0, 1.0, 0.0, 100) == pytest.approx(1.0)
    assert np_wsd(95, 1.0, 10, 80, 10) == pytest.approx(0.5)
    assert np_polynomial(50, 1.0, 0.0, 100, power=2.0) == pytest.approx(0.25)
    assert np_inverse_sqrt(400, 1.0, 100) == pytest.approx(0.5)
    assert np_exponential(20, 1.0, 0.5, 10) == pytest.approx(0.25)
    assert math.isclose(np_piecewise_linear(15, [0, 10, 20], [0.0, 1.0, 0.5]), 0.75)
