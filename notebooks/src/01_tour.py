# %% [markdown]
# # A tour of schedalg in ten minutes
#
# A **schedule** is a pure function `step -> value`: the learning rate (or momentum, or
# weight decay...) to use after `step` optimizer updates. In schedalg a schedule is also
# **data**: an immutable pytree in which every number is a leaf, including step counts,
# milestones and restart periods. That one choice gives everything in this notebook:
#
# 1. primitives, the shapes you know (cosine, step, 1cycle...);
# 2. five combinators (`join`, `warmup`, `restart`, `scale`, `clip`) and a few more;
# 3. operators (`a * b`, `a + b`) and durations that flow through the combinators;
# 4. a text form: `repr` prints code, `parse` reads it back, `to_dict` gives JSON;
# 5. batches: thousands of schedules evaluated in one compiled call.
#
# Everything here runs on a CPU in seconds.

# %%
%matplotlib inline
import json

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import schedalg as sa


@jax.jit
def values_of(schedules, t):
    """Every schedule of a list at steps t: one compiled call for a whole figure."""
    return [s(t) for s in schedules]


def draw(ax, schedules, steps, title=None):
    """Plots each named schedule over steps 0..steps-1 on one axis."""
    t = np.arange(steps)
    for name, v in zip(schedules, values_of(list(schedules.values()), t)):
        ax.plot(t, np.asarray(v), label=name, linewidth=1.6)
    ax.set_title(title or "", fontsize=10)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    if len(schedules) > 1:
        ax.legend(fontsize=7)


# %% [markdown]
# ## 1. Primitives
#
# A schedule is called with a step (a Python int, a NumPy or JAX array) and returns a
# float32 JAX array. Step 0 is the value the first update uses; the end value of a
# decay is reached exactly at `step == steps` and held after.

# %%
cos = sa.cosine(1.0, 0.0, 100)  # start, end, steps
print(cos)
print(round(float(cos(50)), 6))  # one step (float32, rounded for printing)
print(cos(jnp.array([0, 25, 50, 75, 100, 1000])))  # any array of steps

# %% [markdown]
# Every primitive, drawn over the same 200 steps. The names are one vocabulary:
# `start`, `peak`, `end`, `steps`, `every`, `factor`.

# %%
primitives = {
    "constant(0.5)": sa.constant(0.5),
    "linear(0, 1, 100)": sa.linear(0.0, 1.0, 100),
    "cosine(1, 0, 150)": sa.cosine(1.0, 0.0, 150),
    "polynomial(1, 0, 150, power=2)": sa.polynomial(1.0, 0.0, 150, power=2.0),
    "exponential(1, 0.5, 40)": sa.exponential(1.0, 0.5, 40),
    "exponential(..., staircase)": sa.exponential(1.0, 0.5, 40, staircase=True),
    "step(1, 50, 0.5)": sa.step(1.0, 50, 0.5),
    "multistep(1, [60, 120], 0.3)": sa.multistep(1.0, [60, 120], 0.3),
    "piecewise_constant": sa.piecewise_constant([50, 120], [1.0, 0.4, 0.1]),
    "piecewise_linear": sa.piecewise_linear([0, 30, 150], [0.0, 1.0, 0.2]),
    "inverse_sqrt(1, 20)": sa.inverse_sqrt(1.0, 20),
    "inverse_time(1, 1, 20)": sa.inverse_time(1.0, 1.0, 20),
    "cyclic(0.1, 1, 25)": sa.cyclic(0.1, 1.0, 25),
    "cyclic triangular2": sa.cyclic(0.1, 1.0, 25, mode="triangular2"),
    "one_cycle (lr)": sa.one_cycle(0.04, 1.0, 1e-5, 200),
    "one_cycle (momentum)": sa.one_cycle(0.95, 0.85, 0.95, 200),
    "wsd(1, 20, 120, 60)": sa.wsd(1.0, 20, 120, 60),
    "wsd 1-sqrt": sa.wsd(1.0, 20, 120, 60, decay_shape="1-sqrt"),
    "tanh(1, 0, 150)": sa.tanh(1.0, 0.0, 150),
}
fig, axes = plt.subplots(4, 5, figsize=(15, 10), sharex=True)
t = np.arange(200)
for ax, (name, v) in zip(axes.flat, zip(primitives, values_of(list(primitives.values()), t))):
    ax.plot(t, np.asarray(v), linewidth=1.6)
    ax.set_title(name, fontsize=10)
    ax.grid(alpha=0.3)
for ax in axes.flat[len(primitives) :]:
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Durations
#
# Every schedule knows after how many steps its shape is complete (`None` when it never
# is). Combinators use durations, so numbers are written once.

# %%
for s in [
    cos,
    sa.constant(0.1),
    sa.wsd(1.0, 20, 120, 60),
    sa.multistep(1.0, [60, 120], 0.3),
    sa.exponential(1.0, 0.5, 40),
]:
    print(f"{s!r:55}  duration = {s.duration}")

# %% [markdown]
# ## 3. The five combinators
#
# * `join(a, b, ...)`: run schedules one after another, each on its own clock (piece i
#   starts at step 0 of its own clock). Without `boundaries` the pieces' durations say
#   where each starts.
# * `warmup(s, steps)`: ramp from `start` (default 0) to `s(0)`, then run `s`.
# * `restart(s)`: warm restarts (SGDR): replay `s` in cycles, optionally longer
#   (`mult`) and lower (`decay`) each time.
# * `scale(s, factor)`: a product, by a number or by another schedule.
# * `clip(s, low, high)`: bounds, such as a floor `min_lr`.

# %%
peak = 1.0
joined = sa.join(
    sa.linear(0.0, peak, 20), sa.constant(peak), sa.cosine(peak, 0.0, 100), boundaries=[20, 80]
)
warm = sa.warmup(sa.cosine(peak, 0.0, 160), 40)
warm_cos = sa.warmup(sa.cosine(peak, 0.0, 160), 40, shape="cosine")
no_prefix = sa.warmup(sa.cosine(peak, 0.0, 200), 40, prefix=False)
sgdr = sa.restart(sa.cosine(peak, 0.0, 20), mult=2.0, decay=0.7)
limited = sa.restart(sa.cosine(peak, 0.0, 40), limit=3)
chained = sa.scale(sa.cosine(peak, 0.0, 200), sa.step(1.0, 50, 0.5))
floored = sa.clip(sa.exponential(peak, 0.5, 30), low=0.1)

fig, axes = plt.subplots(1, 5, figsize=(18, 3.4))
draw(axes[0], {"join(linear, constant, cosine)": joined}, 200, "join")
draw(
    axes[1],
    {"linear warmup": warm, "cosine warmup": warm_cos, "prefix=False": no_prefix},
    200,
    "warmup",
)
draw(axes[2], {"mult=2, decay=0.7": sgdr, "limit=3": limited}, 200, "restart")
draw(axes[3], {"cosine * step": chained}, 200, "scale")
draw(axes[4], {"exponential, low=0.1": floored}, 200, "clip")
fig.tight_layout()
plt.show()
print(joined.duration, warm.duration, limited.duration)

# %% [markdown]
# `warmup(s, steps)` with the default `prefix=True` starts `s`'s clock after the warmup,
# as Hugging Face and optax do, so the total length is `steps + s.duration` (200 above);
# `prefix=False` keeps `s`'s clock running from step 0, as timm's `warmup_prefix=False`.
#
# ## 4. The others
#
# `add`, `shift` (delay the clock), `stretch` (slow it down), `per_epoch` (PyTorch's
# once-per-epoch `scheduler.step()` while counting updates), `warp` (bend the clock with
# a power), `repeat` (wind the clock back at regular intervals), `stretch_cycles`
# (Keras's `PolynomialDecay(cycle=True)`) and `custom`, for your own pure function.

# %%
base = sa.linear(1.0, 0.0, 100)
others = {
    "add(cosine, 0.2)": sa.add(sa.cosine(0.8, 0.0, 200), 0.2),
    "shift(linear, 50)": sa.shift(base, 50),
    "stretch(linear, 2)": sa.stretch(base, 2),
    "per_epoch(linear(1, 0, 10), 20)": sa.per_epoch(sa.linear(1.0, 0.0, 10), 20),
    "warp(linear, 3)": sa.warp(base, 3.0),
    "repeat(linear, 50)": sa.repeat(base, 50),
    "stretch_cycles(linear)": sa.stretch_cycles(sa.linear(1.0, 0.0, 40)),
    "custom": sa.custom(lambda t, base, rate: base * jnp.exp(-rate * t), base=1.0, rate=0.02),
}
fig, axes = plt.subplots(2, 4, figsize=(15, 6), sharex=True)
for ax, (name, v) in zip(axes.flat, zip(others, values_of(list(others.values()), t))):
    ax.plot(t, np.asarray(v), linewidth=1.6)
    ax.set_title(name, fontsize=10)
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Operators, and which compositions commute
#
# `a * b`, `a * 0.5` and `a + b` build the same nodes as `scale` and `add`. A product
# does not depend on the order of its factors; a sequence does. The next cell measures
# both on 300 steps.

# %%
a = sa.cosine(1.0, 0.0, 150)
b = sa.step(1.0, 50, 0.5)
print(a * b)
print(a * 0.5)
print(a + b)
t = np.arange(300)
product_gap = np.max(np.abs(sa.evaluate(a * b, t) - sa.evaluate(b * a, t)))
join_gap = np.max(
    np.abs(sa.evaluate(sa.join(a, b), t) - sa.evaluate(sa.join(b, a, boundaries=[150]), t))
)
print(f"max |a*b - b*a|             = {float(product_gap)}")
print(f"max |join(a,b) - join(b,a)| = {float(join_gap):.3f}")

# %% [markdown]
# ## 6. Text form
#
# `repr` is the canonical expression that rebuilds the schedule; `sa.parse` reads it back
# through a whitelist of schedalg constructors and numeric literals (it never evaluates
# code); `sa.to_dict` / `sa.from_dict` give a versioned JSON form for configs and
# checkpoints. Round trips are exact.

# %%
s = sa.warmup(sa.restart(sa.cosine(3e-4, 1e-6, 1000), mult=2.0), 500)
text = repr(s)
print(text)
again = sa.parse(text)
print(repr(again) == text)
blob = json.dumps(sa.to_dict(s))
print(blob)
back = sa.from_dict(json.loads(blob))
steps = np.arange(0, 8000, 7)
print("identical values:", bool(np.array_equal(sa.evaluate(back, steps), sa.evaluate(s, steps))))

# %% [markdown]
# Bad numbers fail at construction, with the function, the parameter, the rule and the
# value; `parse` refuses anything that is not a schedule expression.

# %%
for attempt in [
    lambda: sa.cosine(1.0, 0.0, 0),
    lambda: sa.restart(sa.constant(1.0)),
    lambda: sa.parse("__import__('os').system('ls')"),
]:
    try:
        attempt()
    except ValueError as err:
        print("ValueError:", err)

# %% [markdown]
# ## 7. Batches: many schedules in one call
#
# Because every number is a leaf, a batch of schedules is the same schedule with array
# leaves. `sa.grid` builds the cartesian product of parameter choices, `sa.evaluate`
# returns `batch_shape + steps.shape` from one jitted call. Here: 4 peaks x 3 warmup
# lengths, something optax's own schedules cannot batch because they branch on the
# warmup length in Python.

# %%
g = sa.grid(
    lambda peak, w: sa.warmup(sa.cosine(peak, 0.0, 600 - w), w),
    peak=[0.25, 0.5, 0.75, 1.0],
    w=[0, 100, 200],
)
print("batch shape:", sa.batch_shape(g))
values = sa.evaluate(g, np.arange(600))
print("values:", values.shape)
fig, axes = plt.subplots(1, 3, figsize=(14, 3.4), sharey=True)
for j, w in enumerate([0, 100, 200]):
    for i, p in enumerate([0.25, 0.5, 0.75, 1.0]):
        axes[j].plot(values[i, j], label=f"peak {p}")
    axes[j].set_title(f"warmup {w}, then cosine to step 600", fontsize=10)
    axes[j].set_xlabel("step")
    axes[j].grid(alpha=0.3)
axes[0].legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# `sa.stack` stacks schedules of one structure; `jax.vmap` and `jax.grad` see the leaves
# like any other pytree. Below: the derivative of the area under a warmup + cosine with
# respect to its peak and its warmup length, and the same schedule evaluated for 10,000
# peaks at once.

# %%
stacked = sa.stack([sa.cosine(1.0, 0.0, 100), sa.cosine(2.0, 0.5, 300)])
print("stacked batch shape:", sa.batch_shape(stacked), "values at 50:", stacked(50))


def area(peak, warm):
    s = sa.warmup(sa.cosine(peak, 0.0, 900.0), warm)
    return jnp.sum(s(jnp.arange(1000.0)))


print("d area / d peak, d area / d warmup:", jax.jit(jax.grad(area, argnums=(0, 1)))(1.0, 100.0))
peaks = jnp.linspace(0.1, 1.0, 10_000)
many = jax.jit(jax.vmap(lambda p: sa.cosine(p, 0.0, 100)(jnp.arange(101))))(peaks)
print("vmapped:", many.shape)

# %% [markdown]
# ## 8. A schedule is an optax schedule
#
# Pass it wherever optax takes a learning rate. optax calls it with the number of updates
# already made, so the first update uses `schedule(0)`: with a warmup from 0 that first
# update is zero, as the three updates below show. To schedule other hyperparameters
# (momentum, weight decay) and read the values back from the optimizer state, see
# `schedalg.optax` (notebook 05 and `docs/optax.md`).

# %%
import optax

schedule = sa.warmup(sa.cosine(1e-3, 0.0, 900), 100)
opt = optax.sgd(learning_rate=schedule)
params = jnp.zeros(2)
state = opt.init(params)
for n in range(3):
    updates, state = opt.update(jnp.ones(2), state, params)
    print(f"update {n + 1}: lr = schedule({n}) = {float(schedule(n)):.0e}, update = {updates}")
