"""Batches of schedules: batched leaves against scalar rows, vmap over builders, grad,
stack, grid, batch_shape, check, vector fields built from lists, and compiling once for
any numbers."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import schedalg as sa
from schedalg._core import REGISTRY


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


T = np.arange(0, 1200, 3)
_call = jax.jit(lambda s, t: s(t))  # one compile per schedule structure


def _rows(build, params):
    """Each row's scalar schedule evaluated on its own (the reference for a batch)."""
    return np.stack([np.asarray(sa.evaluate(build(*p), T)) for p in params])


# ----------------------------------------------------------------------------
# Batched leaves equal the scalar schedules row by row.

BATCHED = [
    (
        "peak_and_warmup_and_total",
        lambda peak, w, total: sa.warmup(sa.cosine(peak, 0.0, total), w),
        [(1e-3, 0, 500), (3e-3, 50, 900), (1e-2, 200, 300)],
    ),
    (
        "milestones",
        lambda start, m: sa.multistep(start, m, 0.5),
        [(1.0, [10, 300, 800]), (0.5, [0, 0, 1000]), (2.0, [500, 501, 502])],
    ),
    (
        "restart_period_and_mult",
        lambda period, mult: sa.restart(sa.cosine(1.0, 0.1, 100), period, mult=mult, limit=3),
        [(100, 1.0), (37, 2.0), (250, 1.5)],
    ),
    (
        "join_boundaries",
        lambda b, peak: sa.join(
            sa.linear(0.0, peak, 100), sa.constant(peak), sa.cosine(peak, 0.0, 400), boundaries=b
        ),
        [([100, 400], 1.0), ([50, 50], 2.0), ([300, 900], 0.5)],
    ),
    (
        "wsd_phases",
        lambda w, s, d: sa.wsd(1.0, w, s, d, decay_shape="1-sqrt"),
        [(0, 0, 100), (100, 500, 300), (10, 1000, 1)],
    ),
    (
        "one_cycle_pct_and_steps",
        lambda pct, steps: sa.one_cycle(0.1, 1.0, 1e-3, steps, pct_up=pct, three_phase=True),
        [(0.25, 1000), (0.5, 400), (0.1, 1100)],
    ),
    (
        "piecewise_linear_knots",
        lambda b, v: sa.piecewise_linear(b, v),
        [
            ([0, 100, 1000], [0.0, 1.0, 0.5]),
            ([10, 10, 20], [1.0, 2.0, 3.0]),
            ([0, 1, 2], [5, 4, 3]),
        ],
    ),
    (
        "cyclic_up_down",
        lambda up, down: sa.cyclic(0.1, 1.0, up, down, mode="triangular2"),
        [(10, 10), (100, 300), (7, 1)],
    ),
    (
        "per_epoch_and_step",
        lambda spe, every: sa.per_epoch(sa.step(1.0, every, 0.5), spe),
        [(1, 100), (7, 3), (50, 2)],
    ),
]


@pytest.mark.parametrize("build, params", [c[1:] for c in BATCHED], ids=[c[0] for c in BATCHED])
def test_batched_leaves_equal_scalar_rows_via_evaluate(build, params):
    stacked = sa.stack([build(*p) for p in params])
    assert sa.batch_shape(stacked) == (3,)
    np.testing.assert_allclose(
        np.asarray(sa.evaluate(stacked, T)), _rows(build, params), rtol=2e-6, atol=1e-7
    )
    # The same batch built from arrays directly (leaves (3,) and (3, K)).
    arrays = [np.asarray([p[i] for p in params]) for i in range(len(params[0]))]
    direct = build(*arrays)
    assert sa.batch_shape(direct) == (3,)
    np.testing.assert_allclose(
        np.asarray(sa.evaluate(direct, T)), _rows(build, params), rtol=2e-6, atol=1e-7
    )


def test_vmap_over_builder_with_traced_numbers_matches_rows():
    build = BATCHED[0][1]
    params = BATCHED[0][2]
    peaks, warmups, totals = (jnp.asarray([p[i] for p in params]) for i in range(3))
    got = jax.jit(jax.vmap(lambda p, w, n: build(p, w, n)(T)))(peaks, warmups, totals)
    np.testing.assert_allclose(np.asarray(got), _rows(build, params), rtol=2e-6, atol=1e-7)


def test_vmap_over_builder_of_milestones_and_restart_period():
    def f(m, period):
        return sa.restart(sa.multistep(1.0, m, 0.5), period)(T)

    ms = jnp.asarray([[10, 20], [30, 300]])
    periods = jnp.asarray([40, 500])
    got = np.asarray(jax.jit(jax.vmap(f))(ms, periods))
    want = np.stack([np.asarray(jax.jit(f)(m, p)) for m, p in zip(ms, periods)])
    np.testing.assert_array_equal(got, want)


def test_evaluate_shape_is_batch_then_steps():
    g = sa.grid(lambda a, b: sa.cosine(a, 0.0, b), a=[1.0, 2.0, 3.0], b=[10, 20])
    steps = np.arange(12).reshape(3, 4)
    out = sa.evaluate(g, steps)
    assert out.shape == (3, 2, 3, 4)
    np.testing.assert_allclose(out[2, 1], _call(sa.cosine(3.0, 0.0, 20), steps), rtol=1e-6)
    assert sa.evaluate(g, 5).shape == (3, 2)
    assert sa.evaluate(sa.cosine(1.0, 0.0, 10), steps).shape == (3, 4)


def test_evaluate_broadcasts_leaves_of_different_batch_ranks():
    s = sa.cosine(np.array([1.0, 2.0, 3.0]), 0.0, np.array([[10], [20]]))
    assert sa.batch_shape(s) == (2, 3)
    out = np.asarray(sa.evaluate(s, [0, 5, 10]))
    assert out.shape == (2, 3, 3)
    np.testing.assert_allclose(out[1, 2], _call(sa.cosine(3.0, 0.0, 20), np.array([0, 5, 10])))


def test_direct_call_broadcasts_leaves_with_step():
    s = sa.cosine(np.array([1.0, 2.0, 3.0]), 0.0, 100)
    assert jax.eval_shape(s, 5).shape == (3,)
    assert jax.eval_shape(s, np.array([[0], [50]])).shape == (2, 3)


# ----------------------------------------------------------------------------
# Gradients


def _fd(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_grad_through_peak_and_float_warmup_matches_finite_differences(x64):
    t = jnp.array([37, 250, 299, 301, 700, 1299, 1500])  # ramp, decay, held end

    @jax.jit
    def value(peak, w):
        return sa.warmup(sa.cosine(peak, 1e-4, 1000.0), w)(t)

    peak, w = 3e-3, 300.0
    g_peak, g_w = jax.jit(jax.jacfwd(value, argnums=(0, 1)))(peak, w)
    np.testing.assert_allclose(g_peak, _fd(lambda p: np.asarray(value(p, w)), peak, 1e-6), 1e-6)
    want_w = _fd(lambda x: np.asarray(value(peak, x)), w, 1e-3)
    np.testing.assert_allclose(g_w, want_w, rtol=1e-5, atol=1e-12)
    assert abs(float(g_w[-1])) == 0.0  # past the end nothing moves


def test_grad_through_batched_schedule_is_per_row(x64):
    def total(peaks):
        return jnp.sum(sa.evaluate(sa.cosine(peaks, 0.0, 100), jnp.arange(0, 100)))

    g = jax.grad(total)(jnp.array([1.0, 2.0]))
    want = np.sum(0.5 * (1 + np.cos(np.pi * np.arange(100) / 100)))
    np.testing.assert_allclose(np.asarray(g), [want, want], rtol=1e-12)


GRAD_CASES = {  # name: (builder of a schedule from a float vector, the vector)
    "warmup_cosine": (lambda p: sa.warmup(sa.cosine(p[0], p[1], p[2]), p[3]), [1.0, 0.1, 100, 10]),
    "warmup_zero": (lambda p: sa.warmup(sa.cosine(p[0], p[1], p[2]), p[3]), [1.0, 0.1, 100, 0]),
    "warmup_exp": (
        lambda p: sa.warmup(sa.constant(p[0]), p[2], start=p[1], shape="exponential"),
        [1.0, 0.01, 10.0],
    ),
    "cosine_exponent": (lambda p: sa.cosine(p[0], p[1], p[2], exponent=p[3]), [1, 0.1, 100, 0.5]),
    "polynomial": (lambda p: sa.polynomial(p[0], p[1], p[2], power=p[3]), [1, 0.1, 100, 0.5]),
    "exponential": (lambda p: sa.exponential(p[0], p[1], p[2], end=p[3]), [1.0, 0.5, 10, 0.3]),
    "step_zero_factor": (lambda p: sa.step(p[0], p[2], p[1]), [1.0, 0.0, 10.0]),
    "multistep_zero_factor": (lambda p: sa.multistep(p[0], [10, 20], p[1]), [1.0, 0.0]),
    "wsd_1_sqrt": (lambda p: sa.wsd(*p, decay_shape="1-sqrt"), [1.0, 10.0, 10.0, 10.0]),
    "one_cycle_3": (
        lambda p: sa.one_cycle(*p[:4], pct_up=p[4], three_phase=True),
        [0.1, 1.0, 0.0, 100, 0.5],
    ),
    "cyclic_exp": (
        lambda p: sa.cyclic(*p[:4], mode="exp_range", gamma=p[4]),
        [0.1, 1.0, 10.0, 20.0, 0.99],
    ),
    "restart": (
        lambda p: sa.restart(sa.cosine(p[0], p[1], p[2]), mult=p[3], decay=p[4], limit=3),
        [1.0, 0.1, 10.0, 2.0, 0.0],
    ),
    "join": (
        lambda p: sa.join(sa.linear(0.0, p[0], p[1]), sa.cosine(p[0], 0.0, p[2])),
        [1.0, 10.0, 100.0],
    ),
    "piecewise_linear": (lambda p: sa.piecewise_linear(p[:3], p[3:]), [0, 10, 10, 1, 0.5, 0.2]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad_is_finite_at_every_boundary(name):
    # Every phase edge of the cases lies in 0..130. A NaN or inf in any step's gradient
    # survives the sum, so one gradient of the sum checks them all.
    build, p = GRAD_CASES[name]
    steps = jnp.arange(0, 131)
    value, grad = jax.value_and_grad(lambda p: jnp.sum(build(p)(steps)))(jnp.asarray(p, float))
    assert np.isfinite(float(value))
    assert np.all(np.isfinite(np.asarray(grad))), grad


# ----------------------------------------------------------------------------
# stack, grid, batch_shape


def test_stack_adds_a_leading_axis_and_nests():
    a, b = sa.cosine(1.0, 0.0, 10), sa.cosine(2.0, 0.5, 20)
    s = sa.stack([a, b])
    assert sa.batch_shape(s) == (2,)
    np.testing.assert_array_equal(np.asarray(s.steps), [10, 20])
    assert sa.batch_shape(sa.stack([s, s, s])) == (3, 2)
    m = sa.stack([sa.multistep(1.0, [1, 2], 0.5), sa.multistep(1.0, [3, 4], 0.5)])
    assert np.shape(m.milestones) == (2, 2) and sa.batch_shape(m) == (2,)


@pytest.mark.parametrize(
    "schedules, match",
    [
        ([], "needs at least one schedule"),
        (
            [sa.cosine(1.0, 0.0, 10), sa.linear(1.0, 0.0, 10)],
            "schedule 2 has a different structure",
        ),
        ([sa.cyclic(0.1, 1.0, 10), sa.cyclic(0.1, 1.0, 10, mode="triangular2")], "structure"),
        ([sa.multistep(1.0, [1, 2], 0.5), sa.multistep(1.0, [1], 0.5)], "other shapes"),
    ],
)
def test_stack_rejects_mismatched_schedules(schedules, match):
    with pytest.raises(ValueError, match=match):
        sa.stack(schedules)


def test_grid_is_cartesian_in_keyword_order_with_vector_axes_last():
    def build(peak, m, w):
        return sa.warmup(sa.multistep(peak, m, 0.5), w)

    peaks, ms, ws = [1.0, 2.0], [[10, 20], [15, 30], [5, 40]], [0, 3, 7, 9]
    g = sa.grid(build, peak=peaks, m=ms, w=ws)
    assert sa.batch_shape(g) == (2, 3, 4)
    assert np.shape(g.schedule.milestones) == (2, 3, 4, 2)
    t = np.arange(0, 50, 3)
    out = np.asarray(sa.evaluate(g, t))
    assert out.shape == (2, 3, 4, len(t))
    for i, peak in enumerate(peaks):
        for j, m in enumerate(ms):
            for k, w in enumerate(ws):
                np.testing.assert_array_equal(out[i, j, k], _call(build(peak, m, w), t))


def test_grid_rejects_empty_axes():
    with pytest.raises(ValueError, match="grid: needs at least one axis"):
        sa.grid(sa.constant)
    with pytest.raises(ValueError, match="grid: axis value must list at least one choice"):
        sa.grid(sa.constant, value=[])


def test_grid_stacks_list_built_vectors_on_the_last_axis():
    # The constructor gets whole axis arrays: [w, 2 * w] is one vector per choice of w.
    g = sa.grid(lambda w: sa.multistep(1.0, [w, 2 * w], 0.1), w=[10, 20, 30])
    assert sa.batch_shape(g) == (3,)
    np.testing.assert_array_equal(g.milestones, [[10, 20], [20, 40], [30, 60]])
    t = np.arange(0, 70)
    want = [_call(sa.multistep(1.0, [w, 2 * w], 0.1), t) for w in (10, 20, 30)]
    np.testing.assert_allclose(sa.evaluate(g, t), np.stack(want), rtol=1e-6)

    g = sa.grid(
        lambda a, b: sa.piecewise_constant([a, b], [1.0, 0.5, 0.1]), a=[5, 10], b=[20, 30, 40]
    )
    assert sa.batch_shape(g) == (2, 3) and np.shape(g.boundaries) == (2, 3, 2)
    np.testing.assert_array_equal(g.boundaries[1, 2], [10, 40])


def test_grid_rejects_a_constructor_whose_batch_is_not_the_grid():
    # A whole axis given to a vector field is read as one vector of 3 milestones.
    with pytest.raises(
        ValueError,
        match=r"grid: the constructor returned a schedule of batch shape \(\), expected \(3,\)",
    ):
        sa.grid(lambda m: sa.multistep(1.0, m, 0.1), m=[10, 20, 30])
    with pytest.raises(ValueError, match=r"batch shape \(2, 2\), expected \(2,\)"):
        sa.grid(lambda s: sa.cosine(s, 0.0, 10), s=[[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="grid: the constructor must return a schedule, got 0.5"):
        sa.grid(lambda s: 0.5, s=[1.0, 2.0])


def test_batch_shape_of_scalars_vectors_and_broadcasts():
    assert sa.batch_shape(sa.cosine(1.0, 0.0, 10)) == ()
    assert sa.batch_shape(sa.multistep(1.0, [1, 2, 3], 0.5)) == ()
    assert sa.batch_shape(sa.multistep(1.0, np.zeros((4, 3), int), 0.5)) == (4,)
    assert sa.batch_shape(sa.cosine(np.ones(3), 0.0, np.full((2, 1), 10))) == (2, 3)
    nested = sa.warmup(sa.cosine(np.ones(5), 0.0, 10), np.arange(5))
    assert sa.batch_shape(nested) == (5,)
    with pytest.raises(ValueError, match="batch_shape: leaves do not broadcast"):
        sa.batch_shape(sa.cosine(np.ones(3), 0.0, np.full(4, 10)))


# ----------------------------------------------------------------------------
# Vector fields (rank 1) built from lists of batched or traced numbers

#: A valid call, (args, kwargs), of every class with a vector field.
VECTOR_CALLS = {
    "multistep": ((), dict(start=1.0, milestones=[10, 20], factor=0.5)),
    "piecewise_constant": ((), dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1])),
    "piecewise_linear": ((), dict(boundaries=[0, 10, 20], values=[0.0, 1.0, 0.5])),
    "join": (
        (sa.linear(0.0, 1.0, 10), sa.constant(1.0), sa.cosine(1.0, 0.0, 30)),
        dict(boundaries=[10, 20]),
    ),
}
VECTOR_FIELDS = sorted(
    (name, f.name)
    for name, cls in REGISTRY.items()
    for f in dataclasses.fields(cls)
    if f.metadata.get("rank") == 1
)
TV = np.arange(0, 80)  # past every knot of VECTOR_CALLS scaled by 3
KS = (1, 2, 3)  # each member scales the valid vector by k (sorted and >= 0 stay so)


def _valid(name):
    if name not in VECTOR_CALLS:
        pytest.fail(f"add a valid call of {name} (it has vector fields) to VECTOR_CALLS")
    return VECTOR_CALLS[name]


def _vector_call(name, field, value):
    args, kwargs = _valid(name)
    return REGISTRY[name](*args, **{**kwargs, field: value})


def _scaled_rows(name, field):
    """The reference: the members built from one concrete (len(KS), K) array."""
    base = _valid(name)[1][field]
    return _vector_call(name, field, np.array([[k * x for x in base] for k in KS]))


def test_vector_fields_are_enumerated_from_the_registry():
    known = {("multistep", "milestones"), ("join", "boundaries")}
    known |= {
        (n, f) for n in ("piecewise_constant", "piecewise_linear") for f in ("boundaries", "values")
    }
    assert known <= set(VECTOR_FIELDS)


@pytest.mark.parametrize("name, field", VECTOR_FIELDS)
def test_vector_field_from_a_list_of_tracers_under_vmap(name, field):
    base = _valid(name)[1][field]
    ks = jnp.asarray(KS)
    got = jax.vmap(lambda k: _vector_call(name, field, [k * x for x in base]))(ks)
    want = _scaled_rows(name, field)
    assert np.shape(getattr(got, field)) == (len(KS), len(base))
    np.testing.assert_allclose(np.asarray(getattr(got, field)), getattr(want, field))
    values = jax.vmap(lambda k: _vector_call(name, field, [k * x for x in base])(TV))(ks)
    np.testing.assert_allclose(values, sa.evaluate(want, TV), rtol=1e-6)


@pytest.mark.parametrize("name, field", VECTOR_FIELDS)
def test_vector_field_from_a_list_of_tracers_under_jit(name, field):
    base = _valid(name)[1][field]
    got = jax.jit(lambda k: _vector_call(name, field, [k * x for x in base]))(2)
    want = _vector_call(name, field, [2 * x for x in base])
    np.testing.assert_allclose(np.asarray(getattr(got, field)), getattr(want, field))
    np.testing.assert_allclose(_call(got, TV), _call(want, TV), rtol=1e-6)


@pytest.mark.parametrize("name, field", VECTOR_FIELDS)
def test_vector_field_from_a_list_of_batched_numbers_stacks_on_the_last_axis(name, field):
    base = _valid(name)[1][field]
    want = _scaled_rows(name, field)
    for w in (np.asarray(KS), jnp.asarray(KS)):
        s = _vector_call(name, field, [x * w for x in base])
        assert isinstance(getattr(s, field), np.ndarray)  # concrete: NumPy, as for numbers
        assert sa.batch_shape(s) == (len(KS),)
        np.testing.assert_allclose(getattr(s, field), getattr(want, field))
        np.testing.assert_allclose(sa.evaluate(s, TV), sa.evaluate(want, TV), rtol=1e-6)


def test_vector_list_broadcasts_numbers_against_batched_entries():
    s = sa.multistep(1.0, [5, np.array([10, 20]), np.array([[30], [40]])], 0.5)
    assert sa.batch_shape(s) == (2, 2)
    np.testing.assert_array_equal(s.milestones[1, 0], [5, 10, 40])
    # Plain (nested) numbers keep np.asarray's meaning: rows are the batch.
    rows = sa.multistep(1.0, [[10, 20], [15, 30]], 0.5)
    assert sa.batch_shape(rows) == (2,)
    np.testing.assert_array_equal(rows.milestones, [[10, 20], [15, 30]])


def test_scalar_field_lists_batch_along_the_first_axis_even_when_traced():
    got = jax.jit(lambda a, b: sa.cosine([a, b], 0.0, 10))(1.0, 2.0)
    want = sa.cosine(np.array([1.0, 2.0]), 0.0, 10)
    np.testing.assert_array_equal(np.asarray(got.start), [1.0, 2.0])
    np.testing.assert_allclose(sa.evaluate(got, TV), sa.evaluate(want, TV))
    got = jax.vmap(lambda a: sa.cosine(1.0, 0.0, [a, 2 * a]))(jnp.array([10, 20, 30]))
    assert np.shape(got.steps) == (3, 2)
    np.testing.assert_array_equal(np.asarray(got.steps)[2], [30, 60])
    arrays = sa.cosine([np.ones(3), np.full(3, 2.0)], 0.0, 10)  # rows, as np.asarray
    assert sa.batch_shape(arrays) == (2, 3)


def test_list_built_vectors_round_trip_through_text_and_stack():
    s = sa.multistep(1.0, [np.array([10, 20]), 30], 0.5)
    assert isinstance(s.milestones, np.ndarray)
    text = "multistep(start=1.0, milestones=[[10, 30], [20, 30]], factor=0.5)"
    assert repr(s) == text
    assert repr(sa.parse(text)) == text
    assert repr(sa.from_dict(sa.to_dict(s))) == text
    built = jax.jit(lambda k: sa.multistep(1.0, [10 * k, 30 * k], 0.5))
    stacked = sa.stack([built(1), built(2)])
    assert sa.batch_shape(stacked) == (2,)
    np.testing.assert_array_equal(stacked.milestones, [[10, 30], [20, 60]])


@pytest.mark.parametrize(
    "build",
    [
        lambda: sa.multistep(1.0, [[1, 2], [3]]),
        lambda: sa.multistep(1.0, [np.arange(2), np.arange(3)]),
        lambda: jax.jit(lambda a: sa.multistep(1.0, [[a, 2], [3]]).start)(1),
        lambda: jax.jit(lambda a: sa.piecewise_constant([a, jnp.tile(a, 2)], [1, 2, 3]).values)(
            jnp.arange(2)
        ),
    ],
    ids=["ragged", "unbroadcastable", "ragged_traced", "unbroadcastable_traced"],
)
def test_ragged_vector_lists_are_rejected(build):
    with pytest.raises(ValueError, match="must be a number or a rectangular array of numbers"):
        build()


# ----------------------------------------------------------------------------
# check


def test_check_passes_good_batches_through():
    s = sa.stack([sa.cosine(1.0, 0.0, 10), sa.cosine(2.0, 0.0, 20)])
    assert sa.check(s) is s


def test_check_catches_bad_batched_leaf_and_names_the_path():
    # Built under vmap, the bad row passes construction; check() finds it afterwards.
    bad = jax.vmap(lambda n: sa.warmup(sa.cosine(1.0, 0.0, n), 5))(jnp.array([10, -1, 30]))
    with pytest.raises(ValueError, match=r"warmup\.schedule: cosine: steps must be >= 0"):
        sa.check(bad)
    unsorted = jax.vmap(lambda m: sa.multistep(1.0, m, 0.5))(jnp.array([[1, 2], [5, 3]]))
    with pytest.raises(ValueError, match="multistep: multistep: milestones must be sorted"):
        sa.check(unsorted)
    nan = jax.vmap(lambda w: sa.warmup(sa.constant(1.0), w))(jnp.array([1.0, jnp.nan]))
    with pytest.raises(ValueError, match="warmup: warmup: steps must be finite"):
        sa.check(nan)
    clip = jax.vmap(lambda h: sa.clip(sa.constant(1.0), low=0.5, high=h))(jnp.array([1.0, 0.1]))
    with pytest.raises(ValueError, match="clip: low must be <= high"):
        sa.check(clip)


def test_check_rejects_traced_leaves():
    with pytest.raises(ValueError, match=r"check: cosine\.start is traced"):
        jax.jit(lambda p: sa.check(sa.cosine(p, 0.0, 10)).start)(1.0)


# ----------------------------------------------------------------------------
# No recompilation when only numbers change


def test_jitted_function_taking_schedule_traces_once_for_new_numbers():
    traces = []

    @jax.jit
    def lr_at(schedule, step):
        traces.append(1)  # runs only while tracing
        return schedule(step)

    for peak, w, total in [(1e-3, 100, 1000), (3e-3, 10, 5000), (0.1, 0, 7)]:
        s = sa.warmup(sa.cosine(peak, 0.0, total), w)
        assert float(lr_at(s, 5)) == pytest.approx(float(s(5)), rel=1e-6)
    assert len(traces) == 1
    lr_at(sa.warmup(sa.linear(1e-3, 0.0, 100), 10), 5)  # a new structure does retrace
    assert len(traces) == 2


def test_closure_based_optax_schedule_retraces_for_each_change():
    traces = []

    def lr_at(schedule, step):
        traces.append(1)
        return schedule(step)

    jitted = jax.jit(lr_at, static_argnums=0)  # a closure can only be passed as static
    for peak, w, total in [(1e-3, 100, 1000), (3e-3, 10, 5000), (0.1, 1, 7)]:
        s = optax.warmup_cosine_decay_schedule(0.0, peak, w, total)
        jitted(s, 5)
    assert len(traces) == 3

    def make_train_step(peak):  # the usual pattern: the schedule closed over by the step
        schedule = optax.cosine_decay_schedule(peak, 100)

        @jax.jit
        def train_step(count):
            traces.append(1)
            return schedule(count)

        return train_step

    for peak in (1e-3, 3e-3):
        make_train_step(peak)(5)
    assert len(traces) == 5


def test_evaluate_does_not_recompile_for_new_numbers():
    from schedalg._batch import _evaluate

    steps = np.arange(10)
    sa.evaluate(sa.cosine(1.0, 0.0, 10), steps)
    before = _evaluate._cache_size()
    for peak in (2.0, 3.0, 4.0):
        sa.evaluate(sa.cosine(peak, 0.5, 20), steps)
    assert _evaluate._cache_size() == before
