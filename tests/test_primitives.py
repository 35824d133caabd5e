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
from tests.catalogue import CATALOGUE, reference, stored


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# ----------------------------------------------------------------------------
# The cases: every catalogue case (tests/catalogue.py), each two parameter sets of one
# structure, compared with the entry's NumPy float64 reference (written from the
# formulas, not from the library). Boundaries are the steps where the formula changes,
# checked at b - 1, b and b + 1.

CASES = [c for entry in CATALOGUE.values() for c in entry.cases]
IDS = [c.id for c in CASES]


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


def _reference(s, t, float32=False):
    """The reference; with ``float32``, of the parameters a float32 schedule holds."""
    return reference(stored(s, np.float32) if float32 else s, t)


def _evaluate_three_ways(schedules, t):
    """(eager first row, jitted rows, vmapped batch) for the parameter sets."""
    eager = [np.asarray(schedules[0](t))]  # op by op: costly to compile, so one row
    jitted = [np.asarray(_call(s, t)) for s in schedules]
    batched = np.asarray(_vcall(sa.stack(schedules), t))
    return eager, jitted, batched


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_primitive_matches_float64_formula_eager_jit_vmap(case, x64):
    t = _steps(case.boundaries)
    eager, jitted, batched = _evaluate_three_ways(case.schedules, t)
    assert eager[0].dtype == np.float64
    np.testing.assert_allclose(eager[0], _reference(case.schedules[0], t), rtol=1e-12, atol=1e-14)
    for i, s in enumerate(case.schedules):
        want = _reference(s, t)
        np.testing.assert_allclose(jitted[i], want, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(batched[i], want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_primitive_float32_by_default_matches_formula(case):
    t = _steps(case.boundaries).astype(np.int32)
    s = case.schedules[0]
    got = np.asarray(_call(s, t))
    assert got.dtype == np.float32
    want = _reference(s, t, float32=True)
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
    np.testing.assert_allclose(np.asarray(m(t)), reference(m, t), rtol=1e-12)


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


ZERO = [z for entry in CATALOGUE.values() for z in entry.zero]
ZERO_AT = np.array([0, 1, 100], np.int32)


@pytest.mark.parametrize("make, end", [z[1:] for z in ZERO], ids=[z.id for z in ZERO])
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
    assert reference(sa.cosine(1.0, 0.0, 100), 50) == pytest.approx(0.5)
    assert reference(sa.cyclic(0.0, 1.0, 10), 15) == pytest.approx(0.5)
    assert reference(sa.one_cycle(0.0, 1.0, 0.0, 100), 30) == pytest.approx(1.0)
    assert reference(sa.wsd(1.0, 10, 80, 10), 95) == pytest.approx(0.5)
    assert reference(sa.polynomial(1.0, 0.0, 100, power=2.0), 50) == pytest.approx(0.25)
    assert reference(sa.inverse_sqrt(1.0, 100), 400) == pytest.approx(0.5)
    assert reference(sa.exponential(1.0, 0.5, 10), 20) == pytest.approx(0.25)
    assert math.isclose(reference(sa.piecewise_linear([0, 10, 20], [0.0, 1.0, 0.5]), 15), 0.75)
    assert reference(sa.tanh(1.0, 0.0, 100, lower=-1.0, upper=1.0), 50) == pytest.approx(0.5)
