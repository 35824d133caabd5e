"""step: PyTorch's StepLR, the rate times 0.3 every epoch."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.step(PEAK, STEPS_PER_EPOCH, 0.3)

if __name__ == "__main__":
    run(schedule, "step")
