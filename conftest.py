"""Doctests see the public API by name, as a user who ran ``from schedalg import *``."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _schedalg_names(doctest_namespace):
    import schedalg

    for name in schedalg.__all__:
        doctest_namespace[name] = getattr(schedalg, name)
    doctest_namespace["sa"] = schedalg
