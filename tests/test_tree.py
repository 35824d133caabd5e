"""partition / combine: float leaves apart from the rest, for jax.grad and optax."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import schedalg as sa
from schedalg._core import REGISTRY
from schedalg._tree import role_path
from tests.test_extremes import catalogue


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def _is_float(x):
    return isinstance(x, float) or jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _nodes(s):
    yield s
    for _, child in s.children():
        yield from _nodes(child)


def _extra():
    """Classes that catalogue() does not hold yet."""
    return [("cooldown", sa.cooldown(sa.cosine(1.0, 0.1, 1000), 100, shape="1-sqrt"), [])]


CATALOGUE = [pytest.param(s, id=name) for name, s, _ in catalogue() + _extra()]


def test_the_catalogue_covers_every_public_schedule_class():
    covered = {node.name for p in CATALOGUE for node in _nodes(p.values[0])}
    public = {n for n in sa.__all__ if n in REGISTRY}
    assert public - covered == set(), "add an example to catalogue() (tests/test_extremes.py)"


@pytest.mark.parametrize("s", CATALOGUE)
def test_partition_then_combine_gives_the_schedule_back(s):
    floats, rest = sa.partition(s)
    back = sa.combine(floats, rest)
    assert type(back) is type(s)
    assert jax.tree.structure(back) == jax.tree.structure(s)
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(s)):
        assert a is b  # the very leaves, not copies
    assert repr(back) == repr(s)
    t = np.array([0, 1, 50, 99, 100, 101, 777, 5000])
    np.testing.assert_array_equal(np.asarray(back(t)), np.asarray(s(t)))
    # Each leaf lands in exactly one half: floats in the first, the others in the second.
    assert all(_is_float(x) for x in jax.tree.leaves(floats))
    assert not any(_is_float(x) for x in jax.tree.leaves(rest))
    assert len(jax.tree.leaves(floats)) + len(jax.tree.leaves(rest)) == len(jax.tree.leaves(s))


def test_integer_leaves_go_to_rest_and_float_durations_to_floats():
    s = sa.warmup(sa.multistep(0.1, [100, 200], 0.5), 30, start=0.01)
    floats, rest = sa.partition(s)
    assert (floats.start, floats.steps, floats.schedule.start) == (0.01, None, 0.1)
    assert (floats.schedule.factor, floats.schedule.milestones) == (0.5, None)
    assert (rest.start, rest.steps, rest.schedule.start, rest.schedule.factor) == (None, 30) + (
        None,
        None,
    )
    assert rest.schedule.milestones.tolist() == [100, 200]
    # A duration written as a float is a float leaf (learnable); numpy scalars count too.
    floats, rest = sa.partition(sa.cosine(np.float32(1.0), 0.0, 100.0))
    assert (floats.steps, rest.steps) == (100.0, None)
    assert floats.start.dtype == np.float32
    # custom's params are leaves like any other.
    floats, rest = sa.partition(sa.custom(lambda t, base, n: base / (1 + t / n), base=1.0, n=10))
    assert (floats.params, rest.params) == ({"base": 1.0, "n": None}, {"base": None, "n": 10})


def _composite():
    main = sa.restart(sa.cosine(0.1, 0.001, 50), mult=2, decay=0.5)
    return sa.warmup(main, 10, start=0.01) * sa.step(1.0, 40, 0.9) + sa.constant(1e-4)


def _loss(s):
    values = s(jnp.arange(200))
    return jnp.sum((values - 0.03) ** 2)


def test_plain_grad_fails_on_integer_leaves_and_partition_fixes_it(x64):
    s = _composite()
    with pytest.raises(TypeError, match="grad requires real- or complex-valued inputs"):
        jax.grad(_loss)(s)
    floats, rest = sa.partition(s)
    loss = jax.jit(lambda f: _loss(sa.combine(f, rest)))  # one compile for every point
    g = jax.jit(jax.grad(lambda f: _loss(sa.combine(f, rest))))(floats)
    assert jax.tree.structure(g) == jax.tree.structure(floats)
    # Each partial derivative against a central finite difference, in float64.
    paths = jax.tree_util.tree_flatten_with_path(floats)[0]
    grads = jax.tree.leaves(g)
    assert len(paths) == len(grads) >= 8  # values, factors, exponent, decay, warmup start
    eps = 1e-6
    for (path, value), got in zip(paths, grads):

        def at(v, path=path):
            moved = jax.tree_util.tree_map_with_path(lambda p, x: v if p == path else x, floats)
            return float(loss(jax.tree.map(jnp.float64, moved)))

        want = (at(value + eps) - at(value - eps)) / (2 * eps)
        assert float(got) == pytest.approx(want, rel=1e-5, abs=1e-9), jax.tree_util.keystr(path)
    assert float(g.schedule.schedule.schedule.schedule.start) != 0.0  # the cosine peak


def test_an_optax_adam_step_on_the_float_leaves():
    s = _composite()
    floats, rest = sa.partition(s)
    floats = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), floats)  # one compile
    opt = optax.adam(1e-3)
    state = opt.init(floats)
    loss_of = jax.jit(lambda f: _loss(sa.combine(f, rest)))

    @jax.jit
    def update(floats, state):
        loss, g = jax.value_and_grad(loss_of)(floats)
        updates, state = opt.update(g, state, floats)
        return optax.apply_updates(floats, updates), state, loss, g

    new, state, loss, g = update(floats, state)
    # Adam's first step moves every leaf with a gradient by 1e-3 against its sign.
    for old, moved, grad in zip(*(jax.tree.leaves(x) for x in (floats, new, g))):
        assert float(moved) == pytest.approx(float(old) - 1e-3 * np.sign(grad), abs=1e-7)
    learned = sa.combine(new, rest)
    assert learned.schedule.schedule.steps == 10  # the warmup's length, untouched
    assert learned.schedule.schedule.schedule.schedule.steps == 50
    assert float(loss_of(new)) < float(loss)
    for _ in range(20):
        new, state, _, _ = update(new, state)
    assert float(loss_of(new)) < 0.9 * float(loss)


def test_partition_of_a_batched_schedule():
    batch = sa.grid(
        lambda peak, w: sa.warmup(sa.cosine(peak, 0.0, 100), w),
        peak=np.array([0.1, 0.2, 0.3]),
        w=np.array([0, 10]),
    )
    floats, rest = sa.partition(batch)
    assert floats.schedule.start.shape == (3, 2) and floats.steps is None
    assert rest.steps.shape == (3, 2) and rest.schedule.start is None
    assert rest.steps.dtype.kind == "i"
    back = sa.combine(floats, rest)
    t = np.arange(0, 120, 7)
    np.testing.assert_array_equal(
        np.asarray(sa.evaluate(back, t)), np.asarray(sa.evaluate(batch, t))
    )
    # One gradient per member: d/d peak of the sum of the values.
    total = lambda f: jnp.sum(sa.combine(f, rest)(jnp.arange(50)[:, None, None]))  # noqa: E731
    g = jax.jit(jax.grad(total))(floats)
    per_peak = np.asarray(g.schedule.start)
    assert per_peak.shape == (3, 2)
    np.testing.assert_allclose(per_peak[:, 0], per_peak[0, 0], rtol=1e-6)  # linear in the peak
    assert per_peak[0, 1] < per_peak[0, 0]  # a warmup lowers the peak's share


def test_combine_refuses_halves_of_different_schedules():
    floats, _ = sa.partition(sa.cosine(1.0, 0.0, 10))
    _, rest = sa.partition(sa.linear(1.0, 0.0, 10))
    with pytest.raises(ValueError, match="combine: floats and rest must be the two halves"):
        sa.combine(floats, rest)


# ----------------------------------------------------------------------------
# Roles: learn and sweep read the same declarations.

ROLE_CASES = [
    "warmup(cosine(1e-3, 1e-5, 900), 100)",
    "repeat(cosine(1e-3, 1e-5, 100), 100)",
    "wsd(1e-3, 100, 700, 200, end=1e-5)",
    "warmup(wsd(1e-3, 0, 700, 200, end=1e-5), 50)",
    "stretch_cycles(polynomial(1e-3, 1e-5, 100, power=2.0))",
    "restart(polynomial(1e-3, 1e-5, 100, power=2.0), 100, mult=2.0)",
    "shift(step(1e-3, 30, 0.5), 10)",
    "cooldown(constant(1e-3), 100, 1000)",
    "join(warmup(linear(1e-3, 1e-5, 900), 100), constant(0.0))",
]


@pytest.mark.parametrize("expr", ROLE_CASES)
@pytest.mark.parametrize("role", ["peak", "end", "steps", "warmup"])
def test_learn_and_sweep_resolve_a_role_to_the_same_leaf(expr, role):
    from schedalg.train import meta, sweep

    s = sa.parse(expr)
    expected = role_path(s, role)
    if expected is None:
        with pytest.raises(ValueError):
            sweep.resolve(s, role)
        with pytest.raises(ValueError):
            meta.resolve(s, [role], 1000)
        return
    assert sweep.resolve(s, role) == (expected, None)
    assert meta.resolve(s, [role], 1000)[0].path == expected


def test_roles_of_the_issue_cases():
    assert role_path(sa.parse("repeat(cosine(1e-3, 0.0, 100), 100)"), "peak") == "schedule.start"
    assert role_path(sa.wsd(1e-3, 100, 700, 200), "steps") == "decay"
    warm = sa.join(sa.warmup(sa.linear(1e-3, 0.0, 900), 100), sa.constant(0.0))
    assert role_path(warm, "warmup") == "pieces[0].steps"  # the first warmup, depth first
    assert role_path(warm, "peak") is None  # a join has no main schedule


def test_every_declared_role_names_a_field():
    import dataclasses

    for name in sa.__all__:
        cls = getattr(sa, name)
        if isinstance(cls, type) and issubclass(cls, sa.Schedule):
            fields = {f.name for f in dataclasses.fields(cls)} if cls is not sa.Schedule else set()
            assert set(cls.roles.values()) <= fields, name
            value_roles = {"peak", "end", "steps", "warmup", "exponent", "knots"}
            clock_roles = {"delay", "slowdown", "epoch", "starts"}
            assert set(cls.roles) <= value_roles | clock_roles, name
