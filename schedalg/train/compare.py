"""Compare schedule families, each at its own best peak, over several seeds, at once.

What :func:`compare` does (``schedalg compare``, ``make demo``):

1. **One population.** Every family of :func:`families` is built at every peak of a
   log grid (:func:`peak_grid`, centred on the LR range test's "valley" suggestion
   unless given) and tabulated as ``sa.piecewise_linear(range(T), values)``: one tree
   structure for all, so every family at every peak is a member of one batched
   schedule and the population engine
   (:func:`~schedalg.train.population.train_population`) trains them all in one
   compiled program (ReduceLROnPlateau members carry a plateau rule; the others a rule
   whose scale cannot move, ``min_scale=1``). The program runs once per seed and is
   compiled once.
2. **Paired seeds.** Seed ``s`` fixes the initial parameters *and* the order of the
   batches; within a seed every family and peak starts from the same parameters and
   sees the same batches, so family differences are paired by seed.
3. **The best peak without inflating the score**
   (:func:`~schedalg.train.stats.leave_one_out_choice`): each seed's score is read at
   the peak that is best on the *other* seeds (lowest mean final validation loss), so
   no seed scores the choice it made. The optimism this avoids (choosing and scoring
   on the same seeds) is reported.
4. **Statistics** (:mod:`schedalg.train.stats`): mean ± sd and the 95 % Student-t
   interval of the final validation loss, validation accuracy and final training loss;
   the rank by mean final validation loss; for each family the two-sided paired t-test
   of its per-seed validation losses against the winner's, Holm-adjusted over the
   families; a plain statement of whether the winner's advantage is significant.
5. **Files** (:mod:`schedalg.train.compare_report`): ``report.md``, ``compare.png``
   (learning rates, validation-loss curves with seed bands, the peak-sensitivity plot,
   the intervals) and ``results.json`` (every member's per-epoch metrics).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import schedalg as sa
from schedalg._core import Schedule
from schedalg.plateau import reduce_on_plateau
from schedalg.train.data import Dataset
from schedalg.train.files import check_writable
from schedalg.train.run import Config
from schedalg.train.stats import (
    Interval,
    PairedTest,
    holm,
    leave_one_out_choice,
    paired_t_test,
    t_interval,
)

#: Top learning rate of :func:`families` when none is given.
PEAK = 1e-2
#: Peaks per family in the grid, and the factor between neighbours (half a decade).
POINTS, STEP = 5, math.sqrt(10.0)
#: Seeds per member (``make demo``), and ``schedalg compare --full``'s seeds and peaks.
SEEDS = 3
FULL = {"seeds": 10, "points": 7}
#: Confidence level of the intervals and level of the tests.
LEVEL, ALPHA = 0.95, 0.05
#: The metrics summarized per family (key in the population's metrics, label).
METRICS = (
    ("val_loss", "final val loss"),
    ("val_acc", "final val acc"),
    ("train_loss", "final train loss"),
)


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


def peak_grid(center: float, points: int = POINTS, step: float = STEP) -> np.ndarray:
    """``points`` log-spaced peaks centred on ``center``, ``step`` apart, 3 digits each.

    Example:
        >>> peak_grid(3e-3).tolist()
        [0.0003, 0.000949, 0.003, 0.00949, 0.03]
    """
    if not (isinstance(center, (int, float)) and math.isfinite(center) and center > 0):
        raise ValueError(f"compare: the centre peak must be > 0, got center={center!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"compare: points must be an integer >= 1, got points={points!r}")
    if not step > 1:
        raise ValueError(f"compare: step must be > 1, got step={step!r}")
    k = np.arange(points) - (points - 1) / 2
    return np.array([float(f"{center * step**i:.3g}") for i in k])


def _chosen(only: Sequence[str] | None, total: int, epochs: int) -> list[str]:
    names = [f.name for f in families(total, PEAK, epochs)]
    if not only:
        return names
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ValueError(f"compare: unknown families {unknown}; choose from {names}")
    return [n for n in names if n in only]


def population(
    names: Sequence[str], peaks: Sequence[float] | np.ndarray, total: int, epochs: int
) -> tuple[Schedule, reduce_on_plateau | None, np.ndarray]:
    """Every named family at every peak as one batched schedule of batch ``(F, P)``.

    Each member is tabulated, ``sa.piecewise_linear(range(total), values)``, so members
    of different structures share one tree structure (the population engine's
    requirement). The plateau rule (``None`` without the plateau family) is batched
    the same way: the plateau family's own rule, and ``min_scale=1`` (a scale that
    never moves) for the others.

    Returns:
        ``(schedule, rule, values)`` with ``values`` the ``(F, P, total)`` table.
    """
    steps = np.arange(total)
    values = np.zeros((len(names), len(peaks), total), np.float32)
    rule = None
    for j, peak in enumerate(peaks):
        by_name = {f.name: f for f in families(total, float(peak), epochs)}
        for i, name in enumerate(names):
            fam = by_name[name]
            values[i, j] = np.asarray(sa.evaluate(fam.schedule, steps), np.float32)
            rule = fam.plateau if fam.plateau is not None else rule
    schedule = sa.piecewise_linear(steps, values)
    if rule is not None:
        plateau = np.array([n == "plateau" for n in names])[:, None]
        floor = np.broadcast_to(np.where(plateau, rule.min_scale, 1.0), values.shape[:2])
        rule = dataclasses.replace(rule, min_scale=np.ascontiguousarray(floor))
    return schedule, rule, values


# ----------------------------------------------------------------------------
# Statistics of a finished population


@dataclasses.dataclass(frozen=True)
class FamilyStats:
    """One family's row of the report.

    Attributes:
        name: the family.
        rank: 1 for the lowest mean final validation loss.
        peak: the peak chosen on all seeds (drawn in the figure).
        seed_peaks: per seed, the peak chosen on the other seeds (where it was scored).
        intervals: per metric (``val_loss``, ``val_acc``, ``train_loss``), the
            :class:`~schedalg.train.stats.Interval` of the per-seed scores.
        scores: per metric, the per-seed scores.
        test: the paired t-test of this family's validation losses against the
            winner's (``None`` for the winner).
        p_holm: the Holm-adjusted p-value of ``test`` (``None`` for the winner).
        optimism: how much lower the mean validation loss would look had the peak been
            chosen and scored on the same seeds (see :func:`analyze`).
        diverged: members of this family (any peak, any seed) whose validation loss
            was not finite.
    """

    name: str
    rank: int
    peak: float
    seed_peaks: tuple[float, ...]
    intervals: dict[str, Interval]
    scores: dict[str, np.ndarray]
    test: PairedTest | None
    p_holm: float | None
    optimism: float
    diverged: int

    @property
    def significant(self) -> bool | None:
        """Whether it differs from the winner at level :data:`ALPHA` after Holm."""
        return None if self.p_holm is None else bool(self.p_holm < ALPHA)


def analyze(
    names: Sequence[str],
    peaks: Sequence[float] | np.ndarray,
    finals: dict[str, np.ndarray],
    classes: int = 10,
    level: float = LEVEL,
) -> list[FamilyStats]:
    """Each family's statistics from its final metrics, ranked (best first).

    Args:
        names: the families, ``F``.
        peaks: the peak grid, ``P``.
        finals: ``val_loss``, ``val_acc`` and ``train_loss`` after the last epoch, each
            ``(F, P, S)`` for ``S >= 2`` seeds. A diverged run's non-finite numbers are
            scored as a uniform guess: losses ``ln(classes)``, accuracy ``1 / classes``.
        classes: number of classes (the diverged runs' score).
        level: the confidence level of the intervals.

    The peak of seed ``s`` is chosen on the other seeds
    (:func:`~schedalg.train.stats.leave_one_out_choice` on the validation loss); the
    family's scores are its members at those peaks, one per seed. ``optimism`` is how
    much lower the mean validation loss would have looked had the peak been chosen and
    scored on the same seeds (its in-sample minimum over the grid).
    """
    loss = np.asarray(finals["val_loss"], np.float64)
    if loss.ndim != 3 or loss.shape[:2] != (len(names), len(peaks)):
        raise ValueError(
            f"compare: finals must be (families, peaks, seeds) = ({len(names)}, {len(peaks)}, S),"
            f" got {loss.shape}"
        )
    if loss.shape[2] < 2:
        raise ValueError(f"compare: statistics need at least 2 seeds, got {loss.shape[2]}")
    bad = ~np.isfinite(loss)
    chance = {"val_loss": math.log(classes), "train_loss": math.log(classes)}
    chance["val_acc"] = 1.0 / classes
    fixed = {}
    for key, _ in METRICS:
        v = np.asarray(finals[key], np.float64)
        fixed[key] = np.where(np.isfinite(v), v, chance[key])
    loss = fixed["val_loss"]
    seeds = np.arange(loss.shape[2])
    rows = []
    for i, name in enumerate(names):
        choice = leave_one_out_choice(loss[i])  # (S,) peak index per seed
        scores = {k: fixed[k][i, choice, seeds] for k, _ in METRICS}
        overall = int(np.argmin(loss[i].mean(-1)))
        optimism = float(scores["val_loss"].mean() - loss[i].mean(-1).min())
        rows.append(
            dict[str, Any](
                name=name,
                peak=float(peaks[overall]),
                seed_peaks=tuple(float(peaks[c]) for c in choice),
                scores=scores,
                intervals={k: t_interval(v, level) for k, v in scores.items()},
                optimism=optimism,
                diverged=int(bad[i].sum()),
            )
        )
    order = sorted(range(len(rows)), key=lambda i: rows[i]["intervals"]["val_loss"].mean)
    best = rows[order[0]]["scores"]["val_loss"]
    tests = {i: paired_t_test(rows[i]["scores"]["val_loss"], best) for i in order[1:]}
    adjusted = dict(zip(tests, holm([t.p for t in tests.values()]))) if tests else {}
    return [
        FamilyStats(
            rank=r + 1, test=tests.get(i), p_holm=None if r == 0 else float(adjusted[i]), **rows[i]
        )
        for r, i in enumerate(order)
    ]


@dataclasses.dataclass(frozen=True)
class Separation:
    """How well the task separates the families (item 4 of the issue).

    Attributes:
        between: standard deviation of the families' mean final validation losses.
        within: pooled seed standard deviation, ``sqrt(mean of the families' variances)``.
        spread: best-to-worst range of the families' means.
    """

    between: float
    within: float
    spread: float

    @property
    def ratio(self) -> float:
        """``between / within``: above 1, families differ by more than seeds do."""
        return self.between / self.within if self.within > 0 else math.inf


def separation(stats: Sequence[FamilyStats]) -> Separation:
    """The between-family spread of the mean final validation loss against the seed sd."""
    means = np.array([s.intervals["val_loss"].mean for s in stats])
    sds = np.array([s.intervals["val_loss"].sd for s in stats])
    between = float(means.std(ddof=1)) if len(means) > 1 else 0.0
    return Separation(between, float(np.sqrt(np.mean(sds**2))), float(np.ptp(means)))


# ----------------------------------------------------------------------------
# The comparison


@dataclasses.dataclass
class Comparison:
    """A finished comparison.

    Attributes:
        names: the families, ``F``.
        peaks: the peak grid, ``P``.
        seeds: the seeds, ``S``.
        config: the settings (``config.seed`` is replaced by each seed in turn).
        data: the dataset's description.
        metrics: per epoch, ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
            ``lr``, each ``(F, P, S, epochs)``.
        lr: the learning rate of every update read from the optimizer states,
            ``(F, P, S, steps)``.
        stats: per family, ranked: :class:`FamilyStats`.
        center: the grid's centre and where it came from (``"range test"``,
            ``"--peak"`` or ``"--peaks"``).
        seconds: wall time, the range test, compilation and every seed included.
        devices: devices the population was sharded over.
        report, figure: the files written, if any.
    """

    names: list[str]
    peaks: np.ndarray
    seeds: np.ndarray
    config: Config
    data: str
    metrics: dict[str, np.ndarray]
    lr: np.ndarray
    stats: list[FamilyStats]
    center: tuple[float, str]
    seconds: float
    devices: int
    classes: int = 10
    report: str | None = None
    figure: str | None = None

    @property
    def best(self) -> FamilyStats:
        """The winner: the lowest mean final validation loss."""
        return self.stats[0]

    @property
    def separation(self) -> Separation:
        return separation(self.stats)

    @property
    def members(self) -> int:
        return len(self.names) * len(self.peaks) * len(self.seeds)

    def verdict(self) -> str:
        """One plain paragraph: is the winner's advantage significant?"""
        from schedalg.train.compare_report import verdict

        return verdict(self.stats, len(self.seeds))


def _seed_list(seeds: int | Sequence[int], first: int) -> np.ndarray:
    if isinstance(seeds, bool):
        raise ValueError(f"compare: seeds must be a count >= 2 or a list, got seeds={seeds!r}")
    if isinstance(seeds, int):
        if seeds < 2:
            raise ValueError(
                f"compare: seeds must be >= 2 (intervals and tests need two), got seeds={seeds}"
            )
        return first + np.arange(seeds)
    arr = np.asarray(list(seeds))
    if arr.size < 2 or not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0:
        raise ValueError(
            f"compare: seeds must be at least 2 distinct integers >= 0, got {list(seeds)}"
        )
    if len(set(arr.tolist())) != arr.size:
        raise ValueError(f"compare: seeds must be distinct, got {arr.tolist()}")
    return arr


def _check_peaks(peaks: Sequence[float]) -> np.ndarray:
    arr = np.asarray(list(peaks), np.float64)
    if arr.ndim != 1 or arr.size < 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"compare: peaks must be numbers > 0, got peaks={list(peaks)!r}")
    if len(set(arr.tolist())) != arr.size:
        raise ValueError(f"compare: peaks must be distinct, got peaks={arr.tolist()}")
    return np.sort(arr)


def range_test_center(data: Dataset, config: Config) -> float:
    """The LR range test's "valley" suggestion on ``data`` (first seed's batches)."""
    from schedalg.train.lrfind import find_lr

    return float(f"{find_lr(data, config).valley:.3g}")


def compare(
    data: Dataset,
    config: Config | None = None,
    out_dir: str | None = None,
    *,
    peaks: Sequence[float] | None = None,
    peak: float | None = None,
    points: int = POINTS,
    seeds: int | Sequence[int] = SEEDS,
    only: Sequence[str] | None = None,
    progress: bool | None = None,
    log: Callable[[str], Any] | None = print,
    chunk: int | None = None,
) -> Comparison:
    """Trains every family at every peak with every seed as one population; reports.

    Args:
        data: the dataset.
        config: settings shared by every member (``seed`` is the first seed).
        out_dir: where ``report.md``, ``compare.png`` and ``results.json`` go (``None``:
            nothing is written).
        peaks: the peak grid; default :func:`peak_grid` around ``peak``.
        peak: the grid's centre; default the LR range test's "valley" suggestion.
        points: peaks in the default grid.
        seeds: a number of seeds (``config.seed``, ``config.seed + 1``, ...) or a list;
            at least 2.
        only: names of the families to run (default all).
        progress: one progress bar for the population (default: when stderr is a
            terminal).
        log: called with a line per seed and about the grid (``None``: silent).
        chunk: members trained at once (default: the whole grid on an accelerator,
            ``F`` at a time on a CPU so the bar moves; the result is the same).
    """
    from schedalg.train.population import default_block, train_population

    started = time.perf_counter()
    config = Config() if config is None else config
    config.check(data)
    if out_dir is not None:
        check_writable(out_dir, "compare")
    seed_arr = _seed_list(seeds, config.seed)
    spe = len(data.y_train) // config.batch_size
    total = config.epochs * spe
    names = _chosen(only, total, config.epochs)
    if log is print:
        from tqdm import tqdm as plain

        log = plain.write  # above a live progress bar, not through it
    if peaks is not None:
        grid = _check_peaks(peaks)
        center = (float(f"{np.exp(np.log(grid).mean()):.3g}"), "--peaks")
    else:
        if peak is None:
            center = (range_test_center(data, config), "range test")
        else:
            center = (float(peak), "--peak")
        grid = peak_grid(center[0], points)
    if log is not None:
        log(
            f"{len(names)} families x {len(grid)} peaks x {len(seed_arr)} seeds = "
            f"{len(names) * len(grid) * len(seed_arr)} models, {total} updates each; peaks "
            f"{', '.join(f'{p:g}' for p in grid)} (centre {center[0]:g}, {center[1]})"
        )
    schedule, rule, _ = population(names, grid, total, config.epochs)
    n = len(names) * len(grid)
    if chunk is None:
        chunk = n if default_block() is None else len(names)

    enabled = sys.stderr.isatty() if progress is None else progress
    if enabled:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    bar = tqdm(total=n * len(seed_arr), unit="model", desc="population", disable=not enabled)
    runs = []
    try:
        for k, seed in enumerate(seed_arr):
            tick = time.perf_counter()

            def moved(done: int, chunks: int, k: int = k) -> None:
                bar.n = k * n + round(done / chunks * n)
                bar.refresh()

            result = train_population(
                schedule,
                data,
                dataclasses.replace(config, seed=int(seed)),
                seeds=int(seed),
                plateau=rule,
                chunk=chunk,
                progress=False,
                on_chunk=moved,
            )
            runs.append(result)
            if log is not None:
                log(f"seed {seed}: {n} models in {time.perf_counter() - tick:.1f} s")
    finally:
        bar.close()

    metrics = {
        key: np.stack([r.metrics[key] for r in runs], axis=2)
        for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr")
    }
    lr = np.stack([r.lr for r in runs], axis=2)
    finals = {k: metrics[k][..., -1] for k, _ in METRICS}
    out = Comparison(
        names=names,
        peaks=grid,
        seeds=seed_arr,
        config=config,
        data=data.describe(),
        metrics=metrics,
        lr=lr,
        stats=analyze(names, grid, finals, data.classes),
        center=center,
        seconds=time.perf_counter() - started,
        devices=runs[0].devices,
        classes=data.classes,
    )
    if out_dir is not None:
        from schedalg.train.compare_report import write

        write(out, out_dir)
    return out
