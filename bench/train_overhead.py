"""Overhead of a composite schedule inside the jitted CNN train step.

The same fused step (forward, backward, Adam update) with a Python-float learning rate and
with a composite schedule, ``join(warmup(cosine), step x cosine)`` plus a ``clip`` floor.
Paired runs of 50 steps each, alternated; the figure is the median of the per-pair ratios.
Goal: <= 1% overhead.
"""

from __future__ import annotations

import statistics
import sys
import time

import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, __file__.rsplit("/", 2)[0])
import schedalg as sa  # noqa: E402
from bench._timing import record, table  # noqa: E402
from schedalg.train.data import load_digits  # noqa: E402
from schedalg.train.model import CNN  # noqa: E402

BATCH, STEPS, PAIRS = 64, 50, 15


def composite() -> sa.Schedule:
    main = sa.warmup(sa.cosine(1e-3, 1e-5, 900), 100)
    tail = sa.step(1.0, 100, 0.5) * sa.cosine(5e-4, 0.0, 1000)
    return sa.clip(sa.join(main, tail), low=1e-6)


def runner(learning_rate):
    data = load_digits()
    model = CNN(classes=data.classes)
    x = jnp.asarray(data.x_train[:BATCH])
    y = jnp.asarray(data.y_train[:BATCH])
    params = model.init(jax.random.PRNGKey(0), x[:1])["params"]
    tx = optax.adam(learning_rate)

    @jax.jit
    def step(params, opt_state):
        def loss_fn(p):
            logits = model.apply({"params": p}, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        grads = jax.grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    state = [params, tx.init(params)]

    def run() -> float:
        start = time.perf_counter()
        p, s = state
        for _ in range(STEPS):
            p, s = step(p, s)
        jax.block_until_ready(p)
        return time.perf_counter() - start

    run()
    return run


def main() -> list[dict]:
    plain, scheduled = runner(1e-3), runner(composite())
    ratios = []
    for i in range(PAIRS):
        if i % 2:
            b, a = scheduled(), plain()
        else:
            a, b = plain(), scheduled()
        ratios.append(b / a)
    overhead = statistics.median(ratios) - 1.0
    rows = [
        {
            "name": "train step: composite schedule vs float LR (overhead)",
            "ratio": 1.0 + overhead,
            "goal": "<= 1.01",
            "met": overhead <= 0.01,
        }
    ]
    record("train_overhead", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
