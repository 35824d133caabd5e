"""add: a sum of schedules, a decaying base plus a small cyclic ripple (``a + b``)."""

from _common import PEAK, STEPS, STEPS_PER_EPOCH, run

import schedalg as sa

ripple = sa.cyclic(0.0, PEAK / 4, STEPS_PER_EPOCH // 4)
schedule = sa.add(sa.linear(PEAK * 0.75, 0.0, STEPS), ripple)

if __name__ == "__main__":
    run(schedule, "add")
