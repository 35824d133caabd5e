"""Schedules learned by gradient: the differentiable trainer, its gradients against finite
differences (float64), rematerialisation, the meta-search and ``schedalg learn``."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa
from schedalg.train import Config, Dataset, load_data
from schedalg.train.meta import (
    cnn_logits,
    final_val_loss,
    knot_schedule,
    leaf_paths,
    learn,
    problem,
    relax,
    resolve,
    trained,
    with_leaves,
)
from schedalg.train.step import apply_update, functions, init_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: A network small enough to compile in seconds: one 4-channel convolution.
TINY = Config(batch_size=16, features=(4,), hidden=8)


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_data()


@pytest.fixture(scope="module")
def tiny(digits) -> Dataset:
    d = digits
    return Dataset(d.x_train[:96], d.y_train[:96], d.x_val[:48], d.y_val[:48], 10, "tiny")


# ----------------------------------------------------------------------------
# The differentiable run


def test_cnn_logits_equal_the_trainer_model(digits):
    model = Config().model(10)
    fns = functions(model, digits.image_shape)
    params = fns.unravel(jnp.asarray(fns.init(3)))
    x = jnp.asarray(digits.x_val[:32])
    expected = jax.jit(model.apply)({"params": params}, x)
    got = jax.jit(cnn_logits, static_argnums=0)(model, params, x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_relax_turns_every_leaf_into_a_float_and_keeps_values():
    s = sa.warmup(sa.multistep(1e-3, [100, 200], 0.1), 30)
    r = relax(s)
    assert all(jnp.issubdtype(x.dtype, jnp.floating) for x in jax.tree.leaves(r))
    t = np.arange(0, 260, 7)
    np.testing.assert_array_equal(np.asarray(sa.evaluate(r, t)), np.asarray(sa.evaluate(s, t)))


def test_problem_uses_the_trainers_batches_and_start(digits):
    from schedalg.train.data import epoch_order

    arrays, inner = problem(digits, Config(batch_size=64, seed=5), 30)
    spe = len(digits.y_train) // 64  # 22
    np.testing.assert_array_equal(arrays.batches[3], epoch_order(5, 0, 1438)[192:256])
    np.testing.assert_array_equal(arrays.batches[spe + 1], epoch_order(5, 1, 1438)[64:128])
    fns = functions(Config().model(10), digits.image_shape)
    np.testing.assert_array_equal(arrays.flat0, fns.init(5))
    assert inner.steps == 30 and inner.segment == 6


def test_problem_rejects_an_optimizer_it_does_not_differentiate(digits):
    with pytest.raises(ValueError, match="learn: optimizer must be one of"):
        problem(digits, Config(optimizer="rmsprop"), 10)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_differentiable_run_is_the_trainers_run(tiny, optimizer):
    """The inner run (im2col CNN, optax update with the step's rate as a traced scalar,
    remat segments with a padded last one) ends where the trainer's own compiled step
    (nn.Conv's function, the scheduled optax optimizer) ends: 8 updates over two epochs."""
    config = dataclasses.replace(TINY, optimizer=optimizer)
    schedule = sa.warmup(sa.cosine(0.05, 0.001, 6), 2)
    arrays, inner = problem(tiny, config, 8, segment=3)
    got = jax.jit(trained, static_argnums=2)(relax(schedule), arrays, inner)
    fns = functions(config.model(10), tiny.image_shape)
    flat = jnp.asarray(fns.init(config.seed))
    opt_state = init_state(flat, schedule, optimizer)
    for idx in np.asarray(arrays.batches):
        _, _, grads = fns.gradients(flat, tiny.x_train[idx], tiny.y_train[idx])
        flat, opt_state, _ = apply_update(
            flat, opt_state, grads, schedule, jnp.float32(1.0), optimizer
        )
    # Adam divides by sqrt(v): a parameter of tiny gradient moves ~lr whatever its
    # gradient's rounding (convolution vs im2col), hence atol 1e-4 against steps of 0.05
    np.testing.assert_allclose(got, flat, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------
# Gradients against central finite differences, float64

#: One schedule holding every leaf type (a product, so each factor matters); durations
#: are away from integers so a small perturbation crosses no step.
PRODUCT = (
    sa.warmup(sa.cosine(0.05, 0.001, 5.5, exponent=1.5), 2.5)
    * sa.polynomial(1.0, 0.5, 6.5, power=2.0)
    * sa.piecewise_linear([0, 4, 8], [1.0, 0.8, 1.2])
    * sa.step(1.0, 3.3, 0.9)
)
LEAVES = {
    "peak (cosine start)": "schedule.schedule.schedule.schedule.start",
    "warmup length": "schedule.schedule.schedule.steps",
    "decay length (cosine steps)": "schedule.schedule.schedule.schedule.steps",
    "cosine exponent": "schedule.schedule.schedule.schedule.exponent",
    "polynomial power": "schedule.schedule.factor.power",
    "polynomial steps": "schedule.schedule.factor.steps",
    "piecewise_linear knot values": "schedule.factor.values",
}


@pytest.fixture(scope="module")
def gradient_check(tiny):
    """(autodiff, finite difference) directional derivatives for every leaf of PRODUCT."""
    with jax.enable_x64(True):
        arrays, inner = problem(tiny, TINY, 8, segment=3)  # 3 segments of 3, one padded
        schedule = relax(PRODUCT)
        assert arrays.flat0.dtype == jnp.float64
        grads = jax.grad(lambda s: final_val_loss(s, arrays, inner)[0])(schedule)
        loss = jax.jit(lambda s: final_val_loss(s, arrays, inner)[0])
        paths, grad_paths = leaf_paths(schedule), leaf_paths(grads)
        out = {}
        for path in [*LEAVES.values(), "factor.every"]:
            x = np.asarray(paths[path])
            direction = np.linspace(1.0, -0.5, x.size).reshape(x.shape)  # all knots at once
            h = 1e-5 * max(1.0, float(np.abs(x).max()))
            up = float(loss(with_leaves(schedule, {path: jnp.asarray(x + h * direction)})))
            down = float(loss(with_leaves(schedule, {path: jnp.asarray(x - h * direction)})))
            fd = (up - down) / (2 * h)
            out[path] = (float(np.sum(np.asarray(grad_paths[path]) * direction)), fd)
    return out


@pytest.mark.parametrize("what", list(LEAVES))
def test_gradient_matches_central_finite_differences(gradient_check, what):
    auto, fd = gradient_check[LEAVES[what]]
    assert auto != 0.0
    assert abs(auto - fd) <= 1e-5 * abs(fd) + 1e-9, (what, auto, fd)


def test_gradient_through_a_floor_is_zero(gradient_check):
    # step's ``every`` enters through floor(t / every): piecewise constant, zero gradient
    auto, fd = gradient_check["factor.every"]
    assert auto == 0.0 and fd == 0.0


# ----------------------------------------------------------------------------
# Memory: rematerialised segments


def _remat_eqns(segment: int, tiny: Dataset) -> list[str]:
    """The rematerialisation equations (``jax.checkpoint``) in the gradient's jaxpr."""
    arrays, inner = problem(tiny, TINY, 16, segment=segment)
    s = relax(sa.cosine(0.01, 0.0, 16))
    text = str(jax.make_jaxpr(jax.grad(lambda s: final_val_loss(s, arrays, inner)[0]))(s))
    return re.findall(r"= (remat\w*|checkpoint)\[", text)


def test_scan_is_checkpointed_in_segments(tiny):
    assert _remat_eqns(4, tiny) and not _remat_eqns(0, tiny)


def test_checkpointing_bounds_the_compiled_memory(tiny):
    temp = {}
    for segment in (None, 0):
        arrays, inner = problem(tiny, TINY, 64, segment=segment)
        f = jax.jit(jax.grad(lambda s, a, inner=inner: final_val_loss(s, a, inner)[0]))
        compiled = f.lower(sa.constant(jnp.float32(0.01)), arrays).compile()
        temp[segment] = compiled.memory_analysis().temp_size_in_bytes
    # 8 segments of 8 steps: about 8 + 8 saved steps against 64
    assert temp[None] < 0.5 * temp[0], temp


# ----------------------------------------------------------------------------
# Names, paths, the search


def test_resolve_maps_names_to_leaves():
    s = sa.warmup(sa.cosine(1e-3, 0.0, 300, exponent=2.0), 30) * 0.5
    got = {k.name: k.path for k in resolve(s, ["peak", "warmup", "decay", "power"], 330)}
    assert got == {
        "peak": "schedule.schedule.start",
        "warmup": "schedule.steps",
        "steps": "schedule.schedule.steps",
        "exponent": "schedule.schedule.exponent",
    }
    w = resolve(sa.wsd(1e-3, 10, 50, 40, end=1e-5), ["peak", "warmup", "steps"], 100)
    assert [(k.path, k.low, k.high) for k in w] == [
        ("peak", 1e-8, 10.0),
        ("warmup", 1.0, 100.0),
        ("decay", 1.0, 1000.0),
    ]
    (k,) = resolve(sa.cosine(1e-3, 1e-5, 300), ["end"], 300)
    assert (k.name, k.path) == ("end", "end")


def test_resolve_accepts_leaf_paths_and_names_bad_requests():
    s = sa.warmup(sa.cosine(1e-3, 0.0, 300), 30)
    (k,) = resolve(s, ["schedule.steps"], 330)
    assert (k.name, k.path, k.low, k.high) == ("schedule.steps", "schedule.steps", 0.03, 3e6)
    with pytest.raises(ValueError, match="unknown parameter 'lr'.*schedule.start, schedule.end"):
        resolve(s, ["lr"], 330)
    with pytest.raises(ValueError, match=r"end \(schedule.end\) must be > 0"):
        resolve(s, ["end"], 330)
    with pytest.raises(ValueError, match="warmup: .* has no warmup node"):
        resolve(sa.cosine(1e-3, 0.0, 300), ["warmup"], 300)
    with pytest.raises(ValueError, match="knots needs a piecewise_linear"):
        resolve(s, ["knots"], 330)
    with pytest.raises(ValueError, match="exponent is not defined for step"):
        resolve(sa.step(1e-3, 10, 0.5), ["exponent"], 100)
    with pytest.raises(ValueError, match="outside its range"):
        resolve(sa.cosine(20.0, 0.0, 10), ["peak"], 10)


def test_knot_schedule_samples_the_curve_and_floors_zeros():
    k = knot_schedule(sa.warmup(sa.cosine(1e-3, 0.0, 80), 20), 100, 6)
    assert k.boundaries.tolist() == [0, 20, 40, 60, 80, 100]
    assert k.values.tolist() == [1e-6, 1e-3, 8.53553e-4, 5e-4, 1.46447e-4, 1e-6]
    with pytest.raises(ValueError, match="knots must be an integer in"):
        knot_schedule(sa.constant(1.0), 10, 1)


def test_learn_raises_a_peak_100x_too_small_and_lowers_the_loss(digits):
    d = digits
    small = Dataset(d.x_train[:256], d.y_train[:256], d.x_val[:64], d.y_val[:64], 10, "small")
    # The best peak of a grid here is 0.1 (val loss 0.75, against 2.29 at 1e-3).
    start = sa.warmup(sa.cosine(1e-3, 0.0, 36), 4)
    config = dataclasses.replace(TINY, batch_size=32, hidden=16)
    result = learn(start, ["peak"], small, config, steps=40, meta_steps=3, meta_lr=1.0)
    losses = [h["val_loss"] for h in result.history]
    assert len(losses) == 4 and result.history[0]["values"] == {"peak": pytest.approx(1e-3)}
    assert losses[-1] < losses[0] - 0.2 and losses == sorted(losses, reverse=True), losses
    assert result.history[-1]["values"]["peak"] > 5e-3
    assert result.best["meta_step"] == 3 and not result.notes


def test_learn_a_whole_curve_with_smoothness_under_sgd(tiny):
    curve = knot_schedule(sa.linear(1e-2, 1e-1, 12), 12, 4)
    sgd = dataclasses.replace(TINY, optimizer="sgd")
    result = learn(curve, ["knots"], tiny, sgd, steps=12, meta_steps=2, meta_lr=0.5, smooth=2.0)
    for h in result.history:  # objective = loss + smooth * mean squared 2nd difference of logs
        z = np.log(h["values"]["knots"])
        penalty = 2.0 * np.mean((z[2:] - 2 * z[1:-1] + z[:-2]) ** 2)
        assert h["objective"] - h["val_loss"] == pytest.approx(penalty, rel=1e-4)
    first, last = result.history[0], result.history[-1]
    assert last["objective"] < first["objective"]
    assert len(last["values"]["knots"]) == 4
    assert last["schedule"].boundaries.tolist() == [0, 4, 8, 12]


# ----------------------------------------------------------------------------
# The command


def test_schedalg_learn_end_to_end(tmp_path, digits):
    x = np.concatenate([digits.x_train, digits.x_val])[:320, ..., 0]
    y = np.concatenate([digits.y_train, digits.y_val])[:320]
    np.savez(tmp_path / "small.npz", x=x, y=y)
    out = tmp_path / "learn"
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": ROOT}
    args = ["learn", "--schedule", "warmup(cosine(1e-4, 0.0, 12), 4)", "--params",
            "peak,warmup", "--meta-steps", "2", "--batch-size", "32",
            "--data", str(tmp_path / "small.npz"), "--out", str(out)]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "schedalg.cli", *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("; 16 updates per run, 2 meta-steps")
    assert lines[1].startswith("meta   0  val loss ") and "peak=0.0001  warmup=4" in lines[1]
    assert lines[2].strip() == "warmup(cosine(start=0.0001, end=0.0, steps=12), steps=4.0)"
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["meta_step"] for r in rows] == ["0", "1", "2"]
    # the first step is meta_lr (0.3) long in log space, down the gradient: more peak
    step = [np.log(float(rows[1][k]) / float(rows[0][k])) for k in ("peak", "warmup")]
    assert np.hypot(*step) == pytest.approx(0.3, rel=1e-3) and step[0] > 0
    with open(out / "learned.json") as f:
        best = sa.from_dict(json.load(f))
    assert repr(best) in {r["schedule"] for r in rows}
    assert (out / "trajectory.png").stat().st_size > 10_000
    assert (out / "results.md").read_text().startswith("# schedule learned by gradient")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "warmup"], "learn: warmup: cosine(start=0.001, end=0.0, steps=10) has no"),
        (["--params", "peak", "--knots", "4"], "give either --params or --knots, not both"),
        ([], "--params NAMES (e.g. peak,warmup) or --knots K is required"),
        (["--params", "peak", "--optimizer", "rmsprop"], "learn: optimizer must be one of"),
        (["--params", "peak", "--meta-lr", "0"], "learn: meta_lr must be > 0"),
    ],
)
def test_schedalg_learn_bad_arguments_fail_in_one_line_writing_nothing(
    tmp_path, capsys, args, message
):
    from schedalg.cli import main

    out = tmp_path / "bad"
    status = main(["learn", "--schedule", "cosine(1e-3, 0.0, 10)", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("schedalg learn: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
