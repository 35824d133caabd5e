"""The test catalogue: one ``Entry`` per schedule class, for every test that checks
something per class.

``CATALOGUE`` maps each name of ``schedalg._core.REGISTRY`` (what ``sa.parse`` reads
names from) to an ``Entry``: an example, a hypothesis strategy of valid instances, a
float64 NumPy reference and the duration rule (both from the class docstring, not from
the library's code), the formula cases (tests/test_primitives.py), the variants probed
at boundaries and huge steps (tests/test_extremes.py), zero-length pieces and bad inputs
(tests/test_bad_inputs.py). The parse-fuzz corpus, the law and the random-tree
generators draw every class from it; tests/test_catalogue.py checks that every
registered class has an entry.

To add a class (say a primitive ``power``):

1. write ``_ref_power(s, t)`` from its docstring formula (``_fields(s)`` gives its
   numbers; ``t`` is an int64 or float64 array of steps >= 0);
2. add ``"power": Entry(example=..., strategy=lambda v, c: st.builds(sa.power, ...),
   reference=_ref_power, cases=(case(...),), variants=(variant(...),),
   bad=(call(valid_kwargs, finite(...), bad(...)),))`` (``duration`` defaults to
   unbounded; values come from ``v.high``/``v.low``, a combinator's children from ``c``);
3. regenerate docs/errors.md, rendered from the bad inputs:
   ``python -m tests.test_bad_inputs --write``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np
from hypothesis import strategies as st

import schedalg as sa

Strategy = st.SearchStrategy

# ----------------------------------------------------------------------------
# What an entry holds.


class Levels(NamedTuple):
    """What a strategy draws a schedule's values from: ``high`` for the values it starts
    from or peaks at, ``low`` for those it ends at or adds (ends, floors, offsets,
    factors). Each test picks the ranges: tests/test_random_trees.py draws decays of
    non-negative values, tests/test_algebra_laws.py signed values either way."""

    high: Strategy
    low: Strategy


class Case(NamedTuple):
    """Two parameter sets of one structure (stacked for vmap) compared with the reference
    over thousands of steps and at each boundary +-1 (tests/test_primitives.py)."""

    id: str
    schedules: tuple[sa.Schedule, sa.Schedule]
    boundaries: tuple[int, ...]


class Variant(NamedTuple):
    """A schedule and the steps where its formula changes, probed at 0, 1, each boundary
    +-1, 2**31 - 1 and 2**40 (tests/test_extremes.py, tests/test_eager.py)."""

    id: str
    schedule: sa.Schedule
    boundaries: tuple[int, ...]


class Zero(NamedTuple):
    """``make(0)``, a piece of zero length, gives ``end`` from step 0 (``make(n)`` builds it
    with the length ``n``, traced or not)."""

    id: str
    make: Callable[[Any], sa.Schedule]
    end: float


@dataclasses.dataclass(frozen=True)
class Bad:
    """Bad ``values`` for each of ``params``; the message must contain ``rule`` and
    name the parameter (or ``names``, for an element such as ``piece 2 of 3``)."""

    params: tuple[str, ...]
    values: tuple
    rule: str
    names: str | None = None
    shown: str | None = None  # the rejected values as the docs show them


@dataclasses.dataclass(frozen=True)
class Call:
    """A valid call of the constructor and the bad inputs tried on it, one at a time."""

    kwargs: dict
    checks: tuple[Bad, ...]
    args: tuple = ()
    free: tuple[str, ...] = ()  # parameters that accept any value (or are ignored)


def _endless(s: sa.Schedule) -> None:
    return None


@dataclasses.dataclass(frozen=True)
class Entry:
    """Everything the tests keep about one schedule class."""

    #: A small valid instance (a combinator wraps a simple primitive).
    example: sa.Schedule
    #: ``strategy(levels, children)`` draws valid instances: values from ``levels``
    #: (:class:`Levels`), the schedules a combinator wraps from ``children`` (primitives
    #: ignore it).
    strategy: Callable[[Levels, Strategy], Strategy]
    #: ``reference(s, t)``: the value at int64/float64 steps ``t >= 0``, in float64 NumPy.
    reference: Callable[[sa.Schedule, np.ndarray], np.ndarray]
    #: ``duration(s)``: the documented duration, a Python number or None.
    duration: Callable[[sa.Schedule], Any] = _endless
    cases: tuple[Case, ...] = ()
    variants: tuple[Variant, ...] = ()
    zero: tuple[Zero, ...] = ()
    bad: tuple[Call, ...] = ()
    #: False for a class without a text form (``custom``: a function is not text).
    text: bool = True

    @property
    def wraps(self) -> bool:
        """Whether the class holds schedules (a combinator or clock transform)."""
        return any(True for _ in self.example.children())


# ----------------------------------------------------------------------------
# The reference: reading a schedule's numbers, and the dispatch on its class.


def _number(value: Any) -> Any:
    """A leaf as a Python int/float (0-d) or an int64/float64 array (vector fields)."""
    a = np.asarray(value)
    a = a.astype(np.int64 if a.dtype.kind in "biu" else np.float64)
    return a.item() if a.ndim == 0 else a


def _fields(s: sa.Schedule) -> dict[str, Any]:
    """The fields of ``s``: numbers as :func:`_number`, anything else as it is."""
    out = {}
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        plain = value is None or isinstance(value, (sa.Schedule, str, bool, tuple, dict))
        out[f.name] = value if plain or callable(value) else _number(value)
    return out


def reference(s: sa.Schedule, steps: Any) -> np.ndarray:
    """``s`` at ``steps`` from its catalogue entry's float64 formula (children included).

    Integer steps stay exact (int64); a negative step is step 0 (DESIGN: "A negative step
    evaluates as step 0").
    """
    t = np.asarray(steps)
    t = t.astype(np.int64) if t.dtype.kind in "biu" else t.astype(np.float64)
    t = np.maximum(t, 0)
    with np.errstate(all="ignore"):  # branches np.where discards may divide by zero
        value = CATALOGUE[type(s).__name__].reference(s, t)
    return np.array(np.broadcast_to(np.asarray(value, np.float64), t.shape))


def duration(s: sa.Schedule) -> Any:
    """``s.duration`` from its catalogue entry's rule (a Python number or None)."""
    return CATALOGUE[type(s).__name__].duration(s)


def stored(s: sa.Schedule, dtype: Any) -> sa.Schedule:
    """``s`` with its float leaves rounded to ``dtype``, as evaluation sees them."""

    def rounded(x):
        x = np.asarray(x)
        return x.astype(dtype).astype(np.float64) if x.dtype.kind == "f" else x

    return jax.tree.map(rounded, s)


def _frac(x: Any, span: Any) -> np.ndarray:
    """x / span clipped to [0, 1]; an empty span (<= 0) is done: 1."""
    x = np.asarray(x, np.float64)
    return np.clip(x / span, 0.0, 1.0) if span > 0 else np.ones_like(x)


def _half_cos(x: Any) -> np.ndarray:
    return 0.5 * (1.0 + np.cos(np.pi * x))


def _anneal(start: Any, end: Any, x: Any, shape: str) -> np.ndarray:
    """start -> end as x goes 0 -> 1 along ``shape``."""
    if shape in ("cos", "cosine"):
        return end + (start - end) * _half_cos(x)
    if shape == "1-sqrt":
        return end + (start - end) * (1.0 - np.sqrt(x))
    if shape == "exponential":  # geometric
        return start * (end / start) ** x
    if shape == "constant":
        return np.where(x >= 1.0, end, start)
    return start + (end - start) * x


# ----------------------------------------------------------------------------
# Primitives: each formula as its docstring states it.


def _ref_constant(s, t):
    return np.full(t.shape, _fields(s)["value"], np.float64)


def _ref_linear(s, t):
    f = _fields(s)  # start + (end - start) * t / steps, then end
    return np.where(t < f["steps"], f["start"] + (f["end"] - f["start"]) * t / f["steps"], f["end"])


def _ref_cosine(s, t):
    # end + (start - end) * (0.5 * (1 + cos(pi * t / steps))) ** exponent (SGDR,
    # Loshchilov & Hutter 2017), end from steps on.
    f = _fields(s)
    w = _half_cos(_frac(t, f["steps"])) ** f["exponent"]
    return f["end"] + (f["start"] - f["end"]) * w


def _ref_polynomial(s, t):
    f = _fields(s)  # end + (start - end) * (1 - t / steps) ** power
    return f["end"] + (f["start"] - f["end"]) * (1.0 - _frac(t, f["steps"])) ** f["power"]


def _exponent(t, steps, staircase):
    p = t // steps if staircase else t / steps
    return np.asarray(p, np.float64)


def _ref_exponential(s, t):
    f = _fields(s)  # start * rate ** (t / steps), never past end
    v = f["start"] * f["rate"] ** _exponent(t, f["steps"], f["staircase"])
    if f["end"] is None:
        return v
    return np.maximum(v, f["end"]) if f["rate"] < 1 else np.minimum(v, f["end"])


def _ref_step(s, t):
    f = _fields(s)  # start * factor ** floor(t / every) (PyTorch StepLR)
    return f["start"] * f["factor"] ** np.asarray(t // f["every"], np.float64)


def _ref_multistep(s, t):
    f = _fields(s)  # start * factor ** (number of milestones <= t)
    count = (t[..., None] >= f["milestones"]).sum(-1)
    return f["start"] * f["factor"] ** count.astype(np.float64)


def _ref_piecewise_constant(s, t):
    f = _fields(s)  # values[i] on [boundaries[i-1], boundaries[i])
    values = np.asarray(f["values"], np.float64)
    return values[np.searchsorted(np.asarray(f["boundaries"]), t, side="right")]


def _ref_piecewise_linear(s, t):
    f = _fields(s)  # straight lines through the knots, held outside
    return np.interp(np.asarray(t, np.float64), f["boundaries"], f["values"])


def _ref_inverse_sqrt(s, t):
    f = _fields(s)  # peak / sqrt(max(1, t / timescale)) (T5, Raffel et al. 2020)
    return f["peak"] / np.sqrt(np.maximum(1.0, t / f["timescale"]))


def _ref_inverse_time(s, t):
    f = _fields(s)  # start / (1 + rate * t / steps) (Keras InverseTimeDecay)
    return f["start"] / (1.0 + f["rate"] * _exponent(t, f["steps"], f["staircase"]))


def _ref_cyclic(s, t):
    # Smith 2017: with p = t mod (up + down), k = floor(t / (up + down)), r = p / up while
    # p <= up, else (up + down - p) / down: low + (high - low) * r * a.
    f = _fields(s)
    up = f["up"]
    down = up if f["down"] is None else f["down"]
    k = t // (up + down)
    p = t - k * (up + down)
    r = np.where(p <= up, p / up, (up + down - p) / down)
    a = {"triangular": 1.0, "triangular2": 0.5 ** np.asarray(k, np.float64)}
    a = a.get(f["mode"], f["gamma"] ** np.asarray(t, np.float64))  # "exp_range"
    return f["low"] + (f["high"] - f["low"]) * r * a


def _ref_one_cycle(s, t):
    # 1cycle (Smith 2018): start -> peak over u = pct_up * steps, then peak -> end; three
    # phases: start -> peak -> start (u each), then start -> end at steps.
    f = _fields(s)
    n, u, shape = f["steps"], f["pct_up"] * f["steps"], f["shape"]
    rise = _anneal(f["start"], f["peak"], _frac(t, u), shape)
    if not f["three_phase"]:
        return np.where(t < u, rise, _anneal(f["peak"], f["end"], _frac(t - u, n - u), shape))
    back = _anneal(f["peak"], f["start"], _frac(t - u, u), shape)
    tail = _anneal(f["start"], f["end"], _frac(t - 2 * u, n - 2 * u), shape)
    return np.where(t < u, rise, np.where(t < 2 * u, back, tail))


def _ref_wsd(s, t):
    # Warmup-stable-decay: start -> peak linearly, peak, then peak -> end along decay_shape
    # ("1-sqrt": Hägele et al. 2024; "exponential": MiniCPM, Hu et al. 2024).
    f = _fields(s)
    w, hold = f["warmup"], f["warmup"] + f["stable"]
    rise = f["start"] + (f["peak"] - f["start"]) * _frac(t, w)
    fall = _anneal(f["peak"], f["end"], _frac(t - hold, f["decay"]), f["decay_shape"])
    return np.where(t < w, rise, np.where(t < hold, f["peak"], fall))


def _ref_power(s, t):
    f = _fields(s)  # min(peak, a * n ** b), n = t * tokens_per_step (Shen et al. 2024)
    n = np.asarray(t, np.float64) * f["tokens_per_step"]
    with np.errstate(divide="ignore"):  # n = 0: n ** b is inf for b < 0, the cap holds
        return np.minimum(f["peak"], f["a"] * np.power(n, f["b"]))


def _ref_tanh(s, t):
    # Hsueh, Li, Wu 2019: x = t / steps in [0, 1], z = lower * (1 - x) + upper * x,
    # end + (start - end) * 0.5 * (1 - tanh(z)).
    f = _fields(s)
    x = _frac(t, f["steps"])
    z = f["lower"] * (1.0 - x) + f["upper"] * x
    return f["end"] + (f["start"] - f["end"]) * 0.5 * (1.0 - np.tanh(z))


# ----------------------------------------------------------------------------
# Combinators and clock transforms: each calls the reference of its children.


def _starts(s: sa.Schedule) -> list:
    """join's piece starts: 0, then the boundaries or the running sum of durations."""
    f = _fields(s)
    if f["boundaries"] is not None:
        return [0, *np.atleast_1d(f["boundaries"]).tolist()]
    starts = [0]
    for piece in s.pieces[:-1]:
        starts.append(starts[-1] + duration(piece))
    return starts


def _ref_join(s, t):
    starts = _starts(s)  # piece i on [starts[i], starts[i+1]), on its own clock
    index = sum((t >= b).astype(np.int64) for b in starts[1:]) if len(starts) > 1 else 0
    out = np.zeros(t.shape)
    for i, piece in enumerate(s.pieces):
        out = np.where(index == i, reference(piece, t - starts[i]), out)
    return out


def _ref_warmup(s, t):
    # start -> target = schedule(0) over W steps along shape, then schedule(t - W)
    # (prefix) or schedule(t).
    f = _fields(s)
    w, start, target = f["steps"], f["start"], reference(s.schedule, 0)
    x = {"t/W": _frac(t, w), "(t+1)/W": _frac(t + 1, w), "(t+1)/(W+1)": _frac(t + 1, w + 1)}
    x = x[f["ramp"]]
    if f["shape"] == "1-sqrt":  # 1 - sqrt(1 - x)
        ramp = start + (target - start) * (1.0 - np.sqrt(1.0 - x))
    else:
        ramp = _anneal(start, target, x, f["shape"])
    return np.where(t < w, ramp, reference(s.schedule, t - w if f["prefix"] else t))


def _cycles(t, period, mult):
    """(k, local clock, length) of the cycle holding t; cycle j lasts period * mult**j."""
    if mult == 1:
        k = t // period
        return k, t - k * period, np.full(np.shape(t), period)
    starts, lengths = [0], [period]
    while starts[-1] + lengths[-1] <= np.max(t):
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * mult)
    k = np.searchsorted(np.asarray(starts), t, side="right") - 1
    return k, t - np.asarray(starts)[k], np.asarray(lengths)[k]


def _ref_restart(s, t):
    # SGDR (Loshchilov & Hutter 2017): cycle k lasts period * mult**k, the schedule
    # stretched over it, times decay**k; held at the last cycle's end after limit cycles.
    # With a floor f: f + (v - f) * (p * decay**k - f) / (p - f), p = schedule(0).
    f = _fields(s)
    inner = s.schedule
    period = duration(inner) if f["period"] is None else f["period"]
    own = period if duration(inner) is None else duration(inner)
    k, local, length = _cycles(t, period, f["mult"])
    if f["limit"] is not None:
        done = k >= f["limit"]
        k = np.where(done, f["limit"] - 1, k)
        local, length = np.where(done, own, local), np.where(done, own, length)
    v = reference(inner, np.where(length == own, local, local * own / length))
    gain = f["decay"] ** np.asarray(k, np.float64)
    floor = f["floor"]
    if floor is None:
        return v * gain
    p = float(reference(inner, 0))
    decayed = floor if p == floor else floor + (v - floor) * (p * gain - floor) / (p - floor)
    return np.where(gain == 1, v, decayed)


def _ref_cooldown(s, t):
    # The factor 1 before c = total - steps, then 1 - x, (1 + cos(pi x)) / 2 or 1 - sqrt(x)
    # with x = (t - c) / steps, 0 from total on (Hägele et al. 2024).
    f = _fields(s)
    total = duration(s.schedule) if f["total"] is None else f["total"]
    begin = total - f["steps"]
    x = _frac(t - begin, f["steps"])
    shaped = {"linear": 1.0 - x, "cosine": _half_cos(x), "1-sqrt": 1.0 - np.sqrt(x)}
    return reference(s.schedule, t) * np.where(t < begin, 1.0, shaped[f["shape"]])


def _operand(x, t):
    return reference(x, t) if isinstance(x, sa.Schedule) else x


def _ref_scale(s, t):
    return reference(s.schedule, t) * _operand(s.factor, t)


def _ref_add(s, t):
    return reference(s.schedule, t) + _operand(s.other, t)


def _ref_clip(s, t):
    f = _fields(s)  # min(max(v, low), high)
    v = reference(s.schedule, t)
    v = v if f["low"] is None else np.maximum(v, f["low"])
    return v if f["high"] is None else np.minimum(v, f["high"])


def _ref_shift(s, t):
    return reference(s.schedule, t - _fields(s)["steps"])


def _ref_stretch(s, t):
    return reference(s.schedule, t / _fields(s)["factor"])


def _ref_per_epoch(s, t):
    return reference(s.schedule, t // _fields(s)["steps_per_epoch"])


def _ref_warp(s, t):
    # schedule(T * (t / T) ** power), T = schedule.duration (k-decay, Zhang & Li 2020).
    span = duration(s.schedule)
    return reference(s.schedule, span * _frac(t, span) ** _fields(s)["power"])


def _ref_repeat(s, t):
    f = _fields(s)  # schedule(t - rewind * floor(t / every))
    rewind = f["every"] if f["rewind"] is None else f["rewind"]
    return reference(s.schedule, t - rewind * (t // f["every"]))


def _ref_stretch_cycles(s, t):
    # schedule(t / m), m = max(1, ceil(t / T)) (Keras PolynomialDecay(cycle=True)).
    span = duration(s.schedule)
    return reference(s.schedule, t / np.maximum(1, -(-t // span)))


def _ref_custom(s, t):
    params = {k: _number(v) for k, v in s.params.items()}  # the user's function is the formula
    return s.fn(np.asarray(t, np.float64), **params)


# ----------------------------------------------------------------------------
# Documented durations.


def _steps(s):
    return _fields(s)["steps"]


def _last(field):
    def rule(s):
        values = np.atleast_1d(_fields(s)[field])
        return values[-1].item() if values.size else 0

    return rule


def _inner(s):
    return duration(s.schedule)


def _join_duration(s):
    last = duration(s.pieces[-1])
    return None if last is None else _starts(s)[-1] + last


def _warmup_duration(s):
    f, inner = _fields(s), duration(s.schedule)
    if inner is None:
        return None
    return f["steps"] + inner if f["prefix"] else max(f["steps"], inner)


def _restart_duration(s):
    f = _fields(s)
    if f["limit"] is None:
        return None
    period = duration(s.schedule) if f["period"] is None else f["period"]
    n, m = f["limit"], f["mult"]
    return period * n if m == 1 else period * (m**n - 1) / (m - 1)


def _cooldown_duration(s):
    total = _fields(s)["total"]
    return duration(s.schedule) if total is None else total


def _pair_duration(other):
    def rule(s):
        a, b = duration(s.schedule), getattr(s, other)
        if not isinstance(b, sa.Schedule):
            return a
        b = duration(b)
        return None if a is None or b is None else max(a, b)

    return rule


def _scaled(field):
    def rule(s):
        inner = duration(s.schedule)
        return None if inner is None else inner * _fields(s)[field]

    return rule


def _shift_duration(s):
    inner = duration(s.schedule)
    return None if inner is None else max(inner + _fields(s)["steps"], 0)


def _custom_duration(s):
    return None if s.duration_ is None else _number(s.duration_)


# ----------------------------------------------------------------------------
# Strategies. Numbers other than levels are float32 values (no subnormals, which XLA
# flushes to zero) so that a test may compare against np.float32 of them.


def f32(low: float, high: float) -> Strategy:
    return st.floats(low, high, width=32, allow_subnormal=False)


length = st.integers(1, 400)
sorted_ints = st.lists(st.integers(0, 600), min_size=1, max_size=5).map(sorted)
fraction = f32(0.0, 1.0)
power = f32(0.25, 4.0)
#: cosine's exponent, polynomial's power: below 0.5 a rising curve (start < end) computes
#: 1 - w with w = (...) ** p within ulps of 1, where XLA's vector and scalar exp differ
#: enough to break tests/test_random_trees.py's batched == unbatched (to 1e-6).
shape_power = f32(0.5, 3.0)


def positive_duration(s: sa.Schedule) -> bool:
    d = s.duration
    return d is not None and bool(np.all(np.asarray(d) > 0))


def timed(v: Levels, children: Strategy) -> Strategy:
    """A child with a positive duration (what restart without a period, join without
    boundaries, warp and stretch_cycles need): a drawn child if it has one, else a linear
    ramp (no filter: hypothesis would reject most deep trees)."""

    @st.composite
    def draw(draw):
        s = draw(children)
        return s if positive_duration(s) else draw(st.builds(sa.linear, v.high, v.low, length))

    return draw()


def _knots(levels: Strategy, extra: int) -> Strategy:
    def values(b):
        n = len(b) + extra
        return st.tuples(st.just(b), st.lists(levels, min_size=n, max_size=n))

    return sorted_ints.flatmap(values)


def _exponential(v, c):
    return st.builds(
        sa.exponential,
        v.high,
        f32(0.5, 1.0),  # growth overflows at large steps
        length,
        staircase=st.booleans(),
        end=st.none() | v.low,
    )


def _cyclic(v, c):
    return st.builds(
        sa.cyclic,
        v.low,
        v.high,
        length,
        st.none() | length,
        mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
        gamma=f32(0.984375, 1.0),
    )


def _one_cycle(v, c):
    return st.builds(
        sa.one_cycle,
        v.low,
        v.high,
        v.low,
        st.integers(4, 500),
        pct_up=f32(0.0625, 0.5),
        shape=st.sampled_from(["cos", "linear"]),
        three_phase=st.booleans(),
    )


@st.composite
def _wsd(draw, v, c):
    shape = draw(st.sampled_from(["linear", "cosine", "1-sqrt", "exponential"]))
    positive = f32(0.0625, 2.0)  # geometric: peak, end > 0
    return sa.wsd(
        draw(positive if shape == "exponential" else v.high),
        draw(st.integers(0, 100)),
        draw(st.integers(0, 100)),
        draw(st.integers(0, 300)),
        end=draw(positive if shape == "exponential" else v.low),
        decay_shape=shape,
        start=draw(v.low),
    )


@st.composite
def _tanh(draw, v, c):
    # Falling (start >= end, what the class is for) or rising, such as
    # tanh(0.0, 3.0, 7) * step(1.0, 1, 0.0), exact near its start.
    a, b = draw(v.high), draw(v.low)
    lower = draw(f32(-8.0, 2.0))
    upper = lower + draw(f32(0.25, 10.0))
    steps = draw(st.integers(0, 400))
    start, end = (a, b) if draw(st.booleans()) else (b, a)
    return sa.tanh(start, end, steps, lower=lower, upper=upper)


def _join(v, c):
    return st.one_of(
        st.builds(lambda a, b, w: sa.join(a, b, boundaries=[w]), c, c, length),
        st.builds(sa.join, timed(v, c), c),
    )


@st.composite
def _warmup(draw, v, c):
    shape = draw(st.sampled_from(["linear", "cosine", "1-sqrt", "exponential", "constant"]))
    return sa.warmup(
        draw(c),
        draw(st.integers(0, 200)),
        start=draw(f32(0.0625, 2.0) if shape == "exponential" else v.low),  # geometric: > 0
        shape=shape,
        prefix=draw(st.booleans()),
        ramp=draw(st.sampled_from(["t/W", "(t+1)/W", "(t+1)/(W+1)"])),
    )


@st.composite
def _restart(draw, v, c):
    # No floor: f + (v - f) * ratio is negative where a cycle rises above its start, and
    # tests/test_random_trees.py checks that non-negative trees stay non-negative.
    s = draw(c)
    own = positive_duration(s) and draw(st.booleans())
    return sa.restart(
        s,
        None if own else draw(length),
        mult=draw(st.sampled_from([1, 1.0, 1.5, 2, 3])),
        decay=draw(fraction),
        limit=draw(st.none() | st.integers(1, 4)),
    )


@st.composite
def _cooldown(draw, v, c):
    s, steps = draw(c), draw(st.integers(0, 200))
    own = s.duration is not None and bool(np.all(np.asarray(s.duration) >= steps))
    total = None if own and draw(st.booleans()) else steps + draw(st.integers(0, 200))
    return sa.cooldown(s, steps, total, shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])))


@st.composite
def _clip(draw, v, c):
    low, high = draw(st.none() | v.low), draw(st.none() | v.low)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return sa.clip(draw(c), low=low, high=high)


def _warp(v, c):
    # Over a gentle ramp only (values in [1, 4], no exp of its own): warp's bent clock,
    # span * exp(power * log(t / span)), differs by ulps between batched and unbatched
    # evaluation (XLA's vector and scalar exp differ), which an inner schedule steep for
    # its value (a short cycle, a decay to 0) amplifies past the 1e-6 of
    # tests/test_random_trees.py. (warp(s, 1.0) missing s at integer knots, the other
    # issue this catalogue found, is fixed: tests/test_clock.py.)
    gentle = f32(1.0, 4.0)
    ramp = st.builds(sa.linear, gentle, gentle, length) | st.builds(
        sa.cosine, gentle, gentle, length
    )
    return st.builds(sa.warp, ramp, power)


def _decay(t, base, steps):
    """custom's function: base / (1 + t / steps), in operators jnp and NumPy both take."""
    return base / (1.0 + t / steps)


def _custom(v, c):
    return st.builds(
        lambda base, steps, d: sa.custom(_decay, base=base, steps=steps, duration=d),
        v.high,
        f32(1.0, 100.0),
        st.none() | length,
    )


def primitives(levels: Levels, text_only: bool = True) -> Strategy:
    """A primitive of any class (only those with a text form when ``text_only``)."""
    leaves = [e for e in CATALOGUE.values() if not e.wraps and (e.text or not text_only)]
    return st.one_of([e.strategy(levels, st.nothing()) for e in leaves])


def combinators(levels: Levels, children: Strategy, text_only: bool = True) -> Strategy:
    """A combinator or clock transform of any class over ``children``."""
    nodes = [e for e in CATALOGUE.values() if e.wraps and (e.text or not text_only)]
    return st.one_of([e.strategy(levels, children) for e in nodes])


# ----------------------------------------------------------------------------
# Bad inputs (tests/test_bad_inputs.py): helpers shared with its compat tables.

nan, inf = math.nan, math.inf


def bad(params: str, *values: Any, rule: str, names: str | None = None, shown=None) -> Bad:
    return Bad(tuple(params.split()), values, rule, names, shown)


def finite(params: str) -> Bad:
    return bad(params, nan, inf, rule="must be finite")


def call(kwargs: dict, *checks: Bad, args=(), free="") -> Call:
    return Call(kwargs, checks, args, tuple(free.split()))


def _base(t, base):
    return base / (1.0 + t)


def _math_cos(t, **params):
    """A factor in plain Python: math.cos cannot take a traced step."""
    return math.cos(t / 10)


def _python_max(t, **params):
    """A factor in plain Python: max() compares the traced step."""
    return max(0.1, 1.0 - t / 100)


def _returns_text(t, **params):
    return "0.1"


#: A function in plain Python, refused by every constructor that takes one.
NOT_JNP = ("must be a jax.numpy function of the step", "_math_cos, _python_max")

LIN = sa.linear(1.0, 0.0, 10)
FLAT = sa.constant(1.0)  # a schedule without a duration
NOT = 0.5  # not a schedule
SCHEDULE = bad("schedule", NOT, rule="must be a schedule")
NO_DURATION = bad("schedule", FLAT, rule="has no duration")


# ----------------------------------------------------------------------------
# The catalogue, in the order of docs/errors.md's table.


def case(id: str, a: sa.Schedule, b: sa.Schedule, *boundaries: int) -> Case:
    return Case(id, (a, b), boundaries)


def variant(id: str, s: sa.Schedule, *boundaries: int) -> Variant:
    return Variant(id, s, boundaries)


def _tanh_end(start, end, upper):
    return end + (start - end) * 0.5 * (1.0 - math.tanh(upper))


_COS = sa.cosine(1.0, 0.1, 1000)
_LIN = sa.linear(0.0, 1.0, 100)

CATALOGUE: dict[str, Entry] = {
    "constant": Entry(
        example=sa.constant(1.0),
        strategy=lambda v, c: st.builds(sa.constant, v.high),
        reference=_ref_constant,
        cases=(case("constant", sa.constant(0.3), sa.constant(-2.5)),),
        variants=(variant("constant", sa.constant(0.3)),),
        bad=(call(dict(value=1.0), finite("value")),),
    ),
    "linear": Entry(
        example=sa.linear(0.0, 1.0, 17),
        strategy=lambda v, c: st.builds(sa.linear, v.high, v.low, st.integers(0, 400)),
        reference=_ref_linear,
        duration=_steps,
        cases=(
            case("linear_up", sa.linear(0.0, 1.0, 1000), sa.linear(0.1, 0.7, 3000), 1000),
            case("linear_down", sa.linear(1.0, 0.1, 999), sa.linear(0.3, 0.0, 7), 999),
        ),
        variants=(
            variant("linear", sa.linear(1.0, 0.1, 1000), 1000),
            variant("linear_zero", sa.linear(1.0, 0.1, 0), 0),
        ),
        zero=(Zero("linear", lambda n: sa.linear(0.3, 0.9, n), 0.9),),
        bad=(
            call(
                dict(start=1.0, end=0.0, steps=10),
                finite("start end steps"),
                bad("steps", -1, -10, rule="must be >= 0"),
                # An integer past int32 becomes a float32 leaf; past float32 no value is right.
                bad("steps", 10**40, rule="must fit in float32", shown="10**40"),
            ),
        ),
    ),
    "cosine": Entry(
        example=sa.cosine(1.0, 0.0, 17),
        strategy=lambda v, c: st.builds(sa.cosine, v.high, v.low, length, exponent=shape_power),
        reference=_ref_cosine,
        duration=_steps,
        cases=(
            case("cosine", sa.cosine(1.0, 0.1, 2000), sa.cosine(3e-4, 1e-5, 777), 2000, 777),
            case(
                "cosine_exponent",
                sa.cosine(1.0, 0.1, 1500, exponent=2.0),
                sa.cosine(0.5, 0.0, 900, exponent=0.5),
                1500,
                900,
            ),
        ),
        variants=(variant("cosine", sa.cosine(1.0, 0.1, 1000, exponent=2.0), 500, 1000),),
        zero=(
            Zero("cosine", lambda n: sa.cosine(0.9, 0.2, n), 0.2),
            Zero("cosine_exponent", lambda n: sa.cosine(0.9, 0.2, n, exponent=2.5), 0.2),
        ),
        bad=(
            call(
                dict(start=1.0, end=0.0, steps=10, exponent=1.0),
                finite("start end steps exponent"),
                bad("steps", -1, -10, rule="must be >= 0"),
                bad("exponent", 0, -1.0, rule="must be > 0"),
            ),
        ),
    ),
    "polynomial": Entry(
        example=sa.polynomial(1.0, 0.0, 17),
        strategy=lambda v, c: st.builds(sa.polynomial, v.high, v.low, length, power=shape_power),
        reference=_ref_polynomial,
        duration=_steps,
        cases=(
            case(
                "polynomial",
                sa.polynomial(1.0, 0.01, 1200, power=2.0),
                sa.polynomial(0.1, 0.0, 3333, power=0.5),
                1200,
                3333,
            ),
        ),
        variants=(variant("polynomial", sa.polynomial(1.0, 0.0, 1000, power=2.0), 1000),),
        zero=(Zero("polynomial", lambda n: sa.polynomial(0.9, 0.2, n, power=0.5), 0.2),),
        bad=(
            call(
                dict(start=1.0, end=0.0, steps=10, power=2.0),
                finite("start end steps power"),
                bad("steps", -1, -10, rule="must be >= 0"),
                bad("power", 0, -1.0, rule="must be > 0"),
            ),
        ),
    ),
    "exponential": Entry(
        example=sa.exponential(1.0, 0.5, 17),
        strategy=_exponential,
        reference=_ref_exponential,
        cases=(
            case("exponential", sa.exponential(1.0, 0.5, 700), sa.exponential(0.1, 0.96, 100), 700),
            case(
                "exponential_staircase",
                sa.exponential(1.0, 0.5, 250, staircase=True),
                sa.exponential(0.1, 0.9, 100, staircase=True),
                *(250, 500, 750, 100, 200, 300),
            ),
            case(
                "exponential_end",
                sa.exponential(1.0, 0.5, 300, end=0.1),
                sa.exponential(0.1, 0.99, 10, end=0.05),
                997,
                690,
            ),
            case(
                "exponential_growth_end",
                sa.exponential(0.01, 2.0, 500, end=0.5),
                sa.exponential(0.1, 1.5, 100, end=1.0),
                2822,
                568,
            ),
        ),
        variants=(
            variant("exponential", sa.exponential(1.0, 0.5, 100, end=0.01), 100, 664, 665),
            variant("exponential_stairs", sa.exponential(1.0, 0.5, 100, staircase=True), 100, 200),
        ),
        bad=(
            call(
                dict(start=1.0, rate=0.5, steps=10, end=0.1),
                finite("start rate steps end"),
                bad("rate", 0, -0.5, rule="must be > 0"),
                bad("steps", 0, -10, rule="must be > 0"),
                bad("staircase", "yes", 2, rule="must be True or False"),
            ),
        ),
    ),
    "step": Entry(
        example=sa.step(1.0, 17, 0.5),
        strategy=lambda v, c: st.builds(sa.step, v.high, length, fraction),
        reference=_ref_step,
        cases=(case("step", sa.step(1.0, 300, 0.5), sa.step(0.1, 7, 0.9), 300, 600, 7, 14),),
        variants=(variant("step", sa.step(1.0, 100, 0.5), 100, 200),),
        bad=(
            call(
                dict(start=1.0, every=10, factor=0.5),
                finite("start every factor"),
                bad("every", 0, -10, rule="must be > 0"),
                bad("factor", -0.5, rule="must be >= 0"),
            ),
        ),
    ),
    "multistep": Entry(
        example=sa.multistep(1.0, [5, 17], 0.5),
        strategy=lambda v, c: st.builds(sa.multistep, v.high, sorted_ints, f32(0.0, 2.0)),
        reference=_ref_multistep,
        duration=_last("milestones"),
        cases=(
            case(
                "multistep",
                sa.multistep(1.0, [100, 1000, 2500], 0.1),
                sa.multistep(0.5, [0, 1000, 1000], 0.5),
                *(100, 1000, 2500),
            ),
        ),
        variants=(
            variant("multistep", sa.multistep(1.0, [10, 300, 300, 5000], 0.5), 10, 300, 5000),
        ),
        bad=(
            call(
                dict(start=1.0, milestones=[10, 20], factor=0.5),
                finite("start milestones factor"),
                bad("milestones", [], 10, rule="must be a non-empty sequence"),
                bad("milestones", [20, 10], rule="must be sorted"),
                bad("milestones", [-5, 10], rule="must be >= 0"),
                bad("factor", -0.5, rule="must be >= 0"),
            ),
        ),
    ),
    "piecewise_constant": Entry(
        example=sa.piecewise_constant([5, 17], [1.0, 0.5, 0.1]),
        strategy=lambda v, c: _knots(v.high, 1).map(lambda bv: sa.piecewise_constant(*bv)),
        reference=_ref_piecewise_constant,
        duration=_last("boundaries"),
        cases=(
            case(
                "piecewise_constant",
                sa.piecewise_constant([100, 2000], [1.0, 0.5, 0.1]),
                sa.piecewise_constant([0, 1500], [3.0, 2.0, -1.0]),
                *(100, 1500, 2000),
            ),
        ),
        variants=(
            variant(
                "piecewise_constant", sa.piecewise_constant([10, 300], [1.0, 2.0, 0.5]), 10, 300
            ),
        ),
        bad=(
            call(
                dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
                finite("boundaries values"),
                bad("boundaries", [20, 10], rule="must be sorted"),
                bad(
                    "values",
                    [1.0, 0.5],
                    [1.0, 0.5, 0.1, 0.0],
                    rule="one more entry than boundaries",
                ),
                bad("values", [], rule="must be a non-empty sequence"),
            ),
        ),
    ),
    "piecewise_linear": Entry(
        example=sa.piecewise_linear([5, 17], [1.0, 0.5]),
        strategy=lambda v, c: _knots(v.high, 0).map(lambda bv: sa.piecewise_linear(*bv)),
        reference=_ref_piecewise_linear,
        duration=_last("boundaries"),
        cases=(
            case(
                "piecewise_linear",
                sa.piecewise_linear([50, 1000, 3000], [0.0, 1.0, 0.1]),
                sa.piecewise_linear([0, 10, 2000], [1.0, 2.0, 0.5]),
                *(50, 1000, 3000, 10, 2000),
            ),
        ),
        variants=(
            variant(
                "piecewise_linear",
                sa.piecewise_linear([10, 300, 1000], [0.0, 2.0, 1.0]),
                *(10, 300, 1000),
            ),
        ),
        bad=(
            call(
                dict(boundaries=[0, 10, 20], values=[0.0, 1.0, 0.5]),
                finite("boundaries values"),
                bad("boundaries", [20, 10, 0], rule="must be sorted"),
                bad("boundaries", [], rule="must be a non-empty sequence"),
                bad("values", [0.0, 1.0], rule="must have the same length"),
            ),
        ),
    ),
    "inverse_sqrt": Entry(
        example=sa.inverse_sqrt(1.0, 17),
        strategy=lambda v, c: st.builds(sa.inverse_sqrt, v.high, length),
        reference=_ref_inverse_sqrt,
        cases=(
            case("inverse_sqrt", sa.inverse_sqrt(1.0, 500), sa.inverse_sqrt(0.01, 37), 500, 37),
        ),
        variants=(variant("inverse_sqrt", sa.inverse_sqrt(1.0, 100), 100),),
        bad=(
            call(
                dict(peak=1.0, timescale=10),
                finite("peak timescale"),
                bad("timescale", 0, -10, rule="must be > 0"),
            ),
        ),
    ),
    "inverse_time": Entry(
        example=sa.inverse_time(1.0, 0.5, 17),
        strategy=lambda v, c: st.builds(
            sa.inverse_time, v.high, f32(0.0, 2.0), length, staircase=st.booleans()
        ),
        reference=_ref_inverse_time,
        cases=(
            case(
                "inverse_time", sa.inverse_time(1.0, 0.5, 100), sa.inverse_time(0.1, 2.0, 7), 100, 7
            ),
            case(
                "inverse_time_staircase",
                sa.inverse_time(1.0, 0.5, 100, staircase=True),
                sa.inverse_time(0.1, 2.0, 7, staircase=True),
                *(100, 200, 7, 14),
            ),
        ),
        variants=(
            variant("inverse_time", sa.inverse_time(1.0, 0.5, 100), 100),
            variant(
                "inverse_time_stairs", sa.inverse_time(1.0, 0.5, 100, staircase=True), 100, 200
            ),
        ),
        bad=(
            call(
                dict(start=1.0, rate=0.5, steps=10),
                finite("start rate steps"),
                bad("rate", -0.5, rule="must be >= 0"),
                bad("steps", 0, -10, rule="must be > 0"),
                bad("staircase", "yes", rule="must be True or False"),
            ),
        ),
    ),
    "cyclic": Entry(
        example=sa.cyclic(0.1, 1.0, 17),
        strategy=_cyclic,
        reference=_ref_cyclic,
        cases=(
            case(
                "cyclic_triangular",
                sa.cyclic(0.1, 1.0, 200),
                sa.cyclic(0.01, 0.05, 150),
                *(200, 400, 150, 300),
            ),
            case(
                "cyclic_asymmetric",
                sa.cyclic(0.1, 1.0, 200, 600),
                sa.cyclic(0.01, 0.05, 150, 450),
                *(200, 800, 150, 600),
            ),
            case(
                "cyclic_triangular2",
                sa.cyclic(0.1, 1.0, 200, 200, mode="triangular2"),
                sa.cyclic(0.0, 1.0, 50, 150, mode="triangular2"),
                *(200, 400, 800, 50, 200),
            ),
            case(
                "cyclic_exp_range",
                sa.cyclic(0.1, 1.0, 200, 200, mode="exp_range", gamma=0.999),
                sa.cyclic(0.0, 1.0, 50, 150, mode="exp_range", gamma=0.9995),
                *(200, 400, 50, 200),
            ),
            case(
                "cyclic_inverted",  # high < low: the momentum cycle
                sa.cyclic(0.95, 0.85, 300),
                sa.cyclic(0.9, 0.8, 100),
                *(300, 600, 100, 200),
            ),
        ),
        variants=(
            variant("cyclic", sa.cyclic(0.1, 1.0, 100, 300), 100, 400, 500, 800),
            variant("cyclic2", sa.cyclic(0.1, 1.0, 100, mode="triangular2"), 100, 200, 300),
            variant(
                "cyclic_exp", sa.cyclic(0.1, 1.0, 100, mode="exp_range", gamma=0.999), 100, 200
            ),
        ),
        bad=(
            call(
                dict(low=0.1, high=1.0, up=10, down=5, gamma=0.99),
                finite("low high up down gamma"),
                bad("up", 0, -10, rule="must be > 0"),
                bad("down", 0, -10, rule="must be > 0"),
                bad("gamma", 0, -0.5, rule="must be > 0"),
                bad("mode", "triangle", "exp", rule="must be one of"),
            ),
        ),
    ),
    "one_cycle": Entry(
        example=sa.one_cycle(0.1, 1.0, 0.0, 17),
        strategy=_one_cycle,
        reference=_ref_one_cycle,
        duration=_steps,
        cases=(
            case(
                "one_cycle_cos",
                sa.one_cycle(0.04, 1.0, 4e-6, 3000),
                sa.one_cycle(0.95, 0.85, 0.95, 1000, pct_up=0.25),
                *(900, 3000, 250, 1000),
            ),
            case(
                "one_cycle_linear",
                sa.one_cycle(0.04, 1.0, 0.0, 2000, shape="linear"),
                sa.one_cycle(0.1, 0.5, 0.01, 999, shape="linear", pct_up=0.5),
                *(600, 2000, 499, 500, 999),
            ),
            case(
                "one_cycle_three_phase",
                sa.one_cycle(0.04, 1.0, 1e-4, 3000, three_phase=True),
                sa.one_cycle(0.1, 0.5, 0.0, 1000, three_phase=True, pct_up=0.5),
                *(900, 1800, 3000, 500, 1000),
            ),
            case(
                "one_cycle_three_phase_linear",
                sa.one_cycle(0.04, 1.0, 1e-4, 3000, three_phase=True, shape="linear"),
                sa.one_cycle(0.1, 0.5, 0.0, 1000, three_phase=True, pct_up=0.2, shape="linear"),
                *(900, 1800, 3000, 200, 400, 1000),
            ),
        ),
        variants=(
            variant("one_cycle", sa.one_cycle(0.1, 1.0, 1e-4, 1000), 300, 1000),
            variant(
                "one_cycle_3",
                sa.one_cycle(0.1, 1.0, 1e-3, 1000, shape="linear", three_phase=True),
                *(300, 600, 1000),
            ),
        ),
        zero=(
            Zero("one_cycle", lambda n: sa.one_cycle(0.1, 1.0, 0.05, n), 0.05),
            Zero(
                "one_cycle_three_phase",
                lambda n: sa.one_cycle(0.1, 1.0, 0.05, n, three_phase=True, shape="linear"),
                0.05,
            ),
        ),
        bad=(
            call(
                dict(start=0.1, peak=1.0, end=0.0, steps=100, pct_up=0.3),
                finite("start peak end steps pct_up"),
                bad("steps", -1, -10, rule="must be >= 0"),
                bad("pct_up", 0, 1.5, -0.3, rule="must be in (0, 1]"),
                bad("shape", "cosine", "exp", rule="must be one of"),
                bad("three_phase", "yes", rule="must be True or False"),
            ),
            call(
                dict(start=0.1, peak=1.0, end=0.0, steps=100, pct_up=0.3, three_phase=True),
                bad("pct_up", 0.6, 0, rule="must be in (0, 0.5]"),
            ),
        ),
    ),
    "wsd": Entry(
        example=sa.wsd(1.0, 2, 10, 5),
        strategy=_wsd,
        reference=_ref_wsd,
        duration=lambda s: _fields(s)["warmup"] + _fields(s)["stable"] + _fields(s)["decay"],
        cases=(
            case(
                "wsd_linear",
                sa.wsd(1.0, 100, 2000, 500),
                sa.wsd(0.3, 0, 0, 1000, end=0.01),
                *(100, 2100, 2600, 1000),
            ),
            case(
                "wsd_cosine",
                sa.wsd(1.0, 100, 2000, 500, decay_shape="cosine", end=0.1),
                sa.wsd(0.3, 10, 0, 1000, decay_shape="cosine"),
                *(100, 2100, 2600, 10, 1010),
            ),
            case(
                "wsd_1_sqrt",
                sa.wsd(1.0, 100, 2000, 500, decay_shape="1-sqrt"),
                sa.wsd(0.3, 0, 700, 1000, decay_shape="1-sqrt", end=0.02),
                *(100, 2100, 2600, 700, 1700),
            ),
            case(
                "wsd_exponential_from_a_floor",
                sa.wsd(1.0, 100, 2000, 500, decay_shape="exponential", end=1e-3, start=0.1),
                sa.wsd(0.3, 7, 0, 1000, decay_shape="exponential", end=0.03, start=0.03),
                *(100, 2100, 2600, 7, 1007),
            ),
        ),
        variants=(
            variant(
                "wsd", sa.wsd(1.0, 100, 500, 400, end=0.1, decay_shape="cosine"), 100, 600, 1000
            ),
            variant("wsd_sqrt", sa.wsd(1.0, 100, 500, 400, decay_shape="1-sqrt"), 100, 600, 1000),
            variant(
                "wsd_exp_start",
                sa.wsd(1.0, 100, 500, 400, start=0.1, end=0.01, decay_shape="exponential"),
                *(100, 600, 1000),
            ),
            variant("wsd_zero", sa.wsd(1.0, 0, 0, 0, end=0.2), 0),
        ),
        zero=(
            Zero("wsd", lambda n: sa.wsd(1.0, n, n, n, end=0.05, start=0.3), 0.05),
            Zero(
                "wsd_cosine", lambda n: sa.wsd(1.0, n, n, n, end=0.05, decay_shape="cosine"), 0.05
            ),
            Zero(
                "wsd_1_sqrt", lambda n: sa.wsd(1.0, n, n, n, end=0.05, decay_shape="1-sqrt"), 0.05
            ),
            Zero(
                "wsd_exp", lambda n: sa.wsd(1.0, n, n, n, end=0.05, decay_shape="exponential"), 0.05
            ),
        ),
        bad=(
            call(
                dict(peak=1.0, warmup=10, stable=80, decay=10, end=0.0, start=0.1),
                finite("peak warmup stable decay end start"),
                bad("warmup stable decay", -1, -0.5, rule="must be >= 0"),
                bad("decay_shape", "cos", "sqrt", rule="must be one of"),
            ),
            call(
                dict(peak=1.0, warmup=10, stable=80, decay=10, end=0.01, decay_shape="exponential"),
                bad("end peak", 0, -0.5, rule="must be > 0 for decay_shape='exponential'"),
            ),
        ),
    ),
    "power": Entry(
        example=sa.power(1.0, 4.0, -0.5),
        strategy=lambda v, c: st.builds(sa.power, v.high, f32(0.5, 8.0), f32(-1.0, -0.125)),
        reference=_ref_power,
        cases=(case("power", sa.power(1.0, 4.0, -0.5), sa.power(0.1, 2.0, -0.7), 16, 72),),
        variants=(variant("power", sa.power(1.0, 4.0, -0.5), 16),),
        bad=(
            call(
                dict(peak=1.0, a=4.0, b=-0.5, tokens_per_step=1),
                finite("peak a b tokens_per_step"),
                bad("a", 0, -1, rule="must be > 0"),
                bad("tokens_per_step", 0, -1, rule="must be > 0"),
            ),
        ),
    ),
    "tanh": Entry(
        example=sa.tanh(1.0, 0.0, 17),
        strategy=_tanh,
        reference=_ref_tanh,
        duration=_steps,
        cases=(
            case(
                "tanh",
                sa.tanh(1.0, 0.0, 1000),
                sa.tanh(0.5, 0.01, 777, lower=-1.0, upper=2.0),
                1000,
                777,
            ),
        ),
        variants=(variant("tanh", sa.tanh(1.0, 0.0, 1000), 1000),),
        zero=(
            Zero(
                "tanh",
                lambda n: sa.tanh(0.9, 0.2, n, lower=-1.0, upper=1.0),
                _tanh_end(0.9, 0.2, 1.0),
            ),
        ),
        bad=(
            call(
                dict(start=1.0, end=0.0, steps=100, lower=-7.0, upper=3.0),
                finite("start end steps lower upper"),
                bad("steps", -1, -10, rule="must be >= 0"),
                bad("lower", 3.0, 5.0, rule="must be < upper"),
            ),
        ),
    ),
    "join": Entry(
        example=sa.join(sa.linear(0.0, 1.0, 10), sa.cosine(1.0, 0.0, 7)),
        strategy=_join,
        reference=_ref_join,
        duration=_join_duration,
        variants=(
            variant("join", sa.join(_LIN, _COS), 100, 1100),
            variant(
                "join_at",
                sa.join(sa.constant(1.0), sa.linear(2.0, 0.0, 10), boundaries=[50]),
                *(50, 60),
            ),
        ),
        zero=(
            Zero("join", lambda n: sa.join(sa.linear(0.0, 0.5, n), sa.cosine(0.5, 0.1, n)), 0.1),
        ),
        bad=(
            call(
                dict(boundaries=[10, 20]),
                bad("pieces", (), rule="needs at least one schedule"),
                bad(
                    "pieces",
                    (LIN, NOT, LIN),
                    rule="must be a schedule",
                    names="piece 2 of 3",
                    shown="(linear(...), 0.5, linear(...))",
                ),
                finite("boundaries"),
                bad("boundaries", [20, 10], rule="must be sorted"),
                bad("boundaries", [10], [10, 20, 30], rule="one entry per piece after the first"),
                bad("boundaries", [-5, 10], rule="must be >= 0"),
                args=(LIN, LIN, LIN),
            ),
            call(
                {},
                bad(
                    "pieces",
                    (FLAT, LIN),
                    rule="has no duration",
                    names="piece 1 of 2",
                    shown="(constant(value=1.0), linear(...))",
                ),
                args=(LIN, LIN),
            ),
        ),
    ),
    "warmup": Entry(
        example=sa.warmup(sa.cosine(1.0, 0.0, 7), 10),
        strategy=_warmup,
        reference=_ref_warmup,
        duration=_warmup_duration,
        variants=(
            variant("warmup", sa.warmup(_COS, 100), 100, 1100),
            variant(
                "warmup_over",
                sa.warmup(_COS, 100, start=0.01, shape="cosine", prefix=False),
                *(100, 1000),
            ),
            variant(
                "warmup_constant", sa.warmup(_COS, 100, start=0.01, shape="constant"), 100, 1100
            ),
            variant("warmup_1_sqrt", sa.warmup(_COS, 100, start=0.01, shape="1-sqrt"), 100, 1100),
            variant("warmup_llm_c", sa.warmup(_COS, 100, ramp="(t+1)/W"), 99, 100, 1100),
            variant(
                "warmup_nanogpt",
                sa.warmup(_COS, 100, ramp="(t+1)/(W+1)", prefix=False),
                *(100, 1000),
            ),
        ),
        zero=(
            Zero("warmup", lambda n: sa.warmup(sa.constant(0.7), n, start=0.1), 0.7),
            Zero(
                "warmup_1_sqrt",
                lambda n: sa.warmup(sa.constant(0.7), n, start=0.1, shape="1-sqrt"),
                0.7,
            ),
            Zero("warmup_llm_c", lambda n: sa.warmup(sa.constant(0.7), n, ramp="(t+1)/W"), 0.7),
            Zero(
                "warmup_nanogpt", lambda n: sa.warmup(sa.constant(0.7), n, ramp="(t+1)/(W+1)"), 0.7
            ),
        ),
        bad=(
            call(
                dict(schedule=LIN, steps=10, start=0.0),
                SCHEDULE,
                finite("steps start"),
                bad("steps", -1, -0.5, rule="must be >= 0"),
                bad("shape", "cos", "quadratic", "sqrt", rule="must be one of"),
                bad("prefix", "no", rule="must be True or False"),
                bad("ramp", "t/(W+1)", "(t+1)/w", 1, rule="must be one of"),
            ),
            call(
                dict(schedule=LIN, steps=10, start=0.1, shape="exponential"),
                bad("start", 0, -0.1, rule="must be > 0 for shape='exponential'"),
            ),
        ),
    ),
    "restart": Entry(
        example=sa.restart(sa.linear(1.0, 0.0, 10), mult=2, limit=2),
        strategy=_restart,
        reference=_ref_restart,
        duration=_restart_duration,
        variants=(
            variant("restart", sa.restart(_COS), 1000, 2000),
            variant("restart_mult2", sa.restart(_COS, mult=2, decay=0.5), 1000, 3000, 7000),
            variant("restart_limit", sa.restart(_LIN, 500, mult=2, limit=3), 500, 1500, 3500),
            variant("restart_mult1.5", sa.restart(_COS, mult=1.5), 1000, 2500, 4750),
            variant(
                "restart_floor",
                sa.restart(_COS, mult=2, decay=0.5, floor=0.1),
                *(1000, 3000, 7000),
            ),
        ),
        bad=(
            call(
                dict(schedule=LIN, period=10, mult=2.0, decay=0.5, limit=3, floor=0.1),
                SCHEDULE,
                finite("period mult decay limit floor"),
                bad("period", 0, -10, rule="must be > 0"),
                bad("mult", 0.5, 0, rule="must be >= 1"),
                bad("decay", -0.5, rule="must be >= 0"),
                bad("limit", 0, 1.5, rule="must be an integer >= 1"),
            ),
            call(dict(schedule=FLAT, period=10), bad("period", None, rule="has no duration")),
        ),
    ),
    "cooldown": Entry(
        example=sa.cooldown(sa.constant(1.0), 4, 17),
        strategy=_cooldown,
        reference=_ref_cooldown,
        duration=_cooldown_duration,
        variants=(
            variant("cooldown", sa.cooldown(_COS, 200), 800, 1000),
            variant(
                "cooldown_cosine",
                sa.cooldown(sa.inverse_sqrt(1.0, 100), 300, 1000, shape="cosine"),
                *(100, 700, 1000),
            ),
            variant(
                "cooldown_1_sqrt",
                sa.cooldown(sa.constant(0.5), 250, 1000, shape="1-sqrt"),
                *(750, 1000),
            ),
        ),
        zero=(
            Zero("cooldown", lambda n: sa.cooldown(sa.constant(0.7), n, n), 0.0),
            Zero(
                "cooldown_cosine",
                lambda n: sa.cooldown(sa.constant(0.7), n, n, shape="cosine"),
                0.0,
            ),
            Zero(
                "cooldown_1_sqrt",
                lambda n: sa.cooldown(sa.constant(0.7), n, n, shape="1-sqrt"),
                0.0,
            ),
        ),
        bad=(
            call(
                dict(schedule=LIN, steps=5, total=10, shape="linear"),
                SCHEDULE,
                finite("steps total"),
                bad("steps", -1, -0.5, rule="must be >= 0"),
                bad("steps", 11, 10.5, rule="must be <= total=10"),
                bad("total", -1, rule="must be >= 0"),
                bad("shape", "cos", "sqrt", "exponential", rule="must be one of"),
            ),
            call(
                dict(schedule=FLAT, steps=5, total=10),
                bad("total", None, rule="has no duration"),
            ),
        ),
    ),
    "scale": Entry(
        example=sa.scale(sa.linear(1.0, 0.0, 17), 0.5),
        strategy=lambda v, c: st.builds(sa.scale, c, v.low | c),
        reference=_ref_scale,
        duration=_pair_duration("factor"),
        variants=(
            variant("scale", sa.scale(sa.inverse_sqrt(1.0, 100), 3.0), 100),
            variant("scale_schedule", sa.scale(_COS, sa.step(1.0, 300, 0.5)), 300, 1000),
        ),
        bad=(
            call(
                dict(schedule=LIN, factor=0.5),
                SCHEDULE,
                finite("factor"),
                bad("factor", "0.5", rule="must be a number"),
            ),
        ),
    ),
    "add": Entry(
        example=sa.add(sa.linear(1.0, 0.0, 17), 0.1),
        strategy=lambda v, c: st.builds(sa.add, c, v.low | c),
        reference=_ref_add,
        duration=_pair_duration("other"),
        variants=(
            variant("add", sa.add(_COS, 0.1), 1000),
            variant("add_schedule", sa.add(_COS, sa.linear(0.5, 0.0, 300)), 300, 1000),
        ),
        bad=(
            call(
                dict(schedule=LIN, other=0.5),
                SCHEDULE,
                finite("other"),
                bad("other", "0.5", rule="must be a number"),
            ),
        ),
    ),
    "clip": Entry(
        example=sa.clip(sa.linear(1.0, 0.0, 17), low=0.2),
        strategy=_clip,
        reference=_ref_clip,
        duration=_inner,
        variants=(
            variant("clip", sa.clip(sa.linear(1.0, 0.0, 1000), low=0.2, high=0.9), 100, 800, 1000),
        ),
        bad=(
            call(
                dict(schedule=LIN, low=0.1, high=0.9),
                SCHEDULE,
                finite("low high"),
                bad("low", 0.95, rule="must be <= high=0.9"),
            ),
        ),
    ),
    "shift": Entry(
        example=sa.shift(sa.linear(0.0, 1.0, 10), 7),
        strategy=lambda v, c: st.builds(sa.shift, c, st.integers(-100, 200)),
        reference=_ref_shift,
        duration=_shift_duration,
        variants=(
            variant("shift", sa.shift(sa.linear(0.0, 1.0, 1000), 100), 100, 1100),
            variant("shift_back", sa.shift(_COS, -500), 500),
        ),
        bad=(call(dict(schedule=LIN, steps=5), SCHEDULE, finite("steps")),),
    ),
    "stretch": Entry(
        example=sa.stretch(sa.linear(0.0, 1.0, 10), 2),
        strategy=lambda v, c: st.builds(
            sa.stretch, c, st.sampled_from([0.5, 1, 2, 3]) | f32(0.25, 4.0)
        ),
        reference=_ref_stretch,
        duration=_scaled("factor"),
        variants=(variant("stretch", sa.stretch(sa.step(1.0, 100, 0.5), 3), 300, 600),),
        bad=(
            call(
                dict(schedule=LIN, factor=2.0),
                SCHEDULE,
                finite("factor"),
                bad("factor", 0, -2.0, rule="must be > 0"),
            ),
        ),
    ),
    "per_epoch": Entry(
        example=sa.per_epoch(sa.linear(0.0, 1.0, 10), 100),
        strategy=lambda v, c: st.builds(sa.per_epoch, c, st.integers(1, 20)),
        reference=_ref_per_epoch,
        duration=_scaled("steps_per_epoch"),
        variants=(variant("per_epoch", sa.per_epoch(sa.step(1.0, 1, 0.5), 50), 50, 100),),
        bad=(
            call(
                dict(schedule=LIN, steps_per_epoch=10),
                SCHEDULE,
                finite("steps_per_epoch"),
                bad("steps_per_epoch", 0, -10, rule="must be > 0"),
            ),
        ),
    ),
    "custom": Entry(
        example=sa.custom(_decay, base=1.0, steps=10.0, duration=17),
        strategy=_custom,
        reference=_ref_custom,
        duration=_custom_duration,
        cases=(
            case(
                "custom",
                sa.custom(_decay, base=1.0, steps=100.0),
                sa.custom(_decay, base=0.3, steps=7.0),
            ),
        ),
        variants=(variant("custom", sa.custom(_decay, base=1.0, steps=100.0, duration=100), 100),),
        bad=(
            call(
                dict(fn=_base, base=1.0, duration=10),
                bad("fn", NOT, "t / 2", rule="must be callable"),
                bad("fn", _math_cos, _python_max, rule=NOT_JNP[0], shown=NOT_JNP[1]),
                bad("fn", _returns_text, rule="must return numbers", shown="_returns_text"),
                finite("base duration"),
                bad("duration", -1, rule="must be >= 0"),
            ),
        ),
        text=False,
    ),
    "warp": Entry(
        example=sa.warp(sa.cosine(1.0, 0.0, 17), 2.0),
        strategy=_warp,
        reference=_ref_warp,
        duration=_inner,
        variants=(variant("warp", sa.warp(sa.cosine(1.0, 0.0, 1000), 2.0), 1000),),
        bad=(
            call(
                dict(schedule=LIN, power=2.0),
                SCHEDULE,
                NO_DURATION,
                finite("power"),
                bad("power", 0, -1.0, rule="must be > 0"),
            ),
        ),
    ),
    "repeat": Entry(
        example=sa.repeat(sa.linear(0.0, 1.0, 10), 5),
        strategy=lambda v, c: st.builds(
            sa.repeat, c, length, rewind=st.none() | st.integers(0, 400)
        ),
        reference=_ref_repeat,
        variants=(variant("repeat", sa.repeat(_LIN, 50, rewind=30), 50, 100, 150),),
        bad=(
            call(
                dict(schedule=LIN, every=5, rewind=4),
                SCHEDULE,
                finite("every rewind"),
                bad("every", 0, -5, rule="must be > 0"),
                bad("rewind", -1, rule="must be >= 0"),
            ),
        ),
    ),
    "stretch_cycles": Entry(
        example=sa.stretch_cycles(sa.polynomial(1.0, 0.1, 17, power=2.0)),
        strategy=lambda v, c: st.builds(sa.stretch_cycles, timed(v, c)),
        reference=_ref_stretch_cycles,
        variants=(
            variant(
                "stretch_cycles",
                sa.stretch_cycles(sa.polynomial(1.0, 0.1, 100, power=2.0)),
                100,
                200,
            ),
        ),
        bad=(call(dict(schedule=LIN), SCHEDULE, NO_DURATION),),
    ),
}
