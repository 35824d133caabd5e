"""exponential: multiply by ``rate`` every ``steps`` updates (here: / 10 per epoch),
never below ``end``."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.exponential(PEAK, 0.1, STEPS_PER_EPOCH, end=PEAK / 1000)

if __name__ == "__main__":
    run(schedule, "exponential")
