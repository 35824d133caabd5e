# %% [markdown]
# # Thousands of schedules at once
#
# A schedalg schedule is data: a frozen dataclass whose every number, step counts
# included, is a leaf of a JAX pytree. A *batch* of schedules is therefore the same
# schedule with array leaves, and one compiled call handles all of them. This notebook
# uses that twice:
#
# 1. **vectorized evaluation**: 4,096 warmup + cosine schedules (16 warmup lengths x
#    16 peaks x 16 run lengths) evaluated over 1,000 steps in one jitted call, timed
#    against a Python loop over the same schedules, then summarized;
# 2. **population training**: 256 small CNNs on the 8x8 digits, one per combination of
#    16 warmup lengths and 16 peak learning rates, trained by one compiled program
#    (`schedalg.train.population.train_population`): a heatmap of their validation
#    accuracy, the best schedule, and the time against training members one at a time.
#
# Every number quoted in the text below is printed by a cell; timings depend on the
# machine (this notebook is tuned to run in about a minute on a 2-core CPU).

# %%
%matplotlib inline
import time

import jax
import matplotlib.pyplot as plt
import numpy as np

import schedalg as sa
from schedalg.train import Config, load_data, train
from schedalg.train.population import train_population

print("JAX backend:", jax.default_backend(), "| devices:", jax.device_count())

# %% [markdown]
# ## 1. Vectorized evaluation
#
# `sa.grid(constructor, **axes)` calls the constructor once, with every axis broadcast
# against the others: the result is *one* schedule whose leaves have shape
# `(16, 16, 16)`. The run length and the warmup length are leaves like the peak, so they
# batch too (optax's own schedules branch on them in Python and cannot).


# %%
def warmup_cosine(warm, peak, total):
    """Linear warmup over ``warm`` steps, then cosine from ``peak`` to 0, ``total`` in all."""
    return sa.warmup(sa.cosine(peak, 0.0, total - warm), warm)


WARMS = np.arange(0, 400, 25, dtype=np.int32)  # 16 warmup lengths
PEAKS = np.geomspace(1e-4, 1e-1, 16)  # 16 peaks (float32 once evaluated)
TOTALS = np.linspace(500, 1000, 16).astype(np.int32)  # 16 run lengths
steps = np.arange(1000)

batch = sa.grid(warmup_cosine, warm=WARMS, peak=PEAKS, total=TOTALS)
print("batch shape:", sa.batch_shape(batch), "=", np.prod(sa.batch_shape(batch)), "schedules")
print("one member: ", warmup_cosine(int(WARMS[3]), float(PEAKS[5]), int(TOTALS[7])))

# %% [markdown]
# ### One call against a loop
#
# `sa.evaluate(batch, steps)` is jitted with the schedule as an *argument*: it compiles
# once per structure, and the result has shape `batch_shape + steps.shape`. The loop
# below is the fair alternative: build each schedule from Python numbers and evaluate it
# with the same jitted `sa.evaluate` (one compilation serves every member, since they
# share a structure). Both sides are warmed up first, so neither timing includes
# compilation; the batched call is the median of 5 repetitions. To save time the loop
# runs over a quarter of the batch (the 1,024 schedules of the 4 shortest run lengths),
# and its time for all 4,096 is **extrapolated** from that quarter (x4).

# %%
values = sa.evaluate(batch, steps).block_until_ready()  # compile
times = []
for _ in range(5):
    start = time.perf_counter()
    values = sa.evaluate(batch, steps).block_until_ready()
    times.append(time.perf_counter() - start)
batched_s = float(np.median(times))

sa.evaluate(warmup_cosine(0, 1e-3, 500), steps).block_until_ready()  # compile the scalar case
QUARTER = TOTALS[:4]
start = time.perf_counter()
looped = [
    np.asarray(sa.evaluate(warmup_cosine(int(w), float(p), int(t)), steps))
    for w in WARMS
    for p in PEAKS
    for t in QUARTER
]
n_looped = len(looped)
per_schedule = (time.perf_counter() - start) / n_looped
loop_s = per_schedule * values[..., 0].size  # extrapolated from the quarter
looped = np.stack(looped).reshape(WARMS.size, PEAKS.size, QUARTER.size, steps.size)

print(f"values: {values.shape}, {values.size:,} numbers")
print(f"one batched call, 4,096 schedules: {batched_s * 1e3:8.1f} ms (measured)")
print(f"Python loop, per schedule:         {per_schedule * 1e3:8.3f} ms (over {n_looped:,})")
print(f"Python loop, 4,096 schedules:      {loop_s * 1e3:8.1f} ms (extrapolated)")
print(f"speed-up:                          {loop_s / batched_s:8.1f}x")
difference = np.max(np.abs(looped - np.asarray(values)[:, :, : QUARTER.size]))
print("largest difference between loop and batch:", float(difference))

# %% [markdown]
# ### A fan of 4,096 curves
#
# Left: 300 members drawn at random, one thin line each, on a logarithmic axis because
# the peaks span three decades (a log axis cannot show 0, where every warmup starts and
# every run ends, so those values are left out). Right: all 4,096 curves divided by
# their own peak, so that only the *shape* is left, as bands: at each step, 90% of the
# members lie in the light band, half in the dark one, and the red line is the median.
# The bands widen where the shapes disagree: early (warmups of 0 to 375 steps) and late
# (runs of 500 to 1,000 steps, each ending at 0).

# %%
flat = np.asarray(values).reshape(-1, len(steps))
rng = np.random.default_rng(0)
fig, (ax_fan, ax_band) = plt.subplots(1, 2, figsize=(14, 4.2))
for row in flat[rng.choice(len(flat), 300, replace=False)]:
    ax_fan.plot(steps, np.where(row > 0, row, np.nan), linewidth=0.5, alpha=0.35)
ax_fan.set_yscale("log")
ax_fan.set_ylim(1e-6, 0.3)  # the cosines' last steps run on towards 0 below
ax_fan.set_ylabel("learning rate")
ax_fan.set_title("300 of the 4,096 schedules", fontsize=10)
shape = flat / flat.max(axis=1, keepdims=True)
q = np.quantile(shape, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
ax_band.fill_between(steps, q[0], q[4], alpha=0.25, color="C0", label="5-95%")
ax_band.fill_between(steps, q[1], q[3], alpha=0.45, color="C0", label="25-75%")
ax_band.plot(steps, q[2], color="C3", label="median")
ax_band.set_ylabel("learning rate / peak")
ax_band.set_title("all 4,096, divided by their peak: quantiles per step", fontsize=10)
ax_band.legend(fontsize=8)
for ax in (ax_fan, ax_band):
    ax.set_xlabel("step")
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Summaries without the matrix: `sa.summarize`
#
# `sa.summarize(schedule, steps)` reduces each member's curve to a few numbers, block by
# block (blocks of at most `max_bytes` of values, 256 MiB by default), so the
# `members x steps` matrix is never held: the peak and the step where it is first
# reached, the lowest and the final value, the area under the curve (the sum of the
# learning rate over the steps: the learning-rate budget of a run) and its mean. Below,
# the statistics of three members, a check against the matrix computed above, and then
# a question the summaries answer for all 4,096 at once: **how much of the budget does
# a warmup cost?** The area over all 1,000 steps is compared with `peak x total / 2`,
# and the area over the first 200 steps (a second `summarize`, over `range(200)`) with
# `peak x 200`, the budget of a constant rate there. Dividing by the peak puts the 16
# peaks on the same points.

# %%
stats = sa.summarize(batch, steps)
print({k: v.shape for k, v in stats.items()})
for index in [(0, 0, 0), (8, 10, 15), (15, 15, 0)]:
    w, p, t = WARMS[index[0]], PEAKS[index[1]], TOTALS[index[2]]
    row = {k: round(float(v[index]), 6) for k, v in stats.items()}
    print(f"warm={w:3d} peak={p:.2e} total={t:4d}: {row}")
print(
    "same as from the matrix:",
    np.allclose(stats["area"], np.asarray(values, np.float64).sum(-1), rtol=1e-5),
    np.array_equal(stats["peak"], np.asarray(values).max(-1)),
)

peak = PEAKS[None, :, None]
whole = stats["area"] / (peak * TOTALS[None, None, :] / 2)
early = sa.summarize(batch, np.arange(200))["area"] / (peak * 200)
print(f"\narea / (peak x total / 2), all members: {whole.min():.4f} .. {whole.max():.4f}")
for i in (0, 4, 8, 15):
    print(
        f"warmup {WARMS[i]:3d}: area / (peak x 200) over the first 200 steps "
        f"{early[i].min():.3f} .. {early[i].max():.3f}"
    )

fig, (ax_whole, ax_early) = plt.subplots(1, 2, figsize=(14, 4))
warm_axis = np.broadcast_to(WARMS[:, None, None], whole.shape).ravel()
total_axis = np.broadcast_to(TOTALS[None, None, :], whole.shape).ravel()
for ax, ratio, title in (
    (ax_whole, whole, "whole run: area / (peak x total / 2)"),
    (ax_early, early, "first 200 steps: area / (peak x 200)"),
):
    points = ax.scatter(warm_axis, ratio.ravel(), c=total_axis, s=10, cmap="viridis")
    ax.set_xlabel("warmup steps")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
ax_whole.set_ylim(0.9, 1.1)
fig.colorbar(points, ax=[ax_whole, ax_early], label="run length (steps)")
plt.show()

# %% [markdown]
# Read the two panels with the printed ranges. Left: over the whole run, a linear
# warmup followed by a cosine to 0 spends about half of `peak x total`, whatever the
# warmup length, since the ramp and the cosine both average half their peak. Right: over
# the first 200 steps the warmup decides how much is spent: most of a constant rate's
# budget without warmup, much less with a long one. Two schedules with the same peak and
# the same total budget can thus treat the first steps, where training is most fragile,
# very differently; the next section measures what that does to a model.
#
# ## 2. Population training: 256 CNNs in one program
#
# Now each member of a batch *trains a model*. `train_population(batch, data, config)`
# trains one CNN per member of a batched schedule: every member gets its own optimizer
# state built from its own slice of the batch, all members see the same batches in the
# same order, and with the default seed all start from the same initial parameters, so
# they differ by their schedule alone. Each epoch is one compiled call per chunk of
# members (up to 512 members at once by default; two chunks of 128 here, for the timing
# below). On a CPU the members of a chunk run one after the other *inside* that
# program; on a GPU they are one `vmap`.
#
# The grid: 16 warmup lengths (0 to three quarters of the run) x 16 peaks (log-spaced
# from 1e-3 to 1) of `warmup(cosine(peak, 0, total - warm), warm)`, with Adam. To keep
# the notebook at about a minute on a CPU, the CNN is small (convolutions of 8 and 16
# channels, a dense layer of 32) and trains one epoch at batch size 32: 44 updates.

# %%
data = load_data()
config = Config(epochs=1, batch_size=32, optimizer="adam", features=(8, 16), hidden=32)
TOTAL = config.epochs * (len(data.y_train) // config.batch_size)
GRID_WARMS = np.unique(np.round(np.linspace(0, 3 * TOTAL // 4, 16)).astype(np.int32))
GRID_PEAKS = np.geomspace(1e-3, 1.0, 16).astype(np.float32)
population = sa.grid(
    lambda warm, peak: warmup_cosine(warm, peak, TOTAL), warm=GRID_WARMS, peak=GRID_PEAKS
)
print(data.describe())
print(f"{TOTAL} updates per run; warmup lengths {GRID_WARMS.tolist()}")
print(f"batch shape {sa.batch_shape(population)}: {GRID_WARMS.size * GRID_PEAKS.size} models")

# Two chunks of 128 members (one compilation serves both): the second chunk's time,
# which includes no compilation, is used in the timing section below.
stamps = [time.perf_counter()]
result = train_population(
    population,
    data,
    config,
    chunk=128,
    progress=False,
    on_chunk=lambda done, chunks: stamps.append(time.perf_counter()),
)
chunk_seconds = np.diff(stamps)
print(f"trained {result.size} models in {result.seconds:.1f} s (compilation included)")
print("seconds per chunk of 128:", np.round(chunk_seconds, 1).tolist())

# %% [markdown]
# ### Validation accuracy over the grid
#
# Each cell is one model: its validation accuracy after its last update (359 held-out
# digits, so one image is 0.28%). The star marks the best member: the highest final
# accuracy, ties broken by the lower final validation loss.

# %%
summary = result.summary()
acc = summary["final_val_acc"]  # (warmups, peaks)
best = np.lexsort((summary["final_val_loss"].ravel(), -acc.ravel()))[0]
bw, bp = np.unravel_index(best, acc.shape)

fig, ax = plt.subplots(figsize=(9, 5.5))
mesh = ax.pcolormesh(
    np.geomspace(
        GRID_PEAKS[0] / np.sqrt(GRID_PEAKS[1] / GRID_PEAKS[0]),
        GRID_PEAKS[-1] * np.sqrt(GRID_PEAKS[1] / GRID_PEAKS[0]),
        GRID_PEAKS.size + 1,
    ),
    np.arange(GRID_WARMS.size + 1),
    acc,
    cmap="magma",
    vmin=0.0,
    vmax=1.0,
)
fig.colorbar(mesh, ax=ax, label="final validation accuracy")
ax.plot(GRID_PEAKS[bp], bw + 0.5, "*", color="cyan", markersize=16, markeredgecolor="k")
ax.set_xscale("log")
ax.set_yticks(np.arange(GRID_WARMS.size) + 0.5)
ax.set_yticklabels(GRID_WARMS)
ax.set_xlabel("peak learning rate (log scale)")
ax.set_ylabel(f"warmup steps (of the {TOTAL} updates)")
ax.set_title(f"{result.size} CNNs trained at once: accuracy after one epoch (Adam)", fontsize=10)
fig.tight_layout()
plt.show()

print(f"{'warmup':>6}  {'best acc':>8}  {'at peak':>8}  {'largest peak with acc >= 50%':>28}")
for i, w in enumerate(GRID_WARMS):
    above = GRID_PEAKS[acc[i] >= 0.5]
    top = f"{above.max():.3g}" if above.size else "none"
    print(f"{w:6d}  {acc[i].max():8.4f}  {GRID_PEAKS[acc[i].argmax()]:8.3g}  {top:>28}")
no_warmup = GRID_PEAKS[acc[0] >= 0.5].max(initial=0.0)
longest = GRID_PEAKS[acc[-1] >= 0.5].max(initial=0.0)
print(
    f"\nlargest peak that still reached 50%: {no_warmup:.3g} without warmup, {longest:.3g} "
    f"with the longest warmup ({GRID_WARMS[-1]} steps)"
)

# %% [markdown]
# How to read it: along a row (one warmup length) the accuracy first rises with the peak,
# then collapses to chance (about 10%, dark) once the peak is too large for the run to
# recover from. The table gives, per warmup length, the best accuracy, the peak that
# reached it and the largest peak that still reached 50%. If that largest peak moves to
# the right as the warmup grows (compare the two values printed last), a warmup lets the
# model survive a larger learning rate, the reason warmups exist. These are single runs
# of one seed on a tiny budget: one or two images (0.3-0.6%) separate many cells, so the
# exact winner is noise-sized, and the shape of the map is the result.
#
# ### The best schedule
#
# `result.member_schedule(index)` gives back any member as an ordinary schedule (scalar
# leaves), so its `repr` is the expression that rebuilds it. The learning rate the
# optimizer actually used (read from the optimizer state during training, `result.lr`)
# is drawn over the schedule's own values, together with the members on either side of
# it in the grid.

# %%
best_schedule = result.member_schedule(int(best))
print("best:", repr(best_schedule))
print(
    f"final validation accuracy {acc[bw, bp]:.4f}, "
    f"final validation loss {summary['final_val_loss'][bw, bp]:.4f}"
)
t = np.arange(TOTAL)
back = sa.parse(repr(best_schedule))
same = np.array_equal(sa.evaluate(back, t), sa.evaluate(best_schedule, t))
print("its text form reads back to the same values:", bool(same))

fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(14, 4))
ax_lr.plot(t, sa.evaluate(best_schedule, t), linewidth=3, alpha=0.4, label="best: schedule")
ax_lr.plot(t, result.lr[bw, bp], "k--", linewidth=1, label="best: read from the optimizer")
for j in (bp - 1, bp + 1):
    if 0 <= j < GRID_PEAKS.size:
        label = f"peak {GRID_PEAKS[j]:.3g} (acc {acc[bw, j]:.3f})"
        ax_lr.plot(t, result.lr[bw, j], linewidth=1, label=label)
ax_lr.set_title(repr(best_schedule), fontsize=9)
ax_lr.set_ylabel("learning rate")
for j in (bp - 1, bp, bp + 1):
    if 0 <= j < GRID_PEAKS.size:
        style = "-" if j == bp else ":"
        ax_loss.plot(t, result.loss[bw, j], style, label=f"peak {GRID_PEAKS[j]:.3g}")
ax_loss.set_yscale("log")
ax_loss.set_ylabel("training loss per update")
ax_loss.set_title(f"warmup {GRID_WARMS[bw]}: the best and its neighbours", fontsize=10)
for ax in (ax_lr, ax_loss):
    ax.set_xlabel("update")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Is the best cell really better? Fresh seeds, intervals and a paired test
#
# The star was picked as the best of 256 single runs of one seed: the maximum of many
# noisy numbers, so its score flatters it. The honest check retrains the picked
# schedule on **fresh seeds** (1 to 5: new initial parameters; the batches stay those of
# `config.seed`), next to rivals picked the same way: the best cell of the row without
# warmup, of the longest warmup, and the best peak's neighbours. All 5 x 5 models are one
# more population (`seeds` broadcast against the candidates). For each candidate: the
# final validation loss as mean and 95 % Student-t interval over the 5 seeds, and a
# two-sided paired t-test against the star (paired by seed: same initial parameters),
# Holm-adjusted over the comparisons.

# %%
from schedalg.train.stats import holm, paired_t_test, t_interval

candidates = {"star": (bw, bp), "best without warmup": (0, int(acc[0].argmax()))}
candidates["best, longest warmup"] = (GRID_WARMS.size - 1, int(acc[-1].argmax()))
for j in (bp - 1, bp + 1):
    if 0 <= j < GRID_PEAKS.size:
        candidates[f"star's peak x {GRID_PEAKS[j] / GRID_PEAKS[bp]:.2f}"] = (bw, j)
cells = list(candidates.values())
fresh = np.arange(1, 6)
cell_warms = GRID_WARMS[[w for w, _ in cells]][:, None]  # (candidates, 1)
cell_peaks = GRID_PEAKS[[p for _, p in cells]][:, None]
again = train_population(
    warmup_cosine(cell_warms, cell_peaks, TOTAL),
    data,
    config,
    seeds=fresh[None, :],
    progress=False,
)
held = again.summary()["final_val_loss"]  # (candidates, seeds)
tests = [paired_t_test(held[i], held[0]) for i in range(1, len(cells))]
adjusted = holm([t.p for t in tests])
print(f"{again.size} models in {again.seconds:.1f} s; final validation loss on seeds 1-5:")
for i, (name, (w, j)) in enumerate(candidates.items()):
    iv = t_interval(held[i])
    line = (
        f"{name:<24} warmup {GRID_WARMS[w]:2d} peak {GRID_PEAKS[j]:.3g}: seed 0 (search) "
        f"{summary['final_val_loss'][w, j]:.4f}; fresh seeds {iv.mean:.4f} "
        f"[{iv.low:.4f}, {iv.high:.4f}]"
    )
    if i:
        t = tests[i - 1]
        line += f"; vs star {t.mean_diff:+.4f}, p = {t.p:.3f}, Holm {adjusted[i - 1]:.3f}"
    print(line)
worse = [n for n, p in zip(list(candidates)[1:], adjusted) if p < 0.05]
print(
    f"\nThe star's search score {summary['final_val_loss'][bw, bp]:.4f} against "
    f"{held[0].mean():.4f} on fresh seeds. "
    + (
        f"Significantly worse than the star (Holm, 0.05): {', '.join(worse)}."
        if worse
        else "No rival is significantly worse than the star at 0.05 after Holm: on this "
        "evidence the star is one of several equally good cells."
    )
)

fig, ax = plt.subplots(figsize=(9, 3.2))
for i, name in enumerate(candidates):
    iv = t_interval(held[i])
    ax.errorbar(iv.mean, i, xerr=[[iv.mean - iv.low], [iv.high - iv.mean]], fmt="o", capsize=4)
    ax.plot(held[i], [i] * len(fresh), "x", color="0.4")
ax.set_yticks(range(len(candidates)))
ax.set_yticklabels(list(candidates), fontsize=8)
ax.invert_yaxis()
ax.set_xlabel("final validation loss, fresh seeds 1-5")
ax.set_title("95% t intervals (x: seeds)", fontsize=10)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### The population against one model at a time
#
# The alternative is the ordinary trainer, `schedalg.train.train(schedule, data,
# config)`, called once per member: the same model, the same batches and, for a member
# with the default seed, the same updates up to float rounding (the cell prints the final
# validation loss of each timed member both ways, as a check). Training all 256 that way
# would add its whole estimated time (printed below) to this notebook, so the cell
# trains **five** members one at a time and **extrapolates** to 256:
#
# * the first call compiles the model's gradient and update functions and is timed on
#   its own; the next four give the time per member after compilation;
# * the loop's estimate for 256 members is the first call plus 255 times that;
# * the population's total is measured (its compilation included), and its time per
#   member after compilation is the second chunk's time divided by 128.

# %%
members = [int(best), 0, acc.size // 3, acc.size // 2, acc.size - 1]
seconds, check_rows = [], []
for i in members:
    start = time.perf_counter()
    run = train(result.member_schedule(i), data, config, progress=False)
    seconds.append(time.perf_counter() - start)
    check_rows.append((i, run.metrics[-1]["val_loss"], summary["final_val_loss"].ravel()[i]))
loop_member = float(np.mean(seconds[1:]))
loop_total = seconds[0] + (result.size - 1) * loop_member
pop_member = chunk_seconds[-1] / 128

for i, alone, together in check_rows:
    print(f"member {i:3d}: final val loss alone {alone:.5f}, in the population {together:.5f}")
print()
print(f"{'':28}{'one at a time':>16}{'population':>14}")
print(f"{'first call / first chunk':28}{seconds[0]:>14.2f} s{chunk_seconds[0]:>12.2f} s")
print(f"{'per member, compiled':28}{loop_member * 1e3:>13.1f} ms{pop_member * 1e3:>11.1f} ms")
print(f"{'all 256 members':28}{loop_total:>12.1f} s *{result.seconds:>12.1f} s")
print("* extrapolated from 5 members")
print(
    f"\nloop / population: {loop_total / result.seconds:.2f} in total (compilation included), "
    f"{loop_member / pop_member:.2f} per member after compilation "
    "(above 1: the population is faster)"
)
pop_compile = chunk_seconds[0] - chunk_seconds[-1]  # the first chunk also compiled
loop_compile = seconds[0] - loop_member
print(
    f"compilation (first call minus a compiled one): population {pop_compile:.1f} s, "
    f"loop {loop_compile:.1f} s"
)

# %% [markdown]
# ## What this notebook measured
#
# * **Evaluation**: one jitted call for 4,096 schedules against a loop of jitted calls,
#   one per schedule (extrapolated from 1,024). The printed speed-up is the cost of
#   Python, schedule construction and dispatch per schedule, which the batched call pays
#   once; both give the same values (the largest difference is printed).
# * **Training**: the table compares one compiled program for all members with the
#   trainer's loop run member after member (extrapolated from five), in total and per
#   member once compiled, and the last line splits off the compilation. On a CPU the
#   population runs its members one after the other inside its program (a `vmap` of many
#   small convolutions runs slower there; `schedalg/train/population.py` explains why),
#   so both sides do about the same arithmetic per member: the population saves the
#   loop's Python work per update and compiles a larger program once. Which effect wins
#   depends on the model size and the machine (and its load while the cell ran), so read
#   the ratios printed above rather than a rule; `bench/population.py` measures them with
#   repetitions. What the population gives on any machine is one call, one compilation
#   and one result for the whole grid, with every member's learning rate and loss per
#   update; on a GPU the members become one `vmap` and the device trains many models at
#   once.
# * **The grid**: the heatmap and the best schedule are one seed, one epoch, one small
#   CNN, a map of where this setting trains and not a recipe; the fresh-seed check shows
#   how much of the star's lead survives new initial parameters, with intervals and a
#   paired test. Rerun with your model and budget; `schedalg sweep` does the same from
#   the command line.
