"""inverse_sqrt: hold the peak for ``timescale`` steps, then ``peak * sqrt(timescale / t)``
(T5's rsqrt decay), here behind a short linear warmup as transformers use it."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.warmup(sa.inverse_sqrt(PEAK, STEPS_PER_EPOCH), STEPS_PER_EPOCH // 2)

if __name__ == "__main__":
    run(schedule, "inverse_sqrt")
