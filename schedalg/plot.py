"""Pictures of schedules: terminal sparklines/charts and matplotlib figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from schedalg._batch import evaluate
from schedalg._core import Schedule

_BARS = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float] | np.ndarray, width: int = 60) -> str:
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
    """A small text chart of ``schedule`` over steps ``0..steps-1`` with labelled axes."""
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
    last = str(steps - 1)
    lines.append(" " * label + f"  0{'step':^{width - len(last) - 1}}{last}")
    return "\n".join(lines)


def plot_schedules(
    schedules: dict[str, Schedule], steps: int, path: str, title: str = "schedules"
) -> str:
    """Draws each named schedule over ``[0, steps)`` into one PNG; returns the path."""
    t = np.arange(steps)

    def draw(ax) -> None:
        for name, s in schedules.items():
            ax.plot(t, np.asarray(evaluate(s, t)), label=name, linewidth=1.6)

    return figure(path, title, "value", draw)


def figure(path: str, title: str, ylabel: str, draw: Callable[[Any], Any]) -> str:
    """One 8x4.5 inch chart over steps: ``draw(ax)`` plots, the rest is labelled, saved
    to ``path`` and closed; returns the path."""
    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    draw(ax)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def load_pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Strong, distinct colours: tab10 and four darker ones (lines past 10 are also dashed).
_PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#b8860b", "#4b0082", "#008080",
]  # fmt: skip


def palette(n: int) -> list:
    return [_PALETTE[i % len(_PALETTE)] for i in range(n)]


def plot_compare(results: Sequence, path: str, title: str = "schedules compared") -> str:
    """One figure for a comparison of training runs; returns the path.

    Top: each run's logged learning rate against the step, one small panel per run
    (shapes stay readable however many runs there are). Bottom: validation loss (log
    scale) and validation accuracy against the epoch, one coloured line per run, with
    the colours of the panels above and a shared legend.

    Args:
        results: objects with ``name``, ``lr`` (per step) and ``metrics`` (per epoch
            dicts with ``epoch``, ``val_loss``, ``val_acc``), e.g. ``RunResult``.
        path: the PNG to write.
        title: the figure's title.
    """
    plt = load_pyplot()
    from matplotlib.gridspec import GridSpec

    n = len(results)
    cols = min(7, max(n, 1))
    rows = -(-n // cols)
    colors = palette(n)
    top = max((float(np.max(r.lr)) for r in results if len(r.lr)), default=1.0)
    exp10 = int(np.floor(np.log10(top))) if top > 0 else 0
    fig = plt.figure(figsize=(2.3 * cols + 1.5, 1.9 * rows + 4.6), dpi=110)
    grid = GridSpec(rows + 2, cols, figure=fig, height_ratios=[1.0] * rows + [1.35, 0.9])
    for i, r in enumerate(results):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        lr = np.asarray(r.lr, dtype=np.float64)
        ax.plot(np.arange(len(lr)), lr / 10.0**exp10, color=colors[i], linewidth=1.6)
        ax.set_title(r.name, fontsize=9, color=colors[i])
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel(f"lr (x1e{exp10})", fontsize=8)
        if i // cols == rows - 1 or i + cols >= n:
            ax.set_xlabel("step", fontsize=8)
    half = cols // 2
    loss_ax = fig.add_subplot(grid[rows, :half])
    acc_ax = fig.add_subplot(grid[rows, half:])
    for i, r in enumerate(results):
        epochs = [m["epoch"] for m in r.metrics]
        style = "-" if i < 10 else "--"
        loss_ax.plot(epochs, [m["val_loss"] for m in r.metrics], style, color=colors[i])
        acc_ax.plot(epochs, [m["val_acc"] for m in r.metrics], style, color=colors[i], label=r.name)
    loss_ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_ax.set_title("validation loss", fontsize=10)
    acc_ax.set_title("validation accuracy", fontsize=10)
    for ax, label in ((loss_ax, "cross-entropy (log)"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
    best = max(max(m["val_acc"] for m in r.metrics) for r in results)
    acc_ax.set_ylim(max(0.0, min(best - 0.15, 0.9)), min(1.0, best + 0.02))
    legend_ax = fig.add_subplot(grid[rows + 1, :])
    legend_ax.axis("off")
    handles, labels = acc_ax.get_legend_handles_labels()
    legend_ax.legend(handles, labels, loc="center", ncol=min(5, n), fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_run(result, path: str) -> str:
    """A run's logged learning rate (per step) and its loss and accuracy (per epoch).

    Args:
        result: an object with ``name``, ``lr``, ``loss`` (per step) and ``metrics``.
        path: the PNG to write.
    """
    plt = load_pyplot()
    fig, (lr_ax, loss_ax, acc_ax) = plt.subplots(1, 3, figsize=(13, 3.8), dpi=110)
    lr = np.asarray(result.lr, dtype=np.float64)
    lr_ax.plot(np.arange(len(lr)), lr, linewidth=1.6)
    lr_ax.set_xlabel("step")
    lr_ax.set_ylabel("learning rate")
    lr_ax.set_title("learning rate (from the optimizer state)", fontsize=10)
    epochs = [m["epoch"] for m in result.metrics]
    loss_ax.plot(epochs, [m["train_loss"] for m in result.metrics], "o-", label="train")
    loss_ax.plot(epochs, [m["val_loss"] for m in result.metrics], "s-", label="validation")
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy (log)")
    loss_ax.set_title("loss", fontsize=10)
    acc_ax.plot(epochs, [m["train_acc"] for m in result.metrics], "o-", label="train")
    acc_ax.plot(epochs, [m["val_acc"] for m in result.metrics], "s-", label="validation")
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_title("accuracy", fontsize=10)
    for ax in (lr_ax, loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    loss_ax.legend(fontsize=8)
    acc_ax.legend(fontsize=8)
    title = repr(result.schedule) if hasattr(result, "schedule") else ""
    title = result.name if title in ("", result.name) else f"{result.name}: {title}"
    fig.suptitle(title if len(title) < 160 else title[:157] + "...", fontsize=10)
    from matplotlib.ticker import MaxNLocator

    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
