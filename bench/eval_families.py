"""Evaluation throughput of several schedule families, 4096 schedules x 4096 steps, every
leaf batched, against the floor (one fused ``peak * cos(pi * t / T_row)``); per value against
PyTorch's scheduler loop; and against optax where optax can be vmapped at all.

Goals: <= 1.5x the floor for the closed-form families (warmup+cosine, WSD); the others are
reported. schedalg >= 1000x faster per value than a PyTorch scheduler stepped in Python.
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, __file__.rsplit("/", 2)[0])
import schedalg as sa  # noqa: E402
from bench._timing import medians, record, table  # noqa: E402
from bench.eval_throughput import batched_warmup_cosine  # noqa: E402

N = T = 4096


def families(rng: np.random.Generator) -> dict[str, tuple[sa.Schedule, bool]]:
    """name -> (batched schedule, closed form?)."""
    u = lambda lo, hi: rng.uniform(lo, hi, N).astype(np.float32)  # noqa: E731
    i = lambda lo, hi: rng.integers(lo, hi, N).astype(np.int32)  # noqa: E731
    milestones = np.sort(rng.integers(0, T, (N, 100)), axis=-1).astype(np.int32)
    knots = np.sort(rng.uniform(0, T, 10_000)).astype(np.float32)
    return {
        "warmup+cosine": (batched_warmup_cosine(N, rng), True),
        "wsd": (sa.wsd(u(1e-4, 1e-2), i(0, 500), i(500, 2500), i(100, 1000)), True),
        "restart(warmup(cosine)), mult 2": (
            sa.restart(sa.warmup(sa.cosine(u(1e-4, 1e-2), 0.0, i(100, 400)), i(0, 50)), mult=2),
            False,
        ),
        "multistep, 100 milestones": (sa.multistep(u(1e-4, 1e-2), milestones, 0.97), False),
        "piecewise_linear, 10,000 knots": (
            sa.piecewise_linear(knots, rng.uniform(0, 1e-2, (N, 10_000)).astype(np.float32)),
            False,
        ),
    }


def torch_seconds_per_value(steps: int = 20_000) -> float:
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    values = []
    start = time.perf_counter()
    for _ in range(steps):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return (time.perf_counter() - start) / steps


def main() -> list[dict]:
    rng = np.random.default_rng(0)
    steps = jnp.arange(T, dtype=jnp.int32)
    peak = jnp.asarray(rng.uniform(1e-4, 1e-2, N).astype(np.float32))
    period = jnp.asarray(rng.integers(1000, 4000, N).astype(np.float32))
    floor = jax.jit(lambda p, tt, t: p[:, None] * jnp.cos(jnp.pi * t[None, :] / tt[:, None]))
    cases = families(rng)
    fns = {"floor": lambda: floor(peak, period, steps)}
    for name, (s, _) in cases.items():
        fns[name] = lambda s=s: sa.evaluate(s, steps)
    wsd_optax = jax.jit(
        jax.vmap(
            lambda p, t: optax.join_schedules(
                [
                    optax.linear_schedule(0.0, p, 250),
                    optax.constant_schedule(p),
                    optax.linear_schedule(p, 0.0, 500),
                ],
                [250, 1500],
            )(t),
            in_axes=(0, None),  # the steps an argument, as for schedalg
        )
    )
    fns["optax wsd (peak batched only)"] = lambda: wsd_optax(peak, steps)
    t = medians(fns, reps=10)
    rows = []
    for name, (_, closed) in cases.items():
        ratio = t[name] / t["floor"]
        rows.append(
            {
                "name": f"{name} / floor",
                "ratio": ratio,
                "goal": "<= 1.5" if closed else "report",
                "met": ratio <= 1.5 if closed else None,
            }
        )
    ratio = t["wsd"] / t["optax wsd (peak batched only)"]
    rows.append(
        {
            "name": "wsd, all leaves batched / optax join (peak only)",
            "ratio": ratio,
            "goal": "<= 1.0",
            "met": ratio <= 1.0,
        }
    )
    per_value = t["warmup+cosine"] / (N * T)
    speedup = torch_seconds_per_value() / per_value
    rows.append(
        {
            "name": "per value: PyTorch scheduler loop / schedalg (speed-up)",
            "ratio": speedup,
            "goal": ">= 1000",
            "met": speedup >= 1000,
        }
    )
    record("eval_families", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
