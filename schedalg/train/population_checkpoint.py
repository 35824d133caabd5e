"""Sharded checkpoints of a population with orbax-checkpoint: save, keep the last N, resume.

A population's parameters and optimizer states are global arrays sharded over the
devices of every process; orbax writes each process's shards from that process
(OCDBT/TensorStore), asynchronously (training goes on while the files are written),
and keeps the last ``keep`` steps. A checkpoint is *complete* once every process's part
is written: orbax writes into a temporary directory and renames it to the step number
only then, so a process killed during a save leaves no half checkpoint behind, and
:meth:`PopulationCheckpoints.latest` only ever sees complete ones.

The step of a checkpoint is the number of population epochs done (over all chunks).
Each holds three items:

* ``state`` (sharded): ``flat`` (the chunk's parameters, ``(members, size)``) and
  ``opt`` (the leaves of its optimizer states);
* ``host`` (the same on every process; process 0 writes it): the per-update and
  per-epoch metrics so far, the plateau states and scales, the final parameters of
  earlier chunks (with ``keep_params``), and ``order``, the data order of the next
  epoch (checked on resume against :func:`~schedalg.train.data.epoch_order`);
* ``meta`` (JSON): what the run is (a digest of the schedules, seeds, plateau rule,
  settings and data, the chunk layout), so a checkpoint is never resumed into a
  different sweep.

The single-model trainer keeps its msgpack checkpoints
(:mod:`schedalg.train.checkpoint`): one small replicated model in one process, saved
synchronously next to its files, needs neither sharding nor orbax's machinery.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import jax
import numpy as np

#: Format of ``meta``; a different version is refused on resume.
VERSION = 1


def digest(tree: Any) -> str:
    """A short hash of a pytree's structure and every leaf's dtype, shape and bytes."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    h = hashlib.sha256(str(treedef).encode())
    for leaf in leaves:
        a = np.ascontiguousarray(np.asarray(leaf))
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


class PopulationCheckpoints:
    """The checkpoints of one population in ``directory`` (shared by all processes).

    Args:
        directory: where the steps go (created); on several hosts, a filesystem every
            process sees (NFS, GCS through ``gs://`` paths, ...).
        identity: JSON-compatible description of the run (see the module docstring);
            :meth:`restore` refuses a checkpoint of another run, naming what differs.
        keep: how many of the latest checkpoints to keep (>= 1).
    """

    def __init__(self, directory: str, identity: dict, keep: int = 2):
        import orbax.checkpoint as ocp

        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise ValueError(f"checkpoints: keep must be an integer >= 1, got keep={keep!r}")
        self.directory = directory if "://" in directory else os.path.abspath(directory)
        self.identity = {"version": VERSION, **identity}
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, enable_async_checkpointing=True, create=True
        )
        self._ocp = ocp
        self._manager = ocp.CheckpointManager(
            self.directory, options=options, item_handlers=_handlers()
        )

    def latest(self) -> int | None:
        """The step of the latest complete checkpoint, or ``None``."""
        return self._manager.latest_step()

    def save(self, step: int, state: dict, host: dict) -> None:
        """Starts saving (returns once the arrays are copied off the devices)."""
        ocp = self._ocp
        self._manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state),
                host=ocp.args.StandardSave(host),
                meta=ocp.args.JsonSave({**self.identity, "step": step}),
            ),
        )

    def check(self, step: int) -> None:
        """Raises a ValueError naming the first difference between the checkpoint's run
        and this one."""
        ocp = self._ocp
        meta = self._manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        meta = dict(meta["meta"])
        meta.pop("step", None)
        for key, there, here in _differences(meta, self.identity):
            raise ValueError(
                f"checkpoints: {self.directory} holds step {step} of a different run: "
                f"{key} is {there!r} there and {here!r} here; use another output "
                "directory or delete that one to start over"
            )

    def restore(self, step: int, state: dict | None, host: dict) -> tuple[dict | None, dict]:
        """Step ``step``'s state and host arrays, laid out like the templates ``state``
        (global arrays: their shardings, whatever layout wrote them; ``None`` skips the
        state) and ``host``."""
        self.check(step)
        ocp = self._ocp
        items = {"host": ocp.args.StandardRestore(host)}
        if state is not None:
            items["state"] = ocp.args.StandardRestore(state)
        out = self._manager.restore(step, args=ocp.args.Composite(**items))
        host_out = jax.tree.map(np.asarray, dict(out["host"]))
        return (None if state is None else dict(out["state"])), host_out

    def wait(self) -> None:
        """Blocks until the last save is complete on every process."""
        self._manager.wait_until_finished()

    def close(self) -> None:
        self._manager.close()


def _handlers() -> dict:
    # Named handlers: restoring one item alone (``meta``) then warns about nothing.
    import orbax.checkpoint as ocp

    return {
        "state": ocp.StandardCheckpointHandler(),
        "host": ocp.StandardCheckpointHandler(),
        "meta": ocp.JsonCheckpointHandler(),
    }


def _differences(there: dict, here: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """``(key, there, here)`` for every differing entry, nested dicts by dotted key."""
    out = []
    for key in sorted(set(there) | set(here)):
        a, b = there.get(key), here.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append((f"{prefix}{key}", a, b))
    return out


def read(directory: str, step: int | None = None) -> dict[str, Any]:
    """One checkpoint as NumPy, in a single process (e.g. to inspect a finished sweep):
    ``{"step", "meta", "state", "host"}``; ``state["opt"]`` is the list of optimizer
    leaves. ``step`` defaults to the latest complete one.

    Checkpoints written by any number of processes and devices read back the same.
    """
    import orbax.checkpoint as ocp

    path = directory if "://" in directory else os.path.abspath(directory)
    manager = ocp.CheckpointManager(path, item_handlers=_handlers())
    try:
        step = manager.latest_step() if step is None else step
        if step is None:
            raise ValueError(f"checkpoints: no complete checkpoint in {directory}")
        meta = manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        # NumPy targets: read whatever devices and processes wrote it, here, on the host
        items = manager.item_metadata(step)
        like = lambda tree: jax.tree.map(lambda m: np.zeros(m.shape, m.dtype), dict(tree))
        out = manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(like(items["state"])),
                host=ocp.args.StandardRestore(like(items["host"])),
            ),
        )
    finally:
        manager.close()
    state = jax.tree.map(np.asarray, dict(out["state"]))
    if isinstance(state.get("opt"), dict):  # orbax may hand lists back as {"0": ...}
        state["opt"] = [state["opt"][k] for k in sorted(state["opt"], key=int)]
    return {"step": step, "meta": json.loads(json.dumps(dict(meta["meta"]))),
            "state": state, "host": jax.tree.map(np.asarray, dict(out["host"]))}  # fmt: skip
