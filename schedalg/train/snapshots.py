"""Snapshot ensembles (Huang et al. 2017): the model at the end of every warm-restart
cycle, scored together by averaging their predicted class probabilities.

The cycle ends come from :func:`schedalg.cycle_ends`: a snapshot taken after
``e`` updates holds the model trained through the whole cycle, at its lowest learning
rate. The final model always joins the ensemble.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
from flax import serialization
from jax.flatten_util import ravel_pytree

from schedalg._core import Schedule
from schedalg._cycle_ends import cycle_ends
from schedalg.train import checkpoint
from schedalg.train.data import Dataset


def snapshot_steps(schedule: Schedule, total: int) -> list[int]:
    """The update counts after which to keep a snapshot; raises ``ValueError`` when the
    schedule has no restart or no cycle ends within the run's ``total`` updates."""
    try:
        ends = cycle_ends(schedule, total)
    except ValueError as err:
        raise ValueError(f"train: --snapshots: {err}") from None
    if not ends:
        raise ValueError(
            f"train: --snapshots: no cycle of {schedule!r} ends within the run's {total} "
            "steps; shorten the cycles or train longer"
        )
    return ends


def _snapshot_path(out_dir: str, step: int) -> str:
    return os.path.join(out_dir, "snapshots", f"step_{step:07d}.msgpack")


def save_snapshot(out_dir: str, step: int, params: Any) -> None:
    """Writes ``snapshots/step_<step>.msgpack`` (atomically, like a checkpoint)."""
    state = serialization.to_state_dict(jax.device_get(params))
    checkpoint.save(_snapshot_path(out_dir, step), {"step": step, "params": state})


def load_snapshot(out_dir: str | None, step: int, fns: Any) -> np.ndarray:
    """The raveled parameters of the snapshot taken after ``step`` updates."""
    if out_dir is None:
        raise ValueError("train: snapshots of a resumed run must come from its out_dir")
    stored = checkpoint.load(_snapshot_path(out_dir, step))
    template = fns.unravel(np.zeros(fns.size, np.float32))
    params = serialization.from_state_dict(template, stored["params"])
    return np.asarray(ravel_pytree(params)[0])


def ensemble(snaps: dict, final: Any, total: int, fns, data: Dataset) -> dict:
    """Validation accuracy of the snapshots' averaged class probabilities."""
    members = dict(snaps)
    members.setdefault(total, np.asarray(final))
    probs = {s: fns.evaluate(f, data.x_val, data.y_val)["probs"] for s, f in members.items()}
    mean = np.mean([probs[s] for s in sorted(probs)], axis=0)
    return {
        "steps": sorted(members),
        "member_val_acc": [
            float(np.mean(probs[s].argmax(-1) == data.y_val)) for s in sorted(probs)
        ],
        "ensemble_val_acc": float(np.mean(mean.argmax(-1) == data.y_val)),
        "final_val_acc": float(np.mean(probs[total].argmax(-1) == data.y_val)),
    }
