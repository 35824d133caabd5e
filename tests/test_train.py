"""The trainer: data, model, the training loop, logging, plateau, snapshots, comparison."""

from __future__ import annotations

import csv
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa
from schedalg.plateau import reduce_on_plateau
from schedalg.train import CNN, Config, DataError, Dataset, load_data, train
from schedalg.train.compare import families
from schedalg.train.data import epoch_order, load_npz
from schedalg.train.snapshots import load_snapshot
from schedalg.train.step import apply_update, functions, init_like


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_data()


@pytest.fixture(scope="module")
def small(digits) -> Dataset:
    """256 training and 64 validation digits: 8 updates per epoch at batch 32."""
    d = digits
    return Dataset(d.x_train[:256], d.y_train[:256], d.x_val[:64], d.y_val[:64], 10, "small")


# ----------------------------------------------------------------------------
# Data


def test_load_data_digits_split_is_fixed_and_scaled(digits):
    assert digits.x_train.shape == (1438, 8, 8, 1) and digits.x_val.shape == (359, 8, 8, 1)
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int32
    assert digits.x_train.min() == 0.0 and digits.x_train.max() == 1.0
    assert sorted(np.unique(digits.y_val)) == list(range(10))
    again = load_data()
    assert np.array_equal(again.x_val, digits.x_val) and again.fingerprint() == digits.fingerprint()


def test_epoch_order_is_a_permutation_fixed_by_seed_and_epoch():
    a = epoch_order(0, 3, 100)
    assert sorted(a) == list(range(100))
    assert np.array_equal(a, epoch_order(0, 3, 100))
    assert not np.array_equal(a, epoch_order(0, 4, 100))
    assert not np.array_equal(a, epoch_order(1, 3, 100))


def test_load_npz_adds_channel_axis_and_scales_to_unit_range(tmp_path):
    path = tmp_path / "img.npz"
    x = np.arange(20 * 4 * 4).reshape(20, 4, 4).astype(np.uint16)
    np.savez(path, x=x, y=np.arange(20) % 3)
    data = load_npz(str(path))
    assert data.image_shape == (4, 4, 1) and data.classes == 3
    assert len(data.y_train) == 16 and len(data.y_val) == 4
    top = max(data.x_train.max(), data.x_val.max())
    assert top == 1.0 and data.x_train.dtype == np.float32


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"x": np.zeros((10, 4, 4))}, "missing array 'y' \\(found: x\\)"),
        ({"x": np.zeros((10, 4)), "y": np.zeros(10)}, "x must have shape \\(N, H, W\\)"),
        ({"x": np.zeros((10, 4, 4)), "y": np.zeros(9)}, "y must have shape \\(10,\\)"),
        ({"x": np.zeros((10, 4, 4)), "y": np.arange(10) / 2}, "fractional"),
        ({"x": np.zeros((10, 4, 4)), "y": np.zeros(10)}, "at least two classes"),
        ({"x": np.zeros((10, 4, 4)), "y": np.arange(10) - 1}, "labels must be >= 0"),
        ({"x": np.full((10, 4, 4), np.nan), "y": np.arange(10)}, "NaN or infinite"),
        ({"x": np.zeros((10, 1, 4)), "y": np.arange(10)}, "at least 2x2"),
    ],
)
def test_load_npz_rejects_bad_arrays_naming_the_file(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message) as err:
        load_npz(str(path))
    assert str(path) in str(err.value)


def test_load_npz_rejects_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_npz(str(tmp_path / "none.npz"))
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(DataError, match="not a readable .npz file"):
        load_npz(str(junk))


# ----------------------------------------------------------------------------
# Model


def _params(seed: int = 0):
    shapes = jax.eval_shape(CNN().init, jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 1)))
    return init_like(jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes["params"]), seed)


def test_cnn_taps_convolution_equals_lax_convolution():
    x = np.random.default_rng(1).uniform(size=(3, 8, 8, 1)).astype(np.float32)
    params = _params()
    apply = jax.jit(lambda conv, p: CNN(conv=conv).apply({"params": p}, x), static_argnums=0)
    lax_out = apply("lax", params)
    np.testing.assert_allclose(apply("taps", params), lax_out, rtol=1e-5, atol=1e-5)
    # the taps form vmaps over a population of parameter sets
    stacked = jax.tree.map(lambda p: np.stack([p, 2 * p]), params)
    out = jax.jit(jax.vmap(lambda p: apply("taps", p)))(stacked)
    np.testing.assert_allclose(out[0], lax_out, rtol=1e-5, atol=1e-5)
    assert not np.allclose(out[1], lax_out)


def test_init_like_draws_truncated_lecun_normal_kernels_and_zero_biases():
    a, b = _params(0), _params(0)
    assert all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
    assert not np.array_equal(a["dense1"]["kernel"], _params(1)["dense1"]["kernel"])
    assert not a["conv2"]["bias"].any()
    kernel = a["dense1"]["kernel"]  # 512 inputs: std sqrt(1/512), cut at 2 / 0.8796 std
    bound = 2.0 * np.sqrt(1 / 512) / 0.87962566103423978
    assert np.abs(kernel).max() <= bound
    assert abs(kernel.std() - np.sqrt(1 / 512)) < 0.05 * np.sqrt(1 / 512)


# ----------------------------------------------------------------------------
# The training loop


def test_train_loss_decreases_on_digits_with_warmup_cosine(digits):
    schedule = sa.warmup(sa.cosine(1e-2, 0.0, 60), 6)  # 3 epochs of 22 updates
    result = train(schedule, digits, Config(epochs=3), progress=False)
    losses = [m["train_loss"] for m in result.metrics]
    assert losses[0] > losses[1] > losses[2]
    assert result.metrics[-1]["val_loss"] < result.metrics[0]["val_loss"]
    assert result.best_val_acc >= 0.9


def test_logged_lr_equals_schedule_at_every_step_without_recompiling(small):
    a = sa.warmup(sa.restart(sa.cosine(1e-2, 1e-4, 5), mult=2.0), 3)
    b = sa.warmup(sa.restart(sa.cosine(5e-3, 0.0, 7), mult=1.5), 2)
    config = Config(epochs=2, batch_size=32)
    first = train(a, small, config, progress=False)
    compiled = apply_update._cache_size()
    second = train(b, small, config, progress=False)
    assert apply_update._cache_size() == compiled  # same structure: no new compilation
    for schedule, result in ((a, first), (b, second)):
        expected = np.asarray(sa.evaluate(schedule, np.arange(16)))
        assert result.lr.dtype == np.float32 and result.lr.shape == (16,)
        # The optimizer evaluates the schedule inside its own compiled update, where XLA
        # may round cos() an ulp differently than in sa.evaluate; 1 + cos(.) near the
        # end of a cycle turns that into a few ulps of the peak, never more.
        tol = 4 * np.finfo(np.float32).eps * float(expected.max())
        np.testing.assert_allclose(result.lr, expected, rtol=0, atol=tol)
        assert abs(result.metrics[0]["lr"] - float(expected[7])) <= tol


def test_logged_lr_is_exactly_the_schedule_when_its_values_are_exact(small):
    schedule = sa.piecewise_constant([3, 9], [0.5, 0.25, 0.125]) * sa.step(0.01, 4, 0.5)
    result = train(schedule, small, Config(epochs=2, batch_size=32), progress=False)
    np.testing.assert_array_equal(result.lr, np.asarray(sa.evaluate(schedule, np.arange(16))))
    assert result.lr[0] == np.float32(0.5) * np.float32(0.01)


def test_train_is_deterministic_given_the_seed(small):
    schedule = sa.cosine(1e-2, 0.0, 8)
    config = Config(epochs=1, batch_size=32, seed=3)
    a = train(schedule, small, config, progress=False)
    b = train(schedule, small, config, progress=False)
    c = train(schedule, small, Config(epochs=1, batch_size=32, seed=4), progress=False)
    leaves = lambda r: np.concatenate([np.ravel(x) for x in jax.tree.leaves(r.params)])
    assert leaves(a).tobytes() == leaves(b).tobytes()
    assert a.loss.tobytes() == b.loss.tobytes()
    assert not np.array_equal(leaves(a), leaves(c))


def test_plateau_scales_the_logged_learning_rate(small):
    schedule = sa.constant(1e-2)
    # patience 0 and an absurd threshold: every epoch is a plateau, the scale halves
    rule = reduce_on_plateau(factor=0.5, patience=0, threshold=0.9)
    result = train(schedule, small, Config(epochs=3, batch_size=32), plateau=rule, progress=False)
    assert [m["lr_scale"] for m in result.metrics] == [1.0, 1.0, 0.5]
    np.testing.assert_array_equal(result.lr[:16], np.float32(1e-2))
    np.testing.assert_array_equal(result.lr[16:], np.float32(1e-2) * np.float32(0.5))


def test_train_writes_logs_that_match_the_result(small, tmp_path):
    out = str(tmp_path / "run")
    schedule = sa.linear(1e-2, 1e-3, 16)
    result = train(schedule, small, Config(epochs=2, batch_size=32), out, progress=False)
    files = sorted(os.listdir(out))
    assert files == [
        "checkpoint.msgpack",
        "config.json",
        "metrics.csv",
        "metrics.jsonl",
        "steps.csv",
        "summary.json",
    ]
    with open(os.path.join(out, "steps.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [np.float32(float(r["lr"])) for r in rows] == list(result.lr)
    with open(os.path.join(out, "metrics.jsonl")) as f:
        assert [json.loads(line) for line in f] == result.metrics
    with open(os.path.join(out, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [float(r["val_acc"]) for r in rows] == [m["val_acc"] for m in result.metrics]
    with open(os.path.join(out, "config.json")) as f:
        assert sa.parse(json.load(f)["schedule"]) is not None
    with pytest.raises(ValueError, match="already holds a run"):
        train(schedule, small, Config(epochs=2, batch_size=32), out, progress=False)


def test_snapshots_score_the_averaged_cycle_end_models(small, tmp_path):
    out = str(tmp_path / "snap")
    schedule = sa.restart(sa.cosine(1e-2, 0.0, 8))  # cycles end at steps 8, 16, 24
    config = Config(epochs=3, batch_size=32)
    result = train(schedule, small, config, out, snapshots=True, progress=False)
    snap = result.snapshots
    assert snap["steps"] == [8, 16, 24]
    assert sorted(os.listdir(os.path.join(out, "snapshots"))) == [
        "step_0000008.msgpack",
        "step_0000016.msgpack",
        "step_0000024.msgpack",
    ]
    assert snap["final_val_acc"] == result.final_val_acc
    assert snap["member_val_acc"][-1] == result.final_val_acc
    # the ensemble is scored from the members' averaged probabilities
    fns = functions(config.model(10), small.image_shape)
    flat = [load_snapshot(out, s, fns) for s in snap["steps"]]
    probs = [fns.evaluate(f, small.x_val, small.y_val)["probs"] for f in flat]
    acc = float(np.mean(np.mean(probs, axis=0).argmax(-1) == small.y_val))
    assert snap["ensemble_val_acc"] == acc


def test_snapshots_need_a_restart_schedule(small):
    with pytest.raises(ValueError, match="--snapshots: cycle_ends: found no restart"):
        train(sa.cosine(1e-2, 0.0, 8), small, Config(epochs=1, batch_size=32), snapshots=True)
    with pytest.raises(ValueError, match="no cycle of .* ends within the run's 8 steps"):
        long = sa.restart(sa.cosine(1e-2, 0.0, 100))
        train(long, small, Config(epochs=1, batch_size=32), snapshots=True)


@pytest.mark.parametrize(
    "config, message",
    [
        (Config(epochs=0), "epochs must be an integer in \\[1, 100000\\], got epochs=0"),
        (Config(batch_size=1000), "batch_size must be <= the 256 training images"),
        (Config(optimizer="lamb"), "optimizer must be one of"),
        (Config(seed=-1), "seed must be an integer"),
    ],
)
def test_config_check_names_the_bad_setting(small, config, message):
    with pytest.raises(ValueError, match=message):
        train(sa.constant(1e-3), small, config)


# ----------------------------------------------------------------------------
# Comparison


def test_families_cover_the_issue_list_and_fit_the_run():
    total = 220
    fams = families(total)
    assert len(fams) == 14
    assert [f.name for f in fams if f.plateau is not None] == ["plateau"]
    for f in fams:
        values = np.asarray(sa.evaluate(f.schedule, np.arange(total)))
        assert np.all(np.isfinite(values)) and values.min() >= 0.0
        assert abs(values.max() - 1e-2) < 1e-6, f.name  # every family peaks at 1e-2


# ----------------------------------------------------------------------------
# Examples


def test_examples_build_valid_schedules_for_their_runs(monkeypatch):
    import glob
    import importlib

    examples = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples")
    monkeypatch.syspath_prepend(examples)
    common = importlib.import_module("_common")
    names = sorted(glob.glob(os.path.join(examples, "train_*.py")))
    assert len(names) >= 25
    t = np.arange(common.STEPS)
    for path in names:
        module = importlib.import_module(os.path.basename(path)[:-3])
        values = np.asarray(module.schedule(t))
        assert values.shape == t.shape, path
        assert np.all(np.isfinite(values)) and values.min() >= 0.0, path
        assert 0.0 < values.max() <= common.PEAK * (1 + 1e-6), path
