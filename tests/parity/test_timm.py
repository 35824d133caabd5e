"""Parity of schedalg.compat.timm with timm 1.0.31's schedulers (``scheduler._get_lr(t)``).

timm's package ``__init__`` imports torchvision (not installed here), so only its
``timm/scheduler/*.py`` modules are loaded, under stub packages that are removed again.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import sys
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import schedalg as sa  # noqa: E402
from schedalg.compat import timm as compat  # noqa: E402

N_CASES = 25
RTOL = 1e-6
# One step count for every case: eager jax.numpy caches each op per shape, so a fixed
# shape keeps the whole file fast.
STEPS = 600


def _load_timm_schedulers() -> dict[str, type]:
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("timm is not installed", allow_module_level=True)
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    saved = {k: v for k, v in sys.modules.items() if k == "timm" or k.startswith("timm.")}
    try:
        for name, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        modules = {
            "CosineLRScheduler": "cosine_lr",
            "TanhLRScheduler": "tanh_lr",
            "StepLRScheduler": "step_lr",
            "MultiStepLRScheduler": "multistep_lr",
            "PolyLRScheduler": "poly_lr",
            "PlateauLRScheduler": "plateau_lr",
        }
        return {
            cls: getattr(importlib.import_module(f"timm.scheduler.{mod}"), cls)
            for cls, mod in modules.items()
        }
    finally:  # leave no stub behind for other tests
        for key in [k for k in sys.modules if k == "timm" or k.startswith("timm.")]:
            del sys.modules[key]
        sys.modules.update(saved)


TIMM = _load_timm_schedulers()


def _reference(name: str, lr: float, steps: int, **kwargs) -> np.ndarray:
    param = torch.nn.Parameter(torch.zeros(1))
    scheduler = TIMM[name](torch.optim.SGD([param], lr=lr), **kwargs)
    return np.array([scheduler._get_lr(t)[0] for t in range(steps)], dtype=np.float64)


def _compare(name: str, lr: float, steps: int, **kwargs) -> None:
    expected = _reference(name, lr, steps, **kwargs)
    schedule = getattr(compat, name)(lr, **kwargs)
    got = np.asarray(schedule(jnp.arange(steps)))  # all steps in one call
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-12 * lr, err_msg=repr(schedule))


def _warmup_config(rng: np.random.Generator, seed: int, lr: float, prefix: bool) -> dict:
    warmup_t = 0 if seed % 4 == 0 else int(rng.integers(1, 30))
    init = 0.0 if seed % 3 == 0 else float(lr * rng.uniform(0.0, 1.5))
    return {"warmup_t": warmup_t, "warmup_lr_init": init, "warmup_prefix": prefix}


def _cycles_config(rng: np.random.Generator, seed: int, lr: float) -> dict:
    """Cycle arguments that cover every edge by seed; the cycles end before STEPS - 40."""
    t_initial = int(rng.integers(1, 80))
    # cycle_mul 2.0 (integer cycle starts), a random float, or 1.
    cycle_mul = (1.0, 2.0, float(rng.uniform(1.05, 2.5)))[seed % 3]
    cycle_decay = 1.0 if seed % 5 == 0 else float(rng.uniform(0.2, 1.0))
    lr_min = 0.0 if seed % 7 == 0 else float(lr * rng.uniform(0.0, 0.3))
    cycle_limit = int(rng.integers(1, 5))
    warmup = _warmup_config(rng, seed, lr, prefix=bool(seed % 2))
    while cycle_limit > 1 and _length(t_initial, cycle_mul, cycle_limit, warmup) > STEPS - 40:
        cycle_limit -= 1
    return {
        "t_initial": t_initial,
        "lr_min": lr_min,
        "cycle_mul": cycle_mul,
        "cycle_decay": cycle_decay,
        "cycle_limit": cycle_limit,
        **warmup,
    }


def _length(t_initial: int, cycle_mul: float, cycle_limit: int, warmup: dict) -> float:
    return t_initial * sum(cycle_mul**i for i in range(cycle_limit)) + warmup["warmup_t"]


@pytest.mark.parametrize("seed", range(N_CASES))
def test_cosine_matches_timm(seed):
    rng = np.random.default_rng(1000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    config = _cycles_config(rng, seed, lr)
    config["k_decay"] = 1.0 if seed % 2 == 0 else float(rng.uniform(0.3, 3.0))
    _compare("CosineLRScheduler", lr, STEPS, **config)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_tanh_matches_timm(seed):
    rng = np.random.default_rng(2000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    config = _cycles_config(rng, seed, lr)
    if seed % 3:
        config["lb"] = float(rng.uniform(-8.0, -1.0))
        config["ub"] = float(rng.uniform(0.5, 5.0))
    _compare("TanhLRScheduler", lr, STEPS, **config)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_poly_matches_timm(seed):
    rng = np.random.default_rng(3000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    config = _cycles_config(rng, seed, lr)
    config["power"] = float(rng.uniform(0.3, 3.0))
    config["k_decay"] = 1.0 if seed % 2 == 0 else float(rng.uniform(0.3, 3.0))
    _compare("PolyLRScheduler", lr, STEPS, **config)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_step_matches_timm(seed):
    rng = np.random.default_rng(4000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    decay_t = int(rng.integers(1, 60)) if seed % 4 else float(rng.uniform(0.5, 40.0))
    config = {
        "decay_t": decay_t,
        "decay_rate": float(rng.uniform(0.1, 1.0)),
        **_warmup_config(rng, seed, lr, prefix=bool(seed % 2 == 0)),
    }
    _compare("StepLRScheduler", lr, STEPS, **config)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_multistep_matches_timm(seed):
    rng = np.random.default_rng(5000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    count = int(rng.integers(1, 6))
    low = 0 if seed % 5 == 0 else 2  # milestones at 0/1 apply from t = 0 in timm
    decay_t = sorted(int(m) for m in rng.integers(low, STEPS - 20, size=count))
    config = {
        "decay_t": decay_t,
        "decay_rate": float(rng.uniform(0.1, 1.0)),
        **_warmup_config(rng, seed, lr, prefix=bool(seed % 2 == 0)),
    }
    _compare("MultiStepLRScheduler", lr, STEPS, **config)


def test_defaults_match_timm():
    for name, kwargs in [
        ("CosineLRScheduler", {"t_initial": 100}),
        ("TanhLRScheduler", {"t_initial": 100}),
        ("PolyLRScheduler", {"t_initial": 100}),
        ("StepLRScheduler", {"decay_t": 30}),
        ("MultiStepLRScheduler", {"decay_t": [30, 60]}),
    ]:
        _compare(name, 0.1, STEPS, **kwargs)


def test_cosine_cycle_start_is_exact_where_timm_float_log_is_not():
    # timm finds the cycle with a float log; log(243, 3) = 4.999..., so at the start of
    # cycle 5 (t = 121 with t_initial=1, cycle_mul=3) it stays in cycle 4 and returns
    # lr_min. schedalg's cycle index is exact and restarts there.
    kwargs = {"t_initial": 1, "cycle_mul": 3.0, "cycle_limit": 10, "lr_min": 0.01}
    expected = _reference("CosineLRScheduler", 1.0, STEPS, **kwargs)
    got = np.asarray(compat.CosineLRScheduler(1.0, **kwargs)(jnp.arange(STEPS)))
    assert expected[121] == pytest.approx(0.01) and got[121] == pytest.approx(1.0)
    keep = np.arange(STEPS) != 121
    np.testing.assert_allclose(got[keep], expected[keep], rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("seed", range(9))
def test_core_restart_with_floor_is_timm_cosine_with_cycle_decay_and_lr_min(seed):
    # One core expression for timm's decaying peaks over a fixed floor:
    # restart(cosine(lr, lr_min, T), mult=m, decay=d, floor=lr_min).
    rng = np.random.default_rng(7000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    t_initial = int(rng.integers(5, 60))
    mult = (2.0, 1.0, float(rng.uniform(1.05, 2.5)))[seed % 3]
    decay = float(rng.uniform(0.2, 0.95))
    lr_min = float(lr * rng.uniform(0.01, 0.5))
    kwargs = {"t_initial": t_initial, "lr_min": lr_min, "cycle_mul": mult, "cycle_decay": decay}
    expected = _reference("CosineLRScheduler", lr, STEPS, cycle_limit=10**6, **kwargs)
    cos = sa.cosine(lr, lr_min, t_initial)
    got = np.asarray(sa.restart(cos, mult=mult, decay=decay, floor=lr_min)(jnp.arange(STEPS)))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-12 * lr)
    # Without the floor the decay pulls lr_min down with the peak: visibly off.
    naive = np.asarray(sa.restart(cos, mult=mult, decay=decay)(jnp.arange(STEPS)))
    assert np.max(np.abs(naive - expected) / expected) > 0.05


def test_noise_is_refused():
    with pytest.raises(ValueError, match="noise_range_t must be None"):
        compat.CosineLRScheduler(0.1, t_initial=10, noise_range_t=5)


def test_timm_argument_names_in_errors():
    with pytest.raises(ValueError, match="CosineLRScheduler: t_initial must be > 0"):
        compat.CosineLRScheduler(0.1, t_initial=0)
    with pytest.raises(ValueError, match="TanhLRScheduler: cycle_mul must be >= 1"):
        compat.TanhLRScheduler(0.1, t_initial=10, cycle_mul=0.5)


@jax.jit
def _run_plateau(plateau, epochs, metrics):
    def one(state, inputs):
        epoch, metric = inputs
        state = plateau.step(state, epoch, metric)
        return state, plateau.lr(state, epoch)

    return jax.lax.scan(one, plateau.init(), (epochs, metrics))[1]


@pytest.mark.parametrize("seed", range(N_CASES))
def test_plateau_matches_timm(seed):
    rng = np.random.default_rng(6000 + seed)
    lr = float(10 ** rng.uniform(-4, 0))
    mode = ("max", "min")[seed % 2]
    config = {
        "decay_rate": float(rng.uniform(0.05, 0.9)),
        "patience_t": int(rng.integers(0, 8)),
        "threshold": float(10 ** rng.uniform(-5, -2)),
        "cooldown_t": 0 if seed % 3 == 0 else int(rng.integers(1, 6)),
        "warmup_t": 0 if seed % 4 == 0 else int(rng.integers(1, 20)),
        "warmup_lr_init": float(lr * rng.uniform(0.0, 1.0)),
        "lr_min": 0.0 if seed % 5 == 0 else float(lr * 10 ** rng.uniform(-4, -1)),
        "mode": mode,
    }
    # A metric that improves in bursts and stalls in between (ties included).
    moves = rng.choice([0.0, 1.0, -1.0], size=STEPS, p=[0.5, 0.3, 0.2])
    metric = np.round(np.cumsum(moves * rng.uniform(0.0, 0.02, size=STEPS)), 3) + 1.0
    metric = metric if mode == "max" else 2.0 - metric
    epochs = np.arange(1, STEPS + 1)  # timm's loop calls step(epoch + 1, metric)

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PlateauLRScheduler is deprecated
        scheduler = TIMM["PlateauLRScheduler"](optimizer, **config)
    expected = []
    for epoch, value in zip(epochs, metric):
        scheduler.step(int(epoch), float(value))
        expected.append(optimizer.param_groups[0]["lr"])

    plateau = compat.PlateauLRScheduler(lr, **config)
    got = np.asarray(_run_plateau(plateau, jnp.asarray(epochs), jnp.asarray(metric)))
    assert got.dtype == np.float64
    assert len(set(expected[config["warmup_t"] :])) > 1  # the metric triggers reductions
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-12 * lr)


def test_batched_configs_match_timm_one_by_one():
    # Learning rates, cycle lengths and warmup lengths as arrays: one batched schedule.
    lrs, t_initials, warmups = [0.1, 0.01, 0.5], [30, 50, 70], [0, 5, 10]
    common = {"lr_min": 1e-3, "cycle_decay": 0.5, "cycle_limit": 2, "warmup_lr_init": 1e-4}
    batch = compat.CosineLRScheduler(
        np.array(lrs), t_initial=np.array(t_initials), warmup_t=np.array(warmups), **common
    )
    got = np.asarray(sa.evaluate(batch, np.arange(STEPS)))
    assert got.shape == (3, STEPS)
    for row, lr, t_initial, warmup_t in zip(got, lrs, t_initials, warmups):
        expected = _reference(
            "CosineLRScheduler", lr, STEPS, t_initial=t_initial, warmup_t=warmup_t, **common
        )
        np.testing.assert_allclose(row, expected, rtol=RTOL, atol=1e-12)


def test_text_form_round_trips():
    schedules = [
        compat.CosineLRScheduler(0.1, t_initial=40, k_decay=2.0, lr_min=1e-3, cycle_decay=0.5),
        compat.TanhLRScheduler(0.1, t_initial=40, warmup_t=5, cycle_limit=2),
        compat.PolyLRScheduler(0.1, t_initial=40, k_decay=0.5, warmup_t=5, warmup_prefix=True),
        compat.MultiStepLRScheduler(0.1, decay_t=[1, 30], decay_rate=0.5, warmup_t=3),
    ]
    steps = jnp.arange(STEPS)
    for schedule in schedules:
        again = sa.parse(repr(schedule))
        assert repr(again) == repr(schedule)
        np.testing.assert_array_equal(np.asarray(again(steps)), np.asarray(schedule(steps)))
