# %% [markdown]
# # Does the order of chained schedulers change the final loss?
#
# In PyTorch two schedulers can drive one optimizer: build a `StepLR` and a
# `CosineAnnealingLR` on it and call both `.step()`s after every update (or wrap them in
# `ChainedScheduler`). Users then ask whether `step` then `cosine` differs from `cosine`
# then `step`, and what changes when they use `SequentialLR` instead.
#
# This notebook answers with measurements, in two parts:
#
# 1. **The learning rates.** `schedalg.compat.torch` rebuilds torch's schedulers from the
#    algebra; torch itself (when it is installed) gives the reference values. We look at
#    when the two orders give identical trajectories, when they do not, and how a
#    product (`ChainedScheduler`, `sa.scale`) differs from a sequence (`SequentialLR`,
#    `sa.join`) and from torch's recursive cosine past `T_max`.
# 2. **The loss.** We train the small CNN of `schedalg.train` on the digits under each
#    schedule, with three seeds, all schedules of a seed as one population, and test the
#    differences with a paired t-test across the seeds (the statistics of
#    `schedalg compare`).

# %%
%matplotlib inline
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import schedalg as sa
from schedalg.compat.torch import ChainedScheduler, CosineAnnealingLR, SequentialLR, StepLR
from schedalg.train import Config, load_data
from schedalg.train.population import train_population
from schedalg.train.stats import holm, paired_t_test, t_interval

try:
    import torch
except ImportError:  # the comparisons with torch's own values are skipped
    torch = None
print("torch available:", torch is not None)

data = load_data()
EPOCHS, BATCH = 6, 64
N = EPOCHS * (len(data.y_train) // BATCH)  # updates in a training run
LR = 1e-2  # Adam's peak learning rate for this CNN
EVERY = N // 3  # StepLR's step_size, in updates
steps = np.arange(N)
print(data.describe())
print(f"{N} updates; StepLR halves the rate every {EVERY} updates")


def values(schedule, n=N):
    """The schedule's values at steps 0..n-1, as float64 for comparisons."""
    return np.asarray(sa.evaluate(schedule, np.arange(n)), np.float64)


def torch_lrs(make, n=N, order=None):
    """The learning rate torch uses for each of n updates.

    ``make(optimizer)`` returns a list of schedulers; after every update each of them is
    stepped, in ``order`` (default: list order).
    """
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=LR)
    schedulers = make(optimizer)
    order = range(len(schedulers)) if order is None else order
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about stepping without gradients
        for _ in range(n):
            out.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            for i in order:
                schedulers[i].step()
    return np.asarray(out)


if torch is not None:
    lr_scheduler = torch.optim.lr_scheduler

    def step_and_cosine(T_max, eta_min=0.0):
        return lambda opt: [
            lr_scheduler.StepLR(opt, step_size=EVERY, gamma=0.5),
            lr_scheduler.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min),
        ]

# %% [markdown]
# ## 1. A product commutes
#
# `StepLR` multiplies the current rate by `gamma` at each `step_size`; with
# `eta_min=0`, `CosineAnnealingLR`'s update also multiplies it, by the ratio of two
# consecutive cosine values. Multiplications commute, so both orders give the same
# rates: the chain is the product `step * cosine`. `ChainedScheduler` in
# `schedalg.compat.torch` builds exactly that product, with `sa.scale` nodes.

# %%
step_then_cos = ChainedScheduler(
    [StepLR(lr=LR, step_size=EVERY, gamma=0.5), CosineAnnealingLR(lr=LR, T_max=N)]
)
cos_then_step = ChainedScheduler(
    [CosineAnnealingLR(lr=LR, T_max=N), StepLR(lr=LR, step_size=EVERY, gamma=0.5)]
)
print(step_then_cos)
print(cos_then_step)
print(
    "schedalg, both orders identical:", np.array_equal(values(step_then_cos), values(cos_then_step))
)
if torch is not None:
    torch_a = torch_lrs(step_and_cosine(N), order=[0, 1])
    torch_b = torch_lrs(step_and_cosine(N), order=[1, 0])
    print("torch, both orders identical:   ", np.array_equal(torch_a, torch_b))
    worst = np.max(np.abs(values(step_then_cos) - torch_a)) / LR
    print(f"max |schedalg - torch| / LR:     {worst:.1e}")

# %% [markdown]
# ## 2. When the order does matter in torch: `eta_min > 0`
#
# With a floor `eta_min`, torch's cosine update is `eta_min + (lr - eta_min) * ratio`:
# affine, not a product. Now `gamma * (eta_min + (lr - eta_min) * r)` and
# `eta_min + (gamma * lr - eta_min) * r` differ, so the order of the `.step()` calls
# changes the rates. `ChainedScheduler` in the compat module refuses this chain rather
# than pick one of the two: in the algebra you write the composition you mean.

# %%
ETA_MIN = LR / 10
try:
    ChainedScheduler(
        [
            StepLR(lr=LR, step_size=EVERY, gamma=0.5),
            CosineAnnealingLR(lr=LR, T_max=N, eta_min=ETA_MIN),
        ]
    )
except ValueError as err:
    print("ValueError:", err)
if torch is not None:
    eta_a = torch_lrs(step_and_cosine(N, ETA_MIN), order=[0, 1])
    eta_b = torch_lrs(step_and_cosine(N, ETA_MIN), order=[1, 0])
    gap = np.abs(eta_a - eta_b)
    print(
        f"torch, eta_min={ETA_MIN:g}: max |order A - order B| = {gap.max():.2e} "
        f"({gap.max() / LR:.2%} of the peak) at update {gap.argmax()}"
    )
    print(
        f"lowest rate: order A {eta_a.min():.3e}, order B {eta_b.min():.3e} (eta_min {ETA_MIN:g})"
    )

# %% [markdown]
# ## 3. Past `T_max`: torch's recursive cosine
#
# torch's `CosineAnnealingLR` does not stop at `T_max`: its recursion climbs back to
# `lr` at `2 * T_max`. The compat version reproduces that
# (`restart(join(cosine down, cosine up))`). Chained with `StepLR`, torch's recursion
# passes through a rate of exactly 0 at `T_max`; the next update *adds* a term
# proportional to the initial rate, so the `StepLR` factors applied so far are lost.
# The algebra's product keeps them. Here `T_max` is half the run.

# %%
HALF = N // 2
product_half = ChainedScheduler(
    [StepLR(lr=LR, step_size=EVERY, gamma=0.5), CosineAnnealingLR(lr=LR, T_max=HALF)]
)
if torch is not None:
    alone = torch_lrs(lambda opt: [lr_scheduler.CosineAnnealingLR(opt, T_max=HALF)])
    cos_alone = values(CosineAnnealingLR(lr=LR, T_max=HALF))
    print(
        f"CosineAnnealingLR alone past T_max, max |schedalg - torch| / LR: "
        f"{np.max(np.abs(cos_alone - alone)) / LR:.1e}"
    )
    chain_half = torch_lrs(step_and_cosine(HALF))
    chain_half_b = torch_lrs(step_and_cosine(HALF), order=[1, 0])
    diff = np.abs(values(product_half) - chain_half) / LR
    print("torch chain, both orders identical:", np.array_equal(chain_half, chain_half_b))
    print(
        f"product vs torch chain: equal to {diff[: HALF + 1].max():.1e} up to T_max={HALF}, "
        f"then up to {diff.max():.1%} of the peak apart (first at update "
        f"{int(np.argmax(diff > 1e-5))})"
    )

# %% [markdown]
# ## 4. Product versus sequence
#
# `SequentialLR([StepLR, CosineAnnealingLR], milestones=[m])` is a different composition:
# `StepLR` alone until `m`, then a cosine that starts again from the *initial* rate on its
# own clock. In the algebra that is `sa.join`, and the compat `SequentialLR` builds
# exactly that. A join does not commute: swapping the pieces gives another schedule.

# %%
sequence = SequentialLR(
    [StepLR(lr=LR, step_size=EVERY, gamma=0.5), CosineAnnealingLR(lr=LR, T_max=N - EVERY)],
    milestones=[EVERY],
)
plain_join = sa.join(sa.step(LR, EVERY, 0.5), sa.cosine(LR, 0.0, N - EVERY), boundaries=[EVERY])
print(sequence)
print(
    "SequentialLR == sa.join(step, cosine):", np.array_equal(values(sequence), values(plain_join))
)
swapped = sa.join(sa.cosine(LR, 0.0, N - EVERY), sa.step(LR, EVERY, 0.5), boundaries=[N - EVERY])
print(
    f"max |join(step, cosine) - join(cosine, step)| / LR = "
    f"{np.max(np.abs(values(plain_join) - values(swapped))) / LR:.2f}"
)
if torch is not None:
    torch_seq = torch_lrs(
        lambda opt: [
            lr_scheduler.SequentialLR(
                opt,
                [
                    lr_scheduler.StepLR(opt, step_size=EVERY, gamma=0.5),
                    lr_scheduler.CosineAnnealingLR(opt, T_max=N - EVERY),
                ],
                milestones=[EVERY],
            )
        ]
    )
    print(
        f"max |schedalg - torch SequentialLR| / LR = "
        f"{np.max(np.abs(values(sequence) - torch_seq)) / LR:.1e}"
    )

# %%
fig, axes = plt.subplots(1, 4, figsize=(18, 3.8))
ax = axes[0]
ax.plot(steps, values(step_then_cos), label="schedalg: step then cosine", linewidth=3, alpha=0.5)
ax.plot(steps, values(cos_then_step), "--", label="schedalg: cosine then step")
if torch is not None:
    ax.plot(steps[::6], torch_a[::6], "k.", label="torch (both orders)")
ax.set_title("1. product, eta_min = 0: order irrelevant", fontsize=10)
ax = axes[1]
if torch is not None:
    ax.plot(steps, eta_a, label="torch: step then cosine")
    ax.plot(steps, eta_b, "--", label="torch: cosine then step")
    inset = ax.twinx()
    inset.plot(steps, (eta_a - eta_b) / LR, color="0.6", linewidth=0.8)
    inset.set_ylabel("difference / peak", color="0.5", fontsize=8)
ax.set_title(f"2. eta_min = {ETA_MIN:g}: order matters in torch", fontsize=10)
ax = axes[2]
ax.plot(steps, values(product_half), label="product (schedalg ChainedScheduler)")
if torch is not None:
    ax.plot(steps, chain_half, "--", label="torch chain (recursive)")
ax.axvline(HALF, color="0.7", linestyle=":")
ax.set_title(f"3. T_max = {HALF}: past T_max they differ", fontsize=10)
ax = axes[3]
ax.plot(steps, values(step_then_cos), label="product: step * cosine")
ax.plot(steps, values(sequence), label="sequence: join(step, cosine)")
ax.plot(steps, values(swapped), label="sequence: join(cosine, step)")
ax.set_title("4. product vs sequence", fontsize=10)
for ax in axes:
    ax.set_xlabel("update")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Training under each schedule
#
# Each schedule trains the CNN (Adam, batch 64, 6 epochs) with seeds 0, 1 and 2. A seed
# fixes the initial parameters and the order of the batches, so two schedules trained
# with the same seed differ only by their learning rates: the comparison is *paired* by
# seed. Every schedule is tabulated with `sa.piecewise_linear`, a knot at every update,
# which reproduces it (in float32) at every step; that gives all of them one tree
# structure, so the schedules of a seed train as one population
# (`train_population`, one compiled program for all seeds). The torch-only
# trajectories (the chain past `T_max`, the two `eta_min > 0` orders) are tabulated from
# torch's own values the same way.

# %%
SEEDS = [0, 1, 2]


def from_values(lrs):
    """A schedule through given per-update values (knots at steps 0..n-1, the last axis);
    a table of rows gives a batch of schedules."""
    lrs = np.asarray(lrs, np.float32)
    return sa.piecewise_linear(np.arange(lrs.shape[-1]), lrs)


schedules = {
    "product, step then cosine": step_then_cos,
    "product, cosine then step": cos_then_step,
    "sequence join(step, cosine)": sequence,
    "product, T_max = N/2": product_half,
}
if torch is not None:
    schedules["torch chain, T_max = N/2"] = chain_half
    schedules["torch eta_min>0, step then cosine"] = eta_a
    schedules["torch eta_min>0, cosine then step"] = eta_b
names = list(schedules)
table = np.stack([s if isinstance(s, np.ndarray) else values(s) for s in schedules.values()])
batch = from_values(table)  # batch shape (schedules,)

start = time.perf_counter()
pops = [
    train_population(batch, data, Config(epochs=EPOCHS, batch_size=BATCH, seed=seed),
                     seeds=seed, progress=False)
    for seed in SEEDS
]  # fmt: skip
print(f"{len(names)} schedules x {len(SEEDS)} seeds in {time.perf_counter() - start:.0f} s")
# per schedule, per seed: final validation loss, accuracy, training loss; per-update losses
final = {k: np.stack([p.metrics[k][:, -1] for p in pops], 1) for k in ("val_loss", "val_acc",
         "train_loss")}  # fmt: skip
losses = np.stack([p.loss for p in pops], 1)  # (schedules, seeds, updates)


# %% [markdown]
# ### The table
#
# For each schedule: the final validation loss over the three seeds as mean ± standard
# deviation and its 95 % Student-t interval (`t_interval`: with 3 seeds the half-width
# is 4.30 standard errors), and the paired difference from the first row with the
# two-sided paired t-test (`paired_t_test`, df = 2) and its p-value adjusted by Holm's
# method over the comparisons (`holm`).

# %%
base = 0
tests = [paired_t_test(final["val_loss"][i], final["val_loss"][base]) for i in range(1, len(names))]
adjusted = holm([t.p for t in tests])
rows = [
    "| schedule | final val loss: mean ± sd [95% CI] | paired diff. vs first row | p | p Holm "
    "| final train loss | final val acc |",
    "|---|---|---:|---:|---:|---:|---:|",
]
for i, name in enumerate(names):
    iv = t_interval(final["val_loss"][i])
    diff = p = ph = "–"
    if i != base:
        t, ph = tests[i - 1], f"{adjusted[i - 1]:.3f}"
        diff, p = f"{t.mean_diff:+.4f}", f"{t.p:.3f}"
    rows.append(
        f"| {name} | {iv.mean:.4f} ± {iv.sd:.4f} [{iv.low:.4f}, {iv.high:.4f}] | {diff} | {p} | "
        f"{ph} | {final['train_loss'][i].mean():.4f} | {final['val_acc'][i].mean():.4f} |"
    )
display(Markdown("\n".join(rows)))

fig, (ax_lr, ax_val, ax_pts) = plt.subplots(1, 3, figsize=(18, 4.2))
epochs = np.arange(1, EPOCHS + 1)
for i, name in enumerate(names):
    color = f"C{i}"
    ax_lr.plot(pops[0].lr[i], color=color, label=name, linewidth=1.4)
    curves = np.stack([p.metrics["val_loss"][i] for p in pops])
    ax_val.plot(epochs, curves.mean(0), color=color, label=name)
    ax_val.fill_between(epochs, curves.min(0), curves.max(0), color=color, alpha=0.15)
    iv = t_interval(final["val_loss"][i])
    ax_pts.errorbar([i], [iv.mean], yerr=[[iv.mean - iv.low], [iv.high - iv.mean]], fmt="o",
                    color=color, capsize=4)  # fmt: skip
    ax_pts.scatter([i + 0.15] * len(SEEDS), final["val_loss"][i], color="0.4", marker="x")
ax_lr.set_title("learning rate logged by the trainer (seed 0)", fontsize=10)
ax_lr.set_xlabel("update")
ax_val.set_title("validation loss: mean and min-max band over 3 seeds", fontsize=10)
ax_val.set_xlabel("epoch")
ax_val.set_yscale("log")
ax_pts.set_title("final validation loss: 95% t interval (x: seeds)", fontsize=10)
ax_pts.set_xticks(range(len(names)))
ax_pts.set_xticklabels(range(1, len(names) + 1))
ax_pts.set_xlabel("schedule (table row)")
for ax in (ax_lr, ax_val, ax_pts):
    ax.grid(alpha=0.3)
ax_lr.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What the measurements say
#
# The cell below states the findings from the numbers above, computed rather than
# written in advance: whether runs were bit-identical, and for each schedule whether its
# paired difference from the first row is significant (two-sided paired t-test across
# the 3 seeds, Holm-adjusted, level 0.05). With three seeds only large, consistent
# differences can reach significance: "not significant" means this experiment does not
# separate the two, not that they are equal. The converse holds too: two nearly equal
# schedules trained from the same seeds can differ *consistently* by a tiny amount, which
# a paired test calls significant; compare the size with the seed standard deviation
# before calling it an effect that matters.

# %%
same = np.array_equal(losses[0], losses[1])
print(
    f"1. Product, both orders: learning rates identical = "
    f"{np.array_equal(values(step_then_cos), values(cos_then_step))}; "
    f"training losses bit-identical for every seed = {same}."
)
for i, name in enumerate(names[1:], start=1):
    t, ph = tests[i - 1], adjusted[i - 1]
    if np.array_equal(losses[i], losses[base]):
        print(f"   {name}: the same runs as the first row, bit for bit.")
        continue
    verdict = "significant" if ph < 0.05 else "not significant"
    print(
        f"   {name}: paired difference {t.mean_diff:+.4f} (per seed "
        f"{np.round(final['val_loss'][i] - final['val_loss'][base], 4).tolist()}), "
        f"t = {t.t:.2f}, p = {t.p:.3f}, Holm {ph:.3f}: {verdict}."
    )
if torch is not None:
    a = names.index("torch eta_min>0, step then cosine")
    b = names.index("torch eta_min>0, cosine then step")
    t = paired_t_test(final["val_loss"][b], final["val_loss"][a])
    spread = final["val_loss"][a].std(ddof=1)
    print(
        f"2. eta_min > 0: the two torch orders differ by at most {gap.max() / LR:.2%} of the peak "
        f"rate; their final validation losses differ by {t.mean_diff:+.4f} on average "
        f"(paired t-test p = {t.p:.3f}: "
        f"{'significant' if t.p < 0.05 else 'not significant'} at 0.05, one comparison), "
        f"{abs(t.mean_diff) / spread:.1%} of the seed standard deviation {spread:.4f}."
    )
