# %% [markdown]
# # Comparing schedule families fairly: own best peak, seeds, intervals, a test
#
# `schedalg.train.compare.compare` is what `make demo` and `schedalg compare` run. It
# trains the small CNN of `schedalg.train` under every schedule family (constant, step,
# multistep, exponential, cosine, cosine with restarts, cyclic, 1cycle, warmup + cosine,
# WSD, polynomial, inverse square root, a join of a warmup and a product, and
# ReduceLROnPlateau) the way the papers practitioners trust compare schedules:
#
# * **each family at its own best peak**, from a log grid of peak learning rates centred
#   on the LR range test's suggestion;
# * **several seeds**, a seed fixing the initial parameters and the order of the
#   batches, the same for every family (the comparison is *paired* by seed);
# * **the peak is chosen without inflating the score**: each seed is scored at the peak
#   that is best on the *other* seeds (leave one seed out);
# * **statistics**: mean ± sd and a 95 % Student-t interval per family, and a two-sided
#   paired t-test of each family against the winner, Holm-adjusted;
# * **all trained at once**: every family at every peak is one member of one population
#   (`train_population`), one compiled program.
#
# The demo runs all 14 families x 5 peaks x 3 seeds. To keep this notebook under a
# minute on a CPU it runs 5 families x 3 peaks x 3 seeds on the demo's task with fewer
# epochs; the numbers are about this small setting only.

# %%
%matplotlib inline
import dataclasses
import os
import tempfile
import time

import numpy as np
from IPython.display import Image, Markdown, display

from schedalg.demo import demo_task
from schedalg.train.compare import compare, families
from schedalg.train.compare_report import plot, report_markdown
from schedalg.train.stats import paired_t_test, t_interval, t_ppf

data, demo_config = demo_task()
config = dataclasses.replace(demo_config, epochs=max(2, demo_config.epochs // 2))
total = config.epochs * (len(data.y_train) // config.batch_size)
FAMILIES = ["constant", "step", "cosine", "1cycle", "WSD"]
print(data.describe())
print(f"{config.epochs} epochs of batch {config.batch_size} = {total} updates, {config.optimizer}")
for family in families(total, 1e-2, config.epochs):
    if family.name in FAMILIES:
        print(f"{family.name:<10} at peak 0.01: {family.schedule!r}")

# %% [markdown]
# ## Run the comparison
#
# With no `peaks=` and no `peak=`, `compare` first runs the LR range test
# (`schedalg.train.lrfind.find_lr`) and centres the grid on its "valley" suggestion;
# `points=3` asks for three peaks half a decade apart. The log line says what it chose.

# %%
start = time.perf_counter()
cmp = compare(data, config, points=3, seeds=3, only=FAMILIES, progress=False)
print(f"{cmp.members} models in {time.perf_counter() - start:.0f} s (range test included)")
print("metrics per epoch, (families, peaks, seeds, epochs):", cmp.metrics["val_loss"].shape)

# %% [markdown]
# ## The report
#
# `report_markdown` is what `report.md` holds: the ranked table, the verdict in plain
# words, the peak-sensitivity table, how well the task separates the families, and each
# family's expression at its best peak.

# %%
display(Markdown(report_markdown(cmp)))

# %% [markdown]
# ## The figure
#
# `compare.png`: the learning rate each family used at its best peak (the plateau rule's
# rate can differ by seed), the validation loss per epoch at the best peak with a band
# from the lowest to the highest seed, the **peak-sensitivity plot** (final validation
# loss against the peak, one line per family, the band over seeds: a flat line is a
# family that forgives a badly chosen peak) and the 95 % intervals, ranked.

# %%
display(Image(plot(cmp, os.path.join(tempfile.mkdtemp(), "compare.png"))))

# %% [markdown]
# ## Reading the intervals and the test
#
# Why *paired*? Every family is trained with the same seeds, and a seed that is lucky
# (a good initialization, a good batch order) tends to be lucky for every family. The
# difference seed by seed removes that shared luck. Below, for the winner and the
# runner-up: the interval of the mean difference from the per-seed differences (what
# the paired test uses) against an interval that ignores the pairing (Welch's
# standard error of two independent means, with the same t quantile for a rough
# comparison). When the pairing helps, the first is the narrower.

# %%
best, runner = cmp.stats[0], cmp.stats[1]
a, b = runner.scores["val_loss"], best.scores["val_loss"]
paired = t_interval(a - b)
unpaired_half = t_ppf(0.975, len(a) - 1) * np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / len(a))
test = paired_t_test(a, b)
print(f"winner {best.name!r}, per seed {np.round(b, 4).tolist()}")
print(f"runner-up {runner.name!r}, per seed {np.round(a, 4).tolist()}")
print(
    f"difference {paired.mean:+.4f}: paired 95% interval ± {paired.half_width:.4f}, "
    f"ignoring the pairing ± {unpaired_half:.4f}"
)
print(f"paired t-test: t = {test.t:.2f}, df = {test.df}, p = {test.p:.3f}")
print(f"Holm-adjusted over the {len(cmp.stats) - 1} comparisons: {runner.p_holm:.3f}")
print()
print(cmp.verdict().replace("**", ""))

# %% [markdown]
# ## How much did choosing the peak flatter the score?
#
# Each family's best peak is a choice made by looking at validation losses; reporting
# the loss at the chosen peak on the *same* seeds favours that choice (the minimum of
# noisy numbers is biased low). `compare` reports each seed at the peak chosen on the
# other seeds, and `optimism` is how much lower the naive number would have been. A
# family whose chosen peak changes from seed to seed (`seed_peaks`) sits on a flat or
# noisy stretch of its sensitivity curve.

# %%
for s in cmp.stats:
    print(
        f"{s.rank}. {s.name:<10} best peak {s.peak:<8g} per-seed choices "
        f"{[float(f'{p:.3g}') for p in s.seed_peaks]}  optimism {s.optimism:+.4f}"
    )
sep = cmp.separation
print(
    f"\nspread between the families' means (sd) {sep.between:.4f} against the seed sd "
    f"{sep.within:.4f}: ratio {sep.ratio:.2f}"
)

# %% [markdown]
# ## What this does and does not show
#
# * Each family was tuned over one knob, its peak, on a 3-point grid, with the other
#   knobs (warmup length, decay shape, restart period) fixed fractions of the run. A
#   family that loses here may win with its other knobs tuned.
# * Three seeds give intervals 4.3 standard errors wide (the t quantile with 2 degrees of
#   freedom): only large, consistent differences become significant, and "not
#   significant" means "not separated by this experiment". `schedalg compare --full`
#   uses 10 seeds.
# * The ranking is for this model, data and budget. Rerun `compare` on your own
#   `.npz` (`schedalg compare --data your.npz`) before trusting it elsewhere.

