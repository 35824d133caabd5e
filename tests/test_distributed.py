"""Sweeps on JAX's multi-process runtime, on this one machine: two processes on
127.0.0.1 with 4 CPU devices each (gloo collectives), against one process with 8 devices
and one with 1; sharded orbax checkpoints; a process killed mid-sweep and during a save.

Every run is ``schedalg sweep``'s own code path (the parser, ``distributed.initialize``,
``sweep.command``) on a tiny CNN and 128 digits; the results compared are the final
checkpoints (parameters, optimizer states, every logged number). Ports are chosen at run
time, every process is started in its own process group and killed by the test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from schedalg.cli import parser
from schedalg.train import distributed, load_data
from schedalg.train.population_checkpoint import read

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEARTBEAT = 10  # seconds: the coordination service's bound on noticing a lost process
TIMEOUT = 120  # seconds: any one launch (a hang fails the test instead of the suite)

#: One process of a sweep: the ``schedalg sweep`` command with a tiny CNN, and optional
#: faults: SCHEDALG_TEST_FAULT="mid:S" (once checkpoint S is complete, SIGKILL this
#: process during the next epoch) or "save:S" (SIGKILL right after starting to save S).
WORKER = r"""
import json, os, signal, sys
from schedalg.cli import _config, load_schedule, parser
from schedalg.train import Config, distributed, load_data
from schedalg.train import population, population_checkpoint
from schedalg.train.sweep import command

args = parser().parse_args(json.loads(sys.argv[1]))
distributed.initialize(args.coordinator, args.num_processes, args.process_id,
                       heartbeat_timeout=int(os.environ["HEARTBEAT"]))
fault = os.environ.get("SCHEDALG_TEST_FAULT")
if fault:
    kind, step = fault.split(":")
    save, fetch, armed = population_checkpoint.PopulationCheckpoints.save, population._fetch, []

    def die():
        print(f"FAULT {fault} pid {os.getpid()}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    def save_hook(self, s, state, host):
        save(self, s, state, host)
        if s == int(step) and kind == "save":
            die()  # the save is in flight: its files are being written
        if s == int(step) and kind == "mid":
            self.wait()  # checkpoint S complete on every process, then die mid-epoch
            armed.append(True)

    def fetch_hook(tree):
        if armed:
            die()
        return fetch(tree)

    population_checkpoint.PopulationCheckpoints.save = save_hook
    population._fetch = fetch_hook
config = _config(args, Config(features=(4,), hidden=8))
sys.exit(command(args, load_schedule(args.schedule), config, load_data(args.data)))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def data_path(tmp_path_factory) -> str:
    """160 digits: 128 train (4 updates of 32 per epoch) and 32 validation."""
    d = load_data()
    path = tmp_path_factory.mktemp("data") / "digits.npz"
    np.savez(path, x=d.x_train[:160, ..., 0], y=d.y_train[:160])
    return str(path)


def sweep_args(data: str, out: str) -> list[str]:
    """8 members (4 peaks x 2 warmups), 2 epochs, a checkpoint after each."""
    return ["sweep", "--schedule", "warmup(cosine(1e-3, 0.0, 8), 2)",
            "--grid", "peak=1e-3:3e-2:log:4", "--grid", "warmup=0,3", "--epochs", "2",
            "--batch-size", "32", "--seed", "1", "--data", data, "--out", out]  # fmt: skip


class Launch:
    """Processes of one sweep, each in its own process group, all killed at the end."""

    def __init__(self, argv: list[str], devices: int, processes: int = 1, faults=None):
        port = free_port()
        self.procs = []
        for i in range(processes):
            extra = (["--coordinator", f"127.0.0.1:{port}", "--num-processes",
                      str(processes), "--process-id", str(i)] if processes > 1 else [])  # fmt: skip
            env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": ROOT,
                   "HEARTBEAT": str(HEARTBEAT),
                   "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}  # fmt: skip
            env.pop("SCHEDALG_TEST_FAULT", None)
            if faults and faults.get(i):
                env["SCHEDALG_TEST_FAULT"] = faults[i]
            self.procs.append(subprocess.Popen(
                [sys.executable, "-c", WORKER, json.dumps(argv + extra)], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                start_new_session=True))  # fmt: skip
        self.ended: dict[int, float] = {}

    def wait(self) -> list[tuple[int, str, str, float]]:
        """(status, stdout, stderr, time of exit) per process; kills all on a timeout."""
        deadline = time.monotonic() + TIMEOUT
        while len(self.ended) < len(self.procs) and time.monotonic() < deadline:
            for i, p in enumerate(self.procs):
                if i not in self.ended and p.poll() is not None:
                    self.ended[i] = time.monotonic()
            time.sleep(0.05)
        self.kill()
        out = []
        for i, p in enumerate(self.procs):
            stdout, stderr = p.communicate()
            out.append((p.returncode, stdout, stderr, self.ended.get(i, float("inf"))))
        return out

    def kill(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)


def final(out: str) -> dict:
    r = read(os.path.join(out, "checkpoints"))
    return {"params": r["state"]["flat"], "opt": r["state"]["opt"], **r["host"], "step": r["step"]}


def assert_same(a: dict, b: dict, keys=None) -> None:
    for key in keys or a:
        if key == "opt":
            assert all(np.array_equal(x, y) for x, y in zip(a[key], b[key])), key
        else:
            assert np.array_equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def uninterrupted(data_path, tmp_path_factory):
    """The same sweep as 2 processes x 4 devices, 1 process x 8 and 1 process x 1,
    launched together (4 processes on the machine at once)."""
    base = tmp_path_factory.mktemp("sweeps")
    outs = {name: str(base / name) for name in ("2x4", "1x8", "1x1")}
    launches = {
        "2x4": Launch(sweep_args(data_path, outs["2x4"]), devices=4, processes=2),
        "1x8": Launch(sweep_args(data_path, outs["1x8"]), devices=8),
        "1x1": Launch(sweep_args(data_path, outs["1x1"]), devices=1),
    }
    try:
        runs = {name: launch.wait() for name, launch in launches.items()}
    finally:
        for launch in launches.values():
            launch.kill()
    for name, procs in runs.items():
        for status, _, stderr, _ in procs:
            assert status == 0, f"{name}: {stderr[-3000:]}"
    return outs, runs


def test_two_processes_equal_one_process_of_8_devices_and_of_1(uninterrupted):
    outs, runs = uninterrupted
    two, eight, one = (final(outs[k]) for k in ("2x4", "1x8", "1x1"))
    # 2 x 4 devices and 1 x 8 run the same per-device program on the same members:
    # every number to the last bit
    assert_same(two, eight)
    # 1 device runs the 8 members one after the other in one program (lax.map): the
    # same parameters, optimizer states, learning rates and training losses to the
    # last bit; the validation losses differ by float rounding (the one-device program
    # fuses the validation pass's reductions differently), at most a few float32 ulps
    assert_same(two, one, ["params", "opt", "lr_all", "loss_all", "train_acc", "val_acc"])
    ulps = np.abs(two["val_loss"].astype(np.float32).view(np.int32)
                  - one["val_loss"].astype(np.float32).view(np.int32))  # fmt: skip
    print(f"1 x 1 against 2 x 4: validation losses differ by at most {ulps.max()} ulp(s), "
          f"in {(ulps > 0).sum()} of {ulps.size}")  # fmt: skip
    assert ulps.max() <= 4
    # process 0 wrote the report, process 1 only its progress lines
    (s0, out0, err0, _), (s1, out1, err1, _) = runs["2x4"]
    assert "8 members (4 peak x 2 warmup)" in out0 and "in 2 processes" in out0
    # (gloo itself prints "[Gloo] Rank ... connected" lines to stdout, from C++)
    assert "wrote" in out0 and [x for x in out1.splitlines() if not x.startswith("[Gloo]")] == []
    assert sorted(os.listdir(outs["2x4"])) == sorted(os.listdir(outs["1x8"]))
    assert "process 1/2: chunk 1/1 epoch 2/2 done" in err1 and "process 0/2" not in err1
    summary = []
    for k in ("2x4", "1x8"):
        with open(os.path.join(outs[k], "summary.json")) as f:
            summary.append(json.load(f))
    assert summary[0]["best"] == summary[1]["best"] and summary[0]["devices"] == 8


def test_killed_processes_exit_promptly_and_the_relaunch_resumes_bit_identical(
    uninterrupted, data_path, tmp_path
):
    outs, _ = uninterrupted
    out = str(tmp_path / "killed")
    argv = sweep_args(data_path, out)
    # 1. process 1 dies in epoch 2, after checkpoint 1 is complete
    launch = Launch(argv, devices=4, processes=2, faults={1: "mid:1"})
    try:
        (s0, _, err0, t0), (s1, _, err1, t1) = launch.wait()
    finally:
        launch.kill()
    assert s1 == -signal.SIGKILL and "FAULT mid:1" in err1
    assert s0 == distributed.EXIT_LOST, err0[-3000:]
    assert "process 0 of 2 (4 of 8 devices): lost contact with another process" in err0
    assert f"resume from epoch 1 in {out}/checkpoints" in err0
    assert t0 - t1 < HEARTBEAT + 5  # noticed at once (a reset connection), never a hang
    steps = sorted(os.listdir(os.path.join(out, "checkpoints")))
    assert steps == ["1"]
    # 2. relaunched; now process 0 (the coordinator) dies while saving checkpoint 2
    launch = Launch(argv, devices=4, processes=2, faults={0: "save:2"})
    try:
        (s0, _, err0, t0), (s1, _, err1, t1) = launch.wait()
    finally:
        launch.kill()
    assert s0 == -signal.SIGKILL and "FAULT save:2" in err0
    # process 0 hosted JAX's coordination service: JAX's client in process 1 sees the
    # connection close and aborts the process itself, at once, with its own message
    # (or, if a collective fails first, ours)
    jax_message = "Terminating process because the JAX distributed service detected fatal"
    assert (s1, jax_message in err1) == (-signal.SIGABRT, True) or (
        s1 == distributed.EXIT_LOST and "process 1 of 2 (4 of 8 devices): lost contact" in err1
    ), err1[-3000:]
    assert t1 - t0 < HEARTBEAT + 5
    names = os.listdir(os.path.join(out, "checkpoints"))
    assert "1" in names and "2" not in names  # the interrupted save is not a checkpoint
    # 3. relaunched again: resumes after epoch 1 and ends as the uninterrupted run
    launch = Launch(argv, devices=4, processes=2)
    try:
        (s0, out0, err0, _), (s1, _, err1, _) = launch.wait()
    finally:
        launch.kill()
    assert s0 == 0 and s1 == 0, err0[-3000:] + err1[-3000:]
    assert f"resumed from the checkpoint after epoch 1 in {out}/checkpoints" in out0
    assert "epoch 1/2 done" not in err1 and "epoch 2/2 done" in err1
    assert_same(final(out), final(outs["2x4"]))
    with open(os.path.join(out, "results.csv")) as a, open(outs["2x4"] + "/results.csv") as b:
        assert a.read() == b.read()


def test_launch_options_are_checked_before_jax_starts(capsys):
    args = parser().parse_args(["sweep", "--schedule", "cosine(1e-3, 0.0, 8)", "--grid",
                                "peak=1e-3,1e-2", "--coordinator", "127.0.0.1:1"])  # fmt: skip
    assert (args.num_processes, args.process_id, args.checkpoint_epochs) == (None, None, 1)
    with pytest.raises(ValueError, match="missing --num-processes, --process-id"):
        distributed.initialize("127.0.0.1:1234", None, None)
    with pytest.raises(ValueError, match=r"--process-id must be in \[0, 1\].*got 2"):
        distributed.initialize("127.0.0.1:1234", 2, 2)
    with pytest.raises(ValueError, match="--coordinator must be HOST:PORT.*'localhost'"):
        distributed.initialize("localhost", 2, 0)
    assert distributed.initialize("127.0.0.1:1234", 1, 0) is False  # one process: nothing
    assert distributed.initialize(environ={}) is False
    slurm = {"SLURM_JOB_ID": "1", "SLURM_STEP_NODELIST": "n1", "SLURM_PROCID": "0",
             "SLURM_LOCALID": "0"}  # fmt: skip
    assert distributed.detect({**slurm, "SLURM_NTASKS": "4"}) == "slurm"
    assert distributed.detect({**slurm, "SLURM_NTASKS": "1"}) is None
    assert distributed.detect({"TPU_WORKER_HOSTNAMES": "t0,t1"}) == "cloud-tpu"
    assert distributed.detect({"OMPI_MCA_orte_hnp_uri": "x", "OMPI_COMM_WORLD_SIZE": "2"}) == (
        "open-mpi"
    )
