"""Pictures of schedules: terminal sparklines/charts and matplotlib figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from schedalg._batch import evaluate
from schedalg._core import Schedule

_BARS = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 60) -> str:
    """One line of block characters tracing ``values`` (resampled to ``width``)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return ""
    idx = np.linspace(0, v.size - 1, min(width, v.size)).round().astype(int)
    v = v[idx]
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else 1.0
    return "".join(_BARS[int(round((x - lo) / span * (len(_BARS) - 1)))] for x in v)


def ascii_chart(schedule: Schedule, steps: int, width: int = 64, height: int = 12) -> str:
    """A small text chart of ``schedule`` over ``[0, steps)`` with labelled axes."""
    t = np.linspace(0, steps - 1, width).round().astype(np.int64)
    v = np.asarray(evaluate(schedule, t), dtype=np.float64)
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else 1.0
    rows = [[" "] * width for _ in range(height)]
    for x, y in enumerate(v):
        rows[height - 1 - int(round((y - lo) / span * (height - 1)))][x] = "*"
    label = max(len(f"{hi:.3g}"), len(f"{lo:.3g}"))
    lines = []
    for i, row in enumerate(rows):
        tick = f"{hi:.3g}" if i == 0 else f"{lo:.3g}" if i == height - 1 else ""
        lines.append(f"{tick:>{label}} |{''.join(row)}")
    lines.append(" " * label + " +" + "-" * width)
    lines.append(" " * label + f"  0{'step':^{width - len(str(steps)) - 1}}{steps}")
    return "\n".join(lines)


def plot_schedules(
    schedules: dict[str, Schedule], steps: int, path: str, title: str = "schedules"
) -> str:
    """Draws each named schedule over ``[0, steps)`` into one PNG; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(steps)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    for name, s in schedules.items():
        ax.plot(t, np.asarray(evaluate(s, t)), label=name, linewidth=1.6)
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
