"""Checkpoints that are never half-written: flax msgpack, temp file, fsync, atomic rename.

A checkpoint is one msgpack file (``flax.serialization.msgpack_serialize``) holding
plain dicts, lists, strings, numbers and NumPy arrays: everything a run needs to
continue bit for bit (parameters, optimizer state, step, the epoch's data order, the
metrics and per-step logs so far, the schedule's text form, the config).

Why this and not orbax: orbax is built for sharded, asynchronous checkpoints of large
models across hosts and brings a large dependency tree; a CNN on one CPU needs one small
file and one guarantee, which a few lines give.

The guarantee: **a checkpoint file is either the previous complete checkpoint or the
new complete one, never a mix**, even when the process is killed (SIGKILL, power loss)
in the middle of a save. :func:`save` writes the bytes to a temporary file in the same
directory, flushes and ``fsync``-s it, then ``os.replace``-s it over the old file. On
POSIX the rename is atomic: a reader sees the old inode or the new one. The directory
is fsynced after the rename so the new name survives a crash too. A save killed before
the rename leaves the old checkpoint untouched plus a stray ``*.tmp`` file, which the
next save removes and :func:`load` never reads.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from typing import Any

import jax
import numpy as np
from flax import serialization

#: Version of the checkpoint layout; :func:`load` refuses others.
FORMAT = 1
_KEY = "schedalg_checkpoint"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the reason."""


def _fsync(fd: int) -> None:
    os.fsync(fd)


def _write_all(f: Any, data: bytes) -> None:
    f.write(data)


def _fsync_dir(directory: str) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stale(path: str) -> list[str]:
    return glob.glob(glob.escape(path) + ".*.tmp")


def save(path: str, payload: dict) -> None:
    """Writes ``payload`` to ``path`` atomically (see the module docstring).

    Args:
        path: the checkpoint file; its directory must exist.
        payload: a dict of dicts, lists, strings, numbers and arrays.
    """
    data = serialization.msgpack_serialize({_KEY: FORMAT, **payload})
    directory = os.path.dirname(os.path.abspath(path))
    for old in _stale(path):  # left by a save that was killed before its rename
        with contextlib.suppress(OSError):
            os.unlink(old)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_all(f, data)
            f.flush()
            _fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def load(path: str) -> dict:
    """Reads a checkpoint written by :func:`save`; raises :class:`CheckpointError`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise CheckpointError(f"checkpoint: {path}: {err.strerror or err}") from None
    try:
        payload = serialization.msgpack_restore(data)
    except Exception as err:  # truncated or foreign bytes
        raise CheckpointError(
            f"checkpoint: {path}: not a readable checkpoint ({type(err).__name__})"
        ) from None
    if not isinstance(payload, dict) or payload.get(_KEY) != FORMAT:
        found = payload.get(_KEY) if isinstance(payload, dict) else None
        raise CheckpointError(
            f"checkpoint: {path}: not a schedalg checkpoint of format {FORMAT} (found {found!r})"
        )
    del payload[_KEY]
    return payload


def leaves(tree: Any) -> dict[str, np.ndarray]:
    """A pytree's leaves as ``{"0": array, "1": ...}`` (msgpack has no pytree types)."""
    return {str(i): np.asarray(x) for i, x in enumerate(jax.tree.leaves(tree))}


def restore(template: Any, stored: dict, what: str) -> Any:
    """Puts stored leaves back into ``template``'s structure, checking shapes and dtypes."""
    want = jax.tree.leaves(template)
    if len(stored) != len(want):
        raise CheckpointError(
            f"checkpoint: {what} has {len(stored)} arrays, this run expects {len(want)}"
        )
    out = []
    for i, ref in enumerate(want):
        value = np.asarray(stored[str(i)])
        ref = np.asarray(ref)
        if value.shape != ref.shape or value.dtype != ref.dtype:
            raise CheckpointError(
                f"checkpoint: {what} array {i} is {value.dtype}{list(value.shape)}, "
                f"this run expects {ref.dtype}{list(ref.shape)}"
            )
        out.append(value)
    return jax.tree.unflatten(jax.tree.structure(template), out)
