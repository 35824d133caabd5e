"""multistep: PyTorch's MultiStepLR, / 10 at the start of epochs 3 and 4."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.multistep(PEAK, [2 * STEPS_PER_EPOCH, 3 * STEPS_PER_EPOCH], 0.1)

if __name__ == "__main__":
    run(schedule, "multistep")
