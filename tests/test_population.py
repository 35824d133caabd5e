"""Population training: members equal individual runs, batched leaves, plateau, chunks,
sharding (in a subprocess with 8 forced CPU devices)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import schedalg as sa
from schedalg.plateau import reduce_on_plateau
from schedalg.train import Config, Dataset, load_data, train
from schedalg.train.data import epoch_order
from schedalg.train.population import flatten, member, train_population
from schedalg.train.step import apply_update, functions, init_state

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: A tiny CNN: 8 updates of 32 images per epoch, compiles in about a second.
TINY = Config(epochs=2, batch_size=32, seed=3, features=(4, 8), hidden=16)


@pytest.fixture(scope="module")
def small() -> Dataset:
    d = load_data()
    return Dataset(d.x_train[:256], d.y_train[:256], d.x_val[:64], d.y_val[:64], 10, "small")


def reference(schedule: sa.Schedule, data: Dataset, config: Config, seed: int) -> dict:
    """One model trained alone with the trainer's own compiled pieces (``lax.conv``):
    initial parameters from ``seed``, batches in the order of ``config.seed``."""
    fns = functions(config.model(data.classes), data.image_shape)
    flat = fns.init(seed)
    opt_state = init_state(flat, schedule, config.optimizer)
    spe = len(data.y_train) // config.batch_size
    lrs, losses, val_loss = [], [], []
    for epoch in range(config.epochs):
        order = epoch_order(config.seed, epoch, len(data.y_train))
        for i in range(spe):
            idx = order[i * config.batch_size : (i + 1) * config.batch_size]
            loss, _, grads = fns.gradients(flat, data.x_train[idx], data.y_train[idx])
            flat, opt_state, lr = apply_update(
                flat, opt_state, grads, schedule, jnp.float32(1.0), config.optimizer
            )
            lrs.append(float(lr))
            losses.append(float(loss))
        val_loss.append(fns.evaluate(flat, data.x_val, data.y_val)["loss"])
    return {"flat": np.asarray(flat), "lr": np.asarray(lrs), "loss": np.asarray(losses),
            "val_loss": np.asarray(val_loss)}  # fmt: skip


# ----------------------------------------------------------------------------
# Members equal individual training


SCHEDULES = [
    sa.warmup(sa.cosine(3e-3, 0.0, 16), 0),
    sa.warmup(sa.cosine(1e-2, 0.0, 10), 6),
    sa.warmup(sa.cosine(5e-3, 1e-4, 12), 2),
]
SEEDS = [TINY.seed, 5, 9]


@pytest.fixture(scope="module")
def population(small):
    return train_population(sa.stack(SCHEDULES), small, TINY, seeds=SEEDS, keep_params=True,
                            progress=False)  # fmt: skip


def test_population_members_equal_individual_training(small, population):
    result = population
    assert result.params.shape == (3, functions(TINY.model(10), (8, 8, 1)).size)
    for i, (schedule, seed) in enumerate(zip(SCHEDULES, SEEDS)):
        ref = reference(schedule, small, TINY, seed)
        np.testing.assert_allclose(result.params[i], ref["flat"], atol=2e-5, rtol=1e-4)
        np.testing.assert_allclose(result.lr[i], ref["lr"], rtol=1e-6)
        np.testing.assert_allclose(result.loss[i], ref["loss"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(result.metrics["val_loss"][i], ref["val_loss"], rtol=1e-4)
        assert repr(result.member_schedule(i)) == repr(schedule)
    # The member whose seed is config.seed is what train() itself produces.
    run = train(SCHEDULES[0], small, TINY, progress=False)
    np.testing.assert_allclose(result.params[0], ravel_pytree(run.params)[0], atol=2e-5)
    np.testing.assert_allclose(result.metrics["val_acc"][0], [m["val_acc"] for m in run.metrics])
    np.testing.assert_allclose(result.metrics["train_loss"][0],
                               [m["train_loss"] for m in run.metrics], rtol=1e-4)  # fmt: skip


def test_population_chunks_give_the_same_results_as_one_chunk(small, population):
    calls = []
    parts = train_population(
        sa.stack(SCHEDULES),
        small,
        TINY,
        seeds=SEEDS,
        chunk=2,
        keep_params=True,
        progress=False,
        on_chunk=lambda *a: calls.append(a),
    )
    assert calls == [(1, 2), (2, 2)]  # two chunks of two members, the last padded
    np.testing.assert_array_equal(parts.params, population.params)
    np.testing.assert_array_equal(parts.lr, population.lr)
    np.testing.assert_array_equal(parts.metrics["val_loss"], population.metrics["val_loss"])
    assert not np.array_equal(population.params[0], population.params[1])  # members differ


def test_population_batched_leaves_of_several_kinds_use_their_own_schedule(small):
    config = Config(epochs=1, batch_size=32, optimizer="sgd", features=(4,), hidden=8)
    # peak, warmup length, total length, restart period, the decay's exponent and the
    # milestones (a vector leaf: (choices, K)) batched, each on its own grid axis
    batch = sa.grid(
        lambda peak, warm, total, period, exponent, milestones: (
            sa.warmup(sa.restart(sa.cosine(peak, 0.0, total, exponent=exponent), period), warm)
            * sa.multistep(1.0, milestones, 0.5)
        ),
        peak=[1e-2, 3e-2],
        warm=[0, 3],
        total=[5, 7],
        period=[3, 4],
        exponent=[1.0, 2.0],
        milestones=[[1, 5], [2, 6], [4, 7]],
    )
    result = train_population(batch, small, config, progress=False)
    assert result.lr.shape == (2, 2, 2, 2, 2, 3, 8)
    assert result.metrics["val_loss"].shape == (2, 2, 2, 2, 2, 3, 1)
    np.testing.assert_allclose(result.lr, sa.evaluate(batch, np.arange(8)), rtol=1e-6)
    assert np.all(np.isfinite(result.metrics["val_loss"]))
    # members whose learning rates differ end differently; equal ones (their schedules
    # agree on these 8 steps, up to float32 rounding: the same value reached by other
    # leaves can differ in its last bits) end equally: 96 models, each trained on its own
    curves = np.float32(np.float16(result.lr.reshape(96, 8)))  # equal to ~3 digits
    _, group = np.unique(curves, axis=0, return_inverse=True)
    group = group.reshape(-1)
    loss = result.metrics["val_loss"].reshape(96)
    assert group.max() + 1 > 40
    for g in range(group.max() + 1):
        np.testing.assert_allclose(loss[group == g], loss[group == g][0], rtol=1e-5)
    firsts = [loss[group == g][0] for g in range(group.max() + 1)]
    assert len(np.unique(firsts)) == len(firsts)


def test_population_plateau_scales_each_member_by_its_own_validation_loss(small, population):
    # the factor is batched too; the compiled epoch is the fixture's (the plateau acts
    # between epochs through each member's scale)
    rule = reduce_on_plateau(factor=np.array([0.5, 0.1, 0.2]), patience=0, threshold=0.2)
    config = dataclasses.replace(TINY, epochs=3)
    result = train_population(sa.stack(SCHEDULES), small, config, seeds=SEEDS, plateau=rule,
                              progress=False)  # fmt: skip
    scale = result.metrics["lr_scale"]
    assert scale.shape == (3, 3) and np.all(scale[:, 0] == 1.0) and not np.all(scale == 1.0)
    np.testing.assert_array_equal(result.metrics["val_loss"][:, 0],
                                  population.metrics["val_loss"][:, 0])  # fmt: skip
    spe = len(small.y_train) // config.batch_size
    for i in range(3):  # replay each member's own rule on its own validation losses
        one = member(flatten(rule, (3,)), i)
        state, expected = one.init(), [1.0]
        for loss in result.metrics["val_loss"][i][:-1]:
            state = one.update(state, loss)
            expected.append(float(state.scale))
        np.testing.assert_allclose(scale[i], expected, rtol=1e-6)
        base = sa.evaluate(SCHEDULES[i], np.arange(3 * spe))
        np.testing.assert_allclose(result.lr[i], base * np.repeat(expected, spe), rtol=2e-6)


def test_population_rejects_bad_arguments(small):
    batch = sa.cosine(np.array([1e-3, 1e-2]), 0.0, 8)
    with pytest.raises(ValueError, match="population: chunk must be an integer >= 1, got chunk=0"):
        train_population(batch, small, TINY, chunk=0)
    with pytest.raises(ValueError, match="population: block must be None or an integer"):
        train_population(batch, small, TINY, block=0)
    with pytest.raises(ValueError, match=r"population: the seeds \(3,\) .* do not broadcast"):
        train_population(batch, small, TINY, seeds=[1, 2, 3])
    with pytest.raises(ValueError, match="population: seeds must be integers >= 0"):
        train_population(batch, small, TINY, seeds=[-1, 2])
    with pytest.raises(ValueError, match="population: schedule must be a schedalg schedule"):
        train_population(0.1, small, TINY)


SHARDED = """
import json, jax, numpy as np
import schedalg as sa
from schedalg.train import Config, Dataset, load_data
from schedalg.train.population import train_population
d = load_data()
small = Dataset(d.x_train[:128], d.y_train[:128], d.x_val[:32], d.y_val[:32], 10, "small")
config = Config(epochs=2, batch_size=32, features=(4,), hidden=8)
batch = sa.grid(lambda p, w: sa.warmup(sa.cosine(p, 0.0, 8), w), p=[1e-3, 1e-2, 3e-2], w=[0, 2])
run = lambda **kw: train_population(batch, small, config, seeds=np.arange(3)[:, None],
                                    keep_params=True, progress=False, **kw)
sharded, single = run(), run(devices=jax.devices()[:1])
print(json.dumps({
    "devices": [sharded.devices, single.devices],
    "params": bool(np.array_equal(sharded.params, single.params)),
    "lr": bool(np.array_equal(sharded.lr, single.lr)),
    "val": bool(np.allclose(sharded.metrics["val_loss"], single.metrics["val_loss"], rtol=1e-6)),
    "acc": bool(np.array_equal(sharded.metrics["val_acc"], single.metrics["val_acc"])),
    "shape": list(sharded.params.shape[:2]),
}))
"""


def test_population_sharded_over_8_devices_equals_unsharded():
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": ROOT,
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", SHARDED], capture_output=True, text=True,
                          env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # 6 members padded to 8 on 8 devices, against 1 device: identical parameters and
    # learning rates; the validation loss within float rounding (XLA may fuse the
    # one-member program's reductions differently)
    assert out == {"devices": [8, 1], "params": True, "lr": True, "val": True, "acc": True,
                   "shape": [3, 2]}  # fmt: skip
