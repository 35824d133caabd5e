"""The report of :mod:`schedalg.train.meta`: one line per meta-step (:func:`describe`),
and the files of ``schedalg learn``: the results table (CSV and markdown), the learned
schedule as JSON and the trajectory figure (:func:`write_report`).
"""

from __future__ import annotations

import os

import numpy as np

from schedalg._batch import evaluate
from schedalg.train.meta_search import LearnResult


def describe(entry: dict) -> str:
    """One line: meta-step, validation loss and accuracy, the learned values."""
    values = []
    for name, v in entry["values"].items():
        text = f"{v:.4g}" if isinstance(v, float) else f"[{len(v)} knots]"
        values.append(f"{name}={text}")
    return (
        f"meta {entry['meta_step']:>3}  val loss {entry['val_loss']:.4f}  "
        f"acc {entry['val_acc']:.4f}  {'  '.join(values)}"
    )


def _columns(result: LearnResult) -> list[str]:
    cols = []
    for k in result.knobs:
        cols += [k.name] if k.shape == () else [f"{k.name}[{i}]" for i in range(k.size)]
    return cols


def _rows(result: LearnResult) -> list[list[str]]:
    rows = []
    for h in result.history:
        cells = [str(h["meta_step"]), f"{h['val_loss']:.6g}", f"{h['val_acc']:.4f}"]
        for v in h["values"].values():
            cells += [f"{x:.6g}" for x in (v if isinstance(v, list) else [v])]
        rows.append(cells + [repr(h["schedule"])])
    return rows


def write_report(result: LearnResult, out_dir: str) -> dict[str, str]:
    """Writes ``results.csv``, ``results.md``, ``trajectory.png`` and ``learned.json``
    (the best schedule, for ``schedalg train --schedule``); returns the paths."""
    import json

    from schedalg._text import to_dict
    from schedalg.train.files import write_csv, write_text

    os.makedirs(out_dir, exist_ok=True)
    header = ["meta_step", "val_loss", "val_acc", *_columns(result), "schedule"]
    rows = _rows(result)
    paths = {"csv": os.path.join(out_dir, "results.csv")}
    write_csv(paths["csv"], header, rows)
    short = ["meta_step", "val_loss", "val_acc", "schedule"]
    lines = [
        f"# schedule learned by gradient ({result.steps} updates per run)",
        "",
        "| " + " | ".join(short) + " |",
        "|" + "---|" * len(short),
    ]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | `{r[-1]}` |")
    best, start = result.best, result.start
    lines += [
        "",
        f"start: val loss {start['val_loss']:.4f}; best (meta-step {best['meta_step']}): "
        f"val loss {best['val_loss']:.4f}, acc {best['val_acc']:.4f}",
        "",
        f"best schedule: `{best['schedule']!r}`",
    ]
    lines += [f"note: {n}" for n in result.notes]
    paths["md"] = os.path.join(out_dir, "results.md")
    write_text(paths["md"], "\n".join(lines) + "\n")
    paths["json"] = os.path.join(out_dir, "learned.json")
    write_text(paths["json"], json.dumps(to_dict(best["schedule"]), indent=2) + "\n")
    paths["png"] = plot_trajectory(result, os.path.join(out_dir, "trajectory.png"))
    return paths


def plot_trajectory(result: LearnResult, path: str) -> str:
    """Left: the schedule at each meta-step, coloured from the start (dark) to the end
    (light). Right: the validation loss of each meta-step, the best one marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    t = np.arange(result.steps)
    last = max(len(result.history) - 1, 1)
    cmap = plt.get_cmap("viridis")
    fig, (curves, losses) = plt.subplots(1, 2, figsize=(12, 4.2), dpi=110)
    for h in result.history:
        values = np.asarray(evaluate(h["schedule"], t))
        curves.plot(t, values, color=cmap(h["meta_step"] / last), linewidth=1.2)
    norm = matplotlib.colors.Normalize(0, last)
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=curves, label="meta-step")
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    curves.set_xlabel("step")
    curves.set_ylabel("learning rate")
    curves.set_title("schedule at each meta-step", fontsize=10)
    steps = [h["meta_step"] for h in result.history]
    losses.plot(steps, [h["val_loss"] for h in result.history], "o-", label="val loss")
    best = result.best
    losses.plot([best["meta_step"]], [best["val_loss"]], "r*", markersize=14, label="best")
    losses.xaxis.set_major_locator(MaxNLocator(integer=True))
    losses.set_xlabel("meta-step")
    losses.set_ylabel("validation loss")
    losses.set_title("final validation loss of each inner run", fontsize=10)
    losses.legend()
    for ax in (curves, losses):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
