"""`make demo`: a few composed schedules as a table, terminal charts and a PNG."""

from __future__ import annotations

import os
import sys

import schedalg as sa
from schedalg.plot import ascii_chart, plot_schedules, sparkline

STEPS = 1000


def composed() -> dict[str, sa.Schedule]:
    return {
        "warmup + cosine": sa.warmup(sa.cosine(1e-3, 1e-5, 900), 100),
        "SGDR (mult 2, decay 0.7)": sa.restart(sa.cosine(1e-3, 0.0, 100), mult=2, decay=0.7),
        "1cycle": sa.one_cycle(4e-5, 1e-3, 4e-9, STEPS),
        "WSD (1-sqrt)": sa.wsd(1e-3, 100, 700, 200, decay_shape="1-sqrt"),
        "step x cosine": sa.step(1.0, 250, 0.5) * sa.cosine(1e-3, 2e-4, STEPS),
        "join(linear, const, exp)": sa.join(
            sa.linear(1e-4, 1e-3, 200),
            sa.constant(1e-3),
            sa.exponential(1e-3, 0.99, 5),
            boundaries=[200, 500],
        ),
    }


def main(out_dir: str = "out") -> int:
    schedules = composed()
    print(f"{'schedule':<26} {'step 0':>10} {'step 100':>10} {'step 500':>10} {'step 999':>10}")
    for name, s in schedules.items():
        row = " ".join(f"{float(s(t)):>10.3g}" for t in (0, 100, 500, 999))
        print(f"{name:<26} {row}")
    print()
    for name, s in schedules.items():
        print(f"{name:<26} {sparkline(sa.evaluate(s, range(STEPS)))}")
        print(f"{'':<26} {s!r}")
    print()
    print("warmup + cosine:")
    print(ascii_chart(schedules["warmup + cosine"], STEPS))
    os.makedirs(out_dir, exist_ok=True)
    path = plot_schedules(schedules, STEPS, os.path.join(out_dir, "schedules.png"))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
