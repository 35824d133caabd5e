"""The LR range test on quadratics whose stable range is known: SGD on
``0.5 * sum(h * x**2)`` converges iff ``lr < 2 / max(h)``."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import schedalg as sa
from schedalg.lr_finder import LRFindResult, lr_find, lr_find_band, ramp

L = 10.0
H = np.linspace(1.0, L, 8)
STABLE = 2.0 / L


def quadratic(params, batch):
    return 0.5 * jnp.sum(H * (params - batch) ** 2) + 0.05


def numpy_range_test(x0, lrs, batches, smooth, diverge):
    """The test written independently: plain SGD, float64, stop on divergence."""
    x, avg, best, losses, smoothed = np.array(x0, np.float64), 0.0, np.inf, [], []
    for i, lr in enumerate(lrs):
        b = batches[i % len(batches)]
        loss = 0.5 * np.sum(H * (x - b) ** 2) + 0.05
        avg = (1 - smooth) * avg + smooth * loss
        s = avg / (1 - (1 - smooth) ** (i + 1))
        losses.append(loss)
        smoothed.append(s)
        x = x - lr * H * (x - b)
        if s > diverge * best:
            break
        best = min(best, s)
    return np.array(losses), np.array(smoothed)


def test_lr_find_stops_past_the_stable_bound_and_suggests_inside_it():
    batches = np.zeros((1, 8))
    r = lr_find(quadratic, jnp.ones(8), batches, steps=100)
    assert isinstance(r, LRFindResult)
    stop = r.stopped_at
    assert stop is not None and r.lrs[stop - 1] > STABLE  # no divergence while stable
    assert r.mask[:stop].all() and not r.mask[stop:].any()
    assert np.isnan(r.losses[stop:]).all() and np.isfinite(r.losses[:stop]).all()
    stable = r.lrs[:stop] < STABLE
    assert np.all(np.diff(r.smoothed[:stop][stable]) < 0)  # descends while stable
    for name, lr in r.suggestions.items():
        assert 1e-3 < lr < STABLE, (name, lr)
    losses, smoothed = numpy_range_test(np.ones(8), r.lrs, batches, 0.05, 5.0)
    assert len(losses) == stop
    np.testing.assert_allclose(r.losses[:stop], losses, rtol=2e-4)
    np.testing.assert_allclose(r.smoothed[:stop], smoothed, rtol=2e-4)


def test_lr_find_ramp_is_the_schedalg_schedule():
    r = lr_find(quadratic, jnp.ones(8), np.zeros((1, 8)), start=1e-5, end=1e-1, steps=30)
    np.testing.assert_allclose(r.lrs, sa.evaluate(sa.exponential(1e-5, 1e4, 29), np.arange(30)))
    assert r.lrs[0] == pytest.approx(1e-5) and r.lrs[-1] == pytest.approx(1e-1, rel=1e-5)
    assert r.stopped_at is None and r.mask.all()  # never leaves the stable range
    lin = lr_find(quadratic, jnp.ones(8), np.zeros((1, 8)), start=0.0, end=0.5, mode="linear")
    np.testing.assert_allclose(lin.lrs, np.linspace(0.0, 0.5, 100), atol=1e-7)
    assert lin.lrs[lin.stopped_at - 1] > STABLE
    assert 0.0 < lin.minimum < STABLE and 0.0 < lin.steepest < STABLE
    assert isinstance(ramp(0.0, 1.0, 21, "linear"), sa.linear)


def test_lr_find_masks_steps_after_divergence_without_evaluating_them():
    calls = []

    def loss_fn(params, batch):
        jax.debug.callback(lambda: calls.append(1))
        return quadratic(params, batch)

    r = lr_find(loss_fn, jnp.ones(8), np.zeros((1, 8)), steps=100)
    assert r.stopped_at is not None and r.stopped_at < 100
    assert len(calls) == r.stopped_at  # masked steps run no forward pass


def test_lr_find_never_mutates_params_and_does_not_retrace_for_new_lrs():
    traces = []

    def loss_fn(params, batch):
        traces.append(1)
        return quadratic(params["x"], batch)

    params = {"x": np.ones(8, np.float32)}
    before = params["x"].copy()
    lr_find(loss_fn, params, np.zeros((1, 8)), start=1e-6, end=1.0, steps=40)
    n = len(traces)
    lr_find(loss_fn, params, np.zeros((1, 8)), start=1e-4, end=5.0, steps=40, smooth=0.1)
    assert len(traces) == n  # the ramp and the smoothing are arguments of the jitted scan
    np.testing.assert_array_equal(params["x"], before)


def test_lr_find_with_momentum_optimizer_stays_finite():
    opt = lambda learning_rate: optax.sgd(learning_rate, momentum=0.9)
    noise = 0.05 * np.random.default_rng(0).standard_normal((50, 8))
    r = lr_find(quadratic, jnp.ones(8), noise, opt, steps=100)
    assert r.stopped_at is not None
    # heavy-ball SGD on a quadratic is stable iff lr < 2 (1 + momentum) / L
    assert r.lrs[r.stopped_at - 1] > STABLE
    for lr in r.suggestions.values():
        assert 1e-4 < lr < 2 * 1.9 / L


def test_lr_find_band_vmaps_seeds_each_like_its_own_run(tmp_path):
    noise = 0.05 * np.random.default_rng(1).standard_normal((3, 100, 8))
    band = lr_find_band(quadratic, jnp.ones(8), noise, steps=100, params_axis=None)
    assert band.losses.shape == band.smoothed.shape == band.mask.shape == (3, 100)
    for seed in range(3):
        alone = lr_find(quadratic, jnp.ones(8), noise[seed], steps=100)
        np.testing.assert_array_equal(band.mask[seed], alone.mask)
        ok = alone.mask
        np.testing.assert_allclose(band.smoothed[seed][ok], alone.smoothed[ok], rtol=1e-5)
    assert band.stopped_at == min(int(np.argmin(m)) for m in band.mask)
    for name, lr in band.suggestions.items():
        assert 1e-3 < lr < STABLE, (name, lr)
    path = band.plot(str(tmp_path / "band.png"))
    assert (tmp_path / "band.png").stat().st_size > 1000 and path.endswith("band.png")


def test_lr_find_band_per_seed_params():
    params = jnp.stack([jnp.ones(8), -jnp.ones(8)])
    band = lr_find_band(quadratic, params, np.zeros((1, 8)), steps=60, batches_axis=None)
    assert band.losses.shape == (2, 60)
    np.testing.assert_allclose(band.losses[0], band.losses[1], rtol=1e-5)  # symmetric


def test_lr_find_plot_writes_a_png(tmp_path):
    r = lr_find(quadratic, jnp.ones(8), np.zeros((1, 8)), steps=60)
    r.plot(str(tmp_path / "lr.png"))
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(mode="cubic"), r"lr_find: mode must be one of \('exp', 'linear'\)"),
        (dict(start=0.0), r"lr_find: start must be > 0 for mode='exp', got start=0.0"),
        (dict(start=1.0, end=0.5), r"lr_find: end must be > start=1.0, got end=0.5"),
        (dict(steps=1), r"lr_find: steps must be an integer >= 2, got steps=1"),
        (dict(smooth=0.0), r"lr_find: smooth must be in \(0, 1\], got smooth=0.0"),
        (dict(diverge=1.0), r"lr_find: diverge must be > 1, got diverge=1.0"),
    ],
)
def test_lr_find_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lr_find(quadratic, jnp.ones(8), np.zeros((1, 8)), **kwargs)
