"""The CNN of ``schedalg.train`` in one place: its parameters, their initialization, and
the formulations of its forward pass.

``conv1 -> relu -> conv2 -> relu -> 2x2 average pool -> dense1 -> relu -> dense2``, each
convolution 3x3 "same" (zero padding). Every trainer reads one parameter layout,
``{"conv1": {"kernel": (3, 3, in, out), "bias": (out,)}, ..., "dense1": {"kernel":
(in, hidden), "bias": (hidden,)}, "dense2": ...}``: :class:`CNN` declares it (Flax's
default initialization; :func:`init_like` draws the same distribution with NumPy) and
:func:`forward` is the network's one function of it. The formulations differ only in
how a convolution is computed (:data:`CONVS`), all the function of ``nn.Conv(F, (3, 3))``:

* ``"lax"`` (:func:`conv_lax`): XLA's convolution, differentiated by JAX. The fastest
  for one model on CPU: the single-run trainer (``CNN(conv="lax")``, the default).
* ``"vjp"`` (:func:`conv3x3`): the same forward pass with a hand-written backward pass
  that keeps every convolution in XLA's canonical layout, which XLA's CPU backend runs
  40-100x faster than JAX's own backward pass inside a loop body: population training
  (:mod:`~schedalg.train.population`, ``lax.scan`` over the steps of every member).
* ``"taps"`` (:func:`conv_taps`): one matrix product over the nine shifted taps
  (im2col). ``jax.vmap`` turns it into batched matmuls (``CNN(conv="taps")``), and it
  differentiates twice cheaply: meta-learning (:mod:`~schedalg.train.meta`)
  differentiates through a training run, and XLA's CPU convolutions are slow in their
  second derivatives and inside ``lax.scan``.

Measured on the project's shared 2-core CPU (one gradient step of the default CNN on a
batch of 64 8x8 digits, best of 5): ``lax`` 2.3 ms (1.0 s to compile), ``taps`` 3.0 ms
(1.9 s; nine separate tap products instead of one product: 4.4 ms), hence ``lax`` for a
single model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

#: A convolution formulation: ``(x, kernel, bias) -> y`` with ``x`` (B, H, W, C),
#: ``kernel`` (3, 3, C, F), ``bias`` (F,) and ``y`` (B, H, W, F).
Conv = Callable[[jax.Array, jax.Array, jax.Array], jax.Array]

# ----------------------------------------------------------------------------
# The convolution, three ways

_DIMS = ("NHWC", "HWIO", "NHWC")


def _conv(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """A "same" 3x3 convolution in XLA's canonical layout (the only one XLA's CPU
    backend runs at full speed inside a loop body)."""
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=_DIMS)


def _shifted(x: jax.Array) -> list[jax.Array]:
    """The nine 3x3 taps of ``x`` (B, H, W, C) with zero padding, ordered (dy, dx)."""
    h, w = x.shape[1], x.shape[2]
    xp = jnp.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    return [xp[:, dy : dy + h, dx : dx + w, :] for dy in range(3) for dx in range(3)]


def conv_lax(x: jax.Array, kernel: jax.Array, bias: jax.Array) -> jax.Array:
    """``flax.linen.Conv(F, (3, 3))``: XLA's 3x3 "same" convolution of ``x`` (B, H, W, C)
    with ``kernel`` (3, 3, C, F), plus ``bias``; JAX derives its gradient."""
    return _conv(x, kernel) + bias


@jax.custom_vjp
def conv3x3(x: jax.Array, kernel: jax.Array, bias: jax.Array) -> jax.Array:
    """:func:`conv_lax` (the same forward pass) with a hand-written backward pass.

    The backward pass JAX derives uses convolutions in transposed layouts, which XLA's
    CPU backend runs 40-100x slower inside a loop body (``scan``, ``map``; measured on
    this project's CPU). Here every piece stays canonical: ``dx`` is the convolution of
    ``g`` with the flipped, transposed kernel, and ``dkernel[dy, dx] = tapᵀ @ g`` for
    each of the nine shifted copies of ``x`` (one matrix product of all nine taps,
    im2col, when ``C`` is small).

    Example:
        >>> import jax.numpy as jnp
        >>> from schedalg.train.model import conv3x3
        >>> y = conv3x3(jnp.ones((1, 4, 4, 1)), jnp.ones((3, 3, 1, 2)), jnp.zeros(2))
        >>> y[0, 0, :, 0].tolist(), y[0, 1, :, 1].tolist()  # zero padding at the edges
        ([4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0])
    """
    return conv_lax(x, kernel, bias)


def _conv3x3_fwd(x, kernel, bias):
    return conv_lax(x, kernel, bias), (x, kernel)


def _conv3x3_bwd(res, g):
    x, kernel = res
    c, f = kernel.shape[2], kernel.shape[3]
    dx = _conv(g, jnp.transpose(kernel[::-1, ::-1], (0, 1, 3, 2)))
    g2 = g.reshape(-1, f)
    taps = [t.reshape(-1, c) for t in _shifted(x)]
    if c < 8:  # few channels: one product of all taps (im2col) beats nine thin ones
        dkernel = jnp.concatenate(taps, axis=1).T @ g2
    else:
        dkernel = jnp.stack([t.T @ g2 for t in taps])
    return dx, dkernel.reshape(kernel.shape), g2.sum(0)


conv3x3.defvjp(_conv3x3_fwd, _conv3x3_bwd)


def conv_taps(x: jax.Array, kernel: jax.Array, bias: jax.Array) -> jax.Array:
    """The 3x3 "same" convolution as one matrix product over im2col patches.

    ``patches[..., (3 * dy + dx) * C + c] = x_padded[..., h + dy, w + dx, c]``, matching
    ``kernel.reshape(9 * C, F)``. One product of all nine taps rather than nine thin
    ones: faster alone, vmapped, and twice differentiated (measured on the shared
    2-core CPU, 22 steps of the default CNN differentiated through: ``nn.Conv`` 35 s,
    nine tap products 1.2 s, one 0.5 s per value-and-gradient).
    """
    c = x.shape[-1]
    return jnp.concatenate(_shifted(x), axis=-1) @ kernel.reshape(9 * c, -1) + bias


#: The formulations by name (``CNN.conv`` and ``Config.conv`` take ``"lax"`` or ``"taps"``).
CONVS: dict[str, Conv] = {"lax": conv_lax, "vjp": conv3x3, "taps": conv_taps}

# ----------------------------------------------------------------------------
# The network


def _promote(params: Any, x: jax.Array) -> tuple[Any, jax.Array]:
    """Parameters and images in one float dtype, as Flax's layers promote them
    (``lax.conv_general_dilated`` refuses mixed dtypes, e.g. float64 images)."""
    dtype = jnp.result_type(x, *jax.tree.leaves(params))
    return jax.tree.map(lambda p: p.astype(dtype), params), jnp.asarray(x).astype(dtype)


def forward(params: Any, x: jax.Array, conv: Conv = conv_lax) -> jax.Array:
    """The CNN's logits for images ``x`` ``(..., H, W, C)``, every convolution ``conv``.

    ``params`` has the layout of :class:`CNN` (its number of ``conv{i}`` layers is the
    network's); any formulation of :data:`CONVS` gives the same function of them.

    Example:
        >>> import jax.numpy as jnp
        >>> from schedalg.train.model import CNN, conv_taps, forward, layout
        >>> params = layout(CNN(classes=3, features=(4,), hidden=8), (6, 6, 1))
        >>> forward(params, jnp.ones((5, 2, 6, 6, 1)), conv_taps).shape
        (5, 2, 3)
    """
    params, x = _promote(params, x)
    lead, (h, w, c) = x.shape[:-3], x.shape[-3:]
    x = x.reshape(math.prod(lead), h, w, c)  # the convolutions take one batch axis
    convs = sum(1 for name in params if name.startswith("conv"))
    for i in range(convs):
        layer = params[f"conv{i + 1}"]
        x = jax.nn.relu(conv(x, layer["kernel"], layer["bias"]))
    # 2x2 average pooling by reshaping (odd edges dropped): cheaper than reduce_window
    b, h, w, c = x.shape
    h, w = h // 2, w // 2
    x = x[:, : 2 * h, : 2 * w, :].reshape(b, h, 2, w, 2, c).mean(axis=(2, 4))
    x = x.reshape(b, h * w * c)
    x = jax.nn.relu(x @ params["dense1"]["kernel"] + params["dense1"]["bias"])
    x = x @ params["dense2"]["kernel"] + params["dense2"]["bias"]
    return x.reshape(*lead, x.shape[-1])


class _Layer(nn.Module):
    """Declares one layer's ``kernel`` (LeCun normal) and ``bias`` (zeros), as
    ``nn.Conv`` and ``nn.Dense`` do (same names, so the same random draws)."""

    shape: tuple[int, ...]

    @nn.compact
    def __call__(self) -> dict[str, jax.Array]:
        kernel = self.param("kernel", nn.initializers.lecun_normal(), self.shape, jnp.float32)
        bias = self.param("bias", nn.initializers.zeros_init(), self.shape[-1:], jnp.float32)
        return {"kernel": kernel, "bias": bias}


class CNN(nn.Module):
    """The trainer's classifier: logits for images ``(..., H, W, C)``.

    The Flax module declares the parameters (the layout and initialization of
    ``nn.Conv(F, (3, 3))`` and ``nn.Dense`` layers) and applies :func:`forward` with
    the convolution ``CONVS[conv]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from schedalg.train import CNN
        >>> model = CNN(classes=10)
        >>> x = jnp.zeros((2, 8, 8, 1))
        >>> params = jax.eval_shape(model.init, jax.random.PRNGKey(0), x)["params"]
        >>> sorted(params), params["conv2"]["kernel"].shape
        (['conv1', 'conv2', 'dense1', 'dense2'], (3, 3, 16, 32))
        >>> jax.eval_shape(model.apply, {"params": params}, x).shape
        (2, 10)
    """

    classes: int = 10
    features: Sequence[int] = (16, 32)
    hidden: int = 64
    conv: str = "lax"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        # not "vjp": its forward pass is "lax"'s, and the single-run trainer keeps
        # nn.Conv's exact program (JAX's own backward pass: no loop body to slow it)
        if self.conv not in ("lax", "taps"):
            raise ValueError(f"CNN: conv must be 'lax' or 'taps', got conv={self.conv!r}")
        params = {}
        c = x.shape[-1]
        for i, features in enumerate(self.features):
            params[f"conv{i + 1}"] = _Layer((3, 3, c, features), name=f"conv{i + 1}")()
            c = features
        pooled = (x.shape[-3] // 2) * (x.shape[-2] // 2) * c
        params["dense1"] = _Layer((pooled, self.hidden), name="dense1")()
        params["dense2"] = _Layer((self.hidden, self.classes), name="dense2")()
        return forward(params, x, CONVS[self.conv])


# ----------------------------------------------------------------------------
# Parameters: layout and initialization


def layout(model: CNN, image_shape: tuple[int, ...]) -> dict:
    """``model``'s parameter pytree for images of ``image_shape``, all zeros (NumPy;
    shapes only are traced, no random numbers are drawn)."""
    example = jnp.zeros((1, *image_shape), jnp.float32)
    shapes = jax.eval_shape(model.init, jax.random.PRNGKey(0), example)["params"]
    return jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes)


def init_like(params: Any, seed: int) -> Any:
    """Flax's default initialization, drawn with NumPy: LeCun-normal kernels, zero biases.

    Kernels: normal truncated at two standard deviations with variance ``1 / fan_in``
    (``fan_in`` = product of all axes but the last), as ``nn.initializers.lecun_normal``;
    biases: zeros. NumPy rather than ``model.init``: compiling JAX's threefry sampler
    takes seconds on CPU, drawing 40k numbers with NumPy takes microseconds. The
    values depend only on ``seed`` and the shapes.
    """
    rng = np.random.default_rng(seed)

    def draw(path: tuple, leaf: np.ndarray) -> np.ndarray:
        if jax.tree_util.keystr(path).endswith("['bias']"):
            return np.zeros(leaf.shape, leaf.dtype)
        fan_in = int(np.prod(leaf.shape[:-1]))
        z = rng.standard_normal(leaf.shape)
        bad = np.abs(z) > 2.0
        while bad.any():  # resample outside [-2, 2]: a truncated normal
            z[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(z) > 2.0
        std = np.sqrt(1.0 / fan_in) / 0.87962566103423978  # std of N(0,1) truncated at 2
        return (z * std).astype(leaf.dtype)

    return jax.tree_util.tree_map_with_path(draw, params)
