"""Loss-curve laws: the multi-power fit against the paper's code, and ranking schedules.

* Fit: the three-run multi-power fit of the 100M model (cosine_24000, constant_24000,
  wsdcon_9; tests/data/loss-curves), from data loaded to coefficients returned, each run in
  a fresh process so that compilation is included. The paper's code takes 102 s on this
  machine (BENCHMARKS.md). Goal: <= 5 s, with a held-out error (constant_72000,
  wsd_20000_24000, wsdcon_3) no worse than the published coefficients' 0.155 %.
* Rank: predicted final losses of 10,050 WSD variants (decay fraction x end value x decay
  shape) x 24,000 steps, against ``sa.evaluate`` of the same schedules in the same run.
  Goal: <= 3x. Peak memory of the ranking (a fresh process; resident set): goal <= 1 GiB.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = __file__.rsplit("/", 2)[0]
sys.path.insert(0, ROOT)
import schedalg as sa  # noqa: E402
from bench._timing import medians, record, table  # noqa: E402
from schedalg import laws  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "loss-curves", "100M")
TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
HELD_OUT = ("constant_72000", "wsd_20000_24000", "wsdcon_3")
PAPER_SECONDS = 102.0
PAPER_HELD_OUT = 0.001547  # mean relative error of the published 100M coefficients
PUBLISHED_100M = (2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)
STEPS = 24_000


def schedule_of(run: str) -> sa.Schedule:
    """The schedule of a run of the data set (see its README)."""
    warm = sa.linear(0.0, 3e-4, 2159)
    kind, _, rest = run.partition("_")
    if kind == "constant":
        return sa.join(warm, sa.constant(3e-4), boundaries=[2160])
    if kind == "cosine":
        return sa.join(warm, sa.cosine(3e-4, 3e-5, int(rest) - 2160), boundaries=[2160])
    if kind == "wsdcon":
        tail = sa.constant(int(rest) * 1e-5)
        return sa.join(warm, sa.constant(3e-4), tail, boundaries=[2160, 8000])
    decay = sa.exponential(3e-4, 0.1, 4000)
    return sa.join(warm, sa.constant(3e-4), decay, boundaries=[2160, 20000])


def load(run: str) -> tuple:
    s, steps, losses = laws.read_csv(os.path.join(DATA, f"{run}.csv"), schedule_of(run))
    keep = steps < 24000 if steps[-1] == 24000 else slice(None)
    return s, steps[keep], losses[keep]


def _fit_child() -> None:
    """One cold fit (this process has compiled nothing yet); prints a JSON line."""
    train = {run: load(run) for run in TRAIN}
    start = time.perf_counter()
    law, _ = laws.fit("multi_power", train)
    seconds = time.perf_counter() - start
    held = laws.diagnose(law, {run: load(run) for run in HELD_OUT})
    out = {"seconds": seconds, "held_out": held.mean("mean_rel"), "law": repr(law)}
    print(json.dumps(out))


def _child(function: str) -> dict:
    code = f"import bench.laws as b; b.{function}()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def grids() -> list[sa.Schedule]:
    """10,050 WSD variants, one grid per decay shape: 50 decay fractions x 67 end values."""
    warmup, after = 2160, STEPS - 1 - 2160
    decays = np.round(np.linspace(0.02, 0.6, 50) * after).astype(np.int32)
    ends = np.linspace(0.0, 0.3, 67) * 3e-4

    def make(shape):
        return lambda d, e: sa.wsd(3e-4, warmup, after - d, d, end=e, decay_shape=shape)

    return [sa.grid(make(shape), d=decays, e=ends) for shape in ("linear", "cosine", "1-sqrt")]


def _peak_rss() -> int:
    """This process's peak resident set (bytes): ``VmHWM`` (``ru_maxrss`` would carry the
    parent's peak across ``exec``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rank_child() -> None:
    """Ranks the grids once in a fresh process; prints peak resident memory (bytes)."""
    law = laws.MultiPowerLaw(*PUBLISHED_100M)
    schedules = grids()
    before = _peak_rss()
    start = time.perf_counter()
    best = [laws.rank(law, g, STEPS) for g in schedules]
    seconds = time.perf_counter() - start
    peak = _peak_rss()
    losses = [float(r.losses.min()) for r in best]
    print(json.dumps({"before": before, "peak": peak, "seconds": seconds, "best": losses}))


def main(cold_runs: int = 3) -> list[dict]:
    rows = []
    fits = [_child("_fit_child") for _ in range(cold_runs)]
    seconds = [f["seconds"] for f in fits]
    held_out = fits[0]["held_out"]
    print(f"fit, cold: {', '.join(f'{s:.2f}' for s in seconds)} s; held-out {held_out:.4%}")
    print(f"  {fits[0]['law']}")
    median = statistics.median(seconds)
    spread = f"{min(seconds):.1f}-{max(seconds):.1f}"
    rows.append(
        {
            "name": f"multi-power fit, 3 runs, cold (s; range {spread})",
            "ratio": median,
            "unit": "s",
            "goal": "<= 5",
            "met": median <= 5.0 and held_out <= PAPER_HELD_OUT,
        }
    )
    rows.append(
        {
            "name": "multi-power fit: paper's code (102 s) / ours (speed-up)",
            "ratio": PAPER_SECONDS / median,
            "goal": "report",
            "met": None,
        }
    )
    rows.append(
        {
            "name": "held-out mean rel. error: ours / published coefficients",
            "ratio": held_out / PAPER_HELD_OUT,
            "goal": "<= 1",
            "met": held_out <= PAPER_HELD_OUT,
        }
    )

    law = laws.MultiPowerLaw(*PUBLISHED_100M)
    schedules = grids()
    steps = np.arange(STEPS, dtype=np.int32)
    t = medians(
        {
            "evaluate": lambda: [sa.evaluate(g, steps) for g in schedules],
            "rank": lambda: [laws.rank(law, g, STEPS).order for g in schedules],
        },
        reps=3,
    )
    ratio = t["rank"] / t["evaluate"]
    print(f"rank {t['rank']:.2f} s, evaluate {t['evaluate']:.2f} s (10,050 x 24,000)")
    rows.append(
        {
            "name": "rank 10,050 WSD x 24,000 steps / sa.evaluate of them",
            "ratio": ratio,
            "goal": "<= 3",
            "met": ratio <= 3.0,
        }
    )
    memory = _child("_rank_child")
    gib = memory["peak"] / 2**30
    print(f"rank, fresh process: peak RSS {gib:.2f} GiB ({memory['before'] / 2**30:.2f} before)")
    rows.append(
        {
            "name": "rank 10,050 x 24,000: peak resident memory (GiB)",
            "ratio": gib,
            "unit": "GiB",
            "goal": "<= 1",
            "met": gib <= 1.0,
        }
    )
    record("laws", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
