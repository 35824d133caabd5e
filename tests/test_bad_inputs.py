"""The bad-input matrix: every public constructor (core and compat) x its invalid values.

Each entry of ``TABLE`` builds a constructor from valid arguments, replaces one parameter
by a bad value and expects a ``ValueError`` whose message starts with the constructor's
name (``"cosine: ..."``) and names the parameter and the rule it broke. A coverage test
checks that every public constructor, and every parameter of it, is in the table (or
listed as exempt / free with a reason), so a new constructor or argument without cases
fails the suite.

``docs/errors.md`` is rendered from the same table, with the real messages; rewrite it
with ``python -m tests.test_bad_inputs --write`` (from the repository root) and a
test checks that it is current.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pathlib
import re
import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import pytest

import schedalg as sa
from schedalg.compat import braintools as B
from schedalg.compat import fastai as F
from schedalg.compat import keras as K
from schedalg.compat import optax as O
from schedalg.compat import timm as M
from schedalg.compat import torch as T
from schedalg.compat import transformers as H
from tests.catalogue import (
    CATALOGUE,
    LIN,
    NOT,
    NOT_JNP,
    Bad,
    _math_cos,
    _python_max,
    _returns_text,
    bad,
    finite,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "errors.md"
COMMAND = "python -m tests.test_bad_inputs --write"

COMPAT = {"torch": T, "optax": O, "transformers": H, "keras": K, "timm": M, "fastai": F}
COMPAT["braintools"] = B


@dataclasses.dataclass(frozen=True)
class Ctor:
    """A public constructor, the valid call it starts from and its bad inputs."""

    name: str  # as in the docs: "sa.cosine", "torch.StepLR"
    fn: Callable
    kwargs: dict
    checks: tuple[Bad, ...]
    args: tuple = ()
    free: tuple[str, ...] = ()  # parameters that accept any value (or are ignored)

    @property
    def short(self) -> str:
        return self.name.split(".", 1)[1]

    def call(self, param: str, value: Any) -> Any:
        varargs = [
            p.name
            for p in inspect.signature(self.fn).parameters.values()
            if p.kind is inspect.Parameter.VAR_POSITIONAL
        ]
        if param in varargs:
            return self.fn(*value, **self.kwargs)
        return self.fn(*self.args, **{**self.kwargs, param: value})


def ctor(name: str, fn: Callable, kwargs: dict, *checks: Bad, args=(), free="") -> Ctor:
    return Ctor(name, fn, kwargs, checks, args, tuple(free.split()))


def _jnp_ones(t):
    """A scale_fn for the compat cycles (never called at construction)."""
    return jnp.ones_like(t, dtype=jnp.float32)


LAST_EPOCH_TORCH = bad("last_epoch", 0, 5, rule="must be -1")
LAST_EPOCH_BRAINTOOLS = bad("last_epoch", 1, -1, rule="must be 0")
GROUP = "one parameter group"


def _torch_made():
    c = T.ConstantLR(lr=0.1, factor=0.5, total_iters=2)
    e = T.ExponentialLR(lr=0.1, gamma=0.5)
    return c, e, T.LinearLR(lr=0.1, start_factor=0.5, total_iters=5)


def _braintools_made():
    c = B.ConstantLR(base_lr=0.1, factor=0.5, total_iters=2)
    e = B.ExponentialLR(base_lr=0.1, gamma=0.5)
    return c, e, B.WarmupScheduler(base_lr=0.1, warmup_epochs=5)


TC, TE, TL = _torch_made()
BC, BE, BW = _braintools_made()
_CYCLE = dict(init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=100)

# ----------------------------------------------------------------------------
# The table: core constructors (schedalg.__all__; the schedule classes' bad inputs are
# in tests/catalogue.py), then each compat module.

CORE = [
    Ctor(f"sa.{name}", getattr(sa, name), c.kwargs, c.checks, c.args, c.free)
    for name, entry in CATALOGUE.items()
    for c in entry.bad
]
CORE += [
    ctor(
        "sa.scale_for_batch",
        sa.scale_for_batch,
        dict(schedule=LIN, base_batch=256, new_batch=1024, rule="sqrt"),
        bad("base_batch new_batch", 0, -256, rule="must be > 0"),
        bad("rule", "log", "Linear", rule="must be one of"),
        free="schedule",
    ),
    ctor(
        "sa.combine",
        sa.combine,
        dict(zip(("floats", "rest"), sa.partition(sa.cosine(1.0, 0.0, 10)))),
        bad("floats rest", LIN, rule="must be the two halves of one sa.partition"),
    ),
    ctor(
        "sa.reduce_on_plateau",
        sa.reduce_on_plateau,
        dict(factor=0.5, patience=2, threshold=1e-4, cooldown=1, min_scale=0.01, eps=1e-8),
        finite("factor patience threshold cooldown min_scale eps"),
        bad("factor", 1.0, -0.5, rule="must be in [0, 1)"),
        bad("patience cooldown", -1, 1.5, rule="must be an integer >= 0"),
        bad("threshold min_scale eps", -1e-3, rule="must be >= 0"),
        bad("mode", "minimum", "MIN", rule="must be one of"),
        bad("threshold_mode", "relative", rule="must be one of"),
        free="best_in_cooldown",
    ),
]

#: Public names of schedalg.__all__ that construct nothing to validate.
EXEMPT = {
    "sa.Schedule": "the abstract base class; concrete schedules are the constructors above",
    "sa.PlateauState": "the state record that reduce_on_plateau's init()/update() build",
    "sa.stack": "combines schedules that were each validated when built",
    "sa.grid": "calls a constructor, which validates each combination",
    "sa.evaluate": "evaluates a schedule; it builds none",
    "sa.batch_shape": "reads a schedule's leaf shapes; it builds none",
    "sa.check": "re-runs the constructors' checks on a batched schedule",
    "sa.summarize": "evaluates a schedule; it builds none",
    "sa.cycle_ends": "reads a schedule's restarts; it builds none (its errors: test_optax.py)",
    "sa.parse": "reads text into the constructors above, which validate",
    "sa.to_dict": "writes a schedule; it builds none",
    "sa.from_dict": "reads data into the constructors above, which validate",
    "sa.partition": "splits any schedule's leaves in two halves; it builds and checks nothing",
    "timm.PlateauLR": "the record PlateauLRScheduler returns (built by it, which validates)",
}

TORCH = [
    ctor(
        "torch.LambdaLR",
        T.LambdaLR,
        dict(lr_lambda=abs, lr=0.1),
        finite("lr"),
        bad("lr_lambda", [abs, abs], 0.5, rule="must be one function"),
        bad("lr_lambda", _math_cos, _python_max, rule=NOT_JNP[0], shown=NOT_JNP[1]),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.MultiplicativeLR",
        T.MultiplicativeLR,
        dict(lr_lambda=abs, lr=0.1),
        finite("lr"),
        bad("lr_lambda", [abs, abs], 0.5, rule="must be one function"),
        bad("lr_lambda", _math_cos, _python_max, rule=NOT_JNP[0], shown=NOT_JNP[1]),
        bad("lr_lambda", _returns_text, rule="must return numbers", shown="_returns_text"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.StepLR",
        T.StepLR,
        dict(step_size=10, gamma=0.5, lr=0.1),
        finite("lr step_size gamma"),
        bad("step_size", 0, -10, rule="must be > 0"),
        bad("gamma", -0.5, rule="must be >= 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.MultiStepLR",
        T.MultiStepLR,
        dict(milestones=[10, 20], gamma=0.5, lr=0.1),
        finite("lr gamma"),
        bad("milestones", 10, rule="must be a sequence of steps"),
        bad("milestones", [-5, 10], rule="must be >= 0"),
        bad("gamma", -0.5, rule="must be >= 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.ConstantLR",
        T.ConstantLR,
        dict(factor=0.5, total_iters=4, lr=0.1),
        finite("lr factor total_iters"),
        bad("factor", -0.5, 1.5, rule="must be in [0, 1]"),
        bad("total_iters", -1, rule="must be >= 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.LinearLR",
        T.LinearLR,
        dict(start_factor=0.5, end_factor=1.0, total_iters=10, lr=0.1),
        finite("lr start_factor end_factor total_iters"),
        bad("start_factor", 0, 1.5, rule="must be in (0, 1]"),
        bad("end_factor", -0.5, 1.5, rule="must be in [0, 1]"),
        bad("total_iters", -1, rule="must be >= 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.ExponentialLR",
        T.ExponentialLR,
        dict(gamma=0.9, lr=0.1),
        finite("lr gamma"),
        bad("gamma", 0, -0.5, rule="must be > 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.PolynomialLR",
        T.PolynomialLR,
        dict(total_iters=10, power=2.0, lr=0.1),
        finite("lr total_iters power"),
        bad("total_iters", -1, rule="must be >= 0"),
        bad("power", 0, -1.0, rule="must be > 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.CosineAnnealingLR",
        T.CosineAnnealingLR,
        dict(T_max=10, eta_min=0.001, lr=0.1),
        finite("lr T_max eta_min"),
        bad("T_max", 0, -10, rule="must be > 0"),
        LAST_EPOCH_TORCH,
    ),
    ctor(
        "torch.CosineAnnealingWarmRestarts",
        T.CosineAnnealingWarmRestarts,
        dict(T_0=10, T_mult=2, eta_min=0.001, lr=0.1),
        finite("lr T_0 T_mult eta_min"),
        bad("T_0", 0, -10, 10.5, rule="must be a positive integer"),
        bad("T_mult", 0, 1.5, rule="must be an integer >= 1"),
        LAST_EPOCH_TORCH,
    ),
]
for _name, _fn in (("torch.CyclicLR", T.CyclicLR), ("torch.CyclicMomentum", T.CyclicMomentum)):
    _kw = dict(base_lr=0.001, max_lr=0.1, step_size_up=10, step_size_down=5, gamma=0.99)
    TORCH += [
        ctor(
            _name,
            _fn,
            _kw,
            finite("base_lr max_lr step_size_up step_size_down gamma base_momentum max_momentum"),
            bad("step_size_up", 0, -10, rule="must be > 0"),
            bad("step_size_down", 0, -5, rule="must be > 0"),
            bad("gamma", 0, -0.5, rule="must be > 0"),
            bad("mode", "triangle", "exp", rule="must be one of"),
            LAST_EPOCH_TORCH,
            *([bad("cycle_momentum", False, rule="must be True")] if "Momentum" in _name else []),
            free="lr" + ("" if "Momentum" in _name else " cycle_momentum"),
        ),
        ctor(
            _name,
            _fn,
            dict(_kw, scale_fn=_jnp_ones),
            bad("scale_mode", "epoch", "cycles", rule="must be 'cycle' or 'iterations'"),
            bad("scale_fn", _math_cos, _python_max, rule=NOT_JNP[0], shown=NOT_JNP[1]),
        ),
    ]
for _name, _fn in (
    ("torch.OneCycleLR", T.OneCycleLR),
    ("torch.OneCycleMomentum", T.OneCycleMomentum),
):
    _momentum = "Momentum" in _name
    TORCH += [
        ctor(
            _name,
            _fn,
            dict(max_lr=0.1, total_steps=100, pct_start=0.3),
            finite(
                "max_lr total_steps pct_start div_factor final_div_factor base_momentum "
                "max_momentum"
            ),
            bad("total_steps", 0, -10, 10.5, rule="must be a positive integer"),
            bad("pct_start", 1.5, -0.1, 1, rule="must be a float in [0, 1]"),
            bad("pct_start", 0.005, rule="must be > 1", names="pct_start * total_steps"),
            bad("anneal_strategy", "cosine", "linear_", rule="must be 'cos' or 'linear'"),
            bad("three_phase", "yes", rule="must be True or False"),
            LAST_EPOCH_TORCH,
            *(
                [bad("cycle_momentum", False, rule="must be True")]
                if _momentum
                else [bad("div_factor final_div_factor", 0, -25.0, rule="must be > 0")]
            ),
            free="lr" + ("" if _momentum else " cycle_momentum"),
        ),
        ctor(
            _name,
            _fn,
            dict(max_lr=0.1, epochs=2, steps_per_epoch=50),
            bad("epochs", 0, 2.5, rule="must be a positive integer"),
            bad("steps_per_epoch", 0, -50, rule="must be a positive integer"),
            bad("steps_per_epoch", None, rule="define either total_steps or"),
        ),
    ]
TORCH += [
    ctor(
        "torch.SequentialLR",
        T.SequentialLR,
        dict(schedulers=[TC, TE, TL], milestones=[2, 5]),
        bad("schedulers", [], rule="must hold at least one scheduler"),
        bad(
            "schedulers",
            [TC, NOT, TL],
            rule="must be a schedule",
            shown="[ConstantLR(...), 0.5, LinearLR(...)]",
        ),
        bad("milestones", [2], [2, 5, 8], rule="one milestone fewer than schedulers"),
        bad("milestones", [5, 2], rule="must be sorted"),
        bad("milestones", [-1, 5], rule="must be >= 0"),
        LAST_EPOCH_TORCH,
        free="lr",
    ),
    ctor(
        "torch.ChainedScheduler",
        T.ChainedScheduler,
        dict(schedulers=[TC, TE]),
        bad("schedulers", [], rule="must hold at least one scheduler"),
        bad(
            "schedulers",
            [TC, sa.constant(0.1)],
            rule="was not made by schedalg.compat.torch",
            names="scheduler 2 of 2",
            shown="[ConstantLR(...), sa.constant(0.1)]",
        ),
        bad(
            "schedulers",
            [TC, T.CosineAnnealingLR(lr=0.1, T_max=10, eta_min=0.01)],
            rule="sets the lr on each step instead of multiplying it",
            names="scheduler 2 of 2",
            shown="[ConstantLR(...), CosineAnnealingLR(lr=0.1, T_max=10, eta_min=0.01)]",
        ),
        free="lr",
    ),
    ctor(
        "torch.ReduceLROnPlateau",
        T.ReduceLROnPlateau,
        dict(factor=0.5, patience=2, threshold=1e-4, cooldown=1, min_lr=0.0, eps=1e-8, lr=0.1),
        finite("lr factor patience threshold cooldown min_lr eps"),
        bad("lr", 0, -0.1, rule="must be > 0"),
        bad("factor", 1.0, -0.5, rule="must be in [0, 1)"),
        bad("patience cooldown", -1, 1.5, rule="must be an integer >= 0"),
        bad("threshold min_lr eps", -1e-3, rule="must be >= 0"),
        bad("min_lr", [0.0, 0.0], rule=GROUP),
        bad("mode", "minimum", rule="must be one of"),
        bad("threshold_mode", "relative", rule="must be one of"),
    ),
]

OPTAX = [
    ctor("optax.constant_schedule", O.constant_schedule, dict(value=1.0), finite("value")),
    ctor(
        "optax.cosine_decay_schedule",
        O.cosine_decay_schedule,
        dict(init_value=1.0, decay_steps=100, alpha=0.1, exponent=1.0),
        finite("init_value decay_steps alpha exponent"),
        bad("decay_steps", 0, -10, rule="must be > 0"),
        bad("exponent", 0, -1.0, rule="must be > 0"),
    ),
]
for _name, _fn, _final in (
    ("optax.cosine_onecycle_schedule", O.cosine_onecycle_schedule, ""),
    ("optax.linear_onecycle_schedule", O.linear_onecycle_schedule, " pct_final"),
):
    OPTAX.append(
        ctor(
            _name,
            _fn,
            dict(transition_steps=100, peak_value=1.0, pct_start=0.3),
            finite("transition_steps peak_value pct_start div_factor final_div_factor" + _final),
            bad("transition_steps", 0, -10, rule="must be > 0"),
            bad("pct_start" + _final, -0.1, rule="must be >= 0"),
            bad("div_factor final_div_factor", 0, -25.0, rule="must be > 0"),
        )
    )
OPTAX += [
    ctor(
        "optax.exponential_decay",
        O.exponential_decay,
        dict(
            init_value=1.0, transition_steps=10, decay_rate=0.5, transition_begin=5, end_value=0.1
        ),
        finite("init_value transition_steps decay_rate transition_begin end_value"),
        bad("decay_rate", -0.5, rule="must be >= 0"),
        bad("staircase", "yes", rule="must be True or False"),
    ),
    ctor(
        "optax.join_schedules",
        O.join_schedules,
        dict(schedules=[LIN, LIN, LIN], boundaries=[50, 60]),
        bad("schedules", [], rule="must hold at least one schedule"),
        bad(
            "schedules",
            [LIN, NOT, LIN],
            rule="must be a schedule or a function",
            shown="[linear(...), 0.5, linear(...)]",
        ),
        bad(
            "schedules",
            [LIN, _math_cos, LIN],
            rule=NOT_JNP[0],
            names="schedules[1]",
            shown="[linear(...), _math_cos, linear(...)]",
        ),
        finite("boundaries"),
        bad("boundaries", [50], [50, 60, 70], rule="one entry per piece after the first"),
        bad("boundaries", [60, 50], rule="must be sorted"),
        bad("boundaries", [-5, 50], rule="must be >= 0"),
    ),
    ctor(
        "optax.linear_schedule",
        O.linear_schedule,
        dict(init_value=1.0, end_value=0.0, transition_steps=100, transition_begin=5),
        finite("init_value end_value transition_steps transition_begin"),
    ),
    ctor(
        "optax.piecewise_constant_schedule",
        O.piecewise_constant_schedule,
        dict(init_value=1.0, boundaries_and_scales={10: 0.5, 20: 0.5}),
        finite("init_value"),
        bad("boundaries_and_scales", {10: -0.5}, rule="expects non-negative scale factors"),
        bad("boundaries_and_scales", [10, 20], rule="must be a mapping {step: scale}"),
    ),
    ctor(
        "optax.piecewise_interpolate_schedule",
        O.piecewise_interpolate_schedule,
        dict(interpolate_type="linear", init_value=1.0, boundaries_and_scales={10: 0.5}),
        finite("init_value"),
        bad("interpolate_type", "cubic", "cos", rule="must be either 'cosine' or 'linear'"),
        bad("boundaries_and_scales", {10: -0.5}, rule="expects non-negative scale factors"),
        bad("boundaries_and_scales", {-5: 0.5}, rule="must have steps >= 0 as keys"),
        bad("boundaries_and_scales", [10], rule="must be a mapping {step: scale}"),
    ),
    ctor(
        "optax.polynomial_schedule",
        O.polynomial_schedule,
        dict(init_value=1.0, end_value=0.0, power=2.0, transition_steps=100, transition_begin=5),
        finite("init_value end_value power transition_steps transition_begin"),
        bad("power", 0, -1.0, rule="must be > 0"),
    ),
    ctor(
        "optax.sgdr_schedule",
        O.sgdr_schedule,
        dict(cosine_kwargs=[_CYCLE, _CYCLE]),
        bad("cosine_kwargs", [], rule="must hold at least one cycle"),
        bad(
            "cosine_kwargs",
            [_CYCLE, dict(_CYCLE, decay_steps=10)],
            rule="decay_steps must be > warmup_steps",
            names="cosine_kwargs[1]",
            shown="[{...}, {..., 'warmup_steps': 10, 'decay_steps': 10}]",
        ),
    ),
    ctor(
        "optax.warmup_constant_schedule",
        O.warmup_constant_schedule,
        dict(init_value=0.0, peak_value=1.0, warmup_steps=10),
        finite("init_value peak_value warmup_steps"),
    ),
    ctor(
        "optax.warmup_cosine_decay_schedule",
        O.warmup_cosine_decay_schedule,
        dict(_CYCLE, end_value=0.0, exponent=1.0),
        finite("init_value peak_value warmup_steps decay_steps end_value exponent"),
        bad("warmup_steps", -1, -0.5, rule="must be >= 0"),
        bad("decay_steps", 10, 5, rule="must be > warmup_steps=10"),
        bad("exponent", 0, -1.0, rule="must be > 0"),
    ),
    ctor(
        "optax.warmup_exponential_decay_schedule",
        O.warmup_exponential_decay_schedule,
        dict(
            init_value=0.0,
            peak_value=1.0,
            warmup_steps=10,
            transition_steps=10,
            decay_rate=0.5,
            transition_begin=5,
            end_value=0.1,
        ),
        finite(
            "init_value peak_value warmup_steps transition_steps decay_rate transition_begin "
            "end_value"
        ),
        bad("warmup_steps", -1, -0.5, rule="must be >= 0"),
        bad("decay_rate", -0.5, rule="must be >= 0"),
        bad("staircase", "yes", rule="must be True or False"),
    ),
]

_HF = dict(lr=0.1, num_warmup_steps=10, num_training_steps=100)
WARMUP_STEPS = bad("num_warmup_steps", -1, -0.5, rule="must be >= 0")
TRANSFORMERS = [
    ctor(
        "transformers.get_constant_schedule",
        H.get_constant_schedule,
        dict(lr=0.1),
        finite("lr"),
        free="last_epoch",
    ),
    ctor(
        "transformers.get_constant_schedule_with_warmup",
        H.get_constant_schedule_with_warmup,
        dict(lr=0.1, num_warmup_steps=10),
        finite("lr num_warmup_steps"),
        WARMUP_STEPS,
        free="last_epoch",
    ),
    ctor(
        "transformers.get_linear_schedule_with_warmup",
        H.get_linear_schedule_with_warmup,
        _HF,
        finite("lr num_warmup_steps num_training_steps"),
        WARMUP_STEPS,
        free="last_epoch",
    ),
    ctor(
        "transformers.get_cosine_schedule_with_warmup",
        H.get_cosine_schedule_with_warmup,
        dict(_HF, num_cycles=0.5),
        finite("lr num_warmup_steps num_training_steps num_cycles"),
        WARMUP_STEPS,
        free="last_epoch",
    ),
    ctor(
        "transformers.get_cosine_with_hard_restarts_schedule_with_warmup",
        H.get_cosine_with_hard_restarts_schedule_with_warmup,
        dict(_HF, num_cycles=2),
        finite("lr num_warmup_steps num_training_steps num_cycles"),
        WARMUP_STEPS,
        bad("num_cycles", -1, -0.5, rule="must be >= 0"),
        free="last_epoch",
    ),
    ctor(
        "transformers.get_cosine_with_min_lr_schedule_with_warmup",
        H.get_cosine_with_min_lr_schedule_with_warmup,
        dict(_HF, num_cycles=0.5, min_lr=0.001),
        finite("lr num_warmup_steps num_training_steps num_cycles min_lr"),
        WARMUP_STEPS,
        bad("min_lr", None, rule="One of min_lr or min_lr_rate should be set"),
        bad("min_lr_rate", 0.01, rule="Only one of min_lr or min_lr_rate should be set"),
        free="last_epoch",
    ),
    ctor(
        "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        H.get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
        dict(_HF, num_cycles=0.5, min_lr=0.001, warmup_lr_rate=0.1),
        finite("lr num_warmup_steps num_training_steps num_cycles min_lr warmup_lr_rate"),
        WARMUP_STEPS,
        bad("min_lr", None, rule="One of min_lr or min_lr_rate should be set"),
        bad("min_lr_rate", 0.01, rule="Only one of min_lr or min_lr_rate should be set"),
        free="last_epoch",
    ),
    ctor(
        "transformers.get_inverse_sqrt_schedule",
        H.get_inverse_sqrt_schedule,
        dict(lr=0.1, num_warmup_steps=10, timescale=20),
        finite("lr num_warmup_steps timescale"),
        WARMUP_STEPS,
        bad("timescale", 0, -10, rule="must be > 0"),
        free="last_epoch",
    ),
    ctor(
        "transformers.get_polynomial_decay_schedule_with_warmup",
        H.get_polynomial_decay_schedule_with_warmup,
        dict(_HF, lr_end=1e-7, power=2.0),
        finite("lr num_warmup_steps num_training_steps lr_end power"),
        WARMUP_STEPS,
        bad("num_training_steps", 10, rule="must differ from num_warmup_steps"),
        bad("lr_end", 0.1, 1.0, rule="must be smaller than initial lr"),
        bad("power", 0, -1.0, rule="must be > 0"),
        free="last_epoch",
    ),
    ctor(
        "transformers.get_wsd_schedule",
        H.get_wsd_schedule,
        dict(lr=0.1, num_warmup_steps=10, num_decay_steps=20, num_stable_steps=70),
        finite("lr num_warmup_steps num_decay_steps num_stable_steps min_lr_ratio num_cycles"),
        WARMUP_STEPS,
        bad("num_decay_steps", -1, -0.5, rule="must be >= 0"),
        bad("num_stable_steps", None, rule="Either num_training_steps or num_stable_steps"),
        bad("warmup_type", "exp", "Linear", rule="Unknown warmup type"),
        bad("decay_type", "step", "cos", rule="Unknown decay type"),
        free="num_training_steps last_epoch",
    ),
]

KERAS = [
    ctor(
        "keras.CosineDecay",
        K.CosineDecay,
        dict(
            initial_learning_rate=0.0,
            decay_steps=100,
            alpha=0.1,
            warmup_target=0.1,
            warmup_steps=10,
        ),
        finite("initial_learning_rate decay_steps alpha warmup_target warmup_steps"),
        bad("decay_steps", 0, -10, rule="must be > 0"),
        bad("warmup_steps", -1, -0.5, rule="must be >= 0"),
        free="name",
    ),
    ctor(
        "keras.CosineDecayRestarts",
        K.CosineDecayRestarts,
        dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.9, alpha=0.1),
        finite("initial_learning_rate first_decay_steps t_mul m_mul alpha"),
        bad("first_decay_steps", 0, -10, rule="must be > 0"),
        bad("t_mul", 0.5, 0, rule="must be >= 1"),
        bad("m_mul", -0.5, rule="must be >= 0"),
        free="name",
    ),
    ctor(
        "keras.ExponentialDecay",
        K.ExponentialDecay,
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
        finite("initial_learning_rate decay_steps decay_rate"),
        bad("decay_steps", 0, -10, rule="must be > 0"),
        bad("decay_rate", 0, -0.5, rule="must be > 0"),
        bad("staircase", "yes", rule="must be True or False"),
        free="name",
    ),
    ctor(
        "keras.InverseTimeDecay",
        K.InverseTimeDecay,
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
        finite("initial_learning_rate decay_steps decay_rate"),
        bad("decay_steps", 0, -10, rule="must be > 0"),
        bad("decay_rate", -0.5, rule="must be >= 0"),
        bad("staircase", "yes", rule="must be True or False"),
        free="name",
    ),
    ctor(
        "keras.PiecewiseConstantDecay",
        K.PiecewiseConstantDecay,
        dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
        finite("boundaries values"),
        bad("boundaries values", 10, rule="must be a sequence"),
        bad("boundaries", [20, 10], rule="must be sorted"),
        bad("values", [1.0, 0.5], rule="should be 1 less than the length of values"),
        free="name",
    ),
    ctor(
        "keras.PolynomialDecay",
        K.PolynomialDecay,
        dict(initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.001, power=2.0),
        finite("initial_learning_rate decay_steps end_learning_rate power"),
        bad("decay_steps", 0, -10, rule="must be > 0"),
        bad("power", 0, -1.0, rule="must be > 0"),
        free="name cycle",
    ),
]

_TIMM_FREE = "t_in_epochs noise_pct noise_std noise_seed initialize warmup_prefix"
_NOISE = bad("noise_range_t", (10, 20), 0.5, rule="must be None")


def _timm_cycles(extra: str) -> tuple[Bad, ...]:
    return (
        finite(
            "lr t_initial lr_min cycle_mul cycle_decay cycle_limit warmup_t warmup_lr_init " + extra
        ),
        bad("t_initial", 0, -10, rule="must be > 0"),
        bad("lr_min", -1e-5, rule="must be >= 0"),
        bad("cycle_mul", 0.5, 0, rule="must be >= 1"),
        bad("cycle_decay", -0.5, rule="must be >= 0"),
        bad("cycle_limit", 0, 1.5, rule="must be an integer >= 1"),
        bad("warmup_t", -1, -0.5, rule="must be >= 0"),
        _NOISE,
    )


_TIMM = dict(lr=0.1, t_initial=100, lr_min=1e-5, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3)
_TIMM.update(warmup_t=5, warmup_lr_init=1e-4)
TIMM = [
    ctor(
        "timm.CosineLRScheduler",
        M.CosineLRScheduler,
        dict(_TIMM, k_decay=2.0),
        *_timm_cycles("k_decay"),
        bad("k_decay", 0, -1.0, rule="must be > 0"),
        free=_TIMM_FREE,
    ),
    ctor(
        "timm.TanhLRScheduler",
        M.TanhLRScheduler,
        dict(_TIMM, lb=-7.0, ub=3.0),
        *_timm_cycles("lb ub"),
        bad("lb", 3.0, 5.0, rule="must be < ub=3.0"),
        free=_TIMM_FREE,
    ),
    ctor(
        "timm.PolyLRScheduler",
        M.PolyLRScheduler,
        dict(_TIMM, power=0.5, k_decay=2.0),
        *_timm_cycles("power k_decay"),
        bad("power", 0, -1.0, rule="must be > 0"),
        bad("k_decay", 0, -1.0, rule="must be > 0"),
        free=_TIMM_FREE,
    ),
    ctor(
        "timm.StepLRScheduler",
        M.StepLRScheduler,
        dict(lr=0.1, decay_t=30, decay_rate=0.5, warmup_t=3, warmup_lr_init=1e-4),
        finite("lr decay_t decay_rate warmup_t warmup_lr_init"),
        bad("decay_t", 0, -10, rule="must be > 0"),
        bad("decay_rate", -0.5, rule="must be >= 0"),
        bad("warmup_t", -1, -0.5, rule="must be >= 0"),
        _NOISE,
        free=_TIMM_FREE,
    ),
    ctor(
        "timm.MultiStepLRScheduler",
        M.MultiStepLRScheduler,
        dict(lr=0.1, decay_t=[30, 60], decay_rate=0.5, warmup_t=3, warmup_lr_init=1e-4),
        finite("lr decay_t decay_rate warmup_t warmup_lr_init"),
        bad("decay_t", 30, rule="must be a sequence of steps"),
        bad("decay_t", [60, 30], rule="must be sorted"),
        bad("decay_t", [-5, 30], rule="must be >= 0"),
        bad("decay_rate", -0.5, rule="must be >= 0"),
        bad("warmup_t", -1, -0.5, rule="must be >= 0"),
        _NOISE,
        free=_TIMM_FREE,
    ),
    ctor(
        "timm.PlateauLRScheduler",
        M.PlateauLRScheduler,
        dict(lr=0.1, decay_rate=0.5, patience_t=5, threshold=1e-4, cooldown_t=1, warmup_t=3),
        finite("lr decay_rate patience_t threshold cooldown_t warmup_t warmup_lr_init lr_min"),
        bad("lr", 0, -0.1, rule="must be > 0"),
        bad("decay_rate", 1.0, -0.5, rule="must be in [0, 1)"),
        bad("patience_t cooldown_t", -1, 1.5, rule="must be an integer >= 0"),
        bad("threshold lr_min", -1e-4, rule="must be >= 0"),
        bad("warmup_t", -1, -0.5, rule="must be >= 0"),
        bad("mode", "maximum", rule="must be one of"),
        _NOISE,
        free="noise_type noise_pct noise_std noise_seed initialize",
    ),
]

_FIT = dict(n_epoch=4, lr_max=1.0, div=25.0, div_final=1e5, pct_start=0.25, steps=400)
FASTAI = [
    ctor(
        "fastai.SchedLin",
        F.SchedLin,
        dict(start=0.0, end=1.0, steps=10),
        finite("start end steps"),
        bad("steps", -1, -10, rule="must be >= 0"),
    ),
    ctor(
        "fastai.SchedCos",
        F.SchedCos,
        dict(start=0.0, end=1.0, steps=10),
        finite("start end steps"),
        bad("steps", -1, -10, rule="must be >= 0"),
    ),
    ctor(
        "fastai.SchedNo", F.SchedNo, dict(start=0.5, end=1.0, steps=10), finite("start end steps")
    ),
    ctor(
        "fastai.SchedExp",
        F.SchedExp,
        dict(start=0.1, end=1.0, steps=10),
        finite("start end steps"),
        bad("start end", 0, -0.1, rule="must be > 0"),
        bad("steps", 0, -10, rule="must be > 0"),
    ),
    ctor(
        "fastai.SchedPoly",
        F.SchedPoly,
        dict(start=0.0, end=1.0, power=2.0, steps=10),
        finite("start end power steps"),
        bad("power", 0, -1.0, rule="must be > 0"),
        bad("steps", -1, -10, rule="must be >= 0"),
    ),
    ctor(
        "fastai.combine_scheds",
        F.combine_scheds,
        dict(pcts=[0.3, 0.7], scheds=[F.SchedLin(0.0, 1.0), F.SchedCos(1.0, 0.0)], steps=100),
        bad("pcts", [0.5, 0.6], rule="must sum to 1"),
        bad("pcts", [1.5, -0.5], rule="must be >= 0"),
        bad("pcts", [1.0], [0.3, 0.3, 0.4], rule="must have the same non-zero length"),
        bad(
            "scheds",
            [LIN, NOT],
            rule="is not a schedule",
            names="schedule 2 of 2",
            shown="[linear(...), 0.5]",
        ),
        bad(
            "scheds",
            [LIN, sa.step(1.0, 10, 0.5)],
            rule="has no duration",
            names="schedule 2 of 2",
            shown="[linear(...), sa.step(1.0, 10, 0.5)]",
        ),
        finite("steps"),
        bad("steps", 0, -10, rule="must be > 0"),
    ),
    ctor(
        "fastai.combined_cos",
        F.combined_cos,
        dict(pct=0.25, start=0.1, middle=1.0, end=0.0, steps=100),
        finite("pct start middle end steps"),
        bad("pct", -0.1, 1.5, rule="must be in [0, 1]"),
        bad("steps", 0, -10, rule="must be > 0"),
    ),
    ctor(
        "fastai.fit_one_cycle",
        F.fit_one_cycle,
        _FIT,
        finite("lr_max div div_final pct_start steps"),
        bad("n_epoch", 0, 2.5, rule="must be an integer >= 1"),
        bad("div div_final", 0, -25.0, rule="must be > 0"),
        bad("pct_start", -0.1, 1.5, rule="must be in [0, 1]"),
        bad("steps", 0, -10, rule="must be > 0"),
    ),
    ctor(
        "fastai.fit_flat_cos",
        F.fit_flat_cos,
        dict(n_epoch=4, lr=1.0, div_final=1e5, pct_start=0.75, steps=400),
        finite("lr div_final pct_start steps"),
        bad("n_epoch", 0, 2.5, rule="must be an integer >= 1"),
        bad("div_final", 0, -1e5, rule="must be > 0"),
        bad("pct_start", -0.1, 1.5, rule="must be in [0, 1]"),
        bad("steps", 0, -10, rule="must be > 0"),
    ),
    ctor(
        "fastai.fit_sgdr",
        F.fit_sgdr,
        dict(n_cycles=2, cycle_len=1, lr_max=1.0, cycle_mult=2, steps=300),
        finite("lr_max steps"),
        bad("n_cycles cycle_len", 0, 1.5, rule="must be an integer >= 1"),
        bad("cycle_mult", 1, 0, rule="must be > 1"),
        bad("steps", 0, -10, rule="must be > 0"),
    ),
]

BASE_LR_GROUP = bad("base_lr", [0.1, 0.2], rule=GROUP)
BRAINTOOLS = [
    ctor(
        "braintools.StepLR",
        B.StepLR,
        dict(base_lr=0.1, step_size=10, gamma=0.5),
        finite("base_lr step_size gamma"),
        BASE_LR_GROUP,
        bad("step_size", 0, -10, rule="must be > 0"),
        bad("gamma", -0.5, rule="must be >= 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.MultiStepLR",
        B.MultiStepLR,
        dict(base_lr=0.1, milestones=[10, 20], gamma=0.5),
        finite("base_lr gamma"),
        BASE_LR_GROUP,
        bad("milestones", 10, rule="must be a sequence of steps"),
        bad("milestones", [-5, 10], rule="must be >= 0"),
        bad("gamma", -0.5, rule="must be >= 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.ExponentialLR",
        B.ExponentialLR,
        dict(base_lr=0.1, gamma=0.9),
        finite("base_lr gamma"),
        BASE_LR_GROUP,
        bad("gamma", 0, -0.5, rule="must be > 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.ExponentialDecayLR",
        B.ExponentialDecayLR,
        dict(base_lr=0.1, decay_steps=10, decay_rate=0.5, transition_begin=5, end_value=0.01),
        finite("base_lr decay_steps decay_rate transition_begin end_value"),
        BASE_LR_GROUP,
        bad("decay_steps", 0, -10, rule="must be > 0"),
        bad("decay_rate", 0, -0.5, rule="must be > 0"),
        bad("transition_begin", -1, rule="must be >= 0"),
        bad("staircase", "yes", rule="must be True or False"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.CosineAnnealingLR",
        B.CosineAnnealingLR,
        dict(base_lr=0.1, T_max=10, eta_min=0.001),
        finite("base_lr T_max eta_min"),
        BASE_LR_GROUP,
        bad("T_max", 0, -10, rule="must be > 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.PolynomialLR",
        B.PolynomialLR,
        dict(base_lr=0.1, total_iters=10, power=2.0),
        finite("base_lr total_iters power"),
        BASE_LR_GROUP,
        bad("total_iters", 0, -1, rule="must be > 0"),
        bad("power", 0, -1.0, rule="must be > 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.WarmupScheduler",
        B.WarmupScheduler,
        dict(base_lr=0.1, warmup_epochs=10, warmup_start_lr=0.001),
        finite("base_lr warmup_epochs warmup_start_lr"),
        BASE_LR_GROUP,
        bad("warmup_epochs", -1, -0.5, rule="must be >= 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.CyclicLR",
        B.CyclicLR,
        dict(base_lr=0.001, max_lr=0.1, step_size_up=10, step_size_down=5, gamma=0.99),
        finite("base_lr max_lr step_size_up step_size_down gamma"),
        bad("base_lr max_lr", [0.1, 0.2], rule=GROUP),
        bad("step_size_up", 0, -10, rule="must be > 0"),
        bad("step_size_down", 0, -5, rule="must be > 0"),
        bad("gamma", 0, -0.5, rule="must be > 0"),
        bad("mode", "triangle", "exp", rule="must be one of"),
        bad("scale_mode", "epoch", rule="must be 'cycle' or 'iterations'"),
        bad("scale_fn", _math_cos, _python_max, rule=NOT_JNP[0], shown=NOT_JNP[1]),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.OneCycleLR",
        B.OneCycleLR,
        dict(max_lr=0.1, total_steps=100, pct_start=0.3),
        finite("max_lr total_steps pct_start div_factor final_div_factor"),
        bad("max_lr", [0.1, 0.2], rule=GROUP),
        bad("total_steps", 0, -10, rule="must be > 0"),
        bad("pct_start", 0, 1.0, 1.5, rule="must be in (0, 1)"),
        bad("anneal_strategy", "cosine", rule="must be 'cos' or 'linear'"),
        bad("div_factor final_div_factor", 0, -25.0, rule="must be > 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.OneCycleLR",
        B.OneCycleLR,
        dict(max_lr=0.1, epochs=2, steps_per_epoch=50),
        bad("epochs steps_per_epoch", 0, -2, rule="must be > 0"),
        bad("steps_per_epoch", None, rule="define either total_steps or both"),
    ),
    ctor(
        "braintools.ReduceLROnPlateau",
        B.ReduceLROnPlateau,
        dict(base_lr=0.1, factor=0.5, patience=2, threshold=1e-4, cooldown=1, min_lr=0.0),
        finite("base_lr factor patience threshold cooldown min_lr eps"),
        bad("base_lr", 0, -0.1, rule="must be > 0"),
        bad("base_lr min_lr", [0.1, 0.2], rule=GROUP),
        bad("factor", 1.0, -0.5, rule="must be in [0, 1)"),
        bad("patience cooldown", -1, 1.5, rule="must be an integer >= 0"),
        bad("threshold min_lr", -1e-3, rule="must be >= 0"),
        bad("mode", "minimum", rule="must be one of"),
        bad("threshold_mode", "relative", rule="must be one of"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.LinearLR",
        B.LinearLR,
        dict(base_lr=0.1, start_factor=0.5, end_factor=1.0, total_iters=10),
        finite("base_lr start_factor end_factor total_iters"),
        BASE_LR_GROUP,
        bad("total_iters", -1, rule="must be >= 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.ConstantLR",
        B.ConstantLR,
        dict(base_lr=0.1, factor=0.5, total_iters=4),
        finite("base_lr factor total_iters"),
        BASE_LR_GROUP,
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.ChainedScheduler",
        B.ChainedScheduler,
        dict(schedulers=[BW, BE]),
        bad("schedulers", [], rule="must hold at least one scheduler"),
        bad(
            "schedulers",
            [BW, sa.constant(0.1)],
            rule="was not made by schedalg.compat.braintools",
            names="scheduler 2 of 2",
            shown="[WarmupScheduler(...), sa.constant(0.1)]",
        ),
    ),
    ctor(
        "braintools.SequentialLR",
        B.SequentialLR,
        dict(schedulers=[BC, BE, BW], milestones=[2, 5]),
        bad("schedulers", [], rule="one milestone fewer than schedulers"),
        bad(
            "schedulers",
            [BC, NOT, BW],
            rule="must be a schedule",
            shown="[ConstantLR(...), 0.5, WarmupScheduler(...)]",
        ),
        bad("milestones", [2], [2, 5, 8], rule="one milestone fewer than schedulers"),
        bad("milestones", [5, 2], rule="must be sorted"),
        bad("milestones", [-1, 5], rule="must be >= 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.CosineAnnealingWarmRestarts",
        B.CosineAnnealingWarmRestarts,
        dict(base_lr=0.1, T_0=10, T_mult=2, eta_min=0.001),
        finite("base_lr T_0 T_mult eta_min"),
        BASE_LR_GROUP,
        bad("T_0", 0, -10, rule="must be > 0"),
        bad("T_mult", 0, 0.5, rule="must be >= 1"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.WarmupCosineSchedule",
        B.WarmupCosineSchedule,
        dict(base_lr=0.1, warmup_steps=10, total_steps=100, eta_min=0.001),
        finite("base_lr warmup_steps total_steps warmup_start_lr eta_min"),
        BASE_LR_GROUP,
        bad("warmup_steps", -1, -0.5, rule="must be >= 0"),
        LAST_EPOCH_BRAINTOOLS,
    ),
    ctor(
        "braintools.PiecewiseConstantSchedule",
        B.PiecewiseConstantSchedule,
        dict(base_lr=0.1, boundaries=[10, 20], values=[0.1, 0.01, 0.001]),
        finite("base_lr"),
        bad("boundaries values", 10, rule="must be a sequence"),
        bad("boundaries", [20, 10], rule="must be sorted"),
        bad("values", [0.1, 0.01], rule="must have one more entry than boundaries"),
        LAST_EPOCH_BRAINTOOLS,
    ),
]

TABLE: list[Ctor] = CORE + TORCH + OPTAX + TRANSFORMERS + KERAS + TIMM + FASTAI + BRAINTOOLS


# ----------------------------------------------------------------------------
# The tests.


def _names_param(message: str, check: Bad, param: str) -> bool:
    if check.names is not None:
        return check.names in message
    # The bare name, not a longer one that contains it ("lr" is not "base_lr").
    return re.search(rf"(?<![\w.]){re.escape(param)}(?!\w)", message) is not None


def _message(entry: Ctor, param: str, value: Any) -> str:
    with pytest.raises(ValueError) as info:
        entry.call(param, value)
    return str(info.value)


CASES = [
    pytest.param(entry, check, id=f"{entry.name}-{'/'.join(check.params)}-{i}")
    for entry in TABLE
    for i, check in enumerate(entry.checks)
]


@pytest.mark.parametrize("entry, check", CASES)
def test_bad_input_raises_value_error_naming_constructor_and_parameter(entry, check):
    for param in check.params:
        for value in check.values:
            message = _message(entry, param, value)
            where = f"{entry.name}({param}={value!r}) said {message!r}"
            assert message.startswith(f"{entry.short}: "), where
            assert _names_param(message, check, param), where
            assert check.rule in message, where


@pytest.mark.parametrize("entry", TABLE, ids=[e.name for e in TABLE])
def test_the_valid_call_builds(entry):
    # Otherwise a rejection above could come from the valid arguments, not the bad value.
    built = entry.fn(*entry.args, **entry.kwargs)
    assert isinstance(built, (sa.Schedule, sa.reduce_on_plateau, M.PlateauLR))


def _numeric_params(entry: Ctor) -> list[str]:
    from schedalg.compat._named import _takes_numbers

    params = inspect.signature(entry.fn).parameters.values()
    return [p.name for p in params if p.name in entry.kwargs and _takes_numbers(p)]


COMPAT_TABLE = [e for e in TABLE if not e.name.startswith("sa.") and _numeric_params(e)]


@pytest.mark.parametrize("entry", COMPAT_TABLE, ids=[e.name for e in COMPAT_TABLE])
def test_text_where_a_number_is_expected_names_the_parameter(entry):
    # Arithmetic on "0.1" would raise a TypeError that names no parameter.
    for param in _numeric_params(entry):
        message = _message(entry, param, "0.1")
        assert message == f"{entry.short}: {param} must be a number, got {param}='0.1'"


TRACED = [
    lambda n: T.StepLR(lr=1.0, step_size=n, gamma=0.5),
    lambda n: M.MultiStepLRScheduler(lr=1.0, decay_t=n[None], decay_rate=0.5),
    lambda n: K.PiecewiseConstantDecay([n], [1.0, 0.5]),
    lambda n: O.warmup_cosine_decay_schedule(0.0, 1.0, n, 4 * n),
    lambda n: H.get_wsd_schedule(1.0, n, 10, num_stable_steps=n),
    lambda n: F.fit_sgdr(2, 1, lr_max=1.0, steps=3 * n),
]


@pytest.mark.parametrize("build", TRACED)
def test_checks_let_traced_arguments_through(build):
    # The checks read concrete numbers only: under vmap the numbers are traced.
    lengths = [10, 25]
    got = jax.vmap(lambda n: build(n)(12))(jnp.asarray(lengths))
    want = [float(build(jnp.asarray(n))(12)) for n in lengths]
    assert got.tolist() == pytest.approx(want, rel=1e-6)
    assert len(set(want)) == 2  # the traced argument matters


def _public() -> dict[str, Callable]:
    names = {f"sa.{n}": getattr(sa, n) for n in sa.__all__}
    for lib, module in COMPAT.items():
        names.update({f"{lib}.{n}": getattr(module, n) for n in module.__all__})
    return names


def test_every_public_constructor_is_in_the_table_or_exempt():
    public = set(_public())
    listed = {entry.name for entry in TABLE}
    assert not listed & set(EXEMPT), "a constructor is both in the table and exempt"
    assert public - listed - set(EXEMPT) == set(), "public constructors without bad-input cases"
    assert (listed | set(EXEMPT)) - public == set(), "the table names what is not public"
    for lib, module in COMPAT.items():
        assert module is importlib.import_module(f"schedalg.compat.{lib}")


def test_every_parameter_is_checked_or_free():
    public = _public()
    checked: dict[str, set[str]] = {}
    free: dict[str, set[str]] = {}
    for entry in TABLE:
        assert entry.checks, f"{entry.name}: an entry without bad inputs"
        checked.setdefault(entry.name, set()).update(p for c in entry.checks for p in c.params)
        free.setdefault(entry.name, set()).update(entry.free)
    for name, fn in public.items():
        if name in EXEMPT:
            continue
        params = {
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD
        }
        if name == "sa.custom":
            params.add("base")  # a keyword parameter of the function it wraps
        assert not checked[name] & free[name], f"{name}: checked and free"
        assert checked[name] | free[name] == params, f"{name}: parameters without cases"


# ----------------------------------------------------------------------------
# docs/errors.md, rendered from the table.

INTRO = f"""\
# Bad input: what each constructor rejects

Every public constructor, of the algebra (`sa.*`) and of `schedalg.compat.<library>`
(written `<library>.<name>` below), checks the concrete numbers it is given and raises a
`ValueError` that names the constructor, the parameter, the rule and the value. NaN and
infinite numbers are rejected everywhere, and so is text where a number is expected
(`torch.StepLR: lr must be a number, got lr='0.1'`). Values inside `jax.jit` or `jax.vmap` are
traced and cannot be checked when the schedule is built; `sa.check(schedule)` checks a
concrete batched schedule leaf by leaf.

```python
import schedalg as sa

try:
    sa.warmup(sa.cosine(1e-3, 0.0, 900), steps=-100)
except ValueError as err:
    print(err)  # warmup: steps must be >= 0, got steps=-100
```

The table lists each constructor's parameters, the values it rejects and the message
the first of them gives. It is generated from the cases in `tests/test_bad_inputs.py`,
which the test suite runs; do not edit it by hand, rewrite it from the repository root
with `{COMMAND}`. Values that the anchor library accepts
with a documented meaning (optax's `transition_steps <= 0`, Hugging Face's
`num_training_steps < num_warmup_steps`) are accepted here too.
"""


def _code(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _shown(check: Bad) -> str:
    if check.shown is not None:
        return _code(check.shown)
    return ", ".join(_code(repr(v)) for v in check.values)


def render() -> str:
    lines = [INTRO, "| constructor | parameter | rejected values | message example |"]
    lines.append("|---|---|---|---|")
    for entry in TABLE:
        for check in entry.checks:
            message = _message(entry, check.params[0], check.values[0])
            params = ", ".join(f"`{p}`" for p in check.params)
            lines.append(f"| `{entry.name}` | {params} | {_shown(check)} | {_code(message)} |")
    lines += ["", "## Not in the table", ""]
    lines += [f"* `{name}`: {reason}." for name, reason in EXEMPT.items()]
    return "\n".join(lines) + "\n"


def test_errors_doc_is_generated_from_the_table():
    assert PAGE.read_text(encoding="utf-8") == render(), f"docs/errors.md is stale: run `{COMMAND}`"


def main(argv: list[str]) -> int:
    if argv != ["--write"]:
        print(f"usage: {COMMAND}", file=sys.stderr)
        return 2
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
