"""schedalg.optax with real optax optimizers in real (jitted) training loops.

Every check reads back what was applied: the hyperparameters from the optimizer state
and the parameter updates themselves, against the schedule, against optax's own
``inject_hyperparams`` driven by hand, or against PyTorch (OneCycleLR,
ReduceLROnPlateau) run in the test.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import schedalg as sa
import schedalg.optax as sopt
from schedalg.plateau import reduce_on_plateau as core_plateau

torch = pytest.importorskip("torch")


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def quadratic_grads(params, k):
    """A deterministic, step-dependent gradient for a loop."""
    return jax.tree.map(
        lambda p: p * 0.5 + jnp.sin(k + jnp.arange(p.size).reshape(p.shape)), params
    )


# ----------------------------------------------------------------------------
# scheduled + current


def test_scheduled_sgd_applies_lr_and_momentum_of_the_schedule_at_every_step():
    lr = sa.warmup(sa.cosine(0.1, 0.001, 20), 5)
    mom = sa.one_cycle(0.95, 0.85, 0.95, 25)
    opt = sopt.scheduled(optax.sgd, learning_rate=lr, momentum=mom)

    @jax.jit
    def step(params, state, k):
        grads = quadratic_grads(params, k)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, grads

    params = jnp.array([1.0, -2.0, 0.5])
    state = opt.init(params)
    ref, trace = np.asarray(params, np.float64), np.zeros(3)
    for k in range(25):
        params, state, grads = step(params, state, k)
        values = sopt.current(state)
        np.testing.assert_allclose(values["learning_rate"], lr(k), rtol=1e-6)
        np.testing.assert_allclose(values["momentum"], mom(k), rtol=1e-6)
        trace = np.asarray(grads, np.float64) + float(mom(k)) * trace  # optax's trace
        ref = ref - float(lr(k)) * trace
        np.testing.assert_allclose(params, ref, rtol=1e-5, atol=1e-6)
    assert int(state.count) == 25


def test_scheduled_adamw_matches_inject_hyperparams_set_by_hand():
    lr = sa.wsd(1e-2, 3, 4, 5, end=1e-3)
    wd = sa.cosine(0.1, 0.01, 12)
    opt = sopt.scheduled(optax.adamw, learning_rate=lr, weight_decay=wd, b1=0.8)
    manual = optax.inject_hyperparams(optax.adamw)(learning_rate=0.0, weight_decay=0.0, b1=0.8)
    params = {"w": jnp.array([[1.0, 2.0], [3.0, -1.0]]), "b": jnp.array([0.5])}
    p_a, p_b = params, params
    s_a, s_b = opt.init(params), manual.init(params)
    update_a, update_b = jax.jit(opt.update), jax.jit(manual.update)
    for k in range(12):
        g_a, g_b = quadratic_grads(p_a, k), quadratic_grads(p_b, k)
        s_b.hyperparams["learning_rate"] = jnp.asarray(lr(k))
        s_b.hyperparams["weight_decay"] = jnp.asarray(wd(k))
        u_a, s_a = update_a(g_a, s_a, p_a)
        u_b, s_b = update_b(g_b, s_b, p_b)
        p_a, p_b = optax.apply_updates(p_a, u_a), optax.apply_updates(p_b, u_b)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), p_a, p_b)
        values = sopt.current(s_a)
        np.testing.assert_allclose(values["learning_rate"], lr(k), rtol=1e-6)
        np.testing.assert_allclose(values["weight_decay"], wd(k), rtol=1e-6)
        np.testing.assert_allclose(values["b1"], 0.8, rtol=1e-6)


def test_scheduled_positional_hyperparameter_and_passthrough_of_non_numbers():
    opt = sopt.scheduled(optax.sgd, sa.constant(0.5), momentum=0.9, nesterov=True)
    params = jnp.ones(2)
    state = opt.init(params)
    assert set(sopt.current(state)) == {"learning_rate", "momentum"}
    updates, state = opt.update(jnp.ones(2), state, params)
    # Nesterov, first step: g + momentum * (g + momentum * 0) = 1.9 g
    np.testing.assert_allclose(updates, -0.5 * 1.9 * np.ones(2), rtol=1e-6)


def test_scheduled_hyperparam_dtype_applies_to_schedules_too():
    opt = sopt.scheduled(optax.sgd, learning_rate=sa.constant(0.5), hyperparam_dtype=jnp.bfloat16)
    state = opt.init(jnp.ones(2))
    assert sopt.current(state)["learning_rate"].dtype == jnp.bfloat16


def test_scheduled_rejects_unknown_hyperparameter_by_name():
    with pytest.raises(ValueError, match=r"scheduled: sgd does not take these arguments"):
        sopt.scheduled(optax.sgd, lr=sa.constant(0.1))


def test_scheduled_jit_does_not_retrace_for_new_schedule_numbers():
    traces = []

    @jax.jit
    def step(params, state):
        traces.append(1)
        opt = sopt.scheduled(optax.sgd, learning_rate=sa.cosine(1.0, 0.0, 1), momentum=0.9)
        updates, state = opt.update(jnp.ones_like(params), state, params)
        return optax.apply_updates(params, updates), state

    params = jnp.zeros(2)
    for peak, steps in [(0.1, 10), (0.3, 50), (2.0, 7)]:
        opt = sopt.scheduled(optax.sgd, learning_rate=sa.cosine(peak, 0.0, steps), momentum=0.9)
        state = opt.init(params)
        p, state = step(params, state)
        p, state = step(p, state)
        np.testing.assert_allclose(
            sopt.current(state)["learning_rate"], sa.cosine(peak, 0.0, steps)(1)
        )
    assert len(traces) == 1  # the schedule's numbers are state, never constants


def test_current_finds_hyperparams_inside_chain_multisteps_and_multi_transform():
    lr = sa.linear(1.0, 0.0, 10)
    inner = sopt.scheduled(optax.sgd, learning_rate=lr)
    params = {"a": jnp.ones(2), "b": jnp.ones(3)}
    chained = optax.chain(optax.clip_by_global_norm(1.0), inner)
    multi = optax.MultiSteps(chained, every_k_schedule=2)
    assert set(sopt.current(multi.init(params))) == {"learning_rate"}
    groups = optax.multi_transform(
        {"x": inner, "y": sopt.scheduled(optax.adam, learning_rate=lr * 0.1)},
        {"a": "x", "b": "y"},
    )
    values = sopt.current(groups.init(params))
    assert values["x/learning_rate"] == pytest.approx(1.0)
    assert values["y/learning_rate"] == pytest.approx(0.1)
    assert values["y/b1"] == pytest.approx(0.9)
    two = sopt.current(optax.chain(inner, inner).init(params))
    assert set(two) == {"0/learning_rate", "1/learning_rate"}
    with pytest.raises(ValueError, match="current: the optimizer state holds no injected"):
        sopt.current(optax.sgd(0.1).init(params))


# ----------------------------------------------------------------------------
# OneCycle SGD against torch


def torch_one_cycle(total, max_lr, x0, grads_fn, **kwargs):
    w = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=max_lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total, **kwargs)
    lrs, moms, traj = [], [], []
    for k in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.zero_grad()
        w.grad = torch.tensor(np.asarray(grads_fn(w.detach().numpy(), k)), dtype=torch.float64)
        opt.step()
        sched.step()
        traj.append(w.detach().numpy().copy())
    return np.array(lrs), np.array(moms), np.array(traj)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"three_phase": True},
        {"anneal_strategy": "linear", "pct_start": 0.25, "div_factor": 10.0},
        {"base_momentum": 0.8, "max_momentum": 0.9, "final_div_factor": 100.0},
    ],
)
def test_one_cycle_sgd_matches_torch_lr_momentum_and_trajectory(x64, kwargs):
    total, max_lr = 40, 0.3
    x0 = np.array([1.0, -2.0, 0.5])
    grads_fn = lambda p, k: p * 0.5 + np.sin(k + np.arange(3))
    lrs, moms, traj = torch_one_cycle(total, max_lr, x0, grads_fn, **kwargs)
    opt = sopt.one_cycle_sgd(max_lr, total, **kwargs)
    update = jax.jit(opt.update)
    params = jnp.asarray(x0)
    state = opt.init(params)
    for k in range(total):
        updates, state = update(jnp.asarray(grads_fn(np.asarray(params), k)), state, params)
        params = optax.apply_updates(params, updates)
        values = sopt.current(state)
        np.testing.assert_allclose(values["learning_rate"], lrs[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(values["momentum"], moms[k], rtol=1e-12)
        np.testing.assert_allclose(params, traj[k], rtol=1e-10, atol=1e-12)


def test_one_cycle_sgd_weight_decay_matches_torch_sgd(x64):
    total = 20
    x0 = np.array([1.0, -2.0])
    w = torch.nn.Parameter(torch.tensor(x0))
    topt = torch.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=total)
    opt = sopt.one_cycle_sgd(0.1, total, weight_decay=0.01)
    params = jnp.asarray(x0)
    state = opt.init(params)
    for k in range(total):
        g = np.cos(k + np.arange(2))
        w.grad = torch.tensor(g)
        topt.step()
        sched.step()
        updates, state = opt.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        np.testing.assert_allclose(params, w.detach().numpy(), rtol=1e-10)


def test_one_cycle_sgd_rejects_too_short_warmup():
    with pytest.raises(ValueError, match="one_cycle_sgd: pct_start"):
        sopt.one_cycle_sgd(0.1, 3, pct_start=0.3)


# ----------------------------------------------------------------------------
# Gradient accumulation


def test_multisteps_advances_the_schedule_once_per_real_update():
    k_acc, updates_n = 3, 5
    lr = sa.linear(0.5, 0.1, 4)
    opt = optax.MultiSteps(sopt.scheduled(optax.sgd, learning_rate=lr), every_k_schedule=k_acc)
    step = jax.jit(opt.update)
    params = jnp.array([1.0, 2.0])
    state = opt.init(params)
    ref = np.array([1.0, 2.0])
    micro = [np.array([np.sin(i), np.cos(i)]) for i in range(k_acc * updates_n)]
    for i, g in enumerate(micro):
        upd, state = step(jnp.asarray(g, jnp.float32), state, params)
        params = optax.apply_updates(params, upd)
        real = (i + 1) // k_acc  # real updates made so far
        if (i + 1) % k_acc == 0:  # manual loop: mean of the micro-batches, lr of update j
            mean = np.mean(micro[i + 1 - k_acc : i + 1], axis=0)
            ref = ref - float(lr(real - 1)) * mean
            np.testing.assert_allclose(sopt.current(state)["learning_rate"], lr(real - 1))
        np.testing.assert_allclose(params, ref, rtol=1e-5)
        assert int(state.gradient_step) == real
    assert int(state.inner_opt_state.hyperparams_states["learning_rate"].count) == updates_n


def test_per_epoch_schedule_steps_once_per_epoch_while_counting_updates():
    opt = sopt.scheduled(optax.sgd, learning_rate=sa.per_epoch(sa.step(1.0, 2, 0.5), 3))
    params = jnp.zeros(1)
    state = opt.init(params)
    seen = []
    for _ in range(12):
        _, state = opt.update(jnp.ones(1), state, params)
        seen.append(float(sopt.current(state)["learning_rate"]))
    assert seen == [1.0] * 6 + [0.5] * 6  # epochs of 3 updates, halving every 2 epochs


# ----------------------------------------------------------------------------
# Plateau


def torch_plateau_scales(metrics, **kwargs):
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return np.array(out)


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.92, 0.5, 0.6, 0.6, 0.6, 0.6, 0.61, 0.7]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(factor=0.5, patience=1),
        dict(factor=0.5, patience=2, cooldown=1, threshold=0.05, threshold_mode="abs"),
        dict(factor=0.1, patience=0, min_scale=0.01),
    ],
)
def test_plateau_transform_scales_equal_core_and_torch(kwargs):
    torch_kwargs = {("min_lr" if k == "min_scale" else k): v for k, v in kwargs.items()}
    expected = torch_plateau_scales(PLATEAU_METRICS, **torch_kwargs)
    tx = sopt.reduce_on_plateau(**kwargs)
    core = core_plateau(**kwargs)
    update = jax.jit(tx.update)
    params = jnp.ones(2)
    state, core_state = tx.init(params), core.init()
    for i, metric in enumerate(PLATEAU_METRICS):
        updates, state = update(jnp.ones(2), state, params, value=metric)
        core_state = core.update(core_state, metric)
        np.testing.assert_allclose(updates, expected[i], rtol=1e-6)  # the applied scale
        np.testing.assert_allclose(state.plateau.scale, core_state.scale, rtol=1e-7)
        np.testing.assert_allclose(sopt.current(state)["plateau_scale"], expected[i], rtol=1e-6)


def test_plateau_after_scheduled_sgd_gives_base_times_scale_and_accumulates():
    base = sa.linear(1.0, 0.5, 8)
    opt = optax.chain(
        sopt.scheduled(optax.sgd, learning_rate=base),
        sopt.reduce_on_plateau(factor=0.5, patience=0, accumulation_size=2),
    )
    step = jax.jit(opt.update)
    params = jnp.zeros(1)
    state = opt.init(params)
    metrics = [2.0, 0.0, 1.0, 1.0, 3.0, 1.0, 0.5, 0.5]  # pair means: 1, 1, 2, 0.5
    core = core_plateau(factor=0.5, patience=0)
    core_state = core.init()
    for k, metric in enumerate(metrics):
        updates, state = step(jnp.ones(1), state, params, value=metric)
        if k % 2 == 1:
            core_state = core.update(core_state, np.mean(metrics[k - 1 : k + 1]))
        values = sopt.current(state)
        np.testing.assert_allclose(values["0/learning_rate"], base(k))
        np.testing.assert_allclose(values["1/plateau_scale"], core_state.scale)
        np.testing.assert_allclose(updates, -base(k) * core_state.scale, rtol=1e-6)
    assert float(core_state.scale) == 0.25  # mean 2 is worse, then 0.5 better: one cut
    # ... then the plateau sees [1, 1] (cut to 0.5), [2] (cut to 0.25), [0.5] (better)


def test_plateau_state_vmaps_over_a_population_of_rules():
    tx = sopt.reduce_on_plateau(factor=0.5, patience=1)
    params = jnp.zeros(1)
    members = [core_plateau(factor=f, patience=p) for f, p in [(0.5, 1), (0.1, 0), (0.9, 2)]]
    rules = jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *members)
    state0 = tx.init(params)
    states = jax.vmap(lambda r: state0._replace(rule=r, plateau=r.init()))(rules)
    step = jax.jit(jax.vmap(lambda s, m: tx.update(jnp.ones(1), s, params, value=m)))
    metrics = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    for m in metrics:
        updates, states = step(states, jnp.asarray(m))
    expected = [
        torch_plateau_scales(metrics[:, i], factor=f, patience=p)[-1]
        for i, (f, p) in enumerate([(0.5, 1), (0.1, 0), (0.9, 2)])
    ]
    np.testing.assert_allclose(updates[:, 0], expected, rtol=1e-6)


# ----------------------------------------------------------------------------
# Parameter groups


def test_param_groups_backbone_tenth_lr_and_frozen_embeddings_in_real_updates():
    lr = sa.warmup(sa.cosine(0.2, 0.0, 10), 2)
    opt = sopt.param_groups(
        {
            "head": sopt.scheduled(optax.sgd, learning_rate=lr),
            "backbone": sopt.scheduled(optax.sgd, learning_rate=lr * 0.1),
            "embed": None,
        },
        [(r"embed/.*", "embed"), (r"backbone/.*", "backbone"), (r".*", "head")],
    )
    params = {
        "embed": {"table": jnp.ones((3, 2))},
        "backbone": {"dense": {"kernel": jnp.ones((2, 2)), "bias": jnp.ones(2)}},
        "head": {"kernel": jnp.ones((2, 1))},
    }
    step = jax.jit(opt.update)
    state = opt.init(params)
    grads = jax.tree.map(lambda p: jnp.full_like(p, 2.0), params)
    for k in range(6):
        updates, state = step(grads, state, params)
        np.testing.assert_allclose(updates["embed"]["table"], 0.0)
        np.testing.assert_allclose(updates["head"]["kernel"], -2.0 * lr(k), rtol=1e-6)
        for leaf in jax.tree.leaves(updates["backbone"]):
            np.testing.assert_allclose(leaf, -0.2 * lr(k), rtol=1e-6)
        values = sopt.current(state)
        assert set(values) == {"head/learning_rate", "backbone/learning_rate"}
        np.testing.assert_allclose(values["backbone/learning_rate"], 0.1 * lr(k), rtol=1e-6)


def test_param_groups_patterns_as_keys_and_label_function():
    params = {"enc": {"w": jnp.ones(2)}, "dec": {"w": jnp.ones(2)}, "scale": jnp.ones(1)}
    grads = jax.tree.map(jnp.ones_like, params)
    by_key = sopt.param_groups({r"enc/.*": optax.sgd(0.1), r".*": optax.sgd(1.0)})
    updates, _ = by_key.update(grads, by_key.init(params), params)
    assert float(updates["enc"]["w"][0]) == pytest.approx(-0.1)
    assert float(updates["dec"]["w"][0]) == pytest.approx(-1.0)
    by_fn = sopt.param_groups(
        {"vec": optax.sgd(0.5), "frozen": None},
        lambda name, leaf: "frozen" if leaf.ndim == 1 and leaf.size == 1 else "vec",
    )
    updates, _ = by_fn.update(grads, by_fn.init(params), params)
    assert float(updates["scale"][0]) == 0.0
    assert float(updates["dec"]["w"][1]) == pytest.approx(-0.5)


def test_param_groups_errors_name_the_parameter_and_the_label():
    params = {"enc": jnp.ones(1), "other": jnp.ones(1)}
    opt = sopt.param_groups({"a": optax.sgd(0.1)}, [(r"enc", "a")])
    with pytest.raises(ValueError, match=r"parameter 'other' matches none of the rules"):
        opt.init(params)
    with pytest.raises(ValueError, match=r"rule 1 labels 'b', which is not a key"):
        sopt.param_groups({"a": optax.sgd(0.1)}, [(r".*", "b")])
    with pytest.raises(ValueError, match=r"bad regex"):
        sopt.param_groups({"a": optax.sgd(0.1)}, [(r"(", "a")])


# ----------------------------------------------------------------------------
# Population: one vmapped step, one schedule per member


def test_population_of_states_with_stacked_schedules_updates_in_one_vmapped_step():
    schedules = [sa.warmup(sa.cosine(p, 0.0, 20), w) for p, w in [(0.1, 0), (0.3, 5), (1.0, 10)]]
    batched = sa.stack(schedules)
    template = sopt.scheduled(optax.sgd, learning_rate=schedules[0], momentum=0.9)
    params = jnp.array([1.0, -1.0])

    def init(s):
        return sopt.scheduled(optax.sgd, learning_rate=s, momentum=0.9).init(params)

    states = jax.vmap(init)(batched)
    pop = jnp.broadcast_to(params, (3, 2))

    @jax.jit
    def step(pop, states, k):
        grads = jax.vmap(quadratic_grads, in_axes=(0, None))(pop, k)
        updates, states = jax.vmap(template.update)(grads, states, pop)
        return optax.apply_updates(pop, updates), states

    @jax.jit
    def single(p, state, k):  # the template's update: each schedule lives in its state
        u, state = template.update(quadratic_grads(p, k), state, p)
        return optax.apply_updates(p, u), state

    singles = [
        (params, sopt.scheduled(optax.sgd, learning_rate=s, momentum=0.9).init(params))
        for s in schedules
    ]
    expected = sa.evaluate(batched, np.arange(8))
    for k in range(8):
        pop, states = step(pop, states, k)
        np.testing.assert_allclose(sopt.current(states)["learning_rate"], expected[:, k], rtol=1e-6)
        for i, (p, st) in enumerate(singles):
            singles[i] = single(p, st, k)
            np.testing.assert_allclose(pop[i], singles[i][0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(expected[:, 3], [s(3) for s in schedules], rtol=1e-6)


# ----------------------------------------------------------------------------
# Batch-size scaling


@pytest.mark.parametrize("rule, factor", [("linear", 4.0), ("sqrt", 2.0)])
def test_scale_for_batch_rules(rule, factor):
    base = sa.warmup(sa.cosine(0.1, 0.0, 90), 10)
    scaled = sopt.scale_for_batch(base, 256, 1024, rule=rule)
    t = np.arange(0, 120, 7)
    np.testing.assert_allclose(sa.evaluate(scaled, t), factor * np.asarray(sa.evaluate(base, t)))
    assert scaled.duration == base.duration


def test_scale_for_batch_batched_sizes_and_errors():
    scaled = sopt.scale_for_batch(sa.constant(0.1), 128, np.array([128, 512, 2048]), rule="sqrt")
    np.testing.assert_allclose(sa.evaluate(scaled, [0]), [[0.1], [0.2], [0.4]], rtol=1e-6)
    with pytest.raises(ValueError, match=r"scale_for_batch: rule must be one of"):
        sopt.scale_for_batch(sa.constant(0.1), 1, 2, rule="log")
    with pytest.raises(
        ValueError, match=r"scale_for_batch: base_batch must be > 0, got base_batch=0"
    ):
        sopt.scale_for_batch(sa.constant(0.1), 0, 2)


# ----------------------------------------------------------------------------
# Cycle ends


LIN10, CONST = sa.linear(1.0, 0.0, 10), sa.constant(0.5)


def jumps(schedule, until, after=0):
    """Steps t > after where the value rises from t-1 to t: where a new cycle starts."""
    v = np.asarray(sa.evaluate(schedule, np.arange(until + 1)), np.float64)
    return [int(t) for t in np.nonzero(v[1:] > v[:-1] + 1e-9)[0] + 1 if t > after]


@pytest.mark.parametrize(
    "schedule, until, expected, after",
    [
        (sa.restart(sa.cosine(1.0, 0.0, 10)), 45, [10, 20, 30, 40], 0),
        (sa.restart(sa.cosine(1.0, 0.0, 10), mult=2), 200, [10, 30, 70, 150], 0),
        (sa.restart(sa.linear(1.0, 0.0, 10), mult=1.5), 100, [10, 25, 48, 82], 0),
        (sa.warmup(sa.restart(sa.cosine(1.0, 0.0, 10), mult=2), 5), 100, [15, 35, 75], 5),
        (sa.shift(sa.restart(sa.cosine(1.0, 0.0, 8), decay=0.5), 4), 30, [12, 20, 28], 0),
        (sa.join(sa.linear(0.0, 1.0, 5), sa.restart(sa.cosine(1.0, 0.0, 10))), 40, [15, 25, 35], 5),
        (sa.per_epoch(sa.restart(sa.cosine(1.0, 0.0, 3)), 7), 70, [21, 42, 63], 0),
        (sa.scale(sa.restart(sa.cosine(1.0, 0.1, 6), period=4), 0.5), 13, [4, 8, 12], 0),
        # nested clock wrappers map the ends innermost first: stretch, then shift
        (sa.shift(sa.stretch(sa.restart(sa.cosine(1.0, 0.0, 10)), 2), 4), 70, [24, 44, 64], 0),
        (sa.warmup(sa.join(sa.restart(LIN10, limit=3), CONST), 5), 60, [15, 25, 35], 5),
    ],
)
def test_cycle_ends_are_exact_and_where_the_schedule_restarts(schedule, until, expected, after):
    ends = sopt.cycle_ends(schedule, until)
    assert ends == expected
    assert all(type(e) is int for e in ends)
    assert jumps(schedule, until, after) == ends  # the next cycle starts at each end


def test_cycle_ends_limit_keeps_the_last_completed_cycle():
    s = sa.restart(sa.cosine(1.0, 0.0, 10), mult=2, limit=2)
    assert sopt.cycle_ends(s, 200) == [10, 30]
    assert jumps(s, 200) == [10]  # the second cycle ends at 30, then the value holds
    assert float(s(30)) == float(s(200)) == 0.0


def test_cycle_ends_large_exact_integers(x64):
    s = sa.restart(sa.cosine(1.0, 0.0, 1_000_003), mult=3)
    ends = sopt.cycle_ends(s, 10**15)
    assert ends[:3] == [1_000_003, 4_000_012, 13_000_039]
    assert ends[-1] == 1_000_003 * (3**19 - 1) // 2  # the 20th end is past 10**15
    assert len(ends) == 19


def test_cycle_ends_join_cuts_at_the_next_piece_and_warmup_hides_ends():
    s = sa.join(sa.restart(sa.cosine(1.0, 0.0, 10)), sa.constant(0.0), boundaries=[35])
    assert sopt.cycle_ends(s, 100) == [10, 20, 30]
    hidden = sa.warmup(sa.restart(sa.cosine(1.0, 0.0, 10)), 15, prefix=False)
    assert sopt.cycle_ends(hidden, 40) == [20, 30, 40]


def test_cycle_ends_errors():
    with pytest.raises(ValueError, match=r"cycle_ends: found no restart node in cosine"):
        sopt.cycle_ends(sa.cosine(1.0, 0.0, 10), 100)
    batched = sa.restart(sa.cosine(1.0, 0.0, 10), period=np.array([5, 10]))
    with pytest.raises(ValueError, match=r"not a batch"):
        sopt.cycle_ends(batched, 100)
    two = sa.restart(sa.cosine(1.0, 0.0, 10)) + sa.restart(sa.cosine(1.0, 0.0, 7))
    with pytest.raises(ValueError, match=r"found 2 restart nodes"):
        sopt.cycle_ends(two, 100)


def _timm_cycle_ends(t_initial, cycle_mul, cycle_limit, until, offset=0):
    """timm's rule: cycle i starts at t_initial * (mul**i - 1) / (mul - 1) after the offset
    (the warmup with warmup_prefix=True); cycle i ends where cycle i + 1 starts."""
    ends = [offset + t_initial * (cycle_mul**i - 1) // (cycle_mul - 1) for i in (1, 2, 3, 4)]
    return [e for e in ends[:cycle_limit] if e <= until]


@pytest.mark.parametrize("warmup_t, prefix", [(0, False), (5, True), (5, False)])
@pytest.mark.parametrize("name", ["CosineLRScheduler", "TanhLRScheduler"])
def test_cycle_ends_of_timm_cycles_with_decay_and_floor(name, warmup_t, prefix):
    # lr_min > 0 with cycle_decay < 1: timm's cycles were (and tanh's still are) a sum
    # of two restarts with the same cycles, which is not ambiguous.
    from schedalg.compat import timm

    s = getattr(timm, name)(
        lr=0.1,
        t_initial=50,
        lr_min=1e-5,
        cycle_mul=2,
        cycle_decay=0.5,
        cycle_limit=3,
        warmup_t=warmup_t,
        warmup_prefix=prefix,
    )
    offset = warmup_t if prefix else 0
    expected = _timm_cycle_ends(50, 2, 3, 400, offset)
    assert expected == [50 + offset, 150 + offset, 350 + offset]
    assert sopt.cycle_ends(s, 400) == expected
    # The value jumps back up where cycles 2 and 3 start; after the last it holds lr_min.
    assert jumps(s, 400, after=warmup_t) == expected[:2]


def test_cycle_ends_of_a_sum_of_restarts_with_the_same_cycles():
    # timm's CosineLRScheduler(lr=.1, t_initial=50, lr_min=1e-5, cycle_mul=2,
    # cycle_decay=.5, cycle_limit=3) as compat built it before restart had a floor.
    cycles = dict(mult=2, limit=3)
    decaying = sa.restart(sa.cosine(0.1, 0.0, 50), decay=0.5, **cycles)
    s = decaying + sa.restart(sa.cosine(0.0, 1e-5, 50), **cycles)
    assert sopt.cycle_ends(s, 1000) == _timm_cycle_ends(50, 2, 3, 1000) == [50, 150, 350]
    warm = sa.warmup(s, 5, start=0.01)
    assert sopt.cycle_ends(warm, 1000) == _timm_cycle_ends(50, 2, 3, 1000, 5)


def test_cycle_ends_of_restarts_that_differ_say_how():
    cos = sa.cosine(1.0, 0.0, 10)
    two = sa.restart(cos) + sa.restart(sa.cosine(1.0, 0.0, 7))
    with pytest.raises(ValueError) as err:
        sopt.cycle_ends(two, 100)
    message = str(err.value)
    assert "found 2 restart nodes whose cycle ends differ" in message
    assert "restart 1 of 2 ends at [10, 20, 30, 40, 50, 60, ...]" in message
    assert "restart 2 of 2 at [7, 14, 21, 28, 35, 42, ...]" in message
    # The same cycles under a limit differ after the limit, not before it.
    limited = sa.restart(cos, limit=2) + sa.restart(cos, decay=0.5)
    with pytest.raises(ValueError, match=r"ends at \[10, 20\], restart 2 of 2 at \[10, 20, 30\]"):
        sopt.cycle_ends(limited, 30)
    assert sopt.cycle_ends(limited, 25) == [10, 20]  # identical up to `until`
    # Identical restarts (three of them, one under a clip) are not ambiguous.
    three = sa.restart(cos, mult=2) + sa.clip(sa.restart(cos * 0.5, mult=2), low=0.1) * 2.0
    three = three + sa.restart(sa.linear(1.0, 0.0, 10), mult=2)
    assert sopt.cycle_ends(three, 100) == [10, 30, 70]
