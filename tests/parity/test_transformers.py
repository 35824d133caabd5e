"""schedalg.compat.transformers against Hugging Face's schedulers on a torch optimizer.

Value at step n = the learning rate after n calls of ``scheduler.step()`` of the real
``LambdaLR``. Each constructor: 25 seeded random configurations over 400 steps, past the
end, plus named edge cases and a vmapped batch with traced arguments. Tolerance: rtol 1e-6
in float64; atol 1e-12 times the largest value, for the steps where Hugging Face's value
is exactly 0 and ours is a rounding error away.
"""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest

import schedalg as sa
from schedalg.compat import transformers as compat

torch = pytest.importorskip("torch")
optimization = pytest.importorskip("transformers.optimization")

STEPS = np.arange(400)
N_RANDOM = 25


def _close(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = float(np.max(np.abs(want))) or 1.0
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12 * scale)


def _hf(name, kwargs):
    """The learning rate after 0, 1, ..., len(STEPS) - 1 calls of ``scheduler.step()``."""
    kwargs = dict(kwargs)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=float(kwargs.pop("lr")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stepping the scheduler without optimizer.step()
        scheduler = getattr(optimization, name)(optimizer, **kwargs)
        values = [scheduler.get_last_lr()[0]]
        for _ in STEPS[1:]:
            scheduler.step()
            values.append(scheduler.get_last_lr()[0])
    return np.asarray(values, np.float64)


def _lr(rng):
    return float(10 ** rng.uniform(-5, -1))


def _int(rng, low, high):
    return int(rng.integers(low, high))


def _lengths(rng, fixed):
    """(warmup, total): sometimes no warmup, sometimes a total at or below the warmup."""
    w = _int(rng, 0, 150)
    if fixed:
        return w, w + _int(rng, -20, 200)
    if rng.random() < 0.15:
        w = 0
    r = rng.random()
    n = w if r < 0.1 else _int(rng, 0, w + 1) if r < 0.2 else w + _int(rng, 1, 250)
    return w, n


def _cycles(rng):
    return float(rng.choice([0.5, rng.uniform(0.1, 3.0)]))


def _gen_constant(rng, fixed):
    return dict(lr=_lr(rng))


def _gen_constant_warmup(rng, fixed):
    return dict(lr=_lr(rng), num_warmup_steps=_lengths(rng, fixed)[0])


def _gen_linear(rng, fixed):
    w, n = _lengths(rng, fixed)
    return dict(lr=_lr(rng), num_warmup_steps=w, num_training_steps=n)


def _gen_cosine(rng, fixed):
    return dict(_gen_linear(rng, fixed), num_cycles=_cycles(rng))


def _gen_hard_restarts(rng, fixed):
    cycles = _int(rng, 1, 6) if fixed or rng.random() < 0.7 else float(rng.uniform(0.3, 4.0))
    return dict(_gen_linear(rng, fixed), num_cycles=cycles)


def _gen_polynomial(rng, fixed):
    kwargs = _gen_linear(rng, fixed)
    if kwargs["num_training_steps"] == kwargs["num_warmup_steps"]:  # HF divides by zero
        kwargs["num_training_steps"] += 1
    return dict(
        kwargs,
        lr_end=kwargs["lr"] * float(rng.choice([0.0, rng.uniform(0.0, 0.9)])),
        power=float(rng.uniform(0.3, 3.0)),
    )


def _gen_inverse_sqrt(rng, fixed):
    w = _lengths(rng, fixed)[0]
    timescale = _int(rng, 1, 500) if fixed or rng.random() < 0.5 else None
    return dict(lr=_lr(rng), num_warmup_steps=w, timescale=timescale)


def _gen_cosine_min_lr(rng, fixed):
    kwargs = _gen_cosine(rng, fixed)
    if fixed or rng.random() < 0.5:
        kwargs["min_lr"] = kwargs["lr"] * float(rng.uniform(0.0, 0.5))
    else:
        kwargs["min_lr_rate"] = float(rng.uniform(0.0, 0.5))
    return kwargs


def _gen_cosine_min_lr_rate(rng, fixed):
    kwargs = _gen_cosine_min_lr(rng, fixed)
    if fixed or rng.random() < 0.5:
        kwargs["warmup_lr_rate"] = float(rng.uniform(0.0, 0.5))
    return kwargs


def _gen_wsd(rng, fixed):
    w, d = _int(rng, 0, 100), _int(rng, 0, 150)
    if fixed:
        w, d = w, max(d, 1)
    kwargs = dict(
        lr=_lr(rng),
        num_warmup_steps=w,
        num_decay_steps=d,
        warmup_type="cosine" if fixed else str(rng.choice(["linear", "cosine", "1-sqrt"])),
        decay_type="cosine" if fixed else str(rng.choice(["linear", "cosine", "1-sqrt"])),
        min_lr_ratio=float(rng.choice([0.0, rng.uniform(0.0, 0.5)])),
        num_cycles=_cycles(rng),
    )
    if not fixed and rng.random() < 0.5:
        kwargs["num_training_steps"] = w + d + _int(rng, -40, 150)  # stable may be < 0
    else:
        kwargs["num_stable_steps"] = _int(rng, 0, 150)
    return kwargs


GENERATORS = {
    "get_constant_schedule": _gen_constant,
    "get_constant_schedule_with_warmup": _gen_constant_warmup,
    "get_linear_schedule_with_warmup": _gen_linear,
    "get_cosine_schedule_with_warmup": _gen_cosine,
    "get_cosine_with_hard_restarts_schedule_with_warmup": _gen_hard_restarts,
    "get_polynomial_decay_schedule_with_warmup": _gen_polynomial,
    "get_inverse_sqrt_schedule": _gen_inverse_sqrt,
    "get_cosine_with_min_lr_schedule_with_warmup": _gen_cosine_min_lr,
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": _gen_cosine_min_lr_rate,
    "get_wsd_schedule": _gen_wsd,
}


def test_compat_covers_the_hugging_face_schedules_it_names():
    assert set(GENERATORS) == set(compat.__all__)
    assert all(callable(getattr(optimization, name)) for name in GENERATORS)


@pytest.mark.parametrize("seed", range(N_RANDOM))
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_random_config_matches_hugging_face(name, seed):
    kwargs = GENERATORS[name](np.random.default_rng([seed, len(name)]), False)
    ours = getattr(compat, name)(**kwargs)
    assert isinstance(ours, sa.Schedule)
    _close(sa.evaluate(ours, STEPS), _hf(name, kwargs))


def _linear(w, n, **extra):
    return dict(lr=1e-3, num_warmup_steps=w, num_training_steps=n, **extra)


EDGE_CASES = [
    ("get_constant_schedule_with_warmup", dict(lr=1e-3, num_warmup_steps=0)),
    ("get_linear_schedule_with_warmup", _linear(0, 100)),
    ("get_linear_schedule_with_warmup", _linear(100, 100)),  # warmup equal to the total
    ("get_linear_schedule_with_warmup", _linear(150, 100)),
    ("get_cosine_schedule_with_warmup", _linear(100, 100)),
    ("get_cosine_schedule_with_warmup", _linear(0, 100, num_cycles=2.0)),
    ("get_cosine_schedule_with_warmup", _linear(10, 100, num_cycles=0.0)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", _linear(100, 100)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", _linear(0, 300, num_cycles=3)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", _linear(20, 200, num_cycles=0)),
    ("get_polynomial_decay_schedule_with_warmup", _linear(150, 100, lr_end=1e-5)),
    ("get_polynomial_decay_schedule_with_warmup", _linear(0, 100, lr_end=0.0, power=3.0)),
    ("get_inverse_sqrt_schedule", dict(lr=1e-3, num_warmup_steps=0)),
    ("get_cosine_with_min_lr_schedule_with_warmup", _linear(100, 100, min_lr=1e-4)),
    ("get_cosine_with_min_lr_schedule_with_warmup", _linear(10, 200, min_lr_rate=-0.2)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", _linear(0, 100, min_lr=1e-5)),
    (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        _linear(1, 100, min_lr=1e-5, warmup_lr_rate=0.3),
    ),
    (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        _linear(100, 100, min_lr_rate=0.1, warmup_lr_rate=0.0),
    ),
    (
        "get_wsd_schedule",
        dict(lr=1e-3, num_warmup_steps=0, num_decay_steps=0, num_stable_steps=100),
    ),
    (  # stable phase of -60 steps: the decay starts part-way through
        "get_wsd_schedule",
        dict(lr=1e-3, num_warmup_steps=20, num_decay_steps=100, num_training_steps=60),
    ),
    (  # the decay would be over before it starts
        "get_wsd_schedule",
        dict(lr=1e-3, num_warmup_steps=50, num_decay_steps=10, num_training_steps=20),
    ),
    (
        "get_wsd_schedule",
        dict(
            lr=1e-3,
            num_warmup_steps=30,
            num_decay_steps=100,
            num_stable_steps=50,
            min_lr_ratio=-0.1,
            decay_type="cosine",
            num_cycles=1.5,
        ),
    ),
    (
        "get_wsd_schedule",
        dict(
            lr=1e-3,
            num_warmup_steps=30,
            num_decay_steps=100,
            num_stable_steps=50,
            min_lr_ratio=0.2,
            warmup_type="1-sqrt",
            decay_type="1-sqrt",
        ),
    ),
]


@pytest.mark.parametrize(
    "name, kwargs", EDGE_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EDGE_CASES)]
)
def test_edge_case_matches_hugging_face(name, kwargs):
    _close(sa.evaluate(getattr(compat, name)(**kwargs), STEPS), _hf(name, kwargs))


@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("warmup_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("min_lr_ratio", [0.0, 0.1])
def test_wsd_every_warmup_and_decay_type_matches_hugging_face(
    warmup_type, decay_type, min_lr_ratio
):
    kwargs = dict(
        lr=1e-3,
        num_warmup_steps=30,
        num_decay_steps=100,
        num_training_steps=180,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=min_lr_ratio,
        num_cycles=0.75,
    )
    ours = compat.get_wsd_schedule(**kwargs)
    _close(sa.evaluate(ours, STEPS), _hf("get_wsd_schedule", kwargs))


def test_polynomial_with_warmup_equal_to_total_raises_where_hugging_face_divides_by_zero():
    kwargs = _linear(100, 100)
    with pytest.raises(ZeroDivisionError):
        _hf("get_polynomial_decay_schedule_with_warmup", kwargs)
    with pytest.raises(ValueError, match="must differ"):
        compat.get_polynomial_decay_schedule_with_warmup(**kwargs)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("get_polynomial_decay_schedule_with_warmup", _linear(10, 100, lr_end=1e-3)),
        ("get_cosine_with_min_lr_schedule_with_warmup", _linear(10, 100)),
        ("get_cosine_with_min_lr_schedule_with_warmup", _linear(10, 100, min_lr=0, min_lr_rate=0)),
        ("get_wsd_schedule", dict(lr=1e-3, num_warmup_steps=10, num_decay_steps=10)),
        (
            "get_wsd_schedule",
            dict(
                lr=1e-3,
                num_warmup_steps=10,
                num_decay_steps=10,
                num_stable_steps=5,
                decay_type="step",
            ),
        ),
    ],
)
def test_invalid_arguments_raise_like_hugging_face(name, kwargs):
    with pytest.raises(ValueError):
        _hf(name, kwargs)
    with pytest.raises(ValueError):
        getattr(compat, name)(**kwargs)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_traced_arguments_match_hugging_face_row_by_row(name):
    configs = [GENERATORS[name](np.random.default_rng([seed, 5]), True) for seed in range(6)]
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
        _close(row, _hf(name, kwargs))
