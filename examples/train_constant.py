"""constant: the same learning rate at every step (the baseline every schedule beats)."""

from _common import PEAK, run

import schedalg as sa

schedule = sa.constant(PEAK)

if __name__ == "__main__":
    run(schedule, "constant")
