"""Parity of schedalg.compat.torch with torch.optim.lr_scheduler (torch 2.13).

Each case draws one random configuration (seeded by constructor and case number), runs
the real torch scheduler on an SGD (or Adam) optimizer for ``STEPS`` steps and compares
the learning rates (and momentum, for the cyclic ones) with the schedalg schedule
evaluated over all steps in one call, in float64.
"""

from __future__ import annotations

import math
import warnings
import zlib

import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import schedalg as sa  # noqa: E402
from schedalg.compat import torch as compat  # noqa: E402

lrs = torch.optim.lr_scheduler
N_CASES = 25
STEPS = 300
RTOL = 1e-6


def _rng(name: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), seed])


def _torch_run(build, lr: float, steps: int = STEPS, adam: bool = False):
    """lr (and momentum or beta1) after 0..steps-1 calls of scheduler.step()."""
    param = torch.nn.Parameter(torch.zeros(1))
    if adam:
        opt = torch.optim.Adam([param], lr=lr)
    else:
        opt = torch.optim.SGD([param], lr=lr, momentum=0.9)
    key = "betas" if adam else "momentum"

    def momentum():
        value = opt.param_groups[0][key]
        return value[0] if adam else value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = build(opt)
        out, mom = [opt.param_groups[0]["lr"]], [momentum()]
        for _ in range(steps - 1):
            opt.step()
            scheduler.step()
            out.append(opt.param_groups[0]["lr"])
            mom.append(momentum())
    return np.asarray(out, np.float64), np.asarray(mom, np.float64)


def _ours(schedule, steps: int = STEPS) -> np.ndarray:
    values = schedule(jnp.arange(steps))
    assert values.dtype == jnp.float64
    return np.asarray(values)


def _close(got, want, scale: float = 1.0):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-13 * scale)


def _lr(rng) -> float:
    return float(10 ** rng.uniform(-4, 0))


# ----------------------------------------------------------------------------
# Lambdas: (torch's Python function, schedalg's jax.numpy function) from one draw.


def _lambda_pair(rng, multiplicative: bool):
    kind = int(rng.integers(4))
    if kind == 0:
        g = float(rng.uniform(0.95, 1.0) if multiplicative else rng.uniform(0.9, 1.0))
        if multiplicative:
            return (lambda e: g), (lambda e: g)
        return (lambda e: g**e), (lambda e: g**e)
    if kind == 1:
        a = float(rng.uniform(0.001, 0.1))
        return (lambda e: 1.0 / (1.0 + a * e)), (lambda e: 1.0 / (1.0 + a * e))
    if kind == 2:
        k, f1, f2 = int(rng.integers(2, 20)), float(rng.uniform(0.5, 1.0)), 1.0
        return (
            (lambda e: f1 if e % k == 0 else f2),
            (lambda e: jnp.where(e % k == 0, f1, f2)),
        )
    w = int(rng.integers(1, 100))
    if multiplicative:
        return (lambda e: 1.0 + 0.01 * math.sin(e / w)), (lambda e: 1.0 + 0.01 * jnp.sin(e / w))
    return (lambda e: min(1.0, (e + 1) / w)), (lambda e: jnp.minimum(1.0, (e + 1) / w))


# ----------------------------------------------------------------------------
# Random configurations, torch's keyword names (shared by both sides).


def _cfg_step(rng):
    return dict(step_size=int(rng.integers(1, 80)), gamma=float(rng.uniform(0.05, 1.0)))


def _cfg_multistep(rng):
    k = int(rng.integers(1, 6))
    milestones = [int(m) for m in rng.integers(0, STEPS + 50, size=k)]
    if rng.random() < 0.3:
        milestones.append(milestones[0])  # a repeated milestone counts twice
    return dict(milestones=milestones, gamma=float(rng.uniform(0.05, 1.0)))


def _cfg_constant(rng):
    total = 0 if rng.random() < 0.15 else int(rng.integers(1, STEPS + 50))
    return dict(factor=float(rng.uniform(0.01, 1.0)), total_iters=total)


def _cfg_linear(rng):
    total = 0 if rng.random() < 0.15 else int(rng.integers(1, STEPS + 50))
    return dict(
        start_factor=float(rng.uniform(0.01, 1.0)),
        end_factor=float(rng.uniform(0.0, 1.0)),
        total_iters=total,
    )


def _cfg_exponential(rng):
    return dict(gamma=float(rng.uniform(0.95, 1.01)))


def _cfg_polynomial(rng):
    total = 0 if rng.random() < 0.1 else int(rng.integers(1, STEPS + 50))
    return dict(total_iters=total, power=float(rng.uniform(0.3, 3.0)))


def _cfg_cosine(rng):
    # Short periods too: torch keeps following the cosine past T_max.
    return dict(T_max=int(rng.integers(1, STEPS)), eta_min=float(rng.choice([0.0, 1e-5, 1e-3])))


def _cfg_warm_restarts(rng):
    return dict(
        T_0=int(rng.integers(1, 60)),
        T_mult=int(rng.choice([1, 1, 2, 3])),
        eta_min=float(rng.choice([0.0, 1e-5, 1e-3])),
    )


def _cfg_cyclic(rng):
    base = float(10 ** rng.uniform(-4, -2))
    cfg = dict(
        base_lr=base,
        max_lr=base * float(rng.uniform(1.5, 100)),
        step_size_up=int(rng.integers(1, 60)),
        step_size_down=None if rng.random() < 0.3 else int(rng.integers(1, 60)),
        mode=str(rng.choice(["triangular", "triangular2", "exp_range"])),
        gamma=float(rng.uniform(0.98, 1.0)),
        base_momentum=float(rng.uniform(0.7, 0.85)),
        max_momentum=float(rng.uniform(0.86, 0.99)),
    )
    if rng.random() < 0.25:  # a custom amplitude, per cycle or per step
        mode = str(rng.choice(["cycle", "iterations"]))
        a = float(rng.uniform(0.5, 1.0))
        cfg.update(scale_mode=mode, scale_fn=lambda x: a**x)  # Python and jnp alike
    return cfg


def _cfg_one_cycle(rng):
    cfg = dict(
        max_lr=float(10 ** rng.uniform(-3, 0)),
        pct_start=float(rng.uniform(0.05, 0.45)),
        anneal_strategy=str(rng.choice(["cos", "linear"])),
        three_phase=bool(rng.random() < 0.5),
        div_factor=float(rng.uniform(5, 50)),
        final_div_factor=float(10 ** rng.uniform(1, 5)),
        base_momentum=float(rng.uniform(0.7, 0.85)),
        max_momentum=float(rng.uniform(0.86, 0.99)),
    )
    if rng.random() < 0.5:
        cfg["total_steps"] = int(rng.integers(STEPS, STEPS + 200))
    else:
        cfg.update(epochs=int(rng.integers(STEPS // 20, 20)), steps_per_epoch=20)
    return cfg


SIMPLE = {
    "StepLR": _cfg_step,
    "MultiStepLR": _cfg_multistep,
    "ConstantLR": _cfg_constant,
    "LinearLR": _cfg_linear,
    "ExponentialLR": _cfg_exponential,
    "PolynomialLR": _cfg_polynomial,
    "CosineAnnealingLR": _cfg_cosine,
    "CosineAnnealingWarmRestarts": _cfg_warm_restarts,
}


def _cases(names):
    return [pytest.param(n, i, id=f"{n}-{i}") for n in names for i in range(N_CASES)]


@pytest.mark.parametrize("name,seed", _cases(SIMPLE))
def test_simple_scheduler_matches_torch(name, seed):
    rng = _rng(name, seed)
    lr, cfg = _lr(rng), SIMPLE[name](rng)
    want, _ = _torch_run(lambda opt: getattr(lrs, name)(opt, **cfg), lr)
    _close(_ours(getattr(compat, name)(lr=lr, **cfg)), want, lr)


@pytest.mark.parametrize("name,seed", _cases(["LambdaLR", "MultiplicativeLR"]))
def test_lambda_scheduler_matches_torch(name, seed):
    rng = _rng(name, seed)
    lr = _lr(rng)
    py_fn, jnp_fn = _lambda_pair(rng, multiplicative=name == "MultiplicativeLR")
    want, _ = _torch_run(lambda opt: getattr(lrs, name)(opt, py_fn), lr)
    _close(_ours(getattr(compat, name)(lr=lr, lr_lambda=jnp_fn)), want, lr)


def _one_cycle_lambdas(epochs: int, lrf: float):
    """ultralytics' one-cycle factor: its own Python lambda, and the same in jax.numpy."""
    py_fn = lambda x: ((1 - math.cos(x * math.pi / epochs)) / 2) * (lrf - 1) + 1  # noqa: E731
    jnp_fn = lambda x: ((1 - jnp.cos(x * jnp.pi / epochs)) / 2) * (lrf - 1) + 1  # noqa: E731
    return py_fn, jnp_fn


def test_lambda_lr_refuses_a_python_lambda_at_construction_naming_lr_lambda():
    py_fn, jnp_fn = _one_cycle_lambdas(epochs=100, lrf=0.01)
    with pytest.raises(ValueError) as err:
        compat.LambdaLR(lr=0.01, lr_lambda=py_fn)
    message = str(err.value)
    assert message.startswith("LambdaLR: lr_lambda must be a jax.numpy function of the step")
    assert "no math.*" in message and "got lr_lambda=<lambda>" in message
    assert isinstance(err.value.__cause__, TypeError)  # jax's own error, chained
    # The same factor in jax.numpy is accepted and matches torch running the Python one.
    want, _ = _torch_run(lambda opt: lrs.LambdaLR(opt, py_fn), 0.01)
    _close(_ours(compat.LambdaLR(lr=0.01, lr_lambda=jnp_fn)), want, 0.01)


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_python_lambdas_are_refused_and_their_jnp_twins_accepted(name):
    rng = _rng(name, 0)
    refused = 0
    for _ in range(40):
        py_fn, jnp_fn = _lambda_pair(rng, multiplicative=name == "MultiplicativeLR")
        getattr(compat, name)(lr=0.1, lr_lambda=jnp_fn)
        try:
            getattr(compat, name)(lr=0.1, lr_lambda=py_fn)
        except ValueError as err:  # `if`, min() or math.sin on the step
            assert str(err).startswith(f"{name}: lr_lambda must be a jax.numpy function")
            refused += 1
    assert refused > 10


def test_cyclic_lr_refuses_a_python_scale_fn_naming_it():
    for mode in ("cycle", "iterations"):
        with pytest.raises(ValueError, match=r"^CyclicLR: scale_fn must be a jax.numpy function"):
            compat.CyclicLR(
                base_lr=0.01,
                max_lr=0.1,
                step_size_up=10,
                scale_fn=lambda x: 1.0 if x < 3 else 0.5,
                scale_mode=mode,
            )
    with pytest.raises(ValueError, match=r"^CyclicMomentum: scale_fn must return numbers"):
        compat.CyclicMomentum(base_lr=0.01, max_lr=0.1, step_size_up=10, scale_fn=lambda x: None)


@pytest.mark.parametrize("name,seed", _cases(["CyclicLR"]))
def test_cyclic_lr_and_momentum_match_torch(name, seed):
    rng = _rng(name, seed)
    cfg, adam = _cfg_cyclic(rng), bool(rng.random() < 0.3)
    want, want_m = _torch_run(lambda opt: lrs.CyclicLR(opt, **cfg), 0.1, adam=adam)
    _close(_ours(compat.CyclicLR(lr=0.1, **cfg)), want, cfg["max_lr"])
    _close(_ours(compat.CyclicMomentum(lr=0.1, **cfg)), want_m)


@pytest.mark.parametrize("name,seed", _cases(["OneCycleLR"]))
def test_one_cycle_lr_and_momentum_match_torch(name, seed):
    rng = _rng(name, seed)
    cfg, adam = _cfg_one_cycle(rng), bool(rng.random() < 0.3)
    want, want_m = _torch_run(lambda opt: lrs.OneCycleLR(opt, **cfg), 0.1, adam=adam)
    _close(_ours(compat.OneCycleLR(**cfg)), want, cfg["max_lr"])
    _close(_ours(compat.OneCycleMomentum(**cfg)), want_m)


# ----------------------------------------------------------------------------
# Combinations: random members built the same way on both sides.

_CHAINABLE = ["ConstantLR", "LinearLR", "StepLR", "MultiStepLR", "ExponentialLR"]
_CHAINABLE += ["PolynomialLR", "MultiplicativeLR", "CosineAnnealingLR"]
_SEQUENCED = _CHAINABLE + ["CosineAnnealingWarmRestarts", "LambdaLR"]


def _member(rng, name: str, chain: bool):
    """(torch factory, schedalg factory) for one member scheduler."""
    if name in ("LambdaLR", "MultiplicativeLR"):
        py_fn, jnp_fn = _lambda_pair(rng, multiplicative=name == "MultiplicativeLR")
        return (
            lambda opt: getattr(lrs, name)(opt, py_fn),
            lambda lr: getattr(compat, name)(lr=lr, lr_lambda=jnp_fn),
        )
    cfg = SIMPLE[name](rng)
    if name == "CosineAnnealingLR" and chain:
        # eta_min = 0 multiplies; past T_max torch's chain drops the other factors.
        cfg = dict(T_max=int(rng.integers(STEPS, 2 * STEPS)), eta_min=0.0)
    if name in ("LinearLR", "PolynomialLR") and not chain:
        cfg["total_iters"] = max(cfg["total_iters"], 1)  # torch divides by 0 at a milestone
    return (
        lambda opt: getattr(lrs, name)(opt, **cfg),
        lambda lr: getattr(compat, name)(lr=lr, **cfg),
    )


@pytest.mark.parametrize("name,seed", _cases(["ChainedScheduler"]))
def test_chained_scheduler_matches_torch(name, seed):
    rng = _rng(name, seed)
    lr = _lr(rng)
    members = [_member(rng, str(n), True) for n in rng.choice(_CHAINABLE, rng.integers(2, 5))]
    want, _ = _torch_run(lambda opt: lrs.ChainedScheduler([m[0](opt) for m in members]), lr)
    _close(_ours(compat.ChainedScheduler([m[1](lr) for m in members])), want, lr)


@pytest.mark.parametrize("name,seed", _cases(["SequentialLR"]))
def test_sequential_lr_matches_torch_at_and_between_milestones(name, seed):
    rng = _rng(name, seed)
    lr = _lr(rng)
    k = int(rng.integers(2, 5))
    members = [_member(rng, str(n), False) for n in rng.choice(_SEQUENCED, k)]
    milestones = sorted(int(m) for m in rng.integers(1, STEPS, size=k - 1))
    if rng.random() < 0.15:
        milestones[0] = 0  # the second scheduler starts right away
    want, _ = _torch_run(
        lambda opt: lrs.SequentialLR(opt, [m[0](opt) for m in members], milestones), lr
    )
    got = _ours(compat.SequentialLR([m[1](lr) for m in members], milestones, lr=lr))
    _close(got, want, lr)


# ----------------------------------------------------------------------------
# Edge cases by name.


def test_one_cycle_holds_min_lr_past_the_end_where_torch_raises():
    total = 50
    cfg = dict(max_lr=0.1, total_steps=total, pct_start=0.3)
    want, _ = _torch_run(lambda opt: lrs.OneCycleLR(opt, **cfg), 0.1, steps=total)
    got = _ours(compat.OneCycleLR(**cfg), steps=STEPS)
    _close(got[:total], want, 0.1)
    np.testing.assert_allclose(got[total - 1 :], 0.1 / 25.0 / 1e4, rtol=1e-12)
    with pytest.raises(ValueError, match="Tried to step"):
        _torch_run(lambda opt: lrs.OneCycleLR(opt, **cfg), 0.1, steps=total + 2)


def test_cosine_annealing_lr_follows_the_cosine_past_t_max():
    want, _ = _torch_run(lambda opt: lrs.CosineAnnealingLR(opt, T_max=10), 1.0)
    got = _ours(compat.CosineAnnealingLR(lr=1.0, T_max=10))
    _close(got, want)
    assert got[10] == pytest.approx(0.0, abs=1e-15) and got[20] == pytest.approx(1.0)
    assert got[15] == pytest.approx(0.5)


def test_linear_lr_with_zero_total_iters_keeps_start_factor_like_torch():
    want, _ = _torch_run(lambda opt: lrs.LinearLR(opt, 0.25, 1.0, total_iters=0), 0.1)
    _close(_ours(compat.LinearLR(lr=0.1, start_factor=0.25, total_iters=0)), want)
    assert want[-1] == pytest.approx(0.025)


def test_sequential_lr_with_multiplicative_lr_continues_from_the_previous_lr():
    members = [
        (
            lambda opt: lrs.ExponentialLR(opt, 0.9),
            lambda lr: compat.ExponentialLR(lr=lr, gamma=0.9),
        ),
        (
            lambda opt: lrs.MultiplicativeLR(opt, lambda e: 0.5 if e == 0 else 0.99),
            lambda lr: compat.MultiplicativeLR(
                lr=lr, lr_lambda=lambda e: jnp.where(e == 0, 0.5, 0.99)
            ),
        ),
    ]
    want, _ = _torch_run(lambda opt: lrs.SequentialLR(opt, [m[0](opt) for m in members], [5]), 1.0)
    got = _ours(compat.SequentialLR([m[1](1.0) for m in members], [5]))
    _close(got, want)
    assert got[5] == pytest.approx(0.9**4 * 0.5)


def test_chained_scheduler_refuses_a_scheduler_that_sets_the_lr():
    with pytest.raises(ValueError, match=r"ChainedScheduler: scheduler 2 of 2 \(LambdaLR\)"):
        compat.ChainedScheduler(
            [compat.StepLR(lr=0.1, step_size=3), compat.LambdaLR(lr=0.1, lr_lambda=lambda e: e)]
        )
    with pytest.raises(ValueError, match="not made by schedalg.compat.torch"):
        compat.ChainedScheduler([sa.constant(0.1), compat.StepLR(lr=0.1, step_size=3)])


def test_constructors_validate_with_their_own_name():
    with pytest.raises(ValueError, match=r"StepLR: last_epoch must be -1"):
        compat.StepLR(lr=0.1, step_size=3, last_epoch=4)
    with pytest.raises(ValueError, match=r"ConstantLR: factor must be in \[0, 1\], got factor=2"):
        compat.ConstantLR(lr=0.1, factor=2.0)
    with pytest.raises(ValueError, match=r"OneCycleLR: pct_start \* total_steps must be > 1"):
        compat.OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.05)
    with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts: T_mult must be"):
        compat.CosineAnnealingWarmRestarts(lr=0.1, T_0=10, T_mult=1.5)


def test_examples_build_schedules_and_plateau_rules():
    names = {n: getattr(compat, n) for n in compat.__all__}
    for text in compat.EXAMPLES:
        built = eval(text, names)  # the examples are this module's own source text
        assert isinstance(built, (sa.Schedule, compat.reduce_on_plateau)), text
        assert repr(built)


def test_jitted_evaluation_matches_eager_for_the_custom_pieces():
    # Under jit the steps are traced: MultiplicativeLR's product runs in a while_loop.
    schedules = [
        compat.MultiplicativeLR(lr=0.1, lr_lambda=lambda e: jnp.where(e % 7 == 0, 0.5, 1.001)),
        compat.SequentialLR(
            [
                compat.StepLR(lr=0.1, step_size=10),
                compat.MultiplicativeLR(lr=0.1, lr_lambda=lambda e: 0.99),
            ],
            [100],
        ),
        compat.CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=9, scale_fn=lambda c: 1 / c),
    ]
    steps = jnp.arange(STEPS)
    for s in schedules:
        np.testing.assert_allclose(sa.evaluate(s, steps), s(steps), rtol=1e-12)


# ----------------------------------------------------------------------------
# Copies (the ``copy`` fixture of conftest.py): SequentialLR and ChainedScheduler read a
# scheduler's lr and torch's quirks from the schedule alone, so a copy that keeps none
# of its objects combines as the original does, and as torch does.


def _kind(name: str, **cfg):
    """(torch factory, schedalg factory) of one scheduler with fixed arguments."""
    return (
        lambda opt: getattr(lrs, name)(opt, **cfg),
        lambda lr: getattr(compat, name)(lr=lr, **cfg),
    )


def _lambda_kind(name: str, py_fn, jnp_fn):
    return (
        lambda opt: getattr(lrs, name)(opt, py_fn),
        lambda lr: getattr(compat, name)(lr=lr, lr_lambda=jnp_fn),
    )


def _chain_kind(*members):
    return (
        lambda opt: lrs.ChainedScheduler([m[0](opt) for m in members]),
        lambda lr: compat.ChainedScheduler([m[1](lr) for m in members]),
    )


# Every form a chainable constructor builds (total_iters=0 and no milestones included).
_CHAINABLE_KINDS = {
    "StepLR": _kind("StepLR", step_size=7, gamma=0.5),
    "MultiStepLR": _kind("MultiStepLR", milestones=[10, 40, 40], gamma=0.5),
    "MultiStepLR-no-milestones": _kind("MultiStepLR", milestones=[]),
    "ConstantLR": _kind("ConstantLR", factor=0.5, total_iters=20),
    "ConstantLR-0": _kind("ConstantLR", factor=0.5, total_iters=0),
    "LinearLR": _kind("LinearLR", start_factor=0.2, end_factor=0.9, total_iters=30),
    "LinearLR-0": _kind("LinearLR", start_factor=0.2, total_iters=0),
    "ExponentialLR": _kind("ExponentialLR", gamma=0.99),
    "PolynomialLR": _kind("PolynomialLR", total_iters=50, power=2.0),
    "PolynomialLR-0": _kind("PolynomialLR", total_iters=0),
    "CosineAnnealingLR": _kind("CosineAnnealingLR", T_max=400),  # eta_min=0 multiplies
    "MultiplicativeLR": _lambda_kind(
        "MultiplicativeLR",
        lambda e: 0.98 if e % 3 == 0 else 0.999,
        lambda e: jnp.where(e % 3 == 0, 0.98, 0.999),
    ),
    "ChainedScheduler": _chain_kind(
        _kind("StepLR", step_size=5, gamma=0.8), _kind("ConstantLR", factor=0.3, total_iters=9)
    ),
}
_FIRST = _kind("ExponentialLR", gamma=0.995)


@pytest.mark.parametrize("kind", sorted(_CHAINABLE_KINDS))
def test_a_copy_chains_as_the_original_and_as_torch(kind, copy):
    make_torch, make_ours = _CHAINABLE_KINDS[kind]
    lr = 0.1  # not 1: a chain divides by each scheduler's lr
    want, _ = _torch_run(lambda opt: lrs.ChainedScheduler([_FIRST[0](opt), make_torch(opt)]), lr)
    original = _ours(compat.ChainedScheduler([_FIRST[1](lr), make_ours(lr)]))
    copied = _ours(compat.ChainedScheduler([_FIRST[1](lr), copy(make_ours(lr))]))
    np.testing.assert_array_equal(copied, original)
    _close(copied, want, lr)


# Every form that follows a milestone (torch's restarts included).
_SEQUENCE_KINDS = {
    name: pair
    for name, pair in _CHAINABLE_KINDS.items()
    # torch divides by zero (see below); a chain cannot restart at a milestone.
    if name not in ("LinearLR-0", "PolynomialLR-0", "ChainedScheduler")
}
_SEQUENCE_KINDS |= {
    "CosineAnnealingLR-eta_min": _kind("CosineAnnealingLR", T_max=30, eta_min=1e-3),
    "CosineAnnealingWarmRestarts": _kind("CosineAnnealingWarmRestarts", T_0=20, T_mult=2),
    "LambdaLR": _lambda_kind("LambdaLR", lambda e: 0.97**e, lambda e: 0.97**e),
}


@pytest.mark.parametrize("kind", sorted(_SEQUENCE_KINDS))
def test_a_copy_follows_a_milestone_as_the_original_and_as_torch(kind, copy):
    make_torch, make_ours = _SEQUENCE_KINDS[kind]
    lr, milestones = 0.1, [40]
    want, _ = _torch_run(
        lambda opt: lrs.SequentialLR(opt, [_FIRST[0](opt), make_torch(opt)], milestones), lr
    )
    original = _ours(compat.SequentialLR([_FIRST[1](lr), make_ours(lr)], milestones))
    copied = _ours(compat.SequentialLR([_FIRST[1](lr), copy(make_ours(lr))], milestones))
    np.testing.assert_array_equal(copied, original)
    _close(copied, want, lr)


@pytest.mark.parametrize("name", ["LinearLR", "PolynomialLR"])
def test_a_copy_with_zero_total_iters_cannot_follow_a_milestone_either(name, copy):
    make_torch, make_ours = _CHAINABLE_KINDS[f"{name}-0"]
    with pytest.raises(ZeroDivisionError):
        _torch_run(lambda opt: lrs.SequentialLR(opt, [_FIRST[0](opt), make_torch(opt)], [5]), 0.1)
    rule = f"SequentialLR: {name} with total_iters=0 cannot follow a milestone"
    for schedule in (make_ours(0.1), copy(make_ours(0.1))):
        with pytest.raises(ValueError, match=rule):
            compat.SequentialLR([_FIRST[1](0.1), schedule], [5])


_SETS_THE_LR = {
    "LambdaLR": lambda: compat.LambdaLR(lr=0.1, lr_lambda=lambda e: 0.9**e),
    "CosineAnnealingLR": lambda: compat.CosineAnnealingLR(lr=0.1, T_max=10, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda: compat.CosineAnnealingWarmRestarts(lr=0.1, T_0=10),
    "CyclicLR": lambda: compat.CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5),
    "CyclicLR-scale_fn": lambda: compat.CyclicLR(
        base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=lambda c: 1.0 / c
    ),
    "OneCycleLR": lambda: compat.OneCycleLR(max_lr=0.1, total_steps=100),
    "SequentialLR": lambda: compat.SequentialLR(
        [compat.StepLR(lr=0.1, step_size=3), compat.ExponentialLR(lr=0.1, gamma=0.9)], [5]
    ),
}


@pytest.mark.parametrize("kind", sorted(_SETS_THE_LR))
def test_a_copy_of_a_scheduler_that_sets_the_lr_is_refused_as_the_original(kind, copy):
    messages = []
    for schedule in (_SETS_THE_LR[kind](), copy(_SETS_THE_LR[kind]())):
        with pytest.raises(ValueError) as err:
            compat.ChainedScheduler([compat.StepLR(lr=0.1, step_size=3), schedule])
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert f"({kind.split('-')[0]}) sets the lr on each step" in messages[0]
