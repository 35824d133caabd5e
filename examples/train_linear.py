"""linear: a straight line from the peak down to a tenth of it at the last step."""

from _common import PEAK, STEPS, run

import schedalg as sa

schedule = sa.linear(PEAK, PEAK / 10, STEPS)

if __name__ == "__main__":
    run(schedule, "linear")
