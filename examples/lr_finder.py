"""The learning-rate range test on a small MLP (8x8 digits): suggested rates, the plot.

One run, then a band over 4 seeds (initialisations and batch orders) in one vmapped
scan. Run: python examples/lr_finder.py [output directory]
"""

import os
import sys
import tempfile

import jax
import jax.numpy as jnp
import optax

from schedalg.lr_finder import lr_find, lr_find_band

STEPS, BATCH, SEEDS = 100, 64, 4


def data():
    """scikit-learn's 8x8 digits (bundled, no download), standardised."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    return jnp.asarray(x, jnp.float32), jnp.asarray(y)


def init(key, sizes=(64, 64, 10)):
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        {"w": jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / a), "b": jnp.zeros(b)}
        for k, a, b in zip(keys, sizes[:-1], sizes[1:])
    ]


def loss_fn(params, batch):
    x, y = batch
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    logits = x @ params[-1]["w"] + params[-1]["b"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def batches(key, x, y):
    """STEPS batches in a shuffled order: leaves of shape (STEPS, BATCH, ...)."""
    order = jax.random.permutation(key, x.shape[0])
    idx = jnp.resize(order, (STEPS * BATCH,)).reshape(STEPS, BATCH)
    return x[idx], y[idx]


def main(out_dir):
    x, y = data()
    optimizer = lambda learning_rate: optax.sgd(learning_rate, momentum=0.9)

    result = lr_find(loss_fn, init(jax.random.key(1)), batches(jax.random.key(2), x, y), optimizer)
    print(
        f"stopped at step {result.stopped_at} (lr {result.lrs[(result.stopped_at or 0) - 1]:.3g})"
    )
    for name, lr in result.suggestions.items():
        print(f"  {name:>8}: {lr:.3g}")
    print("plot:", result.plot(os.path.join(out_dir, "lr_finder.png")))

    keys = jax.random.split(jax.random.key(3), SEEDS)
    params = jax.vmap(init)(keys)
    data_per_seed = jax.vmap(lambda k: batches(k, x, y))(keys)
    band = lr_find_band(loss_fn, params, data_per_seed, optimizer)
    print(f"band over {SEEDS} seeds: valley {band.valley:.3g}, steepest {band.steepest:.3g}")
    print("plot:", band.plot(os.path.join(out_dir, "lr_finder_band.png"), title="4 seeds"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir())
