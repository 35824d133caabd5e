"""Checkpoints: atomic saves, and a resumed run equal bit for bit to an uninterrupted one.

The kill tests stop a real training process with SIGKILL at points drawn at random:
after an update (at the first steps, before any checkpoint exists; mid-epoch; at an
epoch's last update), right after a save, partway through writing the checkpoint (at a
random byte) or a log file, and twice in one run directory. Each time the run is resumed
and must end with the parameters, per-step learning rates and losses, metrics and logs
of a run that was never interrupted, bit for bit, with no temporary file left behind.

The points come from a fresh seed each session, printed and named in every assertion
message; ``SCHEDALG_KILL_SEED=N`` replays a session. Fresh rather than fixed: the claim
holds at every point, so a draw can only miss a bug, never invent one, and over many
sessions the draws cover all 74 points instead of the same seven.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import threading

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
# threshold 0.5: epoch 2's validation loss is no big enough gain, so the scale halves
# before epoch 3 and a resume that lost the plateau state would train epoch 3 differently.
PLATEAU_ARGS = {"factor": 0.5, "patience": 0, "threshold": 0.5}
PLATEAU = reduce_on_plateau(**PLATEAU_ARGS)
SPE = 8  # updates per epoch
TOTAL = CONFIG.epochs * SPE
# Saves come after update s for every epoch end and every checkpoint_every-th update:
# 3, 6, 8, 9, 12, 15, 16, 18, 21, 24.
SAVES = [s for s in range(1, TOTAL + 1) if s % SPE == 0 or s % CONFIG.checkpoint_every == 0]
LOGS = ["metrics.csv", "metrics.jsonl", "steps.csv"]  # in the order a save writes them

SEED = int(os.environ.get("SCHEDALG_KILL_SEED") or secrets.randbelow(2**32))

# A kill point is (step, phase, detail), ordered as the run passes them:
#   (k, 0, "")     "update k": the k-th update is computed, not yet logged or saved;
#   (s, 1, file)   "logs s file": the save after update s has written that log file's
#                  temporary copy and not renamed it;
#   (s, 2, frac)   "writing s frac": the checkpoint's temporary file holds that fraction
#                  of its bytes;
#   (s, 3, "")     "saved s": the checkpoint of step s is complete.
POINTS = (
    [(k, 0, "") for k in range(1, TOTAL + 1)]
    + [(s, 1, f) for s in SAVES for f in LOGS]
    + [(s, 2, "") for s in SAVES]
    + [(s, 3, "") for s in SAVES]
)
PHASES = ["update", "logs", "writing", "saved"]


def _order(point: tuple) -> tuple:
    step, phase, detail = point
    return step, phase, LOGS.index(detail) if phase == 1 else 0


POINTS.sort(key=_order)


def _text(point: tuple) -> str:
    step, phase, detail = point
    return " ".join(str(x) for x in (PHASES[phase], step, detail) if x != "")


def _draw(scenario: str) -> list[tuple]:
    """The kill points of one scenario, from its own stream of the session's seed."""
    rng = np.random.default_rng([SEED, SCENARIOS.index(scenario)])

    def pick(points: list) -> tuple:
        step, phase, detail = points[rng.integers(len(points))]
        if phase == 2:  # a random byte of the checkpoint: a fraction in [0, 1)
            detail = f"{rng.integers(10_000) / 10_000:.4f}"
        return step, phase, detail

    before_first = [p for p in POINTS if p[1] == 0 and p[0] <= SAVES[0]]
    mid_epoch = [p for p in POINTS if p[1] == 0 and p[0] > SAVES[0] and p[0] % SPE]
    boundary = [p for p in POINTS if p[0] % SPE == 0 and p[1] in (0, 3)]
    if scenario == "first-steps":  # resume is refused; a fresh start must match
        return [pick(before_first)]
    if scenario == "mid-epoch":
        return [pick(mid_epoch)]
    if scenario == "epoch-boundary":  # before the epoch's scoring and save, or after it
        return [pick(boundary)]
    if scenario == "after-save":
        return [pick([p for p in POINTS if p[1] == 3])]
    if scenario == "writing-checkpoint":
        return [pick([p for p in POINTS if p[1] == 2])]
    if scenario == "writing-logs":
        return [pick([p for p in POINTS if p[1] == 1])]
    assert scenario == "twice"  # two points, the second one reached by the resumed run
    i, j = sorted(rng.choice(len(POINTS), size=2, replace=False))
    return [pick([POINTS[i]]), pick([POINTS[j]])]


SCENARIOS = [
    "first-steps",
    "mid-epoch",
    "epoch-boundary",
    "after-save",
    "writing-checkpoint",
    "writing-logs",
    "twice",
]

# The training process: starts fresh or resumes the checkpoint in ``out``, counts the
# updates, and stops at the kill point (printing "pause ...") until the test kills it.
WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    import schedalg as sa
    from schedalg.plateau import reduce_on_plateau
    from schedalg.train import Config, train
    from schedalg.train import checkpoint, files, run
    from schedalg.train.data import load_npz

    data_path, out, start, point, schedule, config, plateau = sys.argv[1:]
    kind, at, *detail = point.split()
    at = int(at)
    resume = start == "resume"
    step = [run.checkpoint_meta(out)["step"] if resume else 0]  # updates made so far

    def pause(event):
        print("pause", event, flush=True)
        time.sleep(300)  # the test kills the process here

    real_update = run.apply_update
    def apply_update(*args):
        result = real_update(*args)
        step[0] += 1
        if kind == "update" and step[0] == at:
            pause(point)
        return result

    real_write_text = files.write_text
    def write_text(path, text):
        if kind == "logs" and step[0] == at and os.path.basename(path) == detail[0]:
            def replace(tmp, path):  # the temporary copy is written, not yet renamed
                pause(f"{point} {os.path.basename(tmp)}")
            os.replace = replace
        real_write_text(path, text)

    real_write_all = checkpoint._write_all
    def write_all(f, data):
        if kind == "writing" and step[0] == at:
            n = int(float(detail[0]) * len(data))
            f.write(data[:n])
            f.flush()
            pause(f"{point} bytes {n} of {len(data)}")
        real_write_all(f, data)

    real_save = checkpoint.save
    def save(path, payload):
        real_save(path, payload)
        if kind == "saved" and payload["step"] == at:
            pause(point)

    run.apply_update, files.write_text = apply_update, write_text
    checkpoint._write_all, checkpoint.save = write_all, save
    train(None if resume else sa.parse(schedule), load_npz(data_path),
          None if resume else Config.from_dict(json.loads(config)), out, resume=resume,
          plateau=reduce_on_plateau(**json.loads(plateau)), progress=False)
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


@pytest.fixture(scope="module")
def worker_env(tmp_path_factory):
    # The workers share a persistent compilation cache: the first compiles the model,
    # the others load it (about 2 s saved per process). Results are still compared
    # with the reference, which this process compiled itself.
    cache = str(tmp_path_factory.mktemp("jax_cache"))
    return {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": ROOT,
        "JAX_COMPILATION_CACHE_DIR": cache,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }


def _kill_at(env: dict, data_path: str, out: str, point: tuple, where: str) -> str:
    """Runs the worker in ``out`` until ``point``, SIGKILLs it, returns its pause line."""
    start = "resume" if os.path.exists(os.path.join(out, "checkpoint.msgpack")) else "fresh"
    args = [sys.executable, "-c", WORKER, data_path, out, start, _text(point), repr(SCHEDULE)]
    args += [json.dumps(CONFIG.to_dict()), json.dumps(PLATEAU_ARGS)]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    watchdog = threading.Timer(240, proc.kill)  # a worker that never pauses fails, not hangs
    watchdog.start()
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("pause "):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait(timeout=60)
        proc.stdout.close()
    out_text = "\n".join(lines[-30:])
    assert proc.returncode == -signal.SIGKILL, f"{where}: worker ({start}) ended:\n{out_text}"
    assert lines[-1].startswith("pause " + _text(point)), f"{where}: worker said:\n{out_text}"
    return lines[-1]


def _strays(out: str) -> list[str]:
    return sorted(f for f in os.listdir(out) if f.endswith((".tmp", ".part")))


def _check_killed_state(out: str, point: tuple, pause: str, reference, where: str) -> int:
    """What a kill at ``point`` must leave; returns the checkpoint's step (0: none)."""
    step, phase, detail = point
    done = [s for s in SAVES if s < step or (s == step and phase == 3)]
    path = os.path.join(out, "checkpoint.msgpack")
    strays = _strays(out)
    if phase == 1:  # one log file's complete temporary copy, never renamed
        assert len(strays) == 1 and strays[0].startswith(detail + "."), (where, strays)
        assert strays[0] == pause.split()[-1], (where, strays, pause)
    elif phase == 2:  # the checkpoint's temporary file, exactly as far as it was written
        written, size = (int(x) for x in pause.split()[-3::2])
        assert len(strays) == 1 and strays[0].endswith(".tmp"), (where, strays)
        tmp = os.path.join(out, strays[0])
        assert os.path.getsize(tmp) == written < size, (where, os.path.getsize(tmp), pause)
        with pytest.raises(CheckpointError):  # half a checkpoint is never loadable
            ck.load(tmp)
    else:
        assert strays == [], (where, strays)
    if not done:
        assert not os.path.exists(path), where
        return 0
    stored = ck.load(path)  # the last complete checkpoint, whatever was being written
    assert stored["step"] == done[-1], (where, stored["step"])
    assert stored["lr"].tobytes() == reference.lr[: done[-1]].tobytes(), where
    assert stored["loss"].tobytes() == reference.loss[: done[-1]].tobytes(), where
    return done[-1]


def _assert_same_run(resumed, reference, where: str = "") -> None:
    a, b = jax.tree.leaves(resumed.params), jax.tree.leaves(reference.params)
    assert len(a) == len(b), where
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), where
    assert resumed.lr.tobytes() == reference.lr.tobytes(), where
    assert resumed.loss.tobytes() == reference.loss.tobytes(), where
    assert _timeless(resumed.metrics) == _timeless(reference.metrics), where


def _timeless(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def _read(out: str, name: str) -> str:
    with open(os.path.join(out, name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sigkill_then_resume_is_bit_identical(scenario, data_path, reference, worker_env, tmp_path):
    points = _draw(scenario)
    where = (
        f"{scenario}: killed at {[_text(p) for p in points]} "
        f"(replay with SCHEDALG_KILL_SEED={SEED})"
    )
    print(where)
    out = str(tmp_path / "run")
    data = load_npz(data_path)
    for point in points:
        pause = _kill_at(worker_env, data_path, out, point, where)
        step = _check_killed_state(out, point, pause, reference, where)
    seen = []
    kwargs = {"plateau": PLATEAU, "progress": False, "on_epoch": lambda m: seen.append(m)}
    if step == 0:  # killed before the first checkpoint: resume is refused, clearly
        with pytest.raises(ValueError, match="--resume: no checkpoint in"):
            train(None, data, None, out, resume=True, **kwargs)
        assert seen == [], where
        resumed = train(SCHEDULE, data, CONFIG, out, **kwargs)  # and a fresh start works
    else:
        resumed = train(None, data, None, out, resume=True, **kwargs)
    # it continued from the checkpoint: only the epochs after it were run
    assert [m["epoch"] for m in seen] == list(range(step // SPE + 1, CONFIG.epochs + 1)), where
    assert len(resumed.lr) == TOTAL, where
    _assert_same_run(resumed, reference, where)
    assert _strays(out) == [], where  # the next save removed what the kill left
    assert _read(out, "steps.csv") == _read(reference.out_dir, "steps.csv"), where
    logged = [json.loads(line) for line in _read(out, "metrics.jsonl").splitlines()]
    assert _timeless(logged) == _timeless(reference.metrics), where
    summary = json.loads(_read(out, "summary.json"))
    expected = json.loads(_read(reference.out_dir, "summary.json"))
    assert {**summary, "seconds": 0} == {**expected, "seconds": 0}, where


def test_reference_run_reduces_on_plateau(reference):
    assert [m["lr_scale"] for m in reference.metrics] == [1.0, 1.0, 0.5]


def test_kill_points_cover_every_kind():
    points = {s: _draw(s) for s in SCENARIOS}
    assert sum(len(p) for p in points.values()) >= 5, (SEED, points)
    assert points["first-steps"][0][0] <= SAVES[0], (SEED, points)  # no checkpoint yet
    assert points["mid-epoch"][0][0] % SPE, (SEED, points)
    assert points["epoch-boundary"][0][0] % SPE == 0, (SEED, points)
    assert [points[s][0][1] for s in SCENARIOS[3:6]] == [3, 2, 1], (SEED, points)
    first, second = points["twice"]
    assert _order(first) < _order(second), (SEED, points)


def test_save_load_round_trip_keeps_arrays_and_types(tmp_path):
    path = str(tmp_path / "c.msgpack")
    payload = {"step": 7, "text": "cosine(start=1.0, end=0.0, steps=3)", "steps": [1, 2]}
    payload["a"] = np.arange(5, dtype=np.float32) / 3
    ck.save(path, payload)
    back = ck.load(path)
    assert back["step"] == 7 and back["text"] == payload["text"] and back["steps"] == [1, 2]
    assert back["a"].dtype == np.float32 and back["a"].tobytes() == payload["a"].tobytes()


def test_every_truncation_of_a_checkpoint_is_refused(tmp_path):
    # what a kill during a save leaves in the temporary file, at every possible byte
    path = str(tmp_path / "c.msgpack")
    payload = {"step": 3, "text": "cosine", "steps": [1, 2], "a": np.arange(6.0)}
    ck.save(path, {**payload, "nested": {"b": np.zeros(2, np.int32)}})
    with open(path, "rb") as f:
        data = f.read()
    for n in range(len(data)):
        with open(path, "wb") as f:
            f.write(data[:n])
        with pytest.raises(CheckpointError, match="not a readable checkpoint"):
            ck.load(path)


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
