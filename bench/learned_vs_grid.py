"""Schedules learned by gradient against grid sweeps, on the digits at a fixed budget.

Every method searches the same family, ``warmup(cosine(peak, 0.0, D, exponent=e), w)``,
for a CNN trained with Adam for ``STEPS`` updates, and every training run (search or
score) is the same code: the differentiable trainer of :mod:`schedalg.train.meta`
(run without gradient for the grids and the scores), so only the search differs
(:mod:`schedalg.train.population` trains grids with the optax trainer; it is not used
here so that every number below comes from one training code).

* default: ``warmup(cosine(1e-3, 0.0, 180), 20)`` (Adam's usual 1e-3, 10% warmup).
* grid 64: 16 peaks (log-spaced 1e-4..0.3) x 4 warmups (0, 5, 10, 20% of the run),
  cosine exponent 1, ``D = STEPS - w``; the member with the lowest validation loss.
* grid 256: the grid 64 times 4 exponents (0.5, 1, 2, 4); the grid 64 is its slice
  at exponent 1, so both come from one sweep (timed separately).
* gradient: :func:`schedalg.train.meta.learn` from the default, learning peak, warmup,
  decay length and exponent with the command's defaults (20 meta-steps, meta_lr 0.3);
  the best schedule of its trajectory.

For each seed (initial parameters and batch order) the grid members and the gradient
search are scored on that seed, and each method's pick is then retrained on a held-out
seed (seed + 100): the "search seed" loss is what the search optimised (optimistic for
every search), the held-out loss is the honest one. Wall-clock excludes compilation
(each compiled function is built and warmed before timing); run-equivalents divide it by
the wall-clock of one training run. The CPU is shared with other jobs: the load average
is printed with the table.

Run: ``python bench/learned_vs_grid.py`` (writes ``bench/learned_vs_grid.md``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 2)[0])
import schedalg as sa  # noqa: E402
from schedalg.train import Config, load_data  # noqa: E402
from schedalg.train.meta import evaluate_batch, final_val_loss, learn, problem, relax  # noqa: E402

#: The budget: a small CNN (8 and 16 channels, 32 hidden), Adam, batch 32, 200 updates
#: (4.5 epochs of the 1438 training digits). Small so that 3 x 256 runs fit in minutes.
CONFIG = Config(batch_size=32, features=(8, 16), hidden=32, optimizer="adam")
STEPS = 200
PEAKS = np.geomspace(1e-4, 0.3, 16)
WARMUPS = np.array([0.0, 0.05, 0.1, 0.2]) * STEPS
EXPONENTS = np.array([1.0, 0.5, 2.0, 4.0])  # the first is the grid-64 slice
DEFAULT = sa.warmup(sa.cosine(1e-3, 0.0, 180), 20)
PARAMS = ["peak", "warmup", "steps", "exponent"]
HELD_OUT = 100  # the held-out seed is seed + HELD_OUT


def family(peak, warmup, exponent) -> sa.Schedule:
    """The searched family, ending at STEPS: warmup then cosine to 0."""
    return sa.warmup(sa.cosine(peak, 0.0, STEPS - warmup, exponent=exponent), warmup)


def grid_chunks() -> list[sa.Schedule]:
    """The 256 members as 4 batched schedules of 64 (one per exponent), float leaves."""
    peak, warm = (a.ravel() for a in np.meshgrid(PEAKS, WARMUPS, indexing="ij"))
    chunks = []
    for e in EXPONENTS:
        s = relax(family(peak, warm, np.full_like(peak, e)))
        chunks.append(jax.tree.map(lambda x: jnp.broadcast_to(x, (peak.size,)), s))
    return chunks


def member(chunk: sa.Schedule, i: int) -> sa.Schedule:
    """Member ``i`` of a chunk, its numbers as plain floats (6 significant digits)."""
    s = jax.tree.map(lambda x: float(f"{float(x[i]):.6g}"), chunk)
    return family(s.schedule.start, s.steps, s.schedule.exponent)


def timed(fn, *args):
    start = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - start


def spread(values: list[float], digits: int = 4) -> str:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3, help="seeds (default 3)")
    p.add_argument("--meta-steps", type=int, default=20, help="gradient steps (default 20)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "learned_vs_grid.md"))
    args = p.parse_args(argv)
    load = [os.getloadavg()[0]]
    started = time.perf_counter()
    data = load_data()
    chunks = grid_chunks()
    arrays0, inner = problem(data, CONFIG, STEPS)

    # Compile (and warm) everything before timing anything.
    t0 = time.perf_counter()
    one = jax.jit(lambda s, a: final_val_loss(s, a, inner)).lower(relax(DEFAULT), arrays0)
    one = one.compile()
    pop = jax.jit(lambda s, a: evaluate_batch(s, a, inner)).lower(chunks[0], arrays0).compile()
    learn(DEFAULT, PARAMS, data, CONFIG, steps=STEPS, meta_steps=0)  # compiles the meta step
    compile_s = time.perf_counter() - t0
    single_s = min(timed(one, relax(DEFAULT), arrays0)[1] for _ in range(3))

    rows = {name: {"loss": [], "held": [], "acc": [], "wall": []} for name in
            ("default", "grid 64", "grid 256", "gradient")}  # fmt: skip
    picks: dict[str, list[str]] = {name: [] for name in rows}

    def score(name: str, schedule: sa.Schedule, loss: float, wall: float, held, seed) -> None:
        """Records a method's pick: its search-seed loss, then retrained on ``held``."""
        held_loss, held_acc = (float(x) for x in one(relax(schedule), held))
        rows[name]["loss"].append(loss)
        rows[name]["held"].append(held_loss)
        rows[name]["acc"].append(held_acc)
        rows[name]["wall"].append(wall)
        picks[name].append(f"seed {seed}: `{schedule!r}`")

    for seed in range(args.seeds):
        config = dataclasses.replace(CONFIG, seed=seed)
        arrays = problem(data, config, STEPS)[0]
        held = problem(data, dataclasses.replace(config, seed=seed + HELD_OUT), STEPS)[0]

        (loss, _), wall = timed(one, relax(DEFAULT), arrays)
        score("default", DEFAULT, float(loss), wall, held, seed)

        losses, walls = [], []
        for chunk in chunks:
            (loss, _), wall = timed(pop, chunk, arrays)
            losses.append(np.asarray(loss, np.float64))
            walls.append(wall)
        for name, n in (("grid 64", 1), ("grid 256", len(chunks))):
            flat = np.concatenate(losses[:n])  # diverged members are NaN
            best = int(np.nanargmin(flat))
            pick = member(chunks[best // 64], best % 64)
            score(name, pick, float(flat[best]), sum(walls[:n]), held, seed)

        start = time.perf_counter()
        result = learn(DEFAULT, PARAMS, data, config, steps=STEPS, meta_steps=args.meta_steps)
        wall = time.perf_counter() - start
        best = result.best
        score("gradient", best["schedule"], best["val_loss"], wall, held, seed)
        print(
            f"seed {seed}: default {rows['default']['loss'][-1]:.4f}, grid 64 "
            f"{rows['grid 64']['loss'][-1]:.4f}, grid 256 {rows['grid 256']['loss'][-1]:.4f}, "
            f"gradient {best['val_loss']:.4f} (meta-step {best['meta_step']}, "
            f"start {result.start['val_loss']:.4f})",
            flush=True,
        )

    load.append(os.getloadavg()[0])
    runs = {"default": "1", "grid 64": "64", "grid 256": "256",
            "gradient": f"{args.meta_steps + 1} (with gradient)"}  # fmt: skip
    lines = [
        "| method | training runs | run-equivalents (wall-clock) | search wall-clock (s) "
        "| val loss, search seed | val loss, held-out seed | val acc, held-out seed |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        wall = statistics.fmean(r["wall"])
        lines.append(
            f"| {name} | {runs[name]} | {wall / single_s:.0f} | {wall:.1f} | {spread(r['loss'])} "
            f"| {spread(r['held'])} | {spread(r['acc'])} |"
        )
    table = "\n".join(lines)
    setup = (
        f"Digits, CNN {CONFIG.features}/{CONFIG.hidden}, Adam, batch {CONFIG.batch_size}, "
        f"{STEPS} updates per run; {args.seeds} seeds (mean ± sample std over seeds); "
        f"held-out seed = seed + {HELD_OUT}. One training run: {single_s:.3f} s; "
        f"compilation (excluded): {compile_s:.0f} s; total {time.perf_counter() - started:.0f} s; "
        f"load average {load[0]:.1f} -> {load[1]:.1f} on {os.cpu_count()} CPUs (shared)."
    )
    print()
    print(table)
    print()
    print(setup)
    doc = [
        "# Learned by gradient vs grid search",
        "",
        "Written by `python bench/learned_vs_grid.py`; the method is in its docstring.",
        "",
        table,
        "",
        setup,
        "",
        "## Picks",
    ]
    for name, items in picks.items():
        doc += ["", f"**{name}**", ""] + [f"- {item}" for item in items]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(doc) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
