"""Compile time of joins with 8, 64 and 256 heterogeneous pieces and of a depth-6 tree.

Goal: 256 pieces compile in < 2 s on a 2-core CPU and time grows at most linearly in the
number of pieces (reported as the ratio of per-piece compile time, 256 vs 8).
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp

sys.path.insert(0, __file__.rsplit("/", 2)[0])
import schedalg as sa  # noqa: E402
from bench._timing import record, table  # noqa: E402

STEPS = jnp.arange(1024)


def heterogeneous(n: int) -> sa.Schedule:
    kinds = [
        lambda i: sa.linear(1.0, 0.5, 10 + i),
        lambda i: sa.cosine(0.5, 0.1, 20 + i),
        lambda i: sa.exponential(0.1, 0.99, 5),
        lambda i: sa.polynomial(0.1, 0.01, 15 + i, power=2.0),
        lambda i: sa.step(0.1, 7, 0.9),
        lambda i: sa.constant(0.05),
        lambda i: sa.cyclic(0.01, 0.1, 5),
        lambda i: sa.inverse_sqrt(0.1, 3),
    ]
    pieces = [kinds[i % len(kinds)](i) for i in range(n)]
    return sa.join(*pieces, boundaries=[10 * (i + 1) for i in range(n - 1)])


def deep(depth: int) -> sa.Schedule:
    s = sa.cosine(1.0, 0.0, 100)
    for level in range(depth):
        s = [
            lambda x: sa.warmup(x, 10),
            lambda x: sa.restart(x, mult=2),
            lambda x: sa.clip(x * sa.step(1.0, 50, 0.5), low=1e-4),
            lambda x: sa.join(x, sa.exponential(0.1, 0.9, 10), boundaries=[400]),
            lambda x: sa.shift(x, 5) + 1e-5,
            lambda x: sa.per_epoch(x, 2),
        ][level % 6](s)
    return s


def compile_seconds(schedule: sa.Schedule) -> float:
    fn = jax.jit(lambda s, t: s(t))
    start = time.perf_counter()
    fn.lower(schedule, STEPS).compile()
    return time.perf_counter() - start


def main() -> list[dict]:
    seconds = {n: compile_seconds(heterogeneous(n)) for n in (8, 64, 256)}
    tree = compile_seconds(deep(6))
    growth = (seconds[256] / 256) / (seconds[8] / 8)
    rows = [
        {
            "name": f"join of {n} pieces: compile seconds",
            "ratio": s,
            "goal": "< 2 s" if n == 256 else "-",
            "met": s < 2.0 if n == 256 else None,
            "unit": "s",
        }
        for n, s in seconds.items()
    ]
    rows.append(
        {
            "name": "per-piece compile time, 256 vs 8 pieces",
            "ratio": growth,
            "goal": "<= 1.0",
            "met": growth <= 1.0,
        }
    )
    rows.append(
        {
            "name": "depth-6 combinator tree: compile seconds",
            "ratio": tree,
            "goal": "-",
            "met": None,
            "unit": "s",
        }
    )
    record("compile_time", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
