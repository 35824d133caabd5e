"""repeat: the clock rewind used by braintools' CyclicLR."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import schedalg as sa
from schedalg._clock import repeat


def test_repeat_rewinds_the_clock_every_period():
    s = repeat(sa.linear(0.0, 1.0, 10), 5, rewind=4)
    # clock: t - 4 * floor(t / 5)
    got = [round(float(s(t)), 6) for t in [0, 4, 5, 9, 10, 14, 15]]
    assert got == [0.0, 0.4, 0.1, 0.5, 0.2, 0.6, 0.3]


def test_repeat_defaults_to_plain_repetition_without_stretching():
    s = repeat(sa.linear(0.0, 1.0, 10), 4)
    np.testing.assert_allclose(s(jnp.arange(12)), [0, 0.1, 0.2, 0.3] * 3, rtol=1e-6)
    assert s.duration is None


def test_repeat_with_a_longer_rewind_reads_a_negative_clock_as_zero():
    s = repeat(sa.linear(1.0, 0.0, 10), 4, rewind=5)
    # t = 4 reads clock 4 - 5 = -1 and t = 8 reads 8 - 10 = -2: both count as step 0.
    assert [round(float(s(t)), 6) for t in [3, 4, 5, 6, 8]] == [0.7, 1.0, 1.0, 0.9, 1.0]


def test_repeat_counts_cycles_exactly_at_large_integer_steps():
    s = repeat(sa.piecewise_constant([1], [0.0, 1.0]), 1000, rewind=1000)
    steps = jnp.asarray([2_000_000_000, 2_000_000_001, 2_147_482_999], jnp.int32)
    assert s(steps).tolist() == [0.0, 1.0, 1.0]


def test_repeat_is_jittable_and_vmappable_over_stacked_leaves():
    batch = sa.stack([repeat(sa.linear(0.0, 1.0, 10), 5, rewind=r) for r in (5, 4, 0)])
    got = jax.jit(jax.vmap(lambda s: s(jnp.asarray(7))))(batch)
    np.testing.assert_allclose(got, [0.2, 0.3, 0.7], rtol=1e-6)
    np.testing.assert_allclose(sa.evaluate(batch, [7]), [[0.2], [0.3], [0.7]], rtol=1e-6)


def test_repeat_round_trips_through_its_text_form():
    s = repeat(sa.cyclic(0.0, 1.0, 3), 8, rewind=6)
    assert repr(s) == "repeat(cyclic(low=0.0, high=1.0, up=3), every=8, rewind=6)"
    assert repr(sa.parse(repr(s))) == repr(s)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(every=0), "repeat: every must be > 0, got every=0"),
        (dict(every=5, rewind=-1), "repeat: rewind must be >= 0, got rewind=-1"),
    ],
)
def test_repeat_validates_its_numbers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        repeat(sa.constant(1.0), **kwargs)
