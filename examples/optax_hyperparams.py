"""Schedule any optax hyperparameter and read back what each update actually used.

Run: python examples/optax_hyperparams.py
"""

import jax
import jax.numpy as jnp
import optax

import schedalg as sa
import schedalg.optax as sopt


def run(opt, steps, show, params=None, names=None):
    """Trains a toy quadratic; prints ``current(state)`` (the values the latest update
    used) after the steps in ``show``, keeping only ``names`` if given."""
    params = {"w": jnp.ones(3)} if params is None else params
    state = opt.init(params)

    @jax.jit
    def step(params, state):
        grads = jax.grad(lambda p: sum(jnp.sum(x**2) for x in jax.tree.leaves(p)))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for k in range(steps):
        params, state = step(params, state)
        if k in show:
            values = sopt.current(state)
            values = {n: v for n, v in values.items() if names is None or n in names}
            text = ", ".join(f"{name}={float(v):.5g}" for name, v in sorted(values.items()))
            print(f"  step {k:>4}: {text}")


def main():
    print("1cycle SGD (PyTorch OneCycleLR: lr and momentum move together)")
    run(sopt.one_cycle_sgd(0.1, 1000), 1000, {0, 150, 299, 650, 999})

    print("AdamW: warmup-stable-decay lr, cosine weight decay, b1 = 0.9")
    lr = sa.wsd(1e-3, warmup=100, stable=700, decay=200, end=1e-5, decay_shape="1-sqrt")
    adamw = sopt.scheduled(
        optax.adamw, learning_rate=lr, weight_decay=sa.cosine(0.1, 0.01, 1000), b1=0.9
    )
    run(adamw, 1000, {0, 50, 400, 900, 999}, names={"learning_rate", "weight_decay", "b1"})

    print("Gradient accumulation: 4 micro-batches per update; the schedule counts real updates")
    inner = sopt.scheduled(optax.sgd, learning_rate=sa.linear(0.1, 0.0, 10))
    run(optax.MultiSteps(inner, every_k_schedule=4), 40, {3, 7, 11, 39})

    print("Parameter groups: backbone at a tenth of the head's rate, embeddings frozen")
    head_lr = sa.warmup(sa.cosine(0.05, 0.0, 90), 10)
    groups = sopt.param_groups(
        {
            "head": sopt.scheduled(optax.sgd, learning_rate=head_lr, momentum=0.9),
            "backbone": sopt.scheduled(optax.sgd, learning_rate=head_lr * 0.1, momentum=0.9),
            "embed": None,
        },
        [(r"embed/.*", "embed"), (r"backbone/.*", "backbone"), (r".*", "head")],
    )
    params = {"embed": {"table": jnp.ones(4)}, "backbone": {"w": jnp.ones(3)}, "head": jnp.ones(2)}
    run(groups, 100, {0, 9, 50}, params)

    print("Plateau: a cosine base rate times a ReduceLROnPlateau scale fed the metric")
    opt = optax.chain(
        sopt.scheduled(optax.sgd, learning_rate=sa.cosine(0.1, 0.01, 60)),
        sopt.reduce_on_plateau(factor=0.5, patience=3),
    )
    params = jnp.ones(2)
    state = opt.init(params)
    step = jax.jit(opt.update)
    for k in range(60):
        metric = 1.0 / (1 + k) if k < 20 else 0.05  # the metric stops improving at 20
        _, state = step(2 * params, state, params, value=metric)
        if k in (0, 19, 24, 29, 59):
            values = sopt.current(state)
            base, scale = float(values["0/learning_rate"]), float(values["1/plateau_scale"])
            print(f"  step {k:>4}: base={base:.4g} scale={scale:.4g} effective={base * scale:.4g}")

    print("Batch-size scaling: the same schedule at 4x the batch (linear and sqrt rules)")
    base = sa.warmup(sa.cosine(0.1, 0.0, 900), 100)
    for rule in ("linear", "sqrt"):
        scaled = sopt.scale_for_batch(base, 256, 1024, rule=rule)
        print(f"  {rule:>6}: peak {float(scaled(100)):.3g}  ({scaled!r})")

    print("Snapshot points of SGDR (cycles of 100, 200, 400 steps after a 50-step warmup)")
    sgdr = sa.warmup(sa.restart(sa.cosine(0.1, 0.0, 100), mult=2), 50)
    print(f"  cycle ends: {sopt.cycle_ends(sgdr, 1000)}")


if __name__ == "__main__":
    main()
