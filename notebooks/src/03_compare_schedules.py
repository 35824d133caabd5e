# %% [markdown]
# # Every schedule family on one CNN
#
# `schedalg.train.compare` trains the small CNN of `schedalg.train` once per schedule
# family: constant, step, multistep, exponential, cosine, cosine with restarts, cyclic,
# 1cycle, warmup + cosine, WSD, polynomial, inverse square root, a join of a warmup and a
# product, and ReduceLROnPlateau. Every family is scaled to the same run length and the
# same peak learning rate, and every run uses the same seed (same initial parameters,
# same batches): only the schedule differs. It is what `make demo` and
# `schedalg compare` run, with 10 epochs.
#
# Here it runs with 4 epochs so the notebook finishes in well under a minute on a CPU.
# A 4-epoch budget is not a 10-epoch one, so read the ranking as a statement about this
# setting only; the last section measures how much of it survives a change of seed.

# %%
%matplotlib inline
import dataclasses
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from schedalg.train import Config, load_data
from schedalg.train.compare import PEAK, compare, families, report_markdown

data = load_data()
config = Config(epochs=4, batch_size=64, optimizer="adam", seed=0)
total = config.epochs * (len(data.y_train) // config.batch_size)
print(data.describe())
print(f"{config.epochs} epochs = {total} updates, peak learning rate {PEAK}")
for family in families(total, PEAK, config.epochs):
    extra = " x plateau(val loss)" if family.plateau is not None else ""
    print(f"{family.name:<28} {family.schedule!r}{extra}")

# %% [markdown]
# ## Run the comparison
#
# `compare` returns a `Comparison` whose `results` hold one `RunResult` per family: the
# learning rate of every update (read back from the optimizer state, so it is what the
# optimizer really used), the training loss of every update and the per-epoch metrics.
# With `out_dir=...` it also writes `report.md`, `compare.png` and `results.json`.

# %%
start = time.perf_counter()
comparison = compare(data, config, progress=False)
print(f"{len(comparison.results)} runs in {time.perf_counter() - start:.0f} s")

# %% [markdown]
# ## The learning rates
#
# One panel per family, as the optimizer applied them. The plateau run's rate is the
# constant base times the plateau rule's scale, which reacts to the validation loss at
# the end of each epoch.

# %%
results = comparison.results
cols = 7
rows = -(-len(results) // cols)
fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.0 * rows), sharex=True, sharey=True)
for ax, r in zip(axes.flat, results):
    ax.plot(r.lr, linewidth=1.5)
    ax.set_title(r.name, fontsize=8)
    ax.grid(alpha=0.3)
for ax in axes.flat[len(results) :]:
    ax.axis("off")
for ax in axes[-1]:
    ax.set_xlabel("update", fontsize=8)
fig.suptitle(f"learning rate per update (peak {PEAK})", fontsize=11)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Validation curves and the table

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(15, 4.5))
for i, r in enumerate(results):
    epochs = [m["epoch"] for m in r.metrics]
    style = "-" if i < 10 else "--"
    ax_loss.plot(
        epochs, [m["val_loss"] for m in r.metrics], style, color=f"C{i % 10}", label=r.name
    )
    ax_acc.plot(epochs, [m["val_acc"] for m in r.metrics], style, color=f"C{i % 10}")
ax_loss.set_yscale("log")
ax_loss.set_title("validation loss (log scale)", fontsize=10)
ax_acc.set_title("validation accuracy", fontsize=10)
for ax in (ax_loss, ax_acc):
    ax.set_xlabel("epoch")
    ax.set_xticks(range(1, config.epochs + 1))
    ax.grid(alpha=0.3)
ax_loss.legend(fontsize=7, ncol=2)
fig.tight_layout()
plt.show()

display(Markdown(report_markdown(results, data.describe(), config)))

# %% [markdown]
# ## How to read the table
#
# * **final train loss** is the mean training loss over the last epoch's updates, measured
#   while the parameters were still changing; **best val loss** and **best val acc** are
#   the best of the per-epoch scores on the 359 held-out digits (one image is 0.28% of
#   accuracy). The best accuracy is in bold.
# * Every family had the same peak rate, the same length and the same seed, so a row
#   differs from another only by its schedule; it does not say how a family would do at
#   its own best peak rate or with a longer budget.
# * One seed measures one draw of the initial parameters and batches. Before believing a
#   gap between two families, compare it with the spread between seeds, as below.
#
# ## How much of the ranking survives a change of seed?
#
# The three families with the lowest best validation loss, trained again with seeds 1
# and 2 (`only=` picks families by name). Seed 0 chose these three, so its values are
# biased in their favour; seeds 1 and 2 are the fair check.

# %%
ranked = sorted(results, key=lambda r: r.best_val_loss)
top = [r.name for r in ranked[:3]]
by_seed = {name: [next(r for r in results if r.name == name).best_val_loss] for name in top}
for seed in (1, 2):
    again = compare(
        data, dataclasses.replace(config, seed=seed), only=top, progress=False, log=None
    )
    for r in again.results:
        by_seed[r.name].append(r.best_val_loss)

fig, ax = plt.subplots(figsize=(7, 3.5))
for i, name in enumerate(top):
    v = np.array(by_seed[name])
    ax.scatter([i] * len(v), v, color=f"C{i}")
    ax.errorbar([i + 0.15], [v.mean()], yerr=[v.std(ddof=1)], fmt="o", color="k", capsize=4)
    print(
        f"{name:<28} best val loss per seed {np.round(v, 4).tolist()}, "
        f"mean {v.mean():.4f} ± {v.std(ddof=1):.4f}"
    )
ax.set_xticks(range(len(top)))
ax.set_xticklabels(top, fontsize=8)
ax.set_ylabel("best validation loss")
ax.set_title("top three families, seeds 0, 1, 2 (black: mean ± sd)", fontsize=10)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

means = {name: np.mean(v) for name, v in by_seed.items()}
sds = {name: np.std(v, ddof=1) for name, v in by_seed.items()}
order = sorted(means, key=means.get)
gap = means[order[1]] - means[order[0]]
print(
    f"\nOver three seeds, {order[0]!r} has the lowest mean best validation loss; the gap to "
    f"{order[1]!r} is {gap:.4f}, against seed standard deviations of "
    f"{sds[order[0]]:.4f} and {sds[order[1]]:.4f}: "
    + (
        "the gap is larger than both."
        if gap > max(sds[order[0]], sds[order[1]])
        else "the gap is within the seed spread, so these two are not separated here."
    )
)
