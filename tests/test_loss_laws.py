"""Loss-curve laws (schedalg.laws) against the multi-power-law paper's real curves
(tests/data/loss-curves, MIT), a direct double sum, and their own batched forms."""

import dataclasses
import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa
from schedalg import laws

DATA = Path(__file__).parent / "data" / "loss-curves"
TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
HELD_OUT = ("constant_72000", "wsd_20000_24000", "wsdcon_3")
# Luo et al.'s fitted [L0, A, alpha, B, C, beta, gamma] (repository README).
PUBLISHED = {
    "25M": (3.0405, 0.5247, 0.5079, 363.79, 2.0656, 0.5828, 0.6414),
    "100M": (2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552),
    "400M": (2.3747, 0.6542, 0.4288, 523.42, 2.0246, 0.5935, 0.6347),
}
# Their mean relative error on the three held-out runs, with this package's predict.
PUBLISHED_HELD_OUT = {"25M": 0.000915, "100M": 0.001547, "400M": 0.001959}
WARMUP = sa.linear(0.0, 3e-4, 2159)  # numpy.linspace(0, 3e-4, 2160): the peak at step 2159


def schedule_of(run: str) -> sa.Schedule:
    """The schedule of a run of the data set, as its README describes it."""
    kind, _, rest = run.partition("_")
    if kind == "constant":
        return sa.join(WARMUP, sa.constant(3e-4), boundaries=[2160])
    if kind == "cosine":
        return sa.join(WARMUP, sa.cosine(3e-4, 3e-5, int(rest) - 2160), boundaries=[2160])
    if kind == "wsdcon":
        tail = sa.constant(int(rest) * 1e-5)
        return sa.join(WARMUP, sa.constant(3e-4), tail, boundaries=[2160, 8000])
    assert run == "wsd_20000_24000"
    decay = sa.exponential(3e-4, 0.1, 4000)  # 3e-4 ** ((24000 - t) / 4000) * 3e-5 ** (...)
    return sa.join(WARMUP, sa.constant(3e-4), decay, boundaries=[2160, 20000])


def load(size: str, run: str) -> tuple:
    schedule, steps, losses = laws.read_csv(DATA / size / f"{run}.csv", schedule_of(run))
    keep = steps < 24000 if steps[-1] == 24000 else slice(None)  # the paper's rule
    return schedule, steps[keep], losses[keep]


def published(size: str) -> laws.MultiPowerLaw:
    return laws.MultiPowerLaw(*PUBLISHED[size])


def direct(p, lrs: np.ndarray, t: int) -> float:
    """The multi-power law at step t by its double sum, in float64 NumPy, term by term."""
    L0, A, alpha, B, C, beta, gamma = p
    drop = 0.0
    for k in range(1, t + 1):
        area = lrs[k : t + 1].sum()
        drop += (lrs[k - 1] - lrs[k]) * (1.0 - (1.0 + C * lrs[k] ** -gamma * area) ** -beta)
    return L0 + A * lrs[: t + 1].sum() ** -alpha - B * drop


# ----------------------------------------------------------------------------
# The real data.


def test_schedules_reproduce_the_lr_column():
    # read_csv checks the lr column against the schedule (relative 1e-4); tighter here.
    for run in TRAIN + HELD_OUT:
        table = np.loadtxt(DATA / "100M" / f"{run}.csv", delimiter=",", skiprows=1)
        values = np.asarray(schedule_of(run)(table[:, 0].astype(np.int32)))
        np.testing.assert_allclose(values, table[:, 1], rtol=5e-7)


def test_fit_real_100m_runs_and_predict_held_out_runs_beside_the_papers_fits():
    law, table = laws.fit("multi_power", {run: load("100M", run) for run in TRAIN})
    assert [row["run"] for row in table] == list(TRAIN)
    assert min(row["r2"] for row in table) > 0.9999
    assert table.objective < 0.1 * 2.81e-4  # the published coefficients: 2.81e-4
    # The published laws of the three sizes and ours, as one batch of four laws.
    coefficients = np.array(list(PUBLISHED.values()) + [dataclasses.astuple(law)])
    batch = laws.MultiPowerLaw(*coefficients.T)
    assert batch.batch_shape() == (4,)
    errors = []
    for run in HELD_OUT:
        logs = [load(size, run) for size in (*PUBLISHED, "100M")]  # sizes log other steps
        steps = np.unique(np.concatenate([log[1] for log in logs]))
        pred = np.asarray(batch.predict(logs[0][0], steps))
        assert pred.shape == (4, steps.size)
        at = [np.searchsorted(steps, t) for _, t, _ in logs]
        errors.append([np.mean(np.abs(pred[i, at[i]] - y) / y) for i, (_, _, y) in enumerate(logs)])
    mean = np.mean(errors, axis=0)
    # predict reproduces the paper's figures with its coefficients ...
    np.testing.assert_allclose(mean[:3], list(PUBLISHED_HELD_OUT.values()), atol=2e-6)
    # ... and our fit matches or beats its 100M fit (0.148 % vs 0.155 %).
    assert mean[3] <= 0.002 and mean[3] <= PUBLISHED_HELD_OUT["100M"]
    assert 0.0013 < mean[3] < 0.0016


def test_annealing_law_fit_on_real_100m_runs():
    law, table = laws.fit("annealing", {run: load("100M", run) for run in TRAIN})
    assert isinstance(law, laws.AnnealingLaw)
    assert 0.99 < law.lam < 1.0 and law.alpha > 0 and law.C > 0
    assert table.mean("mean_rel") < 0.001
    held = laws.diagnose(law, {"wsd_20000_24000": load("100M", "wsd_20000_24000")})
    assert held[0]["mean_rel"] < 0.002


# ----------------------------------------------------------------------------
# predict: the double sum, batches, jit, vmap, grad.

SMALL = sa.join(sa.linear(0.0, 1e-3, 20), sa.cosine(1e-3, 1e-4, 200), sa.constant(5e-5))
P = (2.0, 0.5, 0.5, 300.0, 2.0, 0.6, 0.6)


def test_predict_matches_the_double_sum():
    steps = [1, 5, 20, 21, 100, 219, 220, 221, 299]
    lrs = np.asarray(SMALL(np.arange(300)), np.float64)
    expected = [direct(P, lrs, t) for t in steps]
    got = laws.MultiPowerLaw(*P).predict(SMALL, steps)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=2e-6)
    with jax.enable_x64(True):
        got = laws.MultiPowerLaw(*P).predict(lrs, steps)
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12)
        # The final loss alone (one step) is the same scan with one query.
        assert float(laws.MultiPowerLaw(*P).predict(lrs, [299])[0]) == pytest.approx(
            expected[-1], rel=1e-12
        )


def test_predict_is_finite_for_a_steep_gamma():
    # A fit to the digits CNN reached gamma = 3.8: eta**-gamma at the floored zero rates
    # overflowed float32 and met the zero area of masked steps as NaN.
    p = (0.0201, 0.01106, 1.215, 12.04, 3.76e-20, 7.07e8, 3.837)
    s = sa.join(sa.linear(0.0, 1e-3, 22), sa.linear(1e-3, 0.0, 418), boundaries=[22])
    lrs = np.asarray(s(np.arange(440)), np.float64)
    steps = [30, 100, 300, 438, 439]
    expected = [direct(p, lrs[: t + 1], t) for t in steps]  # float64: no overflow at 439
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(
        np.asarray(laws.MultiPowerLaw(*p).predict(s, steps)), expected, rtol=1e-5
    )
    np.testing.assert_allclose(
        np.asarray(laws.MultiPowerLaw(*p).predict(s, [439])), expected[-1:], rtol=1e-5
    )
    # A drop to 1e-19 at the last step: C * area (4e-39) is below float32's normal range,
    # where a product of the factors flushed to 0 (G = 0 instead of 1).
    cliff = sa.join(
        sa.linear(0.0, 1e-3, 22),
        sa.piecewise_linear([0, 416, 417], [1e-3, 1e-3, 1.1e-19]),
        boundaries=[22],
    )
    lrs = np.asarray(cliff(np.arange(440)), np.float64)
    expected = direct(p, lrs, 439)
    law = laws.MultiPowerLaw(*p)
    assert float(law.predict(cliff, [439])[0]) == pytest.approx(expected, rel=1e-5)
    assert float(law.predict(cliff, [300, 439])[1]) == pytest.approx(expected, rel=1e-5)
    assert law._final_host(lrs) == pytest.approx(expected, rel=1e-10)


def test_predict_batches_jits_vmaps_and_differentiates():
    law = laws.MultiPowerLaw(*P)
    steps = np.array([[50, 150], [250, 299]])  # any shape: appended to the batch shape
    grid = sa.grid(
        lambda peak, end: sa.join(sa.linear(0.0, peak, 20), sa.cosine(peak, end, 200)),
        peak=[5e-4, 1e-3, 2e-3],
        end=[0.0, 1e-4],
    )
    batched = np.asarray(law.predict(grid, steps))
    assert batched.shape == (3, 2, 2, 2)
    ones = []
    for i, j in [(0, 1), (2, 0)]:
        peak, end = [5e-4, 1e-3, 2e-3][i], [0.0, 1e-4][j]
        ones.append(sa.join(sa.linear(0.0, peak, 20), sa.cosine(peak, end, 200)))
        np.testing.assert_allclose(batched[i, j], law.predict(ones[-1], steps), rtol=1e-6)
    # vmap over a stack (every leaf batched), and jit, give the same numbers.
    vmapped = jax.vmap(lambda s: law.predict(s, steps))(sa.stack(ones))
    np.testing.assert_allclose(vmapped, batched[[0, 2], [1, 0]], rtol=1e-6)
    jitted = jax.jit(lambda law, s: law.predict(s, steps))(law, ones[1])
    np.testing.assert_allclose(jitted, batched[2, 0], rtol=1e-6)
    # (a batch of laws: see test_fit_real_100m_runs_and_predict_held_out_runs_...)

    with jax.enable_x64(True):  # gradients against central differences
        law64 = laws.MultiPowerLaw(*np.array(P, np.float64))

        def loss(law, peak):
            s = sa.join(sa.linear(0.0, peak, 20), sa.cosine(peak, 1e-4, 200))
            return law.predict(s, [299])[0]

        value_and_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
        _, (g_law, g_peak) = value_and_grad(law64, 1e-3)
        at = lambda law, peak: float(value_and_grad(law, peak)[0])  # noqa: E731
        h = 1e-6
        fd = (at(law64, 1e-3 + h) - at(law64, 1e-3 - h)) / (2 * h)
        assert float(g_peak) == pytest.approx(fd, rel=1e-6)
        for name in ("alpha", "beta", "gamma", "C"):
            up = jax.tree.map(lambda x: x, law64)
            object.__setattr__(up, name, getattr(law64, name) + h)
            down = jax.tree.map(lambda x: x, law64)
            object.__setattr__(down, name, getattr(law64, name) - h)
            fd = (at(up, 1e-3) - at(down, 1e-3)) / (2 * h)
            assert float(getattr(g_law, name)) == pytest.approx(fd, rel=1e-5)


def test_annealing_law_matches_its_recurrence():
    law = laws.AnnealingLaw(L0=2.0, A=0.5, alpha=0.5, C=0.3, lam=0.99)
    lrs = np.asarray(SMALL(np.arange(300)), np.float64)
    m, s2, expected = 0.0, 0.0, []
    for t in range(1, 300):
        m = 0.99 * m + (lrs[t - 1] - lrs[t])
        s2 += m
        expected.append(2.0 + 0.5 * lrs[: t + 1].sum() ** -0.5 - 0.3 * s2)
    got = np.asarray(law.predict(SMALL, np.arange(1, 300)))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


# ----------------------------------------------------------------------------
# rank, optimize, the convex bound.


def test_rank_equals_predicting_one_at_a_time():
    law = published("100M")
    fractions, ends = [0.1, 0.2, 0.4], [0.0, 3e-5]

    def make(f, end):
        return sa.wsd(3e-4, 200, 3799 - f, f, end=end, decay_shape="1-sqrt")

    grid = sa.grid(make, f=(np.array(fractions) * 3799).astype(int), end=ends)
    ranking = laws.rank(law, grid, 4000)
    one_by_one = [
        float(law.predict(make(int(f * 3799), e), [3999])[0]) for f in fractions for e in ends
    ]
    np.testing.assert_allclose(ranking.losses.reshape(-1), one_by_one, rtol=1e-6)
    assert ranking.order.tolist() == np.argsort(one_by_one, kind="stable").tolist()
    assert ranking.best == np.unravel_index(ranking.order[0], (3, 2))
    # Blocks of two schedules (padded to one shape) give the same answer.
    small = laws.rank(law, grid, 4000, max_bytes=2 * 16 * 256 * 4)
    np.testing.assert_allclose(small.losses, ranking.losses, rtol=1e-6)


def test_optimize_beats_cosine_and_wsd():
    law, steps, peak, warmup = published("100M"), 4000, 3e-4, 200
    best = laws.optimize(law, steps, peak, warmup)
    s = best.schedule
    assert repr(s).startswith("join(linear(start=0.0, end=0.0003, steps=200), piecewise_linear(")
    assert s.pieces[1].boundaries.shape[-1] <= 64
    lrs = np.asarray(s(np.arange(steps)), np.float64)
    assert np.all(np.diff(lrs[warmup:]) <= 0) and lrs[warmup] == pytest.approx(peak)
    assert abs(best.loss - best.reference) <= 1e-4
    assert np.all(np.diff(best.lrs[warmup:]) <= 0)

    cosine = sa.join(sa.linear(0.0, peak, warmup), sa.cosine(peak, 0.0, steps - 1 - warmup))
    wsd = sa.wsd(peak, warmup, 3000, steps - 1 - warmup - 3000)  # the last fifth, to 0
    # The best WSD of a grid (optimize(family="wsd"), whose docstring example runs it).
    tuned = sa.wsd(peak, warmup, 3419, 380, end=9e-6, decay_shape="1-sqrt")
    rates = [lrs] + [np.asarray(x(np.arange(steps))) for x in (tuned, wsd, cosine)]
    rates = np.stack(rates)
    ours, tuned, wsd, cosine = np.asarray(law.predict(rates, [steps - 1]))[:, 0]
    assert ours == pytest.approx(best.loss, abs=1e-5)
    assert ours < tuned < wsd < cosine


def test_optimize_keeps_the_floor():
    # The CNN fit (gamma = 3.8) puts its free optimum on a cliff to ~0 at the last step;
    # a floor keeps every rate after the warmup at or above it, in both families.
    law = laws.MultiPowerLaw(0.0201, 0.01106, 1.215, 12.04, 3.76e-20, 7.07e8, 3.837)
    free = laws.optimize(law, 440, 1e-3, 22, starts=2)
    assert free.lrs[-1] < 1e-6
    floored = laws.optimize(law, 440, 1e-3, 22, starts=2, floor=1e-4)
    lrs = np.asarray(floored.schedule(np.arange(440)), np.float64)
    assert lrs[22:].min() >= 1e-4 * (1 - 1e-6) and floored.lrs[22:].min() >= 1e-4 * (1 - 1e-9)
    assert np.all(np.diff(lrs[22:]) <= 1e-12)
    assert floored.loss >= free.loss - 1e-6 and abs(floored.loss - floored.reference) <= 1e-4
    wsd = laws.optimize(law, 440, 1e-3, 22, family="wsd", floor=1e-4)
    assert float(wsd.schedule.end) >= 1e-4
    with pytest.raises(
        ValueError, match=r"optimize: floor must be in \[0, peak=0.001\), got floor=0.002"
    ):
        laws.optimize(law, 440, 1e-3, 22, floor=2e-3)


def bound_direct(lrs, D, G):
    T, total = len(lrs), lrs.sum()
    value = D**2 / (2 * total) + G**2 * np.sum(lrs**2) / (2 * total)
    for k in range(T - 1):  # k = 1 .. T-1 in the theorem
        value += G**2 / 2 * lrs[k] / lrs[k + 1 :].sum() * np.sum(lrs[k:] ** 2) / lrs[k:].sum()
    return value


def test_convex_bound_matches_the_theorem_term_by_term():
    schedules = sa.wsd(1.0, 3, 20, [7, 1], end=1e-3, decay_shape="cosine")
    got = np.asarray(laws.convex_bound(schedules, 30, D=2.0, G=0.5))
    for i in range(2):
        lrs = np.asarray(sa.evaluate(schedules, np.arange(30)), np.float64)[i]
        assert got[i] == pytest.approx(bound_direct(lrs, 2.0, 0.5), rel=1e-5)
    factor, bound = laws.optimal_base_lr(schedules, 30, D=2.0, G=0.5)
    lrs = np.asarray(sa.evaluate(schedules, np.arange(30)), np.float64)[0]
    scales = np.exp(np.linspace(-4, 4, 401))
    values = [bound_direct(lrs * c, 2.0, 0.5) for c in scales]
    scales = scales[int(np.argmin(values))] * np.exp(np.linspace(-0.02, 0.02, 401))
    values = [bound_direct(lrs * c, 2.0, 0.5) for c in scales]
    assert float(factor[0]) == pytest.approx(scales[int(np.argmin(values))], rel=2e-4)
    assert float(bound[0]) == pytest.approx(min(values), rel=1e-6)
    assert float(laws.convex_bound(sa.linear(1.0, 0.0, 29), 30)) == math.inf  # ends at 0


# ----------------------------------------------------------------------------
# Reading logs, and errors.


def test_read_csv_and_read_run(tmp_path):
    s = sa.wsd(1e-3, 10, 150, 50)
    rows = "".join(f"{t},{float(s(t))!r},{3.0 - t / 1000}\n" for t in range(0, 200, 20))
    (tmp_path / "steps.csv").write_text("step,lr,loss\n" + rows)
    (tmp_path / "config.json").write_text(json.dumps({"schedule": repr(s)}))
    schedule, steps, losses = laws.read_run(tmp_path)
    assert repr(schedule) == repr(s) and steps.tolist() == list(range(0, 200, 20))
    assert losses[-1] == pytest.approx(2.82)
    law, table = laws.fit("annealing", [(schedule, steps[1:], losses[1:])], max_iter=5)
    assert table[0]["points"] == 9


@pytest.mark.parametrize(
    "text, schedule, message",
    [
        ("", "constant(0.1)", "the file is empty"),
        ("step,loss\n", "constant(0.1)", "no data rows"),
        ("step,value\n1,2\n", "constant(0.1)", "no 'loss' column (columns: step, value)"),
        ("step,loss\n1,2\n2\n", "constant(0.1)", "malformed CSV: line 3 has 1 fields"),
        ("step,loss\n1,abc\n", "constant(0.1)", "loss must be a number, got 'abc' (line 2)"),
        ("step,loss\n1,2\n2,nan\n", "constant(0.1)", "loss must be finite, got loss=nan"),
        ("step,loss\n2,2\n1,1\n", "constant(0.1)", "strictly increasing, got step 1 after step 2"),
        ("step,loss\n1.5,2\n", "constant(0.1)", "step must be a whole number >= 0"),
        ("step,loss\n1,2\n500,1\n", "cosine(0.1, 0.0, 100)", "covers steps up to 100"),
        ("step,lr,loss\n1,0.2,2\n", "constant(0.1)", "lr column differs from the schedule"),
        ("step,loss\n1,2\n", "nonsense(1)", "does not parse"),
        ("step,loss\n1,2\n", None, "no schedule given and no readable config.json"),
    ],
)
def test_read_csv_errors(tmp_path, text, schedule, message):
    path = tmp_path / "run.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match="^read_csv: ") as err:
        laws.read_csv(path, schedule)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_errors_name_the_parameter():
    s = sa.constant(1e-3)
    cases = [
        (lambda: laws.fit("power", [(s, [1], [1.0])]), "fit: kind must be one of"),
        (lambda: laws.fit("annealing", []), "fit: runs must hold at least one run"),
        (
            lambda: laws.fit("annealing", [(s, [3, 2], [1.0, 1.0])]),
            "fit: run 1: steps must be strictly increasing, got step 2 after step 3",
        ),
        (lambda: laws.fit("annealing", [(s, [1, 2], [1.0, -1.0])]), "losses must be finite"),
        (lambda: laws.fit("annealing", [(s * -1.0, [1], [1.0])]), "learning rates must be finite"),
        (lambda: laws.MultiPowerLaw(*P[:4], -1.0, *P[5:]), "MultiPowerLaw: C must be >= 0"),
        (lambda: laws.AnnealingLaw(1, 1, 1, 1, lam=1.0), "AnnealingLaw: lam must be in [0, 1)"),
        (lambda: laws.MultiPowerLaw(*P).predict(s, [-1]), "predict: steps must be >= 0"),
        (lambda: laws.rank(published("100M"), s, 0), "rank: steps_total must be >= 1"),
        (lambda: laws.optimize(published("100M"), 10, 1e-3, 9), "optimize: warmup must leave"),
        (lambda: laws.convex_bound(s, 0), "convex_bound: steps must be a whole number >= 1"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as err:
            call()
        assert message in str(err.value), str(err.value)
