"""The CNN in one place: the Flax module is Flax's own layers, and every formulation of
the forward pass (``lax``, the custom-VJP ``conv3x3``, im2col ``taps``) is the same
function of the same parameters, with the same gradients (first and second order)."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from schedalg.train.model import (
    CNN,
    CONVS,
    conv3x3,
    conv_lax,
    conv_taps,
    forward,
    init_like,
    layout,
)

#: Two convolutions of few and of many channels (both ways of conv3x3's kernel gradient).
SMALL = CNN(classes=5, features=(3, 12), hidden=16)


class FlaxCNN(nn.Module):
    """The network written with Flax's own layers (the trainer's CNN before it shared
    :func:`forward`): the reference for layout, initialization and logits."""

    classes: int = 10
    features: tuple[int, ...] = (16, 32)
    hidden: int = 64

    @nn.compact
    def __call__(self, x):
        for i, features in enumerate(self.features):
            x = nn.relu(nn.Conv(features, (3, 3), padding="SAME", name=f"conv{i + 1}")(x))
        h, w, c = x.shape[-3] // 2, x.shape[-2] // 2, x.shape[-1]
        lead = x.shape[:-3]
        x = x[..., : 2 * h, : 2 * w, :].reshape(*lead, h, 2, w, 2, c).mean(axis=(-4, -2))
        x = nn.relu(nn.Dense(self.hidden, name="dense1")(x.reshape(*lead, h * w * c)))
        return nn.Dense(self.classes, name="dense2")(x)


def params_for(model: CNN, image_shape: tuple[int, ...], seed: int = 0) -> dict:
    """The trainer's initial parameters, with nonzero biases (so they are exercised)."""
    params = init_like(layout(model, image_shape), seed)
    rng = np.random.default_rng(seed + 1)
    for layer in params.values():
        layer["bias"] = 0.1 * rng.standard_normal(layer["bias"].shape).astype(np.float32)
    return params


def images(shape: tuple[int, ...], seed: int = 0) -> jax.Array:
    return jnp.asarray(np.random.default_rng(seed).uniform(size=shape), jnp.float32)


def test_layout_and_initialization_are_flax_layers():
    x = images((2, 8, 8, 1))
    key = jax.random.PRNGKey(4)
    ours = CNN().init(key, x)["params"]
    theirs = FlaxCNN().init(key, x)["params"]
    assert jax.tree.structure(ours) == jax.tree.structure(theirs)
    for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs)):
        assert a.dtype == b.dtype and np.array_equal(a, b)  # the same random draws
    zeros = layout(CNN(), (8, 8, 1))
    assert jax.tree.map(np.shape, zeros) == jax.tree.map(np.shape, ours)
    assert not any(np.any(v) for v in jax.tree.leaves(zeros))


@pytest.mark.parametrize("shape", [(4, 8, 8, 1), (2, 3, 7, 9, 2), (6, 6, 1)])
def test_every_formulation_gives_the_flax_layers_logits(shape):
    """Any leading axes (or none); odd sizes drop the pool's last row and column."""
    model = CNN(classes=5, features=(3, 12), hidden=16)
    params = params_for(model, shape[-3:])
    x = images(shape)
    expected = jax.jit(FlaxCNN(5, (3, 12), 16).apply)({"params": params}, x)
    assert expected.shape == (*shape[:-3], 5)
    for conv in ("lax", "taps"):  # the Flax module's own formulations
        got = jax.jit(CNN(5, (3, 12), 16, conv).apply)({"params": params}, x)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=conv)
    for name, conv in CONVS.items():  # the functional forward pass
        got = jax.jit(forward, static_argnums=2)(params, x, conv)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=name)


def test_lax_formulation_is_exactly_flax_conv():
    # the single-run trainer's numbers are those of nn.Conv / nn.Dense, to the bit
    params = params_for(CNN(), (8, 8, 1))
    x = images((16, 8, 8, 1))
    expected = jax.jit(FlaxCNN().apply)({"params": params}, x)
    assert np.array_equal(jax.jit(CNN().apply)({"params": params}, x), expected)


@pytest.mark.parametrize("channels", [3, 12])  # both ways of the kernel's gradient
def test_conv3x3_equals_flax_conv_values_and_gradients(channels):
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((2, 5, 6, channels)), jnp.float32)
    conv = nn.Conv(4, (3, 3), padding="SAME")
    params = conv.init(jax.random.PRNGKey(1), x)["params"]
    k, b = params["kernel"], params["bias"] + 0.1

    def ours(x, k, b):
        return jnp.sum(jnp.sin(conv3x3(x, k, b)))

    def theirs(x, k, b):
        return jnp.sum(jnp.sin(conv.apply({"params": {"kernel": k, "bias": b}}, x)))

    expected = conv.apply({"params": {"kernel": k, "bias": b}}, x)
    np.testing.assert_allclose(conv3x3(x, k, b), expected, rtol=1e-5, atol=1e-6)
    for other in (conv_lax, conv_taps):
        np.testing.assert_allclose(other(x, k, b), expected, rtol=1e-5, atol=1e-6)
    grads = [jax.jit(jax.grad(f, (0, 1, 2)))(x, k, b) for f in (ours, theirs)]
    for a, e in zip(*grads):
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5)


def _loss(conv, params, x, y):
    out = forward(params, x, conv)
    return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()


def test_network_gradients_equal_across_formulations():
    """conv3x3's hand-written backward pass (population training) and the im2col
    products (meta-learning) give JAX's gradient of the lax network."""
    params = params_for(SMALL, (8, 8, 1))
    x, y = images((8, 8, 8, 1)), jnp.arange(8) % 5
    grad = jax.jit(jax.grad(_loss, (1, 2)), static_argnums=0)
    expected = grad(conv_lax, params, x, y)
    for conv in (conv3x3, conv_taps):
        got = grad(conv, params, x, y)
        for a, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected)):
            np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-6)


def test_second_derivatives_equal_across_formulations():
    """Meta-learning differentiates a gradient step: the derivative of the loss after
    one step, with respect to the step size, is the same for every formulation."""
    params = params_for(SMALL, (8, 8, 1))
    x, y = images((8, 8, 8, 1)), jnp.arange(8) % 5

    def after_step(conv, lr):
        g = jax.grad(_loss, 1)(conv, params, x, y)
        return _loss(conv, jax.tree.map(lambda p, d: p - lr * d, params, g), x, y)

    d = jax.jit(jax.grad(after_step, 1), static_argnums=0)
    expected = d(conv_lax, jnp.float32(0.3))
    assert expected < 0  # a small step down the gradient lowers the loss
    for conv in (conv3x3, conv_taps):
        np.testing.assert_allclose(d(conv, jnp.float32(0.3)), expected, rtol=1e-4)


def test_formulations_vmap_over_a_population_of_parameters():
    """One vmap over members (population training's block): each member's logits and
    gradients are its own, for the custom VJP too."""
    params = [params_for(SMALL, (8, 8, 1), seed) for seed in (0, 1, 2)]
    stacked = jax.tree.map(lambda *p: np.stack(p), *params)
    x, y = images((8, 8, 8, 1)), jnp.arange(8) % 5
    alone = jax.jit(jax.grad(lambda p: _loss(conv_lax, p, x, y)))
    expected = [jax.tree.leaves(alone(p)) for p in params]
    for conv in (conv3x3, conv_taps):
        grads = jax.jit(jax.vmap(jax.grad(lambda p, c=conv: _loss(c, p, x, y))))(stacked)
        for i, member in enumerate(expected):
            for a, e in zip(jax.tree.leaves(grads), member):
                np.testing.assert_allclose(a[i], e, rtol=1e-4, atol=1e-6)


def test_float64_images_are_promoted_like_flax_layers():
    with jax.enable_x64(True):
        params = params_for(SMALL, (8, 8, 1))
        x = np.random.default_rng(0).uniform(size=(2, 8, 8, 1))  # float64
        expected = FlaxCNN(5, (3, 12), 16).apply({"params": params}, x)
        got = SMALL.apply({"params": params}, x)
        assert got.dtype == expected.dtype == jnp.float64
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_cnn_rejects_an_unknown_formulation():
    with pytest.raises(ValueError, match="CNN: conv must be 'lax' or 'taps', got conv='vjp'"):
        CNN(conv="vjp").init(jax.random.PRNGKey(0), jnp.zeros((1, 8, 8, 1)))
