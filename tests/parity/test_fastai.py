"""Parity of schedalg.compat.fastai with fastai 2.8.12's ``fastai/callback/schedule.py``.

``import fastai.callback.schedule`` pulls in all of ``fastai.basics`` (pandas, requests,
plum, fasttransform, ...), so the installed source file is executed on its own instead,
with fastcore's names and stand-ins for the few fastai classes it mentions (``Learner``,
``Callback``, ``Recorder``). ``fit_one_cycle`` and friends are fastai's own code run on a
stand-in learner whose ``fit`` records the ``ParamScheduler`` it is given.

fastai's ``tensor`` turns the ``pcts`` of ``combine_scheds`` into float32, whose rounding
alone is larger than the 1e-6 tolerance near small end values; the reference here keeps
them in float64 (``test_one_cycle_matches_fastai_float32`` checks the float32 original).
"""

from __future__ import annotations

import importlib.util
import math
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
fastcore = pytest.importorskip("fastcore.all")

import schedalg as sa  # noqa: E402
from schedalg.compat import fastai as compat  # noqa: E402

N_CASES = 25
RTOL = 1e-6
STEPS = 600  # one evaluation shape for every case (eager ops are cached per shape)


class _Learner:
    """Stand-in for fastai's Learner: records what ``fit`` is called with."""

    lr = 1e-3
    moms = (0.95, 0.85, 0.95)
    opt = None

    def create_opt(self):
        self.opt = _Opt(self.lr)

    def fit(self, n_epoch, cbs=None, **kwargs):
        self.n_epoch, self.cbs = n_epoch, cbs


class _Opt:
    def __init__(self, lr):
        self.hypers = [{"lr": lr, "mom": 0.9}]

    def set_hyper(self, name, value):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if len(values) != len(self.hypers):  # one learning rate per parameter group
            self.hypers = [dict(self.hypers[0]) for _ in values]
        for group, v in zip(self.hypers, values):
            group[name] = v


def _load_fastai_schedule(dtype: torch.dtype) -> dict:
    spec = importlib.util.find_spec("fastai")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("fastai is not installed", allow_module_level=True)
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    source = (root / "callback" / "schedule.py").read_text()
    source = source.replace("from ..basics import *", "")
    source = source.replace("from .tracker import SaveModelCallback", "")
    names = {k: getattr(fastcore, k) for k in dir(fastcore) if not k.startswith("_")}
    learner = type("Learner", (_Learner,), {})
    names.update(
        __name__="fastai_schedule_under_test",
        math=math,
        np=np,
        torch=torch,
        Callback=type("Callback", (), {}),
        Recorder=type("Recorder", (), {}),
        Learner=learner,
        tensor=lambda x: torch.tensor(list(x), dtype=dtype),
    )
    exec(compile(source, str(root / "callback" / "schedule.py"), "exec"), names)
    return names


FASTAI = _load_fastai_schedule(torch.float64)


def _fit_lr(name: str, *args, fastai: dict = FASTAI, **kwargs):
    """The ``lr`` schedule fastai's ``Learner.<name>`` hands to its ParamScheduler."""
    learn = fastai["Learner"]()
    getattr(fastai["Learner"], name)(learn, *args, **kwargs)
    return learn.cbs[0].scheds["lr"]


def _compare(reference, schedule, steps: int, boundaries=(), rtol: float = RTOL) -> None:
    """schedule(t) == reference(t / steps) for t <= steps; the end value is held after.

    Where ``t / steps`` lies on a boundary (pos units) the two libraries may pick either
    neighbouring piece by rounding: there, either piece's value is accepted (one step
    per boundary at most).
    """
    assert 0 < steps < STEPS
    pos = np.arange(steps + 1) / steps
    expected = np.array([np.asarray(reference(p)).item() for p in pos])
    got = np.asarray(schedule(jnp.arange(STEPS)))  # all steps in one call
    assert got.dtype == np.float64
    atol = 1e-12 * np.max(np.abs(expected))
    close = np.isclose(got[: steps + 1], expected, rtol=rtol, atol=atol)
    edges = np.asarray(boundaries, dtype=np.float64)
    for t in np.flatnonzero(~close):
        assert edges.size and np.min(np.abs(edges - pos[t])) < 1e-12, (t, repr(schedule))
        sides = [np.asarray(reference(pos[t] + d)).item() for d in (-1e-12, 1e-12)]
        assert np.any(np.isclose(got[t], sides, rtol=rtol, atol=atol)), (t, repr(schedule))
    assert np.sum(~close) <= len(boundaries)
    np.testing.assert_allclose(got[steps + 1 :], got[steps], rtol=1e-12, atol=atol)


def _value(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(-6, 0))


def _piece(rng: np.random.Generator, kind: str) -> tuple[tuple, tuple]:
    """(fastai constructor name and args, compat args) for one random annealer."""
    start, end = _value(rng), _value(rng)
    if kind == "SchedPoly":
        return ("SchedPoly", start, end, float(rng.uniform(0.3, 3.0)))
    return (kind, start, end)


KINDS = ("SchedLin", "SchedCos", "SchedNo", "SchedExp", "SchedPoly")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(N_CASES))
def test_annealer_matches_fastai(kind, seed):
    rng = np.random.default_rng(100 * KINDS.index(kind) + seed)
    name, *args = _piece(rng, kind)
    steps = int(rng.integers(300, STEPS))
    _compare(FASTAI[name](*args), getattr(compat, name)(*args, steps=steps), steps)


def _pcts(rng: np.random.Generator, seed: int) -> list[float]:
    """Random fractions whose float sum is exactly 1 (fastai asserts it), with an
    interior zero now and then."""
    while True:
        count = int(rng.integers(2, 6))
        raw = rng.dirichlet(np.ones(count))
        if seed % 3 == 0:
            raw = np.round(raw, 2)  # "round" fractions such as 0.1 + 0.2
        pcts = [float(p) for p in raw[:-1]]
        if seed % 4 == 0 and count > 2:
            pcts[int(rng.integers(0, count - 1))] = 0.0
        pcts.append(1.0 - sum(pcts))
        if sum(pcts) == 1.0 and pcts[-1] > 0:
            return pcts


@pytest.mark.parametrize("seed", range(N_CASES))
def test_combine_scheds_matches_fastai(seed):
    rng = np.random.default_rng(1000 + seed)
    pcts = _pcts(rng, seed)
    pieces = [_piece(rng, KINDS[int(rng.integers(0, len(KINDS)))]) for _ in pcts]
    reference = FASTAI["combine_scheds"](pcts, [FASTAI[n](*a) for n, *a in pieces])
    steps = int(rng.integers(300, STEPS))
    schedule = compat.combine_scheds(
        pcts, [getattr(compat, n)(*a) for n, *a in pieces], steps=steps
    )
    _compare(reference, schedule, steps)


def test_combine_scheds_boundary_is_the_sum_of_lengths():
    # 0.1 + 0.2 of 1000 steps: schedalg switches at step 100 + 200 = 300; fastai compares
    # 300 / 1000 = 0.3 with 0.1 + 0.2 = 0.30000000000000004 and switches one step later.
    pcts, values = [0.1, 0.2, 0.7], (1.0, 2.0, 3.0)
    reference = FASTAI["combine_scheds"](pcts, [FASTAI["SchedNo"](v, v) for v in values])
    schedule = compat.combine_scheds(pcts, [compat.SchedNo(v, v) for v in values], steps=1000)
    assert reference(300 / 1000) == 2.0 and reference(301 / 1000) == 3.0
    assert np.asarray(schedule(jnp.array([99, 100, 299, 300]))).tolist() == [1.0, 2.0, 2.0, 3.0]
    expected = [reference(t / 1000) for t in range(STEPS)]
    got = np.asarray(schedule(jnp.arange(STEPS)))
    np.testing.assert_array_equal(np.flatnonzero(got != expected), [300])


@pytest.mark.parametrize("seed", range(N_CASES))
def test_combined_cos_matches_fastai(seed):
    rng = np.random.default_rng(2000 + seed)
    pct = float(rng.uniform(0.02, 0.98)) if seed % 2 else float(np.round(rng.uniform(0.1, 0.9), 1))
    start, middle, end = _value(rng), _value(rng), _value(rng)
    steps = int(rng.integers(300, STEPS))
    _compare(
        FASTAI["combined_cos"](pct, start, middle, end),
        compat.combined_cos(pct, start, middle, end, steps=steps),
        steps,
    )


def _fit_config(rng: np.random.Generator, seed: int, pct_name: str) -> dict:
    config = {}
    if seed % 4:
        config[pct_name] = float(rng.uniform(0.05, 0.95))
    if seed % 5:
        config["div_final"] = float(10 ** rng.uniform(0, 6))
    return config


@pytest.mark.parametrize("seed", range(N_CASES))
def test_fit_one_cycle_matches_fastai(seed):
    rng = np.random.default_rng(3000 + seed)
    n_epoch = int(rng.integers(1, 20))
    lr_max = None if seed % 6 == 0 else _value(rng)
    config = _fit_config(rng, seed, "pct_start")
    if seed % 3:
        config["div"] = float(rng.uniform(1.0, 100.0))
    steps = int(rng.integers(300, STEPS))
    _compare(
        _fit_lr("fit_one_cycle", n_epoch, lr_max, **config),
        compat.fit_one_cycle(n_epoch, lr_max, **config, steps=steps),
        steps,
    )


@pytest.mark.parametrize("seed", range(N_CASES))
def test_fit_flat_cos_matches_fastai(seed):
    rng = np.random.default_rng(4000 + seed)
    n_epoch = int(rng.integers(1, 20))
    lr = None if seed % 6 == 0 else _value(rng)
    config = _fit_config(rng, seed, "pct_start")
    steps = int(rng.integers(300, STEPS))
    _compare(
        _fit_lr("fit_flat_cos", n_epoch, lr, **config),
        compat.fit_flat_cos(n_epoch, lr, **config, steps=steps),
        steps,
    )


@pytest.mark.parametrize("seed", range(N_CASES))
def test_fit_sgdr_matches_fastai(seed):
    rng = np.random.default_rng(5000 + seed)
    n_cycles, cycle_len = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    cycle_mult = (2, 3)[seed % 2]
    lr_max = None if seed % 6 == 0 else _value(rng)
    learn_lr = _fit_lr("fit_sgdr", n_cycles, cycle_len, lr_max, cycle_mult)
    n_epoch = cycle_len * (cycle_mult**n_cycles - 1) // (cycle_mult - 1)
    per_epoch = int(rng.integers(math.ceil(300 / n_epoch), (STEPS - 1) // n_epoch + 1))
    steps = n_epoch * per_epoch
    schedule = compat.fit_sgdr(n_cycles, cycle_len, lr_max, cycle_mult, steps=steps)
    pcts = [cycle_len * cycle_mult**i / n_epoch for i in range(n_cycles)]
    _compare(learn_lr, schedule, steps, boundaries=np.cumsum(pcts)[:-1])


def test_fit_defaults_match_fastai():
    for name, args in [("fit_one_cycle", (3,)), ("fit_flat_cos", (3,)), ("fit_sgdr", (3, 1))]:
        reference = _fit_lr(name, *args)
        steps = 7 * 80 if name == "fit_sgdr" else 3 * 150
        edges = (
            [1 / 7, 3 / 7] if name == "fit_sgdr" else [0.25 if name == "fit_one_cycle" else 0.75]
        )
        _compare(reference, getattr(compat, name)(*args, steps=steps), steps, boundaries=edges)
    # Without steps, one step per epoch: fastai's value at the start of each epoch.
    for name, args, n_epoch in [("fit_one_cycle", (4, 1.0), 4), ("fit_sgdr", (3, 1, 1.0), 7)]:
        reference = _fit_lr(name, *args)
        expected = [np.asarray(reference(e / n_epoch)).item() for e in range(n_epoch + 1)]
        got = getattr(compat, name)(*args)(jnp.arange(n_epoch + 1))
        np.testing.assert_allclose(np.asarray(got), expected, rtol=RTOL, atol=1e-15)


def test_one_cycle_matches_fastai_float32():
    # The unmodified float32 pcts of fastai's own `tensor`: agreement to float32 rounding.
    fastai32 = _load_fastai_schedule(torch.float32)
    for lr_max, pct in [(1e-3, 0.25), (0.1, 0.3), (3e-4, 0.6)]:
        reference = _fit_lr("fit_one_cycle", 5, lr_max, pct_start=pct, fastai=fastai32)
        schedule = compat.fit_one_cycle(5, lr_max, pct_start=pct, steps=500)
        _compare(reference, schedule, 500, rtol=1e-4)


def test_combine_scheds_rejects_bad_pcts():
    with pytest.raises(ValueError, match="pcts must sum to 1"):
        compat.combine_scheds([0.5, 0.6], [compat.SchedLin(0, 1), compat.SchedLin(1, 0)])
    with pytest.raises(ValueError, match="same non-zero length"):
        compat.combine_scheds([1.0], [compat.SchedLin(0, 1), compat.SchedLin(1, 0)])


def test_fit_one_cycle_per_group_learning_rates():
    # fastai schedules one learning rate per parameter group; here a batched schedule.
    lr_max, steps = [1e-4, 1e-3, 1e-2], 400
    reference = _fit_lr("fit_one_cycle", 4, lr_max, pct_start=0.3)
    expected = np.stack([np.asarray(reference(t / steps)) for t in range(steps + 1)], axis=1)
    schedule = compat.fit_one_cycle(4, lr_max, pct_start=0.3, steps=steps)
    got = np.asarray(sa.evaluate(schedule, np.arange(steps + 1)))
    assert got.shape == expected.shape == (3, steps + 1)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-15)


def test_text_form_round_trips():
    schedules = [
        compat.SchedPoly(1.0, 0.1, 2.0, steps=300),
        compat.SchedExp(1e-7, 10.0, steps=300),
        compat.combine_scheds(
            [0.2, 0.3, 0.5],
            [compat.SchedNo(0.1, 0.1), compat.SchedPoly(0.1, 1.0, 0.5), compat.SchedCos(1.0, 0.0)],
            steps=450,
        ),
        compat.fit_sgdr(3, 2, 1e-3, steps=420),
    ]
    steps = jnp.arange(STEPS)
    for schedule in schedules:
        again = sa.parse(repr(schedule))
        assert repr(again) == repr(schedule)
        np.testing.assert_array_equal(np.asarray(again(steps)), np.asarray(schedule(steps)))
