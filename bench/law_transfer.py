"""Does a loss-curve law fitted to three CNN runs predict the others? And does the schedule
it optimizes win when trained?

The multi-power law (Luo et al., ICLR 2025) was fitted on language-model pre-training. Here
it meets this project's own small world: the digits CNN (:class:`schedalg.train.Config`
defaults: two convolutions of 16 and 32 channels, Adam, batch 64), ``EPOCHS`` epochs =
``STEPS`` updates, a one-epoch linear warmup, peak ``PEAK``.

1. **Fit** ``laws.fit("multi_power", ...)`` on three runs, as the paper does: constant,
   cosine (to 0.1 x peak) and two-stage (the peak, then 0.3 x peak from half-way), all at
   ``PEAK``. The per-update training loss is a minibatch loss; every run sees the same
   batches (one data order) and starts from the same parameters (seed 0). The logged
   loss is the mean over each epoch (``WINDOW`` updates: every training image once), from
   epoch ``FIRST_EPOCHS`` on (like the paper's logs, which start after the warmup: the
   first epochs fall from 2.3 faster than a power law of the area).
2. **Predict** the training-loss curves of 72 other schedules (18 families x 4 peaks,
   0.5x to 2x ``PEAK``), trained at once by the population engine, same data order and
   initial parameters: the relative error of the final loss (the mean of the last
   ``WINDOW`` updates, predicted and actual alike) and the Spearman rank correlation
   between predicted and actual final losses, overall and within each peak.
3. **Optimize**: ``laws.optimize(law, STEPS, PEAK, WARMUP)`` (free-form), then train it,
   cosine to 0 and WSD (linear decay over the last 20 %, to 0) at ``PEAK`` with
   ``SEEDS`` initial-parameter seeds each; mean +- std of the losses on the whole
   training and validation sets after the last update (what the law optimizes) and of
   the last epoch's mean minibatch loss, and a paired t statistic against the optimized
   schedule.

Loss index ``k`` is the loss of the parameters after ``k`` updates, made with the rates of
updates ``0 .. k-1``; the law's step ``k - 1`` has exactly that area, so the law is asked
at ``k - 1``.

Run: ``python bench/law_transfer.py`` (about 3 minutes on 2 cores; writes
``bench/law_transfer.json`` and ``bench/law_transfer.md``).
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

ROOT = __file__.rsplit("/", 2)[0]
sys.path.insert(0, ROOT)
import schedalg as sa  # noqa: E402
from schedalg import laws  # noqa: E402
from schedalg.train import Config, load_data  # noqa: E402
from schedalg.train.population import train_population  # noqa: E402
from schedalg.train.step import functions  # noqa: E402

EPOCHS = 20
PEAK = 1e-3
WINDOW = 22  # one epoch: every training image once, so the mean is not a sample
FIRST_EPOCHS = 2  # fit from here: the first epochs fall from 2.3 faster than any power law
SEEDS = 5
PEAKS = (0.5, 1.0, 1.5, 2.0)
OUT = os.path.join(ROOT, "bench", "law_transfer")
MEASURES = ("end train loss", "end val loss", "last-epoch train loss")


def families(p: float, steps: int, warmup: int) -> dict[str, sa.Schedule]:
    """The population's schedules at peak ``p`` (after a linear warmup to ``p``)."""
    d = steps - warmup  # steps after the warmup

    def after(body: sa.Schedule) -> sa.Schedule:
        return sa.join(sa.linear(0.0, p, warmup), body, boundaries=[warmup])

    def two_stage(at: float, to: float) -> sa.Schedule:
        return after(sa.piecewise_constant([round(at * d)], [p, to * p]))

    def wsd(fraction: float, shape: str = "linear", end: float = 0.0) -> sa.Schedule:
        decay = round(fraction * d)
        return sa.wsd(p, warmup, d - decay, decay, end=end * p, decay_shape=shape)

    return {
        "cosine to 0": after(sa.cosine(p, 0.0, d)),
        "cosine restarts x2": after(sa.restart(sa.cosine(p, 0.0, d // 2), d // 2)),
        "linear to 0": after(sa.linear(p, 0.0, d)),
        "linear to 0.1": after(sa.linear(p, 0.1 * p, d)),
        "polynomial 2 to 0": after(sa.polynomial(p, 0.0, d, power=2.0)),
        "exponential to 0.01": after(sa.exponential(p, 0.01, d)),
        "inverse sqrt": after(sa.inverse_sqrt(p, warmup)),
        "step x0.1 at 50%, 75%": after(
            sa.piecewise_constant([d // 2, 3 * d // 4], [p, 0.1 * p, 0.01 * p])
        ),
        "step x0.5 every 25%": after(
            sa.piecewise_constant([d // 4, d // 2, 3 * d // 4], [p, p / 2, p / 4, p / 8])
        ),
        "two-stage 0.1 at 25%": two_stage(0.25, 0.1),
        "two-stage 0.1 at 75%": two_stage(0.75, 0.1),
        "two-stage 0.5 at 50%": two_stage(0.5, 0.5),
        "WSD linear 10%": wsd(0.1),
        "WSD linear 20%": wsd(0.2),
        "WSD linear 40%": wsd(0.4),
        "WSD linear 20% to 0.1": wsd(0.2, end=0.1),
        "WSD 1-sqrt 20%": wsd(0.2, "1-sqrt"),
        "WSD cosine 30%": wsd(0.3, "cosine"),
    }


def fitted_runs(steps: int, warmup: int) -> dict[str, sa.Schedule]:
    """The three runs the law is fitted on (the paper's choice of kinds)."""
    d, p = steps - warmup, PEAK

    def after(body: sa.Schedule) -> sa.Schedule:
        return sa.join(sa.linear(0.0, p, warmup), body, boundaries=[warmup])

    return {
        "constant": after(sa.constant(p)),
        "cosine to 0.1": after(sa.cosine(p, 0.1 * p, d)),
        "two-stage 0.3 at 50%": after(sa.piecewise_constant([d // 2], [p, 0.3 * p])),
    }


def tabulate(schedules: list[sa.Schedule], steps: int) -> tuple[sa.Schedule, np.ndarray]:
    """One batch of one structure (each schedule's values as knots) and the value table."""
    t = np.arange(steps)
    values = np.stack([np.asarray(s(t), np.float64) for s in schedules])
    batch = sa.stack([sa.piecewise_linear(t, v) for v in values])
    return batch, values


def windows(loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss over consecutive windows of ``WINDOW`` updates (skipping update 0) and
    the law's step for each window's centre (loss index - 1)."""
    n = (loss.shape[-1] - 1) // WINDOW
    start = loss.shape[-1] - n * WINDOW
    means = loss[..., start:].reshape(loss.shape[:-1] + (n, WINDOW)).mean(-1)
    centres = start + WINDOW * np.arange(n) + WINDOW // 2
    return means, centres - 1


def final_window(law, lrs: np.ndarray, steps: int) -> np.ndarray:
    """The law's mean over the last window's steps, one per row of ``lrs``."""
    at = np.arange(steps - WINDOW, steps) - 1
    return np.array([np.mean(np.asarray(law.predict(row, at))) for row in lrs])


def end_train_loss(params: np.ndarray, data, config: Config) -> np.ndarray:
    """Each member's loss on the whole training set after its last update."""
    fns = functions(config.model(int(data.y_train.max()) + 1), data.image_shape)
    return np.array([float(fns.predict(p, data.x_train, data.y_train)[0].mean()) for p in params])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the ranks (no ties here: continuous losses)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def paired_t(a: np.ndarray, b: np.ndarray) -> float:
    """Paired t statistic of ``a - b`` across seeds (df = seeds - 1)."""
    d = a - b
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(d.size)))


def main() -> dict:
    start = time.perf_counter()
    data = load_data()
    config = Config(epochs=EPOCHS)
    steps = EPOCHS * (len(data.y_train) // config.batch_size)
    warmup = steps // EPOCHS

    # 1. Fit on three runs.
    named = fitted_runs(steps, warmup)
    batch, lrs = tabulate(list(named.values()), steps)
    trained = train_population(batch, data, config, progress=True)
    means, at = windows(trained.loss)
    keep = at >= FIRST_EPOCHS * warmup
    runs = {name: (lrs[i], at[keep], means[i, keep]) for i, name in enumerate(named)}
    law, table = laws.fit("multi_power", runs, starts=4)
    print(law)
    print(table)

    # 2. Predict 72 others.
    members = [(name, f, s) for f in PEAKS for name, s in families(f * PEAK, steps, warmup).items()]
    batch, lrs = tabulate([s for _, _, s in members], steps)
    trained = train_population(batch, data, config, progress=True)
    actual = trained.loss[:, -WINDOW:].mean(-1)
    predicted = final_window(law, lrs, steps)
    rel = np.abs(predicted - actual) / actual
    by_peak = {
        f: spearman(*(x[[m[1] == f for m in members]] for x in (predicted, actual))) for f in PEAKS
    }
    at_peak = np.array([m[1] == 1.0 for m in members])
    transfer = {
        "members": len(members),
        "mean_rel": float(rel.mean()),
        "median_rel": float(np.median(rel)),
        "worst_rel": float(rel.max()),
        "mean_rel_at_fitted_peak": float(rel[at_peak].mean()),
        "spearman": spearman(predicted, actual),
        "spearman_by_peak": by_peak,
        "rows": [
            {"family": n, "peak": f * PEAK, "predicted": float(p), "actual": float(a)}
            for (n, f, _), p, a in zip(members, predicted, actual)
        ],
    }
    print({k: v for k, v in transfer.items() if k != "rows"})

    # 3. Optimize through the law; train it against cosine and WSD over seeds.
    best = laws.optimize(law, steps, PEAK, warmup)
    rivals = families(PEAK, steps, warmup)
    contest = {
        "law-optimized": best.schedule,
        "cosine to 0": rivals["cosine to 0"],
        "WSD linear 20%": rivals["WSD linear 20%"],
    }
    schedules = [s for s in contest.values() for _ in range(SEEDS)]
    batch, lrs = tabulate(schedules, steps)
    seeds = np.tile(np.arange(SEEDS), len(contest))
    trained = train_population(batch, data, config, seeds=seeds, progress=True, keep_params=True)
    measures = {  # each (schedules, seeds)
        "end train loss": end_train_loss(trained.params, data, config),
        "last-epoch train loss": trained.loss[:, -WINDOW:].mean(-1),
        "end val loss": trained.metrics["val_loss"][:, -1],
    }
    measures = {k: np.asarray(v).reshape(len(contest), SEEDS) for k, v in measures.items()}
    end = np.asarray(law.predict(lrs[::SEEDS], [steps - 1]))[:, 0]
    trial = {}
    for i, name in enumerate(contest):
        trial[name] = {"predicted end": float(end[i])}
        for key, m in measures.items():
            trial[name][key] = [float(m[i].mean()), float(m[i].std(ddof=1))]
            trial[name][key + " t"] = paired_t(m[i], m[0]) if i else None
        trial[name]["lrs"] = [float(x) for x in lrs[i * SEEDS]]
    final_train = measures["last-epoch train loss"]
    result = {
        "setting": {
            "epochs": EPOCHS,
            "steps": steps,
            "warmup": warmup,
            "peak": PEAK,
            "window": WINDOW,
            "seeds": SEEDS,
        },
        "law": repr(law),
        "fit": [dict(row) for row in table],
        "seed_std_rel": float(np.mean(final_train.std(-1, ddof=1) / final_train.mean(-1))),
        "transfer": transfer,
        "optimized": repr(best.schedule),
        "trial": trial,
        "seconds": time.perf_counter() - start,
    }
    with open(OUT + ".json", "w") as f:
        json.dump(result, f, indent=1)
    with open(OUT + ".md", "w") as f:
        f.write(report(result))
    print(report(result))
    return result


def report(result: dict) -> str:
    """The markdown report of one run of this script."""
    s, t = result["setting"], result["transfer"]
    lines = [
        "# A loss-curve law on the digits CNN (`python bench/law_transfer.py`)",
        "",
        f"{s['steps']} updates ({s['epochs']} epochs), warmup {s['warmup']}, Adam, peak "
        f"{s['peak']:g}; losses are means over epochs. Fitted law: `{result['law']}`.",
        "",
        "| fitted run | R² | mean rel. error | worst rel. error |",
        "|---|---:|---:|---:|",
    ]
    for row in result["fit"]:
        lines.append(
            f"| {row['run']} | {row['r2']:.3f} | {row['mean_rel']:.1%} | {row['worst_rel']:.1%} |"
        )
    by_peak = ", ".join(f"{float(k):g}x: {v:.2f}" for k, v in t["spearman_by_peak"].items())
    lines += [
        "",
        f"**Transfer** to {t['members']} other schedules (18 families x peaks 0.5-2x), final "
        f"training loss: mean relative error {t['mean_rel']:.1%} (median {t['median_rel']:.1%}, "
        f"worst {t['worst_rel']:.0%}); at the fitted peak {t['mean_rel_at_fitted_peak']:.1%}. "
        f"Spearman rank correlation {t['spearman']:.3f}; within each peak {by_peak}. "
        f"Seed-to-seed spread of a final loss (std / mean over {s['seeds']} seeds): "
        f"{result['seed_std_rel']:.1%}.",
        "",
        f"**Trial** at peak {s['peak']:g}, {s['seeds']} seeds each (initial parameters; one "
        "data order), mean ± std; t: paired t statistic against the law-optimized schedule "
        "(df = seeds - 1, |t| > 2.78 is significant at 5 %; negative: lower loss than it). "
        "The law optimizes the loss after the last update (end), which the last epoch's "
        "mean of minibatch losses barely sees.",
        "",
        "| schedule | law's end loss | " + " | ".join(f"{k} | t" for k in MEASURES) + " |",
        "|---|---:|" + "---:|---:|" * len(MEASURES),
    ]
    for name, row in result["trial"].items():
        cells = [f"{row['predicted end']:.4f}"]
        for k in MEASURES:
            t = row[k + " t"]
            cells += [f"{row[k][0]:.4f} ± {row[k][1]:.4f}", "" if t is None else f"{t:.1f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Law-optimized schedule: `{result['optimized']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
