"""The Schedule base: pytree behaviour, dtypes, broadcasting, validation plumbing and the
numeric helpers every schedule shares."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa
from schedalg import _core


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# ----------------------------------------------------------------------------
# Schedules are frozen dataclass pytrees; every number is a leaf.


def test_every_number_is_a_leaf_and_structure_is_static():
    s = sa.warmup(sa.cyclic(0.1, 1.0, 10, mode="triangular2"), 5, shape="cosine")
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(s)[0]]
    assert paths == [
        ".schedule.low",
        ".schedule.high",
        ".schedule.up",
        ".schedule.gamma",
        ".steps",
        ".start",
    ]
    other = sa.warmup(sa.cyclic(0.1, 1.0, 10, mode="triangular"), 5, shape="cosine")
    assert jax.tree_util.tree_structure(s) != jax.tree_util.tree_structure(other)


def test_unflatten_skips_validation_so_any_leaves_flow():
    s = sa.cosine(1.0, 0.0, 10)
    zeros = jax.tree.map(lambda x: 0, s)  # exponent=0 would fail the constructor
    assert isinstance(zeros, sa.cosine) and zeros.steps == 0
    assert repr(zeros) == "cosine(start=0, end=0, steps=0, exponent=0)"


def test_schedules_are_frozen():
    s = sa.cosine(1.0, 0.0, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.steps = 20


CORE = [
    "constant",
    "linear",
    "cosine",
    "polynomial",
    "exponential",
    "step",
    "multistep",
    "piecewise_constant",
    "piecewise_linear",
    "inverse_sqrt",
    "inverse_time",
    "cyclic",
    "one_cycle",
    "wsd",
    "join",
    "warmup",
    "restart",
    "scale",
    "add",
    "clip",
    "shift",
    "stretch",
    "per_epoch",
    "custom",
]


def test_every_core_constructor_is_public_registered_and_a_schedule():
    for name in CORE:
        obj = getattr(sa, name)
        assert name in sa.__all__
        assert issubclass(obj, sa.Schedule), name
        assert _core.REGISTRY[name] is obj


def test_lists_become_arrays_and_scalars_stay_as_given():
    s = sa.multistep(1.0, [10, 20], 0.5)
    assert isinstance(s.milestones, np.ndarray) and s.milestones.dtype.kind == "i"
    assert s.start == 1.0 and isinstance(s.start, float)


def test_required_leaf_cannot_be_none_or_a_schedule():
    with pytest.raises(ValueError, match="linear: steps must be a number, got steps=None"):
        sa.linear(0.0, 1.0, None)
    with pytest.raises(ValueError, match="linear: end must be a number, got the schedule"):
        sa.linear(0.0, sa.constant(1.0), 10)
    assert sa.exponential(1.0, 0.5, end=None).end is None  # optional: None allowed


# ----------------------------------------------------------------------------
# dtype and broadcasting


def test_output_is_float32_by_default_for_any_step_type():
    s = sa.warmup(sa.cosine(1.0, 0.0, 100), 10)
    assert s(5).dtype == jnp.float32
    for step in (np.int32(5), np.int64(5), 5.0, np.float64(5.0), np.uint8(5), jnp.arange(3)):
        assert jax.eval_shape(s, step).dtype == jnp.float32


def test_output_follows_float64_under_x64(x64):
    s = sa.warmup(sa.cosine(1.0, 0.0, 100), 10)
    assert s(5).dtype == jnp.float64
    assert jax.eval_shape(s, np.arange(3, dtype=np.int32)).dtype == jnp.float64


def test_result_shape_broadcasts_leaves_with_step():
    s = sa.linear(np.zeros(3), 1.0, np.full((2, 1), 10))
    assert jax.eval_shape(s, 0).shape == (2, 3)
    assert jax.eval_shape(s, np.zeros((2, 3), int)).shape == (2, 3)
    assert jax.eval_shape(sa.constant(1.0), np.zeros((4, 5), int)).shape == (4, 5)
    assert jax.eval_shape(sa.constant(np.ones(3)), 7).shape == (3,)
    pc = sa.piecewise_constant(np.array([[10], [20]]), np.ones((2, 2)))
    assert jax.eval_shape(pc, np.zeros((2,), int)).shape == (2,)


# ----------------------------------------------------------------------------
# Validation plumbing


def test_require_message_names_function_parameter_rule_and_value():
    with pytest.raises(ValueError) as err:
        _core.require("cosine", "steps", 0, lambda v: v > 0, "> 0")
    assert str(err.value) == "cosine: steps must be > 0, got steps=0"
    with pytest.raises(ValueError, match=r"got steps=\[ ?1, +2, +3, \.\.\., +8, +9, -1\]"):
        _core.require("f", "steps", np.r_[np.arange(1, 10), -1], lambda v: v > 0, "> 0")


def test_require_skips_traced_values():
    @jax.jit
    def f(x):
        _core.require("f", "x", x, lambda v: v > 0, "> 0")
        return x

    assert float(f(-1.0)) == -1.0


def test_require_finite_rejects_text_objects_nan_and_big_ints():
    for bad, rule in [("a", "a number"), (object(), "a number"), (np.nan, "finite")]:
        with pytest.raises(ValueError, match=f"f: p must be {rule}"):
            _core.require_finite("f", "p", bad)
    with pytest.raises(ValueError, match="must fit in int32"):
        _core.require_finite("f", "p", np.array([1, -(2**31) - 1]))
    _core.require_finite("f", "p", -(2**31) + 1)  # fits


# ----------------------------------------------------------------------------
# Numeric helpers


def test_clock_clamps_negative_steps_and_keeps_dtype():
    assert _core.clock(-3).dtype == jnp.int32 and int(_core.clock(-3)) == 0
    assert float(_core.clock(-0.5)) == 0.0
    assert _core.clock(True).dtype == jnp.int32
    assert _core.clock(np.uint32(7)).dtype == jnp.int32
    np.testing.assert_array_equal(_core.clock(np.array([-2, 0, 5])), [0, 0, 5])


def test_floordiv_is_exact_for_integers_and_floors_floats(x64):
    t = np.array([0, 5, 2**62 - 1, 2**62], dtype=np.int64)
    np.testing.assert_array_equal(_core.floordiv(t, 2**61), t // 2**61)
    assert int(_core.floordiv(7, 0)) == 7  # a zero divisor counts as 1, never a crash
    assert float(_core.floordiv(7.5, 2)) == 3.0


def test_fraction_clips_and_treats_zero_length_as_done():
    np.testing.assert_allclose(_core.fraction(jnp.array([-5, 0, 5, 10, 50]), 10), [0, 0, 0.5, 1, 1])
    np.testing.assert_array_equal(_core.fraction(jnp.array([0, 3]), 0), [1.0, 1.0])


def test_safe_pow_values_and_finite_gradients_at_zero():
    np.testing.assert_allclose(
        _core.safe_pow(jnp.array([0.0, 0.25, 1.0]), 0.5), [0.0, 0.5, 1.0], rtol=1e-6
    )
    assert float(_core.safe_pow(0.0, 0.0)) == 1.0
    g_base = jax.grad(lambda b: _core.safe_pow(b, 0.5))(0.0)
    g_exp = jax.grad(lambda e: _core.safe_pow(0.0, e))(0.5)
    assert np.isfinite(float(g_base)) and np.isfinite(float(g_exp))


def test_power_is_one_at_zero_count_with_finite_gradient():
    assert float(_core.power(0.0, 0)) == 1.0
    assert float(_core.power(0.5, 3)) == 0.125
    assert float(jax.grad(lambda f: _core.power(f, 0))(0.0)) == 0.0
    assert float(jax.grad(lambda f: _core.power(f, 1))(0.0)) == 1.0


@pytest.mark.parametrize("shape", ["linear", "cos", "cosine", "1-sqrt", "exponential", "constant"])
def test_anneal_ends_are_exact(shape):
    start, end = np.float32(0.7), np.float32(0.013)
    frac = jnp.array([0.0, 0.5, 1.0])
    got = np.asarray(_core.anneal(start, end, frac, shape))
    assert got[-1] == end
    if shape != "constant":
        assert got[0] == start
        assert min(start, end) <= got[1] <= max(start, end)


def test_anneal_midpoints_follow_their_shapes():
    mid = jnp.array(0.25)
    assert float(_core.anneal(0.0, 1.0, mid, "linear")) == 0.25
    assert float(_core.anneal(0.0, 1.0, mid, "cos")) == pytest.approx(0.5 - 0.5 * np.cos(np.pi / 4))
    assert float(_core.anneal(0.0, 1.0, mid, "1-sqrt")) == pytest.approx(0.5)
    assert float(_core.anneal(1.0, 16.0, mid, "exponential")) == pytest.approx(2.0)
    assert float(_core.anneal(0.3, 1.0, mid, "constant")) == pytest.approx(0.3)


def test_lerp_is_exact_at_both_ends():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (2, 1000)).astype(np.float32)
    np.testing.assert_array_equal(_core.lerp(a, b, jnp.float32(0.0)), a)
    np.testing.assert_array_equal(_core.lerp(a, b, jnp.float32(1.0)), b)


def _walk(steps, period, mult):
    """(k, t - start_k, length_k) for t = 0, 1, ..., steps - 1, cycle by cycle."""
    out, k, start = [], 0, 0.0
    for t in range(steps):
        while t >= start + period * mult**k:
            start += period * mult**k
            k += 1
        out.append((k, t - start, period * mult**k))
    return np.array(out)


@pytest.mark.parametrize("mult", [1, 1.5, 2, 3])
def test_cycle_index_matches_a_walk_through_the_cycles(mult, x64):
    period = 7
    t = np.arange(0, 3000)
    k, local, length = (np.asarray(x) for x in _core.cycle_index(t, period, mult))
    want = _walk(len(t), period, mult)
    np.testing.assert_array_equal(k, want[:, 0])
    np.testing.assert_allclose(local, want[:, 1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(length, want[:, 2], rtol=1e-12)
    starts = np.asarray(_core.geometric_start(period, mult, np.arange(6)))
    np.testing.assert_allclose(starts, [sum(period * mult**j for j in range(i)) for i in range(6)])


def test_max_duration_is_none_when_either_is_unbounded():
    assert _core.max_duration(None, 3) is None and _core.max_duration(3, None) is None
    assert int(_core.max_duration(3, 5)) == 5


@pytest.mark.parametrize("limits", [{"steps": "> 0"}, {"value": "positive"}])
def test_a_class_declaring_an_unknown_limit_fails_when_declared(limits):
    class lopsided(_core.Schedule):  # noqa: N801 - schedule classes are named like functions
        value: float

    lopsided.limits = limits
    with pytest.raises(TypeError, match="lopsided.limits"):
        _core.schedule_class(lopsided)
    assert "lopsided" not in _core.REGISTRY
