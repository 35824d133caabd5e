"""one_cycle: 1cycle, a cosine rise to the peak over the first 30%, then down to
almost nothing (Smith & Topin 2018)."""

from _common import PEAK, STEPS, run

import schedalg as sa

schedule = sa.one_cycle(PEAK / 25, PEAK, PEAK / 2.5e5, STEPS)

if __name__ == "__main__":
    run(schedule, "one_cycle")
