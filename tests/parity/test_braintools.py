"""Parity of schedalg.compat.braintools with braintools 0.3.0's ``braintools.optim`` schedulers.

Each case draws one random configuration (seeded by constructor and case number),
reads the real braintools scheduler's learning rate after 0 .. STEPS - 1 steps and
compares it with the schedalg schedule evaluated over all steps in one call, in float64.

Reading is fast where braintools allows it: a scheduler whose ``step()`` only advances
``last_epoch`` and recomputes ``get_lr()`` (closed form, jax.numpy) is read at every
step in one ``get_lr()`` call with ``last_epoch`` set to ``arange(STEPS)``;
``test_reading_all_steps_at_once_equals_stepping`` checks that against real stepping.
The others are stepped. braintools' SequentialLR dispatches through
``brainstate.transform.switch``, which retraces on every step (about 0.3 s each), so
the random cases read each sub-scheduler over its own span (what that dispatch does)
and ``test_sequential_lr_itself_matches_the_reading_of_its_pieces`` runs the real
SequentialLR once. (Importing brainstate sets ``jax_enable_x64`` off; the autouse
fixture of ``conftest.py`` switches it on for each test.)
"""

from __future__ import annotations

import functools
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

optim = pytest.importorskip("braintools.optim")

import schedalg as sa  # noqa: E402
from schedalg.compat import braintools as compat  # noqa: E402

N_CASES = 25
STEPS = 300
RTOL = 1e-6


def _rng(name: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), seed])


# step() = "last_epoch += 1; get_lr()" with a jax.numpy closed form in last_epoch.
_CLOSED_FORM = {
    "StepLR",
    "ExponentialLR",
    "ExponentialDecayLR",
    "CosineAnnealingLR",
    "PolynomialLR",
    "WarmupScheduler",
    "LinearLR",
    "ConstantLR",
    "WarmupCosineSchedule",
    "PiecewiseConstantSchedule",
    "CyclicLR",
    "OneCycleLR",
}


def _read(scheduler, steps: int = STEPS) -> np.ndarray:
    """The lr after 0 .. steps - 1 steps of a fresh scheduler."""
    members = getattr(scheduler, "schedulers", [scheduler])  # a chain reads its members
    if not all(type(s).__name__ in _CLOSED_FORM for s in members):
        return _run(scheduler, steps)
    for s in members:
        s.last_epoch.value = np.arange(STEPS)  # one shape for every reading: fewer compiles
    return np.broadcast_to(np.asarray(scheduler.get_lr()[0], np.float64), (STEPS,))[:steps]


def _run(scheduler, steps: int = STEPS) -> np.ndarray:
    """The lr after 0 .. steps - 1 real calls of ``scheduler.step()``."""
    out = [float(scheduler.get_last_lr()[0])]
    for _ in range(steps - 1):
        scheduler.step()
        out.append(float(scheduler.get_last_lr()[0]))
    return np.asarray(out)


def _ours(schedule, steps: int = STEPS) -> np.ndarray:
    values = schedule(jnp.arange(steps))
    assert values.dtype == jnp.float64
    return np.asarray(values)


def _close(got, want, scale: float):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-13 * scale)


def _base(rng) -> float:
    return float(10 ** rng.uniform(-4, 0))


# ----------------------------------------------------------------------------
# Random configurations under braintools' keyword names (shared by both sides).


def _cfg_step(rng):
    return dict(step_size=int(rng.integers(1, 80)), gamma=float(rng.uniform(0.05, 1.0)))


def _cfg_multistep(rng):
    milestones = [int(m) for m in rng.integers(0, STEPS + 50, size=int(rng.integers(1, 6)))]
    return dict(milestones=milestones, gamma=float(rng.uniform(0.05, 1.0)))


def _cfg_exponential(rng):
    return dict(gamma=float(rng.uniform(0.95, 1.01)))


def _cfg_exponential_decay(rng):
    rate = float(rng.uniform(0.2, 0.99) if rng.random() < 0.8 else rng.uniform(1.01, 1.5))
    cfg = dict(
        decay_steps=int(rng.integers(1, 200)),
        decay_rate=rate,
        transition_begin=int(rng.choice([0, int(rng.integers(1, 100))])),
        staircase=bool(rng.random() < 0.5),
    )
    if rng.random() < 0.5:
        cfg["end_value"] = float(rng.uniform(0.1, 0.9) if rate < 1 else rng.uniform(1.1, 3.0))
    return cfg


def _cfg_cosine(rng):
    return dict(T_max=int(rng.integers(1, STEPS)), eta_min=float(rng.choice([0.0, 1e-5, 1e-3])))


def _cfg_polynomial(rng):
    return dict(total_iters=int(rng.integers(1, STEPS + 50)), power=float(rng.uniform(0.3, 3.0)))


def _cfg_warmup(rng):
    return dict(
        warmup_epochs=int(rng.choice([0, int(rng.integers(1, STEPS + 50))])),
        warmup_start_lr=float(rng.choice([0.0, 1e-5])),
    )


def _cfg_linear(rng):
    return dict(
        start_factor=float(rng.uniform(0.01, 1.0)),
        end_factor=float(rng.uniform(0.0, 1.0)),
        total_iters=int(rng.choice([0, int(rng.integers(1, STEPS + 50))])),
    )


def _cfg_constant(rng):
    return dict(factor=float(rng.uniform(0.01, 1.0)), total_iters=int(rng.integers(0, STEPS + 50)))


def _cfg_warm_restarts(rng):
    return dict(
        T_0=int(rng.integers(1, 60)),
        T_mult=int(rng.choice([1, 1, 2, 3])),
        eta_min=float(rng.choice([0.0, 1e-5, 1e-3])),
    )


def _cfg_warmup_cosine(rng):
    warm = int(rng.choice([0, int(rng.integers(1, 100))]))
    return dict(
        warmup_steps=warm,
        total_steps=int(rng.integers(warm + 1, STEPS + 100)),
        warmup_start_lr=float(rng.choice([0.0, 1e-5])),
        eta_min=float(rng.choice([0.0, 1e-5, 1e-3])),
    )


def _cfg_piecewise(rng):
    k = int(rng.integers(1, 5))
    bounds = sorted(int(b) for b in rng.integers(0, STEPS, size=k))
    return dict(boundaries=bounds, values=[float(v) for v in 10 ** rng.uniform(-4, 0, k + 1)])


SIMPLE = {
    "StepLR": _cfg_step,
    "MultiStepLR": _cfg_multistep,
    "ExponentialLR": _cfg_exponential,
    "ExponentialDecayLR": _cfg_exponential_decay,
    "CosineAnnealingLR": _cfg_cosine,
    "PolynomialLR": _cfg_polynomial,
    "WarmupScheduler": _cfg_warmup,
    "LinearLR": _cfg_linear,
    "ConstantLR": _cfg_constant,
    "CosineAnnealingWarmRestarts": _cfg_warm_restarts,
    "WarmupCosineSchedule": _cfg_warmup_cosine,
    "PiecewiseConstantSchedule": _cfg_piecewise,
}


def _cfg_cyclic(rng):
    base = float(10 ** rng.uniform(-4, -2))
    cfg = dict(
        base_lr=base,
        max_lr=base * float(rng.uniform(1.5, 100)),
        step_size_up=int(rng.integers(1, 60)),
        step_size_down=None if rng.random() < 0.3 else int(rng.integers(1, 60)),
        mode=str(rng.choice(["triangular", "triangular2", "exp_range"])),
        gamma=float(rng.uniform(0.98, 1.0)),
    )
    if rng.random() < 0.25:  # a custom amplitude, per cycle or per step
        a = float(rng.uniform(0.5, 1.0))
        cfg.update(scale_mode=str(rng.choice(["cycle", "iterations"])), scale_fn=lambda x: a**x)
    return cfg


def _cfg_one_cycle(rng):
    cfg = dict(
        max_lr=float(10 ** rng.uniform(-3, 0)),
        pct_start=float(rng.uniform(0.05, 0.95)),
        anneal_strategy=str(rng.choice(["cos", "linear"])),
        div_factor=float(rng.uniform(5, 50)),
        final_div_factor=float(10 ** rng.uniform(1, 5)),
    )
    if rng.random() < 0.5:  # sometimes shorter than the run: steps past the end
        cfg["total_steps"] = int(rng.integers(50, STEPS + 200))
    else:
        cfg.update(epochs=int(rng.integers(2, 20)), steps_per_epoch=int(rng.integers(5, 30)))
    return cfg


def _cases(names):
    return [pytest.param(n, i, id=f"{n}-{i}") for n in names for i in range(N_CASES)]


@pytest.mark.parametrize("name,seed", _cases(SIMPLE))
def test_simple_scheduler_matches_braintools(name, seed):
    rng = _rng(name, seed)
    cfg = dict(base_lr=_base(rng), **SIMPLE[name](rng))
    want = _read(getattr(optim, name)(**cfg))
    _close(_ours(getattr(compat, name)(**cfg)), want, np.max(np.abs(want)))


@pytest.mark.parametrize("name", [*sorted(_CLOSED_FORM), "ChainedScheduler"])
def test_reading_all_steps_at_once_equals_stepping(name):
    rng = _rng(name, N_CASES)
    if name == "ChainedScheduler":
        names = ["WarmupScheduler", "CyclicLR", "OneCycleLR", "StepLR"]
        members = [_member(rng, n, False)[0] for n in names]
        stepped = _run(optim.ChainedScheduler([m() for m in members]))
        read = _read(optim.ChainedScheduler([m() for m in members]))
        np.testing.assert_allclose(read, stepped, rtol=1e-12)
        return
    if name == "CyclicLR":
        cfg = _cfg_cyclic(rng)
    elif name == "OneCycleLR":
        cfg = _cfg_one_cycle(rng)
    else:
        cfg = dict(base_lr=_base(rng), **SIMPLE[name](rng))
    stepped = _run(getattr(optim, name)(**cfg))
    np.testing.assert_allclose(_read(getattr(optim, name)(**cfg)), stepped, rtol=1e-12)


@pytest.mark.parametrize("name,seed", _cases(["CyclicLR"]))
def test_cyclic_lr_matches_braintools_for_unequal_step_sizes_too(name, seed):
    cfg = _cfg_cyclic(_rng(name, seed))
    want = _read(optim.CyclicLR(**cfg))
    _close(_ours(compat.CyclicLR(**cfg)), want, cfg["max_lr"])


@pytest.mark.parametrize("name,seed", _cases(["OneCycleLR"]))
def test_one_cycle_lr_matches_braintools_past_the_end_too(name, seed):
    cfg = _cfg_one_cycle(_rng(name, seed))
    want = _read(optim.OneCycleLR(**cfg))
    _close(_ours(compat.OneCycleLR(**cfg)), want, cfg["max_lr"])


# ----------------------------------------------------------------------------
# Combinations: random members built the same way on both sides.

_MEMBERS = [n for n in SIMPLE if n != "PiecewiseConstantSchedule"] + ["CyclicLR", "OneCycleLR"]


def _member(rng, name: str, sequence: bool):
    if name == "CyclicLR":
        cfg = _cfg_cyclic(rng)
    elif name == "OneCycleLR":
        cfg = _cfg_one_cycle(rng)
    else:
        cfg = dict(base_lr=_base(rng), **SIMPLE[name](rng))
        if name == "CosineAnnealingWarmRestarts" and sequence:
            # braintools jumps to an epoch with a float log that can land one cycle
            # early at a restart when T_mult > 1; an integer-exact restart is compared.
            cfg["T_mult"] = 1
    return (lambda: getattr(optim, name)(**cfg)), (lambda: getattr(compat, name)(**cfg))


@pytest.mark.parametrize("name,seed", _cases(["ChainedScheduler"]))
def test_chained_scheduler_matches_braintools(name, seed):
    rng = _rng(name, seed)
    members = [_member(rng, str(n), False) for n in rng.choice(_MEMBERS, rng.integers(2, 4))]
    want = _read(optim.ChainedScheduler([m[0]() for m in members]))
    _close(_ours(compat.ChainedScheduler([m[1]() for m in members])), want, np.max(want))


def _sequence_reading(members, milestones, steps: int = STEPS) -> np.ndarray:
    """braintools' SequentialLR dispatch: sub-scheduler i, stepped to ``n - milestone``,
    gives the lr on ``[milestones[i - 1], milestones[i])``."""
    starts = [0, *milestones]
    out = np.empty(steps)
    for i, (make, _) in enumerate(members):
        lo, hi = starts[i], starts[i + 1] if i + 1 < len(starts) else steps
        lo, hi = min(lo, steps), min(max(hi, lo), steps)
        if hi > lo:
            out[lo:hi] = _read(make(), hi - lo)
    return out


@pytest.mark.parametrize("name,seed", _cases(["SequentialLR"]))
def test_sequential_lr_matches_braintools(name, seed):
    rng = _rng(name, seed)
    k = int(rng.integers(2, 5))
    members = [_member(rng, str(n), True) for n in rng.choice(_MEMBERS, k)]
    milestones = sorted(int(m) for m in rng.integers(0, STEPS, size=k - 1))
    want = _sequence_reading(members, milestones)
    got = _ours(compat.SequentialLR([m[1]() for m in members], milestones))
    _close(got, want, np.max(want))


def test_sequential_lr_itself_matches_the_reading_of_its_pieces():
    rng = _rng("SequentialLR", N_CASES)
    names = ["CosineAnnealingWarmRestarts", "OneCycleLR", "LinearLR", "MultiStepLR"]
    members = [_member(rng, n, True) for n in names]
    milestones, steps = [15, 35, 35], 60  # a repeated milestone skips a scheduler
    with jax.disable_jit():  # brainstate's switch: far fewer recompilations
        real = _run(optim.SequentialLR([m[0]() for m in members], milestones), steps)
    np.testing.assert_allclose(real, _sequence_reading(members, milestones, steps), rtol=1e-14)
    got = _ours(compat.SequentialLR([m[1]() for m in members], milestones))[:steps]
    _close(got, real, np.max(real))


# ----------------------------------------------------------------------------
# Edge cases by name.


def test_cosine_annealing_lr_holds_eta_min_after_t_max_unlike_torch():
    cfg = dict(base_lr=1.0, T_max=10, eta_min=0.01)
    want = _run(optim.CosineAnnealingLR(**cfg))
    got = _ours(compat.CosineAnnealingLR(**cfg))
    _close(got, want, 1.0)
    np.testing.assert_allclose(got[10:], 0.01, rtol=1e-12)


def test_cyclic_lr_with_a_longer_fall_reads_braintools_triangle():
    cfg = dict(base_lr=0.0, max_lr=1.0, step_size_up=10, step_size_down=20)
    want = _run(optim.CyclicLR(**cfg))
    got = _ours(compat.CyclicLR(**cfg))
    _close(got, want, 1.0)
    assert got[25] == 0.0 and got[35] == pytest.approx(0.5)  # cycle 2 reads n - 20


def test_chained_scheduler_refuses_schedules_it_did_not_make():
    with pytest.raises(ValueError, match="not made by schedalg.compat.braintools"):
        compat.ChainedScheduler([sa.constant(0.1), compat.StepLR(base_lr=0.1)])


def test_constructors_validate_with_their_own_name():
    with pytest.raises(ValueError, match=r"StepLR: last_epoch must be 0"):
        compat.StepLR(base_lr=0.1, last_epoch=3)
    with pytest.raises(ValueError, match=r"CyclicLR: mode must be one of"):
        compat.CyclicLR(mode="sawtooth")
    with pytest.raises(ValueError, match=r"OneCycleLR: define either total_steps"):
        compat.OneCycleLR(max_lr=0.1, epochs=3)


def test_examples_build_schedules_and_plateau_rules():
    names = {n: getattr(compat, n) for n in compat.__all__}
    for text in compat.EXAMPLES:
        built = eval(text, names)  # the examples are this module's own source text
        assert isinstance(built, (sa.Schedule, compat.reduce_on_plateau)), text
        assert repr(built)


# ----------------------------------------------------------------------------
# Copies (the ``copy`` fixture of conftest.py): ChainedScheduler reads each scheduler's
# base lr (and SequentialLR its first scheduler's) from the schedule alone, so a copy
# that keeps none of its objects combines as the original does, and as braintools does.


def _kind(name: str, **cfg):
    """(braintools factory, schedalg factory) of one scheduler with fixed arguments."""
    return (lambda: getattr(optim, name)(**cfg)), (lambda: getattr(compat, name)(**cfg))


def _combined(name: str, members, *args):
    return (
        lambda: getattr(optim, name)([m[0]() for m in members], *args),
        lambda: getattr(compat, name)([m[1]() for m in members], *args),
    )


_B = 0.05  # each scheduler's base lr, not the first one's: a chain divides by it
# Every form a constructor builds (no milestones, total_iters=0, each CyclicLR and
# OneCycleLR form included).
_KINDS = {
    "StepLR": _kind("StepLR", base_lr=_B, step_size=7, gamma=0.5),
    "MultiStepLR": _kind("MultiStepLR", base_lr=_B, milestones=[10, 40], gamma=0.5),
    "MultiStepLR-no-milestones": _kind("MultiStepLR", base_lr=_B, milestones=[]),
    "ExponentialLR": _kind("ExponentialLR", base_lr=_B, gamma=0.99),
    "ExponentialDecayLR": _kind(
        "ExponentialDecayLR", base_lr=_B, decay_steps=20, decay_rate=0.5, transition_begin=10
    ),
    "CosineAnnealingLR": _kind("CosineAnnealingLR", base_lr=_B, T_max=100, eta_min=1e-4),
    "PolynomialLR": _kind("PolynomialLR", base_lr=_B, total_iters=150, power=2.0),
    "CosineAnnealingWarmRestarts": _kind(
        "CosineAnnealingWarmRestarts", base_lr=_B, T_0=20, T_mult=2, eta_min=1e-4
    ),
    "PiecewiseConstantSchedule": _kind(
        "PiecewiseConstantSchedule", base_lr=_B, boundaries=[20, 60], values=[0.1, 0.02, 0.004]
    ),
    "WarmupScheduler": _kind("WarmupScheduler", base_lr=_B, warmup_epochs=30, warmup_start_lr=1e-5),
    "LinearLR": _kind("LinearLR", base_lr=_B, start_factor=0.2, end_factor=0.9, total_iters=30),
    "LinearLR-0": _kind("LinearLR", base_lr=_B, start_factor=0.2, end_factor=0.9, total_iters=0),
    "ConstantLR": _kind("ConstantLR", base_lr=_B, factor=0.5, total_iters=20),
    "WarmupCosineSchedule": _kind(
        "WarmupCosineSchedule", base_lr=_B, warmup_steps=20, total_steps=200, eta_min=1e-4
    ),
    "CyclicLR": _kind("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=20),
    "CyclicLR-unequal": _kind(
        "CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=10, step_size_down=30, mode="triangular2"
    ),
    "CyclicLR-scale_fn": _kind(
        "CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=20, scale_fn=lambda c: 1.0 / c
    ),
    "OneCycleLR": _kind("OneCycleLR", max_lr=0.1, total_steps=250),
    "OneCycleLR-linear": _kind("OneCycleLR", max_lr=0.1, total_steps=250, anneal_strategy="linear"),
    "ChainedScheduler": _combined(
        "ChainedScheduler",
        [
            _kind("StepLR", base_lr=0.2, step_size=5, gamma=0.8),
            _kind("ConstantLR", base_lr=0.3, factor=0.3, total_iters=9),
        ],
    ),
    "SequentialLR": _combined(
        "SequentialLR",
        [
            _kind("StepLR", base_lr=0.2, step_size=7, gamma=0.5),
            _kind("ExponentialLR", base_lr=_B, gamma=0.9),
        ],
        [20],
    ),
}
_FIRST = _kind("ExponentialLR", base_lr=0.02, gamma=0.995)


@functools.cache
def _chained_reading(kind: str) -> np.ndarray:
    """braintools' ChainedScheduler of ``_FIRST`` and ``kind``."""
    chain = optim.ChainedScheduler([_FIRST[0](), _KINDS[kind][0]()])
    if kind != "SequentialLR":
        return _read(chain)
    with jax.disable_jit():  # brainstate's switch: far fewer recompilations
        return _run(chain, 60)


@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_a_copy_chains_as_the_original_and_as_braintools(kind, copy):
    make = _KINDS[kind][1]
    want = _chained_reading(kind)
    original = _ours(compat.ChainedScheduler([_FIRST[1](), make()]))[: len(want)]
    copied = _ours(compat.ChainedScheduler([_FIRST[1](), copy(make())]))[: len(want)]
    np.testing.assert_array_equal(copied, original)
    _close(copied, want, np.max(want))


@pytest.mark.parametrize("kind", sorted(set(_KINDS) - {"SequentialLR"}))
def test_a_copy_follows_a_milestone_as_the_original_and_as_braintools(kind, copy):
    members, milestones = [_FIRST, _KINDS[kind]], [40]
    want = _sequence_reading(members, milestones)
    original = _ours(compat.SequentialLR([_FIRST[1](), _KINDS[kind][1]()], milestones))
    copied = _ours(compat.SequentialLR([_FIRST[1](), copy(_KINDS[kind][1]())], milestones))
    np.testing.assert_array_equal(copied, original)
    _close(copied, want, np.max(want))
