"""Checkpoints: atomic saves, and a resumed run equal bit for bit to an uninterrupted one.

The resume tests kill a real training process with SIGKILL (once between saves, once
in the middle of writing a checkpoint), resume it, and compare the final parameters,
per-step learning rates and losses with a run that was never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import schedalg as sa
from schedalg.plateau import reduce_on_plateau
from schedalg.train import CheckpointError, Config, load_data, train
from schedalg.train import checkpoint as ck
from schedalg.train.data import load_npz

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEDULE = sa.warmup(sa.cosine(1e-2, 0.0, 20), 4)
# 320 images -> 256 train / 64 validation; batch 32 -> 8 updates per epoch, 24 in all.
CONFIG = Config(epochs=3, batch_size=32, checkpoint_every=3)
PLATEAU = reduce_on_plateau(factor=0.5, patience=0)

# The training process: reports each save on stdout and, at the chosen save, stops so
# the test can kill it with SIGKILL at a known point.
WORKER = textwrap.dedent(
    """
    import os, sys, time
    import schedalg as sa
    from schedalg.plateau import reduce_on_plateau
    from schedalg.train import Config, train
    from schedalg.train import checkpoint
    from schedalg.train.data import load_npz

    data_path, out, mode, at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    saves = [0]
    real_save, real_write = checkpoint.save, checkpoint._write_all

    def save(path, payload):
        saves[0] += 1
        real_save(path, payload)
        print("saved", payload["step"], flush=True)
        if mode == "between" and saves[0] == at:
            time.sleep(120)  # killed here: between two saves

    def write_all(f, data):
        if mode == "during" and saves[0] == at:
            f.write(data[: len(data) // 2])  # half of the new checkpoint is on disk
            f.flush()
            print("writing", flush=True)
            time.sleep(120)  # killed here: in the middle of a save
        real_write(f, data)

    checkpoint.save, checkpoint._write_all = save, write_all
    train(sa.parse(sys.argv[5]), load_npz(data_path),
          Config(epochs=3, batch_size=32, checkpoint_every=3), out,
          plateau=reduce_on_plateau(factor=0.5, patience=0), progress=False)
    print("finished", flush=True)
    """
)


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    digits = load_data()
    x = np.concatenate([digits.x_train, digits.x_val])[:320]
    y = np.concatenate([digits.y_train, digits.y_val])[:320]
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(path, x=x[..., 0], y=y)
    return str(path)


@pytest.fixture(scope="module")
def reference(data_path, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("reference"))
    return train(SCHEDULE, load_npz(data_path), CONFIG, out, plateau=PLATEAU, progress=False)


def _kill_at(data_path: str, out: str, mode: str, at: int, expect: str) -> list[str]:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": ROOT}
    args = [sys.executable, "-c", WORKER, data_path, out, mode, str(at), repr(SCHEDULE)]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith(expect) and (expect != "saved" or len(lines) == at):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (lines, proc.stderr.read())
    assert "finished" not in lines
    return lines


def _assert_same_run(resumed, reference) -> None:
    a, b = jax.tree.leaves(resumed.params), jax.tree.leaves(reference.params)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    assert resumed.lr.tobytes() == reference.lr.tobytes()
    assert resumed.loss.tobytes() == reference.loss.tobytes()
    strip = lambda ms: [{k: v for k, v in m.items() if k != "seconds"} for m in ms]
    assert strip(resumed.metrics) == strip(reference.metrics)


def test_resume_after_sigkill_between_saves_is_bit_identical(data_path, reference, tmp_path):
    out = str(tmp_path / "run")
    lines = _kill_at(data_path, out, "between", 5, "saved")
    # saves at steps 3, 6, 8 (epoch end), 9, 12: killed mid-epoch 2, after step 12
    assert lines == ["saved 3", "saved 6", "saved 8", "saved 9", "saved 12"]
    assert ck.load(os.path.join(out, "checkpoint.msgpack"))["step"] == 12
    seen = []
    resumed = train(
        None,
        load_npz(data_path),
        None,
        out,
        resume=True,
        plateau=PLATEAU,
        progress=False,
        on_epoch=lambda m: seen.append(m["epoch"]),
    )
    assert seen == [2, 3]  # continued from step 12, inside epoch 2; did not start over
    assert len(resumed.lr) == 24
    assert [m["lr_scale"] for m in resumed.metrics] == [m["lr_scale"] for m in reference.metrics]
    _assert_same_run(resumed, reference)


def test_kill_during_save_keeps_previous_checkpoint(data_path, reference, tmp_path):
    out = str(tmp_path / "run")
    lines = _kill_at(data_path, out, "during", 4, "writing")
    assert lines == ["saved 3", "saved 6", "saved 8", "writing"]
    # the half-written temp file is there, the checkpoint is still the complete step 8
    stray = [f for f in os.listdir(out) if f.endswith(".tmp")]
    assert len(stray) == 1
    assert os.path.getsize(os.path.join(out, stray[0])) > 0
    assert ck.load(os.path.join(out, "checkpoint.msgpack"))["step"] == 8
    seen = []
    resumed = train(
        None,
        load_npz(data_path),
        None,
        out,
        resume=True,
        plateau=PLATEAU,
        progress=False,
        on_epoch=lambda m: seen.append(m["epoch"]),
    )
    assert seen == [2, 3]  # continued from the step-8 checkpoint
    _assert_same_run(resumed, reference)
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]  # cleaned by the next save


def test_save_load_round_trip_keeps_arrays_and_types(tmp_path):
    path = str(tmp_path / "c.msgpack")
    payload = {"step": 7, "text": "cosine(start=1.0, end=0.0, steps=3)", "steps": [1, 2]}
    payload["a"] = np.arange(5, dtype=np.float32) / 3
    ck.save(path, payload)
    back = ck.load(path)
    assert back["step"] == 7 and back["text"] == payload["text"] and back["steps"] == [1, 2]
    assert back["a"].dtype == np.float32 and back["a"].tobytes() == payload["a"].tobytes()


def test_save_failing_midway_leaves_previous_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / "c.msgpack")
    ck.save(path, {"step": 1})

    def broken(f, data):
        f.write(data[:3])
        raise OSError("disk full")

    monkeypatch.setattr(ck, "_write_all", broken)
    with pytest.raises(OSError, match="disk full"):
        ck.save(path, {"step": 2})
    assert ck.load(path)["step"] == 1
    assert os.listdir(tmp_path) == ["c.msgpack"]  # the temp file is removed


def test_load_truncated_or_foreign_file_raises_checkpoint_error(tmp_path):
    path = str(tmp_path / "c.msgpack")
    ck.save(path, {"step": 1, "a": np.zeros(100)})
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        ck.load(path)
    with open(path, "wb") as f:
        f.write(b"\x81\xa1a\x01")  # msgpack {"a": 1}: readable, not ours
    with pytest.raises(CheckpointError, match="not a schedalg checkpoint"):
        ck.load(path)
    with pytest.raises(CheckpointError, match="No such file"):
        ck.load(str(tmp_path / "missing.msgpack"))


def test_restore_rejects_mismatched_structure():
    stored = ck.leaves({"w": np.zeros(3, np.float32)})
    with pytest.raises(CheckpointError, match="expects float32\\[4\\]"):
        ck.restore({"w": np.zeros(4, np.float32)}, stored, "params")
    with pytest.raises(CheckpointError, match="has 1 arrays, this run expects 2"):
        ck.restore({"w": np.zeros(3), "b": np.zeros(1)}, stored, "params")


def test_resume_with_other_schedule_or_config_is_refused(data_path, reference):
    data = load_npz(data_path)
    other = sa.cosine(1e-2, 0.0, 24)
    with pytest.raises(ValueError, match="trains warmup"):
        train(other, data, None, reference.out_dir, resume=True, plateau=PLATEAU)
    with pytest.raises(ValueError, match="batch_size=32, got 16"):
        train(
            None,
            data,
            Config(epochs=3, batch_size=16),
            reference.out_dir,
            resume=True,
            plateau=PLATEAU,
        )
    with pytest.raises(ValueError, match="plateau rule differs"):
        train(None, data, None, reference.out_dir, resume=True)
