"""Evaluation throughput: 4096 warmup+cosine schedules, every leaf batched, x 4096 steps.

Ratios measured side by side in one run (see ../shared/BENCHMARKS.md):
* schedalg vs the floor, one fused ``peak * cos(pi * t / T_row)`` of the same shape (goal <= 1.5);
* schedalg vs optax's hand-joined linear + cosine, vmapped over the peak only — the most optax
  can batch (goal <= 1.0).
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, __file__.rsplit("/", 2)[0])
import schedalg as sa  # noqa: E402
from bench._timing import medians, record, table  # noqa: E402

N = T = 4096


def batched_warmup_cosine(n: int, rng: np.random.Generator) -> sa.Schedule:
    """Every leaf batched: warmup start, warmup length, peak, end, decay length."""
    return sa.warmup(
        sa.cosine(
            rng.uniform(1e-4, 1e-2, n).astype(np.float32),
            rng.uniform(0.0, 1e-5, n).astype(np.float32),
            rng.integers(1000, 4000, n).astype(np.int32),
        ),
        rng.integers(0, 500, n).astype(np.int32),
        start=rng.uniform(0.0, 1e-5, n).astype(np.float32),
    )


def main() -> list[dict]:
    rng = np.random.default_rng(0)
    schedule = batched_warmup_cosine(N, rng)
    steps = jnp.arange(T, dtype=jnp.int32)
    peak = jnp.asarray(schedule.schedule.start)
    period = jnp.asarray(schedule.schedule.steps, dtype=jnp.float32)

    floor = jax.jit(lambda p, tt, t: p[:, None] * jnp.cos(jnp.pi * t[None, :] / tt[:, None]))

    def optax_row(p):
        return optax.join_schedules(
            [optax.linear_schedule(0.0, p, 250), optax.cosine_decay_schedule(p, 3000)], [250]
        )(steps)

    optax_batch = jax.jit(jax.vmap(optax_row))

    t = medians(
        {
            "schedalg": lambda: sa.evaluate(schedule, steps),
            "floor": lambda: floor(peak, period, steps),
            "optax": lambda: optax_batch(peak),
        }
    )
    rows = [
        {
            "name": f"warmup+cosine, all leaves batched, {N}x{T} / floor",
            "ratio": t["schedalg"] / t["floor"],
            "goal": "<= 1.5",
            "met": t["schedalg"] / t["floor"] <= 1.5,
        },
        {
            "name": "warmup+cosine, all leaves batched / optax (peak batched only)",
            "ratio": t["schedalg"] / t["optax"],
            "goal": "<= 1.0",
            "met": t["schedalg"] / t["optax"] <= 1.0,
        },
    ]
    record("eval_throughput", rows)
    print("medians: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in t.items()))
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
