"""`schedalg compare`'s workload: the population against the fastest one-at-a-time loop.

The members are those of ``make demo``'s population (:mod:`schedalg.train.compare`):
all 14 families at 2 peaks, K = 28 CNNs (the plateau family as its constant base: one
epoch never reaches its rule), each tabulated as ``sa.piecewise_linear`` (the
population's form) and, for the loops, also in its own structure (what a user's loop
would train). The data and settings are the demo's (``schedalg.demo``'s task),
one epoch per measurement. Side by side in one process:

* **compiled** (median of 3, after warm-up): one epoch of all K members as one
  population program (``train.population``: on a CPU its members one after the other
  inside the program) / the fastest of two one-at-a-time loops over the same members:
  a Python loop over members of a jitted epoch (``lax.scan``, the population's own
  convolution) and a Python loop over members and updates of a jitted step
  (``flax.linen.Conv``). Both sides score the validation set after the epoch.
* **cold** (one pass each, compilation included): the population's first epoch (one
  compilation for every structure) / the jitted-epoch loop's first pass over the
  members in their own structures (one compilation per structure, 13) -- what a
  ``for family in families: train(...)`` pays before the first result.

Ratios above 1: the population is faster. About a minute on the 2-core CPU.
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

ROOT = __file__.rsplit("/", 2)[0]
sys.path.insert(0, ROOT)
from bench._timing import medians, record, table  # noqa: E402
from schedalg.demo import demo_task  # noqa: E402
from schedalg.train import population as pop  # noqa: E402
from schedalg.train.compare import families, population  # noqa: E402
from schedalg.train.data import epoch_order  # noqa: E402
from schedalg.train.step import functions, optimizer  # noqa: E402

PEAKS = (3e-3, 1e-2)


class Workload:
    """The demo's data, one epoch of batches, K members' schedules and parameters."""

    def __init__(self):
        self.data, config = demo_task()
        self.config = config
        self.model = config.model(self.data.classes)
        self.fns = functions(self.model, self.data.image_shape)
        bs = config.batch_size
        self.spe = len(self.data.y_train) // bs
        total = config.epochs * self.spe
        order = epoch_order(0, 0, len(self.data.y_train))[: self.spe * bs]
        shape = (self.spe, bs, *self.data.image_shape)
        self.xs = jnp.asarray(self.data.x_train[order].reshape(shape))
        self.ys = jnp.asarray(self.data.y_train[order].reshape(self.spe, bs))
        self.xv, self.yv = jnp.asarray(self.data.x_val), jnp.asarray(self.data.y_val)
        names = [f.name for f in families(total)]  # plateau: its constant base (1 epoch)
        sched, _, _ = population(names, PEAKS, total, config.epochs)
        self.k = len(names) * len(PEAKS)
        self.tabulated = pop.flatten(sched, (len(names), len(PEAKS)))
        self.table = [pop.member(self.tabulated, i) for i in range(self.k)]
        self.native = [f.schedule for p in PEAKS for f in families(total, p, config.epochs)]
        self.flat0 = np.stack([self.fns.init(i % 3) for i in range(self.k)])

    def population(self):
        spec = pop._Spec(self.config.optimizer, self.fns.unravel, pop.default_block())
        init, epoch = pop._compiled(spec, None)
        scale = np.ones(self.k, np.float32)

        def run():  # fresh copies: the epoch donates its parameters and state
            flat = jnp.array(self.flat0)
            out = epoch(flat, init(flat, self.tabulated), scale, self.tabulated, self.xs,
                        self.ys, self.xv, self.yv)  # fmt: skip
            return out[3]

        return run

    def loop_epoch(self, schedules):
        """Python loop over members of a jitted epoch (``lax.scan``, the population's
        hand-differentiated convolution)."""
        spec = pop._Spec(self.config.optimizer, self.fns.unravel, 1)
        opt = self.config.optimizer
        init = jax.jit(lambda f, s: optimizer(opt, s).init(f))
        epoch = jax.jit(lambda f, o, s: pop._member_epoch(
            spec, (f, o, jnp.float32(1.0), s), self.xs, self.ys, self.xv, self.yv))  # fmt: skip

        def run():
            for i, s in enumerate(schedules):
                flat = jnp.asarray(self.flat0[i])
                out = epoch(flat, init(flat, s), s)
            return out[3]

        return run

    def loop_step(self, schedules):
        """Python loop over members and updates of a jitted step (flax ``nn.Conv``)."""
        model, unravel, opt = self.model, self.fns.unravel, self.config.optimizer

        @jax.jit
        def step(flat, opt_state, schedule, x, y):
            def loss_fn(f):
                out = model.apply({"params": unravel(f)}, x)
                return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()

            loss, grads = jax.value_and_grad(loss_fn)(flat)
            updates, opt_state = optimizer(opt, schedule).update(grads, opt_state, flat)
            return optax.apply_updates(flat, updates), opt_state, loss

        @jax.jit
        def score(flat, x, y):
            out = model.apply({"params": unravel(flat)}, x)
            loss = optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
            return loss, jnp.sum(jnp.argmax(out, -1) == y)

        init = jax.jit(lambda f, s: optimizer(opt, s).init(f))

        def run():
            for i, s in enumerate(schedules):
                flat = jnp.asarray(self.flat0[i])
                state = init(flat, s)
                for t in range(self.spe):
                    flat, state, _ = step(flat, state, s, self.xs[t], self.ys[t])
                val = score(flat, self.xv, self.yv)
            return val

        return run


def _once(fn) -> float:
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def main() -> list[dict]:
    w = Workload()
    # cold first: nothing compiled yet for either side
    cold_pop = _once(w.population())
    cold_loop = _once(w.loop_epoch(w.native))
    t = medians(
        {
            "population": w.population(),
            "loop_epoch": w.loop_epoch(w.table),
            "loop_step": w.loop_step(w.table),
        },
        reps=3,
    )
    best_loop = min(("loop_epoch", "loop_step"), key=t.get)
    print(f"{w.data.describe()}; K={w.k} members x 1 epoch ({w.spe} updates each)")
    print("per member-epoch, compiled: " + ", ".join(
        f"{n} {x / w.k * 1e3:.1f} ms" for n, x in t.items()))  # fmt: skip
    print(f"cold (compilation included): population {cold_pop:.1f} s, "
          f"jitted-epoch loop over native structures {cold_loop:.1f} s")  # fmt: skip
    ratio = t[best_loop] / t["population"]
    rows = [
        {"name": f"compare workload K={w.k} x 1 epoch, compiled: fastest loop / population",
         "ratio": ratio, "goal": ">= 1.0", "met": ratio >= 1.0},
        {"name": "compare workload, cold: native-structure loop / population",
         "ratio": cold_loop / cold_pop, "goal": "report", "met": None},
    ]  # fmt: skip
    record("compare_population", rows)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
