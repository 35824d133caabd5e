"""per_epoch: a schedule written in epochs, stepped once per epoch while the
optimizer counts updates (PyTorch's per-epoch ``scheduler.step()``)."""

from _common import EPOCHS, PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.per_epoch(sa.cosine(PEAK, PEAK / 20, EPOCHS - 1), STEPS_PER_EPOCH)

if __name__ == "__main__":
    run(schedule, "per_epoch")
