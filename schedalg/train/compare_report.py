"""The comparison's files: ``report.md``, ``compare.png``, ``results.json``, and its
terminal summary (:func:`schedalg.train.compare.compare` writes them)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Sequence

import numpy as np

from schedalg.train.compare import (
    ALPHA,
    LEVEL,
    METRICS,
    Comparison,
    FamilyStats,
    families,
)
from schedalg.train.stats import Interval

# ----------------------------------------------------------------------------
# Report


def _nulls(values: np.ndarray) -> list:
    """Nested lists with None (JSON null) where a value is not finite."""
    return np.where(np.isfinite(values), values, np.array(None)).tolist()


def _fmt(iv: Interval, d: int = 4) -> str:
    return f"{iv.mean:.{d}f} ± {iv.sd:.{d}f} [{iv.low:.{d}f}, {iv.high:.{d}f}]"


def _p(p: float | None) -> str:
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def verdict(stats: Sequence[FamilyStats], seeds: int) -> str:
    """Whether the winner's advantage is significant, in plain words."""
    best = stats[0]
    if len(stats) == 1:
        return f"Only one family ({best.name}) was compared: there is no winner to test."
    runner = stats[1]
    assert runner.test is not None  # every family after the winner is tested against it
    beaten = [s for s in stats[1:] if s.significant]
    tied = [s.name for s in stats[1:] if not s.significant]
    test = (
        f"two-sided paired t-test across the {seeds} seeds on the final validation loss, "
        f"Holm-adjusted over the {len(stats) - 1} comparisons with the winner, level {ALPHA:g}"
    )
    if not tied:
        return (
            f"**{best.name}** has the lowest mean final validation loss and its advantage is "
            f"significant against every other family ({test}); against the runner-up, "
            f"{runner.name}, the difference is {runner.test.mean_diff:+.4f} "
            f"(p = {_p(runner.test.p)}, Holm {_p(runner.p_holm)})."
        )
    head = (
        f"**{best.name}** has the lowest mean final validation loss, but its advantage is "
        f"**not significant** against {len(tied)} of the {len(stats) - 1} other families "
        f"({test}): the runner-up, {runner.name}, is {runner.test.mean_diff:+.4f} behind "
        f"(p = {_p(runner.test.p)}, Holm {_p(runner.p_holm)}). "
        f"Not separated from the winner: {', '.join(tied)}."
    )
    if beaten:
        head += f" Significantly worse: {', '.join(s.name for s in beaten)}."
    return head


def report_markdown(cmp: Comparison) -> str:
    """The comparison as markdown: settings, the ranked table, the verdict, the peak
    sensitivity table, the separation of the task and the expressions."""
    cfg, n_seeds = cmp.config, len(cmp.seeds)
    total = cmp.lr.shape[-1]
    sep = cmp.separation
    seeds = ", ".join(str(s) for s in cmp.seeds)
    optimism = np.mean([s.optimism for s in cmp.stats])
    center, source = cmp.center
    where = {
        "range test": f'centred on the LR range test\'s "valley" suggestion, {center:g}',
        "--peak": f"centred on {center:g} (given)",
        "--peaks": "given",
    }[source]
    lines = [
        "# Learning-rate schedules compared: each family at its own best peak, "
        f"over {n_seeds} seeds",
        "",
        f"{cmp.data}. {cfg.epochs} epochs of batch {cfg.batch_size} ({total} updates), "
        f"{cfg.optimizer}. {len(cmp.names)} families x {len(cmp.peaks)} peaks x {n_seeds} "
        f"seeds = {cmp.members} models, trained as one population (one compiled program, "
        f"{cmp.devices} device{'s' if cmp.devices > 1 else ''}) in {cmp.seconds:.0f} s.",
        "",
        f"* **Peaks**: {', '.join(f'{p:g}' for p in cmp.peaks)} ({where}).",
        f"* **Seeds** {seeds}: a seed fixes the initial parameters and the order of the "
        "batches; within a seed every family starts from the same parameters and sees the "
        "same batches, so the families' differences are paired by seed.",
        "* **Best peak without inflating the score**: each seed is scored at the peak with "
        "the lowest mean final validation loss on the *other* seeds (leave one seed out), so "
        "no score comes from the seed that chose its peak. Choosing and scoring on the same "
        f"seeds would have shown a validation loss lower by {optimism:.4f} on average "
        "(the optimism avoided). *best peak* is the choice on all seeds, drawn in the figure.",
        f"* **Intervals**: mean ± sd [{LEVEL:.0%} Student-t interval of the mean] over the "
        f"seeds. **Test**: two-sided paired t-test (df = {n_seeds - 1}) of each family's "
        "per-seed final validation loss against the winner's; p adjusted by Holm's method "
        f"over the {len(cmp.names) - 1} comparisons; * marks p_Holm < {ALPHA:g}.",
        "",
        "| rank | schedule | best peak | final val loss | final val acc | final train loss "
        "| Δ val loss vs #1 | p | p Holm |",
        "|---:|---|---:|---|---|---|---:|---:|---:|",
    ]
    for s in cmp.stats:
        iv = s.intervals
        diff = "–" if s.test is None else f"{s.test.mean_diff:+.4f}"
        star = " *" if s.significant else ""
        lines.append(
            f"| {s.rank} | {s.name} | {s.peak:g} | {_fmt(iv['val_loss'])} | "
            f"{_fmt(iv['val_acc'])} | {_fmt(iv['train_loss'])} | {diff} | "
            f"{_p(s.test.p if s.test else None)} | {_p(s.p_holm)}{star} |"
        )
    diverged = sum(s.diverged for s in cmp.stats)
    lines += [
        "",
        "**Verdict.** " + cmp.verdict(),
        "",
        "**What this shows and does not.** The ranking holds for this model, this data and "
        f"this budget ({total} updates, {cfg.optimizer}), with peaks chosen from a "
        f"{len(cmp.peaks)}-point grid; a family's row is its best over that grid, not over its "
        "other knobs (warmup length, decay shape, restart period are fixed fractions of the "
        "run). With "
        f"{n_seeds} seeds only large differences can be significant: 'not significant' means "
        "not separated by this experiment, not equal. The winner is itself chosen as the "
        "lowest of the means, which favours it slightly.",
    ]
    if diverged:
        lines += [
            "",
            f"{diverged} members diverged (non-finite validation loss); they are scored as a "
            f"uniform guess, ln({cmp.classes}) = {math.log(cmp.classes):.3f}.",
        ]
    loss = cmp.metrics["val_loss"][..., -1]
    lines += [
        "",
        "## Peak sensitivity",
        "",
        f"Final validation loss, mean over the {n_seeds} seeds, at every peak of the grid "
        "(bold: each family's best peak). The figure's sensitivity panel draws these rows.",
        "",
        "| schedule | " + " | ".join(f"{p:g}" for p in cmp.peaks) + " |",
        "|---|" + "---:|" * len(cmp.peaks),
    ]
    for s in cmp.stats:
        i = cmp.names.index(s.name)
        row = []
        for j, p in enumerate(cmp.peaks):
            v = loss[i, j]
            cell = "diverged" if not np.all(np.isfinite(v)) else f"{v.mean():.4f}"
            row.append(f"**{cell}**" if p == s.peak else cell)
        lines.append(f"| {s.name} | " + " | ".join(row) + " |")
    lines += [
        "",
        "## Does this task separate the families?",
        "",
        f"Standard deviation of the families' mean final validation losses: {sep.between:.4f} "
        f"(best to worst {sep.spread:.4f}); pooled seed standard deviation: {sep.within:.4f}; "
        f"ratio {sep.ratio:.2f} (above 1: the families differ by more than seeds do).",
        "",
        "## Expressions at the best peak",
        "",
        "The schedules as trained (tabulated per update for the population); at each "
        "family's best peak:",
        "",
        "| schedule | expression |",
        "|---|---|",
    ]
    for s in cmp.stats:
        fam = {f.name: f for f in families(total, s.peak, cfg.epochs)}[s.name]
        expr = repr(fam.schedule).replace("|", "\\|")
        if fam.plateau is not None:
            expr += " x plateau(val loss)"
        lines.append(f"| {s.name} | `{expr}` |")
    return "\n".join(lines) + "\n"


def summary_lines(cmp: Comparison) -> list[str]:
    """The ranked table in a terminal: one line per family."""
    width = max(len(n) for n in cmp.names)
    out = [
        f"{'rank':>4}  {'schedule':<{width}}  {'peak':>8}  {'final val loss (95% CI)':<28}"
        f"  {'val acc':>7}  {'p Holm':>7}"
    ]
    for s in cmp.stats:
        iv = s.intervals["val_loss"]
        out.append(
            f"{s.rank:>4}  {s.name:<{width}}  {s.peak:>8.3g}  "
            f"{iv.mean:.4f} [{iv.low:.4f}, {iv.high:.4f}]{'':<6}  "
            f"{s.intervals['val_acc'].mean:>7.4f}  {_p(s.p_holm):>7}"
        )
    return out


def write(cmp: Comparison, out_dir: str) -> Comparison:
    """Writes ``report.md``, ``compare.png`` and ``results.json`` into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    cmp.report = os.path.join(out_dir, "report.md")
    with open(cmp.report, "w", encoding="utf-8") as f:
        f.write(report_markdown(cmp))
    rows = {
        "data": cmp.data,
        "config": cmp.config.to_dict(),
        "peaks": cmp.peaks.tolist(),
        "seeds": cmp.seeds.tolist(),
        "center": list(cmp.center),
        "seconds": cmp.seconds,
        "families": [
            {
                "name": s.name,
                "rank": s.rank,
                "best_peak": s.peak,
                "seed_peaks": list(s.seed_peaks),
                **{
                    key: {
                        **dataclasses.asdict(s.intervals[key]),
                        "per_seed": s.scores[key].tolist(),
                    }
                    for key, _ in METRICS
                },
                "paired_t": None if s.test is None else dataclasses.asdict(s.test),
                "p_holm": s.p_holm,
                "optimism": s.optimism,
                "diverged": s.diverged,
            }
            for s in cmp.stats
        ],
        "metrics": {
            "axes": ["family", "peak", "seed", "epoch"],
            "families": cmp.names,
            **{k: _nulls(v) for k, v in cmp.metrics.items()},
        },
    }
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=1)
    cmp.figure = plot(cmp, os.path.join(out_dir, "compare.png"))
    return cmp


# ----------------------------------------------------------------------------
# Figure


def plot(cmp: Comparison, path: str) -> str:
    """``compare.png``: the learning rates at each family's best peak (top), then the
    validation loss per epoch at the best peak with a seed band (min to max), the
    peak-sensitivity plot (final validation loss against the peak, mean and seed band
    per family) and the 95 % intervals of the final validation loss, ranked."""
    from matplotlib.gridspec import GridSpec

    from schedalg.plot import load_pyplot, palette

    plt = load_pyplot()
    f_count = len(cmp.names)
    colors = dict(zip(cmp.names, palette(f_count)))
    styles = {n: "-" if i < 10 else "--" for i, n in enumerate(cmp.names)}
    cols = min(7, f_count)
    rows = -(-f_count // cols)
    fig = plt.figure(figsize=(2.4 * cols + 2.0, 1.8 * rows + 5.6), dpi=110)
    grid = GridSpec(rows + 2, 3, figure=fig, height_ratios=[1.0] * rows + [2.6, 0.55])
    lr_grid = grid[:rows, :].subgridspec(rows, cols)
    peak_index = {s.name: int(np.argmin(np.abs(cmp.peaks - s.peak))) for s in cmp.stats}
    for k, name in enumerate(cmp.names):
        i, j = k, peak_index[name]
        ax = fig.add_subplot(lr_grid[k // cols, k % cols])
        lr = cmp.lr[i, j].astype(np.float64)  # (seeds, steps): the plateau rule varies
        for row in lr:
            ax.plot(np.arange(lr.shape[-1]), row, color=colors[name], linewidth=1.2, alpha=0.8)
        ax.set_title(f"{name} ({cmp.peaks[j]:g})", fontsize=8, color=colors[name])
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=6)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        ax.yaxis.get_offset_text().set_fontsize(6)
        ax.grid(alpha=0.3)
    curve_ax = fig.add_subplot(grid[rows, 0])
    sens_ax = fig.add_subplot(grid[rows, 1])
    ci_ax = fig.add_subplot(grid[rows, 2])
    epochs = np.arange(1, cmp.metrics["val_loss"].shape[-1] + 1)
    cap = 3 * math.log(cmp.classes)
    for i, name in enumerate(cmp.names):
        v = np.clip(cmp.metrics["val_loss"][i, peak_index[name]], None, cap)  # (seeds, epochs)
        v = np.where(np.isfinite(v), v, cap)
        curve_ax.plot(epochs, v.mean(0), styles[name], color=colors[name], label=name)
        curve_ax.fill_between(epochs, v.min(0), v.max(0), color=colors[name], alpha=0.15)
        final = cmp.metrics["val_loss"][i, :, :, -1]
        final = np.where(np.isfinite(final), np.clip(final, None, cap), cap)
        sens_ax.plot(cmp.peaks, final.mean(-1), styles[name] + "o", color=colors[name], ms=3)
        sens_ax.fill_between(
            cmp.peaks, final.min(-1), final.max(-1), color=colors[name], alpha=0.12
        )
        j = peak_index[name]
        sens_ax.plot(
            cmp.peaks[j], final[j].mean(), "*", color=colors[name], ms=11, mec="k", mew=0.5
        )
    from matplotlib.ticker import MaxNLocator

    curve_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    curve_ax.set_yscale("log")
    curve_ax.set_xlabel("epoch")
    curve_ax.set_ylabel("validation loss (log)")
    curve_ax.set_title("validation loss at the best peak (band: seeds min-max)", fontsize=9)
    sens_ax.set_xscale("log")
    sens_ax.set_yscale("log")
    sens_ax.set_xlabel("peak learning rate")
    sens_ax.set_ylabel("final validation loss (log)")
    sens_ax.set_title("peak sensitivity (band: seeds min-max; star: best peak)", fontsize=9)
    for r, s in enumerate(cmp.stats):
        iv = s.intervals["val_loss"]
        ci_ax.errorbar(
            iv.mean, r, xerr=[[iv.mean - iv.low], [iv.high - iv.mean]], fmt="o",
            color=colors[s.name], capsize=3,
        )  # fmt: skip
        ci_ax.plot(s.scores["val_loss"], [r] * len(cmp.seeds), "x", color="0.4", ms=4)
    ci_ax.set_yticks(range(len(cmp.stats)))
    ci_ax.set_yticklabels(
        [f"{s.rank}. {s.name}{' *' if s.significant else ''}" for s in cmp.stats], fontsize=7
    )
    ci_ax.invert_yaxis()
    ci_ax.set_xlabel("final validation loss")
    ci_ax.set_title(
        f"{LEVEL:.0%} t intervals, x: seeds (held-out peak); *: worse than #1", fontsize=9
    )
    for ax in (curve_ax, sens_ax, ci_ax):
        ax.grid(alpha=0.3, which="both")
        ax.tick_params(labelsize=7)
    legend_ax = fig.add_subplot(grid[rows + 1, :])
    legend_ax.axis("off")
    handles, labels = curve_ax.get_legend_handles_labels()
    legend_ax.legend(handles, labels, loc="center", ncol=min(7, f_count), fontsize=8, frameon=False)
    fig.suptitle(
        f"{len(cmp.names)} schedule families, each at its own best of {len(cmp.peaks)} peaks, "
        f"{len(cmp.seeds)} seeds ({cmp.data.split(':')[0]})",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
