"""The test catalogue (tests/catalogue.py) covers every schedule class, and the public
namespace is what ``schedalg.__all__`` says.

A class registered without a catalogue entry, or an entry missing what the per-class
tests read, fails here first: the formula, extremes, bad-input, parse-fuzz, law and
random-tree tests all take their classes from the catalogue.
"""

import inspect
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schedalg as sa
from schedalg._core import REGISTRY
from tests.catalogue import CATALOGUE, Levels, duration, reference

NAMES = sorted(CATALOGUE)


def test_every_registered_class_has_an_entry_and_every_entry_a_class():
    assert set(REGISTRY) - set(CATALOGUE) == set(), "add an Entry to tests/catalogue.py"
    assert set(CATALOGUE) - set(REGISTRY) == set(), "catalogue entries of no registered class"


@pytest.mark.parametrize("name", NAMES)
def test_entry_is_complete(name):
    entry = CATALOGUE[name]
    assert type(entry.example).__name__ == name
    assert entry.variants, f"{name}: no variants for tests/test_extremes.py"
    assert entry.bad, f"{name}: no bad inputs for tests/test_bad_inputs.py"
    if not entry.wraps:
        assert entry.cases, f"{name}: a primitive without cases for tests/test_primitives.py"
    assert all(type(s).__name__ == name for c in entry.cases for s in c.schedules)
    for s in [entry.example, *(v.schedule for v in entry.variants)]:
        assert np.all(np.isfinite(reference(s, np.arange(3)))), repr(s)


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_limit_has_a_bad_input(name):
    """Each rule a class declares in ``limits`` is tried, with its words, by a bad input."""
    tried = {(p, b.rule) for c in CATALOGUE[name].bad for b in c.checks for p in b.params}
    for field, rule in REGISTRY[name].rules():
        assert any(p == field and rule in r for p, r in tried), (field, rule)


@pytest.mark.parametrize("name", NAMES)
def test_variants_root_at_their_class(name):
    assert {type(v.schedule).__name__ for v in CATALOGUE[name].variants} == {name}


def test_ids_are_unique():
    for field in ("cases", "variants", "zero"):
        ids = [x.id for e in CATALOGUE.values() for x in getattr(e, field)]
        assert len(ids) == len(set(ids)), field


@pytest.mark.parametrize("name", NAMES)
def test_duration_rule_agrees_with_the_library(name):
    entry = CATALOGUE[name]
    for s in [entry.example, *(v.schedule for v in entry.variants)]:
        got, want = s.duration, duration(s)
        assert (got is None) == (want is None), repr(s)
        if want is not None:
            assert float(got) == pytest.approx(want, rel=1e-6), repr(s)


@pytest.mark.parametrize("name", NAMES)
def test_text_form_round_trips_exactly_where_the_class_has_one(name):
    entry = CATALOGUE[name]
    if entry.text:
        assert repr(sa.parse(repr(entry.example))) == repr(entry.example)
    else:
        with pytest.raises(ValueError):
            sa.parse(repr(entry.example))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_strategy_draws_its_own_class(name, data):
    entry = CATALOGUE[name]
    levels = Levels(high=st.floats(-1.0, 1.0), low=st.floats(-1.0, 1.0))
    children = CATALOGUE["linear"].strategy(levels, st.nothing())
    s = data.draw(entry.strategy(levels, children))
    assert type(s).__name__ == name


# ----------------------------------------------------------------------------
# The public namespace.


def _defined_in_schedalg(value):
    module = getattr(value, "__module__", None) or ""
    return module == "schedalg" or module.startswith("schedalg.")


def test_every_public_name_is_in_all():
    public = {
        name
        for name, value in vars(sa).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)  # submodules: sa.optax, sa.recipes
        and (inspect.isclass(value) or callable(value))
        and _defined_in_schedalg(value)
    }
    assert public - set(sa.__all__) == set(), "public names missing from schedalg.__all__"


def test_every_name_in_all_exists():
    assert len(sa.__all__) == len(set(sa.__all__)), "a name twice in schedalg.__all__"
    assert [n for n in sa.__all__ if not hasattr(sa, n)] == []


def test_every_registered_class_is_public():
    assert set(REGISTRY) <= set(sa.__all__)
    assert all(getattr(sa, name) is cls for name, cls in REGISTRY.items())
