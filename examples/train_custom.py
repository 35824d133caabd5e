"""custom: your own pure ``jax.numpy`` function, its numbers kept as leaves
(here a "linear warmup, then 1/t" rule)."""

import jax.numpy as jnp
from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa


def warm_inverse(t, peak, warm):
    return peak * jnp.minimum((t + 1.0) / warm, warm / jnp.maximum(t + 1.0, warm))


schedule = sa.custom(warm_inverse, peak=PEAK, warm=float(STEPS_PER_EPOCH))

if __name__ == "__main__":
    run(schedule, "custom")
