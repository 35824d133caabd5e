"""Combinators (join, warmup, restart) and transforms (scale, add, clip, shift, stretch,
per_epoch, custom) against NumPy float64 references, PyTorch's SGDR, and their errors."""

import jax
import numpy as np
import pytest
import torch

import schedalg as sa


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# Module-level jits: one compile per schedule structure, shared by every test.
_call = jax.jit(lambda s, t: s(t))
_vcall = jax.jit(jax.vmap(lambda s, t: s(t), in_axes=(0, None)))


def at(s, *steps):
    """The schedule's values at a few steps, as Python floats (jitted)."""
    return np.asarray(_call(s, np.asarray(steps))).tolist()


T = np.arange(0, 3000, dtype=np.int64)


def np_cosine(t, start, end, steps):
    t = np.minimum(np.asarray(t, np.float64), steps)
    return end + (start - end) * 0.5 * (1.0 + np.cos(np.pi * t / steps))


def np_linear(t, start, end, steps):
    t = np.minimum(np.asarray(t, np.float64), steps)
    return start + (end - start) * t / steps


def np_restart(t, inner, duration, period=None, mult=1.0, decay=1.0, limit=None):
    """SGDR by walking the cycles: cycle k lasts period * mult**k; the inner schedule is
    stretched to fill it and scaled by decay**k; after ``limit`` cycles, the end."""
    period = duration if period is None else period
    out = []
    for step in np.asarray(t):
        start, k, length = 0.0, 0, float(period)
        while step >= start + length and (limit is None or k < limit - 1):
            start += length
            k += 1
            length = period * mult**k
        local = min(step - start, length)
        out.append(inner(local * duration / length) * decay**k)
    return np.asarray(out)


def _check_three_ways(s, want, t=T, rtol=1e-12, atol=1e-14):
    """Eagerly, and jitted + vmapped over two stacked copies (one compile, not two)."""
    np.testing.assert_allclose(np.asarray(s(t)), want, rtol=rtol, atol=atol)
    batched = np.asarray(_vcall(sa.stack([s, s]), t))
    np.testing.assert_allclose(batched, np.stack([want, want]), rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------
# join


def test_join_runs_each_piece_on_its_local_clock(x64):
    s = sa.join(sa.linear(0.0, 1.0, 100), sa.cosine(1.0, 0.1, 1000), sa.constant(0.05))
    want = np.where(
        T < 100,
        np_linear(T, 0.0, 1.0, 100),
        np.where(T < 1100, np_cosine(T - 100, 1.0, 0.1, 1000), 0.05),
    )
    _check_three_ways(s, want)
    assert s.duration is None


def test_join_with_boundaries_cuts_pieces_where_told(x64):
    # Boundaries earlier than the durations cut a piece short; later ones hold its end.
    s = sa.join(sa.linear(0.0, 1.0, 100), sa.cosine(1.0, 0.1, 1000), boundaries=[50])
    want = np.where(T < 50, np_linear(T, 0.0, 1.0, 100), np_cosine(T - 50, 1.0, 0.1, 1000))
    _check_three_ways(s, want)
    assert int(s.duration) == 1050
    held = sa.join(sa.linear(0.0, 1.0, 100), sa.constant(0.3), boundaries=[150])
    assert at(held, 120, 150) == [1.0, pytest.approx(0.3)]


def test_join_value_at_boundary_belongs_to_next_piece():
    s = sa.join(sa.constant(1.0), sa.constant(2.0), sa.constant(3.0), boundaries=[10, 20])
    assert at(s, 9, 10, 19, 20) == [1.0, 2.0, 2.0, 3.0]


def test_join_repeated_boundary_skips_the_empty_piece():
    s = sa.join(sa.constant(1.0), sa.constant(2.0), sa.constant(3.0), boundaries=[10, 10])
    assert at(s, 9, 10, 11) == [1.0, 3.0, 3.0]


def test_join_duration_adds_pieces():
    s = sa.join(sa.linear(0.0, 1.0, 10), sa.cosine(1.0, 0.0, 90), sa.linear(0.0, 0.0, 5))
    assert int(s.duration) == 105
    assert sa.join(sa.constant(1.0)).duration is None
    assert at(sa.join(sa.cosine(1.0, 0.5, 10)), 10) == [0.5]


def test_join_without_duration_and_without_boundaries_raises():
    with pytest.raises(ValueError, match=r"join: piece 1 of 2 \(constant\) has no duration"):
        sa.join(sa.constant(1.0), sa.cosine(1.0, 0.0, 10))


def test_join_unbounded_piece_is_fine_with_boundaries():
    s = sa.join(sa.constant(1.0), sa.cosine(1.0, 0.0, 10), boundaries=[5])
    assert at(s, 4, 15) == [1.0, 0.0]


# ----------------------------------------------------------------------------
# warmup


def _np_ramp(t, start, end, steps, shape):
    frac = np.clip(np.asarray(t, np.float64) / steps, 0.0, 1.0)
    if shape == "linear":
        return start + (end - start) * frac
    if shape == "cosine":
        return start + (end - start) * 0.5 * (1.0 - np.cos(np.pi * frac))
    if shape == "exponential":
        return start * (end / start) ** frac
    return np.where(frac >= 1.0, end, start)


@pytest.mark.parametrize("shape", ["linear", "cosine", "exponential", "constant"])
@pytest.mark.parametrize("prefix", [True, False])
def test_warmup_shapes_match_formula(shape, prefix, x64):
    inner = sa.cosine(1.0, 0.1, 2000)
    start = 1e-3 if shape == "exponential" else 0.02
    s = sa.warmup(inner, 300, start=start, shape=shape, prefix=prefix)
    after = np_cosine(T - 300 if prefix else T, 1.0, 0.1, 2000)
    want = np.where(T < 300, _np_ramp(T, start, 1.0, 300, shape), after)
    _check_three_ways(s, want)
    assert int(s.duration) == (2300 if prefix else 2000)


def test_warmup_zero_steps_is_the_schedule():
    inner = sa.cosine(1.0, 0.1, 100)
    s = sa.warmup(inner, 0)
    t = np.arange(150)
    np.testing.assert_array_equal(np.asarray(_call(s, t)), np.asarray(_call(inner, t)))
    assert int(s.duration) == 100


def test_warmup_default_starts_at_zero_and_reaches_target_on_steps():
    s = sa.warmup(sa.constant(0.5), 10)
    assert at(s, 0, 5, 10) == [0.0, 0.25, 0.5]
    assert s.duration is None


def test_warmup_duration_without_prefix_is_the_longer():
    assert int(sa.warmup(sa.cosine(1.0, 0.0, 50), 80, prefix=False).duration) == 80


# ----------------------------------------------------------------------------
# restart


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mult": 2.0},
        {"mult": 3},
        {"mult": 1.5},
        {"decay": 0.5},
        {"mult": 2.0, "decay": 0.7, "limit": 3},
        {"limit": 4},
        {"period": 250},
        {"period": 250, "mult": 2.0, "limit": 2},
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "plain",
)
def test_restart_matches_cycle_walk(kwargs, x64):
    inner = sa.cosine(1.0, 0.1, 200)
    s = sa.restart(inner, **kwargs)
    want = np_restart(T, lambda x: np_cosine(x, 1.0, 0.1, 200), 200, **kwargs)
    _check_three_ways(s, want, rtol=1e-9, atol=1e-12)


def test_restart_of_linear_restarts_each_period():
    s = sa.restart(sa.linear(1.0, 0.0, 10))
    got = at(s, 0, 5, 9, 10, 15, 25)
    assert got == pytest.approx([1.0, 0.5, 0.1, 1.0, 0.5, 0.5], rel=1e-6)
    assert s.duration is None


def test_restart_limit_holds_end_of_last_cycle():
    s = sa.restart(sa.linear(1.0, 0.0, 10), mult=2, decay=0.5, limit=2)
    assert int(s.duration) == 30
    # cycle 1 starts at 10, decayed once; 20 is halfway through its 20 steps; then the end
    assert at(s, 10, 20, 30, 10**6) == [0.5, 0.25, 0.0, 0.0]


def test_restart_without_duration_needs_period():
    with pytest.raises(ValueError, match="restart: constant has no duration"):
        sa.restart(sa.constant(1.0))
    s = sa.restart(sa.exponential(1.0, 0.5, 10), period=20)
    assert at(s, 20, 30) == [1.0, pytest.approx(0.5)]


@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_restart_cosine_matches_torch_cosine_annealing_warm_restarts(t_mult, x64):
    lr, eta_min, t_0, n = 0.1, 1e-4, 10, 600
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=t_0, T_mult=t_mult, eta_min=eta_min
    )
    want = []
    for _ in range(n):  # lr after i calls of scheduler.step()
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    s = sa.restart(sa.cosine(lr, eta_min, t_0), mult=t_mult)
    got = np.asarray(_call(s, np.arange(n)))
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-9, atol=1e-15)


# ----------------------------------------------------------------------------
# scale, add, clip, shift, stretch, per_epoch, custom


def test_scale_by_number_and_by_schedule(x64):
    s = sa.cosine(1.0, 0.1, 1000)
    _check_three_ways(sa.scale(s, 0.3), 0.3 * np_cosine(T, 1.0, 0.1, 1000))
    chained = sa.scale(s, sa.linear(1.0, 0.5, 2000))
    _check_three_ways(chained, np_cosine(T, 1.0, 0.1, 1000) * np_linear(T, 1.0, 0.5, 2000))
    assert int(chained.duration) == 2000


def test_add_number_and_schedule(x64):
    s = sa.cosine(1.0, 0.1, 1000)
    _check_three_ways(sa.add(s, 0.25), np_cosine(T, 1.0, 0.1, 1000) + 0.25)
    both = sa.add(s, sa.linear(0.0, 1.0, 500))
    _check_three_ways(both, np_cosine(T, 1.0, 0.1, 1000) + np_linear(T, 0.0, 1.0, 500))
    assert int(both.duration) == 1000
    assert sa.add(s, sa.constant(1.0)).duration is None


def test_operators_build_scale_and_add_nodes():
    a, b = sa.cosine(1.0, 0.0, 10), sa.linear(0.0, 1.0, 10)
    assert repr(a * 0.5) == repr(sa.scale(a, 0.5))
    assert repr(0.5 * a) == repr(sa.scale(a, 0.5))
    assert repr(a * b) == repr(sa.scale(a, b))
    assert repr(a + b) == repr(sa.add(a, b))
    assert repr(0.1 + a) == repr(sa.add(a, 0.1))
    t = np.arange(12)
    np.testing.assert_array_equal(_call(a * b, t), np.asarray(_call(a, t)) * _call(b, t))


def test_clip_bounds_values(x64):
    s = sa.clip(sa.cosine(1.0, 0.0, 1000), low=0.2, high=0.9)
    _check_three_ways(s, np.clip(np_cosine(T, 1.0, 0.0, 1000), 0.2, 0.9))
    assert int(s.duration) == 1000
    floor_only = sa.clip(sa.linear(1.0, 0.0, 10), low=0.25)
    assert at(floor_only, 9, 2) == [0.25, pytest.approx(0.8)]


def test_shift_delays_and_advances_the_clock(x64):
    inner = sa.cosine(1.0, 0.1, 1000)
    _check_three_ways(sa.shift(inner, 200), np_cosine(np.maximum(T - 200, 0), 1.0, 0.1, 1000))
    _check_three_ways(sa.shift(inner, -200), np_cosine(T + 200, 1.0, 0.1, 1000))
    assert int(sa.shift(inner, 200).duration) == 1200
    assert int(sa.shift(inner, -200).duration) == 800
    assert int(sa.shift(inner, -5000).duration) == 0


def test_stretch_slows_the_clock(x64):
    inner = sa.cosine(1.0, 0.1, 1000)
    _check_three_ways(sa.stretch(inner, 2.5), np_cosine(T / 2.5, 1.0, 0.1, 1000))
    assert float(sa.stretch(inner, 2.5).duration) == 2500.0


def test_per_epoch_steps_once_per_epoch(x64):
    inner = sa.step(1.0, 3, 0.5)
    s = sa.per_epoch(inner, 7)
    _check_three_ways(s, 0.5 ** ((T // 7) // 3).astype(np.float64))
    assert sa.per_epoch(sa.linear(0.0, 1.0, 10), 7).duration == 70


def test_custom_params_are_leaves_and_duration_is_optional():
    s = sa.custom(lambda t, base, gamma: base * gamma**t, base=2.0, gamma=0.5, duration=7)
    assert float(s(3)) == 0.25 and s.duration == 7  # eager
    assert at(s, 2) == [0.5]
    batched = sa.stack([s, sa.custom(s.fn, base=4.0, gamma=0.5, duration=7)])
    np.testing.assert_array_equal(
        np.asarray(_vcall(batched, np.arange(3))), [[2, 1, 0.5]] * 1 + [[4, 2, 1]]
    )
    assert len(jax.tree_util.tree_leaves(s)) == 3


def test_transform_durations():
    c = sa.cosine(1.0, 0.0, 40)
    assert sa.scale(c, 2.0).duration == 40
    assert sa.clip(c, low=0.1).duration == 40
    assert sa.scale(sa.constant(1.0), c).duration is None
    assert sa.stretch(sa.constant(1.0), 2).duration is None
    assert sa.shift(sa.constant(1.0), 2).duration is None


# ----------------------------------------------------------------------------
# Validation


BAD = [
    (lambda: sa.join(), "join", "needs at least one schedule"),
    (lambda: sa.join(sa.constant(1.0), 0.5), "join: piece 2 of 2", "0.5"),
    (
        lambda: sa.join(sa.constant(1.0), sa.constant(2.0), boundaries=[5, 6]),
        "join: boundaries",
        "[5, 6]",
    ),
    (
        lambda: sa.join(sa.constant(1.0), sa.constant(1.0), sa.constant(1.0), boundaries=[9, 5]),
        "join: boundaries",
        "[9, 5]",
    ),
    (
        lambda: sa.join(sa.constant(1.0), sa.constant(1.0), boundaries=[-1]),
        "join: boundaries",
        "-1",
    ),
    (lambda: sa.warmup(sa.constant(1.0), -1), "warmup: steps", "-1"),
    (lambda: sa.warmup(0.1, 10), "warmup: schedule", "0.1"),
    (lambda: sa.warmup(sa.constant(1.0), 10, shape="quadratic"), "warmup: shape", "'quadratic'"),
    (lambda: sa.warmup(sa.constant(1.0), 10, shape="exponential"), "warmup: start", "0.0"),
    (lambda: sa.warmup(sa.constant(1.0), float("nan")), "warmup: steps", "nan"),
    (lambda: sa.restart(sa.cosine(1.0, 0.0, 10), mult=0.5), "restart: mult", "0.5"),
    (lambda: sa.restart(sa.cosine(1.0, 0.0, 10), period=0), "restart: period", "0"),
    (lambda: sa.restart(sa.cosine(1.0, 0.0, 10), decay=-0.1), "restart: decay", "-0.1"),
    (lambda: sa.restart(sa.cosine(1.0, 0.0, 10), limit=0), "restart: limit", "0"),
    (lambda: sa.restart(sa.cosine(1.0, 0.0, 10), limit=1.5), "restart: limit", "1.5"),
    (lambda: sa.restart("cosine"), "restart: schedule", "'cosine'"),
    (lambda: sa.scale(sa.constant(1.0), None), "scale: factor", "None"),
    (lambda: sa.scale(sa.constant(1.0), float("inf")), "scale: factor", "inf"),
    (lambda: sa.scale(1.0, 2.0), "scale: schedule", "1.0"),
    (lambda: sa.add(sa.constant(1.0), "x"), "add: other", "'x'"),
    (lambda: sa.clip(sa.constant(1.0), low=0.5, high=0.1), "clip: low", "0.5"),
    (lambda: sa.clip(sa.constant(1.0), low=[0.1, 0.5], high=0.3), "clip: low", "0.5"),
    (lambda: sa.stretch(sa.constant(1.0), 0), "stretch: factor", "0"),
    (lambda: sa.stretch(sa.constant(1.0), -2.0), "stretch: factor", "-2.0"),
    (lambda: sa.per_epoch(sa.constant(1.0), 0), "per_epoch: steps_per_epoch", "0"),
    (lambda: sa.shift(sa.constant(1.0), float("nan")), "shift: steps", "nan"),
    (lambda: sa.custom(3.0), "custom: fn", "3.0"),
    (lambda: sa.custom(lambda t, a: a, a=float("nan")), "custom: a", "nan"),
]


@pytest.mark.parametrize("make, prefix, value", BAD)
def test_combinator_bad_value_raises_value_error_naming_fn_param_value(make, prefix, value):
    with pytest.raises(ValueError) as err:
        make()
    message = str(err.value)
    assert message.startswith(prefix), message
    assert value in message, message


def test_clip_with_traced_bound_is_not_checked_at_construction():
    f = jax.vmap(lambda high: sa.clip(sa.constant(1.0), low=0.1, high=high)(0))
    np.testing.assert_allclose(np.asarray(f(np.array([0.5, 0.9]))), [0.5, 0.9], rtol=1e-6)
