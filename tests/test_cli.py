"""The ``schedalg`` command: real subprocesses for the entry point and the error paths,
``main(argv)`` in-process for the rest (same code, no interpreter start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import schedalg as sa
from schedalg.cli import main
from schedalg.train import load_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = ["--epochs", "2", "--batch-size", "32", "--quiet"]


def run_cli(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    # SCHEDALG_CLI names an installed `schedalg` command (tools/check_wheel.py runs these
    # tests against the wheel); otherwise the source tree's entry point runs.
    installed = os.environ.get("SCHEDALG_CLI")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    if not installed:
        env["PYTHONPATH"] = ROOT
    return subprocess.run(
        [*([installed] if installed else [sys.executable, "-m", "schedalg.cli"]), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def data_path(tmp_path_factory) -> str:
    """320 digits: 256 train / 64 validation, 8 updates per epoch at batch 32."""
    digits = load_data()
    x = np.concatenate([digits.x_train, digits.x_val])[:320, ..., 0]
    y = np.concatenate([digits.y_train, digits.y_val])[:320]
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(path, x=x, y=y)
    return str(path)


def _error_line(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"schedalg {command}: ")
    return lines[0]


# ----------------------------------------------------------------------------
# Subprocesses: the real entry point


def test_subprocess_show_prints_canonical_form_and_summary():
    proc = run_cli("show", "warmup(cosine(1e-3, 0.0, 900), 100)")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "warmup(cosine(start=0.001, end=0.0, steps=900), steps=100)"
    assert lines[1] == "steps 0..1000 (duration 1000)"
    assert lines[2].startswith("peak 0.001 at step 100, final 0, ")


def test_subprocess_train_with_bad_expr_fails_in_one_line_writing_nothing(tmp_path):
    out = tmp_path / "run"
    proc = run_cli("train", "--schedule", "cosine(1e-3, 0.0", "--out", str(out))
    assert proc.returncode == 2 and proc.stdout == ""
    line = _error_line(proc.stderr, "train")
    assert "bad schedule 'cosine(1e-3, 0.0'" in line and "never closed" in line
    assert not out.exists()


def test_subprocess_train_with_bad_data_path_fails_in_one_line_writing_nothing(tmp_path):
    out = tmp_path / "run"
    missing = tmp_path / "missing.npz"
    proc = run_cli(
        "train", "--schedule", "constant(1e-3)", "--data", str(missing), "--out", str(out)
    )
    assert proc.returncode == 2
    assert _error_line(proc.stderr, "train") == f"schedalg train: data: {missing}: no such file"
    assert not out.exists()


def test_subprocess_train_writes_the_run(data_path, tmp_path):
    out = tmp_path / "run"
    proc = run_cli(
        "train",
        "--schedule",
        "cosine(1e-2, 0.0, 16)",
        "--data",
        data_path,
        "--out",
        str(out),
        *TRAIN,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("small.npz: 256 train / 64 validation images of 8x8x1")
    assert "final: train loss" in proc.stdout
    with open(out / "summary.json") as f:
        summary = json.load(f)
    assert summary["schedule"] == "cosine(start=0.01, end=0.0, steps=16)"
    files = {"metrics.csv", "metrics.jsonl", "steps.csv", "checkpoint.msgpack", "curves.png"}
    assert files <= set(os.listdir(out))


# ----------------------------------------------------------------------------
# main(argv) in-process


def test_show_summary_values(capsys):
    assert main(["show", "step(1.0, 2, 0.5)", "--steps", "6"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "steps 0..5 (duration unbounded)"
    # values 1, 1, .5, .5, .25, .25: peak at 0, final .25, mean .583333, area 3.5
    assert out[2] == "peak 1 at step 0, final 0.25, mean 0.583333, area 3.5 (sum over the steps)"


def test_show_reads_a_json_file(tmp_path, capsys):
    path = tmp_path / "s.json"
    schedule = sa.warmup(sa.cosine(1e-3, 0.0, 90), 10)
    path.write_text(json.dumps(sa.to_dict(schedule)))
    assert main(["show", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == repr(schedule)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["show", "cosine(1e-3, 0.0, 10)", "--steps", str(10**12)], "--steps must be between"),
        (["show", "cosine(1e-3, 0.0, -1)"], "steps must be >= 0, got steps=-1"),
        (["show", "open('x')"], "unknown schedule 'open'"),
        (["show", "broken.json"], "cannot read schedule file broken.json"),
        (["plot", "constant(1.0)", "-o", "x.txt"], "file type must be one of"),
        (["plot", "constant(1.0)", "-o", "/no/such/dir/x.png"], "does not exist"),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in _error_line(captured.err, argv[0])
    assert captured.out == "" and os.listdir(tmp_path) == []


def test_plot_draws_several_schedules(tmp_path, capsys):
    path = tmp_path / "s.png"
    argv = ["plot", "cosine(1.0, 0.0, 50)", "linear(0.0, 1.0, 80)", "--steps", "100", "-o"]
    assert main([*argv, str(path)]) == 0
    assert capsys.readouterr().out == f"wrote {path}\n"
    assert path.stat().st_size > 10_000


def test_train_refuses_unwritable_out_writing_nothing(data_path, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "run"
    argv = ["train", "--schedule", "constant(1e-3)", "--data", data_path, "--out", str(out)]
    assert main(argv) == 2
    assert "is not a directory" in _error_line(capsys.readouterr().err, "train")
    assert os.listdir(tmp_path) == ["file"]


def test_train_snapshots_without_restart_fail_before_writing(data_path, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--schedule", "cosine(1e-2, 0.0, 16)", "--data", data_path, "--out", str(out)]
    assert main([*argv, *TRAIN, "--snapshots"]) == 2
    assert "found no restart node" in _error_line(capsys.readouterr().err, "train")
    assert not out.exists()


def test_train_snapshots_resume_and_refuse_to_overwrite(data_path, tmp_path, capsys):
    out = str(tmp_path / "run")
    schedule = "restart(cosine(1e-2, 0.0, 8))"
    argv = ["train", "--schedule", schedule, "--data", data_path, "--out", out, *TRAIN]
    assert main([*argv, "--snapshots"]) == 0
    text = capsys.readouterr().out
    assert "snapshot ensemble of 2 models (steps [8, 16]): val acc " in text
    assert main(argv) == 2  # a run is already there
    assert "--resume" in _error_line(capsys.readouterr().err, "train")
    # --resume finds the schedule, the data and the settings in the checkpoint
    assert main(["train", "--resume", "--out", out, "--quiet"]) == 0
    assert "snapshot ensemble of 2 models" in capsys.readouterr().out
    assert main(["train", "--resume", "--out", out, "--batch-size", "16"]) == 2
    assert "batch_size=32, got 16" in capsys.readouterr().err
    assert main(["train", "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "no checkpoint in" in capsys.readouterr().err


def test_compare_writes_report_and_figure(data_path, tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--data", data_path, "--out", str(out), "--only", "cosine,WSD",
            "--peaks", "3e-3,1e-2", "--seeds", "2", "--label-noise", "0.1", *TRAIN]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("small.npz (10% label noise): 256 train / 64 validation images")
    assert "2 families x 2 peaks x 2 seeds = 8 models" in text
    assert f"wrote {out / 'report.md'}" in text and f"wrote {out / 'compare.png'}" in text
    assert "has the lowest mean final validation loss" in text and "ratio" in text
    report = (out / "report.md").read_text()
    assert "| cosine |" in report and "| WSD |" in report and "| step |" not in report
    assert "paired t-test" in report and "**Verdict.**" in report
    assert main([*argv[:-5], "--only", "nope", *TRAIN]) == 2
    assert "unknown families ['nope']" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--peaks", "1e-3,x"], "--peaks must be comma-separated numbers, got '1e-3,x'"),
        (["--peaks", "0,1e-3"], "--peaks must be numbers in (0, 100], got '0,1e-3'"),
        (["--peak", "1e-3", "--peaks", "1e-3"], "give --peak (the grid's centre) or --peaks"),
        (["--peak", "-1"], "--peak must be in (0, 100], got -1.0"),
        (["--seeds", "1", "--peaks", "1e-3"], "seeds must be >= 2"),
        (["--label-noise", "1.5"], "label_noise must be in [0, 1), got label_noise=1.5"),
        (["--train-images", "1"], "train_images must be an integer in [2, 256]"),
    ],
)
def test_compare_refuses_bad_options(data_path, tmp_path, capsys, extra, message):
    argv = ["compare", "--data", data_path, "--out", str(tmp_path / "c"), *extra, *TRAIN]
    assert main(argv) == 2
    assert message in _error_line(capsys.readouterr().err, "compare")
    assert not (tmp_path / "c").exists()


def test_compare_defaults_match_the_library():
    from schedalg import cli
    from schedalg.train import compare

    assert (cli.COMPARE_SEEDS, cli.COMPARE_POINTS) == (compare.SEEDS, compare.POINTS)
    assert cli.COMPARE_FULL == compare.FULL


def test_find_lr_prints_suggestions_and_writes_plot(data_path, tmp_path, capsys):
    out = tmp_path / "lr"
    argv = [
        "find-lr",
        "--data",
        data_path,
        "--out",
        str(out),
        "--steps",
        "30",
        "--batch-size",
        "32",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    for name in ("valley", "steepest", "minimum"):
        assert f"  {name}" in text
    assert sorted(os.listdir(out)) == ["lr_find.csv", "lr_find.png"]
    rows = np.loadtxt(out / "lr_find.csv", delimiter=",", skiprows=1)
    assert rows.shape == (30, 4)
    np.testing.assert_allclose(rows[[0, -1], 1], [1e-6, 1.0], rtol=1e-5)
