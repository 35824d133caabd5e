"""One training run: the loop, its logs, checkpoints, exact resume and snapshot ensembles.

:func:`train` trains :class:`~schedalg.train.model.CNN` with an optax optimizer whose
learning rate is a schedalg schedule (optionally times a plateau rule's scale), logs the
learning rate of every step from the optimizer state, scores the validation set after
every epoch and, given ``out_dir``, writes ``metrics.csv``, ``metrics.jsonl``,
``steps.csv``, ``config.json``, ``summary.json`` and ``checkpoint.msgpack``.

Exact resume: everything the next step depends on is in the checkpoint (parameters,
optimizer state with the schedule's clock, plateau state, step, the epoch's data order,
the logs), every computation is deterministic on CPU, and the data order is a pure
function of ``(seed, epoch)``. ``train(..., resume=True)`` therefore ends with the same
parameters and learning rates, bit for bit, as a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from schedalg._core import Schedule
from schedalg._text import parse
from schedalg.plateau import reduce_on_plateau
from schedalg.train import checkpoint
from schedalg.train.data import Dataset, epoch_order
from schedalg.train.files import CHECKPOINT, check_out_dir, write_logs, write_text
from schedalg.train.model import CNN
from schedalg.train.snapshots import ensemble, load_snapshot, save_snapshot, snapshot_steps
from schedalg.train.step import OPTIMIZERS, apply_update, functions, init_state


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of a run (the schedule and the data are separate arguments).

    Args:
        epochs: passes over the training set.
        batch_size: images per update; the last incomplete batch of an epoch is
            dropped, so an epoch is ``len(train) // batch_size`` updates.
        optimizer: one of ``adam``, ``adamw``, ``sgd`` (Nesterov momentum 0.9), ``rmsprop``.
        seed: initial parameters and data order.
        checkpoint_every: also checkpoint every this many updates (0: at epoch ends only).
        features: channels of the two convolutions.
        hidden: width of the hidden dense layer.
        conv: "lax" (XLA's convolution) or "taps" (one matmul over the nine shifted
            taps, im2col; vmaps to batched matmuls). See :mod:`schedalg.train.model`.
    """

    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"
    seed: int = 0
    checkpoint_every: int = 0
    features: tuple[int, ...] = (16, 32)
    hidden: int = 64
    conv: str = "lax"

    def check(self, data: Dataset | None = None) -> None:
        """Raises ``ValueError("train: field must be RULE, got field=VALUE")``."""
        for name, low, high in (
            ("epochs", 1, 100_000),
            ("batch_size", 1, 1_000_000),
            ("checkpoint_every", 0, 10**9),
            ("hidden", 1, 65_536),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(
                    f"train: {name} must be an integer in [{low}, {high}], got {name}={value!r}"
                )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise ValueError(f"train: seed must be an integer in [0, 2**32), got {self.seed!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"train: optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}"
            )
        if self.conv not in ("lax", "taps"):
            raise ValueError(f"train: conv must be 'lax' or 'taps', got conv={self.conv!r}")
        if data is not None and self.batch_size > len(data.y_train):
            raise ValueError(
                f"train: batch_size must be <= the {len(data.y_train)} training images, "
                f"got batch_size={self.batch_size}"
            )

    def model(self, classes: int) -> CNN:
        return CNN(classes, tuple(self.features), self.hidden, self.conv)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "features": list(self.features)}

    @classmethod
    def from_dict(cls, d: dict) -> Config:
        return cls(**{**d, "features": tuple(d["features"])})


@dataclasses.dataclass
class RunResult:
    """What a run produced.

    Attributes:
        name: label of the run.
        schedule: the learning-rate schedule.
        config: the settings.
        metrics: one dict per epoch: ``epoch``, ``step``, ``train_loss``, ``train_acc``,
            ``val_loss``, ``val_acc``, ``lr`` (of the epoch's last update), ``lr_scale``.
        lr: the learning rate of every update, read from the optimizer state.
        loss: the training loss of every update (before the update).
        params: the final parameters (a pytree).
        seconds: wall time spent training (over all sessions of a resumed run).
        snapshots: for ``snapshots=True``: the snapshot steps and the ensemble's and the
            final model's validation accuracy.
        out_dir: where the files went, if anywhere.
    """

    name: str
    schedule: Schedule
    config: Config
    metrics: list[dict]
    lr: np.ndarray
    loss: np.ndarray
    params: Any
    seconds: float
    snapshots: dict | None = None
    out_dir: str | None = None

    @property
    def best_val_acc(self) -> float:
        return max(m["val_acc"] for m in self.metrics)

    @property
    def best_val_loss(self) -> float:
        return min(m["val_loss"] for m in self.metrics)

    @property
    def final_train_loss(self) -> float:
        return self.metrics[-1]["train_loss"]

    @property
    def final_val_acc(self) -> float:
        return self.metrics[-1]["val_acc"]


# ----------------------------------------------------------------------------
# The loop


def _progress(total: int, initial: int, name: str, enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if enabled:
        from tqdm.auto import tqdm
    else:  # tqdm.auto warns in a notebook without ipywidgets even for a disabled bar
        from tqdm import tqdm
    return tqdm(
        total=total,
        initial=initial,
        desc=name if len(name) <= 40 else name[:37] + "...",
        unit="step",
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
    )


def _plateau_fields(rule: Any) -> dict | None:
    if rule is None:
        return None
    return {f.name: np.asarray(getattr(rule, f.name)).tolist() for f in dataclasses.fields(rule)}


@dataclasses.dataclass
class _State:
    """Everything the next step depends on, plus the logs so far."""

    step: int
    flat: Any
    opt_state: Any
    plateau: Any
    order: np.ndarray
    metrics: list[dict]
    lr: list
    loss: list
    correct: list
    snapshot_steps: list[int]
    seconds: float


def train(
    schedule: Schedule | None,
    data: Dataset,
    config: Config | None = None,
    out_dir: str | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    plateau: reduce_on_plateau | None = None,
    snapshots: bool = False,
    name: str | None = None,
    progress: bool | None = None,
    data_path: str | None = None,
    on_epoch: Callable[[dict], None] | None = None,
) -> RunResult:
    """Trains the CNN on ``data`` with ``schedule`` as the learning rate.

    Args:
        schedule: the learning-rate schedule (step = updates made so far). With
            ``resume=True`` it may be ``None``: the checkpoint's is used.
        data: the :class:`~schedalg.train.data.Dataset`.
        config: the settings (default :class:`Config`; on resume, the checkpoint's).
        out_dir: directory for logs and checkpoints (``None``: nothing is written).
        resume: continue the run checkpointed in ``out_dir``.
        overwrite: replace a run already in ``out_dir``.
        plateau: a :func:`schedalg.plateau.reduce_on_plateau` rule fed the validation
            loss after every epoch; the learning rate becomes ``schedule(t) * scale``.
        snapshots: keep the model at the end of every cycle of a warm-restart schedule
            (:func:`schedalg.cycle_ends`) and score their averaged predictions.
        name: label for the progress bar and the result.
        progress: show a tqdm bar (default: when stderr is a terminal).
        data_path: the data's file, recorded so that a resumed run can find it.
        on_epoch: called with each epoch's metrics.

    Returns:
        A :class:`RunResult`.
    """
    ck_path = os.path.join(out_dir or "", CHECKPOINT)  # used only with an out_dir
    stored = None
    if resume:
        if out_dir is None:
            raise ValueError("train: resume needs out_dir, the directory of the checkpoint")
        check_out_dir(out_dir, resume=True)
        stored = checkpoint.load(ck_path)
        schedule, config = _check_resume(stored, schedule, config, data, plateau, ck_path)
        snapshots = snapshots or bool(stored["snapshots"])
    config = Config() if config is None else config
    config.check(data)
    if not isinstance(schedule, Schedule):
        raise ValueError(f"train: schedule must be a schedalg schedule, got {schedule!r}")
    spe = len(data.y_train) // config.batch_size
    total = config.epochs * spe
    ends = set(snapshot_steps(schedule, total)) if snapshots else set()
    if out_dir is not None and not resume:
        check_out_dir(out_dir, resume=False, overwrite=overwrite)
    name = name or repr(schedule)

    model = config.model(data.classes)
    fns = functions(model, data.image_shape)
    flat0 = fns.init(config.seed)
    if stored is None:
        state = _State(
            step=0,
            flat=flat0,
            opt_state=init_state(flat0, schedule, config.optimizer),
            plateau=None if plateau is None else plateau.init(),
            order=epoch_order(config.seed, 0, len(data.y_train)),
            metrics=[],
            lr=[],
            loss=[],
            correct=[],
            snapshot_steps=[],
            seconds=0.0,
        )
    else:
        template = init_state(flat0, schedule, config.optimizer)
        state = _restore(stored, flat0, template, plateau)
    if out_dir is not None:
        if not resume:  # a replaced run must not be resumable, nor leave snapshots behind
            for old in [ck_path, *glob.glob(os.path.join(out_dir, "snapshots", "step_*"))]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(old)
        os.makedirs(os.path.join(out_dir, "snapshots") if ends else out_dir, exist_ok=True)
        meta = {
            "schedule": repr(schedule),
            "config": config.to_dict(),
            "data": data.describe(),
            "data_path": data_path,
            "plateau": _plateau_fields(plateau),
            "snapshots": snapshots,
        }
        write_text(os.path.join(out_dir, "config.json"), json.dumps(meta, indent=2) + "\n")

    # What identifies the run, stored in every checkpoint and checked on resume.
    identity = {
        "schedule": repr(schedule),
        "config": json.dumps(config.to_dict()),
        "data": data.fingerprint(),
        "data_path": data_path or "",
        "plateau_rule": json.dumps(_plateau_fields(plateau)),
        "snapshots": bool(snapshots),
    }

    def save() -> None:
        if out_dir is None:
            return
        write_logs(out_dir, state.metrics, state.lr, state.loss)
        checkpoint.save(ck_path, {**identity, **_payload(state, fns.unravel)})

    snaps: dict[int, np.ndarray] = {}
    for s in state.snapshot_steps:
        snaps[s] = load_snapshot(out_dir, s, fns)
    scale = jnp.float32(1.0) if state.plateau is None else jnp.float32(state.plateau.scale)
    pending: list = []  # device values of the current epoch, fetched once per epoch

    def flush() -> None:
        for lr, loss, correct in jax.device_get(pending):
            state.lr.append(float(lr))
            state.loss.append(float(loss))
            state.correct.append(int(correct))
        pending.clear()

    bar = _progress(total, state.step, name, progress)
    started = time.perf_counter()
    base_seconds = state.seconds
    try:
        while state.step < total:
            epoch, i = divmod(state.step, spe)
            if i == 0:
                state.order = epoch_order(config.seed, epoch, len(data.y_train))
            idx = state.order[i * config.batch_size : (i + 1) * config.batch_size]
            loss, correct, grads = fns.gradients(state.flat, data.x_train[idx], data.y_train[idx])
            state.flat, state.opt_state, lr = apply_update(
                state.flat, state.opt_state, grads, schedule, scale, config.optimizer
            )
            pending.append((lr, loss, correct))
            state.step += 1
            if not bar.disable:
                bar.set_postfix(loss=f"{float(loss):.4f}", lr=f"{float(lr):.3g}", refresh=False)
            bar.update(1)
            if state.step in ends:
                snaps[state.step] = np.asarray(state.flat)
                state.snapshot_steps.append(state.step)
                if out_dir is not None:
                    save_snapshot(out_dir, state.step, fns.unravel(state.flat))
            if i == spe - 1:  # end of an epoch: score, log, maybe react, checkpoint
                flush()
                state.seconds = base_seconds + time.perf_counter() - started
                row = _epoch_metrics(state, epoch, spe, config, fns, data, scale)
                state.metrics.append(row)
                if plateau is not None:
                    state.plateau = plateau.update(state.plateau, row["val_loss"])
                    scale = jnp.float32(state.plateau.scale)
                if on_epoch is not None:
                    on_epoch(row)
                save()
            elif config.checkpoint_every and state.step % config.checkpoint_every == 0:
                flush()
                state.seconds = base_seconds + time.perf_counter() - started
                save()
    finally:
        bar.close()
    flush()

    params = fns.unravel(state.flat)
    result = RunResult(
        name=name,
        schedule=schedule,
        config=config,
        metrics=state.metrics,
        lr=np.asarray(state.lr, np.float32),
        loss=np.asarray(state.loss, np.float32),
        params=params,
        seconds=state.seconds,
        out_dir=out_dir,
    )
    if snapshots:
        result.snapshots = ensemble(snaps, state.flat, total, fns, data)
    if out_dir is not None:
        summary = {
            "name": name,
            "schedule": repr(schedule),
            "best_val_acc": result.best_val_acc,
            "best_val_loss": result.best_val_loss,
            "final_train_loss": result.final_train_loss,
            "final_val_acc": result.final_val_acc,
            "seconds": result.seconds,
            "snapshots": result.snapshots,
        }
        write_text(os.path.join(out_dir, "summary.json"), json.dumps(summary, indent=2) + "\n")
    return result


def _epoch_metrics(state, epoch, spe, config, fns, data, scale) -> dict:
    losses = np.asarray(state.loss[-spe:], np.float64)
    correct = int(np.sum(state.correct[-spe:]))
    val = fns.evaluate(state.flat, data.x_val, data.y_val)
    return {
        "epoch": epoch + 1,
        "step": state.step,
        "train_loss": float(losses.mean()),
        "train_acc": correct / (spe * config.batch_size),
        "val_loss": val["loss"],
        "val_acc": val["acc"],
        "lr": state.lr[-1],
        "lr_scale": float(scale),
        "seconds": round(state.seconds, 3),
    }


# ----------------------------------------------------------------------------
# Checkpoint payload


def _payload(state: _State, unravel: Callable) -> dict:
    """The checkpoint's record of ``state`` (the run's identity is added by the caller)."""
    return {
        "step": state.step,
        "params": serialization.to_state_dict(jax.device_get(unravel(state.flat))),
        "flat": np.asarray(state.flat),
        "opt_state": checkpoint.leaves(state.opt_state),
        "plateau": {} if state.plateau is None else checkpoint.leaves(state.plateau),
        "order": np.asarray(state.order),
        "metrics": json.dumps(state.metrics),
        "lr": np.asarray(state.lr, np.float32),
        "loss": np.asarray(state.loss, np.float32),
        "correct": np.asarray(state.correct, np.int64),
        "snapshot_steps": list(state.snapshot_steps),
        "seconds": float(state.seconds),
    }


def checkpoint_meta(out_dir: str) -> dict:
    """The settings of the run checkpointed in ``out_dir``: ``schedule`` (text),
    ``config`` (:class:`Config`), ``data_path``, ``snapshots`` and ``step``."""
    stored = checkpoint.load(os.path.join(out_dir, CHECKPOINT))
    return {
        "schedule": stored["schedule"],
        "config": Config.from_dict(json.loads(stored["config"])),
        "data_path": stored["data_path"] or None,
        "snapshots": bool(stored["snapshots"]),
        "step": int(stored["step"]),
    }


def _restore(stored: dict, flat0: Any, opt_template: Any, plateau: Any) -> _State:
    flat = np.asarray(stored["flat"])
    if flat.shape != np.shape(flat0) or flat.dtype != np.asarray(flat0).dtype:
        raise checkpoint.CheckpointError(
            f"checkpoint: parameters are {flat.dtype}{list(flat.shape)}, this model has "
            f"{np.asarray(flat0).dtype}{list(np.shape(flat0))}"
        )
    opt_state = checkpoint.restore(opt_template, stored["opt_state"], "optimizer state")
    pstate = None
    if plateau is not None:
        pstate = checkpoint.restore(plateau.init(), stored["plateau"], "plateau state")
    return _State(
        step=int(stored["step"]),
        flat=flat,
        opt_state=opt_state,
        plateau=pstate,
        order=np.asarray(stored["order"]),
        metrics=json.loads(stored["metrics"]),
        lr=[float(x) for x in np.asarray(stored["lr"])],
        loss=[float(x) for x in np.asarray(stored["loss"])],
        correct=[int(x) for x in np.asarray(stored["correct"])],
        snapshot_steps=[int(s) for s in stored["snapshot_steps"]],
        seconds=float(stored["seconds"]),
    )


def _check_resume(stored, schedule, config, data, plateau, path) -> tuple[Schedule, Config]:
    text = stored["schedule"]
    if schedule is None:
        schedule = parse(text)
    elif repr(schedule) != text:
        raise ValueError(f"train: --resume: the checkpoint {path} trains {text}, not {schedule!r}")
    saved = Config.from_dict(json.loads(stored["config"]))
    if config is None:
        config = saved
    else:
        for f in dataclasses.fields(Config):
            if f.name == "checkpoint_every":
                continue
            a, b = getattr(saved, f.name), getattr(config, f.name)
            if tuple(np.ravel(a)) != tuple(np.ravel(b)):
                raise ValueError(
                    f"train: --resume: the checkpoint was made with {f.name}={a!r}, got {b!r}"
                )
    if stored["data"] != data.fingerprint():
        where = stored.get("data_path") or "the digits"
        raise ValueError(
            f"train: --resume: the data differ from the checkpoint's ({where}); "
            "resume with the same --data"
        )
    if json.loads(stored["plateau_rule"]) != _plateau_fields(plateau):
        raise ValueError("train: --resume: the plateau rule differs from the checkpoint's")
    return schedule, config
