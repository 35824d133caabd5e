"""Logged runs for fitting: checking ``(schedule, steps, losses)`` triples, and scoring a
law on them (R², MAE, RMSE, mean and worst relative error)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from schedalg._core import Schedule
from schedalg.laws._law import query_steps


class Run(NamedTuple):
    """One checked run."""

    name: str
    lrs: np.ndarray  # float64 learning rates of steps 0 .. steps[-1]
    steps: np.ndarray  # int64, strictly increasing
    losses: np.ndarray  # float64, finite, > 0


def prepare_runs(fn: str, runs: Sequence | Mapping) -> list[Run]:
    """Checks ``runs`` (a list of ``(schedule, steps, losses)`` triples, or a dict name ->
    triple) and evaluates each schedule at steps ``0 .. last logged step``."""
    if isinstance(runs, Mapping):
        items = list(runs.items())
    elif isinstance(runs, Sequence) and not isinstance(runs, (str, bytes)):
        items = [(f"run {i + 1}", r) for i, r in enumerate(runs)]
    else:
        raise ValueError(f"{fn}: runs must be a list of (schedule, steps, losses), got {runs!r}")
    if not items:
        raise ValueError(f"{fn}: runs must hold at least one run, got none")
    return [check_run(f"{fn}: {name}", str(name), run) for name, run in items]


def check_run(where: str, name: str, run: Any) -> Run:
    """One run checked, its learning rates evaluated; errors start with ``where``."""
    if not (isinstance(run, (tuple, list)) and len(run) == 3):
        raise ValueError(f"{where}: a run must be (schedule, steps, losses), got {run!r}")
    schedule, steps, losses = run
    steps = query_steps(where, steps)
    losses = np.asarray(losses, np.float64) if np.size(losses) else np.zeros(0)
    if steps.ndim != 1 or losses.shape != steps.shape:
        raise ValueError(
            f"{where}: steps and losses must be 1-D of one length, got shapes "
            f"{steps.shape} and {losses.shape}"
        )
    if steps.size > 1 and np.any(np.diff(steps) <= 0):
        i = int(np.flatnonzero(np.diff(steps) <= 0)[0]) + 1
        raise ValueError(
            f"{where}: steps must be strictly increasing, got step {steps[i]} after step "
            f"{steps[i - 1]} (point {i + 1})"
        )
    bad = ~np.isfinite(losses) | (losses <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: losses must be finite and > 0, got loss={losses[i]} at step {steps[i]}"
        )
    lrs = lr_values(where, schedule, int(steps[-1]) + 1)
    if lrs[: int(steps[0]) + 1].sum() <= 0:
        raise ValueError(
            f"{where}: the learning rates up to the first logged step ({steps[0]}) sum to 0, "
            "where a law's loss is infinite; drop the steps before the first update"
        )
    return Run(name, lrs, steps, losses)


def lr_values(where: str, schedule: Any, count: int) -> np.ndarray:
    """A schedule's (or an array's) learning rates at steps ``0 .. count - 1`` as float64."""
    if isinstance(schedule, Schedule):
        dtype = np.int64 if count > 2**31 - 1 else np.int32
        lrs = np.asarray(schedule(np.arange(count, dtype=dtype)), np.float64)
        if lrs.shape != (count,):
            raise ValueError(
                f"{where}: the schedule must be a single schedule (not a batch), got values "
                f"of shape {lrs.shape}"
            )
    else:
        lrs = np.asarray(schedule, np.float64)
        if lrs.ndim != 1 or lrs.size < count:
            raise ValueError(
                f"{where}: the learning rates must be a 1-D array covering steps 0..{count - 1}, "
                f"got shape {lrs.shape}"
            )
        lrs = lrs[:count]
    bad = ~np.isfinite(lrs) | (lrs < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: learning rates must be finite and >= 0, got {lrs[i]} at step {i}"
        )
    return lrs


# ----------------------------------------------------------------------------
# Diagnostics.


class Diagnostics(list):
    """Per-run goodness of fit: one dict per run with ``run``, ``points``, ``r2``, ``mae``,
    ``rmse``, ``mean_rel`` (mean of ``|pred - loss| / loss``, the paper's PredE) and
    ``worst_rel`` (its maximum, WorstE). ``objective`` is the fit's objective (the sum
    of ``huber(log loss - log pred)`` over every point) when it comes from :func:`fit`.
    ``str()`` renders a table."""

    objective: float | None = None
    COLUMNS = ("r2", "mae", "rmse", "mean_rel", "worst_rel")

    def mean(self, key: str) -> float:
        """The mean of one column over the runs."""
        return float(np.mean([row[key] for row in self]))

    def __str__(self) -> str:
        width = max([len("run")] + [len(str(r["run"])) for r in self])
        head = f"{'run':<{width}} {'points':>6} " + " ".join(f"{c:>9}" for c in self.COLUMNS)
        lines = [head]
        for r in self:
            cells = " ".join(f"{r[c]:>9.5f}" for c in self.COLUMNS)
            lines.append(f"{r['run']:<{width}} {r['points']:>6} {cells}")
        if len(self) > 1:
            cells = " ".join(f"{self.mean(c):>9.5f}" for c in self.COLUMNS)
            lines.append(f"{'mean':<{width}} {'':>6} {cells}")
        return "\n".join(lines)


def diagnose(law: Any, runs: Sequence | Mapping) -> Diagnostics:
    """How well ``law`` predicts each of ``runs`` (``(schedule, steps, losses)`` triples, or a
    dict name -> triple): R², MAE, RMSE, mean and worst relative error per run (float64).

    Example:
        >>> from schedalg import laws
        >>> law = laws.MultiPowerLaw(2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)
        >>> s = sa.wsd(3e-4, 100, 900, 0)
        >>> table = laws.diagnose(law, {"flat": (s, [500, 999], [4.3, 4.1])})
        >>> round(table[0]["mean_rel"], 4), table[0]["points"]
        (0.0361, 2)
    """
    prepared = prepare_runs("diagnose", runs)
    table = Diagnostics()
    for run, pred in zip(prepared, _predictions(law, prepared)):
        table.append(run_metrics(run, pred))
    return table


def _predictions(law: Any, runs: list[Run]) -> list[np.ndarray]:
    """The law's exact float64 predictions at each run's logged steps."""
    with jax.enable_x64(True):
        law64 = jax.tree.map(lambda v: np.asarray(v, np.float64), law)
        return [np.asarray(law64.predict(r.lrs, r.steps), np.float64) for r in runs]


def run_metrics(run: Run, pred: np.ndarray) -> dict:
    y = run.losses
    err = pred - y
    total = np.sum((y - y.mean()) ** 2)
    rel = np.abs(err) / y
    return {
        "run": run.name,
        "points": int(y.size),
        "r2": float(1.0 - np.sum(err**2) / total) if total > 0 else float("nan"),
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mean_rel": float(rel.mean()),
        "worst_rel": float(rel.max()),
    }
