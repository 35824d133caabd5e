"""`make demo`: train the digits CNN once per schedule family and compare them.

``python -m schedalg.demo [OUT_DIR] [compare options]`` is ``schedalg compare --out
OUT_DIR`` (default ``runs/compare``): 14 schedule families, 10 epochs of batch 64 with
Adam at a top learning rate of 1e-2, the same seed for all. On the project's 2-core CPU
it takes about 25 s (about 60 s while six other jobs share the cores). It prints one
line per run, then where ``report.md`` and ``compare.png`` are.
"""

from __future__ import annotations

import sys
import time

#: Where the report and the figure go (the other settings are the command's defaults).
OUT_DIR = "runs/compare"


def main(argv: list[str] | None = None) -> int:
    from schedalg.cli import main as cli

    argv = sys.argv[1:] if argv is None else argv
    out = argv[0] if argv else OUT_DIR
    start = time.perf_counter()
    status = cli(["compare", "--out", out, *argv[1:]])
    if status == 0:
        print(f"demo finished in {time.perf_counter() - start:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
