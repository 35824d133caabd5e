"""Shared by the ``train_*.py`` examples: train the digits CNN briefly, save a plot.

Every example builds one schedule over ``STEPS`` updates (4 epochs of 22 batches of 64
digits) and calls :func:`run`, which trains, prints the result and writes
``runs/examples/<name>.png``: the learning rate logged at every step next to the loss
and accuracy curves. Run any of them from the repository root, for example
``python examples/train_cosine.py``.
"""

from __future__ import annotations

import os

from schedalg.plot import plot_run
from schedalg.train import Config, RunResult, load_data, train

EPOCHS = 4
BATCH = 64
STEPS_PER_EPOCH = 22  # 1438 training digits // 64
STEPS = EPOCHS * STEPS_PER_EPOCH
PEAK = 1e-2
OUT = os.environ.get("SCHEDALG_EXAMPLES_OUT", os.path.join("runs", "examples"))


def run(schedule, name: str, **kwargs) -> RunResult:
    """Trains with ``schedule`` (extra keywords go to ``schedalg.train.train``)."""
    data = load_data()
    assert len(data.y_train) // BATCH == STEPS_PER_EPOCH
    result = train(schedule, data, Config(epochs=EPOCHS, batch_size=BATCH), name=name, **kwargs)
    os.makedirs(OUT, exist_ok=True)
    path = plot_run(result, os.path.join(OUT, f"{name}.png"))
    print(f"{name}: {schedule!r}")
    print(
        f"  final train loss {result.final_train_loss:.4f}, val acc {result.final_val_acc:.4f} "
        f"(best {result.best_val_acc:.4f}), {result.seconds:.1f} s; wrote {path}"
    )
    return result
