"""The ``schedalg`` command: show, plot, train, compare, find-lr, learn, sweep, law.

``EXPR`` is a schedule's text form (``"warmup(cosine(1e-3, 0.0, 900), 100)"``, read by
:func:`schedalg.parse`, which never evaluates code) or the path of a JSON file written
from :func:`schedalg.to_dict`. Every error prints one line naming the problem and exits
with status 2 before anything is written.

Example:
    >>> from schedalg.cli import main
    >>> main(["show", "linear(0.0, 1.0, 4)", "--steps", "5", "--width", "5"])
    linear(start=0.0, end=1.0, steps=4)
    steps 0..4 (duration 4)
    peak 1 at step 4, final 1, mean 0.5, area 2.5 (sum over the steps)
    sparkline  ▂▄▆█
    <BLANKLINE>
    step  value
    0     0
    1     0.25
    2     0.5
    3     0.75
    4     1
    0
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

#: Largest ``--steps`` the command evaluates (a 40 MB array of float32 values).
MAX_STEPS = 10_000_000
#: File types the ``plot`` command can write.
FIGURE_TYPES = (".png", ".pdf", ".svg")


class UsageError(ValueError):
    """A bad argument: reported as one line, exit status 2."""


def load_schedule(expr: str):
    """A schedule from its text form or from a JSON file (``to_dict`` output)."""
    import schedalg as sa
    from schedalg._text import read_json

    if expr.endswith(".json") or os.path.isfile(expr):
        try:
            data = read_json(expr, "schedule")
        except ValueError as err:
            raise UsageError(str(err)) from None
        try:
            return sa.from_dict(data)
        except ValueError as err:
            raise UsageError(f"schedule file {expr}: {err}") from None
    try:
        return sa.parse(expr)
    except ValueError as err:
        raise UsageError(f"bad schedule {expr!r}: {err}") from None


def _steps(value: int | None, schedules: Sequence) -> int:
    """``--steps``, or the longest concrete duration, or 1000."""
    if value is None:
        durations = []
        for s in schedules:
            d = s.duration
            with contextlib.suppress(TypeError, ValueError):
                durations.append(int(d) + 1)
        value = max(durations) if durations else 1000
        value = min(max(value, 2), MAX_STEPS)
    if not 1 <= value <= MAX_STEPS:
        raise UsageError(f"--steps must be between 1 and {MAX_STEPS}, got {value}")
    return value


def _g(x: float) -> str:
    return f"{x:.6g}"


def cmd_show(args: argparse.Namespace) -> int:
    import numpy as np

    import schedalg as sa
    from schedalg.plot import ascii_chart, sparkline

    schedule = load_schedule(args.expr)
    n = _steps(args.steps, [schedule])
    values = np.asarray(sa.evaluate(schedule, np.arange(n)), dtype=np.float64)
    if values.ndim != 1:
        raise UsageError(f"show takes one schedule, got a batch of shape {values.shape[:-1]}")
    if not np.all(np.isfinite(values)):
        bad = int(np.argmax(~np.isfinite(values)))
        raise UsageError(f"the schedule is not finite at step {bad} ({values[bad]})")
    duration = schedule.duration
    dur = "unbounded" if duration is None else _g(float(duration))
    top = int(np.argmax(values))
    print(repr(schedule))
    print(f"steps 0..{n - 1} (duration {dur})")
    print(
        f"peak {_g(values[top])} at step {top}, final {_g(values[-1])}, "
        f"mean {_g(values.mean())}, area {_g(values.sum())} (sum over the steps)"
    )
    print(f"sparkline {sparkline(values, width=args.width)}")
    print()
    if n > args.width:
        print(ascii_chart(schedule, n, width=args.width))
        print()
    points = np.unique(np.linspace(0, n - 1, min(n, 11)).round().astype(np.int64))
    width = max(len("step"), len(str(n - 1)))
    print(f"{'step':<{width}}  value")
    for t in points:
        print(f"{t:<{width}}  {_g(values[t])}")
    return 0


def _check_figure_path(path: str) -> None:
    ext = os.path.splitext(path)[1].lower()
    if ext not in FIGURE_TYPES:
        raise UsageError(f"-o {path}: the file type must be one of {', '.join(FIGURE_TYPES)}")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"-o {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or os.path.isdir(path):
        raise UsageError(f"-o {path}: cannot write there")


def cmd_plot(args: argparse.Namespace) -> int:
    from schedalg._batch import batch_shape
    from schedalg.plot import plot_schedules

    schedules = {}
    for expr in args.expr:
        s = load_schedule(expr)
        if batch_shape(s):
            raise UsageError(f"plot draws single schedules, {expr!r} is a batch")
        schedules[repr(s)] = s
    n = _steps(args.steps, list(schedules.values()))
    _check_figure_path(args.output)
    path = plot_schedules(schedules, n, args.output, title=args.title)
    print(f"wrote {path}")
    return 0


def _config(args: argparse.Namespace, base: Any = None):
    from schedalg.train import Config

    base = Config() if base is None else base
    fields = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "seed": args.seed,
    }
    if hasattr(args, "checkpoint_every"):
        fields["checkpoint_every"] = args.checkpoint_every
    return dataclasses.replace(base, **{k: v for k, v in fields.items() if v is not None})


def _data(path: str | None):
    from schedalg.train import load_data

    return load_data(path)


def cmd_train(args: argparse.Namespace) -> int:
    from schedalg.train import files, run
    from schedalg.train.snapshots import snapshot_steps

    out = args.out
    if args.resume:
        files.check_out_dir(out, resume=True)
        meta = run.checkpoint_meta(out)
        schedule = load_schedule(args.schedule) if args.schedule else None
        data_path = args.data if args.data is not None else meta["data_path"]
        config = _config(args, meta["config"])
        snapshots = args.snapshots or meta["snapshots"]
    else:
        if args.schedule is None:
            raise UsageError("--schedule EXPR is required (or --resume)")
        schedule = load_schedule(args.schedule)
        data_path = args.data
        config = _config(args)
        snapshots = args.snapshots
    data = _data(data_path)
    config.check(data)
    if not args.resume:
        files.check_out_dir(out, resume=False, overwrite=args.overwrite)
    if schedule is not None:
        spe = len(data.y_train) // config.batch_size
        total = spe * config.epochs
        if snapshots:
            snapshot_steps(schedule, total)  # fails here, before anything is written
        duration = schedule.duration
        note = ""
        try:
            if duration is not None and int(duration) != total:
                note = f" (the schedule's shape lasts {int(duration)} steps)"
        except (TypeError, ValueError):
            pass
        print(f"{data.describe()}; {total} updates{note}")
    result = run.train(
        schedule,
        data,
        config,
        out,
        resume=args.resume,
        overwrite=args.overwrite,
        snapshots=snapshots,
        progress=False if args.quiet else None,
        data_path=data_path,
        on_epoch=None if args.quiet else _print_epoch,
    )
    from schedalg.plot import plot_run

    plot_run(result, os.path.join(out, "curves.png"))
    print(
        f"final: train loss {result.final_train_loss:.4f}, val acc {result.final_val_acc:.4f} "
        f"(best {result.best_val_acc:.4f}), {result.seconds:.1f} s"
    )
    if result.snapshots is not None:
        snap = result.snapshots
        print(
            f"snapshot ensemble of {len(snap['steps'])} models (steps {snap['steps']}): "
            f"val acc {snap['ensemble_val_acc']:.4f} vs final model {snap['final_val_acc']:.4f}"
        )
    print(f"wrote {out}/ (metrics.csv, metrics.jsonl, steps.csv, checkpoint.msgpack, curves.png)")
    return 0


def _print_epoch(m: dict) -> None:
    from tqdm.auto import tqdm

    # tqdm.write prints above a live progress bar instead of through it
    tqdm.write(
        f"epoch {m['epoch']:>3}  train loss {m['train_loss']:.4f} acc {m['train_acc']:.4f}  "
        f"val loss {m['val_loss']:.4f} acc {m['val_acc']:.4f}  lr {m['lr']:.3g}"
    )


#: ``schedalg compare`` defaults (``make demo``) and ``--full``; equal to
#: ``schedalg.train.compare.SEEDS``, ``POINTS`` and ``FULL`` (tests/test_cli.py checks).
COMPARE_SEEDS, COMPARE_POINTS = 3, 5
COMPARE_FULL = {"seeds": 10, "points": 7}


def _compare_peaks(text: str) -> list[float]:
    try:
        peaks = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--peaks must be comma-separated numbers, got {text!r}") from None
    if not peaks or any(not 0 < v <= 100 for v in peaks):
        raise UsageError(f"--peaks must be numbers in (0, 100], got {text!r}")
    return peaks


def cmd_compare(args: argparse.Namespace) -> int:
    from schedalg.train.compare import compare
    from schedalg.train.compare_report import summary_lines
    from schedalg.train.data import harder
    from schedalg.train.files import check_writable

    config = _config(args)
    seeds = COMPARE_FULL["seeds"] if args.full else COMPARE_SEEDS
    seeds = seeds if args.seeds is None else args.seeds
    points = COMPARE_FULL["points"] if args.full else COMPARE_POINTS
    points = points if args.points is None else args.points
    data = _data(args.data)
    if args.train_images is not None or args.label_noise:
        data = harder(data, train_images=args.train_images, label_noise=args.label_noise)
    config.check(data)
    check_writable(args.out, "compare")
    if args.peak is not None and not 0 < args.peak <= 100:
        raise UsageError(f"--peak must be in (0, 100], got {args.peak}")
    if args.peaks is not None and args.peak is not None:
        raise UsageError("give --peak (the grid's centre) or --peaks (the grid), not both")
    peaks = None if args.peaks is None else _compare_peaks(args.peaks)
    only = [n.strip() for n in args.only.split(",")] if args.only else None
    print(data.describe())
    result = compare(
        data,
        config,
        args.out,
        peaks=peaks,
        peak=args.peak,
        points=points,
        seeds=seeds,
        only=only,
        progress=False if args.quiet else None,
    )
    print("\n".join(summary_lines(result)))
    print(result.verdict().replace("**", ""))
    sep = result.separation
    print(
        f"families' spread (sd of their means) {sep.between:.4f} vs seed sd {sep.within:.4f}: "
        f"ratio {sep.ratio:.2f}"
    )
    _wrote(result.report, result.figure)
    return 0


def cmd_find_lr(args: argparse.Namespace) -> int:
    from schedalg.train.files import check_writable
    from schedalg.train.lrfind import find_lr, write_csv

    config = _config(args)
    data = _data(args.data)
    config.check(data)
    if not 2 <= args.steps <= 100_000:
        raise UsageError(f"--steps must be between 2 and 100000, got {args.steps}")
    if not 0 < args.start < args.end:
        raise UsageError(f"need 0 < --start < --end, got {args.start} and {args.end}")
    check_writable(args.out, "find-lr")
    result = find_lr(data, config, start=args.start, end=args.end, steps=args.steps, mode=args.mode)
    os.makedirs(args.out, exist_ok=True)
    figure = result.plot(os.path.join(args.out, "lr_find.png"))
    table = write_csv(result, os.path.join(args.out, "lr_find.csv"))
    stopped = result.stopped_at
    print(
        f"range test: {args.steps} steps from {args.start:g} to {args.end:g} ({config.optimizer})"
        + ("" if stopped is None else f", diverged at step {stopped}")
    )
    for name, lr in result.suggestions.items():
        print(f"  {name:<9} {lr:.3g}")
    _wrote(figure, table)
    return 0


def cmd_learn(args: argparse.Namespace) -> int:
    from schedalg.train.files import check_writable
    from schedalg.train.meta import describe, knot_schedule, learn, resolve, write_report

    schedule = load_schedule(args.schedule)
    config = _config(args)
    data = _data(args.data)
    config.check(data)
    spe = len(data.y_train) // config.batch_size
    steps = args.steps
    if steps is None and args.epochs is None:
        try:
            steps = int(round(float(schedule.duration)))
        except (TypeError, ValueError):
            steps = None
    steps = config.epochs * spe if steps is None else steps
    if not 1 <= steps <= 100_000:
        raise UsageError(f"--steps must be between 1 and 100000, got {steps}")
    if args.knots is not None:
        if args.params:
            raise UsageError("give either --params or --knots, not both")
        schedule = knot_schedule(schedule, steps, args.knots)
        params = ["knots"]
    elif args.params:
        params = [p.strip() for p in args.params.split(",") if p.strip()]
    else:
        raise UsageError("--params NAMES (e.g. peak,warmup) or --knots K is required")
    resolve(schedule, params, steps)  # a bad name fails before any training
    check_writable(args.out, "learn")
    print(f"{data.describe()}; {steps} updates per run, {args.meta_steps} meta-steps")

    def show(entry: dict) -> None:
        if not args.quiet:
            print(f"{describe(entry)}  ({entry['seconds']:.1f} s)", flush=True)
            print(f"    {entry['schedule']!r}", flush=True)

    result = learn(
        schedule,
        params,
        data,
        config,
        steps=steps,
        meta_steps=args.meta_steps,
        meta_lr=args.meta_lr,
        smooth=args.smooth,
        segment=args.segment,
        on_step=show,
    )
    start, best = result.start, result.best
    for note in result.notes:
        print(f"note: {note}")
    print(
        f"val loss {start['val_loss']:.4f} -> {best['val_loss']:.4f} (meta-step "
        f"{best['meta_step']}), acc {start['val_acc']:.4f} -> {best['val_acc']:.4f}, "
        f"{result.seconds:.1f} s"
    )
    print(f"best: {best['schedule']!r}")
    paths = write_report(result, args.out)
    print(f"wrote {', '.join(paths.values())}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from schedalg.train import distributed
    from schedalg.train.sweep import command

    # First of all: JAX's multi-process runtime must start before any JAX computation.
    distributed.initialize(args.coordinator, args.num_processes, args.process_id)
    config = _config(args)
    return command(args, load_schedule(args.schedule), config, _data(args.data))


def _law_runs(specs: Sequence[str]) -> dict:
    """``CSV=EXPR`` specs or ``schedalg train`` directories -> {name: (schedule, steps, losses)}."""
    from schedalg import laws

    runs: dict = {}
    for spec in specs:
        if os.path.isdir(spec):
            name, run = os.path.basename(os.path.normpath(spec)), laws.read_run(spec)
        else:
            path, eq, expr = spec.partition("=")
            if not eq or not expr.strip():
                raise UsageError(f"run {spec!r}: expected CSV=SCHEDULE_EXPR or a train directory")
            if not os.path.isfile(path):
                raise UsageError(f"run {spec!r}: no such file {path}")
            name = os.path.splitext(os.path.basename(path))[0]
            run = laws.read_csv(path, expr)
        base, n = name, 2
        while name in runs:
            name, n = f"{base}-{n}", n + 1
        runs[name] = run
    return runs


def _law_out(out: str) -> str:
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out}: exists and is not a directory")
    os.makedirs(out, exist_ok=True)
    return out


def _read_law(path: str) -> Any:
    from schedalg.laws._text import read_law

    return read_law(path)


def _wrote(*paths: str | None) -> None:
    for path in paths:
        print(f"wrote {path}")


def _law_figure(path: str, title: str, ylabel: str, draw) -> str:
    from schedalg.plot import figure

    return figure(path, title, ylabel, draw)


def _positive(name: str, value: int, low: int = 1) -> int:
    if value < low:
        raise UsageError(f"{name} must be >= {low}, got {value}")
    return value


def cmd_law_fit(args: argparse.Namespace) -> int:
    import numpy as np

    from schedalg import laws
    from schedalg.laws._text import write_law

    _positive("--starts", args.starts)
    _positive("--max-iter", args.max_iter, 0)
    runs = _law_runs(args.runs)
    law, table = laws.fit(args.kind, runs, starts=args.starts, max_iter=args.max_iter)
    out = _law_out(args.out)
    law_path = write_law(law, os.path.join(out, "law.json"))

    def draw(ax):
        for i, (name, (schedule, steps, losses)) in enumerate(runs.items()):
            color = f"C{i % 10}"
            pred = np.asarray(law.predict(schedule, steps), np.float64)
            ax.plot(steps, losses, color=color, alpha=0.5, linewidth=1.2, label=f"{name}")
            ax.plot(steps, pred, color=color, linestyle="--", linewidth=1.2)

    figure = _law_figure(
        os.path.join(out, "fit.png"), f"{args.kind} law: observed (solid), predicted (dashed)",
        "loss", draw,
    )  # fmt: skip
    print(table)
    print(f"objective {table.objective:.6g}")
    _wrote(law_path, figure)
    return 0


def cmd_law_predict(args: argparse.Namespace) -> int:
    import numpy as np

    law = _read_law(args.law)
    schedule = load_schedule(args.schedule)
    n = _positive("--steps", args.steps, 2)
    _positive("--points", args.points, 1)
    if n > MAX_STEPS:
        raise UsageError(f"--steps must be at most {MAX_STEPS}, got {n}")
    steps = np.unique(np.linspace(1, n - 1, min(args.points, n - 1)).round().astype(np.int64))
    pred = np.asarray(law.predict(schedule, steps), np.float64)
    if pred.ndim != 1:
        raise UsageError(f"predict takes one schedule, got a batch of shape {pred.shape[:-1]}")
    out = _law_out(args.out)
    table = os.path.join(out, "predict.csv")
    with open(table, "w", encoding="utf-8") as f:
        f.write("step,loss\n")
        f.writelines(f"{t},{v:.9g}\n" for t, v in zip(steps, pred))
    finite = np.isfinite(pred)
    figure = _law_figure(
        os.path.join(out, "predict.png"), repr(schedule)[:100], "predicted loss",
        lambda ax: (ax.plot(steps[finite], pred[finite], label="predicted loss"),
                    ax.set_yscale("log")),
    )  # fmt: skip
    print(f"predicted loss at step {steps[-1]}: {_g(pred[-1])}")
    _wrote(table, figure)
    return 0


def cmd_law_rank(args: argparse.Namespace) -> int:
    from schedalg import laws

    law = _read_law(args.law)
    try:
        with open(args.schedules, encoding="utf-8") as f:
            lines = [line.strip() for line in f]
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read --schedules {args.schedules}: {err}") from None
    exprs = [line for line in lines if line and not line.startswith("#")]
    if not exprs:
        raise UsageError(f"--schedules {args.schedules}: no schedule expressions in the file")
    n = _positive("--steps", args.steps)
    scored = []
    for expr in exprs:
        schedule = load_schedule(expr)
        losses = laws.rank(law, schedule, n).losses
        if losses.ndim:
            raise UsageError(f"rank takes single schedules, {expr!r} is a batch")
        scored.append((float(losses), repr(schedule)))
    scored.sort(key=lambda x: x[0])
    print(f"{'rank':>4}  {'final loss':>10}  schedule (predicted at step {n - 1})")
    for i, (loss, text) in enumerate(scored, start=1):
        print(f"{i:>4}  {loss:>10.6f}  {text}")
    return 0


def cmd_law_optimize(args: argparse.Namespace) -> int:
    import numpy as np

    import schedalg as sa
    from schedalg import laws

    law = _read_law(args.law)
    best = laws.optimize(
        law, args.steps, args.peak, args.warmup, family=args.family, floor=args.floor
    )
    out = _law_out(args.out)
    saved = os.path.join(out, "schedule.json")
    with open(saved, "w", encoding="utf-8") as f:
        json.dump(sa.to_dict(best.schedule), f, indent=2)
    t = np.arange(args.steps)
    lrs = np.asarray(sa.evaluate(best.schedule, t), np.float64)
    figure = _law_figure(
        os.path.join(out, "optimize.png"), f"optimized {args.family} schedule", "learning rate",
        lambda ax: ax.plot(t, lrs, label=f"predicted final loss {best.loss:.4f}"),
    )  # fmt: skip
    print(repr(best.schedule))
    print(f"predicted final loss {best.loss:.6f} at step {args.steps - 1}")
    _wrote(saved, figure)
    return 0


def _law_parser(sub) -> None:
    law = sub.add_parser("law", help="fit a loss-curve law to runs; predict, rank, optimize")
    cmds = law.add_subparsers(
        dest="law_command",
        required=True,
        metavar="ACTION",
        help="fit, predict, rank or optimize (options: schedalg law ACTION -h)",
    )

    fit = cmds.add_parser("fit", help="fit a law to logged runs")
    fit.add_argument(
        "runs", metavar="RUN", nargs="+",
        help="CSV=SCHEDULE_EXPR (a step,loss CSV) or a `schedalg train` output directory",
    )  # fmt: skip
    fit.add_argument(
        "--kind",
        choices=("multi_power", "annealing"),
        default="multi_power",
        help="the law: multi-power (Luo et al. 2025) or annealing (Tissue et al. 2024)",
    )
    fit.add_argument("--starts", type=int, default=2, help="L-BFGS starts")
    fit.add_argument("--max-iter", type=int, default=500, help="L-BFGS iterations per start")
    fit.add_argument("--out", default="runs/law", help="writes law.json and fit.png there")
    fit.set_defaults(run=cmd_law_fit)

    pred = cmds.add_parser("predict", help="predicted loss curve of a schedule")
    pred.add_argument("--law", required=True, help="law.json written by `law fit`")
    pred.add_argument("--schedule", metavar="EXPR", required=True, help="schedule")
    pred.add_argument("--steps", type=int, required=True, help="updates of the run")
    pred.add_argument("--points", type=int, default=500, help="steps predicted (evenly spaced)")
    pred.add_argument("--out", default="runs/law", help="writes predict.csv and predict.png")
    pred.set_defaults(run=cmd_law_predict)

    rank = cmds.add_parser("rank", help="rank schedules by predicted final loss")
    rank.add_argument("--law", required=True, help="law.json written by `law fit`")
    rank.add_argument("--schedules", required=True, help="file, one schedule expression a line")
    rank.add_argument("--steps", type=int, required=True, help="updates of each run")
    rank.set_defaults(run=cmd_law_rank)

    opt = cmds.add_parser("optimize", help="the schedule with the lowest predicted final loss")
    opt.add_argument("--law", required=True, help="law.json written by `law fit`")
    opt.add_argument("--steps", type=int, required=True, help="updates of the run")
    opt.add_argument("--peak", type=float, required=True, help="peak learning rate")
    opt.add_argument("--warmup", type=int, default=0, help="linear warmup steps")
    opt.add_argument("--family", choices=("free", "wsd"), default="free", help="schedule family")
    opt.add_argument(
        "--floor", type=float, default=0.0, help="lowest learning rate after the warmup"
    )
    opt.add_argument("--out", default="runs/law", help="writes schedule.json and optimize.png")
    opt.set_defaults(run=cmd_law_optimize)


def _training_options(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--epochs", type=int, help="passes over the training set (default 10)")
    p.add_argument("--batch-size", type=int, help="images per update (default 64)")
    p.add_argument(
        "--optimizer",
        choices=("adam", "adamw", "sgd", "rmsprop"),
        help="optimizer (default adam)",
    )
    p.add_argument("--seed", type=int, help="initial parameters and data order (default 0)")
    p.add_argument("--data", help=".npz with arrays x (images) and y (labels); default digits")
    p.add_argument("--out", default=out, help=f"output directory (default {out})")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="schedalg",
        description="Learning-rate schedules as data: inspect, plot, train with them.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = sub.add_parser("show", help="canonical form, summary and a terminal chart")
    show.add_argument("expr", metavar="EXPR", help="schedule expression or JSON file")
    show.add_argument("--steps", type=int, help="steps to show (default: duration or 1000)")
    show.add_argument("--width", type=int, default=64, help="chart width in characters")
    show.set_defaults(run=cmd_show)

    plot = sub.add_parser("plot", help="draw schedules into one figure")
    plot.add_argument("expr", metavar="EXPR", nargs="+", help="schedule expressions or JSON files")
    plot.add_argument("--steps", type=int, help="steps to draw (default: longest duration)")
    plot.add_argument(
        "-o", "--output", default="schedules.png", help="figure file (.png/.pdf/.svg)"
    )
    plot.add_argument("--title", default="learning-rate schedules", help="figure title")
    plot.set_defaults(run=cmd_plot)

    train = sub.add_parser("train", help="train the CNN with a schedule")
    train.add_argument("--schedule", metavar="EXPR", help="learning-rate schedule")
    _training_options(train, "runs/train")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument("--overwrite", action="store_true", help="replace a run in --out")
    train.add_argument(
        "--snapshots", action="store_true", help="snapshot ensemble at each restart's cycle end"
    )
    train.add_argument(
        "--checkpoint-every", type=int, help="also checkpoint every N updates (default: epochs)"
    )
    train.set_defaults(run=cmd_train)

    comp = sub.add_parser(
        "compare", help="every schedule family at its best peak, over seeds, with statistics"
    )
    _training_options(comp, "runs/compare")
    comp.add_argument(
        "--peak", type=float, help="centre of the peak grid (default: the LR range test's valley)"
    )
    comp.add_argument("--peaks", help="the peak grid itself, comma-separated (e.g. 1e-3,3e-3,1e-2)")
    comp.add_argument(
        "--points",
        type=int,
        help=f"peaks in the grid (default {COMPARE_POINTS}; {COMPARE_FULL['points']} with --full)",
    )
    comp.add_argument(
        "--seeds",
        type=int,
        help=f"seeds, from --seed on (default {COMPARE_SEEDS}; "
        f"{COMPARE_FULL['seeds']} with --full)",
    )
    comp.add_argument(
        "--full",
        action="store_true",
        help=f"{COMPARE_FULL['seeds']} seeds and {COMPARE_FULL['points']} peaks (unless given)",
    )
    comp.add_argument("--train-images", type=int, help="keep this many training images (harder)")
    comp.add_argument(
        "--label-noise", type=float, default=0.0, help="fraction of training labels corrupted"
    )
    comp.add_argument("--only", help="comma-separated family names to run")
    comp.set_defaults(run=cmd_compare)

    find = sub.add_parser("find-lr", help="learning-rate range test on the CNN")
    _training_options(find, "runs/find-lr")
    find.add_argument("--start", type=float, default=1e-6, help="first learning rate")
    find.add_argument("--end", type=float, default=1.0, help="last learning rate")
    find.add_argument("--steps", type=int, default=100, help="updates in the test")
    find.add_argument("--mode", choices=("exp", "linear"), default="exp", help="ramp shape")
    find.set_defaults(run=cmd_find_lr)

    learn = sub.add_parser("learn", help="learn a schedule's numbers by meta-gradient descent")
    learn.add_argument("--schedule", metavar="EXPR", required=True, help="starting schedule")
    learn.add_argument(
        "--params", help="comma-separated: peak, end, warmup, steps, exponent or leaf paths"
    )
    learn.add_argument("--knots", type=int, help="learn a free curve with K knot values instead")
    learn.add_argument("--smooth", type=float, default=0.0, help="knot smoothness penalty")
    learn.add_argument("--meta-steps", type=int, default=20, help="meta-gradient steps")
    learn.add_argument("--meta-lr", type=float, default=0.3, help="meta step size (log space)")
    learn.add_argument("--steps", type=int, help="updates per run (default: schedule duration)")
    learn.add_argument("--segment", type=int, help="steps per checkpointed segment")
    _training_options(learn, "runs/learn")
    learn.set_defaults(run=cmd_learn)

    sweep = sub.add_parser("sweep", help="train a grid of schedules as one population")
    sweep.add_argument("--schedule", metavar="EXPR", required=True, help="schedule to vary")
    sweep.add_argument(
        "--grid",
        metavar="NAME=VALUES",
        action="append",
        required=True,
        help="a number to vary (peak, warmup, steps, end or a leaf path such as "
        "schedule.steps) and its values (1e-4:1e-2:log:8, 0:100:lin:5 or 0,30,120)",
    )
    sweep.add_argument(
        "--population-chunk", type=int, default=512, help="most members trained at once"
    )
    sweep.add_argument(
        "--metric",
        default="final_val_loss",
        choices=("final_val_loss", "best_val_loss", "final_val_acc", "best_val_acc",
                 "final_train_loss"),
        help="ranking metric (default final_val_loss)",
    )  # fmt: skip
    _training_options(sweep, "runs/sweep")
    sweep.add_argument(
        "--checkpoint-epochs",
        type=int,
        default=1,
        metavar="N",
        help="checkpoint the population into OUT/checkpoints every N epochs (0: never); "
        "a relaunched sweep resumes from the latest one (default 1)",
    )
    sweep.add_argument(
        "--keep-checkpoints", type=int, default=2, metavar="N", help="checkpoints kept (default 2)"
    )
    multi = sweep.add_argument_group(
        "several processes (jax.distributed; found by itself under SLURM, Open MPI, Cloud TPU)"
    )
    multi.add_argument("--coordinator", metavar="HOST:PORT", help="address of process 0")
    multi.add_argument("--num-processes", type=int, metavar="N", help="number of processes")
    multi.add_argument("--process-id", type=int, metavar="I", help="this process, 0 to N-1")
    sweep.set_defaults(run=cmd_sweep)
    _law_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = parser().parse_args(argv)
    name = " ".join(filter(None, (args.command, getattr(args, "law_command", None))))
    try:
        return args.run(args)
    except (UsageError, ValueError) as err:
        message = " ".join(str(err).split())  # one line, whatever the source
        print(f"schedalg {name}: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"schedalg {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
