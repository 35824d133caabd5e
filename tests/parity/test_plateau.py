"""Parity of the plateau rule with torch's and braintools' ReduceLROnPlateau.

Random metric sequences (improvements, exact repeats and noise) are fed to the real
scheduler and to the schedalg rule, in every mode combination (min/max x rel/abs) with
random patience, cooldown, min_lr and eps; ``lr * state.scale`` must equal the
library's lr after each ``step(metric)``. The rule runs as one jitted ``lax.scan``
over the sequence, and a whole population of rules runs under ``jax.vmap``.
"""

from __future__ import annotations

import itertools
import warnings
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from schedalg.compat import torch as torch_compat  # noqa: E402

try:  # at import: importing brainstate switches x64 off, which must precede the fixture
    import braintools.optim as braintools_optim
except ImportError:  # pragma: no cover - braintools is an optional reference
    braintools_optim = None

STEPS = 300
RTOL = 1e-6
SEEDS = 7  # per mode combination: 4 x 7 = 28 cases per library
MODES = list(itertools.product(["min", "max"], ["rel", "abs"]))


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(repr(key).encode())])


def _metrics(rng, mode: str) -> np.ndarray:
    """A noisy curve that improves in bursts, stalls, and sometimes repeats exactly."""
    drift = np.where(rng.random(STEPS) < 0.3, -rng.exponential(0.03, STEPS), 0.0)
    noise = rng.normal(0.0, 0.004, STEPS) * (rng.random(STEPS) < 0.5)
    curve = 1.0 + np.cumsum(drift) * 0.3 + noise
    repeat = rng.random(STEPS) < 0.2
    curve[1:][repeat[1:]] = curve[:-1][repeat[1:]]
    curve = np.abs(curve) + 0.05
    return curve if mode == "min" else 1.0 / curve


def _config(rng, mode: str, threshold_mode: str, lr: float) -> dict:
    threshold = rng.choice([0.0, 1e-4, 1e-2]) if threshold_mode == "rel" else rng.choice([0, 1e-3])
    return dict(
        mode=mode,
        threshold_mode=threshold_mode,
        factor=float(rng.uniform(0.1, 0.9)),
        patience=int(rng.integers(0, 7)),
        threshold=float(threshold),
        cooldown=int(rng.integers(0, 6)),
        min_lr=float(rng.choice([0.0, lr * rng.uniform(1e-3, 0.3)])),
        eps=float(rng.choice([1e-8, lr * rng.uniform(0.0, 0.05)])),
    )


def _torch_lrs(cfg: dict, lr: float, metrics: np.ndarray) -> np.ndarray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **cfg)
        out = [lr]
        for m in metrics:
            scheduler.step(float(m))
            out.append(opt.param_groups[0]["lr"])
    return np.asarray(out)


@jax.jit
def _scales(rule, metrics):
    """Scale before and after each update, in one jitted scan."""

    def step(state, metric):
        state = rule.update(state, metric)
        return state, state.scale

    state = rule.init()
    _, scales = jax.lax.scan(step, state, metrics)
    return jnp.concatenate([state.scale[None], scales])


def _case(library: str, mode: str, threshold_mode: str, seed: int):
    rng = _rng(library, mode, threshold_mode, seed)
    lr = float(10 ** rng.uniform(-3, 0))
    return lr, _config(rng, mode, threshold_mode, lr), _metrics(rng, mode)


_CASES = [pytest.param(m, t, s, id=f"{m}-{t}-{s}") for (m, t) in MODES for s in range(SEEDS)]


@pytest.mark.parametrize("mode,threshold_mode,seed", _CASES)
def test_torch_reduce_lr_on_plateau_matches_a_jitted_scan(mode, threshold_mode, seed):
    lr, cfg, metrics = _case("torch", mode, threshold_mode, seed)
    want = _torch_lrs(cfg, lr, metrics)
    rule = torch_compat.ReduceLROnPlateau(lr=lr, **cfg)
    got = lr * np.asarray(_scales(rule, jnp.asarray(metrics)))
    np.testing.assert_allclose(got, want, rtol=RTOL)
    assert want[-1] < want[0], "the sequence should trigger at least one reduction"


@pytest.mark.parametrize("mode,threshold_mode", MODES)
def test_torch_population_under_vmap_matches_each_member(mode, threshold_mode):
    cases = [_case("torch", mode, threshold_mode, s) for s in range(SEEDS)]
    rules = [torch_compat.ReduceLROnPlateau(lr=lr, **cfg) for lr, cfg, _ in cases]
    # One rule whose numbers are stacked leaves: a population of plateau states.
    population = jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *rules)
    metrics = jnp.asarray(np.stack([m for _, _, m in cases]))
    scales = np.asarray(jax.vmap(_scales)(population, metrics))
    for (lr, cfg, m), row in zip(cases, scales):
        np.testing.assert_allclose(lr * row, _torch_lrs(cfg, lr, m), rtol=RTOL)


@pytest.mark.parametrize("mode,threshold_mode,seed", _CASES)
def test_braintools_reduce_lr_on_plateau_matches_a_jitted_scan(mode, threshold_mode, seed):
    if braintools_optim is None:
        pytest.skip("braintools is not installed")
    from schedalg.compat import braintools as compat

    lr, cfg, metrics = _case("braintools", mode, threshold_mode, seed)
    scheduler = braintools_optim.ReduceLROnPlateau(base_lr=lr, **cfg)
    want = [float(scheduler.get_last_lr()[0])]
    for m in metrics:
        scheduler.step(float(m))
        want.append(float(scheduler.get_last_lr()[0]))
    rule = compat.ReduceLROnPlateau(base_lr=lr, **cfg)
    got = lr * np.asarray(_scales(rule, jnp.asarray(metrics)))
    np.testing.assert_allclose(got, np.asarray(want), rtol=RTOL)
