"""The Schedule base class, pytree registration and the shared numeric helpers.

A schedule is a frozen dataclass whose numeric fields are pytree leaves and whose
structural fields (mode strings, flags, callables) are static. Subclasses are declared
with :func:`schedule_class`, which makes them dataclasses, registers them as pytrees
(unflattening bypasses validation, so traced or batched leaves flow freely) and records
them for the text form.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover
    from typing_extensions import dataclass_transform

_S = TypeVar("_S", bound="Schedule")

#: Public constructor name -> class, for the text form.
REGISTRY: dict[str, Any] = {}


def static(default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """A structural field: part of the pytree's static structure, never a leaf."""
    return dataclasses.field(default=default, metadata={"static": True}, **kwargs)


def vector(default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """A numeric field whose last axis is a vector axis (milestones, knots)."""
    return dataclasses.field(default=default, metadata={"rank": 1}, **kwargs)


class Schedule:
    """A pure function ``step -> value`` stored as an immutable pytree.

    Subclasses define ``__call__(step)`` and the ``duration`` property. Operators
    ``a * b``, ``a * 0.5``, ``a + b`` build :func:`scale` and :func:`add` nodes.
    Called outside any ``jit``/``vmap``/``grad`` (say to plot it), a schedule runs one
    compiled program per tree structure and step-array length bucket, so later calls
    with new numbers or lengths take under a millisecond.

    Example:
        >>> s = sa.cosine(1.0, 0.0, 100) * 0.5
        >>> isinstance(s, sa.Schedule), s.duration, round(float(s(0)), 6)
        (True, 100, 0.5)
    """

    name: str = "schedule"
    #: What the numbers of this class are, for tools that refer to them by meaning
    #: (``learn --params peak``, ``sweep --grid steps``): role -> field. Roles: ``peak``
    #: (the top value), ``end`` (the final value), ``steps`` (the decay length),
    #: ``warmup`` (the warmup length), ``exponent`` (the shape's power), ``knots`` (knot
    #: values). A node with a ``schedule`` field wraps it: tools look through wrappers to
    #: the main schedule (:func:`schedalg._tree.main`). Clock roles say how a wrapper's
    #: clock maps to its children's (what :func:`schedalg.cycle_ends` follows): ``delay``
    #: (the child runs that many steps behind), ``slowdown`` (that many times slower),
    #: ``epoch`` (once per that many steps), ``starts`` (pieces in sequence, their
    #: starts from ``starts()``).
    roles: ClassVar[dict[str, str]] = {}
    #: True for value-only nodes (scale, add, clip): children see the node's own step.
    keeps_clock: ClassVar[bool] = False
    #: What the leaves must satisfy: field -> a rule of :data:`RULES` (or a tuple of
    #: them), checked in order on concrete leaves before the class's own ``_validate``
    #: (which keeps the checks that need more than one field). Fields annotated
    #: ``Schedule`` must hold a schedule, without a declaration.
    limits: ClassVar[dict[str, str | tuple[str, ...]]] = {}
    # Set by schedule_class: what makes every subclass a dataclass, and its leaf fields.
    __dataclass_fields__: ClassVar[dict[str, Any]]
    _ranks: ClassVar[tuple[tuple[str, int], ...]] = ()
    _static: ClassVar[tuple[str, ...]] = ()

    def __call__(self, step: jax.typing.ArrayLike) -> jax.Array:
        raise NotImplementedError

    @property
    def duration(self) -> Any:
        """Steps after which the shape is complete (``None`` when unbounded)."""
        return None

    def _initial(self) -> jax.Array:
        """``self(0)``, bit for bit: the value a warmup ramps to. Schedules whose formula
        at step 0 reduces to a few operations override it, since tracing the whole
        formula at a scalar step adds as much again to a warmup's compile time."""
        return self(0)

    def _validate(self) -> None:
        """Invariant checks on concrete leaves; overridden per class."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type in ("Schedule", Schedule) and not isinstance(value, Schedule):
                raise ValueError(f"{self.name}: {f.name} must be a schedule, got {value!r}")
            if f.metadata.get("static") or isinstance(value, dict):
                if f.metadata.get("static") and isinstance(f.default, bool):
                    object.__setattr__(self, f.name, _as_flag(self.name, f.name, value))
                continue
            if value is None:  # only optional fields (default None) may be None
                if f.default is not None:
                    raise ValueError(f"{self.name}: {f.name} must be a number, got {f.name}=None")
                continue
            if _is_schedule_like(value):
                if not _holds_schedules(f):
                    raise ValueError(
                        f"{self.name}: {f.name} must be a number, got the schedule {value!r}"
                    )
                continue
            try:
                leaf = _as_leaf(value, f.metadata.get("rank", 0))
            except ValueError:  # ragged nesting such as [[1, 2], [3]]
                raise ValueError(
                    f"{self.name}: {f.name} must be a number or a rectangular array of "
                    f"numbers, got {f.name}={repr(value)[:100]}"
                ) from None
            # Integers past int32 (without x64) become float leaves: see require_finite.
            object.__setattr__(self, f.name, require_finite(self.name, f.name, leaf, wide=True))
        self._check()

    def _check(self) -> None:
        """The declared ``limits``, then the class's own ``_validate``: what construction
        runs, and what :func:`schedalg.check` runs on each node of a batched tree."""
        for name, rule in self.rules():
            require(self.name, name, getattr(self, name), RULES[rule], rule)
        self._validate()

    @classmethod
    def rules(cls) -> list[tuple[str, str]]:
        """The declared ``limits`` as (field, rule) pairs, in the order they are checked."""
        return [
            (f, r) for f, rs in cls.limits.items() for r in ((rs,) if isinstance(rs, str) else rs)
        ]

    # Operators build the same nodes as the combinators.
    def __mul__(self, other: Any) -> Schedule:
        return REGISTRY["scale"](self, other)

    def __rmul__(self, other: Any) -> Schedule:
        return REGISTRY["scale"](self, other)

    def __add__(self, other: Any) -> Schedule:
        return REGISTRY["add"](self, other)

    def __radd__(self, other: Any) -> Schedule:
        return REGISTRY["add"](self, other)

    def __repr__(self) -> str:
        from schedalg._text import to_text

        return to_text(self)

    __str__ = __repr__

    def children(self) -> Iterator[tuple[str, Schedule]]:
        """The (field name, schedule) pairs held by this node."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Schedule):
                yield f.name, value
            elif isinstance(value, tuple):
                for i, v in enumerate(value):
                    if isinstance(v, Schedule):
                        yield f"{f.name}[{i}]", v


def _is_schedule_like(value: Any) -> bool:
    if isinstance(value, Schedule):
        return True
    return isinstance(value, tuple) and any(isinstance(v, Schedule) for v in value)


def _holds_schedules(f: dataclasses.Field) -> bool:
    """Whether a field may hold schedules: annotated ``Schedule`` or ``tuple`` (pieces),
    or marked ``metadata={"schedule": True}`` (a number-or-schedule operand)."""
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    return f.metadata.get("schedule", False) or "Schedule" in annotation or annotation == "tuple"


def _as_leaf(value: Any, rank: int = 0) -> Any:
    """Keeps scalars and arrays as given; lists and tuples of numbers become arrays.

    A list means what ``np.asarray`` makes of it (rows are the batch), except that a
    list for a vector field (``rank`` 1) holding batched numbers (arrays with axes) lists
    the vector's entries: they are broadcast together and stacked on the last (vector)
    axis, so ``[w, 2 * w]`` with ``w`` of shape ``(N,)`` is ``(N, 2)``. Lists holding
    tracers become jax arrays (NumPy cannot hold them); concrete ones stay NumPy.
    """
    if not isinstance(value, (list, tuple)):
        return value
    xp = jnp if _holds_tracer(value) else np
    try:
        if rank == 1 and any(getattr(x, "ndim", 0) > 0 for x in value):
            return xp.stack(xp.broadcast_arrays(*(xp.asarray(x) for x in value)), axis=-1)
        return xp.asarray(value)
    except TypeError as err:  # jnp's error for ragged nesting
        raise ValueError(str(err)) from None


def _holds_tracer(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_holds_tracer(x) for x in value)
    return isinstance(value, jax.core.Tracer)


def _as_flag(fn: str, param: str, value: Any) -> bool:
    """A static on/off field as a Python bool: it is hashed as pytree structure, and a
    truthy string such as ``'no'`` must not pass for True."""
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer)) and value in (0, 1)
    ):
        return bool(value)
    raise ValueError(f"{fn}: {param} must be True or False, got {param}={value!r}")


_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, static, vector))
def frozen_pytree(cls: type[_T], **options: Any) -> type[_T]:
    """Frozen dataclass and pytree whose unflattening skips ``__init__`` (so traced,
    batched or placeholder leaves never meet the validation). Fields marked
    :func:`static` are structure, the others leaves."""
    cls = dataclasses.dataclass(frozen=True, **options)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    data = tuple(f.name for f in fields if not f.metadata.get("static"))
    meta = tuple(f.name for f in fields if f.metadata.get("static"))
    keys = tuple(jax.tree_util.GetAttrKey(n) for n in data)

    def flatten_with_keys(obj):
        children = tuple((k, getattr(obj, n)) for k, n in zip(keys, data))
        return children, tuple(getattr(obj, n) for n in meta)

    def flatten(obj):
        return tuple(getattr(obj, n) for n in data), tuple(getattr(obj, n) for n in meta)

    def unflatten(aux, children):
        obj = object.__new__(cls)
        for n, v in zip(data, children):
            object.__setattr__(obj, n, v)
        for n, v in zip(meta, aux):
            object.__setattr__(obj, n, v)
        return obj

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    return cls


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, static, vector))
def schedule_class(cls: type[_S]) -> type[_S]:
    """Declares a concrete schedule: frozen dataclass, pytree, registered by name."""
    cls = frozen_pytree(cls, repr=False, eq=False)
    fields = dataclasses.fields(cls)
    data = [f for f in fields if not f.metadata.get("static")]
    cls.name = cls.__name__
    cls._ranks = tuple((f.name, f.metadata.get("rank", 0)) for f in data)
    cls._static = tuple(f.name for f in fields if f.metadata.get("static"))
    for name, rule in cls.rules():  # a typo fails here, not at the first construction
        if name not in cls.__dataclass_fields__ or rule not in RULES:
            raise TypeError(f"{cls.__name__}.limits: {name}: {rule!r} is not a field and a rule")
    if not hasattr(cls.__call__, "__wrapped__"):
        # the wrapper replaces the class's own (or a plain base class's) __call__
        setattr(cls, "__call__", _dispatching(cls.__call__))  # noqa: B010
    REGISTRY[cls.__name__] = cls
    return cls


# ----------------------------------------------------------------------------
# Eager calls. Called op by op, a schedule compiles every primitive operation again
# for each new step shape (seconds for a restart tree). A call on concrete input
# instead runs one jitted program, compiled once per tree structure and step bucket.

#: Whether eager calls take the compiled path; ``SCHEDALG_EAGER_JIT=0`` runs them op by op
#: as plain JAX code (to compare, or to debug a ``custom`` function with prints).
EAGER_JIT = os.environ.get("SCHEDALG_EAGER_JIT", "1") != "0"

try:  # True when no transformation (jit, vmap, grad, ...) is tracing right now
    from jax._src.core import trace_state_clean as _untraced
except ImportError:  # pragma: no cover - a JAX without it: every call takes the plain path

    def _untraced() -> bool:
        return False


def x64() -> bool:
    """Whether ``jax_enable_x64`` is on (64-bit integers and floats)."""
    return bool(jax.config.jax_enable_x64)  # type: ignore[attr-defined]  # a run-time flag


def _jit_disabled() -> bool:
    return bool(jax.config.jax_disable_jit)  # type: ignore[attr-defined]  # a run-time flag


def _dispatching(call: Callable) -> Callable:
    """Wraps a class's ``__call__``: concrete calls go to :func:`_call_eagerly`.

    Inside a trace (a user's ``jit``/``vmap``/``grad``, or the compiled evaluation itself,
    where a node calls its children) the plain ``call`` runs, at the cost of one check.
    """

    @functools.wraps(call)
    def __call__(self: Schedule, step: jax.typing.ArrayLike) -> jax.Array:
        if EAGER_JIT and _untraced() and not _jit_disabled():
            leaves = jax.tree_util.tree_leaves((self, step))
            if not any(isinstance(x, jax.core.Tracer) for x in leaves):
                return _call_eagerly(self, step)
        return call(self, step)

    return __call__


@jax.jit
def _compiled(schedule: Schedule, step: jax.Array) -> jax.Array:
    return schedule(step)  # under jit: every node runs its plain __call__


#: Smallest step-array bucket: lengths are padded to a power of two at least this.
MIN_BUCKET = 16


def _call_eagerly(schedule: Schedule, step: Any) -> jax.Array:
    """``schedule(step)`` through :func:`_compiled`, the jit cache keyed by structure.

    An unbatched schedule gives one value per step from that step alone, so its steps
    are flattened and padded with the last one to a power-of-two length (compiled once
    per bucket) and the values cut back on the host, which compiles nothing. A batched
    schedule (its leaves broadcast against the steps), a user function (``custom``) or
    a step on a chosen device is evaluated at its exact shape.
    """
    if isinstance(step, (list, tuple, np.ndarray, np.generic)):
        # Convert as jnp.asarray would, but in NumPy: jax compiles a conversion per shape.
        given, step = step, np.asarray(step)
        if step.dtype.kind not in "biuf":  # jnp's own conversion (or its error)
            return _compiled(schedule, jnp.asarray(given))
        dtype = jax.dtypes.canonicalize_dtype(step.dtype)
        if step.dtype != dtype:
            if dtype.kind in "iu" and step.size and _out_of_range(step, dtype):
                return _compiled(schedule, jnp.asarray(given))  # jnp's overflow error
            step = step.astype(dtype)
    elif not isinstance(step, jax.Array) or getattr(step, "committed", True):
        return _compiled(schedule, step)  # Python scalars: one bucket
    shape = np.shape(step)
    if not shape or 0 in shape or not _pointwise(schedule):
        return _compiled(schedule, step)
    flat = np.asarray(step).reshape(-1)
    n = flat.size
    bucket = max(MIN_BUCKET, 1 << (n - 1).bit_length())
    padded = np.concatenate([flat, np.full(bucket - n, flat[-1], flat.dtype)])
    values = np.asarray(_compiled(schedule, padded))
    return jax.device_put(values[:n].reshape(shape))


def _out_of_range(values: np.ndarray, dtype: np.dtype) -> bool:
    info = np.iinfo(dtype)
    return bool(values.min() < info.min or values.max() > info.max)


def _pointwise(node: Schedule) -> bool:
    """Whether the tree is unbatched (no leaf has axes besides its vector axis) and
    holds no user function, so its value at each step depends on that step alone."""
    for name in node._static:
        if callable(getattr(node, name)):
            return False
    for name, rank in node._ranks:
        value = getattr(node, name)
        if isinstance(value, Schedule):
            if not _pointwise(value):
                return False
        elif isinstance(value, tuple):
            if not all(_pointwise(v) for v in value if isinstance(v, Schedule)):
                return False
        elif isinstance(value, dict):
            if any(np.ndim(v) for v in value.values()):
                return False
        elif np.ndim(value) > rank:
            return False
    return True


def evolve(node: Schedule, **changes: Any) -> Schedule:
    """A copy of ``node`` with some fields changed, without validation (for
    internal rebuilding with traced or reshaped leaves)."""
    obj = object.__new__(type(node))
    for f in dataclasses.fields(node):
        object.__setattr__(obj, f.name, changes.get(f.name, getattr(node, f.name)))
    return obj


def max_duration(a: Any, b: Any) -> Any:
    """The longer of two durations; ``None`` if either is unbounded."""
    return None if a is None or b is None else jnp.maximum(a, b)


# ----------------------------------------------------------------------------
# Validation: concrete values only; traced leaves are checked later by check().


def concrete(value: Any) -> np.ndarray | None:
    """``value`` as a NumPy array, or ``None`` when it is traced (unknowable now)."""
    if value is None:
        return None
    try:
        return np.asarray(value)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def require(fn: str, param: str, value: Any, ok: Callable[[np.ndarray], Any], rule: str):
    """Raises ``ValueError("fn: param must be rule, got param=value")`` unless ok."""
    v = concrete(value)
    if v is None:
        return
    try:
        good = bool(np.all(ok(v)))
    except TypeError:
        good = False
    if not good:
        raise ValueError(f"{fn}: {param} must be {rule}, got {param}={_show(value)}")


def require_finite(fn: str, param: str, value: Any, wide: bool = False) -> Any:
    """Raises unless ``value`` is a finite number (or array of them); returns it.

    An integer beyond the integer range (int32, or int64 under x64) is refused unless
    ``wide``, where it is returned as a float leaf of the working dtype instead
    (:func:`_wide_as_float`): constructors take token- or example-denominated lengths
    past ``2**31`` without x64.
    """
    v = concrete(value)
    if v is None:
        return value
    ints = v.dtype == object and v.size and all(type(x) is int for x in v.flat)
    if not ints and (
        v.dtype == object
        or not (np.issubdtype(v.dtype, np.number) or np.issubdtype(v.dtype, np.bool_))
    ):
        raise ValueError(f"{fn}: {param} must be a number, got {param}={_show(value)}")
    if np.issubdtype(v.dtype, np.inexact) and not np.all(np.isfinite(v)):
        raise ValueError(f"{fn}: {param} must be finite, got {param}={_show(value)}")
    if not (ints or np.issubdtype(v.dtype, np.integer)):
        return value
    info = np.iinfo(np.int64 if x64() else np.int32)
    if not (ints or np.any(v > info.max) or np.any(v < info.min)):
        return value
    if not wide:
        raise ValueError(
            f"{fn}: {param} must fit in {info.dtype} (enable jax_enable_x64 for more), "
            f"got {param}={_show(value)}"
        )
    wider = _wide_as_float(v, info)
    if wider is None:
        name = np.dtype(float_dtype()).name
        raise ValueError(f"{fn}: {param} must fit in {name}, got {param}={_show(value)}")
    return wider


def _wide_as_float(v: np.ndarray, info: np.iinfo) -> Any:
    """Integers beyond ``info``'s range as floats of the working dtype (``None`` if they
    overflow it); integers within it convert too, as one leaf has one dtype.

    Rounded to nearest (relative 2**-24 in float32), except that a value past the range
    that rounds to the float of its top (``2**31`` for int32) is stored as the next float
    up (``2**31 + 256``), so that every integer step compares below every such leaf, even
    where jax compares in float.
    """
    dtype = np.dtype(float_dtype())
    try:
        wide = np.asarray(v.tolist(), np.float64) if v.dtype == object else v
    except OverflowError:  # beyond float64
        return None
    with np.errstate(over="ignore"):
        f = np.asarray(wide).astype(dtype)
    if not np.all(np.isfinite(f)):
        return None
    top = dtype.type(info.max)
    f = np.where((f == top) & (v > info.max), np.nextafter(top, dtype.type(np.inf)), f)
    return f[()] if f.ndim == 0 else f


def _show(value: Any) -> str:
    v = concrete(value)
    if v is None or v.ndim == 0:
        text = repr(value.item() if isinstance(value, np.generic) else value)
    else:
        text = " ".join(np.array2string(v, threshold=8, separator=", ").split())  # one line
    return text if len(text) < 120 else text[:117] + "..."


def require_choice(fn: str, param: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{fn}: {param} must be one of {choices}, got {param}={value!r}")


def sorted_last(v: np.ndarray) -> Any:
    """Non-decreasing along the last axis."""
    return np.all(np.diff(v, axis=-1) >= 0) if v.ndim else True


#: The rules that ``Schedule.limits`` may name, each a check on a concrete leaf.
RULES: dict[str, Callable[[np.ndarray], Any]] = {
    "> 0": lambda v: v > 0,
    ">= 0": lambda v: v >= 0,
    ">= 1": lambda v: v >= 1,
    "sorted": sorted_last,
    "a non-empty sequence": lambda v: v.ndim > 0 and v.shape[-1] > 0,
    "an integer >= 1": lambda v: (v >= 1) & (v == v // 1),
}


# ----------------------------------------------------------------------------
# Numeric helpers shared by every schedule.


def float_dtype() -> Any:
    """float64 under ``jax_enable_x64``, float32 otherwise."""
    return jnp.float64 if x64() else jnp.float32


def fl(x: Any) -> jax.Array:
    """A leaf as a float array of the working dtype."""
    return jnp.asarray(x, dtype=float_dtype())


def clock(step: jax.typing.ArrayLike) -> jax.Array:
    """The step as an array; negative steps count as step 0."""
    t = jnp.asarray(step)
    if not (jnp.issubdtype(t.dtype, jnp.integer) or jnp.issubdtype(t.dtype, jnp.floating)):
        t = t.astype(jnp.int32)
    elif jnp.issubdtype(t.dtype, jnp.integer) and t.dtype not in (jnp.int32, jnp.int64):
        # Unsigned or narrow counts: ``t - steps`` (warmup, join, shift) must not wrap.
        t = t.astype(jnp.int64 if x64() else jnp.int32)
    return jnp.maximum(t, jnp.zeros((), t.dtype))


def is_int(x: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.integer)


def _int_dtype(*xs: Any) -> Any:
    """The integer type for exact arithmetic between the integer ones of ``xs``."""
    ints = [x for x in xs if is_int(x)]
    return jnp.promote_types(jnp.result_type(*ints), jnp.int32)


def _top(int_dtype: Any) -> float:
    """The largest working-dtype float that fits ``int_dtype`` (2**31 - 128 for int32 in
    float32): a whole float up to it converts to that integer type exactly."""
    top = np.iinfo(int_dtype).max
    f = np.asarray(top, float_dtype())
    return float(np.nextafter(f, f.dtype.type(0)) if int(f) > top else f)


def _whole(x: Any, int_dtype: Any) -> tuple[jax.Array, jax.Array]:
    """``x`` as ``int_dtype`` where it is a whole number in [1, max] (1 elsewhere), and
    where it is: integer leaves, and floats such as ``2.0`` or ``1000.0``."""
    if is_int(x):
        x = jnp.asarray(x)
        ok = x >= 1
        return jnp.where(ok, x, 1).astype(int_dtype), ok
    x = fl(x)
    ok = (x == jnp.floor(x)) & (x >= 1.0) & (x <= _top(int_dtype))
    return jnp.where(ok, x, 1.0).astype(int_dtype), ok


def difference(a: Any, b: Any) -> jax.Array:
    """``a - b`` in the working float dtype, without rounding an integer operand first.

    Two integers: integer subtraction (exact), rounded once to the float dtype. An
    integer against a float: the float's whole part is subtracted in the integer type and
    its fraction added after, so the result is the exact difference rounded at most twice
    (relative 2**-24 in float32) and its sign is always right: the int32 step
    ``2**31 - 1`` is below a float32 leaf ``2**31``, although float32 rounds the step to
    ``2**31``. Two floats: float subtraction. The gradient in a float operand is +-1.
    """
    if is_int(a) and is_int(b):
        return fl(jnp.subtract(a, b))
    if is_int(b):
        return _float_minus_int(fl(a), b)
    if is_int(a):
        return -_float_minus_int(fl(b), a)
    return fl(a) - fl(b)


def _float_minus_int(x: jax.Array, n: Any) -> jax.Array:
    int_dtype = _int_dtype(n)
    whole = jnp.clip(jnp.floor(x), 0.0, _top(int_dtype))  # converts exactly
    return fl(whole.astype(int_dtype) - jnp.asarray(n, int_dtype)) + (x - whole)


def before(t: Any, x: Any) -> jax.Array:
    """``t < x``, exact for an integer step against a float leaf (see :func:`difference`)."""
    if is_int(t) and is_int(x):
        return jnp.asarray(t) < x
    if not is_int(t):  # a float step is rounded already
        return fl(t) < fl(x)
    return difference(x, t) > 0


def thresholds(t: Any, b: Any) -> tuple[jax.Array, jax.Array]:
    """``(t2, b2)`` with ``t2 >= b2`` exactly when ``t >= b``, for comparing an integer step
    against float boundaries in integers (jax would round the step to float: in float32,
    29_999_999 >= 3e7). Other pairs are returned as they are.

    A boundary past the integer range becomes the largest integer, and the step at most
    one less, which no genuine boundary (at most the largest whole float below it) sees.
    """
    if not is_int(t) or is_int(b):
        return t, b
    # int64 under x64: float64 cannot hold its top either, so no boundary is the top.
    int_dtype = jnp.int64 if x64() else jnp.int32
    top, most = _top(int_dtype), np.iinfo(int_dtype).max
    c = jnp.ceil(fl(b))  # an integer t is >= b exactly when it is >= ceil(b)
    whole = jnp.clip(c, -top, top).astype(int_dtype)
    return jnp.minimum(jnp.asarray(t, int_dtype), most - 1), jnp.where(c > top, most, whole)


def floordiv(t: Any, d: Any) -> jax.Array:
    """floor(t / d): exact integer division when both are integers, or when an integer t
    meets a float d holding a whole number (the result is then a float); otherwise float
    division, corrected against correctly rounded products."""
    if is_int(t) and is_int(d):
        int_dtype = _int_dtype(t, d)
        return _divide(jnp.asarray(t, int_dtype), jnp.maximum(jnp.asarray(d, int_dtype), 1))
    q = _float_floordiv(fl(t), fl(d))
    if not is_int(t):
        return q
    int_dtype = _int_dtype(t)
    d_int, whole = _whole(d, int_dtype)
    return jnp.where(whole, fl(_divide(jnp.asarray(t, int_dtype), d_int)), q)


def _float_floordiv(t: jax.Array, d: jax.Array) -> jax.Array:
    q = jnp.floor(t / d)
    # XLA's float division may be an ulp off (41.0 / 41.0 < 1): floor(t / d) can then
    # miss an exact multiple by one. Products are correctly rounded, so check against them.
    q = jnp.where(q * d > t, q - 1.0, q)
    return jnp.where((q + 1.0) * d <= t, q + 1.0, q)


def _divide(t: jax.Array, d: jax.Array) -> jax.Array:
    """floor(t / d) for integers of one type, d >= 1, exactly and without integer
    division, which CPUs do not vectorise (it cost a quarter of a restart's time).

    The float quotient is within ``t / d * 2**-22 + 1`` of the truth (a few hundred at
    most); the remainder ``t - q * d`` is exact (integer arithmetic wraps, and the true
    remainder fits), so a second float quotient of it leaves an error of at most one,
    and the sign of the last remainder fixes that.
    """
    top = _top(t.dtype)  # the clip keeps the conversion defined; the fix-ups absorb it
    q = jnp.clip(jnp.floor(fl(t) / fl(d)), -top, top).astype(t.dtype)
    r = t - q * d
    q = q + jnp.floor(fl(r) / fl(d)).astype(t.dtype)
    r = t - q * d
    return jnp.where(r < 0, q - 1, jnp.where(r >= d, q + 1, q))


def progress(t: Any, end: Any, begin: Any = 0) -> tuple[jax.Array, jax.Array]:
    """Where ``t`` stands on ``[begin, end]``: ``(frac, rest)``, the parts done and left.

    ``frac = (t - begin) / L`` and ``rest = (end - t) / L`` with ``L = end - begin``,
    clipped to [0, 1]: exactly (0, 1) up to ``begin`` and (1, 0) from ``end`` on (an
    empty span is done from its end). ``rest`` comes from ``end - t`` itself, an exact
    integer when both are, so one step before the end of a long ramp it is ``1 / L``,
    where float32's ``1 - t / L`` is 0. :func:`anneal`, :func:`lerp` and
    :func:`half_cosine` take the pair.
    """
    if is_int(t):
        left, right = difference(t, begin), difference(end, t)
    else:  # a float step (a stretched clock) is rounded already: plain float arithmetic
        left, right = fl(t) - fl(begin), fl(end) - fl(t)
    span = difference(end, begin)
    # One reciprocal for both parts, written out: XLA picks x / y or x * (1 / y) by
    # context, which would make a batch differ from its rows by an ulp.
    inverse = 1.0 / jnp.where(span > 0, span, 1.0)
    done = right <= 0
    frac = jnp.where(done, 1.0, jnp.clip(left * inverse, 0.0, 1.0))
    # x * (1 / x) can be 1 - ulp: the start is exact by comparison, like the end. In
    # between, 0 < right < span: no clip.
    rest = jnp.where(done, 0.0, jnp.where(left <= 0, 1.0, right * inverse))
    return frac, rest


def fraction(t: Any, steps: Any) -> jax.Array:
    """t / steps clipped to [0, 1]; 1 at and after ``steps``, safe for steps = 0.

    Near the end of a long span prefer :func:`progress`, which also gives ``1 - frac``
    without rounding."""
    return progress(t, steps)[0]


def _pair(frac: Any) -> tuple[jax.Array, jax.Array]:
    """``(frac, 1 - frac)`` from a fraction, or the pair from :func:`progress` as is."""
    if isinstance(frac, tuple):
        return fl(frac[0]), fl(frac[1])
    frac = fl(frac)
    return frac, 1.0 - frac


def safe_pow(base: jax.Array, exponent: Any) -> jax.Array:
    """base ** exponent for base >= 0 with finite gradients at base = 0."""
    base = fl(base)
    exponent = fl(exponent)
    positive = base > 0
    value = jnp.exp(exponent * jnp.log(jnp.where(positive, base, 1.0)))
    return jnp.where(positive, value, jnp.where(exponent == 0, 1.0, 0.0))


# Taylor coefficients of cos and sin/x in y**2; on [0, pi/4] the truncation error is
# below 2e-10, far under float32's resolution.
_COS = tuple((-1) ** k / math.factorial(2 * k) for k in range(6))
_SIN = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(6))


def _series(coefficients: tuple[float, ...], z: jax.Array) -> jax.Array:
    result = jnp.full_like(z, coefficients[-1])
    for c in coefficients[-2::-1]:
        result = result * z + c
    return result


def half_cosine(frac: Any) -> jax.Array:
    """(1 + cos(pi * frac)) / 2 for frac in [0, 1], computed as cos(pi * frac / 2) ** 2.

    ``frac`` may be the pair ``(frac, 1 - frac)`` from :func:`progress`, whose exact
    complement is used above the midpoint. The squared half-angle form keeps full
    relative precision near frac = 1, where ``1 + cos`` cancels. In float32 a short
    polynomial on [0, pi/4] (cos below the midpoint, sin of the complement above)
    replaces ``jnp.cos``: about twice as fast as the library cosine and within 4e-7
    relative; float64 uses ``jnp.cos``/``jnp.sin``.
    """
    frac, rest = _pair(frac)
    low = frac <= 0.5
    y = jnp.where(low, frac, rest) * (jnp.pi / 2)
    if frac.dtype == jnp.float64:
        c = jnp.where(low, jnp.cos(y), jnp.sin(y))
    else:
        z = y * y
        c = jnp.where(low, _series(_COS, z), y * _series(_SIN, z))
    return c * c


def anneal(start: Any, end: Any, frac: Any, shape: str = "linear") -> jax.Array:
    """Moves from ``start`` to ``end`` as ``frac`` goes 0 -> 1, along ``shape``.

    ``frac`` may be the pair from :func:`progress`: each shape then takes what is left
    from its exact complement, so the step before the end is not already ``end``.
    """
    start, end = fl(start), fl(end)
    frac, rest = _pair(frac)
    if shape == "linear":
        w = (frac, rest)
    elif shape in ("cos", "cosine"):
        left = half_cosine((frac, rest))
        w = (1.0 - left, left)
    elif shape == "1-sqrt":
        positive = frac > 0  # sqrt has an infinite slope at 0: keep gradients finite
        root = jnp.where(positive, jnp.sqrt(jnp.where(positive, frac, 1.0)), 0.0)
        w = (root, rest / (1.0 + root))  # 1 - sqrt(x) without cancellation near x = 1
    elif shape == "exponential":  # geometric interpolation; start, end > 0
        # From the nearer end, so both ends and the steps next to them are exact.
        rise = start * safe_pow(end / jnp.where(start == 0, 1.0, start), frac)
        fall = end * safe_pow(start / jnp.where(end == 0, 1.0, end), rest)
        return jnp.where(rest <= 0, end, jnp.where(frac <= 0.5, rise, fall))
    elif shape == "constant":
        return jnp.where(rest <= 0, end, start)
    else:  # pragma: no cover - constructors validate shapes
        raise ValueError(f"unknown shape {shape!r}")
    return lerp(start, end, w)


def lerp(start: Any, end: Any, w: Any) -> jax.Array:
    """``start + (end - start) * w``, written so that w = 0 gives ``start`` and w = 1
    gives ``end`` exactly (the plain form misses ``end`` by an ulp in float32). ``w`` may
    be the pair ``(w, 1 - w)``, with the complement computed exactly by the caller."""
    w, rest = _pair(w)
    return fl(start) * rest + fl(end) * w


def power(base: Any, k: Any) -> jax.Array:
    """``base ** k`` for a count k >= 0; ``base ** 0`` is 1 with a finite gradient
    even at base = 0 (plain pow's gradient is 0 * inf there)."""
    base, k = fl(base), fl(k)
    return jnp.where(k == 0, 1.0, base ** jnp.maximum(k, 1.0))


def broadcast_all(value: jax.Array, *leaves: Any) -> jax.Array:
    """Broadcasts ``value`` against every leaf so the result shape follows DESIGN §1."""
    shape = jnp.broadcast_shapes(jnp.shape(value), *(jnp.shape(x) for x in leaves))
    return jnp.broadcast_to(value, shape)


def geometric_start(period: Any, mult: Any, k: Any) -> jax.Array:
    """Start of cycle k when cycle j lasts period * mult**j (mult == 1 allowed)."""
    period, mult, k = fl(period), fl(mult), fl(k)
    growing = mult > 1
    m = jnp.where(growing, mult, 2.0)
    return jnp.where(growing, _growing_start(period, m, m**k), period * k)


def _growing_start(period: jax.Array, m: jax.Array, power_of_m: jax.Array) -> jax.Array:
    """Start of the cycle k with ``power_of_m = m**k``, for m > 1."""
    # The ratio first, so the start of cycle 1 is exactly ``period`` (1.0 * period).
    return period * ((power_of_m - 1.0) / (m - 1.0))


def cycle_index(t: Any, period: Any, mult: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(k, t - start_k, length_k) for the cycle containing t, as floats.

    Cycle j lasts ``period * mult**j`` and starts at ``period * (mult**j - 1) / (mult - 1)``
    (``period * j`` for ``mult == 1``). A float estimate puts k within one; the starts
    of cycles k - 1, k and k + 1 then decide it. With an integer step and a whole period
    and mult (integer leaves, or floats such as ``2.0``) the starts are integers computed
    in integer arithmetic, so k and the local clock are exact for every step. Otherwise
    (a float step, a fractional period or mult) they are float estimates, good to a
    relative 1e-6 in float32 (tests/test_extremes.py measures it): a step that close to a
    start may fall into the neighbouring cycle, and the local clock is as precise. The
    local clock is returned as a float: exact below 2**24 in float32. Gradients in float
    leaves follow the float formulas.
    """
    tf, p, m = fl(t), fl(period), fl(mult)
    growing = m > 1
    safe_m = jnp.where(growing, m, 2.0)
    log_k = jnp.floor(jnp.log1p(tf * (safe_m - 1.0) / p) / jnp.log(safe_m))
    first = jnp.where(growing, log_k, jnp.floor(tf / p))  # k, give or take one
    j = jnp.maximum(first - 1.0, 0.0)
    # The float starts of cycles j, j + 1, j + 2 (S_{i+1} = m * S_i + p): one power.
    s0 = jnp.where(growing, _growing_start(p, safe_m, safe_m**j), p * j)
    s1 = m * s0 + p
    s2 = m * s1 + p
    in1 = tf >= s1
    in2 = in1 & (tf >= s2)
    k = j + in1 + in2
    begin = jnp.where(in2, s2, jnp.where(in1, s1, s0))
    local = jnp.maximum(tf - begin, 0.0)
    if is_int(t):
        exact_k, exact_begin, whole = _whole_cycle(t, period, mult, first)
        keep = jax.lax.stop_gradient
        # The exact values, with the float formulas' gradients (integers have none).
        k = jnp.where(whole, exact_k, k)
        exact_local = fl(jnp.asarray(t, exact_begin.dtype) - exact_begin)
        local = jnp.where(whole, exact_local, keep(local)) + (local - keep(local))
        begin = jnp.where(whole, fl(exact_begin), keep(begin)) + (begin - keep(begin))
    return k, local, (m - 1.0) * begin + p


def _whole_cycle(t: Any, period: Any, mult: Any, first: jax.Array) -> tuple[jax.Array, ...]:
    """k and the start of cycle k, exactly, for an integer t and a whole period and mult;
    and where period and mult are whole.

    ``first``, the float estimate of k, is within one of it for mult >= 2 (the float
    log); for mult == 1 (``t / period``) it is corrected once by its exact remainder. From
    ``j = first - 1`` the start ``S_j = period * (1 + mult + ... + mult**(j-1))`` (binary
    powering for mult >= 2, where ``j < bits``), then ``S_{j+1} = mult * S_j + period`` and
    ``S_{j+2}`` decide k among j, j+1, j+2. Integer arithmetic wraps, so it is exact
    modulo ``2**bits``: ``S_j <= t`` is exact, and a later start is exact and >= 0 unless
    it is past every step (its float estimate rules out a wrap all the way round).
    Signed integers throughout: they convert to floats natively.
    """
    int_dtype = _int_dtype(t, period, mult)
    bits = np.iinfo(int_dtype).bits
    t = jnp.asarray(t, int_dtype)
    p_int, p_ok = _whole(period, int_dtype)
    m_int, m_ok = _whole(mult, int_dtype)
    p, m = fl(period), fl(mult)
    growing = m_int > 1
    q = jnp.clip(first, 0.0, _top(int_dtype)).astype(int_dtype)  # the float t / period
    q = q + jnp.floor(fl(t - q * p_int) / fl(p_int)).astype(int_dtype)
    nbits = (bits - 1).bit_length()  # mult >= 2: k < bits
    j = jnp.where(growing, jnp.clip(first - 1.0, 0.0, 2.0**nbits - 1).astype(int_dtype), q - 1)
    j = jnp.maximum(j, 0)
    # (mult**j, 1 + mult + ... + mult**(j-1)) by binary powering, for mult >= 2.
    power, total = jnp.ones_like(m_int), jnp.zeros_like(m_int)
    chunk_power, chunk_total = m_int, jnp.ones_like(m_int)  # mult**(2**b), its partial sum
    for b in range(nbits):
        take = ((j >> b) & 1) == 1
        total = jnp.where(take, total + power * chunk_total, total)
        power = jnp.where(take, power * chunk_power, power)
        if b + 1 < nbits:
            chunk_total = chunk_total + chunk_power * chunk_total
            chunk_power = chunk_power * chunk_power
    s0 = p_int * jnp.where(growing, total, j)
    s1 = m_int * s0 + p_int
    s2 = m_int * s1 + p_int
    fits = 0.75 * 2.0**bits
    f1 = m * fl(s0) + p
    in1 = (f1 < fits) & (s1 >= 0) & (s1 <= t)
    in2 = in1 & (m * f1 + p < fits) & (s2 >= 0) & (s2 <= t)
    k = fl(j + in1.astype(int_dtype) + in2.astype(int_dtype))
    return k, jnp.where(in2, s2, jnp.where(in1, s1, s0)), p_ok & m_ok
