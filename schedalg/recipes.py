"""Recipes: learning-rate schedules of public training code, written as schedalg expressions.

Each recipe names its source (project, file, function), says the source's formula in
words, gives the schedalg expression as a small function whose defaults are the numbers
that project uses, and carries a float64 reimplementation of the source's formula (written
here from the formula, not copied). ``docs/recipes.md`` is rendered from this module: the
code shown there is the source of the functions below, so the page cannot drift from what
the tests execute (``tests/test_recipes.py`` evaluates every recipe against its reference at
every boundary, one step either side, the end, twice the end and a dense range, with x64).

``python -m schedalg.recipes --write [PATH]`` rewrites the page; ``python -m schedalg.recipes
--check`` prints each recipe's worst error against its reference.

The functions are plain constructors a user can import::

    from schedalg.recipes import nanogpt
    schedule = nanogpt(learning_rate=3e-4, lr_decay_iters=100_000)
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import inspect
import math
import pathlib
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import schedalg as sa

DEFAULT_PATH = pathlib.Path(__file__).resolve().parents[1] / "docs" / "recipes.md"

#: Agreement required of every recipe with its float64 reference (x64 on): relative, plus an
#: absolute allowance of this many times the largest value of the schedule (for values that
#: are a rounding error away from 0, such as the last steps of a decay to 0).
RTOL = 1e-12
ATOL_SCALE = 1e-15
#: The same under ``jax.jit`` in float32 (the default precision).
RTOL_F32 = 1e-5
ATOL_SCALE_F32 = 1e-6
#: Number of evenly spread steps checked between 0 and the horizon, besides the boundaries.
DENSE = 2001


# ---------------------------------------------------------------------------------------------
# The expressions. Each is shown verbatim on the page: keep them short and obvious.


def nanogpt(learning_rate=6e-4, min_lr=6e-5, warmup_iters=2000, lr_decay_iters=600000):
    return sa.warmup(
        sa.cosine(learning_rate, min_lr, lr_decay_iters - warmup_iters),
        warmup_iters,
        ramp="(t+1)/(W+1)",
    )


def llm_c(learning_rate=6e-4, learning_rate_decay_frac=0.0, warmup_iters=700, num_iterations=18865):
    min_lr = learning_rate * learning_rate_decay_frac
    return sa.warmup(
        sa.cosine(learning_rate, min_lr, num_iterations - warmup_iters),
        warmup_iters,
        ramp="(t+1)/W",
    )


def modded_nanogpt(lr=0.05, num_iterations=1770, cooldown_frac=0.4):
    cooldown = round(cooldown_frac * num_iterations)  # 708 steps
    return sa.wsd(lr, 0, num_iterations - cooldown, cooldown, end=0.1 * lr)


def hf_cosine_hard_restarts(lr=2e-5, num_warmup_steps=500, num_training_steps=30500, num_cycles=3):
    cycle = (num_training_steps - num_warmup_steps) / num_cycles
    return sa.warmup(sa.restart(sa.cosine(lr, 0.0, cycle), limit=num_cycles), num_warmup_steps)


def hf_wsd(
    lr=3e-4,
    num_warmup_steps=1000,
    num_stable_steps=16000,
    num_decay_steps=3000,
    min_lr_ratio=0.1,
):
    floor = min_lr_ratio * lr
    return sa.wsd(
        lr,
        num_warmup_steps,
        num_stable_steps,
        num_decay_steps,
        start=floor,
        end=floor,
        decay_shape="1-sqrt",
    )


def hf_wsd_sqrt_warmup(
    lr=3e-4,
    num_warmup_steps=1000,
    num_stable_steps=16000,
    num_decay_steps=3000,
    min_lr_ratio=0.1,
):
    floor = min_lr_ratio * lr
    decay = sa.wsd(lr, 0, num_stable_steps, num_decay_steps, end=floor, decay_shape="cosine")
    return sa.warmup(decay, num_warmup_steps, start=floor, shape="1-sqrt")


def hf_polynomial(
    lr=6e-4, num_warmup_steps=24000, num_training_steps=500000, lr_end=1e-7, power=2.0
):
    decay = sa.polynomial(lr, lr_end, num_training_steps - num_warmup_steps, power=power)
    return sa.warmup(decay, num_warmup_steps)


def t5x(base_learning_rate=1.0, warmup_steps=10000, min_learning_rate=1e-8):
    # factors = "constant * linear_warmup * rsqrt_decay"
    constant = sa.constant(base_learning_rate)
    linear_warmup = sa.linear(0.0, 1.0, warmup_steps)
    rsqrt_decay = sa.inverse_sqrt(warmup_steps**-0.5, warmup_steps)
    return sa.clip(constant * linear_warmup * rsqrt_decay, low=min_learning_rate)


def big_vision_rsqrt(
    lr=1e-3, total_steps=200000, warmup_steps=10000, cooldown_steps=50000, timescale=10000, shift=0
):
    decay = sa.shift(sa.inverse_sqrt(lr, timescale), -(timescale + shift))
    return sa.cooldown(sa.warmup(decay, warmup_steps), cooldown_steps, total_steps)


def big_vision_stair(
    lr=3e-3, warmup_steps=500, steps=(6000, 12000, 18000), mults=(0.1, 0.01, 0.001)
):
    values = [lr] + [lr * m for m in mults]
    return sa.linear(0.0, 1.0, warmup_steps) * sa.piecewise_constant(list(steps), values)


def maxtext_cosine(
    learning_rate=3e-4,
    learning_rate_final_fraction=0.1,
    warmup_steps_fraction=0.1,
    learning_rate_schedule_steps=9000,
):
    final_lr = learning_rate * learning_rate_final_fraction
    warmup = int(learning_rate_schedule_steps * warmup_steps_fraction)
    cos = learning_rate_schedule_steps - warmup
    return sa.join(
        sa.linear(0.0, learning_rate, warmup - 1),
        sa.cosine(learning_rate, final_lr, cos - 1),
        sa.constant(0.0),
        boundaries=[warmup, learning_rate_schedule_steps],
    )


def maxtext_wsd(
    learning_rate=3e-4,
    learning_rate_final_fraction=0.1,
    warmup_steps_fraction=0.1,
    wsd_decay_steps_fraction=0.2,
    learning_rate_schedule_steps=9000,
):
    final_lr = learning_rate * learning_rate_final_fraction
    warmup = int(learning_rate_schedule_steps * warmup_steps_fraction)
    decay = int(learning_rate_schedule_steps * wsd_decay_steps_fraction)
    stable = learning_rate_schedule_steps - warmup - decay
    return sa.join(
        sa.linear(0.0, learning_rate, warmup - 1),
        sa.constant(learning_rate),
        sa.linear(learning_rate, final_lr, decay - 1),
        sa.constant(0.0),
        boundaries=[warmup, warmup + stable, learning_rate_schedule_steps],
    )


def levanter_cycles(
    learning_rate=6e-4,
    min_lr_ratio=0.1,
    num_train_steps=10000,
    cycles=4,
    warmup=0.01,
    rewarmup=0.05,
):
    min_lr = learning_rate * min_lr_ratio
    cycle = num_train_steps // cycles
    first, again = int(warmup * cycle), int(rewarmup * cycle)
    first_cycle = sa.warmup(sa.cosine(learning_rate, min_lr, cycle - first), first)
    next_cycle = sa.warmup(sa.cosine(learning_rate, min_lr, cycle - again), again, start=min_lr)
    return sa.join(first_cycle, sa.restart(next_cycle, limit=cycles - 1))


def timm_cosine_cycles(
    lr=0.1,
    t_initial=100,
    lr_min=1e-5,
    cycle_mul=2.0,
    cycle_decay=0.5,
    cycle_limit=3,
    warmup_t=5,
    warmup_lr_init=1e-6,
    steps_per_epoch=2502,
):
    cycles = sa.restart(
        sa.cosine(lr, lr_min, t_initial),
        mult=cycle_mul,
        decay=cycle_decay,
        limit=cycle_limit,
        floor=lr_min,
    )
    by_epoch = sa.warmup(cycles, warmup_t, start=warmup_lr_init, prefix=False)
    return sa.per_epoch(by_epoch, steps_per_epoch)


def fairseq_inverse_sqrt(lr=5e-4, warmup_updates=4000, warmup_init_lr=1e-7):
    return sa.warmup(
        sa.inverse_sqrt(lr, warmup_updates), warmup_updates, start=warmup_init_lr, prefix=False
    )


def ultralytics_linear(lr0=0.01, lrf=0.01, epochs=100, warmup_epochs=3.0, batches_per_epoch=7393):
    warmup = max(round(warmup_epochs * batches_per_epoch), 100)
    by_epoch = sa.per_epoch(sa.linear(lr0, lr0 * lrf, epochs), batches_per_epoch)
    return sa.linear(0.0, 1.0, warmup) * by_epoch


def ultralytics_cosine(lr0=0.01, lrf=0.01, epochs=100, warmup_epochs=3.0, batches_per_epoch=7393):
    warmup = max(round(warmup_epochs * batches_per_epoch), 100)
    by_epoch = sa.per_epoch(sa.cosine(lr0, lr0 * lrf, epochs), batches_per_epoch)
    return sa.linear(0.0, 1.0, warmup) * by_epoch


def deit(lr=1e-3, min_lr=1e-5, warmup_lr=1e-6, warmup_epochs=5, epochs=300, steps_per_epoch=1251):
    timm_cosine = sa.warmup(
        sa.cosine(lr, min_lr, epochs), warmup_epochs, start=warmup_lr, prefix=False
    )
    # lr_scheduler.step(epoch) after epoch `epoch`: epoch e trains with the value of e - 1.
    return sa.per_epoch(sa.shift(timm_cosine, 1), steps_per_epoch)


def swin(lr=1e-3, min_lr=1e-5, warmup_lr=1e-6, epochs=300, warmup_epochs=20, n_iter_per_epoch=1251):
    num_steps = epochs * n_iter_per_epoch
    warmup_steps = warmup_epochs * n_iter_per_epoch
    timm_cosine = sa.warmup(
        sa.cosine(lr, min_lr, num_steps - warmup_steps), warmup_steps, start=warmup_lr
    )
    # step_update(epoch * num_steps + idx) after update idx: update k uses the value of k - 1.
    return sa.shift(timm_cosine, 1)


def minicpm_exponential(lr=0.01, warmup_iter=400, drop_begin=36000, drop_iter=560, drop_rate=0.5):
    return sa.join(
        sa.linear(0.0, lr, warmup_iter),
        sa.constant(lr),
        sa.exponential(lr, drop_rate, drop_iter),
        boundaries=[warmup_iter, drop_begin],
    )


# ---------------------------------------------------------------------------------------------
# The float64 references, written from each source's formula (one step at a time, in Python
# floats). ``t`` is the step the expression is called with.


def _cos_weight(x: float) -> float:
    """``(1 + cos(pi * x)) / 2``: 1 at x = 0, 0 at x = 1."""
    return 0.5 * (1.0 + math.cos(math.pi * x))


def _nanogpt_ref(t, learning_rate, min_lr, warmup_iters, lr_decay_iters):
    if t < warmup_iters:
        return learning_rate * (t + 1) / (warmup_iters + 1)
    if t > lr_decay_iters:
        return min_lr
    ratio = (t - warmup_iters) / (lr_decay_iters - warmup_iters)
    return min_lr + _cos_weight(ratio) * (learning_rate - min_lr)


def _llm_c_ref(t, learning_rate, learning_rate_decay_frac, warmup_iters, num_iterations):
    min_lr = learning_rate * learning_rate_decay_frac
    if t < warmup_iters:
        return learning_rate * (t + 1) / warmup_iters
    if t > num_iterations:
        return min_lr
    ratio = (t - warmup_iters) / (num_iterations - warmup_iters)
    return min_lr + _cos_weight(ratio) * (learning_rate - min_lr)


def _modded_nanogpt_ref(t, lr, num_iterations, cooldown_frac):
    x = t / num_iterations
    if x >= 1:  # the source asserts x < 1 (training ends); the factor holds its last value
        return 0.1 * lr
    if x < 1 - cooldown_frac:
        return lr
    w = (1 - x) / cooldown_frac
    return lr * (w * 1.0 + (1 - w) * 0.1)


def _hf_cosine_hard_restarts_ref(t, lr, num_warmup_steps, num_training_steps, num_cycles):
    if t < num_warmup_steps:
        return lr * t / max(1, num_warmup_steps)
    if t >= num_training_steps:
        return 0.0
    span = num_training_steps - num_warmup_steps
    # (num_cycles * progress) % 1, in exact integer arithmetic
    position = ((t - num_warmup_steps) * num_cycles % span) / span
    return lr * max(0.0, _cos_weight(position))


def _hf_wsd_factor(t, warmup, stable, decay, warmup_type, decay_type, ratio):
    if t < warmup:
        progress = t / max(1, warmup)
        factor = {
            "linear": progress,
            "cosine": 0.5 * (1.0 - math.cos(math.pi * progress)),
            "1-sqrt": 1.0 - math.sqrt(1.0 - progress),
        }[warmup_type]
        return max(0.0, factor * (1.0 - ratio) + ratio)
    if t < warmup + stable:
        return 1.0
    if t < warmup + stable + decay:
        progress = (t - warmup - stable) / max(1, decay)
        factor = {
            "linear": 1.0 - progress,
            "cosine": _cos_weight(progress),  # num_cycles = 0.5
            "1-sqrt": 1.0 - math.sqrt(progress),
        }[decay_type]
        return max(0.0, factor * (1.0 - ratio) + ratio)
    return ratio


def _hf_wsd_ref(t, lr, num_warmup_steps, num_stable_steps, num_decay_steps, min_lr_ratio):
    return lr * _hf_wsd_factor(
        t, num_warmup_steps, num_stable_steps, num_decay_steps, "linear", "1-sqrt", min_lr_ratio
    )


def _hf_wsd_sqrt_warmup_ref(
    t, lr, num_warmup_steps, num_stable_steps, num_decay_steps, min_lr_ratio
):
    return lr * _hf_wsd_factor(
        t, num_warmup_steps, num_stable_steps, num_decay_steps, "1-sqrt", "cosine", min_lr_ratio
    )


def _hf_polynomial_ref(t, lr, num_warmup_steps, num_training_steps, lr_end, power):
    if t < num_warmup_steps:
        return lr * t / max(1, num_warmup_steps)
    if t > num_training_steps:
        return lr_end
    remaining = 1 - (t - num_warmup_steps) / (num_training_steps - num_warmup_steps)
    return (lr - lr_end) * remaining**power + lr_end


def _t5x_ref(t, base_learning_rate, warmup_steps, min_learning_rate):
    value = base_learning_rate * min(1.0, t / warmup_steps) / math.sqrt(max(t, warmup_steps))
    return max(value, min_learning_rate)


def _big_vision_rsqrt_ref(t, lr, total_steps, warmup_steps, cooldown_steps, timescale, shift):
    if t >= total_steps:  # big_vision's factor turns negative here; training has ended
        return 0.0
    if warmup_steps <= t:
        value = lr / math.sqrt(1 + (t + shift - warmup_steps) / timescale)
    else:
        value = lr / math.sqrt(1 + shift / timescale)
    if warmup_steps:
        value *= min(1.0, t / warmup_steps)
    if cooldown_steps:
        value *= min(1.0, (total_steps - t) / cooldown_steps)
    return value


def _big_vision_stair_ref(t, lr, warmup_steps, steps, mults):
    value = lr * ([1.0, *mults])[bisect.bisect_left(list(steps), t + 1)]  # searchsorted
    if warmup_steps:
        value *= min(1.0, t / warmup_steps)
    return value


def _optax_linear(t, start, end, steps):
    """optax.linear_schedule(start, end, steps) at count t."""
    if steps <= 0:
        return start
    return start + (end - start) * min(max(t, 0), steps) / steps


def _maxtext_cos(t, start, end, length):
    """MaxText's ``make_cos_schedule(start, end, length)`` at local step t."""
    pct = t / (length - 1) if length > 1 else 1.0
    a = 0.5 * (math.cos(math.pi * pct) + 1)
    return start * a + end * (1 - a)


def _maxtext_cosine_ref(
    t,
    learning_rate,
    learning_rate_final_fraction,
    warmup_steps_fraction,
    learning_rate_schedule_steps,
):
    final_lr = learning_rate * learning_rate_final_fraction
    warmup = int(learning_rate_schedule_steps * warmup_steps_fraction)
    if t < warmup:
        return _optax_linear(t, 0.0, learning_rate, warmup - 1)
    if t < learning_rate_schedule_steps:
        return _maxtext_cos(
            t - warmup, learning_rate, final_lr, learning_rate_schedule_steps - warmup
        )
    return 0.0


def _maxtext_wsd_ref(
    t,
    learning_rate,
    learning_rate_final_fraction,
    warmup_steps_fraction,
    wsd_decay_steps_fraction,
    learning_rate_schedule_steps,
):
    final_lr = learning_rate * learning_rate_final_fraction
    warmup = int(learning_rate_schedule_steps * warmup_steps_fraction)
    decay = int(learning_rate_schedule_steps * wsd_decay_steps_fraction)
    stable = learning_rate_schedule_steps - warmup - decay
    if t < warmup:
        return _optax_linear(t, 0.0, learning_rate, warmup - 1)
    if t < warmup + stable:
        return learning_rate
    if t < learning_rate_schedule_steps:
        return _optax_linear(t - warmup - stable, learning_rate, final_lr, decay - 1)
    return 0.0


def _levanter_cycles_ref(t, learning_rate, min_lr_ratio, num_train_steps, cycles, warmup, rewarmup):
    min_lr = learning_rate * min_lr_ratio
    points = [0] + [int(num_train_steps / cycles * (i + 1)) for i in range(cycles - 1)]
    points.append(num_train_steps)
    k = max(i for i in range(cycles) if points[i] <= t)  # the cycle in force
    length = points[k + 1] - points[k]
    ramp = int((warmup if k == 0 else rewarmup) * length)
    start = 0.0 if k == 0 else min_lr
    local = t - points[k]
    if local < ramp:
        return _optax_linear(local, start, learning_rate, ramp)
    decay = length - ramp  # optax.cosine_decay_schedule(lr, decay, alpha=min_lr_ratio)
    done = min(local - ramp, decay) / decay
    return learning_rate * ((1 - min_lr_ratio) * _cos_weight(done) + min_lr_ratio)


def _timm_cosine(
    t, lr, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init, prefix
):
    """timm's CosineLRScheduler._get_lr(t) (k_decay = 1), cycles found by walking them."""
    if t < warmup_t:
        return warmup_lr_init + t * (lr - warmup_lr_init) / warmup_t
    if prefix:
        t = t - warmup_t
    i, start, length = 0, 0.0, float(t_initial)
    while t >= start + length:  # cycle i spans [start, start + t_initial * cycle_mul**i)
        i, start, length = i + 1, start + length, length * cycle_mul
    if i >= cycle_limit:
        return lr_min
    lr_max = lr * cycle_decay**i
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * (t - start) / length))


def _timm_cosine_cycles_ref(
    t,
    lr,
    t_initial,
    lr_min,
    cycle_mul,
    cycle_decay,
    cycle_limit,
    warmup_t,
    warmup_lr_init,
    steps_per_epoch,
):
    epoch = t // steps_per_epoch  # t_in_epochs: scheduler.step(epoch + 1) after each epoch
    return _timm_cosine(
        epoch, lr, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t,
        warmup_lr_init, False,
    )  # fmt: skip


def _fairseq_inverse_sqrt_ref(t, lr, warmup_updates, warmup_init_lr):
    if t < warmup_updates:
        return warmup_init_lr + t * (lr - warmup_init_lr) / warmup_updates
    return lr * warmup_updates**0.5 * t**-0.5


def _ultralytics_ref(t, lr0, lrf, epochs, warmup_epochs, batches_per_epoch, cos):
    epoch = min(t // batches_per_epoch, epochs)  # training ends after epoch `epochs - 1`
    if cos:  # one_cycle(1, lrf, epochs)
        factor = ((1 - math.cos(epoch * math.pi / epochs)) / 2) * (lrf - 1) + 1
    else:
        factor = max(1 - epoch / epochs, 0) * (1.0 - lrf) + lrf
    lr = lr0 * factor
    warmup = max(round(warmup_epochs * batches_per_epoch), 100)
    if t <= warmup:  # np.interp(ni, [0, nw], [0.0, initial_lr * lf(epoch)])
        return lr * t / warmup
    return lr


def _ultralytics_linear_ref(t, lr0, lrf, epochs, warmup_epochs, batches_per_epoch):
    return _ultralytics_ref(t, lr0, lrf, epochs, warmup_epochs, batches_per_epoch, cos=False)


def _ultralytics_cosine_ref(t, lr0, lrf, epochs, warmup_epochs, batches_per_epoch):
    return _ultralytics_ref(t, lr0, lrf, epochs, warmup_epochs, batches_per_epoch, cos=True)


def _deit_ref(t, lr, min_lr, warmup_lr, warmup_epochs, epochs, steps_per_epoch):
    epoch = t // steps_per_epoch
    last_step_call = max(epoch - 1, 0)  # the initial value is the warmup start, i.e. value(0)
    return _timm_cosine(
        last_step_call, lr, epochs, min_lr, 1.0, 1.0, 1, warmup_epochs, warmup_lr, False
    )


def _swin_ref(t, lr, min_lr, warmup_lr, epochs, warmup_epochs, n_iter_per_epoch):
    num_steps = epochs * n_iter_per_epoch
    warmup_steps = warmup_epochs * n_iter_per_epoch
    last_update_call = max(t - 1, 0)
    return _timm_cosine(
        last_update_call, lr, num_steps - warmup_steps, min_lr, 1.0, 1.0, 1, warmup_steps,
        warmup_lr, True,
    )  # fmt: skip


def _minicpm_exponential_ref(t, lr, warmup_iter, drop_begin, drop_iter, drop_rate):
    if t < warmup_iter:
        return lr * t / warmup_iter
    if t > drop_begin:
        return lr * drop_rate ** ((t - drop_begin) / drop_iter)
    return lr


# ---------------------------------------------------------------------------------------------
# The catalogue.


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One schedule of a public training code base and its schedalg expression.

    ``build`` is the expression (a function whose defaults are that project's numbers),
    ``reference(t, **params)`` the source's formula in float64, ``edges(params)`` the
    steps where the schedule changes piece (the last is its end), and ``horizon(params)``
    the last step checked (default: twice the end).
    """

    title: str
    project: str
    url: str
    where: str
    formula: str
    build: Callable[..., sa.Schedule]
    reference: Callable[..., float]
    edges: Callable[[dict[str, Any]], list[int]]
    horizon: Callable[[dict[str, Any]], int] | None = None
    notes: str = ""
    library: str = ""

    @property
    def name(self) -> str:
        return self.build.__name__

    @property
    def params(self) -> dict[str, Any]:
        """The defaults of ``build``: the numbers the project uses."""
        signature = inspect.signature(self.build)
        return {k: p.default for k, p in signature.parameters.items()}

    def schedule(self) -> sa.Schedule:
        return self.build()

    def value(self, t: int) -> float:
        """The float64 reference at step ``t``."""
        return float(self.reference(int(t), **self.params))

    def boundaries(self) -> list[int]:
        return [int(e) for e in self.edges(self.params)]

    def last_step(self) -> int:
        if self.horizon is not None:
            return int(self.horizon(self.params))
        return 2 * self.boundaries()[-1]

    def steps(self) -> np.ndarray:
        """Steps checked: 0, 1, every boundary and one either side, the end, the horizon
        and ``DENSE`` steps spread evenly over ``[0, horizon]``."""
        last = self.last_step()
        points = {0, 1, last}
        for edge in self.boundaries():
            points.update({edge - 1, edge, edge + 1})
        dense = np.rint(np.linspace(0, last, DENSE)).astype(np.int64)
        return np.unique(np.concatenate([np.array(sorted(points), np.int64), dense]).clip(0))

    def source(self) -> str:
        return inspect.getsource(self.build).rstrip() + "\n"


def _modded_nanogpt_edges(p: dict[str, Any]) -> list[int]:
    n = p["num_iterations"]
    return [n - round(p["cooldown_frac"] * n), n]


def _restart_edges(p: dict[str, Any]) -> list[int]:
    w, t, n = p["num_warmup_steps"], p["num_training_steps"], p["num_cycles"]
    return [w + (t - w) * k // n for k in range(n + 1)]


def _wsd_edges(p: dict[str, Any]) -> list[int]:
    w, s, d = p["num_warmup_steps"], p["num_stable_steps"], p["num_decay_steps"]
    return [w, w + s, w + s + d]


def _big_vision_rsqrt_edges(p: dict[str, Any]) -> list[int]:
    total = p["total_steps"]
    return [p["warmup_steps"], total - p["cooldown_steps"], total]


def _maxtext_cosine_edges(p: dict[str, Any]) -> list[int]:
    schedule_steps = p["learning_rate_schedule_steps"]
    return [int(schedule_steps * p["warmup_steps_fraction"]), schedule_steps]


def _maxtext_wsd_edges(p: dict[str, Any]) -> list[int]:
    schedule_steps = p["learning_rate_schedule_steps"]
    warmup = int(schedule_steps * p["warmup_steps_fraction"])
    decay = int(schedule_steps * p["wsd_decay_steps_fraction"])
    return [warmup, schedule_steps - decay, schedule_steps]


def _levanter_edges(p: dict[str, Any]) -> list[int]:
    n, cycles = p["num_train_steps"], p["cycles"]
    cycle = n // cycles
    starts = [int(n / cycles * k) for k in range(1, cycles)]
    ramps = [int(p["warmup"] * cycle)] + [s + int(p["rewarmup"] * cycle) for s in starts]
    return sorted({*starts, *ramps, n})


def _timm_cycles_edges(p: dict[str, Any]) -> list[int]:
    m, t = p["cycle_mul"], p["t_initial"]
    ends = [round(t * (m**k - 1) / (m - 1)) for k in range(1, p["cycle_limit"] + 1)]
    return [p["steps_per_epoch"] * e for e in (1, p["warmup_t"], *ends)]


def _ultralytics_edges(p: dict[str, Any]) -> list[int]:
    nb = p["batches_per_epoch"]
    return [nb, max(round(p["warmup_epochs"] * nb), 100), p["epochs"] * nb]


def _deit_edges(p: dict[str, Any]) -> list[int]:
    w, e = p["warmup_epochs"], p["epochs"]
    return [p["steps_per_epoch"] * k for k in (1, 2, w, w + 1, e, e + 1)]


def _swin_edges(p: dict[str, Any]) -> list[int]:
    warmup = p["warmup_epochs"] * p["n_iter_per_epoch"]
    total = p["epochs"] * p["n_iter_per_epoch"]
    return [1, warmup, warmup + 1, total, total + 1]


RECIPES: list[Recipe] = [
    Recipe(
        title="nanoGPT",
        project="karpathy/nanoGPT",
        url="https://github.com/karpathy/nanoGPT",
        where="`train.py`, `get_lr(it)`",
        formula=(
            "`learning_rate * (it + 1) / (warmup_iters + 1)` while `it < warmup_iters`; "
            "`min_lr` once `it > lr_decay_iters`; in between a half cosine from "
            "`learning_rate` to `min_lr` over `[warmup_iters, lr_decay_iters]`."
        ),
        build=nanogpt,
        reference=_nanogpt_ref,
        edges=lambda p: [p["warmup_iters"], p["lr_decay_iters"]],
        notes=(
            "The warmup never quite reaches `learning_rate` (its last step gives "
            '`learning_rate * W / (W + 1)`), which `ramp="(t+1)/(W+1)"` says.'
        ),
    ),
    Recipe(
        title="llm.c",
        project="karpathy/llm.c",
        url="https://github.com/karpathy/llm.c",
        where="`train_gpt2.py`, `get_lr(it)`",
        formula=(
            "`learning_rate * (it + 1) / warmup_iters` while `it < warmup_iters` (so the peak "
            "is reached on step `warmup_iters - 1`); `min_lr = learning_rate * "
            "learning_rate_decay_frac` once `it > num_iterations`; in between a half cosine "
            "from `learning_rate` to `min_lr` over `[warmup_iters, num_iterations]`."
        ),
        build=llm_c,
        reference=_llm_c_ref,
        edges=lambda p: [p["warmup_iters"], p["num_iterations"]],
    ),
    Recipe(
        title="modded-nanogpt",
        project="KellerJordan/modded-nanogpt",
        url="https://github.com/KellerJordan/modded-nanogpt",
        where="`train_gpt.py`, `get_lr(step)` (the factor that multiplies each group's "
        "`initial_lr`)",
        formula=(
            "With `x = step / num_iterations`: 1 while `x < 1 - cooldown_frac`, then "
            "`w + (1 - w) * 0.1` with `w = (1 - x) / cooldown_frac`: a trapezoid without "
            "warmup whose linear cooldown ends at 0.1 of the peak."
        ),
        build=modded_nanogpt,
        reference=_modded_nanogpt_ref,
        edges=_modded_nanogpt_edges,
        notes=(
            "The source asserts `step < num_iterations`; past the end the reference and the "
            "expression hold the last value, `0.1 * lr`. `lr=0.05` is the Muon group's; the "
            "other groups follow the same factor."
        ),
    ),
    Recipe(
        title="Hugging Face: cosine with hard restarts",
        project="huggingface/transformers",
        url="https://github.com/huggingface/transformers",
        where="`optimization.py`, `get_cosine_with_hard_restarts_schedule_with_warmup`",
        formula=(
            "`lr * t / num_warmup_steps` during the warmup; then, with `progress = (t - W) / "
            "(T - W)`, `lr * (1 + cos(pi * ((num_cycles * progress) % 1))) / 2`: "
            "`num_cycles` cosines from `lr` to 0, each restarting at `lr`; 0 from "
            "`num_training_steps` on."
        ),
        build=hf_cosine_hard_restarts,
        reference=_hf_cosine_hard_restarts_ref,
        edges=_restart_edges,
        library="transformers",
    ),
    Recipe(
        title="Hugging Face: warmup-stable-decay",
        project="huggingface/transformers",
        url="https://github.com/huggingface/transformers",
        where='`optimization.py`, `get_wsd_schedule(warmup_type="linear", '
        'decay_type="1-sqrt", min_lr_ratio=0.1)`',
        formula=(
            "With `r = min_lr_ratio`: a linear warmup from `r * lr` to `lr` over "
            "`num_warmup_steps`, `lr` for `num_stable_steps`, then `r * lr + (1 - r) * lr * "
            "(1 - sqrt(progress))` over `num_decay_steps`, and `r * lr` after."
        ),
        build=hf_wsd,
        reference=_hf_wsd_ref,
        edges=_wsd_edges,
        library="transformers",
    ),
    Recipe(
        title="Hugging Face: warmup-stable-decay with a 1-sqrt warmup",
        project="huggingface/transformers",
        url="https://github.com/huggingface/transformers",
        where='`optimization.py`, `get_wsd_schedule(warmup_type="1-sqrt", '
        'decay_type="cosine", min_lr_ratio=0.1)`',
        formula=(
            "The warmup factor is `1 - sqrt(1 - t / num_warmup_steps)` (steep first, flat at "
            "the top), from `r * lr` to `lr`; the decay is a half cosine from `lr` to "
            "`r * lr` (`num_cycles=0.5`)."
        ),
        build=hf_wsd_sqrt_warmup,
        reference=_hf_wsd_sqrt_warmup_ref,
        edges=_wsd_edges,
        library="transformers",
    ),
    Recipe(
        title="Hugging Face: polynomial decay",
        project="huggingface/transformers",
        url="https://github.com/huggingface/transformers",
        where="`optimization.py`, `get_polynomial_decay_schedule_with_warmup`",
        formula=(
            "`lr * t / num_warmup_steps` during the warmup, then `(lr - lr_end) * "
            "(1 - (t - W) / (T - W)) ** power + lr_end`, and `lr_end` after "
            "`num_training_steps` (RoBERTa's numbers, `power=2`)."
        ),
        build=hf_polynomial,
        reference=_hf_polynomial_ref,
        edges=lambda p: [p["num_warmup_steps"], p["num_training_steps"]],
        library="transformers",
    ),
    Recipe(
        title="T5X",
        project="google-research/t5x",
        url="https://github.com/google-research/t5x",
        where='`t5x/utils.py`, `create_learning_rate_scheduler(factors="constant * '
        'linear_warmup * rsqrt_decay")`',
        formula=(
            "The product of the named factors: `base_learning_rate * min(1, step / "
            "warmup_steps) / sqrt(max(step, warmup_steps))`, never below `min_learning_rate`."
        ),
        build=t5x,
        reference=_t5x_ref,
        edges=lambda p: [p["warmup_steps"]],
        horizon=lambda p: 100 * p["warmup_steps"],
        notes="The three factors become three schedules multiplied together; `clip` is the floor.",
    ),
    Recipe(
        title="big_vision: rsqrt with cooldown",
        project="google-research/big_vision",
        url="https://github.com/google-research/big_vision",
        where='`big_vision/utils.py`, `create_learning_rate_schedule(decay_type="rsqrt")`',
        formula=(
            "`lr / sqrt(1 + (step + shift - warmup_steps) / timescale)` from `warmup_steps` "
            "on (`lr / sqrt(1 + shift / timescale)` before), multiplied by `min(1, step / "
            "warmup_steps)` and by the cooldown factor `min(1, (total_steps - step) / "
            "cooldown_steps)`."
        ),
        build=big_vision_rsqrt,
        reference=_big_vision_rsqrt_ref,
        edges=_big_vision_rsqrt_edges,
        notes=(
            "Past `total_steps` big_vision's cooldown factor turns negative (training has "
            "ended by then); the expression and the reference hold 0."
        ),
    ),
    Recipe(
        title="big_vision: stair (BiT)",
        project="google-research/big_vision",
        url="https://github.com/google-research/big_vision",
        where='`big_vision/utils.py`, `create_learning_rate_schedule(decay_type="stair")`',
        formula=(
            "`lr * [1, *mults][i]` where `i` counts the `steps` at or below `step` "
            "(`searchsorted(steps, step + 1)`), multiplied by `min(1, step / warmup_steps)` "
            "(BiT-HyperRule's numbers)."
        ),
        build=big_vision_stair,
        reference=_big_vision_stair_ref,
        edges=lambda p: [p["warmup_steps"], *p["steps"]],
        notes="`mults` are absolute multipliers of `lr`, not successive factors.",
    ),
    Recipe(
        title="MaxText: cosine with a zero tail",
        project="AI-Hypercomputer/maxtext",
        url="https://github.com/AI-Hypercomputer/maxtext",
        where="`maxtext_utils.py`, `create_learning_rate_schedule` (`lr_schedule_type: cosine`)",
        formula=(
            "`optax.linear_schedule(0, lr, warmup - 1)` for `warmup = int(schedule_steps * "
            "warmup_steps_fraction)` steps, then `make_cos_schedule`: `lr * a + final * (1 - "
            "a)` with `a = (1 + cos(pi * s / (cos_steps - 1))) / 2`, reaching the final value "
            "on its last step; 0 from `learning_rate_schedule_steps` to `steps`."
        ),
        build=maxtext_cosine,
        reference=_maxtext_cosine_ref,
        edges=_maxtext_cosine_edges,
        notes=(
            "MaxText appends the zero tail when the run's `steps` exceed "
            "`learning_rate_schedule_steps` (say 10,000 > 9,000); without it the last piece "
            "runs on (its cosine climbs back up), which this recipe does not cover."
        ),
    ),
    Recipe(
        title="MaxText: warmup-stable-decay with a zero tail",
        project="AI-Hypercomputer/maxtext",
        url="https://github.com/AI-Hypercomputer/maxtext",
        where="`maxtext_utils.py`, `create_learning_rate_schedule` (`lr_schedule_type: wsd`, "
        "`wsd_decay_style: linear`)",
        formula=(
            "A linear warmup reaching `lr` on step `warmup - 1`, `lr` until the decay, an "
            "`optax.linear_schedule(lr, final, decay - 1)` decay of `int(schedule_steps * "
            "wsd_decay_steps_fraction)` steps, then 0 until `steps`."
        ),
        build=maxtext_wsd,
        reference=_maxtext_wsd_ref,
        edges=_maxtext_wsd_edges,
        notes=(
            "The zero tail is there when the run's `steps` exceed "
            "`learning_rate_schedule_steps`; without it, drop the last piece and the decay "
            "holds its final value."
        ),
    ),
    Recipe(
        title="levanter: cycles with re-warmup",
        project="stanford-crfm/levanter",
        url="https://github.com/stanford-crfm/levanter",
        where="`src/levanter/optim/config.py`, `OptimizerConfig.lr_scheduler` (`cycles=4`, "
        '`rewarmup=0.05`, `lr_schedule="cosine"`)',
        formula=(
            "The run is cut into `cycles` equal cycles. The first warms up linearly from 0 to "
            "`learning_rate` over `warmup` of its steps, each later one from the previous "
            "cycle's end (`min_lr`) over `rewarmup` of its steps; each cycle then decays along "
            "`optax.cosine_decay_schedule(learning_rate, rest, alpha=min_lr_ratio)`."
        ),
        build=levanter_cycles,
        reference=_levanter_cycles_ref,
        edges=_levanter_edges,
        notes="The fractions are of one cycle's steps: 25 warmup steps, 125 re-warmup steps.",
    ),
    Recipe(
        title="timm: cosine with cycles",
        project="huggingface/pytorch-image-models (timm)",
        url="https://github.com/huggingface/pytorch-image-models",
        where="`timm/scheduler/cosine_lr.py`, `CosineLRScheduler` (`t_in_epochs=True`, "
        "stepped with `scheduler.step(epoch + 1)` after each epoch, as `train.py` does)",
        formula=(
            "`warmup_lr_init` rising linearly by `(lr - warmup_lr_init) / warmup_t` per "
            "epoch; then (no `warmup_prefix`) cycle `i` lasts `t_initial * cycle_mul ** i` "
            "epochs and gives `lr_min + (lr * cycle_decay ** i - lr_min) * (1 + cos(pi * "
            "t_curr / t_i)) / 2`; `lr_min` after `cycle_limit` cycles."
        ),
        build=timm_cosine_cycles,
        reference=_timm_cosine_cycles_ref,
        edges=_timm_cycles_edges,
        notes=(
            "`floor=lr_min` keeps the floor while each cycle's peak decays (timm's "
            "`cycle_decay` multiplies `lr`, not `lr - lr_min`)."
        ),
        library="timm",
    ),
    Recipe(
        title="fairseq: inverse square root",
        project="facebookresearch/fairseq",
        url="https://github.com/facebookresearch/fairseq",
        where="`fairseq/optim/lr_scheduler/inverse_square_root_schedule.py`, "
        "`InverseSquareRootSchedule.step_update`",
        formula=(
            "`warmup_init_lr + num_updates * (lr - warmup_init_lr) / warmup_updates` during "
            "the warmup, then `lr * sqrt(warmup_updates) / sqrt(num_updates)`."
        ),
        build=fairseq_inverse_sqrt,
        reference=_fairseq_inverse_sqrt_ref,
        edges=lambda p: [p["warmup_updates"]],
        horizon=lambda p: 100 * p["warmup_updates"],
        notes=(
            "`prefix=False`: the decay's clock is the update count itself, so the first "
            "decayed value is exactly `lr` at `warmup_updates`."
        ),
    ),
    Recipe(
        title="Ultralytics YOLO: linear",
        project="ultralytics/ultralytics",
        url="https://github.com/ultralytics/ultralytics",
        where="`ultralytics/engine/trainer.py`, `BaseTrainer._setup_scheduler` (`cos_lr=False`, "
        "the default) and the warmup in `_do_train`",
        formula=(
            "Per epoch, `LambdaLR` with `lf(x) = max(1 - x / epochs, 0) * (1 - lrf) + lrf`, "
            "stepped after each epoch; during the first `nw = max(round(warmup_epochs * nb), "
            "100)` batches the weights' learning rate is `np.interp(ni, [0, nw], [0, lr0 * "
            "lf(epoch)])` for batch `ni`."
        ),
        build=ultralytics_linear,
        reference=_ultralytics_linear_ref,
        edges=_ultralytics_edges,
        notes=(
            "The clock is the batch index `ni` (COCO at batch 16: 7393 batches an epoch). The "
            "bias group's warmup falls from `warmup_bias_lr` instead; it is not shown."
        ),
    ),
    Recipe(
        title="Ultralytics YOLO: cosine (one_cycle)",
        project="ultralytics/ultralytics",
        url="https://github.com/ultralytics/ultralytics",
        where="`ultralytics/engine/trainer.py`, `BaseTrainer._setup_scheduler` (`cos_lr=True`), "
        "`ultralytics/utils/__init__.py`, `one_cycle`",
        formula=(
            "`lf(x) = ((1 - cos(x * pi / epochs)) / 2) * (lrf - 1) + 1`, a half cosine from 1 "
            "to `lrf`, stepped per epoch, with the same per-batch warmup."
        ),
        build=ultralytics_cosine,
        reference=_ultralytics_cosine_ref,
        edges=_ultralytics_edges,
        notes=(
            "Past `epochs` the source's cosine would climb back; training has ended by then, "
            "and the expression and the reference hold `lr0 * lrf`."
        ),
    ),
    Recipe(
        title="DeiT",
        project="facebookresearch/deit",
        url="https://github.com/facebookresearch/deit",
        where="`main.py` (timm's `create_scheduler`, `CosineLRScheduler` stepped with "
        "`lr_scheduler.step(epoch)` after epoch `epoch`)",
        formula=(
            "timm's per-epoch cosine: `warmup_lr` rising linearly to `lr` over "
            "`warmup_epochs`, a half cosine from `lr` to `min_lr` over `epochs` (clock not "
            "reset by the warmup), `min_lr` after. Epoch 0 trains with the initial value and "
            "epoch `e >= 1` with the value of `e - 1`."
        ),
        build=deit,
        reference=_deit_ref,
        edges=_deit_edges,
        notes=(
            "DeiT steps the scheduler with the epoch just finished (timm's own `train.py` "
            "passes `epoch + 1`), so every value arrives one epoch late: `shift(..., 1)`."
        ),
        library="timm",
    ),
    Recipe(
        title="Swin Transformer",
        project="microsoft/Swin-Transformer",
        url="https://github.com/microsoft/Swin-Transformer",
        where="`lr_scheduler.py`, `build_scheduler` (`CosineLRScheduler`, `t_in_epochs=False`, "
        "`warmup_prefix=True`), stepped in `main.py` by `lr_scheduler.step_update(epoch * "
        "num_steps + idx)` after each update",
        formula=(
            "Per update: `warmup_lr` rising linearly to `lr` over `warmup_epochs * "
            "n_iter_per_epoch` updates, then a half cosine to `min_lr` over the remaining "
            "updates, `min_lr` after; update `k >= 1` uses the value computed after update "
            "`k - 1`."
        ),
        build=swin,
        reference=_swin_ref,
        edges=_swin_edges,
        library="timm",
    ),
    Recipe(
        title="MiniCPM: exponential warmup-stable-decay",
        project="OpenBMB (MiniCPM)",
        url="https://arxiv.org/abs/2404.06395",
        where="the MiniCPM training code's `cpm/training_utils/lr_scheduler.py`, "
        "`WarmupStableExp.get_lr` (WSD with exponential decay, Hu et al. 2024, section 4)",
        formula=(
            "`lr * num_iter / warmup_iter` during the warmup, `lr` until `drop_begin`, then "
            "`lr * drop_rate ** ((num_iter - drop_begin) / drop_iter)`: halving every "
            "`drop_iter` steps (the half-life) with no end."
        ),
        build=minicpm_exponential,
        reference=_minicpm_exponential_ref,
        edges=lambda p: [p["warmup_iter"], p["drop_begin"]],
        horizon=lambda p: 2 * p["drop_begin"],
        notes=(
            "The decay never ends, so it is an `exponential` piece rather than `wsd`'s "
            '`decay_shape="exponential"` (which stops at its `end`).'
        ),
    ),
]

BY_NAME = {r.name: r for r in RECIPES}


# ---------------------------------------------------------------------------------------------
# Checking.


def evaluate_recipe(recipe: Recipe, steps: Sequence[int] | np.ndarray | None = None):
    """``(steps, got, want)``: the expression (jitted, float64 with x64 on) and the reference."""
    import jax

    steps = recipe.steps() if steps is None else np.asarray(steps, np.int64)
    with jax.enable_x64(True):
        got = np.asarray(sa.evaluate(recipe.schedule(), steps), np.float64)
    want = np.array([recipe.value(t) for t in steps], np.float64)
    return steps, got, want


def errors(recipe: Recipe) -> dict[str, float]:
    """The worst disagreements of a recipe with its reference over its checked steps.

    ``relative``: the worst ``|got - want| / |want|`` where ``|want|`` is at least 1e-9 of
    the peak (at ``step``); ``absolute``: the worst ``|got - want|`` divided by the peak;
    ``ratio``: the worst ``|got - want| / (RTOL * |want| + ATOL_SCALE * peak)``, which the
    tests require to be at most 1.
    """
    steps, got, want = evaluate_recipe(recipe)
    peak = float(np.max(np.abs(want)))
    diff = np.abs(got - want)
    sizable = np.abs(want) >= 1e-9 * peak
    relative = np.where(sizable, diff / np.where(sizable, np.abs(want), 1.0), 0.0)
    i = int(np.argmax(relative))
    ratio = diff / (RTOL * np.abs(want) + ATOL_SCALE * peak)
    return {
        "relative": float(relative[i]),
        "step": int(steps[i]),
        "absolute": float(diff.max() / peak),
        "ratio": float(ratio.max()),
    }


# ---------------------------------------------------------------------------------------------
# The page.

INTRO = """\
# Recipes: schedules of real training code

<!-- Generated by `python -m schedalg.recipes --write` from `schedalg/recipes.py`.
Do not edit by hand: edit the module and run it again. -->

Learning-rate schedules of public training code bases, each written as one schedalg
expression. For each: the source (project, file, function), its formula in words, and a small
function whose defaults are the numbers that project uses. The code below **is** the source of
`schedalg.recipes`, so you can also import it: `from schedalg.recipes import nanogpt`.

The test suite (`tests/test_recipes.py`) checks every recipe against a float64
reimplementation of its source's formula, written from the formula: at steps 0 and 1, at every
boundary and one step either side, at the end, at twice the end (further for schedules that
never end) and at {dense} steps spread over that range, with `jax_enable_x64` on, to a relative
error of {rtol:g} (plus {atol:g} times the schedule's peak, for values a rounding error away from
0); and under `jax.jit` in float32 to {rtol32:g}. The Hugging Face and timm recipes are also
compared with the installed `transformers` and `timm`. `python -m schedalg.recipes --check`
prints each recipe's worst error.

A schedule's argument is the number of optimizer updates already made (optax's `count`); where a
source counts something else (epochs, batches), the recipe says how. Every name used is in
[the algebra reference](algebra.md); [the migration guide](migrating.md) maps whole scheduler
libraries.

```python
import schedalg as sa
```
"""


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _edges_text(recipe: Recipe) -> str:
    parts = ", ".join(f"{e:,}" for e in recipe.boundaries())
    return f"boundaries {parts}; checked to step {recipe.last_step():,}"


def _section(number: int, recipe: Recipe) -> list[str]:
    heading = f"{number}. {recipe.title}"
    lines = [
        f"## {heading}",
        "",
        f"**Source:** [{recipe.project}]({recipe.url}), {recipe.where}.",
        "",
        f"**Formula:** {recipe.formula}",
        "",
        "```python",
        recipe.source().rstrip(),
        "",
        "",
        f"print({recipe.name}())",
        "```",
        "",
        "Its text form (`repr`, read back by `sa.parse`):",
        "",
        "```text",
        repr(recipe.schedule()),
        "```",
        "",
        f"Checked: {_edges_text(recipe)}"
        + (f"; also against the installed `{recipe.library}`." if recipe.library else "."),
        "",
    ]
    if recipe.notes:
        lines += [f"**Note:** {recipe.notes}", ""]
    return lines


def render() -> str:
    """The page's full text."""
    import jax

    intro = INTRO.format(dense=DENSE, rtol=RTOL, atol=ATOL_SCALE, rtol32=RTOL_F32)
    lines = [intro, "## Contents", ""]
    for i, recipe in enumerate(RECIPES, 1):
        heading = f"{i}. {recipe.title}"
        lines.append(f"{i}. [{recipe.title}](#{_slug(heading)}) ({recipe.project})")
    lines.append("")
    with jax.enable_x64(False):  # the text a default session prints
        for i, recipe in enumerate(RECIPES, 1):
            lines.extend(_section(i, recipe))
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schedalg.recipes",
        description="Render docs/recipes.md, or check every recipe against its reference.",
    )
    parser.add_argument(
        "--write",
        nargs="?",
        const=str(DEFAULT_PATH),
        metavar="PATH",
        help=f"write the page (default {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--check", action="store_true", help="print each recipe's worst error (float64)"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.write and not args.check:
        parser.print_help()
        return 2
    if args.write:
        path = pathlib.Path(args.write)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
        print(f"wrote {path}")
    if args.check:
        print(f"{'recipe':<26} {'relative':>9} {'at step':>9} {'abs/peak':>9} {'of tol':>7}")
        for recipe in RECIPES:
            e = errors(recipe)
            print(
                f"{recipe.name:<26} {e['relative']:9.1e} {e['step']:9d} "
                f"{e['absolute']:9.1e} {e['ratio']:7.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
