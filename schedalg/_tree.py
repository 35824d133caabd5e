"""Walking a schedule's tree: its leaves by path, its float leaves and the rest (for
``jax.grad`` and optax), and its numbers by role (what ``learn`` and ``sweep`` resolve).

Every number of a schedule is a leaf, durations and milestones included, and those are
usually integers: ``jax.grad(f)(schedule)`` then fails (JAX differentiates only inexact
inputs unless told ``allow_int=True``, and an optax optimizer cannot update an integer).
:func:`partition` splits the tree in two trees of the same structure, equinox-style:
one holds the float leaves (``None`` elsewhere), the other everything else;
:func:`combine` puts them back together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp

from schedalg._core import Schedule, evolve

# ----------------------------------------------------------------------------
# Walking the tree: every numeric leaf with its path, and rebuilding with new leaves.
# Paths are the ones ``jax.tree_util.keystr`` writes without the leading dot
# (``schedule.steps``, ``pieces[1].start``); a vector field's rank says how many trailing
# axes are its own (milestones, knots), the rest being a batch.


def leaf_fields(schedule: Schedule) -> Iterator[tuple[str, str, Any, int]]:
    """(path, field, value, vector rank) for every numeric leaf, depth first."""

    def walk(node: Schedule, path: str):
        for f in dataclasses.fields(node):
            if f.metadata.get("static"):
                continue
            value = getattr(node, f.name)
            where = f"{path}.{f.name}" if path else f.name
            if isinstance(value, Schedule):
                yield from walk(value, where)
            elif isinstance(value, tuple):
                for i, v in enumerate(value):
                    yield from walk(v, f"{where}[{i}]")
            elif isinstance(value, dict):
                for k, v in value.items():
                    yield f"{where}[{k!r}]", k, v, 0
            elif value is not None:
                yield where, f.name, value, f.metadata.get("rank", 0)

    yield from walk(schedule, "")


def map_leaves(schedule: Schedule, fn: Callable[[Any, int], Any]) -> Schedule:
    """Rebuilds the tree with ``fn(leaf, rank)`` applied to every numeric leaf."""

    def rebuild(node: Schedule) -> Schedule:
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(node):
            if f.metadata.get("static"):
                continue
            value = getattr(node, f.name)
            if isinstance(value, Schedule):
                changes[f.name] = rebuild(value)
            elif isinstance(value, tuple):
                changes[f.name] = tuple(rebuild(v) for v in value)
            elif isinstance(value, dict):
                changes[f.name] = {k: fn(v, 0) for k, v in value.items()}
            elif value is not None:
                changes[f.name] = fn(value, f.metadata.get("rank", 0))
        return evolve(node, **changes)

    return rebuild(schedule)


def paths(schedule: Schedule) -> dict[str, Any]:
    """``{path: leaf}`` for every leaf, paths as ``"schedule.steps"``, ``"pieces[1].start"``."""
    flat = jax.tree_util.tree_flatten_with_path(schedule)[0]
    return {jax.tree_util.keystr(p).lstrip("."): v for p, v in flat}


def with_paths(schedule: Schedule, values: dict[str, Any]) -> Schedule:
    """A copy of ``schedule`` with the leaves at the given paths replaced (no validation)."""
    flat, treedef = jax.tree_util.tree_flatten_with_path(schedule)
    leaves = [values.get(jax.tree_util.keystr(p).lstrip("."), v) for p, v in flat]
    return jax.tree_util.tree_unflatten(treedef, leaves)


def same_structure(a: Any, b: Any, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether two trees have one structure (classes, static fields, leaf positions)."""
    first, second = jax.tree.structure(a, is_leaf=is_leaf), jax.tree.structure(b, is_leaf=is_leaf)
    return bool(first == second)  # type: ignore[operator]  # PyTreeDef is untyped


# ----------------------------------------------------------------------------
# Float leaves and the rest.


def _is_float(leaf: Any) -> bool:
    """A Python float or an array (concrete or traced) of inexact dtype."""
    if isinstance(leaf, float):
        return True
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.inexact)


def _is_none(x: Any) -> bool:
    return x is None


def partition(schedule: Schedule) -> tuple[Schedule, Schedule]:
    """Splits ``schedule`` into ``(floats, rest)``: two trees of its structure, the first
    holding its float leaves and the second its other leaves, ``None`` where the other
    holds the leaf.

    Float leaves are Python floats and arrays of inexact dtype: values, factors, and
    durations written as floats. Integer leaves (step counts, milestones, periods) go
    to ``rest``. ``floats`` is what ``jax.grad`` differentiates and what an optax
    optimizer updates; :func:`combine` rebuilds the schedule (without validation, so
    traced or updated leaves flow). To learn a duration too, give it as a float
    (``cosine(1.0, 0.0, 100.0)``): durations are continuous in the closed forms.

    Args:
        schedule: any schedule, single or batched (or any pytree).

    Returns:
        ``(floats, rest)``, each a schedule of the same classes with some leaves None.

    Example:
        >>> import jax
        >>> s = sa.warmup(sa.cosine(0.1, 0.0, 90), 10)
        >>> floats, rest = sa.partition(s)
        >>> floats.schedule.start, floats.steps, rest.steps
        (0.1, None, 10)
        >>> loss = lambda s: s(20)
        >>> g = jax.grad(lambda f: loss(sa.combine(f, rest)))(floats)
        >>> round(float(g.schedule.start), 4)  # d s(20) / d start
        0.9698
    """
    floats = jax.tree.map(lambda x: x if _is_float(x) else None, schedule)
    rest = jax.tree.map(lambda x: None if _is_float(x) else x, schedule)
    return floats, rest


def combine(floats: Schedule, rest: Schedule) -> Schedule:
    """The schedule whose leaves are those of ``floats`` where not None, else ``rest``'s:
    the inverse of :func:`partition`.

    Args:
        floats: the float half from :func:`partition`, possibly updated (a gradient
            step, an optax update) or traced.
        rest: the other half, from the same :func:`partition`.

    Returns:
        The schedule, rebuilt without validation.

    Example:
        An optax step on the float leaves of a schedule; the integer leaves stay as
        they are.

        >>> import jax, optax
        >>> s = sa.warmup(sa.cosine(0.1, 0.0, 90), 10)
        >>> floats, rest = sa.partition(s)
        >>> opt = optax.sgd(0.5)
        >>> state = opt.init(floats)
        >>> g = jax.grad(lambda f: sa.combine(f, rest)(20))(floats)
        >>> updates, state = opt.update(g, state, floats)
        >>> new = sa.combine(optax.apply_updates(floats, updates), rest)
        >>> round(float(new.schedule.start), 4), new.steps
        (-0.3849, 10)
    """
    if not same_structure(floats, rest, is_leaf=_is_none):
        raise ValueError(
            "combine: floats and rest must be the two halves of one sa.partition (the same "
            f"structure), got floats={floats!r} and rest={rest!r}"
        )
    return jax.tree.map(lambda f, r: r if f is None else f, floats, rest, is_leaf=_is_none)


# ----------------------------------------------------------------------------
# Roles: the numbers of a tree by meaning (what ``learn`` and ``sweep`` resolve).


def main(schedule: Schedule) -> tuple[Schedule, str, str | None]:
    """``(node, prefix, warmup)``: the main schedule under the wrappers (nodes whose
    ``schedule`` field holds a schedule: warmup, restart, scale, shift, repeat, ...), the
    path prefix that reaches it (``"schedule.schedule."``), and the path of the outermost
    warmup length on the way (a node whose ``roles`` has ``warmup``), if any.

    Example:
        >>> from schedalg._tree import main
        >>> node, prefix, warm = main(sa.repeat(sa.warmup(sa.cosine(1.0, 0.0, 90), 10), 100))
        >>> node.name, prefix, warm
        ('cosine', 'schedule.schedule.', 'schedule.steps')
    """
    node: Any = schedule
    prefix, warm = "", None
    while isinstance(getattr(node, "schedule", None), Schedule):
        if warm is None and "warmup" in node.roles:
            warm = prefix + node.roles["warmup"]
        node, prefix = node.schedule, prefix + "schedule."
    return node, prefix, warm


def role_path(schedule: Schedule, role: str) -> str | None:
    """The path of the leaf that plays ``role`` (see :attr:`Schedule.roles`), or ``None``.

    ``peak``, ``end``, ``steps``, ``exponent`` and ``knots`` belong to the main schedule
    (:func:`main`). ``warmup`` is the outermost warmup on the way to it, else the main
    schedule's own (wsd's), else the first warmup anywhere in the tree, depth first.

    Example:
        >>> from schedalg._tree import role_path
        >>> s = sa.warmup(sa.wsd(1.0, 0, 800, 200), 50)
        >>> role_path(s, "peak"), role_path(s, "steps"), role_path(s, "warmup")
        ('schedule.peak', 'schedule.decay', 'steps')
    """
    node, prefix, warm = main(schedule)
    if role != "warmup":
        field = node.roles.get(role)
        return None if field is None else prefix + field
    if warm is not None:
        return warm
    if "warmup" in node.roles:
        return prefix + node.roles["warmup"]
    return _first_warmup(schedule, "")


def _first_warmup(node: Schedule, prefix: str) -> str | None:
    if "warmup" in node.roles:
        return prefix + node.roles["warmup"]
    for name, child in node.children():
        found = _first_warmup(child, f"{prefix}{name}.")
        if found is not None:
            return found
    return None
