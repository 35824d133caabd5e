"""warmup: a cosine-shaped ramp in front of an exponential decay; the decay's clock
starts when the ramp ends (``prefix=True``, as Hugging Face and optax do)."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.warmup(sa.exponential(PEAK, 0.3, STEPS_PER_EPOCH), STEPS_PER_EPOCH, shape="cosine")

if __name__ == "__main__":
    run(schedule, "warmup")
