"""Import time: ``python -c "import schedalg"`` vs ``python -c "import jax, optax"`` (goal <= 1.1x).

Each command runs in a fresh interpreter, alternated, 10 times; medians are compared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])
from bench._timing import record, table  # noqa: E402


def seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main(reps: int = 10) -> list[dict]:
    ours, theirs = [], []
    seconds("import schedalg, jax, optax")  # warm the file cache
    for _ in range(reps):
        ours.append(seconds("import schedalg"))
        theirs.append(seconds("import jax, optax"))
    ratio = statistics.median(ours) / statistics.median(theirs)
    rows = [
        {
            "name": "import schedalg / import jax, optax",
            "ratio": ratio,
            "goal": "<= 1.1",
            "met": ratio <= 1.1,
        }
    ]
    record("import_time", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
