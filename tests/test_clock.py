"""Clock transforms (schedalg/_clock.py): what the catalogue's shared tests do not pin."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa

KNOTS = [7, 13, 29, 41, 97, 173, 399]
STAIRS = sa.piecewise_constant(KNOTS, [2.0**-k for k in range(len(KNOTS) + 1)])


@pytest.mark.parametrize("inner", [STAIRS, sa.multistep(1.0, KNOTS, 0.5), sa.cosine(1.0, 0.0, 399)])
def test_warp_with_power_one_is_the_schedule_at_every_step(inner):
    t = np.arange(600)
    np.testing.assert_array_equal(np.asarray(sa.warp(inner, 1.0)(t)), np.asarray(inner(t)))


def test_warp_with_a_batched_power_keeps_power_one_exact_and_bends_the_others():
    powers = jnp.array([1.0, 2.0])
    t = jnp.arange(400)
    values = jax.vmap(lambda k: sa.warp(STAIRS, k)(t))(powers)
    np.testing.assert_array_equal(np.asarray(values[0]), np.asarray(STAIRS(t)))
    # power 2: the knot at 97 is reached at sqrt(97 / 399) * 399 = 196.7, so step 197.
    assert float(values[1][196]) == float(STAIRS(96)) and float(values[1][197]) == float(STAIRS(97))


def test_warp_keeps_both_ends_and_its_gradient_in_the_power_is_finite():
    s = sa.linear(0.0, 1.0, 100)
    for k in (0.5, 1.0, 3.0):
        assert float(sa.warp(s, k)(0)) == 0.0 and float(sa.warp(s, k)(100)) == 1.0
    grad = jax.grad(lambda k: sa.warp(s, k)(50))(1.0)
    # d/dk of (t/T)**k at t/T = 1/2 is log(1/2) / 2**k.
    assert float(grad) == pytest.approx(np.log(0.5) / 2.0, rel=1e-5)
