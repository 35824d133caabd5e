"""Shared set-up of the parity tests: every test runs in float64 (x64 on, then restored),
and the ``copy`` fixture rebuilds a schedule without any of its objects."""

import jax
import pytest

import schedalg as sa


@pytest.fixture(autouse=True)
def _x64():
    """Enables ``jax_enable_x64`` for one test and restores the previous setting."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


def _holds_code(schedule: sa.Schedule) -> bool:
    """Whether a ``custom`` node (a Python function, with no text form) is in the tree."""
    if isinstance(schedule, sa.custom):
        return True
    return any(_holds_code(child) for _, child in schedule.children())


def _text(schedule: sa.Schedule) -> sa.Schedule:
    if _holds_code(schedule):
        pytest.skip("a schedule holding a Python function has no text form")
    return sa.parse(repr(schedule))


def _dict(schedule: sa.Schedule) -> sa.Schedule:
    if _holds_code(schedule):
        pytest.skip("a schedule holding a Python function has no dict form")
    return sa.from_dict(sa.to_dict(schedule))


COPIES = {
    "tree_map": lambda schedule: jax.tree.map(lambda leaf: leaf, schedule),
    "parse_repr": _text,
    "from_dict_to_dict": _dict,
}


@pytest.fixture(params=sorted(COPIES))
def copy(request):
    """One way to copy a schedule that keeps none of its objects: ``jax.tree.map``,
    ``sa.parse(repr(s))`` or ``sa.from_dict(sa.to_dict(s))`` (the text forms skip a
    schedule that holds a Python function)."""
    return COPIES[request.param]
