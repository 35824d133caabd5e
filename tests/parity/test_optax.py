"""schedalg.compat.optax against optax itself: same names, same arguments, same numbers.

Each constructor gets 25 seeded random configurations (each its own test case), all
evaluated over 400 steps, past the end of every schedule, in one call, plus named edge
cases, a traced (vmapped) batch per constructor, and the batch of 1000 warmup-cosine
schedules that optax's own function cannot vmap.

Tolerance: rtol 1e-6 in float64; atol 1e-12 times the largest value, for the steps where
optax's value is exactly 0 and ours is a rounding error away.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import schedalg as sa
from schedalg.compat import optax as compat

STEPS = np.arange(400)
N_RANDOM = 25


def _close(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = float(np.max(np.abs(want))) or 1.0
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12 * scale)


def _reference(schedule):
    """optax's values over STEPS (vmapped: some of its schedules only take a scalar)."""
    return np.asarray(jax.vmap(schedule)(jnp.asarray(STEPS)))


# ----------------------------------------------------------------------------
# Random configurations. gen(rng, fixed) returns keyword arguments; with fixed=True the
# non-numeric choices (flags, dict keys, None-ness) are the same for every seed, so a
# batch of them can be vmapped.


def _lr(rng):
    return float(10 ** rng.uniform(-4, 0))


def _steps(rng, low=1, high=300):
    return int(rng.integers(low, high))


def _maybe(rng, p, value, otherwise):
    return value if rng.random() < p else otherwise


def _gen_constant(rng, fixed):
    return dict(value=float(rng.uniform(-1, 1)))


def _gen_linear(rng, fixed):
    return dict(
        init_value=_lr(rng),
        end_value=_lr(rng),
        transition_steps=_steps(rng) if fixed else _maybe(rng, 0.15, 0, _steps(rng)),
        transition_begin=int(rng.integers(-10, 100)),
    )


def _gen_polynomial(rng, fixed):
    return dict(_gen_linear(rng, fixed), power=float(rng.uniform(0.2, 4.0)))


def _scales(rng, fixed):
    n = 3 if fixed else int(rng.integers(1, 5))
    keys = [40, 120, 260] if fixed else sorted(rng.choice(300, n, replace=False).tolist())
    return {int(k): float(rng.uniform(0.0, 2.0)) for k in keys}


def _gen_piecewise_constant(rng, fixed):
    return dict(init_value=_lr(rng), boundaries_and_scales=_scales(rng, fixed))


def _gen_piecewise_interpolate(rng, fixed):
    kind = "cosine" if fixed else str(rng.choice(["linear", "cosine"]))
    return dict(
        interpolate_type=kind, init_value=_lr(rng), boundaries_and_scales=_scales(rng, fixed)
    )


def _gen_exponential(rng, fixed):
    rate = float(rng.choice([rng.uniform(0.05, 0.99), rng.uniform(1.01, 1.3)]))
    if not fixed:
        rate = _maybe(rng, 0.1, 0.0, rate)
    init = _lr(rng)
    return dict(
        init_value=init,
        transition_steps=_steps(rng, 5, 100) if fixed else _maybe(rng, 0.1, 0, _steps(rng, 5)),
        decay_rate=rate,
        transition_begin=int(rng.integers(-10, 100)),
        staircase=False if fixed else bool(rng.random() < 0.5),
        end_value=init * float(rng.uniform(0.05, 3.0)) if fixed or rng.random() < 0.5 else None,
    )


def _gen_cosine(rng, fixed):
    return dict(
        init_value=_lr(rng),
        decay_steps=_steps(rng),
        alpha=float(rng.uniform(-0.2, 1.2)),
        exponent=float(rng.uniform(0.5, 3.0)),
    )


def _gen_linear_onecycle(rng, fixed):
    return dict(
        transition_steps=_steps(rng, 1, 300),
        peak_value=_lr(rng),
        pct_start=float(rng.uniform(0.0, 1.0)),
        pct_final=float(rng.uniform(0.0, 1.0)),
        div_factor=float(rng.uniform(2.0, 50.0)),
        final_div_factor=float(10 ** rng.uniform(0, 4)),
    )


def _gen_cosine_onecycle(rng, fixed):
    kwargs = _gen_linear_onecycle(rng, fixed)
    del kwargs["pct_final"]
    return kwargs


def _gen_warmup_constant(rng, fixed):
    w = _steps(rng, 1, 200) if fixed else _maybe(rng, 0.15, 0, _steps(rng, 1, 200))
    return dict(init_value=_lr(rng), peak_value=_lr(rng), warmup_steps=w)


def _gen_warmup_cosine(rng, fixed):
    w = _steps(rng, 0, 150) if fixed else _maybe(rng, 0.15, 0, _steps(rng, 0, 150))
    return dict(
        init_value=_maybe(rng, 0.5, 0.0, _lr(rng)),
        peak_value=_lr(rng) if fixed else _maybe(rng, 0.1, 0.0, _lr(rng)),
        warmup_steps=w,
        decay_steps=w + _steps(rng, 1, 200),
        end_value=_maybe(rng, 0.5, 0.0, _lr(rng) * 0.1),
        exponent=_maybe(rng, 0.5, 1.0, float(rng.uniform(0.5, 3.0))),
    )


def _gen_warmup_exponential(rng, fixed):
    kwargs = _gen_exponential(rng, fixed)
    w = _steps(rng, 1, 150) if fixed else _maybe(rng, 0.15, 0, _steps(rng, 1, 150))
    return dict(
        init_value=_lr(rng),
        peak_value=kwargs.pop("init_value"),
        warmup_steps=w,
        **kwargs,
    )


def _gen_sgdr(rng, fixed):
    n = 3 if fixed else int(rng.integers(1, 5))
    return dict(cosine_kwargs=[_gen_warmup_cosine(rng, True) for _ in range(n)])


def _gen_join(rng, fixed):
    first = dict(name="constant_schedule", kwargs=_gen_constant(rng, True))
    second = dict(name="linear_schedule", kwargs=_gen_linear(rng, True))
    third = dict(name="cosine_decay_schedule", kwargs=_gen_cosine(rng, True))
    b1 = _steps(rng, 0, 150)
    return dict(pieces=[first, second, third], boundaries=[b1, b1 + _steps(rng, 0, 150)])


def _build_join(lib, kwargs):
    pieces = [getattr(lib, p["name"])(**p["kwargs"]) for p in kwargs["pieces"]]
    return lib.join_schedules(pieces, kwargs["boundaries"])


GENERATORS = {
    "constant_schedule": _gen_constant,
    "linear_schedule": _gen_linear,
    "polynomial_schedule": _gen_polynomial,
    "piecewise_constant_schedule": _gen_piecewise_constant,
    "piecewise_interpolate_schedule": _gen_piecewise_interpolate,
    "exponential_decay": _gen_exponential,
    "cosine_decay_schedule": _gen_cosine,
    "linear_onecycle_schedule": _gen_linear_onecycle,
    "cosine_onecycle_schedule": _gen_cosine_onecycle,
    "warmup_constant_schedule": _gen_warmup_constant,
    "warmup_cosine_decay_schedule": _gen_warmup_cosine,
    "warmup_exponential_decay_schedule": _gen_warmup_exponential,
    "sgdr_schedule": _gen_sgdr,
    "join_schedules": _gen_join,
}


def _build(lib, name, kwargs):
    if name == "join_schedules":
        return _build_join(lib, kwargs)
    return getattr(lib, name)(**kwargs)


def test_every_optax_schedule_has_a_compat_constructor():
    # optax.schedules also exports the Schedule types and inject_hyperparams.
    public = [n for n in dir(optax.schedules) if n[0].islower() and "inject" not in n]
    names = {n for n in public if callable(getattr(optax.schedules, n))}
    assert names == set(GENERATORS) == set(compat.__all__)


@pytest.mark.parametrize("seed", range(N_RANDOM))
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_random_config_matches_optax(name, seed):
    kwargs = GENERATORS[name](np.random.default_rng([seed, len(name)]), False)
    ours = _build(compat, name, kwargs)
    assert isinstance(ours, sa.Schedule)
    _close(sa.evaluate(ours, STEPS), _reference(_build(optax.schedules, name, kwargs)))


# ----------------------------------------------------------------------------
# Edge cases by name

EDGE_CASES = [
    ("linear_schedule", dict(init_value=1.0, end_value=0.0, transition_steps=0)),
    ("linear_schedule", dict(init_value=1.0, end_value=0.0, transition_steps=-3)),
    (
        "polynomial_schedule",
        dict(init_value=1.0, end_value=0.1, power=2, transition_steps=100, transition_begin=-5),
    ),
    ("warmup_constant_schedule", dict(init_value=0.5, peak_value=1.0, warmup_steps=0)),
    (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.0, peak_value=1.0, warmup_steps=0, decay_steps=100),
    ),
    (
        "warmup_cosine_decay_schedule",
        dict(init_value=0.1, peak_value=0.0, warmup_steps=10, decay_steps=100, end_value=0.3),
    ),
    ("exponential_decay", dict(init_value=1.0, transition_steps=10, decay_rate=0.0)),
    ("exponential_decay", dict(init_value=1.0, transition_steps=0, decay_rate=0.5)),
    (
        "exponential_decay",
        dict(init_value=1.0, transition_steps=7, decay_rate=0.5, staircase=True, end_value=0.1),
    ),
    (  # the bound applies before the decay begins
        "exponential_decay",
        dict(init_value=1.0, transition_steps=7, decay_rate=0.5, transition_begin=50, end_value=2),
    ),
    (
        "warmup_exponential_decay_schedule",
        dict(
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=20,
            transition_steps=10,
            decay_rate=0.5,
            end_value=1.5,
        ),
    ),
    ("piecewise_constant_schedule", dict(init_value=1.0, boundaries_and_scales=None)),
    ("piecewise_constant_schedule", dict(init_value=1.0, boundaries_and_scales={0: 0.5})),
    ("piecewise_interpolate_schedule", dict(interpolate_type="linear", init_value=2.0)),
    (
        "piecewise_interpolate_schedule",
        dict(interpolate_type="cosine", init_value=2.0, boundaries_and_scales={0: 0.5, 9: 3.0}),
    ),
    # tiny cycles: optax's dict has repeated keys and keeps the last scale
    ("linear_onecycle_schedule", dict(transition_steps=1, peak_value=1.0)),
    ("linear_onecycle_schedule", dict(transition_steps=3, peak_value=1.0, pct_final=0.99)),
    ("linear_onecycle_schedule", dict(transition_steps=10, peak_value=1.0, pct_start=0.9)),
    ("cosine_onecycle_schedule", dict(transition_steps=2, peak_value=1.0)),
    ("cosine_onecycle_schedule", dict(transition_steps=10, peak_value=1.0, pct_start=1.0)),
    ("cosine_decay_schedule", dict(init_value=1.0, decay_steps=1)),
]


@pytest.mark.parametrize(
    "name, kwargs", EDGE_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EDGE_CASES)]
)
def test_edge_case_matches_optax(name, kwargs):
    ours = _build(compat, name, kwargs)
    _close(sa.evaluate(ours, STEPS), _reference(_build(optax.schedules, name, kwargs)))


def test_join_schedules_wraps_a_plain_function_like_optax_calls_it():
    def half(count):
        return 0.5 * jnp.cos(count / 50.0)

    ours = compat.join_schedules([compat.linear_schedule(1.0, 0.0, 100), half], [60])
    want = optax.join_schedules([optax.linear_schedule(1.0, 0.0, 100), half], [60])
    _close(sa.evaluate(ours, STEPS), _reference(want))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        (
            "warmup_cosine_decay_schedule",
            dict(init_value=0, peak_value=1, warmup_steps=50, decay_steps=50),
        ),
        ("cosine_decay_schedule", dict(init_value=1.0, decay_steps=0)),
        ("linear_onecycle_schedule", dict(transition_steps=0, peak_value=1.0)),
        ("cosine_onecycle_schedule", dict(transition_steps=0, peak_value=1.0)),
        ("piecewise_constant_schedule", dict(init_value=1.0, boundaries_and_scales={5: -1.0})),
        ("piecewise_interpolate_schedule", dict(interpolate_type="cubic", init_value=1.0)),
    ],
)
def test_invalid_arguments_raise_like_optax(name, kwargs):
    with pytest.raises(ValueError):
        _build(optax.schedules, name, kwargs)
    with pytest.raises(ValueError):
        _build(compat, name, kwargs)


@pytest.mark.parametrize("name", ["linear_onecycle_schedule", "cosine_onecycle_schedule"])
def test_onecycle_error_names_itself_the_parameter_and_the_value(name):
    # optax's own message says "linear" for both and omits the value.
    with pytest.raises(
        ValueError, match=rf"^{name}: transition_steps must be > 0, got transition_steps=-3$"
    ):
        _build(compat, name, dict(transition_steps=-3, peak_value=1.0))


# ----------------------------------------------------------------------------
# Traced arguments: a batch of configurations vmapped through the constructor


def _split(kwargs):
    """(numeric leaves, rebuild) of a kwargs pytree; flags and strings stay static."""
    leaves, tree = jax.tree_util.tree_flatten(kwargs)
    numeric = [i for i, x in enumerate(leaves) if not isinstance(x, (bool, str))]

    def rebuild(values):
        out = list(leaves)
        for i, v in zip(numeric, values):
            out[i] = v
        return jax.tree_util.tree_unflatten(tree, out)

    return [leaves[i] for i in numeric], rebuild


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_traced_arguments_match_optax_row_by_row(name):
    configs = [GENERATORS[name](np.random.default_rng([seed, 99]), True) for seed in range(8)]
    _, rebuild = _split(configs[0])
    columns = [np.asarray(c) for c in zip(*(_split(k)[0] for k in configs))]

    @jax.jit
    def batch(columns):
        return jax.vmap(lambda *leaves: _build(compat, name, rebuild(leaves))(STEPS))(*columns)

    got = batch(columns)
    for row, kwargs in zip(got, configs):
        _close(row, _reference(_build(optax.schedules, name, kwargs)))


# ----------------------------------------------------------------------------
# The acceptance check: 1000 warmup-cosine schedules of different lengths in one call


def _lengths(n=1000):
    rng = np.random.default_rng(2024)
    warmup_steps = rng.integers(0, 150, n)
    return warmup_steps, warmup_steps + rng.integers(1, 250, n)


def test_vmap_over_1000_warmup_and_decay_lengths_matches_optax_rows():
    warmup_steps, decay_steps = _lengths()

    @jax.jit
    def batch(w, d):
        def one(w, d):
            return compat.warmup_cosine_decay_schedule(0.0, 1e-3, w, d, end_value=1e-5)(STEPS)

        return jax.vmap(one)(w, d)

    got = np.asarray(batch(warmup_steps, decay_steps))
    assert got.shape == (1000, len(STEPS))
    for row, w, d in zip(got, warmup_steps, decay_steps):
        want = optax.warmup_cosine_decay_schedule(0.0, 1e-3, int(w), int(d), end_value=1e-5)
        _close(row, want(STEPS))


def test_optax_own_warmup_cosine_cannot_be_vmapped_over_lengths():
    warmup_steps, decay_steps = _lengths(8)

    def one(w, d):
        return optax.warmup_cosine_decay_schedule(0.0, 1e-3, w, d, end_value=1e-5)(STEPS)

    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.vmap(one)(warmup_steps, decay_steps)


def test_batched_numpy_arguments_give_a_batched_schedule():
    warmup_steps, decay_steps = _lengths(16)
    s = compat.warmup_cosine_decay_schedule(0.0, 1e-3, warmup_steps, decay_steps)
    assert sa.batch_shape(s) == (16,)
    got = sa.evaluate(s, STEPS)
    for row, w, d in zip(got, warmup_steps, decay_steps):
        _close(row, optax.warmup_cosine_decay_schedule(0.0, 1e-3, int(w), int(d))(STEPS))


# ----------------------------------------------------------------------------
# Durations past int32 without x64 (token- or example-denominated lengths): optax's own
# test evaluates cosine_decay_schedule(1000.0, int(1e10), 0.0) at 1e9 in float32.

BILLION = 10**9
T32 = np.array([0, 10, BILLION, 2**31 - 1], np.int32)  # every int32 step is < 2**31


def test_cosine_decay_past_int32_without_x64_matches_optax():
    with jax.enable_x64(False):
        want = float(optax.cosine_decay_schedule(1000.0, int(1e10), 0.0)(BILLION))
        ours = compat.cosine_decay_schedule(1000.0, int(1e10), 0.0)
        core = sa.cosine(1000.0, 0.0, 10**10)
        for s in (ours, core):
            for got in (s(BILLION), jax.jit(lambda s: s(BILLION))(s)):
                assert got.dtype == np.float32
                assert float(got) == pytest.approx(want, rel=2e-7)


def test_milestones_and_boundaries_past_int32_without_x64_match_optax():
    # optax itself overflows on a 3e9 key or boundary without x64 (for a traced step): its
    # float64 values (x64 is on here) are the reference.
    t64 = jnp.asarray(T32, jnp.int64)
    ref_steps = optax.piecewise_constant_schedule(1.0, {10: 0.5, 3 * BILLION: 0.5})
    want_steps = np.asarray(jax.vmap(ref_steps)(t64))
    pieces = [optax.cosine_decay_schedule(1.0, 3 * BILLION), optax.constant_schedule(5.0)]
    want_join = np.asarray(jax.vmap(optax.join_schedules(pieces, [3 * BILLION]))(t64))
    with jax.enable_x64(False):
        ours = {
            "multistep": (sa.multistep(1.0, [10, 3 * BILLION], 0.5), want_steps),
            "piecewise_constant_schedule": (
                compat.piecewise_constant_schedule(1.0, {10: 0.5, 3 * BILLION: 0.5}),
                want_steps,
            ),
            "join": (sa.join(sa.cosine(1.0, 0.0, 3 * BILLION), sa.constant(5.0)), want_join),
            "join_boundaries": (
                sa.join(sa.cosine(1.0, 0.0, 3 * BILLION), sa.constant(5.0), boundaries=[2**32]),
                want_join,
            ),
            "join_schedules": (
                compat.join_schedules(
                    [compat.cosine_decay_schedule(1.0, 3 * BILLION), compat.constant_schedule(5.0)],
                    [3 * BILLION],
                ),
                want_join,
            ),
        }
        for name, (s, want) in ours.items():
            for how, got in (("eager", s(T32)), ("jit", jax.jit(lambda s: s(T32))(s))):
                assert got.dtype == np.float32, name
                np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"{name} ({how})")
