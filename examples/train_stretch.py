"""stretch: slows a schedule's clock; a 1cycle written for 22 steps stretched over 88."""

from _common import EPOCHS, PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.stretch(sa.one_cycle(PEAK / 25, PEAK, PEAK / 1e4, STEPS_PER_EPOCH), EPOCHS)

if __name__ == "__main__":
    run(schedule, "stretch")
