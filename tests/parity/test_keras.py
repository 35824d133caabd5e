"""schedalg.compat.keras against Keras 3 (JAX backend): value at step n = ``schedule(n)``.

Keras computes in the dtype of ``initial_learning_rate``; the tests pass float64 numbers
with x64 on, so both sides run in float64 and compare at rtol 1e-6 (atol 1e-12 times the
largest value, for exact zeros). One exception: Keras's ``ops.cos`` casts its float64
argument to float32 (``result_type(float64, float)`` is float32 in Keras 3), so in
``CosineDecay`` and ``CosineDecayRestarts`` the cosine term carries float32 rounding:
an error of at most ~2e-7 in the argument and the cosine, times half the amplitude. Those
two compare at rtol 1e-6 with atol 2e-7 times the largest value (float32 resolution of
the cosine term, visible only where the value is near its floor).
Each constructor: 25 seeded random configurations over 400 steps, past the end, plus
named edge cases and a vmapped batch with traced arguments.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa
from schedalg.compat import keras as compat

keras = pytest.importorskip("keras")
if keras.backend.backend() != "jax":  # pragma: no cover - the root conftest sets it
    pytest.skip("Keras must run with KERAS_BACKEND=jax", allow_module_level=True)

STEPS = np.arange(400)
N_RANDOM = 25


# Keras evaluates cos in float32 (see above): absolute tolerance in units of the peak.
_COS_ATOL = {"CosineDecay": 2e-7, "CosineDecayRestarts": 2e-7}


def _close(got, want, name):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = float(np.max(np.abs(want))) or 1.0
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=_COS_ATOL.get(name, 1e-12) * scale)


def _keras(name, kwargs):
    """Keras's values over STEPS (vmapped: CosineDecay's warmup branch takes a scalar)."""
    schedule = getattr(keras.optimizers.schedules, name)(**kwargs)
    values = jax.vmap(schedule)(jnp.asarray(STEPS))
    assert values.dtype == jnp.float64
    return np.asarray(values)


def _lr(rng):
    return np.float64(10 ** rng.uniform(-4, 0))


def _steps(rng, low=1, high=200):
    return int(rng.integers(low, high))


def _gen_exponential(rng, fixed):
    rate = rng.choice([rng.uniform(0.05, 0.99), rng.uniform(1.01, 1.2)])
    return dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_steps(rng),
        decay_rate=np.float64(rate),
        staircase=False if fixed else bool(rng.random() < 0.5),
    )


def _gen_piecewise(rng, fixed):
    n = 3 if fixed else int(rng.integers(1, 6))
    boundaries = sorted(rng.choice(350, n, replace=False).tolist())
    values = [np.float64(v) for v in 10 ** rng.uniform(-4, 0, n + 1)]
    return dict(boundaries=boundaries, values=values)


def _gen_polynomial(rng, fixed):
    lr = _lr(rng)
    return dict(
        initial_learning_rate=lr,
        decay_steps=_steps(rng, 1, 150),
        end_learning_rate=np.float64(lr * rng.uniform(0.0, 0.5)),
        power=np.float64(rng.uniform(0.3, 3.0)),
        cycle=True if fixed else bool(rng.random() < 0.5),
    )


def _gen_inverse_time(rng, fixed):
    return dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_steps(rng, 1, 100),
        decay_rate=np.float64(rng.uniform(0.0, 2.0)),
        staircase=False if fixed else bool(rng.random() < 0.5),
    )


def _gen_cosine(rng, fixed):
    kwargs = dict(
        initial_learning_rate=_lr(rng),
        decay_steps=_steps(rng, 1, 250),
        alpha=np.float64(rng.uniform(0.0, 0.5)),
    )
    if fixed or rng.random() < 0.7:
        kwargs.update(warmup_target=_lr(rng), warmup_steps=_steps(rng, 0, 150))
    return kwargs


def _gen_restarts(rng, fixed):
    return dict(
        initial_learning_rate=_lr(rng),
        first_decay_steps=_steps(rng, 5, 100),
        t_mul=np.float64(rng.choice([1.0, 2.0, rng.uniform(1.0, 3.0)])),
        m_mul=np.float64(rng.uniform(0.3, 1.2)),
        alpha=np.float64(rng.choice([0.0, rng.uniform(0.0, 0.5)])),
    )


GENERATORS = {
    "ExponentialDecay": _gen_exponential,
    "PiecewiseConstantDecay": _gen_piecewise,
    "PolynomialDecay": _gen_polynomial,
    "InverseTimeDecay": _gen_inverse_time,
    "CosineDecay": _gen_cosine,
    "CosineDecayRestarts": _gen_restarts,
}


def test_every_keras_schedule_has_a_compat_constructor():
    base = keras.optimizers.schedules.LearningRateSchedule
    names = {
        n
        for n in dir(keras.optimizers.schedules)
        if isinstance(getattr(keras.optimizers.schedules, n), type)
        and issubclass(getattr(keras.optimizers.schedules, n), base)
        and getattr(keras.optimizers.schedules, n) is not base
    }
    assert names == set(GENERATORS) == set(compat.__all__)


@pytest.mark.parametrize("seed", range(N_RANDOM))
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_random_config_matches_keras(name, seed):
    kwargs = GENERATORS[name](np.random.default_rng([seed, len(name)]), False)
    ours = getattr(compat, name)(**kwargs)
    assert isinstance(ours, sa.Schedule)
    _close(sa.evaluate(ours, STEPS), _keras(name, kwargs), name)


EDGE_CASES = [
    ("PiecewiseConstantDecay", dict(boundaries=[0, 1], values=[1.0, 0.5, 0.25])),
    ("PiecewiseConstantDecay", dict(boundaries=[10.5, 20.0], values=[1.0, 0.5, 0.25])),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=1, cycle=True)),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=50, power=0.5, cycle=True)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=1, warmup_target=1.0)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.5, decay_steps=100, warmup_target=1.0, warmup_steps=0),
    ),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=1)),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=1.0)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=1.0, decay_steps=3.5, decay_rate=0.9, staircase=True),
    ),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=1.0, decay_steps=7, decay_rate=0.5, staircase=True),
    ),
]


def _float64(kwargs):
    return {k: np.float64(v) if isinstance(v, float) else v for k, v in kwargs.items()}


@pytest.mark.parametrize(
    "name, kwargs", EDGE_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EDGE_CASES)]
)
def test_edge_case_matches_keras(name, kwargs):
    kwargs = _float64(kwargs)
    if "values" in kwargs:
        kwargs["values"] = [np.float64(v) for v in kwargs["values"]]
    _close(sa.evaluate(getattr(compat, name)(**kwargs), STEPS), _keras(name, kwargs), name)


@pytest.mark.parametrize("name", ["ExponentialDecay", "PolynomialDecay", "CosineDecay"])
def test_nonpositive_decay_steps_raise_like_keras(name):
    kwargs = dict(initial_learning_rate=1.0, decay_steps=0)
    if name == "ExponentialDecay":
        kwargs["decay_rate"] = 0.5
    with pytest.raises(ValueError):
        getattr(keras.optimizers.schedules, name)(**kwargs)
    with pytest.raises(ValueError):
        getattr(compat, name)(**kwargs)


def test_piecewise_length_mismatch_raises_like_keras():
    with pytest.raises(ValueError):
        keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="1 less than"):
        compat.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_traced_arguments_match_keras_row_by_row(name):
    configs = [GENERATORS[name](np.random.default_rng([seed, 7]), True) for seed in range(6)]
    leaves0, tree = jax.tree_util.tree_flatten(configs[0])
    numeric = [i for i, x in enumerate(leaves0) if not isinstance(x, (bool, str))]

    def rebuild(values):
        leaves = list(leaves0)
        for i, v in zip(numeric, values):
            leaves[i] = v
        return jax.tree_util.tree_unflatten(tree, leaves)

    columns = [np.asarray([jax.tree_util.tree_leaves(c)[i] for c in configs]) for i in numeric]
    got = jax.jit(jax.vmap(lambda *values: getattr(compat, name)(**rebuild(values))(STEPS)))(
        *columns
    )
    for row, kwargs in zip(got, configs):
        _close(row, _keras(name, kwargs), name)
