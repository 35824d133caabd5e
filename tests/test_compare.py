"""The schedule comparison: its statistics (against scipy.stats), the leave-one-seed-out
peak choice, the tabulated population, the harder task and one tiny end-to-end run."""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import pytest

import schedalg as sa
from schedalg.train import Config, Dataset, load_data, train
from schedalg.train.compare import (
    analyze,
    compare,
    families,
    peak_grid,
    population,
    separation,
)
from schedalg.train.compare_report import report_markdown
from schedalg.train.data import DataError, harder
from schedalg.train.stats import (
    betainc,
    holm,
    leave_one_out_choice,
    paired_t_test,
    t_cdf,
    t_interval,
    t_ppf,
)

# ----------------------------------------------------------------------------
# Statistics, against scipy.stats (computed independently)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 29, 250])
def test_t_distribution_matches_scipy(df):
    stats = pytest.importorskip("scipy.stats")
    for q in (0.55, 0.8, 0.9, 0.95, 0.975, 0.995, 0.9995):
        assert t_ppf(q, df) == pytest.approx(stats.t.ppf(q, df), rel=1e-10)
        assert t_ppf(1 - q, df) == pytest.approx(stats.t.ppf(1 - q, df), rel=1e-10)
    for t in (-40.0, -3.1, -0.2, 0.0, 0.9, 2.5, 12.0):
        assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-11, abs=1e-15)


def test_t_quantiles_known_values():
    # Student's table: two-sided 95 % critical values for 2, 4 and 9 degrees of freedom
    assert [round(t_ppf(0.975, df), 3) for df in (2, 4, 9)] == [4.303, 2.776, 2.262]
    assert betainc(0.5, 0.5, 0.5) == pytest.approx(0.5, abs=1e-14)  # symmetric arcsine
    assert betainc(1.0, 1.0, 0.3) == pytest.approx(0.3, abs=1e-14)  # uniform
    with pytest.raises(ValueError, match="t_ppf: q must be in \\(0, 1\\), got q=1.0"):
        t_ppf(1.0, 3)
    with pytest.raises(ValueError, match="df must be > 0, got df=0"):
        t_cdf(1.0, 0)


def test_t_interval_and_paired_test_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 10):
        a = rng.normal(0.3, 0.05, n)
        b = a + rng.normal(0.02, 0.03, n)
        iv = t_interval(a, 0.95)
        low, high = stats.t.interval(0.95, n - 1, loc=a.mean(), scale=stats.sem(a))
        assert (iv.low, iv.high) == (pytest.approx(low, rel=1e-10), pytest.approx(high, rel=1e-10))
        assert iv.sd == pytest.approx(a.std(ddof=1)) and iv.n == n
        ref = stats.ttest_rel(b, a)
        got = paired_t_test(b, a)
        assert got.t == pytest.approx(ref.statistic, rel=1e-12)
        assert got.p == pytest.approx(ref.pvalue, rel=1e-9)
        assert got.df == n - 1 and got.mean_diff == pytest.approx((b - a).mean())


def test_paired_test_edge_cases_and_errors():
    same = paired_t_test([0.1, 0.2, 0.3], [0.1, 0.2, 0.3])  # identical runs
    assert (same.t, same.p) == (0.0, 1.0)
    shifted = paired_t_test([1.5, 2.5, 3.5], [1.0, 2.0, 3.0])  # every difference 0.5
    assert shifted.t == math.inf and shifted.p == 0.0
    with pytest.raises(ValueError, match="one value per seed each, got 3 and 2"):
        paired_t_test([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="needs at least 2 values \\(seeds\\), got 1"):
        t_interval([1.0])
    with pytest.raises(ValueError, match="values must be finite"):
        t_interval([1.0, float("nan")])


def test_holm_known_values():
    # Holm (1979) worked by hand: sorted 0.01, 0.03, 0.04 -> 3*0.01, 2*0.03, max(0.06, 0.04)
    assert holm([0.04, 0.01, 0.03]).tolist() == pytest.approx([0.06, 0.03, 0.06])
    assert holm([0.01, 0.9]).tolist() == pytest.approx([0.02, 0.9])  # monotone: max(0.02, 0.9)
    with pytest.raises(ValueError, match="p-values must be in \\[0, 1\\]"):
        holm([0.5, 1.5])


def test_leave_one_out_choice_never_uses_the_scored_seed():
    scores = np.array([[1.0, 5.0, 1.0], [2.0, 2.0, 2.0], [0.5, 9.0, 9.0]])
    assert leave_one_out_choice(scores).tolist() == [1, 0, 1]
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 4))
    choice = leave_one_out_choice(scores)
    for s in range(4):  # changing seed s's own column never changes seed s's choice
        moved = scores.copy()
        moved[:, s] = rng.normal(size=5) * 100
        assert leave_one_out_choice(moved)[s] == choice[s]
    failed = np.array([[np.nan, 1.0, 1.0], [2.0, 2.0, 2.0]])  # option 0 diverged on seed 0
    assert leave_one_out_choice(failed).tolist() == [0, 1, 1]


# ----------------------------------------------------------------------------
# The analysis of a finished population (synthetic numbers)


def _finals(loss: np.ndarray) -> dict[str, np.ndarray]:
    return {"val_loss": loss, "val_acc": 1.0 - loss, "train_loss": loss / 2}


def test_analyze_ranks_scores_held_out_and_tests_against_the_winner():
    stats = pytest.importorskip("scipy.stats")
    # 3 families x 2 peaks x 3 seeds
    loss = np.array(
        [
            [[0.30, 0.32, 0.31], [0.20, 0.22, 0.60]],  # "a": peak 1 best on seeds 0,1 only
            [[0.10, 0.12, 0.11], [0.50, 0.50, 0.50]],  # "b": peak 0 everywhere
            [[0.15, 0.13, 0.18], [0.40, np.nan, 0.40]],  # "c": one diverged member
        ]
    )
    rows = analyze(["a", "b", "c"], [1e-3, 1e-2], _finals(loss))
    assert [r.name for r in rows] == ["b", "c", "a"] and [r.rank for r in rows] == [1, 2, 3]
    a = rows[2]
    # seed 0 chooses on seeds 1, 2: peak 0 (0.315 < 0.41); seed 1 on 0, 2: peak 0 (0.305 < 0.4);
    # seed 2 on seeds 0, 1: peak 1 (0.21 < 0.31)
    assert a.seed_peaks == (1e-3, 1e-3, 1e-2)
    assert a.scores["val_loss"].tolist() == [0.30, 0.32, 0.60]
    assert a.peak == 1e-3  # on all seeds: 0.31 < 0.34
    assert a.optimism == pytest.approx(np.mean([0.30, 0.32, 0.60]) - 0.31)
    assert a.intervals["train_loss"].mean == pytest.approx(np.mean([0.15, 0.16, 0.30]))
    assert rows[1].diverged == 1 and rows[0].diverged == 0
    best = rows[0].scores["val_loss"]
    p = [stats.ttest_rel(r.scores["val_loss"], best).pvalue for r in rows[1:]]
    assert [r.test.p for r in rows[1:]] == pytest.approx(p, rel=1e-9)
    assert [r.p_holm for r in rows[1:]] == pytest.approx(holm(p).tolist())
    assert rows[0].test is None and rows[0].significant is None
    sep = separation(rows)
    means = [r.intervals["val_loss"].mean for r in rows]
    assert sep.between == pytest.approx(np.std(means, ddof=1))
    assert sep.within == pytest.approx(
        np.sqrt(np.mean([r.intervals["val_loss"].sd ** 2 for r in rows]))
    )


def test_analyze_scores_a_diverged_choice_as_chance_and_checks_shapes():
    loss = np.array([[[0.2, 0.3]], [[np.inf, 0.1]]])  # 2 families x 1 peak x 2 seeds
    rows = analyze(["x", "y"], [1e-2], _finals(loss))
    y = next(r for r in rows if r.name == "y")
    assert y.scores["val_loss"].tolist() == pytest.approx([math.log(10), 0.1])
    with pytest.raises(ValueError, match="statistics need at least 2 seeds, got 1"):
        analyze(["x"], [1e-2], _finals(np.ones((1, 1, 1))))
    with pytest.raises(ValueError, match="finals must be \\(families, peaks, seeds\\)"):
        analyze(["x", "y"], [1e-2], _finals(np.ones((1, 1, 3))))


# ----------------------------------------------------------------------------
# The population: every family at every peak as one tabulated batch


def test_peak_grid_is_log_spaced_around_the_centre():
    assert peak_grid(1e-2, 3).tolist() == [0.00316, 0.01, 0.0316]
    assert len(peak_grid(2e-3)) == 5 and peak_grid(2e-3)[2] == 2e-3
    with pytest.raises(ValueError, match="centre peak must be > 0, got center=0.0"):
        peak_grid(0.0)
    with pytest.raises(ValueError, match="points must be an integer >= 1, got points=0"):
        peak_grid(1e-2, 0)


def test_population_tabulates_every_family_at_every_peak():
    names = ["constant", "WSD", "plateau"]
    schedule, rule, values = population(names, [1e-3, 1e-2], 40, 4)
    assert sa.batch_shape(schedule) == (3, 2) and values.shape == (3, 2, 40)
    fams = {f.name: f for f in families(40, 1e-2, 4)}
    t = np.arange(40)
    got = np.asarray(sa.evaluate(schedule, t))
    want = np.asarray(sa.evaluate(fams["WSD"].schedule, t))
    np.testing.assert_array_equal(got[1, 1], want)  # exact at every update
    assert got[0, 0].tolist() == [1e-3 * np.float32(1.0)] * 40
    # the plateau rule moves only the plateau family's scale
    assert np.asarray(rule.min_scale).tolist() == [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    assert float(rule.factor) == float(fams["plateau"].plateau.factor)
    assert population(["cosine"], [1e-3], 40, 4)[1] is None


# ----------------------------------------------------------------------------
# The harder task


def test_harder_keeps_validation_and_corrupts_the_stated_fraction():
    digits = load_data()
    d = harder(digits, train_images=500, label_noise=0.3)
    clean = harder(digits, train_images=500)
    assert len(d.y_train) == 500 and d.x_val is digits.x_val and d.y_val is digits.y_val
    np.testing.assert_array_equal(d.x_train, clean.x_train)
    assert int((d.y_train != clean.y_train).sum()) == 150  # 30 % of 500, all to another class
    assert d.name == "digits (500 train images, 30% label noise)"
    assert harder(digits).y_train.tolist() == digits.y_train.tolist()
    with pytest.raises(DataError, match="train_images must be an integer in \\[2, 1438\\]"):
        harder(digits, train_images=5000)
    with pytest.raises(DataError, match="label_noise must be in \\[0, 1\\), got label_noise=1.0"):
        harder(digits, label_noise=1.0)


# ----------------------------------------------------------------------------
# One tiny comparison, end to end


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    """192 training and 64 validation digits: 6 updates per epoch at batch 32."""
    d = load_data()
    return Dataset(d.x_train[:192], d.y_train[:192], d.x_val[:64], d.y_val[:64], 10, "tiny")


def test_compare_trains_members_as_single_runs_would_and_reports(tiny, tmp_path):
    config = Config(epochs=2, batch_size=32, features=(8,), hidden=16, seed=4)
    lines = []
    out = compare(
        tiny,
        config,
        str(tmp_path / "cmp"),
        peaks=[1e-2, 1e-3],
        seeds=2,
        only=["plateau", "cosine"],
        progress=False,
        log=lines.append,
    )
    assert out.names == ["cosine", "plateau"] and out.peaks.tolist() == [1e-3, 1e-2]
    assert out.seeds.tolist() == [4, 5] and out.metrics["val_loss"].shape == (2, 2, 2, 2)
    assert len(lines) == 3 and lines[0].startswith("2 families x 2 peaks x 2 seeds = 8 models")
    # member (cosine, peak 1e-2, seed 5) is train(cosine, data, seed 5): same init, same batches
    alone = train(sa.cosine(1e-2, 0.0, 12), tiny, dataclasses.replace(config, seed=5))
    assert out.metrics["val_loss"][0, 1, 1, -1] == pytest.approx(
        alone.metrics[-1]["val_loss"], rel=1e-4
    )
    np.testing.assert_allclose(out.lr[0, 1, 1], alone.lr, rtol=1e-6)
    with open(out.report, encoding="utf-8") as f:
        report = f.read()
    assert "| 1 | " in report and "leave one seed out" in report and "paired t-test" in report
    best = out.best
    assert f"| 1 | {best.name} | {best.peak:g} | {best.intervals['val_loss'].mean:.4f} ±" in report
    assert "**Verdict.**" in report and os.path.getsize(out.figure) > 20_000
    assert report_markdown(out) == report
    with pytest.raises(ValueError, match="seeds must be >= 2 .* got seeds=1"):
        compare(tiny, config, None, peaks=[1e-3], seeds=1, progress=False, log=None)
    with pytest.raises(ValueError, match="unknown families \\['cosin'\\]"):
        compare(tiny, config, None, peaks=[1e-3], only=["cosin"], progress=False, log=None)
    with pytest.raises(ValueError, match="peaks must be numbers > 0"):
        compare(tiny, config, None, peaks=[-1.0], progress=False, log=None)
