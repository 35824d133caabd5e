"""Interactive speed: what a user waits for when plotting a schedule, ``s(jnp.arange(n))``.

For warmup+cosine, SGDR restarts with warmup and timm's CosineLRScheduler with cycles, beside
optax's equivalents: the first eager call (a true first call: each measured in a fresh
subprocess, after JAX itself is warm), a later call with a new length in the same bucket,
a later call with new numbers, and the trace + compile time of a plain ``jax.jit``.

Goals (issue 13): schedalg's first eager call faster than optax's on warmup+cosine; later
calls <= 10 ms; the restart's plain jit compiles in <= 0.3 s.
Run ``python bench/interactive.py`` alone, or through ``make bench``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

ROOT = __file__.rsplit("/", 2)[0]
sys.path.insert(0, ROOT)

#: Fresh subprocesses per candidate, alternated between candidates.
REPS = int(os.environ.get("BENCH_INTERACTIVE_REPS", "5"))
#: Step-array lengths: the first call, then new lengths in the same power-of-two bucket.
FIRST, LATER = 1000, (1001, 1003, 1005)

CANDIDATES = ("warmup+cosine", "optax warmup+cosine", "restart", "optax sgdr", "timm cosine")
#: With BENCH_INTERACTIVE_OP_BY_OP=1, also schedalg's calls run op by op (SCHEDALG_EAGER_JIT=0),
#: as before issue 13: slow (seconds per call), so not part of ``make bench``.
OP_BY_OP = "op by op: "
if os.environ.get("BENCH_INTERACTIVE_OP_BY_OP") == "1":
    CANDIDATES += tuple(OP_BY_OP + n for n in ("warmup+cosine", "restart", "timm cosine"))


def build(name: str, scale: float = 1.0):
    """A fresh schedule of the candidate; ``scale`` changes its numbers, not its structure."""
    import optax

    import schedalg as sa
    from schedalg.compat.timm import CosineLRScheduler

    if name == "warmup+cosine":
        return sa.warmup(sa.cosine(1e-3 * scale, 0.0, 9000), 1000)
    if name == "optax warmup+cosine":
        return optax.warmup_cosine_decay_schedule(0.0, 1e-3 * scale, 1000, 10_000)
    if name == "restart":
        return sa.restart(sa.warmup(sa.cosine(0.1 * scale, 0.0, 90), 10), mult=2)
    if name == "optax sgdr":  # the same first four cycles, as optax can express them
        cycles = [100 * 2**k for k in range(4)]
        return optax.sgdr_schedule(
            [
                dict(init_value=0.0, peak_value=0.1 * scale, warmup_steps=n // 10, decay_steps=n)
                for n in cycles
            ]
        )
    if name == "timm cosine":
        return CosineLRScheduler(
            lr=0.1 * scale,
            t_initial=50,
            lr_min=1e-5,
            cycle_mul=2.0,
            cycle_decay=0.5,
            cycle_limit=3,
            warmup_t=5,
            warmup_lr_init=1e-4,
        )
    raise KeyError(name)


def worker(name: str) -> dict:
    """Runs in a fresh process: the figures of one candidate, in seconds."""
    import jax
    import jax.numpy as jnp

    # JAX's own start-up (backend, first dispatch) is not the schedule's cost.
    jax.block_until_ready(jax.jit(lambda x: x * 2 + 1)(jnp.arange(3.0)))
    steps = {n: jax.block_until_ready(jnp.arange(n)) for n in (FIRST, *LATER)}

    def timed(fn, t):
        start = time.perf_counter()
        jax.block_until_ready(fn(t))
        return time.perf_counter() - start

    s = build(name)
    out = {"first": timed(s, steps[FIRST])}
    out["new length"] = statistics.median(timed(s, steps[n]) for n in LATER)
    out["new numbers"] = statistics.median(
        timed(build(name, scale), steps[FIRST]) for scale in (0.5, 0.25, 0.125)
    )
    if not name.startswith("optax"):  # optax's schedules are closures, not pytrees
        jax.clear_caches()
        fn = jax.jit(lambda s, t: s(t))
        start = time.perf_counter()
        lowered = fn.lower(build(name, 3.0), steps[FIRST])
        out["jit trace+lower"] = time.perf_counter() - start
        start = time.perf_counter()
        lowered.compile()
        out["jit compile"] = time.perf_counter() - start
    return out


def run_worker(name: str) -> dict:
    env = dict(os.environ)
    if name.startswith(OP_BY_OP):
        name, env["SCHEDALG_EAGER_JIT"] = name[len(OP_BY_OP) :], "0"
    result = subprocess.run(
        [sys.executable, __file__, "--worker", name],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(reps: int = REPS) -> dict[str, dict[str, float]]:
    """Median over ``reps`` fresh processes per candidate, the candidates alternated."""
    runs: dict[str, list[dict]] = {name: [] for name in CANDIDATES}
    for _ in range(reps):
        for name in CANDIDATES:
            runs[name].append(run_worker(name))
    return {
        name: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
        for name, rs in runs.items()
    }


def main() -> list[dict]:
    from bench._timing import record, table

    t = measure()
    print(f"{'candidate (median of ' + str(REPS) + ' fresh processes), seconds':<48}", end="")
    keys = ("first", "new length", "new numbers", "jit trace+lower", "jit compile")
    print("".join(f"{k:>17}" for k in keys))
    for name, figures in t.items():
        cells = "".join(f"{figures[k]:>17.4f}" if k in figures else f"{'-':>17}" for k in keys)
        print(f"{name:<48}{cells}")

    def seconds(name: str, value: float, goal: float | None) -> dict:
        met = None if goal is None else value <= goal
        return {
            "name": name,
            "ratio": value,
            "goal": "-" if goal is None else f"<= {goal}",
            "met": met,
            "unit": "s",
        }

    ratio = t["warmup+cosine"]["first"] / t["optax warmup+cosine"]["first"]
    rows = [
        {
            "name": "warmup+cosine: first call, schedalg / optax",
            "ratio": ratio,
            "goal": "< 1.0",
            "met": ratio < 1.0,
        }
    ]
    for name in ("warmup+cosine", "restart", "timm cosine"):
        f = t[name]
        rows += [
            seconds(f"{name}: first eager call", f["first"], None),
            seconds(f"{name}: later call, new length (same bucket)", f["new length"], 0.01),
            seconds(f"{name}: later call, new numbers", f["new numbers"], 0.01),
            seconds(
                f"{name}: plain jit, trace + compile",
                f["jit trace+lower"] + f["jit compile"],
                0.3 if name == "restart" else None,
            ),
        ]
    for name in ("warmup+cosine", "restart", "timm cosine"):
        if OP_BY_OP + name in t:
            speedup = t[OP_BY_OP + name]["first"] / t[name]["first"]
            rows.append(
                {
                    "name": f"{name}: first call, op by op / compiled",
                    "ratio": speedup,
                    "goal": "> 1",
                    "met": speedup > 1,
                }
            )
    record("interactive", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2])))
    else:
        main()
