"""Shared set-up of the parity tests: every test runs in float64 (x64 on, then restored)."""

import jax
import pytest


@pytest.fixture(autouse=True)
def _x64():
    """Enables ``jax_enable_x64`` for one test and restores the previous setting."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)
