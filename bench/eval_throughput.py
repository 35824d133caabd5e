"""Evaluation throughput: 4096 warmup+cosine schedules, every leaf batched, x 4096 steps.

Ratios measured side by side in one run (see ../shared/BENCHMARKS.md):
* schedalg vs the floor, one fused ``peak * cos(pi * t / T_row)`` of the same shape (goal <= 1.5);
* schedalg vs optax's hand-joined linear + cosine, vmapped over the peak only — the most optax
  can batch — on the same work: schedalg with the peak batched and the lengths shared
  (goal <= 1.0). Reported beside it: schedalg with every leaf batched / that optax batch
  (more work: a cosine per element, where shared lengths need one per step).
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

    def optax_row(p, t):
        return optax.join_schedules(
            [optax.linear_schedule(0.0, p, 250), optax.cosine_decay_schedule(p, 3000)], [250]
        )(t)

    # The steps are an argument, as for schedalg: a closed-over constant would let XLA
    # fold every step-only term (the cosines) at compile time.
    optax_batch = jax.jit(jax.vmap(optax_row, in_axes=(0, None)))
    same_work = sa.warmup(sa.cosine(peak, 0.0, 3000), 250)  # optax's batch: the peak only

    t = medians(
        {
            "schedalg": lambda: sa.evaluate(schedule, steps),
            "floor": lambda: floor(peak, period, steps),
            "optax": lambda: optax_batch(peak, steps),
            "schedalg, peak batched": lambda: sa.evaluate(same_work, steps),
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
            "name": "warmup+cosine, peak batched / optax, the same batch",
            "ratio": t["schedalg, peak batched"] / t["optax"],
            "goal": "<= 1.0",
            "met": t["schedalg, peak batched"] / t["optax"] <= 1.0,
        },
        {
            "name": "warmup+cosine, all leaves batched / optax (peak batched only)",
            "ratio": t["schedalg"] / t["optax"],
            "goal": "report",
            "met": None,
        },
    ]
    record("eval_throughput", rows)
    print("medians: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in t.items()))
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
