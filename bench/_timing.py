"""Side-by-side timing: warm up, alternate the candidates, report medians and ratios."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

import jax


def medians(fns: dict[str, Callable[[], object]], reps: int = 15) -> dict[str, float]:
    """Median seconds per call of each function, measured alternately in one process."""
    for fn in fns.values():  # compile and warm caches
        jax.block_until_ready(fn())
        jax.block_until_ready(fn())
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            start = time.perf_counter()
            jax.block_until_ready(fn())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def record(section: str, rows: list[dict], path: str = "bench/results.json") -> None:
    """Merges ``rows`` (name, ratio, goal, met) under ``section`` into the results file."""
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data["machine"] = machine()
    data[section] = rows
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def table(rows: list[dict]) -> str:
    lines = [f"{'benchmark':<58} {'ratio':>9} {'goal':>10}  met"]
    for r in rows:
        met = "yes" if r.get("met") else "no" if r.get("met") is not None else "-"
        unit = " s" if r.get("unit") == "s" else "x"  # seconds, or a ratio
        lines.append(f"{r['name']:<58} {r['ratio']:>8.3f}{unit} {r.get('goal', '-'):>10}  {met}")
    return "\n".join(lines)
