"""inverse_time: Keras's InverseTimeDecay, ``start / (1 + rate * t / steps)``."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.inverse_time(PEAK, 1.0, STEPS_PER_EPOCH)

if __name__ == "__main__":
    run(schedule, "inverse_time")
