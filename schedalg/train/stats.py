"""Small statistics for comparing training runs over seeds, in NumPy only.

* :func:`t_interval`: mean, sample standard deviation and the Student-t confidence
  interval of the mean, ``mean ± t_{1-α/2, n-1} · sd / √n``.
* :func:`paired_t_test`: the two-sided paired t-test (Student, 1908) of ``a - b``
  across seeds, ``t = mean(d) / (sd(d) / √n)`` with ``n - 1`` degrees of freedom.
* :func:`holm`: Holm's (1979) step-down adjustment of several p-values.

The t distribution's CDF is the regularized incomplete beta function,
``P(T ≤ t) = 1 - ½ I_{ν/(ν+t²)}(ν/2, ½)`` for ``t ≥ 0`` (Abramowitz & Stegun 26.7.1),
computed by its continued fraction (Numerical Recipes §6.4, modified Lentz); the
quantile inverts it by bisection. ``tests/test_compare.py`` checks every function
against ``scipy.stats``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function ``I_x(a, b)`` for ``a, b > 0``.

    Example:
        >>> round(betainc(2.0, 3.0, 0.4), 10)  # 1 - (0.6**4 + 4 * 0.4 * 0.6**3)
        0.5248
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"betainc: a and b must be > 0, got a={a!r}, b={b!r}")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"betainc: x must be in [0, 1], got x={x!r}")
    if x in (0.0, 1.0):
        return x
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _check_df(df: float) -> None:
    if not df > 0:
        raise ValueError(f"t distribution: df must be > 0, got df={df!r}")


def t_cdf(t: float, df: float) -> float:
    """``P(T ≤ t)`` for Student's t with ``df`` degrees of freedom (A&S 26.7.1).

    Example:
        >>> round(t_cdf(2.0, 1), 6)  # Cauchy: 1/2 + atan(2)/pi
        0.852416
    """
    _check_df(df)
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_ppf(q: float, df: float) -> float:
    """The quantile of Student's t: the ``t`` with ``t_cdf(t, df) == q`` (bisection).

    Example:
        >>> round(t_ppf(0.975, 2), 4)  # the 95 % two-sided critical value for 3 seeds
        4.3027
    """
    _check_df(df)
    if not 0.0 < q < 1.0:
        raise ValueError(f"t_ppf: q must be in (0, 1), got q={q!r}")
    if q < 0.5:
        return -t_ppf(1.0 - q, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < q:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def _sample(values: Sequence[float] | np.ndarray, fn: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size < 2:
        raise ValueError(f"{fn}: needs at least 2 values (seeds), got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{fn}: values must be finite, got {x.tolist()}")
    return x


@dataclasses.dataclass(frozen=True)
class Interval:
    """A sample's mean, its standard deviation (``ddof=1``) and the confidence interval
    ``[low, high]`` of the mean at level ``level``, from ``n`` values."""

    mean: float
    sd: float
    low: float
    high: float
    n: int
    level: float

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Student-t confidence interval of the mean: ``mean ± t_{(1+level)/2, n-1}·sd/√n``.

    Args:
        values: one number per seed (at least two).
        level: the confidence level, in (0, 1).

    Example:
        >>> iv = t_interval([1.0, 2.0, 3.0])
        >>> iv.mean, iv.sd, round(iv.low, 4), round(iv.high, 4)
        (2.0, 1.0, -0.4841, 4.4841)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"t_interval: level must be in (0, 1), got level={level!r}")
    x = _sample(values, "t_interval")
    n = x.size
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = t_ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return Interval(mean, sd, mean - half, mean + half, n, level)


@dataclasses.dataclass(frozen=True)
class PairedTest:
    """A two-sided paired t-test of ``a - b``: mean difference, its t statistic with
    ``df = n - 1`` degrees of freedom and the p-value."""

    mean_diff: float
    t: float
    df: int
    p: float


def paired_t_test(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> PairedTest:
    """The two-sided paired t-test of ``a`` against ``b`` (``scipy.stats.ttest_rel``).

    ``d = a - b`` per seed; ``t = mean(d) / (sd(d) / √n)``, ``p = 2·P(T_{n-1} ≥ |t|)``.
    When every difference is zero (identical runs) there is no evidence of a
    difference: ``t = 0`` and ``p = 1`` (scipy returns NaN); when the differences are
    all equal but not zero, ``t = ±inf`` and ``p = 0``.

    Example:
        >>> r = paired_t_test([1.0, 2.0, 3.0], [0.5, 1.0, 2.0])
        >>> round(r.t, 4), r.df, round(r.p, 4)
        (5.0, 2, 0.0377)
    """
    x, y = _sample(a, "paired_t_test"), _sample(b, "paired_t_test")
    if x.shape != y.shape:
        raise ValueError(
            f"paired_t_test: a and b must have one value per seed each, got {x.size} and {y.size}"
        )
    d = x - y
    n, mean = d.size, float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        if mean == 0.0:
            return PairedTest(0.0, 0.0, n - 1, 1.0)
        return PairedTest(mean, math.copysign(math.inf, mean), n - 1, 0.0)
    t = mean / (sd / math.sqrt(n))
    p = 2.0 * (1.0 - t_cdf(abs(t), n - 1))
    return PairedTest(mean, t, n - 1, min(1.0, max(0.0, p)))


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control, Holm 1979).

    Sorted ascending, ``p_(i)`` becomes ``max_{j ≤ i} min(1, (m - j + 1)·p_(j))``;
    reject where the adjusted value is below the level.

    Example:
        >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError(f"holm: p-values must be in [0, 1], got {p.tolist()}")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.maximum.accumulate(scaled)
    return out


def leave_one_out_choice(scores: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """For each seed, the option (e.g. peak) best on the *other* seeds.

    ``scores`` is ``(options, seeds)``, lower is better; non-finite scores count as
    worst. Seed ``s`` gets ``argmin_p mean_{s' != s} scores[p, s']`` (ties: the first
    option), so its own score never takes part in the choice it is scored at: reporting
    ``scores[choice[s], s]`` estimates the chosen option's score without the optimism
    of choosing and scoring on the same seeds (leave-one-out cross-validation over
    seeds). With one seed there is nothing left out: the seed chooses for itself.

    Example:
        >>> leave_one_out_choice([[1.0, 5.0, 1.0], [2.0, 2.0, 2.0], [0.5, 9.0, 9.0]]).tolist()
        [1, 0, 1]
    """
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"leave_one_out_choice: scores must be (options, seeds), got {x.shape}")
    x = np.where(np.isfinite(x), x, np.inf)
    s = x.shape[1]
    if s == 1:
        return np.array([int(np.argmin(x[:, 0]))])
    keep = ~np.eye(s, dtype=bool)  # row k: every seed but k
    return np.array([int(np.argmin(x[:, keep[k]].mean(1))) for k in range(s)])
