"""scale: a product of schedules (PyTorch's ChainedScheduler): a cosine times a
step decay; ``a * b`` builds the same node."""

from _common import PEAK, STEPS, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.scale(sa.cosine(PEAK, PEAK / 10, STEPS), sa.step(1.0, STEPS_PER_EPOCH, 0.7))

if __name__ == "__main__":
    run(schedule, "scale")
