"""The functional ReduceLROnPlateau rule: literal tables, modes, jit, vmap, validation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from schedalg.plateau import PlateauState, reduce_on_plateau


def _run(rule, metrics, update=None):
    """(scale, best, bad_steps, cooldown_left) after each update."""
    update = update or rule.update
    state, rows = rule.init(), []
    for m in metrics:
        state = update(state, m)
        rows.append(
            (
                round(float(state.scale), 6),
                float(state.best),
                int(state.bad_steps),
                int(state.cooldown_left),
            )
        )
    return rows


def test_init_is_scale_one_with_no_best_yet():
    state = reduce_on_plateau().init()
    assert isinstance(state, PlateauState)
    assert float(state.scale) == 1.0 and float(state.best) == np.inf
    assert (int(state.bad_steps), int(state.cooldown_left), int(state.count)) == (0, 0, 0)
    assert float(reduce_on_plateau(mode="max").init().best) == -np.inf


def test_min_mode_reduces_after_patience_bad_steps():
    rule = reduce_on_plateau(factor=0.5, patience=2, threshold=0.0)
    rows = _run(rule, [3.0, 2.0, 2.0, 2.5, 2.0, 1.0, 1.0, 1.0, 1.0])
    assert rows == [
        (1.0, 3.0, 0, 0),
        (1.0, 2.0, 0, 0),
        (1.0, 2.0, 1, 0),  # equal is not better
        (1.0, 2.0, 2, 0),
        (0.5, 2.0, 0, 0),  # third bad step > patience: reduce
        (0.5, 1.0, 0, 0),
        (0.5, 1.0, 1, 0),
        (0.5, 1.0, 2, 0),
        (0.25, 1.0, 0, 0),
    ]


def test_max_mode_with_an_absolute_threshold():
    rule = reduce_on_plateau(
        factor=0.1, patience=0, threshold=0.5, threshold_mode="abs", mode="max"
    )
    rows = _run(rule, [1.0, 1.4, 1.6, 2.0])
    # 1.4 and 2.0 are within 0.5 of the best (1.0, then 1.6): not improvements.
    assert [r[0] for r in rows] == [1.0, 0.1, 0.1, 0.01]
    np.testing.assert_allclose([r[1] for r in rows], [1.0, 1.0, 1.6, 1.6], rtol=1e-6)


def test_relative_threshold_needs_a_relative_improvement():
    rule = reduce_on_plateau(factor=0.5, patience=0, threshold=0.1)
    # 0.95 is not below 1.0 * (1 - 0.1); 0.85 is.
    assert [r[0] for r in _run(rule, [1.0, 0.95, 0.85])] == [1.0, 0.5, 0.5]


def test_cooldown_ignores_bad_steps_and_torch_keeps_tracking_the_best():
    rule = reduce_on_plateau(factor=0.5, patience=0, cooldown=2, threshold=0.0)
    rows = _run(rule, [1.0, 2.0, 0.5, 2.0, 2.0, 2.0])
    assert rows == [
        (1.0, 1.0, 0, 0),
        (0.5, 1.0, 0, 2),  # reduce, start a cooldown of 2
        (0.5, 0.5, 0, 1),  # in cooldown: the best still improves (torch)
        (0.5, 0.5, 0, 0),  # in cooldown: the bad step is ignored
        (0.25, 0.5, 0, 2),
        (0.25, 0.5, 0, 1),
    ]


def test_braintools_variant_freezes_the_best_during_cooldown():
    rule = reduce_on_plateau(
        factor=0.5, patience=0, cooldown=2, threshold=0.0, best_in_cooldown=False
    )
    rows = _run(rule, [1.0, 2.0, 0.5, 2.0])
    assert [r[1] for r in rows] == [1.0, 1.0, 1.0, 1.0]
    assert [r[0] for r in rows] == [1.0, 0.5, 0.5, 0.5]


def test_min_scale_floors_the_scale_and_eps_skips_small_reductions():
    rule = reduce_on_plateau(factor=0.5, patience=0, min_scale=0.3, threshold=0.0)
    assert [r[0] for r in _run(rule, [1.0, 1.0, 1.0, 1.0])] == [1.0, 0.5, 0.3, 0.3]
    rule = reduce_on_plateau(factor=0.5, patience=0, eps=0.3, cooldown=1, threshold=0.0)
    rows = _run(rule, [1.0, 1.0, 1.0, 1.0, 1.0])
    # 1 -> 0.5 (a drop of 0.5 > eps); 0.5 -> 0.25 is a drop of 0.25 <= eps: skipped, but
    # the cooldown starts all the same, as in torch.
    assert [r[0] for r in rows] == [1.0, 0.5, 0.5, 0.5, 0.5]
    assert [r[3] for r in rows] == [0, 1, 0, 1, 0]


def test_update_is_jittable_and_does_not_retrace_for_new_numbers():
    traces = []

    @jax.jit
    def step(rule, state, metric):
        traces.append(None)
        return rule.update(state, metric)

    for factor, patience in [(0.5, 0), (0.2, 3), (0.9, 1)]:
        rule = reduce_on_plateau(factor=factor, patience=patience, threshold=0.0)
        jitted = _run(rule, [1.0, 1.0, 1.0, 0.5], lambda s, m, r=rule: step(r, s, m))
        assert jitted == _run(rule, [1.0, 1.0, 1.0, 0.5])
    assert len(traces) == 1


def test_update_keeps_dtypes_for_a_scan_carry():
    rule = reduce_on_plateau(factor=0.5, patience=1)
    state = rule.init()
    _, scales = jax.lax.scan(
        lambda s, m: (rule.update(s, m), rule.update(s, m).scale), state, jnp.ones(5)
    )
    assert scales.dtype == state.scale.dtype == jnp.float32


def test_float64_under_x64():
    with jax.enable_x64(True):
        state = reduce_on_plateau().update(reduce_on_plateau().init(), 1.0)
        assert state.scale.dtype == state.best.dtype == jnp.float64


def test_population_under_vmap_keeps_one_state_per_member():
    factors, patiences = [0.5, 0.1, 0.9], [0, 1, 2]
    rules = [
        reduce_on_plateau(factor=f, patience=p, threshold=0.0) for f, p in zip(factors, patiences)
    ]
    population = jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *rules)
    metrics = jnp.asarray([[1.0, 1.0, 1.0, 1.0], [2.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])

    def run(rule, ms):
        state, _ = jax.lax.scan(lambda s, m: (rule.update(s, m), None), rule.init(), ms)
        return state.scale

    got = np.asarray(jax.jit(jax.vmap(run))(population, metrics))
    want = [_run(r, np.asarray(m))[-1][0] for r, m in zip(rules, metrics)]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert [round(float(x), 6) for x in got] == [0.125, 0.1, 0.9]


def test_batched_leaves_broadcast_without_vmap():
    rule = reduce_on_plateau(factor=np.array([0.5, 0.25]), patience=0, threshold=0.0)
    state = rule.init()
    assert state.scale.shape == (2,)
    for m in [1.0, 1.0]:
        state = rule.update(state, m)
    np.testing.assert_allclose(state.scale, [0.5, 0.25])
    assert state.count.tolist() == [2, 2]


def test_rule_and_state_are_pytrees_with_numbers_as_leaves():
    rule = reduce_on_plateau(factor=0.5, patience=3, mode="max", threshold_mode="abs")
    leaves, treedef = jax.tree_util.tree_flatten(rule)
    assert leaves == [0.5, 3, 1e-4, 0, 0.0, 0.0]
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert (rebuilt.mode, rebuilt.threshold_mode) == ("max", "abs")
    assert len(jax.tree_util.tree_leaves(rule.init())) == 5


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(factor=1.0), "reduce_on_plateau: factor must be in [0, 1), got factor=1.0"),
        (dict(factor=-0.1), "factor must be in [0, 1), got factor=-0.1"),
        (dict(patience=-1), "patience must be an integer >= 0, got patience=-1"),
        (dict(patience=1.5), "patience must be an integer >= 0, got patience=1.5"),
        (dict(cooldown=-2), "cooldown must be an integer >= 0, got cooldown=-2"),
        (dict(threshold=-1e-3), "threshold must be >= 0, got threshold=-0.001"),
        (dict(min_scale=-0.1), "min_scale must be >= 0, got min_scale=-0.1"),
        (dict(eps=float("nan")), "eps must be finite, got eps=nan"),
        (dict(mode="avg"), "mode must be one of ('min', 'max'), got mode='avg'"),
        (dict(threshold_mode="pct"), "threshold_mode must be one of ('rel', 'abs')"),
    ],
)
def test_invalid_parameters_raise_naming_param_and_value(kwargs, message):
    with pytest.raises(ValueError) as err:
        reduce_on_plateau(**kwargs)
    assert message in str(err.value)


def test_traced_parameters_are_not_validated_at_construction():
    @jax.jit
    def build_and_update(factor):
        rule = reduce_on_plateau(factor=factor, patience=0)
        return rule.update(rule.update(rule.init(), 1.0), 1.0).scale

    assert float(build_and_update(0.5)) == 0.5
