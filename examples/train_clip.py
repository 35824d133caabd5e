"""clip: bounds on a schedule, here a floor (``min_lr``) under an exponential decay."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.clip(sa.exponential(PEAK, 0.05, STEPS_PER_EPOCH), low=PEAK / 20)

if __name__ == "__main__":
    run(schedule, "clip")
