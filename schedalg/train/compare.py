"""Train the CNN once per schedule family and report: ``report.md`` and ``compare.png``.

Every family is scaled to the same run (``total`` updates) and the same peak learning
rate, and every run uses the same seed: same initial parameters, same batches. Only
the schedule differs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import schedalg as sa
from schedalg._core import Schedule
from schedalg.plateau import reduce_on_plateau
from schedalg.train.data import Dataset
from schedalg.train.files import check_writable
from schedalg.train.run import Config, RunResult, train

#: Default top learning rate (Adam on the digits CNN: high enough that decays matter).
PEAK = 1e-2


@dataclasses.dataclass(frozen=True)
class Family:
    """One entry of the comparison: a schedule and, for ReduceLROnPlateau, its rule."""

    name: str
    schedule: Schedule
    plateau: Any = None


def _nice(x: float) -> float:
    """``x`` to 6 significant digits, so the report prints 0.001, not 0.0010000000000000002."""
    return float(f"{x:.6g}")


def families(total: int, peak: float = PEAK, epochs: int = 10) -> list[Family]:
    """The compared schedule families, all over ``total`` updates with top rate ``peak``.

    Args:
        total: updates in the run.
        peak: the largest learning rate of every family.
        epochs: epochs in the run (the plateau rule's patience is in epochs).

    Example:
        >>> from schedalg.train.compare import families
        >>> [f.name for f in families(100)][:4]
        ['constant', 'step', 'multistep', 'exponential']
    """
    if total < 10:
        raise ValueError(f"compare: the run must have at least 10 updates, got {total}")
    warm = max(1, total // 10)
    third = total // 3
    tenth, low = _nice(peak / 10), _nice(peak / 25)
    return [
        Family("constant", sa.constant(peak)),
        Family("step", sa.step(peak, third, 0.3)),
        Family("multistep", sa.multistep(peak, [total // 2, 3 * total // 4], 0.1)),
        Family("exponential", sa.exponential(peak, 0.01, total)),
        Family("cosine", sa.cosine(peak, 0.0, total)),
        Family("cosine restarts", sa.restart(sa.cosine(peak, 0.0, third), limit=3)),
        Family("cyclic", sa.cyclic(tenth, peak, max(1, total // 8), mode="triangular2")),
        Family("1cycle", sa.one_cycle(low, peak, _nice(low / 1e4), total, pct_up=0.25)),
        Family("warmup + cosine", sa.warmup(sa.cosine(peak, 0.0, total - warm), warm)),
        Family("WSD", sa.wsd(peak, warm, total - warm - total // 4, total // 4)),
        Family("polynomial", sa.polynomial(peak, 0.0, total, power=2.0)),
        Family("inverse sqrt", sa.inverse_sqrt(peak, warm)),
        Family(
            "join(warmup, step x cosine)",
            sa.join(
                sa.linear(tenth, peak, warm),
                sa.cosine(peak, 0.0, total - warm) * sa.step(1.0, (total - warm) // 2, 0.5),
            ),
        ),
        Family(
            "plateau",
            sa.constant(peak),
            reduce_on_plateau(factor=0.3, patience=max(0, epochs // 10 - 1), threshold=0.01),
        ),
    ]


@dataclasses.dataclass
class Comparison:
    """The runs of a comparison and where its files went."""

    results: list[RunResult]
    report: str | None = None
    figure: str | None = None

    @property
    def best(self) -> RunResult:
        return max(self.results, key=lambda r: r.best_val_acc)


def report_markdown(results: Sequence[RunResult], data: str, config: Config) -> str:
    """The comparison as a markdown table, best validation accuracy in bold."""
    best = max(r.best_val_acc for r in results)
    lines = [
        "# Learning-rate schedules compared",
        "",
        f"{data}; {config.epochs} epochs of batch {config.batch_size}, "
        f"{config.optimizer}, seed {config.seed}: same initialization and batches "
        "for every schedule.",
        "",
        "| schedule | final train loss | best val loss | best val acc | time (s) | expression |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        acc = f"{r.best_val_acc:.4f}"
        acc = f"**{acc}**" if r.best_val_acc == best else acc
        expr = repr(r.schedule).replace("|", "\\|")
        if r.name == "plateau":
            expr += " x plateau(val loss)"
        lines.append(
            f"| {r.name} | {r.final_train_loss:.4f} | {r.best_val_loss:.4f} | {acc} | "
            f"{r.seconds:.1f} | `{expr}` |"
        )
    return "\n".join(lines) + "\n"


def compare(
    data: Dataset,
    config: Config | None = None,
    out_dir: str | None = None,
    *,
    peak: float = PEAK,
    only: Sequence[str] | None = None,
    progress: bool | None = None,
    log: Callable[[str], Any] | None = print,
) -> Comparison:
    """Trains one run per family; writes ``report.md``, ``compare.png``, ``results.json``.

    Args:
        data: the dataset.
        config: settings shared by every run.
        out_dir: where the report and the figure go (``None``: nothing is written).
        peak: the top learning rate of every family.
        only: names of the families to run (default: all).
        progress: show a progress bar per run (default: when stderr is a terminal).
        log: called with one line per finished run (``None``: silent).
    """
    config = Config() if config is None else config
    config.check(data)
    if out_dir is not None:
        check_writable(out_dir, "compare")
    total = config.epochs * (len(data.y_train) // config.batch_size)
    chosen = families(total, peak, config.epochs)
    if only:
        known = {f.name for f in chosen}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise ValueError(
                f"compare: unknown families {unknown}; choose from {[f.name for f in chosen]}"
            )
        chosen = [f for f in chosen if f.name in only]
    results = []
    width = max(len(f.name) for f in chosen)
    for fam in chosen:
        start = time.perf_counter()
        result = train(
            fam.schedule, data, config, plateau=fam.plateau, name=fam.name, progress=progress
        )
        result.seconds = time.perf_counter() - start  # compilation included: the user's wait
        results.append(result)
        if log is print:
            from tqdm.auto import tqdm

            log = tqdm.write  # above a live progress bar, not through it
        if log is not None:
            log(
                f"{fam.name:<{width}}  best val acc {result.best_val_acc:.4f}  "
                f"best val loss {result.best_val_loss:.4f}  {result.seconds:5.1f} s"
            )
    out = Comparison(results)
    if out_dir is not None:
        from schedalg.plot import plot_compare

        os.makedirs(out_dir, exist_ok=True)
        out.report = os.path.join(out_dir, "report.md")
        with open(out.report, "w", encoding="utf-8") as f:
            f.write(report_markdown(results, data.describe(), config))
        rows = [
            {
                "name": r.name,
                "schedule": repr(r.schedule),
                "final_train_loss": r.final_train_loss,
                "best_val_loss": r.best_val_loss,
                "best_val_acc": r.best_val_acc,
                "seconds": r.seconds,
                "metrics": r.metrics,
            }
            for r in results
        ]
        with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
        out.figure = plot_compare(results, os.path.join(out_dir, "compare.png"))
    return out
