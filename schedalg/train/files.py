"""The files of a run: logs rewritten whole at each epoch, and checks on ``--out``.

The logs are small, so each epoch rewrites them through a temporary file and a rename:
a reader (or a crash) never sees half a CSV. The checks run before anything is written,
so a bad ``--out`` fails without leaving a directory behind.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os

#: The checkpoint's file name inside a run's directory.
CHECKPOINT = "checkpoint.msgpack"


def write_text(path: str, text: str) -> None:
    """Replaces a small text file in one step (readers never see half of it)."""
    # A process killed before its rename left ``path.<its pid>.part``; no later write
    # would reuse that name, so remove it here (as checkpoint.save does with its *.tmp).
    for old in glob.glob(glob.escape(path) + ".*.part"):
        with contextlib.suppress(OSError):
            os.unlink(old)
    tmp = f"{path}.{os.getpid()}.part"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_csv(path: str, header: list[str], rows: list[list[str]]) -> None:
    """A CSV of ``header`` then ``rows``, replaced in one step (see :func:`write_text`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, out.getvalue())


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


METRIC_COLUMNS = [
    "epoch",
    "step",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "lr_scale",
    "seconds",
]


def write_logs(out_dir: str, metrics: list[dict], lr: list, loss: list) -> None:
    """``metrics.csv``, ``metrics.jsonl`` (one line per epoch) and ``steps.csv``."""
    write_text(os.path.join(out_dir, "metrics.csv"), _csv(metrics, METRIC_COLUMNS))
    lines = "".join(json.dumps(m) + "\n" for m in metrics)
    write_text(os.path.join(out_dir, "metrics.jsonl"), lines)
    steps = [
        {"step": i, "lr": repr(float(a)), "loss": repr(float(b))}
        for i, (a, b) in enumerate(zip(lr, loss))
    ]
    write_text(os.path.join(out_dir, "steps.csv"), _csv(steps, ["step", "lr", "loss"]))


def check_writable(out_dir: str, command: str = "train") -> None:
    """Raises ``ValueError`` unless ``out_dir`` is, or can be created as, a writable
    directory. Creates nothing."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"{command}: --out {out_dir} exists and is not a directory")
    probe = os.path.abspath(out_dir)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise ValueError(
            f"{command}: --out {out_dir} cannot be created: {probe} is not a directory"
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"{command}: --out {out_dir} is not writable ({probe})")


def check_out_dir(out_dir: str, resume: bool, overwrite: bool = False) -> None:
    """Refuses an ``out_dir`` that cannot be written, or that holds another run (unless
    ``overwrite``), or, for ``resume``, that holds no checkpoint. Creates nothing."""
    check_writable(out_dir)
    ck = os.path.join(out_dir, CHECKPOINT)
    if resume and not os.path.isfile(ck):
        raise ValueError(f"train: --resume: no checkpoint in {out_dir} (expected {ck})")
    if not resume and not overwrite and os.path.exists(ck):
        raise ValueError(
            f"train: {out_dir} already holds a run ({CHECKPOINT}); pass --resume to continue "
            "it, --overwrite to replace it, or choose another --out"
        )
