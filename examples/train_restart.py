"""restart: SGDR warm restarts, one cosine cycle per epoch, each peak 0.8 of the last;
with ``snapshots=True`` the model at each cycle end joins a snapshot ensemble."""

from _common import EPOCHS, PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.restart(sa.cosine(PEAK, 0.0, STEPS_PER_EPOCH), decay=0.8, limit=EPOCHS)

if __name__ == "__main__":
    result = run(schedule, "restart", snapshots=True)
    snap = result.snapshots
    print(
        f"  snapshot ensemble of {len(snap['steps'])}: val acc {snap['ensemble_val_acc']:.4f} "
        f"vs final model {snap['final_val_acc']:.4f}"
    )
