# %% [markdown]
# # Migrating from PyTorch, optax, Hugging Face, Keras and timm
#
# `schedalg.compat.<library>` rebuilds each library's schedules from the algebra, under
# the library's own names and keyword arguments. The result is a plain schedalg schedule:
# print it to see the expression you could write yourself with `import schedalg as sa`.
#
# This notebook puts each compat schedule next to the real library's values, computed
# here, and measures the largest difference. The full list of calls, and the gotchas
# (per-epoch stepping, `CosineAnnealingLR` past `T_max`, scheduler state in checkpoints)
# are in [`docs/migrating.md`](../docs/migrating.md).
#
# A library that is not installed is skipped. Comparisons run in float64
# (`jax_enable_x64`) so that the differences shown are the formulas', not float32
# rounding.

# %%
%matplotlib inline
import importlib
import importlib.util
import os
import pathlib
import sys
import types
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras 3 on JAX, before keras is imported

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

jax.config.update("jax_enable_x64", True)

import schedalg as sa

STEPS = np.arange(300)
LR = 0.1


def available(name):
    return importlib.util.find_spec(name) is not None


def ours(schedule, steps=STEPS):
    return np.asarray(sa.evaluate(schedule, steps), np.float64)


def gap(mine, theirs):
    """Largest difference, relative to the largest value."""
    theirs = np.asarray(theirs, np.float64)
    return float(np.max(np.abs(mine - theirs)) / max(np.max(np.abs(theirs)), 1e-300))


def panels(cases, title):
    """One panel per case: the library's values as dots, schedalg's as a line."""
    cols = min(4, len(cases))
    rows = -(-len(cases) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.0 * rows), squeeze=False)
    worst = 0.0
    for ax, (label, (mine, theirs)) in zip(axes.flat, cases.items()):
        steps = np.arange(len(theirs))
        every = max(1, len(steps) // 60)
        ax.plot(steps, mine, linewidth=2, alpha=0.7, label="schedalg.compat")
        ax.plot(steps[::every], np.asarray(theirs)[::every], "k.", markersize=3, label="library")
        g = gap(mine, theirs)
        worst = max(worst, g)
        ax.set_title(f"{label}\nmax diff / max = {g:.1e}", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(cases) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    plt.show()
    print(f"{title}: {len(cases)} schedules, largest relative difference {worst:.1e}")


# %% [markdown]
# ## PyTorch: `torch.optim.lr_scheduler`
#
# A torch scheduler mutates the optimizer's learning rate on each `scheduler.step()`.
# The compat constructors take the same arguments with the optimizer replaced by
# `lr=` (its initial learning rate); value `n` is the rate after `n` calls of `step()`.
# `OneCycleLR` also moves the momentum: `OneCycleMomentum` is that second schedule.

# %%
if available("torch"):
    import torch
    from torch.optim import lr_scheduler as S

    import schedalg.compat.torch as ct

    def torch_values(make, key="lr", steps=STEPS):
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=LR, momentum=0.9)
        scheduler = make(opt)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stepping without gradients
            for _ in steps:
                out.append(opt.param_groups[0][key])
                opt.step()
                scheduler.step()
        return np.asarray(out)

    torch_cases = {
        "StepLR(step_size=60, gamma=0.5)": (
            ours(ct.StepLR(lr=LR, step_size=60, gamma=0.5)),
            torch_values(lambda o: S.StepLR(o, step_size=60, gamma=0.5)),
        ),
        "CosineAnnealingLR(T_max=100) past T_max": (
            ours(ct.CosineAnnealingLR(lr=LR, T_max=100, eta_min=0.01)),
            torch_values(lambda o: S.CosineAnnealingLR(o, T_max=100, eta_min=0.01)),
        ),
        "CosineAnnealingWarmRestarts(T_0=20, T_mult=2)": (
            ours(ct.CosineAnnealingWarmRestarts(lr=LR, T_0=20, T_mult=2)),
            torch_values(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2)),
        ),
        "OneCycleLR(0.1, 300): lr": (
            ours(ct.OneCycleLR(max_lr=0.1, total_steps=300)),
            torch_values(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=300)),
        ),
        "OneCycleLR(0.1, 300): momentum": (
            ours(ct.OneCycleMomentum(max_lr=0.1, total_steps=300)),
            torch_values(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=300), key="momentum"),
        ),
        "SequentialLR(LinearLR, CosineAnnealingLR)": (
            ours(
                ct.SequentialLR(
                    [
                        ct.LinearLR(lr=LR, start_factor=0.01, total_iters=30),
                        ct.CosineAnnealingLR(lr=LR, T_max=270),
                    ],
                    milestones=[30],
                )
            ),
            torch_values(
                lambda o: S.SequentialLR(
                    o,
                    [
                        S.LinearLR(o, start_factor=0.01, total_iters=30),
                        S.CosineAnnealingLR(o, T_max=270),
                    ],
                    milestones=[30],
                )
            ),
        ),
    }
    print(
        ct.SequentialLR(
            [
                ct.LinearLR(lr=LR, start_factor=0.01, total_iters=30),
                ct.CosineAnnealingLR(lr=LR, T_max=270),
            ],
            milestones=[30],
        )
    )
    panels(torch_cases, "PyTorch")
else:
    print("torch is not installed: skipped")

# %% [markdown]
# ## optax
#
# optax's schedules are closures; the compat module has the same function names and
# arguments, so each call below is the *same source text* evaluated once with `optax`'s
# names and once with `schedalg.compat.optax`'s. These are examples the migration page
# lists (eight of them, to keep the notebook quick; the tests compare them all). The
# compat versions are pytrees whose numbers, including step counts, can be batched.

# %%
import optax

import schedalg.compat.optax as co

SHOWN = (
    "linear_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "piecewise_constant_schedule",
    "cosine_onecycle_schedule",
    "warmup_cosine_decay_schedule",
    "sgdr_schedule",
    "join_schedules",
)
optax_cases = {}
for source in [e for e in co.EXAMPLES if e.startswith(SHOWN)]:
    theirs = eval(source, vars(optax))  # trusted source text from the compat module
    mine = eval(source, vars(co))
    steps = STEPS if "1000" not in source else np.arange(1200)
    optax_cases[source.split("(")[0]] = (
        ours(mine, steps),
        np.asarray(jax.jit(jax.vmap(theirs))(steps)),
    )
print(
    co.warmup_cosine_decay_schedule(
        init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=1000
    )
)
panels(optax_cases, "optax")

# %% [markdown]
# ## Hugging Face transformers
#
# `get_*_schedule*` functions return a torch `LambdaLR`; the compat functions take the
# optimizer's learning rate as `lr=` and the same keyword arguments.

# %%
if available("torch") and available("transformers"):
    from transformers import optimization as hf

    import schedalg.compat.transformers as ch

    hf_calls = {
        "get_linear_schedule_with_warmup": dict(num_warmup_steps=30, num_training_steps=250),
        "get_cosine_schedule_with_warmup": dict(num_warmup_steps=30, num_training_steps=250),
        "get_inverse_sqrt_schedule": dict(num_warmup_steps=30),
        "get_wsd_schedule": dict(
            num_warmup_steps=30, num_decay_steps=60, num_training_steps=250, decay_type="1-sqrt"
        ),
    }
    hf_cases = {}
    for name, kwargs in hf_calls.items():
        mine = getattr(ch, name)(lr=LR, **kwargs)
        theirs = torch_values(lambda o, name=name, kwargs=kwargs: getattr(hf, name)(o, **kwargs))
        hf_cases[name.replace("get_", "").replace("_schedule", "")] = (ours(mine), theirs)
    print(ch.get_cosine_schedule_with_warmup(lr=LR, num_warmup_steps=30, num_training_steps=250))
    panels(hf_cases, "Hugging Face transformers")
else:
    print("torch or transformers is not installed: skipped")

# %% [markdown]
# ## Keras 3 (`keras.optimizers.schedules`)
#
# Like optax, the same source text is evaluated with Keras's names and the compat
# module's. Keras computes in the dtype of `initial_learning_rate`; here that is float32
# for the Python floats in the examples, so the differences are float32's.

# %%
if available("keras"):
    import keras

    import schedalg.compat.keras as ck

    if keras.backend.backend() != "jax":
        print(f"Keras runs on {keras.backend.backend()}, not jax: skipped")
    else:
        keras_cases = {}
        calls = [
            "ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True)",
            "PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.05, 0.01])",
            "PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01, cycle=True)",
            "CosineDecay(0.0, decay_steps=200, warmup_target=0.1, warmup_steps=50)",
            "CosineDecayRestarts(0.1, first_decay_steps=50, t_mul=2.0, m_mul=0.8, alpha=0.01)",
        ]
        for source in calls:
            theirs = eval(source, vars(keras.optimizers.schedules))
            mine = eval(source, vars(ck))
            values = np.asarray(jax.jit(jax.vmap(theirs))(jnp.asarray(STEPS)), np.float64)
            keras_cases[source.split("(")[0]] = (ours(mine), values)
        panels(keras_cases, "Keras")
else:
    print("keras is not installed: skipped")

# %% [markdown]
# ## timm (`timm.scheduler`)
#
# timm's package `__init__` imports torchvision, which a JAX project rarely has. Only its
# `timm/scheduler/*.py` modules are needed, so they are loaded under stand-in packages,
# the way `tests/parity/test_timm.py` does it. (fastai's schedule module needs the same
# kind of trick and is compared in `tests/parity/test_fastai.py`; it is left out here.)


# %%
def load_timm_scheduler(cls_name, module):
    """One class from timm/scheduler/<module>.py without importing timm's __init__."""
    spec = importlib.util.find_spec("timm")
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    saved = {k: v for k, v in sys.modules.items() if k == "timm" or k.startswith("timm.")}
    try:
        for name, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        return getattr(importlib.import_module(f"timm.scheduler.{module}"), cls_name)
    finally:  # leave no stand-in behind
        for key in [k for k in sys.modules if k == "timm" or k.startswith("timm.")]:
            del sys.modules[key]
        sys.modules.update(saved)


if available("torch") and available("timm"):
    import schedalg.compat.timm as cti

    timm_calls = {
        ("CosineLRScheduler", "cosine_lr"): dict(
            t_initial=80,
            lr_min=1e-3,
            cycle_mul=1.5,
            cycle_decay=0.7,
            cycle_limit=3,
            warmup_t=10,
            warmup_lr_init=1e-4,
        ),
        ("TanhLRScheduler", "tanh_lr"): dict(t_initial=250, warmup_t=20, warmup_prefix=True),
        ("StepLRScheduler", "step_lr"): dict(
            decay_t=60, decay_rate=0.5, warmup_t=10, warmup_lr_init=1e-3
        ),
        ("PolyLRScheduler", "poly_lr"): dict(t_initial=250, power=0.5, lr_min=1e-4, warmup_t=10),
    }
    timm_cases = {}
    for (name, module), kwargs in timm_calls.items():
        cls = load_timm_scheduler(name, module)
        param = torch.nn.Parameter(torch.zeros(1))
        scheduler = cls(torch.optim.SGD([param], lr=LR), **kwargs)
        theirs = [scheduler._get_lr(int(t))[0] for t in STEPS]
        timm_cases[name] = (ours(getattr(cti, name)(lr=LR, **kwargs)), theirs)
    print(cti.CosineLRScheduler(lr=LR, **timm_calls[("CosineLRScheduler", "cosine_lr")]))
    panels(timm_cases, "timm")
else:
    print("torch or timm is not installed: skipped")

# %% [markdown]
# ## What you gain after migrating
#
# The compat schedule is a pytree, so its numbers can be batched. Hugging Face's
# warmup + cosine for 5 warmup lengths x 3 peaks, in one jitted call (the library's own
# version is one Python closure per configuration):

# %%
import schedalg.compat.transformers as ch

batch = sa.grid(
    lambda lr, warm: ch.get_cosine_schedule_with_warmup(
        lr=lr, num_warmup_steps=warm, num_training_steps=300
    ),
    lr=[1e-3, 3e-3, 1e-2],
    warm=[0, 15, 30, 60, 90],
)
curves = sa.evaluate(batch, STEPS)
print("batch shape", sa.batch_shape(batch), "-> values", curves.shape)
fig, ax = plt.subplots(figsize=(8, 3.5))
for j, warm in enumerate([0, 15, 30, 60, 90]):
    ax.plot(STEPS, curves[2, j], label=f"lr 1e-2, warmup {warm}")
ax.set_xlabel("step")
ax.set_ylabel("learning rate")
ax.grid(alpha=0.3)
ax.legend(fontsize=7)
plt.show()
jax.config.update("jax_enable_x64", False)  # back to the default
