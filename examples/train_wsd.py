"""wsd: warmup-stable-decay with the "1-sqrt" cooldown (Hägele et al. 2024)."""

from _common import PEAK, STEPS, run

import schedalg as sa

warm, decay = STEPS // 10, STEPS // 4
schedule = sa.wsd(PEAK, warm, STEPS - warm - decay, decay, decay_shape="1-sqrt")

if __name__ == "__main__":
    run(schedule, "wsd")
