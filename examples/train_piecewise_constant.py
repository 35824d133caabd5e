"""piecewise_constant: explicit values between explicit boundaries."""

from _common import PEAK, STEPS, run

import schedalg as sa

schedule = sa.piecewise_constant([STEPS // 4, STEPS // 2], [PEAK / 3, PEAK, PEAK / 10])

if __name__ == "__main__":
    run(schedule, "piecewise_constant")
