"""Eager calls (concrete step and leaves) run one jitted program per tree structure and
step bucket: the values are those of the traced call, bit for bit, and traced calls are
untouched."""

import contextlib
import importlib.util
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import schedalg as sa
from schedalg import _core
from schedalg.compat import timm


def _sibling(name):
    """A module of this folder (tests import with importlib: no package)."""
    path = pathlib.Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_extremes = _sibling("test_extremes.py")
_random_trees = _sibling("test_random_trees.py")
CATALOGUE = _extremes.catalogue()
IDS = [name for name, _, _ in CATALOGUE]

_traced = jax.jit(lambda s, t: s(t))


@contextlib.contextmanager
def compilations():
    """Counts XLA compilations (of anything: a primitive run op by op compiles too)."""
    seen = []

    def listen(name, secs, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            seen.append(name)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        yield seen
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)


def same(eager, traced, what=""):
    assert isinstance(eager, jax.Array), what
    assert (eager.dtype, eager.shape) == (traced.dtype, traced.shape), what
    np.testing.assert_array_equal(np.asarray(eager), np.asarray(traced), what, strict=True)


def test_catalogue_at_its_boundaries():
    """Every class and option, at the steps next to each place its formula changes."""
    top = [999_999, 2**31 - 1]
    probes = [np.asarray(_extremes._probes(b, top), np.int32) for _, _, b in CATALOGUE]
    schedules = tuple(s for _, s, _ in CATALOGUE)
    traced = jax.jit(lambda ss, ts: [s(t) for s, t in zip(ss, ts)])(schedules, probes)
    for (name, s, _), t, reference in zip(CATALOGUE, probes, traced):
        same(s(t), reference, name)


STEPS = {
    "python_int": 700,
    "python_float": 700.5,
    "numpy_int64_scalar": np.int64(1001),
    "jnp_arange": jnp.arange(1203),
    "numpy_int64": np.arange(0, 3000, 7),
    "numpy_float": np.linspace(0.0, 2500.0, 77),
    "numpy_uint8": np.arange(200, dtype=np.uint8),
    "two_d": jnp.arange(5 * 60).reshape(5, 60) * 11,
    "list": [0, 5, 100, 1000, 4999],
    "empty": jnp.zeros((0,), jnp.int32),
}
SOME = ["cyclic", "piecewise_linear", "warmup_over", "restart_mult2", "restart_limit", "join"]


@pytest.mark.parametrize("kind", list(STEPS))
def test_every_kind_of_step(kind):
    step = STEPS[kind]
    reference = step if isinstance(step, (int, float)) else jnp.asarray(step)
    for name, s, _ in CATALOGUE:
        if name in SOME:
            same(s(step), _traced(s, reference))


def test_x64_keeps_float64_and_wide_steps():
    with jax.enable_x64(True):
        for name, s, _ in CATALOGUE:
            if name not in SOME:
                continue
            wide = jax.tree.map(lambda x: np.asarray(x, np.float64) if _is_float(x) else x, s)
            for step in (np.arange(0, 3000, 7), 2**40 + 3, jnp.arange(50, dtype=jnp.int64)):
                same(wide(step), _traced(wide, jnp.asarray(step)))
            assert wide(np.arange(3)).dtype == jnp.float64


def _is_float(x):
    return np.asarray(x).dtype.kind == "f"


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(_random_trees.trees)
def test_random_trees_eager_equals_traced(s):
    """The eager call is the compiled program at the bucket's length (16 for these 13
    steps), bit for bit. XLA's own compiled values may differ by an ulp with the array
    length alone (vectorized or not), as this test found: jit(join(restart(linear(1.0,
    0.468, 63), limit=1), ...)) at step 2 gives 0.9831127 for 3, 12 or 13 steps and
    0.98311275 for 4, 8, 16 or 1024; so against the exact length, ulps of the values'
    size (a ramp ending near 0 cancels: ulps of its start, not of its small value)."""
    steps = _random_trees.STEPS
    padded = np.concatenate([steps, np.full(16 - steps.size, steps[-1], steps.dtype)])
    values = s(steps)
    same(values, _traced(s, jnp.asarray(padded))[: steps.size], repr(s))
    exact = np.asarray(_traced(s, jnp.asarray(steps)))
    ulps = 4 * 2.0**-24
    atol = ulps * np.abs(exact).max() + 1e-37
    np.testing.assert_allclose(values, exact, rtol=ulps, atol=atol, err_msg=repr(s))
    assert np.all(np.isfinite(values)) and np.all(np.asarray(values) >= 0), repr(s)


def test_batched_leaves_broadcast_against_steps():
    t = np.arange(0, 2000, 13)
    column = sa.warmup(sa.cosine(np.array([[1.0], [0.5], [0.1]]), 0.0, 1000), [[10], [0], [99]])
    same(column(t), _traced(column, jnp.asarray(t)))
    assert column(t).shape == (3, t.size)
    # Leaves of the steps' own shape pair elementwise: no padding may change that.
    paired = sa.linear(0.0, 1.0, np.arange(1, t.size + 1))
    same(paired(t), _traced(paired, jnp.asarray(t)))
    milestones = sa.multistep(1.0, [[10, 300], [20, 400]], 0.5)  # batch of two vectors
    same(milestones(t[:, None]), _traced(milestones, jnp.asarray(t[:, None])))
    assert milestones(t[:, None]).shape == (t.size, 2)


def test_first_call_compiles_once_and_later_calls_not_at_all():
    def build(peak):  # a structure no other test uses: a fresh cache entry
        return sa.restart(sa.warmup(sa.cosine(peak, 0.0, 91), 9), mult=3) + 1e-6

    t1000, t1003 = jnp.arange(1000), jnp.arange(1003)  # (arange itself compiles)
    with compilations() as first:
        a = build(0.1)(t1000)
    with compilations() as later:
        b = build(0.2)(t1003)  # new numbers, new length in the bucket of 1024
        build(0.3)(np.arange(517, 1517))
    with compilations() as scalars:
        c = build(0.2)(7)
        build(0.4)(8)  # Python ints share one bucket
    assert (len(first), len(later), len(scalars)) == (1, 0, 1)
    same(a, _traced(build(0.1), t1000))
    same(b, _traced(build(0.2), t1003))
    same(c, _traced(build(0.2), 7))


def test_custom_function_is_part_of_the_key():
    one = sa.custom(lambda t, base: base / (1.0 + t), base=1.0)
    two = sa.custom(lambda t, base: base * t, base=1.0)
    t = jnp.arange(4)
    np.testing.assert_allclose(one(t), [1.0, 0.5, 1 / 3, 0.25], rtol=1e-7)
    np.testing.assert_array_equal(two(t), [0.0, 1.0, 2.0, 3.0])
    assert _core._pointwise(one) is False  # user code: evaluated at the exact shape


def test_traced_calls_take_the_plain_path():
    s = sa.warmup(sa.cosine(1.0, 0.0, 90), 10)
    jaxpr = jax.make_jaxpr(lambda t: s(t))(jnp.arange(8))
    names = [str(e.params.get("name", "")) for e in jaxpr.eqns]
    assert "_compiled" not in names  # no nested eager program in a user's trace
    assert float(jax.grad(lambda p: sa.cosine(p, 0.0, 100)(50))(2.0)) == pytest.approx(0.5)
    lanes = jax.vmap(lambda w: sa.warmup(sa.constant(1.0), w)(5))(jnp.array([10, 20]))
    np.testing.assert_allclose(lanes, [0.5, 0.25])
    # A concrete schedule and step inside a user's jit: a value in the trace, no error.
    assert float(jax.jit(lambda: s(5))()) == float(s(5)) == 0.5
    with jax.disable_jit():
        same(s(jnp.arange(20)), _traced(s, jnp.arange(20)))


def test_padding_only_for_unbatched_trees():
    assert _core._pointwise(sa.multistep(1.0, [10, 20], 0.5))  # a vector leaf is not a batch
    assert _core._pointwise(sa.join(sa.linear(0.0, 1.0, 10), sa.constant(1.0)))
    assert not _core._pointwise(sa.warmup(sa.cosine([1.0, 2.0], 0.0, 10), 5))
    assert not _core._pointwise(sa.multistep(1.0, [[10, 20]], 0.5))


@pytest.mark.parametrize("x64", [False, True])
def test_initial_is_the_value_at_step_0(x64):
    """A warmup's target: the shortcut of a primitive equals its value at step 0."""
    with jax.enable_x64(x64):
        cases = [
            sa.cosine(1.0, 0.1, 1000, exponent=2.0),
            sa.cosine(-0.0, 3.0, 7.5),  # a signed zero and a float length
            sa.cosine([1.0, 2.0], -1.0, [[10], [20], [30]], exponent=[[0.5], [1.0], [3.0]]),
            sa.linear(0.0, 1.0, 100),
            sa.linear([-0.0, 2.0], 1.0, [[1], [2]]),
            sa.polynomial(1.0, 0.0, 1000, power=[2.0, 0.5]),
        ]
        # Lengths constructors refuse, as traced or batched leaves may still carry them.
        cases += [
            _core.evolve(sa.cosine(1.0, 0.25, 10), steps=0),
            _core.evolve(sa.linear(1.0, 0.25, 3), steps=-2),
            _core.evolve(sa.polynomial(1.0, 0.25, 10, power=2.0), steps=0.0),
        ]
        cases += [s for name, s, _ in CATALOGUE if name.startswith(("restart", "warmup"))]
        cases += [
            sa.restart(sa.cosine([1.0, 0.5], 0.1, 10), [[10], [15]], mult=1.5, decay=0.5),
            sa.restart(sa.linear(1.0, 0.0, 10), decay=[0.5, 0.0], floor=0.1, limit=2),
            timm.CosineLRScheduler(
                0.1,
                50,
                lr_min=1e-5,
                cycle_mul=2.0,
                cycle_decay=0.5,
                cycle_limit=3,
                warmup_t=5,
                warmup_lr_init=1e-4,
            ).schedule,  # the restart under the warmup, with a floor
            timm.CosineLRScheduler(0.1, 50, lr_min=1e-5, cycle_decay=0.5, cycle_limit=2),
        ]
        initial = jax.jit(lambda ss: [s._initial() for s in ss])(cases)
        at_zero = jax.jit(lambda ss: [s(0) for s in ss])(cases)
        for s, a, b in zip(cases, initial, at_zero):
            same(a, b, repr(s))
        assert float(at_zero[6]) == 0.25  # a cosine of 0 steps is at its end from step 0
