"""A small Flax CNN for small images: two 3x3 convolutions, 2x2 pooling, two dense layers.

``conv1 -> relu -> conv2 -> relu -> 2x2 average pool -> dense -> relu -> dense``. The
convolutions are ``flax.linen.Conv`` (``conv="lax"``, the fastest for one model on CPU)
or the same 3x3 convolution written as nine shifted matrix products (``conv="taps"``),
which ``jax.vmap`` turns into plain batched matmuls when a population of models trains
at once. Both read the same parameters, ``{"kernel": (3, 3, in, out), "bias": (out,)}``.

Measured on the project's shared 2-core CPU (one gradient step on a batch of 64 8x8
digits, best of 5): ``lax`` 2.5 ms, ``taps`` 6.2 ms (and 2.3 s to compile against
1.0 s), hence ``lax`` for a single model.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class TapConv(nn.Module):
    """A 3x3 "same" convolution as nine shifted ``einsum`` taps (vmaps to batched matmuls).

    ``out[h, w] = bias + sum_{dy, dx} in[h + dy - 1, w + dx - 1] @ kernel[dy, dx]``
    with zero padding, the same function as ``nn.Conv(features, (3, 3))``.
    """

    features: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        cin = x.shape[-1]
        kernel = self.param(
            "kernel", nn.initializers.lecun_normal(), (3, 3, cin, self.features), jnp.float32
        )
        bias = self.param("bias", nn.initializers.zeros_init(), (self.features,), jnp.float32)
        h, w = x.shape[-3], x.shape[-2]
        pad = [(0, 0)] * (x.ndim - 3) + [(1, 1), (1, 1), (0, 0)]
        xp = jnp.pad(x, pad)
        out = bias
        for dy in range(3):
            for dx in range(3):
                tap = xp[..., dy : dy + h, dx : dx + w, :]
                out = out + jnp.einsum("...hwc,cd->...hwd", tap, kernel[dy, dx])
        return out


class CNN(nn.Module):
    """The trainer's classifier: logits for images ``(..., H, W, C)``.

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
        if self.conv not in ("lax", "taps"):
            raise ValueError(f"CNN: conv must be 'lax' or 'taps', got conv={self.conv!r}")
        for i, features in enumerate(self.features):
            name = f"conv{i + 1}"
            if self.conv == "lax":
                x = nn.Conv(features, (3, 3), padding="SAME", name=name)(x)
            else:
                x = TapConv(features, name=name)(x)
            x = nn.relu(x)
        # 2x2 average pooling by reshaping (odd edges dropped): cheaper than
        # reduce_window on CPU and shape-polymorphic in the leading axes.
        h, w, c = x.shape[-3] // 2, x.shape[-2] // 2, x.shape[-1]
        lead = x.shape[:-3]
        x = x[..., : 2 * h, : 2 * w, :].reshape(*lead, h, 2, w, 2, c).mean(axis=(-4, -2))
        x = x.reshape(*lead, h * w * c)
        x = nn.relu(nn.Dense(self.hidden, name="dense1")(x))
        return nn.Dense(self.classes, name="dense2")(x)
