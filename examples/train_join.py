"""join: pieces one after another, each on its own clock; the boundaries come from
the pieces' durations (linear warmup, then a cosine)."""

from _common import PEAK, STEPS, run

import schedalg as sa

warm = STEPS // 8
schedule = sa.join(sa.linear(0.0, PEAK, warm), sa.cosine(PEAK, 0.0, STEPS - warm))

if __name__ == "__main__":
    run(schedule, "join")
