"""``schedalg sweep``: a grid over a schedule's numbers, trained as one population.

``--grid NAME=VALUES`` names one number of the ``--schedule`` expression and lists its
choices; the grids' cartesian product is one batched schedule, trained by
:func:`~schedalg.train.population.train_population` (one CNN per member, same initial
parameters and batches for all), then ranked in a table and drawn in a figure.

Names (resolved on the parsed schedule; the *main* schedule is the root, followed
through the ``schedule`` child of wrappers such as ``warmup``, ``restart``, ``scale``,
``clip``, ``shift``, ``stretch``, ``per_epoch``):

=========  ==================================================================
``peak``   the main schedule's top value: its ``peak`` (wsd, one_cycle,
           inverse_sqrt), else ``start`` (cosine, linear, polynomial, step,
           multistep, exponential, ...), ``high`` (cyclic) or ``value`` (constant)
``end``    the main schedule's ``end``
``steps``  the main schedule's ``steps`` (its length)
``warmup`` the ``steps`` of the first ``warmup`` node, else a wsd's ``warmup``
a path     any numeric leaf by its path, as :func:`schedalg.check` names it, with or
           without the root's name: ``schedule.steps``, ``warmup.schedule.start``,
           ``pieces[1].steps``; ``milestones[0]`` is one entry of a vector leaf
=========  ==================================================================

VALUES: ``a:b:log:N`` (N log-spaced values), ``a:b:lin:N`` or ``a:b:N`` (evenly spaced),
``v1,v2,...`` (a list), or for a whole vector leaf ``[1,2];[3,4]``. Integer leaves
(step counts) take integers; evenly or log-spaced choices are rounded to integers.

Example:
    >>> import schedalg as sa
    >>> from schedalg.train.sweep import grid_schedule
    >>> batch, axes = grid_schedule(
    ...     sa.parse("warmup(cosine(1e-3, 0.0, 600), 60)"),
    ...     ["peak=1e-4:1e-2:log:3", "warmup=0,30"])
    >>> [(a.name, a.path, a.values.tolist()) for a in axes]
    [('peak', 'schedule.start', [0.0001, 0.001, 0.01]), ('warmup', 'steps', [0, 30])]
    >>> sa.batch_shape(batch)
    (3, 2)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from schedalg._batch import batch_shape, check
from schedalg._core import Schedule
from schedalg._tree import leaf_fields, main, role_path
from schedalg.train.data import Dataset
from schedalg.train.files import check_writable, write_csv, write_text
from schedalg.train.population import CHUNK, PopulationResult, member, train_population
from schedalg.train.run import Config

#: Ranking metrics: name -> True when larger is better.
METRICS = {
    "final_val_loss": False,
    "best_val_loss": False,
    "final_val_acc": True,
    "best_val_acc": True,
    "final_train_loss": False,
}
ALIASES = ("peak", "end", "steps", "warmup")
#: Default checkpoint interval (population epochs) and number of checkpoints kept.
CHECKPOINT_EVERY = 1
KEEP_CHECKPOINTS = 2
MAX_CHOICES = 100_000


@dataclasses.dataclass(frozen=True)
class Axis:
    """One swept number: its ``--grid`` name, its leaf path and its choices."""

    name: str
    path: str
    values: np.ndarray
    log: bool = False


# ----------------------------------------------------------------------------
# Names -> leaves


def _paths(schedule: Schedule) -> dict[str, tuple[Any, int]]:
    return {path: (value, rank) for path, _, value, rank in leaf_fields(schedule)}


def _alias(schedule: Schedule, name: str, paths: dict) -> str:
    path = role_path(schedule, name)  # the classes' own declarations, as learn reads them
    if path is not None:
        return path
    if name == "warmup":
        raise ValueError(f"sweep: --grid warmup: {schedule!r} has no warmup node or wsd warmup")
    raise ValueError(
        f"sweep: --grid {name}: the main schedule {main(schedule)[0].name}(...) has no "
        f"{name} number; name a leaf path instead: {', '.join(paths)}"
    )


def resolve(schedule: Schedule, name: str) -> tuple[str, int | None]:
    """The leaf path a ``--grid`` name refers to, and the vector entry (or ``None``).

    Example:
        >>> import schedalg as sa
        >>> from schedalg.train.sweep import resolve
        >>> s = sa.parse("warmup(multistep(0.1, [100, 200], 0.1), 10)")
        >>> resolve(s, "peak"), resolve(s, "warmup.schedule.milestones[1]")
        (('schedule.start', None), ('schedule.milestones', 1))
    """
    paths = _paths(schedule)
    if name in ALIASES:
        return _alias(schedule, name, paths), None
    key = name.lstrip(".")
    if key not in paths and key.startswith(f"{schedule.name}."):
        key = key[len(schedule.name) + 1 :]
    if key in paths:
        return key, None
    m = re.fullmatch(r"(.+)\[(\d+)\]", key)
    if m and m.group(1) in paths and paths[m.group(1)][1] == 1:
        size = np.shape(paths[m.group(1)][0])[-1]
        if int(m.group(2)) >= size:
            raise ValueError(f"sweep: --grid {name}: {m.group(1)} has only {size} entries")
        return m.group(1), int(m.group(2))
    raise ValueError(
        f"sweep: --grid {name}: unknown parameter of {schedule!r}; use one of "
        f"{', '.join(ALIASES)} or a leaf path: {', '.join(paths)}"
    )


# ----------------------------------------------------------------------------
# Values


def _number(text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"sweep: --grid {spec}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"sweep: --grid {spec}: {text!r} is not finite")
    return value


def parse_values(text: str, spec: str, integer: bool) -> tuple[np.ndarray, bool]:
    """The choices of one ``--grid`` (and whether they are log-spaced).

    Example:
        >>> from schedalg.train.sweep import parse_values
        >>> parse_values("0:120:lin:5", "warmup=...", integer=True)[0].tolist()
        [0, 30, 60, 90, 120]
    """
    log = False
    if text.startswith("["):
        try:
            rows = [json.loads(part) for part in text.split(";")]
            values = np.asarray(rows, dtype=np.float64)
        except (json.JSONDecodeError, ValueError, TypeError):
            raise ValueError(
                f"sweep: --grid {spec}: vectors must be lists of numbers of one length "
                "separated by ';', e.g. [100,200];[150,300]"
            ) from None
        if values.ndim != 2 or not np.all(np.isfinite(values)):
            raise ValueError(f"sweep: --grid {spec}: vectors must be finite lists of numbers")
    elif ":" in text:
        parts = text.split(":")
        kind = parts[2] if len(parts) == 4 else "lin"
        if len(parts) not in (3, 4) or kind not in ("lin", "log"):
            raise ValueError(
                f"sweep: --grid {spec}: a range is START:STOP:log:N, START:STOP:lin:N or "
                "START:STOP:N"
            )
        start, stop = _number(parts[0], spec), _number(parts[1], spec)
        count = _number(parts[-1], spec)
        if count != int(count) or not 1 <= count <= MAX_CHOICES:
            raise ValueError(
                f"sweep: --grid {spec}: N must be an integer in [1, {MAX_CHOICES}], got {parts[-1]}"
            )
        if kind == "log":
            if start <= 0 or stop <= 0:
                raise ValueError(f"sweep: --grid {spec}: a log range needs START, STOP > 0")
            values, log = np.geomspace(start, stop, int(count)), True
        else:
            values = np.linspace(start, stop, int(count))
    else:
        values = np.asarray([_number(v, spec) for v in text.split(",")])
    if values.size == 0 or len(values) > MAX_CHOICES:
        raise ValueError(f"sweep: --grid {spec}: needs 1 to {MAX_CHOICES} choices")
    if integer:
        if ":" in text:
            values = np.round(values)
        elif not np.all(values == np.round(values)):
            raise ValueError(f"sweep: --grid {spec}: this leaf is a step count; use integers")
        values = values.astype(np.int64)
    if len(np.unique(values, axis=0)) != len(values):
        raise ValueError(f"sweep: --grid {spec}: the choices repeat (after rounding to integers)")
    return values, log


def grid_schedule(schedule: Schedule, specs: Sequence[str]) -> tuple[Schedule, list[Axis]]:
    """The batched schedule of ``--grid`` specs: batch shape = the choices per grid.

    Errors name the grid, the leaf and the rule (``sweep: --grid warmup=-5: ...``).
    """
    if not specs:
        raise ValueError("sweep: needs at least one --grid NAME=VALUES")
    if batch_shape(schedule):
        raise ValueError(f"sweep: --schedule must be one schedule, got a batch: {schedule!r}")
    leaves, treedef = jax.tree_util.tree_flatten_with_path(schedule)
    where = {jax.tree_util.keystr(path).lstrip("."): i for i, (path, _) in enumerate(leaves)}
    values = [np.asarray(v) for _, v in leaves]
    axes: list[Axis] = []
    targets: list[tuple[str, int | None]] = []
    for spec in specs:
        if "=" not in spec:
            raise ValueError(
                f"sweep: --grid {spec}: expected NAME=VALUES, e.g. peak=1e-4:1e-2:log:8"
            )
        name, text = (part.strip() for part in spec.split("=", 1))
        path, entry = resolve(schedule, name)
        if (path, entry) in targets:
            raise ValueError(f"sweep: --grid {spec}: {path} is already swept by another --grid")
        leaf = values[where[path]]
        vector = entry is None and leaf.ndim == 1
        choices, log = parse_values(text, spec, np.issubdtype(leaf.dtype, np.integer))
        if vector != (choices.ndim == 2) or (vector and choices.shape[1] != leaf.shape[-1]):
            need = f"vectors of {leaf.shape[-1]} numbers" if vector else "numbers"
            raise ValueError(f"sweep: --grid {spec}: {path} takes {need}")
        full = path if entry is None else f"{path}[{entry}]"
        axes.append(Axis(name if name in ALIASES else full, full, choices, log))
        targets.append((path, entry))
    k = len(axes)
    for i, (axis, (path, entry)) in enumerate(zip(axes, targets)):
        shape = [1] * k
        shape[i] = len(axis.values)
        j = where[path]
        if entry is None:
            values[j] = axis.values.reshape(shape + list(axis.values.shape[1:]))
        else:  # one entry of a vector leaf (possibly swept before): the others stay
            base = values[j]
            dtype = np.result_type(base, axis.values)
            new = np.broadcast_to(
                base, np.broadcast_shapes(base.shape[:-1], shape) + base.shape[-1:]
            )
            new = new.astype(dtype)  # a copy
            new[..., entry] = np.broadcast_to(axis.values.reshape(shape), new.shape[:-1])
            values[j] = new
    batched = jax.tree_util.tree_unflatten(treedef, values)
    try:
        check(batched)
    except ValueError as err:
        raise ValueError(f"sweep: the grid makes an invalid schedule: {err}") from None
    return batched, axes


# ----------------------------------------------------------------------------
# The sweep


@dataclasses.dataclass
class SweepResult:
    """A trained sweep: the population, its axes, the ranking and the files written."""

    population: PopulationResult
    axes: list[Axis]
    metric: str
    order: np.ndarray
    files: dict[str, str]

    @property
    def best(self) -> Schedule:
        return self.population.member_schedule(int(self.order[0]))

    def scores(self) -> np.ndarray:
        return self.population.summary()[self.metric].reshape(-1)


def rank(values: np.ndarray, larger_is_better: bool) -> np.ndarray:
    """Flat indices from best to worst; NaN (diverged members) last, ties by index."""
    v = np.asarray(values, np.float64).reshape(-1)
    key = np.where(np.isnan(v), np.inf, -v if larger_is_better else v)
    return np.lexsort((np.arange(v.size), key))


def run_sweep(
    schedule: Schedule,
    grids: Sequence[str],
    data: Dataset,
    config: Config,
    out_dir: str | None,
    *,
    metric: str = "final_val_loss",
    chunk: int = CHUNK,
    progress: bool | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
    keep_checkpoints: int = KEEP_CHECKPOINTS,
) -> SweepResult:
    """Builds the grid, trains the population, writes ``results.csv``, ``results.md``,
    ``sweep.png`` and ``summary.json`` into ``out_dir`` (when given).

    With ``out_dir``, the population is checkpointed into ``out_dir/checkpoints`` every
    ``checkpoint_every`` epochs (0: never), and a sweep whose checkpoints are there
    resumes from the latest complete one. On several processes (``jax.distributed``),
    every process runs this with the same arguments; process 0 writes the files.
    """
    if metric not in METRICS:
        raise ValueError(f"sweep: --metric must be one of {sorted(METRICS)}, got {metric!r}")
    config.check(data)
    if out_dir is not None:
        check_writable(out_dir, "sweep")
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int):
        raise ValueError(f"sweep: --checkpoint-epochs must be an integer, got {checkpoint_every!r}")
    if checkpoint_every < 0:
        raise ValueError(f"sweep: --checkpoint-epochs must be >= 0, got {checkpoint_every}")
    if isinstance(keep_checkpoints, bool) or not isinstance(keep_checkpoints, int):
        raise ValueError(f"sweep: --keep-checkpoints must be an integer, got {keep_checkpoints!r}")
    if keep_checkpoints < 1:
        raise ValueError(f"sweep: --keep-checkpoints must be >= 1, got {keep_checkpoints}")
    batched, axes = grid_schedule(schedule, grids)
    store = checkpoint_dir(out_dir) if checkpoint_every else None
    population = train_population(
        batched,
        data,
        config,
        chunk=chunk,
        progress=progress,
        checkpoint=store,
        checkpoint_every=checkpoint_every or 1,
        keep_checkpoints=keep_checkpoints,
    )
    order = rank(population.summary()[metric], METRICS[metric])
    result = SweepResult(population, axes, metric, order, {})
    if out_dir is not None and jax.process_index() == 0:  # one writer on several hosts
        os.makedirs(out_dir, exist_ok=True)
        result.files = write_results(result, schedule, out_dir)
    return result


def checkpoint_dir(out_dir: str | None) -> str | None:
    """Where a sweep's checkpoints go: ``out_dir/checkpoints``."""
    return None if out_dir is None else os.path.join(out_dir, "checkpoints")


def latest_checkpoint(out_dir: str | None) -> int | None:
    """The latest complete checkpoint's step (epochs done) in ``out_dir``, read from the
    directory names alone (no orbax, no JAX: safe in an error handler)."""
    path = checkpoint_dir(out_dir)
    if path is None or not os.path.isdir(path):
        return None
    steps = [int(name) for name in os.listdir(path) if name.isdigit()]
    return max(steps, default=None)


def _rows(result: SweepResult) -> tuple[list[str], list[list[Any]]]:
    pop = result.population
    stats = {k: v.reshape(-1) for k, v in pop.summary().items()}
    grids = np.meshgrid(*[np.arange(len(a.values)) for a in result.axes], indexing="ij")
    columns = ["rank", "member", *(a.name for a in result.axes), *METRICS, "schedule"]
    flat_sched = _flat(pop)
    rows = []
    for r, i in enumerate(result.order):
        params = [_fmt(a.values[g.reshape(-1)[i]]) for a, g in zip(result.axes, grids)]
        scores = [_fmt(stats[k][i]) for k in METRICS]
        rows.append([r + 1, int(i), *params, *scores, repr(member(flat_sched, int(i)))])
    return columns, rows


def _flat(pop: PopulationResult) -> Schedule:
    from schedalg.train.population import flatten

    return flatten(pop.schedule, pop.batch_shape)


def _fmt(x: Any) -> str:
    x = np.asarray(x)
    if x.ndim:
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    if np.issubdtype(x.dtype, np.integer):
        return str(int(x))
    return f"{float(x):.6g}"


def write_results(result: SweepResult, base: Schedule, out_dir: str) -> dict[str, str]:
    """The table (CSV and markdown), the figure and a JSON summary; returns the paths."""
    columns, rows = _rows(result)
    files = {"csv": os.path.join(out_dir, "results.csv")}
    write_csv(files["csv"], columns, rows)
    pop, cfg = result.population, result.population.config
    better = "higher" if METRICS[result.metric] else "lower"
    lines = [
        "# Sweep",
        "",
        f"Schedule: `{base!r}`; grid: "
        + ", ".join(f"`{a.name}` ({a.path}, {len(a.values)} values)" for a in result.axes)
        + f"; {pop.size} members.",
        f"Training: {cfg.epochs} epochs, batch {cfg.batch_size}, {cfg.optimizer}, seed "
        f"{cfg.seed} (same initial parameters and batches for every member); "
        f"{pop.seconds:.1f} s on {pop.devices} device(s).",
        f"Ranked by `{result.metric}` ({better} is better).",
        "",
        f"Best: `{result.best!r}`",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(str(v) for v in row[:-1]) + f" | `{row[-1]}` |" for row in rows]
    files["markdown"] = os.path.join(out_dir, "results.md")
    write_text(files["markdown"], "\n".join(lines) + "\n")
    files["figure"] = plot_sweep(result, os.path.join(out_dir, "sweep.png"))
    best = int(result.order[0])
    summary = {
        "schedule": repr(base),
        "grid": [
            {"name": a.name, "path": a.path, "values": a.values.tolist()} for a in result.axes
        ],
        "members": pop.size,
        "metric": result.metric,
        "best": {
            "member": best,
            "schedule": repr(result.best),
            "score": float(result.scores()[best]),
        },
        "config": cfg.to_dict(),
        "seconds": pop.seconds,
        "devices": pop.devices,
    }
    files["summary"] = os.path.join(out_dir, "summary.json")
    write_text(files["summary"], json.dumps(summary, indent=2) + "\n")
    return files


# ----------------------------------------------------------------------------
# The figure


def _ticks(axis: Axis, limit: int = 12) -> tuple[np.ndarray, list[str]]:
    n = len(axis.values)
    at = np.unique(np.linspace(0, n - 1, min(n, limit)).round().astype(int))
    short = lambda v: f"{v:.3g}" if np.issubdtype(np.asarray(v).dtype, np.floating) else _fmt(v)
    return at, [short(axis.values[i]) for i in at]


def plot_sweep(result: SweepResult, path: str) -> str:
    """The metric over the swept numbers: a line (one grid), a heatmap (two) or
    parallel coordinates (more); the best member is marked. Returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes, metric = result.axes, result.metric
    score = result.population.summary()[metric]
    better = "higher" if METRICS[metric] else "lower"
    best = np.unravel_index(int(result.order[0]), score.shape)
    title = f"{metric} ({better} is better) over {result.population.size} schedules"
    if len(axes) == 1 and axes[0].values.ndim == 1:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        x = axes[0].values.astype(np.float64)
        ax.plot(x, score, "o-", color="#1f77b4", markersize=3)
        ax.plot(x[best[0]], score[best], "*", color="#d62728", markersize=14, label="best")
        if axes[0].log:
            ax.set_xscale("log")
        ax.set_xlabel(f"{axes[0].name} ({axes[0].path})")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    elif len(axes) == 2:
        fig, ax = plt.subplots(figsize=(max(6.0, min(14.0, 3 + 0.18 * score.shape[0])), 4.8))
        image = ax.imshow(
            np.ma.masked_invalid(score.T),
            origin="lower",
            aspect="auto",
            cmap="viridis" if METRICS[metric] else "viridis_r",
            interpolation="nearest",
        )
        bar = fig.colorbar(image, ax=ax)
        bar.set_label(metric)
        for k, setter in ((0, ax.set_xticks), (1, ax.set_yticks)):
            at, labels = _ticks(axes[k])
            rotated: dict[str, Any] = {"rotation": 45, "ha": "right"} if k == 0 else {}
            setter(at, labels, **rotated)
        ax.plot(best[0], best[1], "*", color="#d62728", markersize=16, markeredgecolor="white")
        ax.set_xlabel(f"{axes[0].name} ({axes[0].path})")
        ax.set_ylabel(f"{axes[1].name} ({axes[1].path})")
    else:  # parallel coordinates: one vertical axis per grid, then the metric
        fig, ax = plt.subplots(figsize=(2.2 * (len(axes) + 1) + 2, 4.8))
        grids = np.meshgrid(*[np.arange(len(a.values)) for a in axes], indexing="ij")
        cols = [g.reshape(-1) / max(1, len(a.values) - 1) for a, g in zip(axes, grids)]
        flat = score.reshape(-1).astype(np.float64)
        finite = np.isfinite(flat)
        lo, hi = (flat[finite].min(), flat[finite].max()) if finite.any() else (0.0, 1.0)
        cols.append((flat - lo) / (hi - lo if hi > lo else 1.0))
        cmap = plt.get_cmap("viridis" if METRICS[metric] else "viridis_r")
        norm = matplotlib.colors.Normalize(lo, hi)
        xs = np.arange(len(cols))
        for i in np.argsort(-np.nan_to_num(cols[-1], nan=-1.0) * (1 if METRICS[metric] else -1)):
            if finite[i]:
                ax.plot(xs, [c[i] for c in cols], color=cmap(norm(flat[i])), alpha=0.5, lw=0.8)
        i = int(result.order[0])
        ax.plot(xs, [c[i] for c in cols], color="#d62728", lw=2.5, label="best")
        for k, a in enumerate(axes):
            ax.text(k, -0.06, _fmt(a.values[0]), ha="center", va="top", fontsize=8)
            ax.text(k, 1.04, _fmt(a.values[-1]), ha="center", va="bottom", fontsize=8)
        ax.text(len(axes), -0.06, f"{lo:.4g}", ha="center", va="top", fontsize=8)
        ax.text(len(axes), 1.04, f"{hi:.4g}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(xs, [a.name for a in axes] + [metric])
        ax.set_yticks([])
        ax.set_ylim(-0.16, 1.2)
        for k in range(len(cols)):
            ax.axvline(k, color="black", lw=0.6)
        fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=ax, label=metric)
        ax.legend(loc="best", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def command(args: Any, schedule: Schedule, config: Config, data: Dataset) -> int:
    """The ``schedalg sweep`` command after its arguments are parsed (see ``cli.py``).

    On several processes each runs this: process 0 prints the report and writes the
    files, every process prints its own progress line, and a process that loses
    another exits at once with one line saying how to resume.
    """
    from schedalg.train import distributed

    chunk = args.population_chunk
    if chunk < 1:
        raise ValueError(f"sweep: --population-chunk must be >= 1, got {chunk}")
    every = getattr(args, "checkpoint_epochs", CHECKPOINT_EVERY)
    keep = getattr(args, "keep_checkpoints", KEEP_CHECKPOINTS)
    spe = len(data.y_train) // config.batch_size
    batched, axes = grid_schedule(schedule, args.grid)  # fails before anything is written
    n = math.prod(len(a.values) for a in axes)
    shape = " x ".join(f"{len(a.values)} {a.name}" for a in axes)
    lead = jax.process_index() == 0  # the one process that reports
    say = print if lead else lambda *a, **k: None
    say(data.describe())
    processes = f" in {jax.process_count()} processes" if jax.process_count() > 1 else ""
    say(
        f"{n} members ({shape}), {config.epochs} epochs of {spe} updates each, "
        f"{math.ceil(n / chunk)} chunk(s) of at most {chunk}, {len(jax.devices())} "
        f"device(s){processes}"
    )
    del batched

    def hint() -> str:
        step = latest_checkpoint(args.out) if every else None
        where = f"epoch {step} in {checkpoint_dir(args.out)}" if step else "the start"
        return (
            f"relaunch all {jax.process_count()} processes with the same command to resume "
            f"from {where}"
        )

    with distributed.guard("sweep", hint):
        result = run_sweep(
            schedule,
            args.grid,
            data,
            config,
            args.out,
            metric=args.metric,
            chunk=chunk,
            progress=False if args.quiet else None,
            checkpoint_every=every,
            keep_checkpoints=keep,
        )
    scores = result.scores()
    if result.population.resumed:
        say(f"resumed from the checkpoint after epoch {result.population.resumed} in "
            f"{checkpoint_dir(args.out)}")  # fmt: skip
    say(f"trained in {result.population.seconds:.1f} s; best {args.metric} per rank:")
    columns, rows = _rows(result)
    for row in rows[:5]:
        params = ", ".join(f"{c}={v}" for c, v in zip(columns[2:], row[2 : 2 + len(axes)]))
        say(f"  {row[0]:>3}. {params}: {args.metric} {_fmt(scores[row[1]])}")
    say(f"best schedule: {result.best!r}")
    for path in result.files.values():
        say(f"wrote {path}")
    return 0
