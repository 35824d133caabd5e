"""``schedalg sweep``: grid names and values, the batched schedule, ranking, the command
end to end; and evaluate-only sweeps: blocked ``evaluate`` and ``summarize``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import schedalg as sa
from schedalg._batch import evaluate, summarize
from schedalg.cli import main
from schedalg.train import Config, load_data
from schedalg.train.population import PopulationResult
from schedalg.train.sweep import (
    SweepResult,
    grid_schedule,
    parse_values,
    rank,
    resolve,
    write_results,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------
# Names and values


@pytest.mark.parametrize(
    "expr, name, path",
    [
        ("warmup(cosine(1e-3, 0.0, 600), 60)", "peak", "schedule.start"),
        ("warmup(cosine(1e-3, 0.0, 600), 60)", "warmup", "steps"),
        ("warmup(cosine(1e-3, 0.0, 600), 60)", "steps", "schedule.steps"),
        ("warmup(cosine(1e-3, 0.0, 600), 60)", "end", "schedule.end"),
        ("wsd(1e-3, 10, 50, 20)", "peak", "peak"),
        ("wsd(1e-3, 10, 50, 20)", "warmup", "warmup"),
        ("scale(one_cycle(1e-4, 1e-2, 1e-6, 100), 2.0)", "peak", "schedule.peak"),
        ("cyclic(1e-4, 1e-2, 10)", "peak", "high"),
        ("constant(0.1)", "peak", "value"),
        ("restart(cosine(1.0, 0.0, 10), 10)", "period", "period"),
        ("warmup(cosine(1e-3, 0.0, 600), 60)", "warmup.schedule.steps", "schedule.steps"),
        ("warmup(cosine(1e-3, 0.0, 600), 60)", ".schedule.start", "schedule.start"),
        ("join(linear(0.0, 1.0, 5), cosine(1.0, 0.0, 10))", "pieces[1].steps", "pieces[1].steps"),
    ],
)
def test_resolve_names_aliases_and_leaf_paths(expr, name, path):
    assert resolve(sa.parse(expr), name) == (path, None)


def test_resolve_vector_entry_and_unknown_names():
    s = sa.parse("multistep(0.1, [100, 200], 0.5)")
    assert resolve(s, "milestones[1]") == ("milestones", 1)
    with pytest.raises(ValueError, match=r"milestones has only 2 entries"):
        resolve(s, "milestones[2]")
    with pytest.raises(
        ValueError, match=r"--grid lr: unknown parameter .* start, milestones, factor"
    ):
        resolve(s, "lr")
    with pytest.raises(ValueError, match=r"has no warmup node"):
        resolve(s, "warmup")
    with pytest.raises(ValueError, match=r"join\(\.\.\.\) has no peak number"):
        resolve(sa.parse("join(linear(0.0, 1.0, 5), cosine(1.0, 0.0, 10))"), "peak")


def test_parse_values_ranges_lists_and_integers():
    log, is_log = parse_values("1e-4:1e-2:log:3", "p", integer=False)
    np.testing.assert_allclose(log, [1e-4, 1e-3, 1e-2])
    assert is_log
    assert parse_values("0:1:5", "p", integer=False)[0].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert parse_values("0,30,120", "w", integer=True)[0].tolist() == [0, 30, 120]
    assert parse_values("10:1000:log:3", "w", integer=True)[0].tolist() == [10, 100, 1000]
    assert parse_values("[1,2];[3,4]", "m", integer=True)[0].tolist() == [[1, 2], [3, 4]]
    for text, message in [
        ("1.5,2", "this leaf is a step count; use integers"),
        ("0:2:lin:5", r"the choices repeat \(after rounding"),
        ("0:1e-2:log:3", "a log range needs START, STOP > 0"),
        ("1:2:cubic:3", "a range is START:STOP:log:N"),
        ("1:2:lin:0", r"N must be an integer in \[1, 100000\]"),
        ("a,b", "'a' is not a number"),
        ("1,,2", "'' is not a number"),
        ("[1,2];[3]", "vectors must be lists of numbers of one length"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_values(text, "x=...", integer=True)


def test_grid_schedule_sets_each_leaf_and_keeps_the_rest():
    base = sa.parse("warmup(cosine(1e-3, 0.0, 600), 60)")
    batch, axes = grid_schedule(base, ["peak=1e-4:1e-2:log:3", "warmup=0,30", "steps=500,900"])
    assert sa.batch_shape(batch) == (3, 2, 2)
    assert [a.name for a in axes] == ["peak", "warmup", "steps"] and axes[0].log
    t = np.arange(1000)
    values = np.asarray(sa.evaluate(batch, t))
    for i, peak in enumerate([1e-4, 1e-3, 1e-2]):
        for j, warm in enumerate([0, 30]):
            for k, steps in enumerate([500, 900]):
                one = sa.warmup(sa.cosine(peak, 0.0, steps), warm)
                np.testing.assert_allclose(values[i, j, k], sa.evaluate(one, t), rtol=1e-6)
    assert np.asarray(batch.steps).dtype.kind == "i"  # step counts stay integers


def test_grid_schedule_vector_leaves_whole_and_by_entry():
    base = sa.parse("multistep(0.1, [100, 200], 0.5)")
    batch, _ = grid_schedule(base, ["milestones=[10,20];[30,40];[50,60]"])
    assert np.asarray(batch.milestones).tolist() == [[10, 20], [30, 40], [50, 60]]
    batch, axes = grid_schedule(base, ["milestones[0]=10,50", "milestones[1]=150,250,300"])
    assert sa.batch_shape(batch) == (2, 3) and axes[1].name == "milestones[1]"
    m = np.asarray(batch.milestones)
    assert m.shape == (2, 3, 2) and m[1, 2].tolist() == [50, 300] and m[0, 0].tolist() == [10, 150]


def test_grid_schedule_errors_name_the_grid_and_the_rule():
    base = sa.parse("warmup(cosine(1e-3, 0.0, 600), 60)")
    with pytest.raises(ValueError, match=r"invalid schedule: warmup: warmup: steps must be >= 0"):
        grid_schedule(base, ["warmup=-5,10"])
    with pytest.raises(ValueError, match="expected NAME=VALUES"):
        grid_schedule(base, ["peak"])
    with pytest.raises(ValueError, match="schedule.start is already swept"):
        grid_schedule(base, ["peak=1,2", "schedule.start=3,4"])
    with pytest.raises(ValueError, match="needs at least one --grid"):
        grid_schedule(base, [])
    with pytest.raises(ValueError, match="milestones takes vectors of 2 numbers"):
        grid_schedule(sa.parse("multistep(0.1, [100, 200], 0.5)"), ["milestones=1,2"])


def test_rank_puts_diverged_members_last():
    scores = np.array([0.3, np.nan, 0.1, 0.3])
    assert rank(scores, larger_is_better=False).tolist() == [2, 0, 3, 1]
    assert rank(scores, larger_is_better=True).tolist() == [0, 3, 2, 1]


# ----------------------------------------------------------------------------
# The command


@pytest.fixture(scope="module")
def data_path(tmp_path_factory) -> str:
    """160 digits: 128 train (4 updates of 32 per epoch) and 32 validation."""
    d = load_data()
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(path, x=d.x_train[:160, ..., 0], y=d.y_train[:160])
    return str(path)


def test_sweep_command_end_to_end_in_a_subprocess(data_path, tmp_path):
    out = tmp_path / "sweep"
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": ROOT}
    args = ["--schedule", "warmup(cosine(1e-3, 0.0, 8), 2)", "--grid", "peak=1e-3,3e-2",
            "--grid", "warmup=0,4", "--epochs", "2", "--batch-size", "32", "--data", data_path,
            "--population-chunk", "3", "--out", str(out), "--quiet"]  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "schedalg.cli", "sweep", *args],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "4 members (2 peak x 2 warmup), 2 epochs of 4 updates each, 2 chunk(s)" in proc.stdout
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
    assert sorted((r["peak"], r["warmup"]) for r in rows) == [
        ("0.001", "0"), ("0.001", "4"), ("0.03", "0"), ("0.03", "4")]  # fmt: skip
    losses = [float(r["final_val_loss"]) for r in rows]
    assert losses == sorted(losses)
    best = rows[0]["schedule"]
    assert f"best schedule: {best}\n" in proc.stdout
    assert sa.parse(best).schedule.start in (1e-3, 3e-2)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best"]["schedule"] == best and summary["members"] == 4
    assert (out / "results.md").read_text().count("\n| ") == 5  # header + 4 members
    with open(out / "sweep.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("grids", [["peak=1e-3:3e-2:log:5"], ["peak=1e-3,1e-2", "warmup=0,2",
                                                               "steps=6,8,10"]])  # fmt: skip
def test_sweep_figures_line_and_parallel_coordinates(grids, tmp_path):
    """The figure and the table from a population's numbers (no training: fast)."""
    base = sa.parse("warmup(cosine(1e-3, 0.0, 8), 2)")
    batch, axes = grid_schedule(base, grids)
    shape = sa.batch_shape(batch)
    rng = np.random.default_rng(0)
    acc = rng.uniform(0.1, 0.9, shape + (2,))
    acc.reshape(-1, 2)[1] = np.nan  # a diverged member
    metrics = {"val_acc": acc, "val_loss": 1 - acc, "train_loss": 1 - acc}
    pop = PopulationResult(batch, np.zeros(shape, int), Config(epochs=2), metrics, None, None,
                           None, 1.0, 1)  # fmt: skip
    order = rank(pop.summary()["best_val_acc"], larger_is_better=True)
    result = SweepResult(pop, axes, "best_val_acc", order, {})
    files = write_results(result, base, str(tmp_path))
    assert os.path.getsize(files["figure"]) > 10_000
    with open(files["csv"]) as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["member"] == str(int(np.nanargmax(acc.max(-1))))
    assert rows[-1]["member"] == "1" and rows[-1]["best_val_acc"] == "nan"
    with open(files["markdown"]) as f:
        assert "Ranked by `best_val_acc` (higher is better)" in f.read()


def test_sweep_command_errors_are_one_line_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "never"
    argv = ["sweep", "--schedule", "cosine(1e-3, 0.0, 8)", "--grid", "warmup=0,2",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("schedalg sweep: sweep: --grid warmup:") and "\n" not in err
    assert main(argv[:3] + ["--grid", "peak=1,2", "--population-chunk", "0"]) == 2
    assert "--population-chunk must be >= 1" in capsys.readouterr().err
    assert not out.exists()


# ----------------------------------------------------------------------------
# Evaluate-only sweeps: blocked evaluate and summarize


def _batch(n: int) -> sa.Schedule:
    rng = np.random.default_rng(0)
    return sa.warmup(
        sa.cosine(rng.uniform(1e-4, 1e-2, n).astype(np.float32), 0.0,
                  rng.integers(50, 300, n).astype(np.int32)),
        rng.integers(0, 60, n).astype(np.int32),
    )  # fmt: skip


@pytest.mark.parametrize("max_bytes", [8, 4 * 7 * 11, 4 * 1000, 4 * 10**6])
def test_blocked_evaluate_equals_one_call(max_bytes):
    s = sa.grid(lambda p, w: sa.warmup(sa.cosine(p, 0.0, 40), w), p=[1e-3, 2e-3, 5e-3], w=[0, 7])
    steps = np.arange(50).reshape(5, 10)  # steps of any shape
    whole = np.asarray(evaluate(s, steps))
    blocked = evaluate(s, steps, max_bytes=max_bytes)
    assert isinstance(blocked, np.ndarray) and blocked.shape == (3, 2, 5, 10)
    np.testing.assert_array_equal(blocked, whole)


def test_blocked_evaluate_of_one_value_per_block_is_equal_up_to_rounding():
    # XLA compiles a lone division differently from a broadcast one: the last bit may move
    s = sa.grid(lambda p, w: sa.warmup(sa.cosine(p, 0.0, 40), w), p=[1e-3, 2e-3, 5e-3], w=[0, 7])
    steps = np.arange(50)
    np.testing.assert_allclose(evaluate(s, steps, max_bytes=4), evaluate(s, steps), rtol=2e-6)


def test_blocked_evaluate_fills_out_and_checks_its_shape(tmp_path):
    s = _batch(37)
    steps = np.arange(301)
    out = np.lib.format.open_memmap(tmp_path / "v.npy", "w+", np.float32, (37, 301))
    assert evaluate(s, steps, max_bytes=4096, out=out) is out
    np.testing.assert_array_equal(np.load(tmp_path / "v.npy"), np.asarray(evaluate(s, steps)))
    with pytest.raises(ValueError, match=r"evaluate: out must have shape \(37, 301\)"):
        evaluate(s, steps, out=np.empty((37, 300), np.float32))
    with pytest.raises(ValueError, match="max_bytes must be >= 4"):
        evaluate(s, steps, max_bytes=2)


@pytest.mark.parametrize("max_bytes", [4 * 64, 4 * 5000, None])
def test_summarize_equals_numpy_on_the_full_matrix(max_bytes):
    s = _batch(53)
    steps = np.arange(3, 400)
    full = np.asarray(evaluate(s, steps)).astype(np.float64)
    stats = summarize(s, steps, max_bytes=max_bytes)
    np.testing.assert_array_equal(stats["peak"], full.max(-1))
    np.testing.assert_array_equal(stats["low"], full.min(-1))
    np.testing.assert_array_equal(stats["final"], full[:, -1])
    np.testing.assert_array_equal(stats["step_of_peak"], steps[full.argmax(-1)])
    np.testing.assert_allclose(stats["area"], full.sum(-1), rtol=1e-6)
    np.testing.assert_allclose(stats["mean"], full.mean(-1), rtol=1e-6)


def test_summarize_keeps_the_batch_shape_and_the_first_peak():
    s = sa.grid(lambda p, e: sa.join(sa.constant(p), sa.cosine(p, 0.0, e), boundaries=[5]),
                p=[1.0, 2.0], e=[10, 20, 30])  # fmt: skip
    stats = summarize(s, np.arange(40), max_bytes=4 * 3)
    assert stats["peak"].shape == (2, 3) and stats["peak"].tolist() == [[1.0] * 3, [2.0] * 3]
    assert stats["step_of_peak"].tolist() == [[0] * 3] * 2  # the first step at the peak
    with pytest.raises(ValueError, match="summarize: steps must not be empty"):
        summarize(s, [])
