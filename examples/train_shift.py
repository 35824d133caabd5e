"""shift: delays a schedule's clock; the cosine holds its start for the first epoch."""

from _common import PEAK, STEPS, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.shift(sa.cosine(PEAK, 0.0, STEPS - STEPS_PER_EPOCH), STEPS_PER_EPOCH)

if __name__ == "__main__":
    run(schedule, "shift")
