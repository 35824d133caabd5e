"""Combinators (join, warmup, restart) and transforms (scale, add, clip, shift, stretch,
per_epoch, custom) against NumPy float64 references, PyTorch's SGDR, and their errors."""

import math

import jax
import jax.numpy as jnp
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


def nanogpt_lr(it, learning_rate, min_lr, warmup_iters, lr_decay_iters):
    """nanoGPT's train.py get_lr, written from its formula."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * decay_ratio)) * (learning_rate - min_lr)


def llm_c_lr(step, max_lr, final_frac, warmup_iters, total):
    """llm.c's train_gpt2 get_lr (cosine to max_lr * final_frac), from its formula."""
    min_lr = max_lr * final_frac
    if step < warmup_iters:
        return max_lr * (step + 1) / warmup_iters
    decay_ratio = (step - warmup_iters) / (total - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * decay_ratio)) * (max_lr - min_lr)


@pytest.mark.parametrize("w", [0, 1, 7, 200])
def test_warmup_ramp_plus_one_over_w_plus_one_is_nanogpt(w, x64):
    lr, min_lr, decay_iters = 6e-4, 6e-5, 2500
    s = sa.warmup(sa.cosine(lr, min_lr, decay_iters - w), w, ramp="(t+1)/(W+1)")
    want = np.array([nanogpt_lr(int(t), lr, min_lr, w, decay_iters) for t in T])
    _check_three_ways(s, want)


@pytest.mark.parametrize("w", [0, 1, 7, 200])
def test_warmup_ramp_plus_one_over_w_is_llm_c(w, x64):
    lr, frac, total = 6e-4, 0.1, 2999
    s = sa.warmup(sa.cosine(lr, lr * frac, total - w), w, ramp="(t+1)/W")
    want = np.array([llm_c_lr(int(t), lr, frac, w, total) for t in T])
    _check_three_ways(s, want)
    if w:  # the target on step W - 1, one step earlier than the default ramp
        assert at(s, w - 1) == [lr] and at(sa.warmup(s.schedule, w), w - 1) != [lr]


@pytest.mark.parametrize("ramp", ["t/W", "(t+1)/W", "(t+1)/(W+1)"])
@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt", "exponential", "constant"])
def test_warmup_ramp_fraction_goes_through_the_shape(ramp, shape, x64):
    w, start, target = 40, 0.01, 0.8
    s = sa.warmup(sa.constant(target), w, start=start, shape=shape, ramp=ramp)
    t = np.arange(60, dtype=np.float64)
    x = {"t/W": t / w, "(t+1)/W": (t + 1) / w, "(t+1)/(W+1)": (t + 1) / (w + 1)}[ramp]
    x = np.minimum(x, 1.0)
    weight = {
        "linear": x,
        "cosine": 0.5 * (1.0 - np.cos(np.pi * x)),
        "1-sqrt": 1.0 - np.sqrt(1.0 - x),
    }
    if shape == "exponential":
        ramped = start * (target / start) ** x
    elif shape == "constant":
        ramped = np.where(x >= 1.0, target, start)
    else:
        ramped = start + (target - start) * weight[shape]
    want = np.where(t < w, ramped, target)
    _check_three_ways(s, want, t=t.astype(np.int64))


@pytest.mark.parametrize("warmup_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("min_lr_ratio", [0.0, 0.1])
def test_warmup_shapes_and_wsd_start_match_transformers_wsd(
    warmup_type, decay_type, min_lr_ratio, x64
):
    optimization = pytest.importorskip("transformers.optimization")
    lr, w, stable, decay = 3e-4, 100, 700, 300
    param = torch.nn.Parameter(torch.zeros(1))
    hf = optimization.get_wsd_schedule(
        torch.optim.SGD([param], lr=lr),
        num_warmup_steps=w,
        num_decay_steps=decay,
        num_stable_steps=stable,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=min_lr_ratio,
    )
    t = T[:1200]
    want = np.array([lr * hf.lr_lambdas[0](int(step)) for step in t])
    floor = lr * min_lr_ratio
    body = sa.wsd(lr, 0, stable, decay, end=floor, decay_shape=decay_type)
    s = sa.warmup(body, w, start=floor, shape=warmup_type)
    _check_three_ways(s, want, t=t, rtol=1e-12, atol=1e-18)
    if warmup_type == "linear":  # HF's min_lr_ratio warmup is wsd's start
        flat = sa.wsd(lr, w, stable, decay, start=floor, end=floor, decay_shape=decay_type)
        _check_three_ways(flat, want, t=t, rtol=1e-12, atol=1e-18)


def test_warmup_1_sqrt_has_finite_gradients_at_the_end_of_the_ramp():
    def last_ramp_step(start):
        return sa.warmup(sa.constant(1.0), 10, start=start, shape="1-sqrt")(jnp.arange(12)).sum()

    assert np.isfinite(float(jax.grad(last_ramp_step)(0.1)))


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


def np_restart_floor(t, inner, duration, floor, decay=1.0, mult=1.0, limit=None):
    """Cycle k with a floor: f + (v - f) * (p * decay**k - f) / (p - f), p = inner(0)."""
    out = []
    for step in np.asarray(t):
        start, k, length = 0.0, 0, float(duration)
        while step >= start + length and (limit is None or k < limit - 1):
            start, k = start + length, k + 1
            length = duration * mult**k
        v = inner(min(step - start, length) * duration / length)
        p = inner(0.0)
        out.append(floor + (v - floor) * (p * decay**k - floor) / (p - floor))
    return np.asarray(out)


@pytest.mark.parametrize(
    "kwargs",
    [{"decay": 0.5}, {"mult": 2, "decay": 0.7}, {"mult": 1.5, "decay": 0.3, "limit": 3}],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()),
)
def test_restart_floor_decays_the_start_and_keeps_the_floor(kwargs, x64):
    inner = sa.cosine(1.0, 0.1, 200)
    s = sa.restart(inner, floor=0.1, **kwargs)
    want = np_restart_floor(T, lambda x: np_cosine(x, 1.0, 0.1, 200), 200, 0.1, **kwargs)
    _check_three_ways(s, want, rtol=1e-9, atol=1e-12)
    assert float(s(199)) == pytest.approx(np_cosine(199, 1.0, 0.1, 200))  # cycle 0: itself


def test_restart_floor_without_decay_is_the_plain_restart_exactly():
    inner = sa.cosine(1.0, 0.1, 20)
    t = np.arange(100)
    plain = np.asarray(_call(sa.restart(inner, mult=2), t))
    np.testing.assert_array_equal(np.asarray(_call(sa.restart(inner, mult=2, floor=0.3), t)), plain)
    first = np.asarray(_call(sa.restart(inner, decay=0.5, floor=0.1), t))[:20]
    np.testing.assert_array_equal(first, plain[:20])  # cycle 0 is the schedule itself


def test_restart_floor_equal_to_the_start_holds_the_floor_without_nan():
    flat = sa.restart(sa.linear(0.2, 0.5, 10), decay=0.5, floor=0.2)  # p == f: 0 / 0
    got = np.asarray(_call(flat, np.arange(40)))
    np.testing.assert_allclose(got[:10], np.linspace(0.2, 0.47, 10), rtol=1e-6)
    np.testing.assert_array_equal(got[10:], np.float32(0.2))

    def total(floor):
        s = sa.restart(sa.linear(0.2, 0.5, 10), decay=0.5, floor=floor)
        return jnp.sum(s(jnp.arange(40)))

    assert np.isfinite(float(jax.grad(total)(0.2)))


def test_restart_floor_is_a_batchable_leaf():
    s = sa.restart(sa.cosine(1.0, 0.1, 10), decay=0.5, floor=np.array([0.1, 0.0]))
    got = np.asarray(sa.evaluate(s, np.array([10, 15])))
    assert got.shape == (2, 2)
    assert got[:, 0].tolist() == pytest.approx([0.5, 0.5])  # the decayed start, both
    assert got[1, 1] == pytest.approx(0.5 * float(sa.cosine(1.0, 0.1, 10)(5)))  # floor 0


# ----------------------------------------------------------------------------
# cooldown


def np_cooldown_factor(t, steps, total, shape):
    t = np.asarray(t, np.float64)
    x = np.clip((t - (total - steps)) / steps, 0.0, 1.0) if steps else (t >= total) * 1.0
    factor = {"linear": 1.0 - x, "cosine": 0.5 * (1.0 + np.cos(np.pi * x))}
    factor["1-sqrt"] = 1.0 - np.sqrt(x)
    return np.where(t < total - steps, 1.0, factor[shape])


def big_vision_lr(step, base, total_steps, cooldown_steps, decay):
    """big_vision's create_learning_rate_schedule (cosine or rsqrt-free linear decay, no
    warmup) with its cooldown factor min(1, (total - step) / cooldown_steps)."""
    progress = min(max(step / total_steps, 0.0), 1.0)
    lr = base * 0.5 * (1.0 + math.cos(math.pi * progress)) if decay == "cosine" else base
    return lr * min(1.0, (total_steps - step) / cooldown_steps)


@pytest.mark.parametrize("decay", ["cosine", "constant"])
def test_cooldown_linear_is_big_vision_cooldown(decay, x64):
    base, total, steps = 0.1, 2000, 300
    inner = sa.cosine(base, 0.0, total) if decay == "cosine" else sa.constant(base)
    s = sa.cooldown(inner, steps, total)
    t = T[total >= T]  # big_vision's factor goes negative after total; cooldown holds 0
    want = np.array([big_vision_lr(int(x), base, total, steps, decay) for x in t])
    _check_three_ways(s, want, t=t)
    assert at(s, total, total + 500) == [0.0, 0.0]


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("steps", [0, 1, 250, 1000])
def test_cooldown_shapes_multiply_the_schedule(shape, steps, x64):
    inner = sa.warmup(sa.exponential(1.0, 0.5, 500), 100)
    s = sa.cooldown(inner, steps, 1000, shape=shape)
    want = np.asarray(inner(T)) * np_cooldown_factor(T, steps, 1000, shape)
    _check_three_ways(s, want)
    assert s.duration == 1000


def test_cooldown_total_defaults_to_the_duration_and_wsd_is_a_cooldown():
    s = sa.cooldown(sa.warmup(sa.constant(1.0), 10), 20, 100)
    wsd = sa.wsd(1.0, 10, 70, 20)
    t = np.arange(120)
    np.testing.assert_allclose(np.asarray(_call(s, t)), np.asarray(_call(wsd, t)), atol=1e-7)
    inner = sa.cosine(1.0, 0.2, 50)
    c = sa.cooldown(inner, 10, shape="1-sqrt")  # total = 50: from step 40 to step 50
    assert c.duration == 50
    want = [float(inner(39)), float(inner(40)), float(inner(45)) * (1 - math.sqrt(0.5)), 0.0]
    assert at(c, 39, 40, 45, 50) == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match="cooldown: schedule constant has no duration"):
        sa.cooldown(sa.constant(1.0), 10)


def test_cooldown_1_sqrt_has_finite_gradients_at_its_start():
    def total(steps):
        return jnp.sum(sa.cooldown(sa.constant(1.0), steps, 100, shape="1-sqrt")(jnp.arange(120)))

    assert np.isfinite(float(jax.grad(total)(20.0)))


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


def _uses_math(t, steps):
    return (1 - math.cos(t * math.pi / steps)) / 2


def _uses_max(t, base):
    return base / max(t, 1)


def _uses_if(t, base, steps):
    return base if t < steps else 0.0


def _branches_on_a_param(t, base):
    return base * 0.5**t if base > 0 else 0.0


@pytest.mark.parametrize(
    "fn, params, cause",
    [
        (_uses_math, dict(steps=10.0), jax.errors.ConcretizationTypeError),
        (_uses_max, dict(base=1.0), jax.errors.ConcretizationTypeError),
        (_uses_if, dict(base=1.0, steps=10), jax.errors.ConcretizationTypeError),
        # a Python `if` on a concrete parameter would pass once and fail under vmap
        (_branches_on_a_param, dict(base=1.0), jax.errors.ConcretizationTypeError),
        (lambda t: t / 2, dict(base=1.0), TypeError),  # no keyword parameter `base`
    ],
)
def test_custom_refuses_a_function_that_is_not_jax_numpy_at_construction(fn, params, cause):
    with pytest.raises(ValueError) as err:
        sa.custom(fn, **params)
    message = str(err.value)
    assert message.startswith("custom: fn must be a jax.numpy function of the step"), message
    assert "math." in message and "Python if" in message, message
    assert f"got fn={fn.__name__}" in message, message
    assert isinstance(err.value.__cause__, cause)  # the original error, chained


@pytest.mark.parametrize(
    "fn, params, rule",
    [
        (lambda t: "0.1", {}, "must return numbers, got fn=<lambda> returning str"),
        (lambda t: None, {}, "must return numbers, got fn=<lambda> returning NoneType"),
        (lambda t: t + 1j, {}, "must return real numbers, got fn=<lambda> returning complex64"),
        (lambda t: jnp.ones(3), {}, "must return one value per step, got fn=<lambda> returning"),
        (
            lambda t, a: jnp.ones((3, 1)) * a,
            dict(a=np.ones(2)),
            "got fn=<lambda> returning shape (3, 2) for a scalar step and parameters of shape (2,)",
        ),
    ],
)
def test_custom_refuses_a_function_returning_no_number_or_a_wrong_shape(fn, params, rule):
    with pytest.raises(ValueError, match="^custom: fn ") as err:
        sa.custom(fn, **params)
    assert rule in str(err.value)


def test_custom_check_passes_jax_numpy_functions_batched_and_traced_params():
    batched = sa.custom(lambda t, base: base / (1.0 + t), base=np.array([1.0, 2.0]))
    assert batched(1).tolist() == [0.5, 1.0]
    # Built inside jit and vmap the parameters are tracers: the check still runs.
    build = lambda b: sa.custom(lambda t, base: base * 0.5**t, base=b)(2)  # noqa: E731
    assert float(jax.jit(build)(4.0)) == 1.0
    assert jax.vmap(build)(jnp.array([4.0, 8.0])).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="custom: fn must be a jax.numpy function"):
        jax.jit(lambda b: sa.custom(_uses_max, base=b)(2))(4.0)


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
