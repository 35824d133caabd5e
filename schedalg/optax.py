"""optax integration: schedule any hyperparameter, read it back, groups, plateau, restarts.

``import schedalg.optax as sopt``. Everything here returns ordinary optax objects:

* :func:`scheduled` schedules any numeric hyperparameter of any optax optimizer (the
  learning rate, SGD momentum for 1cycle, AdamW's weight decay, Adam's ``b1``...) on top
  of :func:`optax.inject_hyperparams`. A schedule's numbers are stored **in the optimizer
  state**, not in the compiled code: a jitted step function never bakes them in, a new
  schedule of the same shape does not recompile, and a population of optimizer states
  with different schedules updates in one ``jax.vmap``.
* :func:`current` reads the values in force back from an optimizer state for logging,
  wherever the scheduled optimizer sits (inside ``optax.chain``, ``optax.MultiSteps``,
  ``optax.multi_transform``...).
* Gradient accumulation needs nothing special: under
  ``optax.MultiSteps(scheduled(...), every_k_schedule=k)`` the schedule's clock lives in
  the inner state, which advances once per real update and never per micro-batch. For
  PyTorch-style per-epoch stepping with per-update counting, schedule
  ``sa.per_epoch(schedule, steps_per_epoch)``.
* :func:`param_groups` gives parts of the parameter tree their own optimizers and
  schedules (a backbone at a tenth of the head's rate, frozen embeddings).
* :func:`reduce_on_plateau` is ReduceLROnPlateau as an optax transformation, fed the
  metric through optax's extra arguments; chain it after a scheduled optimizer and the
  effective learning rate is ``base(step) * scale``.
* :func:`scale_for_batch` (rescale a schedule for a new batch size) and
  :func:`cycle_ends` (the steps where a warm-restart schedule's cycles end) are
  :func:`schedalg.scale_for_batch` and :func:`schedalg.cycle_ends`, named here too.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from schedalg._core import Schedule, float_dtype, require, require_choice
from schedalg._cycle_ends import cycle_ends
from schedalg._cycles import one_cycle
from schedalg._transforms import scale_for_batch

__all__ = [
    "ScheduleState",
    "PlateauTransformState",
    "scheduled",
    "current",
    "one_cycle_sgd",
    "param_groups",
    "reduce_on_plateau",
    "scale_for_batch",
    "cycle_ends",
]


# ----------------------------------------------------------------------------
# Any hyperparameter, scheduled


class ScheduleState(NamedTuple):
    """State of one scheduled hyperparameter: updates made so far and the schedule.

    The schedule is part of the state, so its numbers are traced arguments of a jitted
    update (never compile-time constants) and may carry a batch axis under ``vmap``.
    """

    count: jax.Array  # type: ignore[assignment]  # the field shadows tuple.count
    schedule: Schedule


def _strong(x: Any) -> jax.Array:
    """A leaf as an array of a strong dtype. MultiSteps re-casts every inner state leaf
    to its own dtype: strong dtypes from the start keep the state's type stable, so a
    second update does not retrace."""
    x = jnp.asarray(x)
    return x.astype(x.dtype)


class _Stateful:
    """A schedalg schedule as an ``optax`` stateful schedule (see ``inject_hyperparams``)."""

    def __init__(self, schedule: Schedule, dtype: Any = None):
        self.schedule, self.dtype = schedule, dtype

    def init(self) -> ScheduleState:
        return ScheduleState(jnp.zeros([], jnp.int32), jax.tree.map(_strong, self.schedule))

    def update(self, state: ScheduleState, **extra_args: Any) -> ScheduleState:
        del extra_args
        return state._replace(count=optax.safe_increment(state.count))

    def __call__(self, state: ScheduleState, **extra_args: Any) -> jax.Array:
        del extra_args
        value = state.schedule(state.count)
        return value if self.dtype is None else value.astype(self.dtype)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float, np.ndarray, np.number, jax.Array))


def scheduled(
    optimizer_fn: Callable[..., optax.GradientTransformation],
    /,
    *args: Any,
    hyperparam_dtype: Any = None,
    **hyperparams: Any,
) -> optax.GradientTransformationExtraArgs:
    """An optax optimizer whose hyperparameters are numbers or schedalg schedules.

    Each hyperparameter given as a :class:`~schedalg.Schedule` takes the value
    ``schedule(count)`` at the update that follows ``count`` updates (optax's step
    convention); numbers are held. Anything else (booleans, masks, dtypes, optax's own
    closure schedules) is passed to ``optimizer_fn`` unchanged. Built on
    :func:`optax.inject_hyperparams`: the values in force are in the state, read them
    with :func:`current`. The schedules live in the state (see :class:`ScheduleState`),
    so a jitted step does not bake their numbers in, and ``jax.vmap`` over states built
    from a stacked schedule trains a population with one schedule each.

    Args:
      optimizer_fn: an optax optimizer factory such as ``optax.sgd`` or ``optax.adamw``.
      *args: positional arguments of ``optimizer_fn`` (same rules as keywords).
      hyperparam_dtype: optional dtype for the float hyperparameters (optax's option).
      **hyperparams: keyword arguments of ``optimizer_fn``.

    Returns:
      An ``optax.GradientTransformationExtraArgs``.

    Example:
      >>> import jax.numpy as jnp, optax, schedalg.optax as sopt
      >>> opt = sopt.scheduled(optax.sgd, learning_rate=sa.linear(1.0, 0.0, 4),
      ...                      momentum=sa.linear(0.5, 0.9, 4))
      >>> params = jnp.zeros(2)
      >>> state = opt.init(params)
      >>> for _ in range(3):
      ...     _, state = opt.update(jnp.ones(2), state, params)
      >>> {k: round(float(v), 6) for k, v in sopt.current(state).items()}
      {'learning_rate': 0.5, 'momentum': 0.7}
    """
    name = getattr(optimizer_fn, "__name__", repr(optimizer_fn))
    try:
        signature = inspect.signature(optimizer_fn)
        bound = signature.bind_partial(*args, **hyperparams)
    except TypeError as err:
        raise ValueError(
            f"scheduled: {name} does not take these arguments ({err}); its parameters are "
            f"{list(inspect.signature(optimizer_fn).parameters)}"
        ) from None
    named: dict[str, Any] = {}
    static: set[str] = set()
    for key, value in bound.arguments.items():
        kind = signature.parameters[key].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ValueError(f"scheduled: {name} takes *{key}; pass its hyperparameters by name")
        if isinstance(value, Schedule):
            named[key] = _Stateful(value, hyperparam_dtype)
        elif _is_number(value):
            named[key] = np.asarray(value) if isinstance(value, np.number) else value
        else:
            static.add(key)
            named[key] = value
    inject = optax.inject_hyperparams(
        optimizer_fn, static_args=static, hyperparam_dtype=hyperparam_dtype
    )
    return inject(**named)


class PlateauTransformState(NamedTuple):
    """State of :func:`reduce_on_plateau`: the plateau rule (its numbers are leaves, so a
    population may hold one rule per member), the core
    :class:`schedalg.plateau.PlateauState`, and the metric accumulated since the last
    plateau step (``count`` values summing to ``total``)."""

    rule: Any
    plateau: Any
    count: jax.Array  # type: ignore[assignment]  # the field shadows tuple.count
    total: jax.Array


_INJECTED = (optax.InjectStatefulHyperparamsState, optax.InjectHyperparamsState)


def _found(opt_state: Any) -> list[tuple[tuple, Any]]:
    is_leaf = lambda x: isinstance(x, (*_INJECTED, PlateauTransformState))
    flat, _ = jax.tree_util.tree_flatten_with_path(opt_state, is_leaf=is_leaf)
    return [(path, x) for path, x in flat if is_leaf(x)]


def _label(path: tuple) -> str:
    """The group label of a nested state: multi_transform's dict keys, else positions."""
    keys = [str(k.key) for k in path if isinstance(k, jax.tree_util.DictKey)]
    if keys:
        return "/".join(keys)
    return "/".join(str(k.idx) for k in path if isinstance(k, jax.tree_util.SequenceKey))


def current(opt_state: Any) -> dict[str, jax.Array]:
    """The hyperparameter values in force, read from an optimizer state, for logging.

    After ``n >= 1`` updates these are the values the latest update used (``schedule(n -
    1)`` for a scheduled one, optax's ``hyperparams`` convention); right after ``init``
    they are the values the first update will use. Scheduled optimizers are found
    anywhere in the state (``optax.chain``, ``optax.MultiSteps``,
    ``optax.multi_transform``...); a :func:`reduce_on_plateau` transform adds its
    ``"plateau_scale"``. When several are found, each name is prefixed with its group
    label (``"head/learning_rate"``): multi_transform's label, else the chain position.

    Args:
      opt_state: a state built by :func:`scheduled` / ``optax.inject_hyperparams``,
        possibly nested, possibly batched (values then keep the batch axis).

    Returns:
      A dict ``name -> value``.

    Example:
      >>> import jax.numpy as jnp, optax, schedalg.optax as sopt
      >>> opt = optax.chain(optax.clip_by_global_norm(1.0),
      ...                   sopt.scheduled(optax.adamw, learning_rate=sa.cosine(1e-3, 0.0, 100),
      ...                                  weight_decay=0.05))
      >>> values = sopt.current(opt.init(jnp.zeros(3)))
      >>> round(float(values["learning_rate"]), 6), round(float(values["weight_decay"]), 6)
      (0.001, 0.05)
    """
    found = _found(opt_state)
    if not found:
        raise ValueError(
            "current: the optimizer state holds no injected hyperparameters; build the "
            "optimizer with schedalg.optax.scheduled(...) (or optax.inject_hyperparams)"
        )
    groups = []
    for path, state in found:
        if isinstance(state, PlateauTransformState):
            groups.append((path, {"plateau_scale": state.plateau.scale}))
        else:
            groups.append((path, dict(state.hyperparams)))
    if len(groups) == 1:
        return groups[0][1]
    labels = [_label(path) for path, _ in groups]
    if len(set(labels)) < len(labels):
        labels = [jax.tree_util.keystr(path) for path, _ in groups]
    return {
        f"{label}/{k}": v for label, (_, values) in zip(labels, groups) for k, v in values.items()
    }


def one_cycle_sgd(
    max_lr: Any,
    total_steps: Any,
    *,
    pct_start: Any = 0.3,
    anneal_strategy: str = "cos",
    div_factor: Any = 25.0,
    final_div_factor: Any = 1e4,
    three_phase: bool = False,
    base_momentum: Any = 0.85,
    max_momentum: Any = 0.95,
    nesterov: bool = False,
    weight_decay: Any = 0.0,
) -> optax.GradientTransformationExtraArgs:
    """SGD with PyTorch ``OneCycleLR``'s learning rate and momentum cycles together.

    The keywords and defaults are ``torch.optim.lr_scheduler.OneCycleLR``'s. With
    ``T = total_steps``, ``initial = max_lr / div_factor``, ``low = initial /
    final_div_factor`` and ``u = pct_start * T - 1`` (torch reaches the peak at step
    ``u`` and the end at step ``T - 1``)::

        lr       = one_cycle(initial, max_lr, low, T - 1, pct_up=u / (T - 1))
        momentum = one_cycle(max_momentum, base_momentum, max_momentum, T - 1, ...)

    ``three_phase=True`` goes back to ``initial`` at step ``2u`` before annealing to
    ``low``. SGD momentum is optax's trace, which equals torch's buffer (dampening 0);
    ``weight_decay`` is added to the gradient first, as ``torch.optim.SGD`` does.

    Args:
      max_lr: peak learning rate.
      total_steps: number of updates in the cycle (torch's ``total_steps``).
      pct_start: fraction of the steps spent rising (torch's definition).
      anneal_strategy: "cos" or "linear".
      div_factor: ``max_lr / initial``.
      final_div_factor: ``initial / final``.
      three_phase: torch's three-phase variant.
      base_momentum: momentum at the peak learning rate.
      max_momentum: momentum at the start and the end.
      nesterov: Nesterov momentum.
      weight_decay: L2 coefficient added to the gradient (coupled, as in torch SGD).

    Returns:
      A scheduled ``optax.sgd`` (chained after ``add_decayed_weights`` when
      ``weight_decay`` is nonzero); read its values with :func:`current`.

    Example:
      >>> import jax.numpy as jnp, schedalg.optax as sopt
      >>> opt = sopt.one_cycle_sgd(0.1, 100)
      >>> values = sopt.current(opt.init(jnp.zeros(2)))
      >>> round(float(values["learning_rate"]), 6), round(float(values["momentum"]), 6)
      (0.004, 0.95)

    References:
      Smith & Topin, "Super-Convergence", 2018; PyTorch ``OneCycleLR``.
    """
    require_choice("one_cycle_sgd", "anneal_strategy", anneal_strategy, ("cos", "linear"))
    require("one_cycle_sgd", "total_steps", total_steps, lambda v: v >= 2, ">= 2")
    require(
        "one_cycle_sgd",
        "pct_start",
        pct_start * total_steps,
        lambda v: v > 1,
        "such that pct_start * total_steps > 1 (torch divides by zero otherwise)",
    )
    steps = total_steps - 1
    pct_up = (pct_start * total_steps - 1) / steps
    initial = max_lr / div_factor
    low = initial / final_div_factor
    shape = dict(pct_up=pct_up, shape=anneal_strategy, three_phase=three_phase)
    lr = one_cycle(initial, max_lr, low, steps, **shape)
    momentum = one_cycle(max_momentum, base_momentum, max_momentum, steps, **shape)
    sgd = scheduled(optax.sgd, learning_rate=lr, momentum=momentum, nesterov=nesterov)
    if isinstance(weight_decay, (int, float)) and weight_decay == 0:
        return sgd
    return optax.chain(optax.add_decayed_weights(weight_decay), sgd)


# ----------------------------------------------------------------------------
# Parameter groups


def _path_name(path: tuple) -> str:
    parts = []
    for k in path:
        if isinstance(k, jax.tree_util.DictKey):
            parts.append(str(k.key))
        elif isinstance(k, jax.tree_util.GetAttrKey):
            parts.append(k.name)
        elif isinstance(k, jax.tree_util.SequenceKey):
            parts.append(str(k.idx))
        elif isinstance(k, jax.tree_util.FlattenedIndexKey):
            parts.append(str(k.key))
        else:  # pragma: no cover - custom key types
            parts.append(str(k))
    return "/".join(parts)


def param_groups(
    transforms: Mapping[str, optax.GradientTransformation | None],
    labels: Sequence[tuple[str, str]] | Callable[[str, Any], str] | None = None,
) -> optax.GradientTransformationExtraArgs:
    """Different optimizers (and so schedules) for different parts of the parameter tree.

    Each parameter is named by its path joined with ``/`` (``"backbone/Dense_0/kernel"``)
    and labelled by ``labels``: a list of ``(regex, label)`` rules where the first regex
    that ``re.fullmatch``-es the name wins (big_vision style), or a function
    ``(name, leaf) -> label``. Without ``labels`` the keys of ``transforms`` are the
    regexes themselves, tried in order. A label mapped to ``None`` is frozen (its updates
    are zero). Built on ``optax.multi_transform``; a name no rule matches raises.

    Args:
      transforms: label -> optax transformation, or ``None`` to freeze.
      labels: ``(regex, label)`` rules, a labelling function, or ``None``.

    Returns:
      An ``optax.GradientTransformationExtraArgs``; :func:`current` reports each
      scheduled group as ``"label/name"``.

    Example:
      >>> import jax, jax.numpy as jnp, optax, schedalg.optax as sopt
      >>> lr = sa.cosine(0.1, 0.0, 100)
      >>> opt = sopt.param_groups(
      ...     {"head": sopt.scheduled(optax.sgd, learning_rate=lr),
      ...      "body": sopt.scheduled(optax.sgd, learning_rate=lr * 0.1), "embed": None},
      ...     [(r"embed/.*", "embed"), (r"body/.*", "body"), (r".*", "head")])
      >>> params = {"embed": {"w": jnp.ones(2)}, "body": {"w": jnp.ones(2)},
      ...           "head": {"w": jnp.ones(2)}}
      >>> grads = jax.tree.map(jnp.ones_like, params)
      >>> updates, state = opt.update(grads, opt.init(params), params)
      >>> {k: round(float(v["w"][0]), 6) for k, v in updates.items()}
      {'body': -0.01, 'embed': 0.0, 'head': -0.1}
      >>> {k: round(float(v), 6) for k, v in sopt.current(state).items()}
      {'body/learning_rate': 0.01, 'head/learning_rate': 0.1}
    """
    if not transforms:
        raise ValueError("param_groups: transforms must name at least one group, got none")
    if labels is None:
        labels = [(pattern, pattern) for pattern in transforms]
    if callable(labels):
        label_fn = labels
        describe = "the labelling function"
    else:
        rules = []
        for i, rule in enumerate(labels):
            if not (isinstance(rule, (tuple, list)) and len(rule) == 2):
                raise ValueError(f"param_groups: rule {i + 1} must be (regex, label), got {rule!r}")
            pattern, label = rule
            if label not in transforms:
                raise ValueError(
                    f"param_groups: rule {i + 1} labels {label!r}, which is not a key of "
                    f"transforms {list(transforms)}"
                )
            try:
                rules.append((re.compile(pattern), label))
            except re.error as err:
                raise ValueError(
                    f"param_groups: rule {i + 1}: bad regex {pattern!r}: {err}"
                ) from None
        describe = f"the rules {[p.pattern for p, _ in rules]}"

        def label_fn(name: str, leaf: Any) -> str:
            del leaf
            for regex, label in rules:
                if regex.fullmatch(name):
                    return label
            raise ValueError(
                f"param_groups: parameter {name!r} matches none of {describe}; add a "
                "catch-all rule such as ('.*', label)"
            )

    def param_labels(tree: Any) -> Any:
        def one(path: tuple, leaf: Any) -> str:
            label = label_fn(_path_name(path), leaf)
            if label not in transforms:
                raise ValueError(
                    f"param_groups: {describe} labelled {_path_name(path)!r} as {label!r}, "
                    f"which is not a key of transforms {list(transforms)}"
                )
            return label

        return jax.tree_util.tree_map_with_path(one, tree)

    groups = {k: optax.set_to_zero() if tx is None else tx for k, tx in transforms.items()}
    return optax.multi_transform(groups, param_labels)


# ----------------------------------------------------------------------------
# Plateau


def reduce_on_plateau(
    factor: Any = 0.1,
    patience: Any = 10,
    threshold: Any = 1e-4,
    threshold_mode: str = "rel",
    cooldown: Any = 0,
    min_scale: Any = 0.0,
    eps: Any = 0.0,
    mode: str = "min",
    *,
    accumulation_size: int = 1,
) -> optax.GradientTransformationExtraArgs:
    """ReduceLROnPlateau as an optax transformation: updates times a plateau scale.

    ``update(updates, state, params, value=metric)`` (the metric arrives through optax's
    extra arguments, as for ``optax.contrib.reduce_on_plateau``) feeds the mean of the
    last ``accumulation_size`` metrics to :func:`schedalg.plateau.reduce_on_plateau`
    (PyTorch's rules: ``factor``, ``patience``, ``threshold`` in ``threshold_mode``,
    ``cooldown``, ``min_scale``, ``eps``, ``mode``), then multiplies the updates by the
    new ``scale``. Chained after a scheduled optimizer,
    ``optax.chain(scheduled(optax.sgd, learning_rate=base), reduce_on_plateau(...))``,
    the effective learning rate is ``base(step) * scale``; :func:`current` reports both.
    The state is a few scalars: ``jax.vmap`` it for a population of plateaus.

    Args:
      factor, patience, threshold, threshold_mode, cooldown, min_scale, eps, mode: as in
        :func:`schedalg.plateau.reduce_on_plateau`.
      accumulation_size: number of metric values averaged into one plateau step (1 for
        a validation metric passed once per epoch; steps per epoch for a training loss).

    Returns:
      An ``optax.GradientTransformationExtraArgs`` whose state is a
      :class:`PlateauTransformState`.

    Example:
      >>> import jax.numpy as jnp, schedalg.optax as sopt
      >>> tx = sopt.reduce_on_plateau(factor=0.5, patience=1)
      >>> state = tx.init(jnp.zeros(1))
      >>> for metric in [1.0, 1.0, 1.0]:
      ...     updates, state = tx.update(jnp.ones(1), state, value=metric)
      >>> round(float(updates[0]), 6)
      0.5
    """
    from schedalg.plateau import reduce_on_plateau as core_plateau

    require(
        "reduce_on_plateau",
        "accumulation_size",
        accumulation_size,
        lambda v: (v >= 1) & (v == v // 1),
        "an integer >= 1",
    )
    core = core_plateau(
        factor=factor,
        patience=patience,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min_scale=min_scale,
        eps=eps,
        mode=mode,
    )

    def init_fn(params: Any) -> PlateauTransformState:
        del params
        rule = jax.tree.map(_strong, core)
        zero = jnp.zeros([], jnp.int32)
        return PlateauTransformState(rule, rule.init(), zero, jnp.zeros([], float_dtype()))

    def update_fn(
        updates: Any,
        state: PlateauTransformState,
        params: Any = None,
        *,
        value: Any,
        **extra_args: Any,
    ) -> tuple[Any, PlateauTransformState]:
        del params, extra_args
        count = state.count + 1
        total = state.total + jnp.asarray(value, state.total.dtype)
        full = count >= accumulation_size
        stepped = state.rule.update(state.plateau, total / count.astype(total.dtype))
        plateau = jax.tree.map(lambda new, old: jnp.where(full, new, old), stepped, state.plateau)
        new_state = PlateauTransformState(
            state.rule,
            plateau,
            jnp.where(full, 0, count),
            jnp.where(full, jnp.zeros_like(total), total),
        )
        scale_ = plateau.scale
        updates = jax.tree.map(lambda g: (scale_ * g).astype(jnp.result_type(g)), updates)
        return updates, new_state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
