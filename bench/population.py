"""Population training: K = 256 CNNs x 1 epoch on digits, per member-epoch, on this CPU.

Ratios measured side by side in one run (see ../shared/BENCHMARKS.md), the CNN of
``schedalg.train`` (2 convolutions of 16 and 32 channels, dense 64, 10 classes), batch
128, SGD with Nesterov momentum, every member with its own warmup+cosine schedule:

* the fastest one-model-at-a-time loop / the population (goal >= 1.0). The loops: a
  jitted step (gradients and update fused, ``flax.linen.Conv``) called in a Python loop
  over members and steps; and a jitted epoch per member (``lax.scan`` over the steps,
  the population's own hand-differentiated convolution). The population: one jitted call trains all
  256 members for the epoch (``schedalg.train.population``, CPU default: members one
  block of 1 at a time inside the program). Both sides score the validation set after
  the epoch (the population always does).
* which loop is fastest (K = 16), and the fastest loop / a plain ``vmap`` over all
  members (the GPU/TPU default; informational: slow on CPU; K = 8).
* sharded over 8 forced host devices / one device (a subprocess, K = 16): equal
  results, and the time ratio (below 1: the devices run concurrently on the cores).

Three repetitions per figure (a K = 256 epoch takes about 15 s here); about 3 minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

ROOT = __file__.rsplit("/", 2)[0]
sys.path.insert(0, ROOT)
import schedalg as sa  # noqa: E402
from bench._timing import medians, record, table  # noqa: E402
from schedalg.train import Config, load_data  # noqa: E402
from schedalg.train import population as pop  # noqa: E402
from schedalg.train.step import functions, optimizer  # noqa: E402

K = 256
CONFIG = Config(epochs=1, batch_size=128, optimizer="sgd")


def schedules(k: int) -> sa.Schedule:
    rng = np.random.default_rng(0)
    return pop.flatten(
        sa.warmup(
            sa.cosine(rng.uniform(1e-3, 1e-1, k).astype(np.float32), 0.0,
                      rng.integers(5, 20, k).astype(np.int32)),
            rng.integers(0, 5, k).astype(np.int32),
        ),
        (k,),
    )  # fmt: skip


class Setup:
    """The data of one epoch, the initial parameters and schedules of K members."""

    def __init__(self, k: int):
        data = load_data()
        self.model = CONFIG.model(data.classes)
        self.fns = functions(self.model, data.image_shape)
        spe = len(data.y_train) // CONFIG.batch_size
        order = np.random.default_rng(0).permutation(len(data.y_train))[: spe * 128]
        self.xs = jnp.asarray(data.x_train[order].reshape(spe, 128, 8, 8, 1))
        self.ys = jnp.asarray(data.y_train[order].reshape(spe, 128))
        self.xv, self.yv = jnp.asarray(data.x_val), jnp.asarray(data.y_val)
        self.flat0 = np.stack([self.fns.init(i) for i in range(k)])
        self.sched = schedules(k)
        self.members = [pop.member(self.sched, i) for i in range(k)]
        self.k, self.spe = k, spe

    def population(self, block, mesh=None):
        spec = pop._Spec(CONFIG.optimizer, self.fns.unravel, block)
        init, epoch = pop._compiled(spec, mesh)
        scale = np.ones(self.k, np.float32)

        def run():  # fresh copies: the epoch donates its parameters and state
            flat = jnp.array(self.flat0)
            return epoch(flat, init(flat, self.sched), scale, self.sched, self.xs, self.ys,
                         self.xv, self.yv)[2][1]  # fmt: skip

        return run

    def loop_step(self):
        """Python loop over members and steps of a jitted step (flax ``nn.Conv``)."""
        model, unravel = self.model, self.fns.unravel

        @jax.jit
        def step(flat, opt_state, schedule, x, y):
            def loss_fn(f):
                out = model.apply({"params": unravel(f)}, x)
                return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()

            loss, grads = jax.value_and_grad(loss_fn)(flat)
            updates, opt_state = optimizer(CONFIG.optimizer, schedule).update(grads, opt_state)
            return optax.apply_updates(flat, updates), opt_state, loss

        @jax.jit
        def score(flat, x, y):  # the validation pass the population also makes
            out = model.apply({"params": unravel(flat)}, x)
            loss = optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
            return loss, jnp.sum(jnp.argmax(out, -1) == y)

        init = jax.jit(lambda f, s: optimizer(CONFIG.optimizer, s).init(f))
        states = [init(self.flat0[i], s) for i, s in enumerate(self.members)]

        def run():
            for i, s in enumerate(self.members):
                flat, state = jnp.asarray(self.flat0[i]), states[i]
                for t in range(self.spe):
                    flat, state, loss = step(flat, state, s, self.xs[t], self.ys[t])
                val = score(flat, self.xv, self.yv)
            return loss, val

        return run

    def loop_epoch(self):
        """Python loop over members of a jitted epoch (``lax.scan``, the population's
        hand-differentiated convolution)."""
        spec = pop._Spec(CONFIG.optimizer, self.fns.unravel, 1)
        init = jax.jit(lambda f, s: optimizer(CONFIG.optimizer, s).init(f))
        epoch = lambda f, o, s: pop._member_epoch(spec, (f, o, jnp.float32(1.0), s), self.xs,
                                                  self.ys, self.xv, self.yv)  # fmt: skip
        one = jax.jit(epoch)
        states = [init(self.flat0[i], s) for i, s in enumerate(self.members)]

        def run():
            for i, s in enumerate(self.members):
                out = one(jnp.asarray(self.flat0[i]), states[i], s)
            return out[2][1]

        return run


SHARDED = """
import json, sys
sys.path.insert(0, {root!r})
import jax, numpy as np
from bench._timing import medians
from bench.population import Setup
from jax.sharding import Mesh
setup = Setup(16)
mesh = Mesh(np.asarray(jax.devices()), ("pop",))
sharded, single = setup.population(1, mesh), setup.population(1)
same = bool(np.array_equal(np.asarray(sharded()), np.asarray(single())))
t = medians({{"sharded": sharded, "single": single}}, reps=5)
print(json.dumps({{"devices": len(jax.devices()), "same": same, **t}}))
"""


def sharded_row() -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", SHARDED.format(root=ROOT)], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ratio = out["sharded"] / out["single"]
    print(f"sharded over {out['devices']} devices: {out['sharded']:.2f} s, one device "
          f"{out['single']:.2f} s, identical training losses: {out['same']}")  # fmt: skip
    return {"name": "K=16 sharded over 8 host devices / 1 device (time; equal results)",
            "ratio": ratio, "goal": "equal", "met": out["same"]}  # fmt: skip


def main() -> list[dict]:
    race = Setup(16)  # which loop is fastest
    v = medians({"loop_step": race.loop_step(), "loop_epoch": race.loop_epoch()}, reps=3)
    best_loop = min(v, key=v.get)
    few = Setup(8)  # a plain vmap over all members is slow on CPU: 8 are enough to show it
    w = medians({"vmap": few.population(None), best_loop: getattr(few, best_loop)()}, reps=3)
    setup = Setup(K)
    t = medians({"population": setup.population(pop.default_block()),
                 best_loop: getattr(setup, best_loop)()}, reps=3)  # fmt: skip
    for k, m in ((16, v), (8, w), (K, t)):
        print(
            f"K={k} per member-epoch: "
            + ", ".join(f"{n} {x / k * 1e3:.1f} ms" for n, x in m.items())
        )
    ratio = t[best_loop] / t["population"]
    rows = [
        {"name": f"K={K} CNNs x 1 epoch: fastest one-at-a-time loop / population",
         "ratio": ratio, "goal": ">= 1.0", "met": ratio >= 1.0},
        {"name": "K=16: jitted-epoch loop / jitted-step loop (which loop is fastest)",
         "ratio": v["loop_epoch"] / v["loop_step"], "goal": "-", "met": None},
        {"name": "K=8: fastest loop / plain vmap of all members (GPU default)",
         "ratio": w[best_loop] / w["vmap"], "goal": "-", "met": None},
        sharded_row(),
    ]  # fmt: skip
    record("population", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
