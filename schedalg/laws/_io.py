"""Reading logged runs: plain ``step,loss`` CSV files and the logs of ``schedalg train``."""

from __future__ import annotations

import csv
import json
import os
from typing import Any

import numpy as np

from schedalg._core import Schedule, concrete
from schedalg._text import parse


def read_csv(
    path: str | os.PathLike,
    schedule: Schedule | str | None = None,
    *,
    step: str = "step",
    loss: str = "loss",
    rtol: float = 1e-4,
) -> tuple[Schedule, np.ndarray, np.ndarray]:
    """One run from a CSV file with a header: ``(schedule, steps, losses)``, ready for
    :func:`fit`.

    The file needs a ``step`` column (whole numbers, strictly increasing) and a ``loss``
    column (finite numbers); other columns are ignored, except ``lr``: when present, it
    must agree with the schedule at every logged step (relative ``rtol``). The schedule is
    a schedalg schedule, its text form (``"wsd(0.001, 100, 800, 100)"``, read by
    :func:`schedalg.parse`), or ``None`` for the ``config.json`` that ``schedalg train``
    writes beside its ``steps.csv``. A schedule with a finite ``duration`` must cover
    the logged steps (past its duration a schedule only holds its last value, usually a
    sign of the wrong schedule). Every problem is one line of ``ValueError``.

    Example:
        >>> import os, tempfile
        >>> from schedalg import laws
        >>> path = os.path.join(tempfile.mkdtemp(), "run.csv")
        >>> _ = open(path, "w").write("step,loss\\n100,3.2\\n200,3.0\\n")
        >>> s, steps, losses = laws.read_csv(path, "wsd(0.001, 10, 150, 50)")
        >>> s, steps.tolist(), losses.tolist()
        (wsd(peak=0.001, warmup=10, stable=150, decay=50), [100, 200], [3.2, 3.0])
    """
    where = f"read_csv: {os.fspath(path)}"
    header, rows = _read_table(where, path)
    columns = {name: i for i, name in enumerate(header)}
    for name in (step, loss):
        if name not in columns:
            raise ValueError(f"{where}: no {name!r} column (columns: {', '.join(header)})")
    steps = _column(where, rows, columns[step], step)
    losses = _column(where, rows, columns[loss], loss)
    _check_steps(where, steps)
    bad = ~np.isfinite(losses)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: {loss} must be finite, got {loss}={losses[i]} at step {int(steps[i])} "
            f"(line {i + 2})"
        )
    steps = steps.astype(np.int64)
    schedule = _schedule(where, path, schedule)
    _check_covers(where, schedule, steps)
    if "lr" in columns:
        _check_lr(where, schedule, steps, _column(where, rows, columns["lr"], "lr"), rtol)
    return schedule, steps, losses


def read_run(directory: str | os.PathLike, *, rtol: float = 1e-4) -> tuple:
    """The run that ``schedalg train --out DIR`` logged: ``steps.csv`` (step, lr, loss at
    every update) with the schedule of ``config.json``; see :func:`read_csv`. The loss of
    step t there is the training loss of the batch of update t, taken before it: one
    update earlier than a law's step t (negligible over a whole curve)."""
    return read_csv(os.path.join(os.fspath(directory), "steps.csv"), None, rtol=rtol)


def _read_table(where: str, path: Any) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{where}: cannot read the file ({err})") from None
    lines = [row for row in lines if any(cell.strip() for cell in row)]
    if not lines:
        raise ValueError(f"{where}: the file is empty (expected a header such as step,loss)")
    header = [cell.strip() for cell in lines[0]]
    if len(lines) < 2:
        raise ValueError(f"{where}: no data rows after the header {','.join(header)}")
    for n, row in enumerate(lines[1:], start=2):
        if len(row) != len(header):
            raise ValueError(
                f"{where}: malformed CSV: line {n} has {len(row)} fields, the header {len(header)}"
            )
    return header, lines[1:]


def _column(where: str, rows: list[list[str]], i: int, name: str) -> np.ndarray:
    out = np.empty(len(rows))
    for n, row in enumerate(rows):
        try:
            out[n] = float(row[i])
        except ValueError:
            raise ValueError(
                f"{where}: malformed CSV: {name} must be a number, got {row[i]!r} (line {n + 2})"
            ) from None
    return out


def _check_steps(where: str, steps: np.ndarray) -> None:
    whole = np.isfinite(steps) & (steps == np.floor(steps)) & (steps >= 0)
    if not whole.all():
        i = int(np.flatnonzero(~whole)[0])
        raise ValueError(
            f"{where}: step must be a whole number >= 0, got step={steps[i]} (line {i + 2})"
        )
    back = np.flatnonzero(np.diff(steps) <= 0)
    if back.size:
        i = int(back[0]) + 1
        raise ValueError(
            f"{where}: steps must be strictly increasing, got step {int(steps[i])} after "
            f"step {int(steps[i - 1])} (line {i + 2})"
        )


def _schedule(where: str, path: Any, schedule: Any) -> Schedule:
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str):
        try:
            return parse(schedule)
        except ValueError as err:
            raise ValueError(f"{where}: the schedule {schedule!r} does not parse: {err}") from None
    if schedule is not None:
        raise ValueError(f"{where}: schedule must be a schedule or its text, got {schedule!r}")
    config = os.path.join(os.path.dirname(os.fspath(path)), "config.json")
    try:
        with open(config, encoding="utf-8") as f:
            text = json.load(f)["schedule"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(
            f"{where}: no schedule given and no readable config.json with a 'schedule' beside "
            "it; pass schedule= (a schedule or its text)"
        ) from None
    return _schedule(where, path, text)


def _check_covers(where: str, schedule: Schedule, steps: np.ndarray) -> None:
    duration = concrete(schedule.duration)
    if duration is None:
        return
    if duration.ndim:
        raise ValueError(f"{where}: the schedule must be a single schedule, got a batch")
    if steps[-1] > duration:
        raise ValueError(
            f"{where}: the schedule covers steps up to {duration.item():g} (its duration), "
            f"but the log goes to step {int(steps[-1])}: {schedule!r}"
        )


def _check_lr(where: str, schedule: Schedule, steps: np.ndarray, lr: np.ndarray, rtol: float):
    expected = np.asarray(schedule(steps), np.float64)
    off = ~np.isclose(lr, expected, rtol=rtol, atol=1e-12)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{where}: the lr column differs from the schedule at step {int(steps[i])}: "
            f"lr={lr[i]:.6g}, schedule={expected[i]:.6g} (line {i + 2}); wrong schedule, or "
            "a plateau rule scaled the rate (then fit the lr column as an array of rates)"
        )
