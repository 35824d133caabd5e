"""cosine: half a cosine from the peak to zero over the run (Loshchilov & Hutter)."""

from _common import PEAK, STEPS, run

import schedalg as sa

schedule = sa.cosine(PEAK, 0.0, STEPS)

if __name__ == "__main__":
    run(schedule, "cosine")
