"""piecewise_linear: straight lines through knots (a triangle, then a slow tail)."""

from _common import PEAK, STEPS, run

import schedalg as sa

schedule = sa.piecewise_linear([0, STEPS // 4, STEPS], [PEAK / 10, PEAK, PEAK / 100])

if __name__ == "__main__":
    run(schedule, "piecewise_linear")
