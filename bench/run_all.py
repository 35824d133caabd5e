"""`make bench`: every benchmark, ratios measured side by side, results in bench/results.json."""

from __future__ import annotations

import importlib
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])
from bench._timing import machine, table  # noqa: E402

SUITES = [
    "bench.eval_throughput",
    "bench.eval_families",
    "bench.train_overhead",
    "bench.compile_time",
    "bench.interactive",
    "bench.import_time",
    "bench.population",
    "bench.distributed",
    "bench.compare_population",
    "bench.laws",
]


def main() -> int:
    print(f"machine: {machine()}")
    rows = []
    for name in SUITES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            print(f"\n== {name}: skipped ({err})")
            continue
        print(f"\n== {name}")
        start = time.perf_counter()
        rows.extend(module.main())
        print(f"({time.perf_counter() - start:.0f} s)")
    print("\n== summary (bench/results.json)")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
