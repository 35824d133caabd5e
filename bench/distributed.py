"""The cost of JAX's multi-process runtime: one sweep as 2 processes x 4 devices against
1 process x 8 devices, on this CPU, side by side in one run.

The sweep: 16 members (4 peaks x 4 warmups of warmup+cosine), the default CNN of
``schedalg.train``, 2 epochs of digits at batch 128, through ``sweep.run_sweep`` (the
``schedalg sweep`` code path; no files, no checkpoints). Both layouts run the same
per-device program on the same members (their validation losses are compared: with
this CNN and 2 members per device they differ by about 1 float32 ulp in a few members,
unlike the tests' tiny configuration, which is identical to the last bit); the
2-process one adds gloo collectives between the processes (gathering each epoch's
metrics) and the coordination service. Timed: ``train_population``'s wall time inside
the processes (compilation included), the slower process of the pair, and the whole
launch (process start, imports, connection) as a second figure. The layouts alternate,
three times each; medians. About a minute.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = __file__.rsplit("/", 2)[0]
sys.path.insert(0, ROOT)
from bench._timing import record, table  # noqa: E402

REPS = 3
WORKER = r"""
import json, sys
from schedalg import parse
from schedalg.train import Config, distributed, load_data
from schedalg.train.sweep import run_sweep

port, n, i = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if n > 1:
    distributed.initialize(f"127.0.0.1:{port}", n, i)
result = run_sweep(parse("warmup(cosine(3e-3, 0.0, 20), 2)"),
                   ["peak=1e-3:1e-2:log:4", "warmup=0:6:lin:4"], load_data(),
                   Config(epochs=2, batch_size=128), None, progress=False, checkpoint_every=0)
pop = result.population
print(json.dumps({"seconds": pop.seconds, "devices": pop.devices,
                  "val_loss": pop.metrics["val_loss"].ravel().tolist()}))
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(processes: int, devices: int) -> dict:
    """One sweep; returns the slower process's training seconds, the launch's wall
    seconds and the validation losses."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": ROOT,
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}  # fmt: skip
    port = str(_port())
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, port, str(processes), str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        for i in range(processes)
    ]
    try:
        outs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    wall = time.perf_counter() - start
    results = []
    for p, (stdout, stderr) in zip(procs, outs):
        if p.returncode != 0:
            raise RuntimeError(f"{processes} x {devices}: {stderr[-2000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return {"train": max(r["seconds"] for r in results), "wall": wall,
            "val_loss": results[0]["val_loss"], "devices": results[0]["devices"]}  # fmt: skip


def main() -> list[dict]:
    runs: dict[str, list[dict]] = {"2x4": [], "1x8": []}
    for _ in range(REPS):  # alternate the layouts: shared-machine noise hits both
        runs["2x4"].append(launch(2, 4))
        runs["1x8"].append(launch(1, 8))
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("train", "wall")}
           for k, v in runs.items()}  # fmt: skip
    ref = runs["1x8"][0]["val_loss"]
    diff = max(abs(a - b) for v in runs.values() for r in v for a, b in zip(r["val_loss"], ref))
    for k, m in med.items():
        print(f"{k}: training {m['train']:.2f} s, whole launch {m['wall']:.2f} s "
              f"({runs[k][0]['devices']} devices)")  # fmt: skip
    print(f"largest difference of a validation loss between any two runs: {diff:.3g}")
    train = med["2x4"]["train"] / med["1x8"]["train"]
    wall = med["2x4"]["wall"] / med["1x8"]["wall"]
    rows = [
        {"name": "sweep of 16 CNNs x 2 epochs: 2 processes x 4 devices / 1 x 8 (training)",
         "ratio": train, "goal": "-", "met": None},
        {"name": "the same, whole launch (start, imports, connection, training)",
         "ratio": wall, "goal": "-", "met": None},
        {"name": "largest |validation loss difference| between the layouts",
         "ratio": diff, "goal": "< 1e-5", "met": diff < 1e-5},
    ]  # fmt: skip
    record("distributed", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
