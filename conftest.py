"""Doctests see the public API by name, as a user who ran ``from schedalg import *``."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests draw the same examples on every run of `make test` (CI's too): a red run
# is a failure anyone can replay, not a draw. `make fuzz` draws new examples every run
# (--hypothesis-profile=fuzz), keeping failures in .hypothesis/ to replay.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("fuzz", derandomize=False)
settings.load_profile("repeatable")


@pytest.fixture(autouse=True)
def _schedalg_names(doctest_namespace):
    import schedalg

    for name in schedalg.__all__:
        doctest_namespace[name] = getattr(schedalg, name)
    doctest_namespace["sa"] = schedalg
