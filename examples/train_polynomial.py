"""polynomial: ``(1 - t/T) ** power`` decay; power 2 drops faster early than linear."""

from _common import PEAK, STEPS, run

import schedalg as sa

schedule = sa.polynomial(PEAK, 0.0, STEPS, power=2.0)

if __name__ == "__main__":
    run(schedule, "polynomial")
