"""Population training: one CNN per schedule of a batch, all in one compiled program.

:func:`train_population` takes a *batched* schedule (from :func:`schedalg.grid` or
:func:`schedalg.stack`; any leaf may carry the batch: peak, warmup length, total
length, milestones, restart period, shape parameters) and trains one
:class:`~schedalg.train.model.CNN` per member. Every member has its own initial
parameters (its seed), its own optimizer state built by
:func:`schedalg.optax.scheduled` from its own slice of the batch, and its own
:func:`~schedalg.plateau.reduce_on_plateau` state when a plateau rule is given. The
batch shape is flattened to one population axis and restored in the results.

**Data order**: all members see the same batches in the same order, the order
``train`` uses for ``config.seed`` (:func:`~schedalg.train.data.epoch_order`); the
seeds only draw the initial parameters. A member whose seed is ``config.seed`` is
therefore trained exactly as ``train(its_schedule, data, config)`` would train it
(same parameters, same batches, same updates, up to float rounding), so members differ
by their schedule (and seed) alone.

**One program per epoch**: an epoch of the whole population is one ``jax.jit`` call:
``lax.scan`` over the epoch's updates inside each member, ``jax.vmap`` over blocks of
``block`` members, ``lax.map`` over the blocks, then the validation pass. On a GPU or
TPU the default block is the whole population (one ``vmap``). On a CPU it is one
member: measured on this project's 2-core CPU, a ``vmap`` over many members runs
slower per member than one model at a time (a vmapped convolution becomes a grouped
convolution, which XLA's CPU backend runs slowly, and each member's activations leave
the cache), while members one after the other inside the program run at the speed of a
single model without a Python loop. The network is the CNN's own
:func:`~schedalg.train.model.forward` with the convolution
:func:`~schedalg.train.model.conv3x3`, whose backward pass is hand-written because XLA's
CPU backend runs the convolutions of JAX's own backward pass 40-100x slower inside a
loop body. The parameters have the layout of :class:`~schedalg.train.model.CNN`
(``conv1/kernel`` ...), so :func:`~schedalg.train.step.functions` and the single-run
tools read them.

**Sharding**: the population axis is sharded over a 1-D ``jax.sharding.Mesh`` of all
devices (``NamedSharding`` with ``PartitionSpec("pop")``, ``jax.shard_map``); each
device trains its share, the data are replicated, and the population is padded to a
multiple of the device count (the padding repeats the last member and is dropped).
The same code runs on several hosts: every process runs the same script, calls
``jax.distributed.initialize()`` before anything else, and ``jax.devices()`` is then
the global list; results are gathered to every process. For example::

    # one host, 8 CPU devices (what the tests use)
    XLA_FLAGS=--xla_force_host_platform_device_count=8 schedalg sweep --schedule ...

    # two hosts, run on each (process 0 and 1), e.g. two GPU nodes
    python -c "import jax; jax.distributed.initialize('10.0.0.1:1234', 2, PROCESS_ID); \\
               from schedalg.cli import main; main(['sweep', '--schedule', ...])"

On a multi-core CPU the same sharding runs members concurrently on the cores when
they are exposed as devices (``XLA_FLAGS=--xla_force_host_platform_device_count=N``,
set before JAX starts): measured on this project's 2-core CPU, 16 members sharded over
8 such devices trained in 0.53x the time of one device, with identical results.

Memory is bounded by ``chunk``: populations larger than that are trained in chunks of
at most ``chunk`` members, one after the other (one compilation serves every chunk).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from schedalg._batch import batch_shape, check
from schedalg._core import Schedule
from schedalg._tree import map_leaves
from schedalg.optax import current
from schedalg.plateau import reduce_on_plateau
from schedalg.train.data import Dataset, epoch_order
from schedalg.train.model import conv3x3, forward
from schedalg.train.run import Config
from schedalg.train.step import functions, optimizer

#: Default largest number of members trained at once (the memory bound).
CHUNK = 512
#: Name of the population axis of the device mesh.
AXIS = "pop"


# ----------------------------------------------------------------------------
# One epoch of a population, compiled once


@dataclasses.dataclass(frozen=True)
class _Spec:
    """The static part of the compiled epoch (hashable: a jit static argument)."""

    optimizer: str
    unravel: Callable
    block: int | None


def _member_epoch(spec: _Spec, member: tuple, xs, ys, xv, yv) -> tuple:
    """One member's epoch: ``scan`` over the updates, then the validation pass."""
    flat, opt_state, scale, schedule = member
    tx = optimizer(spec.optimizer, schedule)

    def step(carry, batch):
        flat, opt_state = carry
        x, y = batch

        def loss_fn(f):
            out = forward(spec.unravel(f), x, conv3x3)
            loss = optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
            return loss, jnp.sum(jnp.argmax(out, -1) == y)

        (loss, correct), grads = jax.value_and_grad(loss_fn, has_aux=True)(flat)
        updates, opt_state = tx.update(grads, opt_state, flat)
        updates = updates * scale.astype(updates.dtype)
        lr = current(opt_state)["learning_rate"] * scale
        return (optax.apply_updates(flat, updates), opt_state), (lr, loss, correct)

    (flat, opt_state), logs = jax.lax.scan(step, (flat, opt_state), (xs, ys))
    out = forward(spec.unravel(flat), xv, conv3x3)
    val_loss = optax.softmax_cross_entropy_with_integer_labels(out, yv).mean()
    val_correct = jnp.sum(jnp.argmax(out, -1) == yv)
    return flat, opt_state, logs, (val_loss, val_correct)


def _over_members(fn: Callable, members: Any, block: int | None) -> Any:
    """``fn`` over the leading axis: one vmap, or a map over vmapped blocks."""
    if block is None:
        return jax.vmap(fn)(members)
    # Always a map, even over one block: a device holding one member computes exactly
    # what the whole population on one device computes for it.
    n = jax.tree.leaves(members)[0].shape[0]
    return jax.lax.map(fn, members, batch_size=min(block, n))


def _local_epoch(spec: _Spec, flat, opt_state, scale, schedule, xs, ys, xv, yv):
    fn = lambda m: _member_epoch(spec, m, xs, ys, xv, yv)
    return _over_members(fn, (flat, opt_state, scale, schedule), spec.block)


def _local_init(spec: _Spec, flat, schedule):
    return jax.vmap(lambda f, s: optimizer(spec.optimizer, s).init(f))(flat, schedule)


@functools.lru_cache(maxsize=8)
def _compiled(spec: _Spec, mesh: Mesh | None) -> tuple[Callable, Callable]:
    """(init, epoch), jitted; with a mesh, each device runs its share of the members."""
    init = functools.partial(_local_init, spec)
    epoch = functools.partial(_local_epoch, spec)
    if mesh is not None:
        pop, rep = P(AXIS), P()
        init = jax.shard_map(init, mesh=mesh, in_specs=(pop, pop), out_specs=pop)
        epoch = jax.shard_map(
            epoch,
            mesh=mesh,
            in_specs=(pop, pop, pop, pop, rep, rep, rep, rep),
            out_specs=pop,
            check_vma=False,
        )
    return jax.jit(init), jax.jit(epoch, donate_argnums=(0, 1))


# ----------------------------------------------------------------------------
# Batches of schedules, seeds and plateau rules as one population axis


def flatten(tree: Any, batch: tuple[int, ...]) -> Any:
    """Every numeric leaf broadcast to ``batch`` and flattened to ``(prod(batch), ...)``;
    vector axes (milestones, knots) stay last. Works on schedules and plateau rules."""
    n = math.prod(batch)

    def fn(value: Any, rank: int) -> np.ndarray:
        v = np.asarray(value)
        vec = v.shape[v.ndim - rank :]
        return np.ascontiguousarray(np.broadcast_to(v, batch + vec).reshape((n, *vec)))

    if isinstance(tree, Schedule):
        return map_leaves(tree, fn)
    return jax.tree.map(lambda v: fn(v, 0), tree)


def member(tree: Any, i: int) -> Any:
    """Member ``i`` of a flattened schedule or rule (concrete scalar leaves)."""
    if isinstance(tree, Schedule):
        return map_leaves(tree, lambda v, rank: np.asarray(v)[i])
    return jax.tree.map(lambda v: np.asarray(v)[i], tree)


def _rows(tree: Any, index: np.ndarray) -> Any:
    if isinstance(tree, Schedule):
        return map_leaves(tree, lambda v, rank: np.asarray(v)[index])
    return jax.tree.map(lambda v: np.asarray(v)[index], tree)


def _plateau_batch(rule: reduce_on_plateau) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*(np.shape(x) for x in jax.tree.leaves(rule))))


# ----------------------------------------------------------------------------
# The result


@dataclasses.dataclass
class PopulationResult:
    """What a population produced; every array has the batch shape in front.

    Attributes:
        schedule: the batched schedule as given.
        seeds: the members' seeds, ``batch``.
        config: the settings (``config.seed`` fixed the data order).
        metrics: per epoch, each ``batch + (epochs,)``: ``train_loss``, ``train_acc``,
            ``val_loss``, ``val_acc``, ``lr`` (the epoch's last update) and ``lr_scale``.
        lr: the learning rate of every update, read from the optimizer states,
            ``batch + (steps,)``.
        loss: the training loss of every update, ``batch + (steps,)``.
        params: final parameters raveled like :func:`~schedalg.train.step.functions`,
            ``batch + (size,)`` (``None`` unless ``keep_params``).
        seconds: wall time, compilation included.
        devices: number of devices the population axis was sharded over.
        resumed: population epochs restored from a checkpoint (0: trained from the start).
    """

    schedule: Schedule
    seeds: np.ndarray
    config: Config
    metrics: dict[str, np.ndarray]
    lr: np.ndarray
    loss: np.ndarray
    params: np.ndarray | None
    seconds: float
    devices: int
    resumed: int = 0

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(self.seeds.shape)

    @property
    def size(self) -> int:
        return int(self.seeds.size)

    def member_schedule(self, index: int | tuple[int, ...]) -> Schedule:
        """The schedule of one member, by flat index or batch index."""
        if not isinstance(index, int):
            index = int(np.ravel_multi_index(index, self.batch_shape))
        return member(flatten(self.schedule, self.batch_shape), index)

    def summary(self) -> dict[str, np.ndarray]:
        """Per member (``batch``): final and best validation loss and accuracy, final
        training loss."""
        m = self.metrics
        return {
            "final_val_loss": m["val_loss"][..., -1],
            "best_val_loss": m["val_loss"].min(-1),
            "final_val_acc": m["val_acc"][..., -1],
            "best_val_acc": m["val_acc"].max(-1),
            "final_train_loss": m["train_loss"][..., -1],
        }


# ----------------------------------------------------------------------------
# Training


def default_block() -> int | None:
    """Members per vmapped block: 1 on CPU (measured fastest), all elsewhere."""
    return 1 if jax.default_backend() == "cpu" else None


def _mesh(devices: Sequence[Any] | None) -> Mesh | None:
    devices = list(jax.devices() if devices is None else devices)
    return None if len(devices) == 1 else Mesh(np.asarray(devices), (AXIS,))


def _put(x: Any, mesh: Mesh | None, spec: P) -> Any:
    """A host array as a (global, possibly multi-host) device array: each process
    places only the shards of its own devices."""
    if mesh is None:
        return jnp.asarray(x)
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, NamedSharding(mesh, spec), lambda i: x[i])


def _initial(fns: Any, seeds: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The initial flat parameters of the members at the given rows (one seed each)."""
    return lambda rows: np.stack([fns.init(int(v)) for v in seeds[rows]])


def _put_members(make: Callable[[np.ndarray], np.ndarray], size: int, mesh: Mesh | None) -> Any:
    """A population-sharded array whose rows ``make(rows)`` are built only where they
    live: with several processes each builds just its own members (initial parameters
    are the largest per-member input)."""
    if mesh is None:
        return jnp.asarray(make(np.arange(size)))
    rows = np.arange(size)
    first = make(rows[:1])
    shape = (size, *first.shape[1:])

    def piece(index: Any) -> np.ndarray:  # the rows of one device's slice
        return make(rows[index[0]]).astype(first.dtype)

    return jax.make_array_from_callback(shape, NamedSharding(mesh, P(AXIS)), piece)


def _fetch(tree: Any) -> Any:
    """Device arrays as NumPy on every process (gathered across hosts if needed)."""
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        return jax.tree.map(np.asarray, multihost_utils.process_allgather(tree, tiled=True))
    return jax.tree.map(np.asarray, jax.device_get(tree))


def _identity(
    flat_sched: Any, flat_seeds: np.ndarray, flat_rule: Any, config: Config, data: Dataset,
    n: int, size: int, chunks: int, keep_params: bool,
) -> dict:  # fmt: skip
    """What a checkpoint must match to be resumed into this run (JSON-compatible)."""
    from schedalg.train.population_checkpoint import digest

    return {
        "schedules": digest(flat_sched),
        "seeds": digest(flat_seeds),
        "plateau": None if flat_rule is None else digest(flat_rule),
        "config": config.to_dict(),
        "data": data.fingerprint(),
        "members": n,
        "chunk_members": size,
        "chunks": chunks,
        "keep_params": keep_params,
    }


def _progress_line(chunk: int, chunks: int, epoch: int, epochs: int, size: int, seconds: float):
    """One process's own progress line (several processes: no shared bar to draw)."""
    local = jax.local_device_count()
    print(
        f"process {jax.process_index()}/{jax.process_count()}: chunk {chunk + 1}/{chunks} "
        f"epoch {epoch + 1}/{epochs} done in {seconds:.1f} s "
        f"({size * local // jax.device_count()} of {size} members on its {local} devices)",
        file=sys.stderr,
        flush=True,
    )


def train_population(
    schedule: Schedule,
    data: Dataset,
    config: Config | None = None,
    *,
    seeds: Any = None,
    plateau: reduce_on_plateau | None = None,
    chunk: int = CHUNK,
    block: int | None | str = "auto",
    devices: Sequence[Any] | None = None,
    keep_params: bool = False,
    progress: bool | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    checkpoint: str | None = None,
    checkpoint_every: int = 1,
    keep_checkpoints: int = 2,
) -> PopulationResult:
    """Trains one CNN per member of a batched schedule, all in one compiled program.

    Member ``i`` is trained as ``train(member_i, data, config)`` would train it with
    ``seed`` ``seeds[i]`` for its initial parameters: the same optimizer
    (``config.optimizer`` with the member's schedule as its learning rate), the same
    batches (the order ``config.seed`` fixes, shared by all members), and with a
    plateau rule the learning rate ``schedule(t) * scale`` where the member's scale
    follows its own validation loss after every epoch.

    Args:
        schedule: a batched schedule (``sa.grid`` / ``sa.stack``); batch shape ``S``
            (``()`` trains one model).
        data: the :class:`~schedalg.train.data.Dataset`.
        config: the settings (default :class:`~schedalg.train.run.Config`).
        seeds: initial-parameter seeds, broadcastable to ``S`` (default ``config.seed``
            for every member: members then differ by their schedule only).
        plateau: a :func:`~schedalg.plateau.reduce_on_plateau` rule fed each member's
            validation loss after every epoch; its numbers may be batched too.
        chunk: most members trained at once (memory bound); larger populations run in
            chunks of equal, padded size.
        block: members per ``vmap`` block inside the program; ``None`` for all,
            ``"auto"`` for :func:`default_block`.
        devices: devices to shard the population axis over (default all).
        keep_params: also return every member's final parameters.
        progress: a tqdm bar over chunks (default: when stderr is a terminal).
        on_chunk: called with ``(chunks_done, chunks)`` after each chunk.
        checkpoint: a directory for sharded orbax checkpoints
            (:mod:`~schedalg.train.population_checkpoint`); when it holds a complete
            checkpoint of this same run, training resumes from the latest one and ends
            with the results of an uninterrupted run, to the last bit.
        checkpoint_every: save every this many population epochs (counted over all
            chunks); the last epoch is always saved.
        keep_checkpoints: how many of the latest checkpoints to keep.

    Returns:
        A :class:`PopulationResult` whose arrays have the batch shape ``S`` in front.

    Example:
        >>> import schedalg as sa
        >>> from schedalg.train import Config, load_data
        >>> from schedalg.train.population import train_population
        >>> batch = sa.grid(lambda peak: sa.cosine(peak, 0.0, 22), peak=[1e-3, 3e-3])
        >>> config = Config(epochs=1, features=(8,), hidden=16)
        >>> result = train_population(batch, load_data(), config, progress=False)
        >>> result.metrics["val_acc"].shape, result.lr.shape
        ((2, 1), (2, 22))
        >>> [round(float(v), 6) for v in result.lr[:, 0]]
        [0.001, 0.003]
    """
    started = time.perf_counter()
    config = Config() if config is None else config
    config.check(data)
    if not isinstance(schedule, Schedule):
        raise ValueError(f"population: schedule must be a schedalg schedule, got {schedule!r}")
    check(schedule)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"population: chunk must be an integer >= 1, got chunk={chunk!r}")
    block = default_block() if block == "auto" else block
    if block is not None and (isinstance(block, bool) or not isinstance(block, int) or block < 1):
        raise ValueError(f"population: block must be None or an integer >= 1, got {block!r}")
    batch = batch_shape(schedule)
    seeds_given = config.seed if seeds is None else seeds
    try:
        batch = tuple(np.broadcast_shapes(batch, np.shape(seeds_given)))
        if plateau is not None:
            batch = tuple(np.broadcast_shapes(batch, _plateau_batch(plateau)))
    except ValueError:
        raise ValueError(
            f"population: the seeds {np.shape(seeds_given)} and plateau rule do not "
            f"broadcast with the schedule's batch shape {batch_shape(schedule)}"
        ) from None
    seed_arr = np.broadcast_to(np.asarray(seeds_given), batch)
    if not np.issubdtype(seed_arr.dtype, np.integer) or (seed_arr.size and seed_arr.min() < 0):
        raise ValueError(f"population: seeds must be integers >= 0, got {seeds_given!r}")
    n = math.prod(batch)
    flat_sched = flatten(schedule, batch)
    flat_seeds = seed_arr.reshape(n)
    flat_rule = None if plateau is None else flatten(plateau, batch)

    for name, value in (
        ("checkpoint_every", checkpoint_every),
        ("keep_checkpoints", keep_checkpoints),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"population: {name} must be an integer >= 1, got {name}={value!r}")

    model = config.model(data.classes)
    fns = functions(model, data.image_shape)
    mesh = _mesh(devices)
    ndev = 1 if mesh is None else mesh.size
    chunks = max(1, math.ceil(n / chunk))
    size = math.ceil(math.ceil(n / chunks) / ndev) * ndev  # equal chunks, device multiple
    spec = _Spec(config.optimizer, fns.unravel, block)
    init_fn, epoch_fn = _compiled(spec, mesh)
    spe = len(data.y_train) // config.batch_size
    steps = spe * config.epochs
    total = chunks * config.epochs  # population epochs, the checkpoints' step count

    host: dict[str, Any] = {
        k: np.zeros((n, config.epochs)) for k in ("train_loss", "train_acc", "val_loss")
    }
    host.update(val_acc=np.zeros((n, config.epochs)), lr_last=np.zeros((n, config.epochs)))
    host["lr_scale"] = np.ones((n, config.epochs))
    host["lr_all"] = np.zeros((n, steps), np.float32)
    host["loss_all"] = np.zeros((n, steps), np.float32)
    if keep_params:
        host["params"] = np.zeros((n, fns.size), np.float32)
    rep = P()
    xv = _put(data.x_val, mesh, rep)
    yv = _put(data.y_val, mesh, rep)
    update_rule = jax.jit(jax.vmap(lambda r, s, m: r.update(s, m)))

    store, done = None, 0
    if checkpoint is not None:
        from schedalg.train.population_checkpoint import PopulationCheckpoints

        identity = _identity(flat_sched, flat_seeds, flat_rule, config, data, n, size, chunks,
                             keep_params)  # fmt: skip
        store = PopulationCheckpoints(checkpoint, identity, keep=keep_checkpoints)
        done = store.latest() or 0

    enabled = sys.stderr.isatty() if progress is None else progress
    # several processes: one line per process and epoch (bars of several processes
    # sharing a terminal or a log would garble each other), also into a log file
    lines = progress is not False and jax.process_count() > 1
    if enabled and not lines:
        from tqdm.auto import tqdm
    else:  # tqdm.auto warns in a notebook without ipywidgets even for a disabled bar
        from tqdm import tqdm
    bar = tqdm(total=chunks, unit="chunk", desc="population", disable=not enabled or lines)
    # a finished run resumes into its last chunk with no epoch left: its results
    start = min(done // config.epochs, chunks - 1)
    bar.update(start)
    try:
        for c in range(start, chunks):
            lo = c * size
            real = min(size, n - lo)
            if real <= 0:
                break
            index = np.minimum(np.arange(lo, lo + size), n - 1)  # padding repeats the last
            sched = _rows(flat_sched, index)
            chunk_seeds = flat_seeds[index]
            flat = _put_members(_initial(fns, chunk_seeds), size, mesh)
            sched_dev = jax.tree.map(lambda v: _put(v, mesh, P(AXIS)), sched)
            opt_state = init_fn(flat, sched_dev)
            rule = None if flat_rule is None else _rows(flat_rule, index)
            pstate = None if rule is None else jax.vmap(lambda r: r.init())(rule)
            scale = np.ones(size, np.float32)
            first = max(0, done - c * config.epochs)  # epochs of this chunk in the checkpoint
            if store is not None and done and c == start:
                # the checkpoint's metrics always; its states when it ends inside this chunk
                opt_leaves, opt_def = jax.tree.flatten(opt_state)
                order = epoch_order(config.seed, first % config.epochs, len(data.y_train))
                template: dict[str, Any] = {"scale": scale, "order": order}
                if pstate is not None:
                    template["plateau"] = [np.asarray(v) for v in jax.tree.leaves(pstate)]
                state, saved = store.restore(
                    done, {"flat": flat, "opt": opt_leaves} if first else None,
                    {**host, **template},
                )  # fmt: skip
                if not np.array_equal(saved.pop("order"), order):
                    raise ValueError(
                        f"population: the data order saved in {checkpoint} differs from "
                        f"epoch_order(seed={config.seed}, epoch={first % config.epochs}); "
                        "the checkpoint was written by another version of the data order"
                    )
                if first:
                    assert state is not None  # restored whenever the chunk has begun
                    flat, opt_state = state["flat"], jax.tree.unflatten(opt_def, state["opt"])
                    scale = saved["scale"].astype(np.float32)
                    if pstate is not None:
                        pstate = jax.tree.unflatten(jax.tree.structure(pstate), saved["plateau"])
                host = {k: saved[k] for k in host}
            for epoch in range(first, config.epochs):
                tick = time.perf_counter()
                order = epoch_order(config.seed, epoch, len(data.y_train))
                idx = order[: spe * config.batch_size].reshape(spe, config.batch_size)
                xs = _put(data.x_train[idx], mesh, rep)
                ys = _put(data.y_train[idx], mesh, rep)
                flat, opt_state, logs, val = epoch_fn(
                    flat, opt_state, _put(scale, mesh, P(AXIS)), sched_dev, xs, ys, xv, yv
                )
                (lr, loss, correct), (val_loss, val_correct) = _fetch((logs, val))
                rows = slice(lo, lo + real)
                span = slice(epoch * spe, (epoch + 1) * spe)
                host["lr_all"][rows, span] = lr[:real]
                host["loss_all"][rows, span] = loss[:real]
                host["train_loss"][rows, epoch] = loss[:real].astype(np.float64).mean(-1)
                host["train_acc"][rows, epoch] = correct[:real].sum(-1) / (spe * config.batch_size)
                host["val_loss"][rows, epoch] = val_loss[:real]
                host["val_acc"][rows, epoch] = val_correct[:real] / len(data.y_val)
                host["lr_last"][rows, epoch] = lr[:real, -1]
                host["lr_scale"][rows, epoch] = scale[:real]
                if rule is not None:
                    pstate = update_rule(rule, pstate, jnp.asarray(val_loss))
                    scale = np.asarray(pstate.scale, np.float32)
                if keep_params and epoch == config.epochs - 1:
                    host["params"][lo : lo + real] = _fetch(flat)[:real]
                step = c * config.epochs + epoch + 1
                if store is not None and (step % checkpoint_every == 0 or step == total):
                    nxt = epoch_order(config.seed, (epoch + 1) % config.epochs, len(data.y_train))
                    extra: dict[str, Any] = {"scale": scale, "order": nxt}
                    if pstate is not None:
                        extra["plateau"] = [np.asarray(v) for v in jax.tree.leaves(pstate)]
                    store.save(step, {"flat": flat, "opt": jax.tree.leaves(opt_state)},
                               {**host, **extra})  # fmt: skip
                if lines:
                    _progress_line(c, chunks, epoch, config.epochs, size,
                                   time.perf_counter() - tick)  # fmt: skip
            bar.update(1)
            if on_chunk is not None:
                on_chunk(c + 1, chunks)
        if store is not None:
            store.wait()
    finally:
        bar.close()
        if store is not None:
            store.close()
    out = host

    shape = lambda a: a.reshape(batch + a.shape[1:])
    metrics = {k: shape(out[k]) for k in ("train_loss", "train_acc", "val_loss", "val_acc",
                                          "lr_scale")}  # fmt: skip
    metrics["lr"] = shape(out["lr_last"])
    return PopulationResult(
        schedule=schedule,
        seeds=np.asarray(seed_arr).copy(),
        config=config,
        metrics=metrics,
        lr=shape(out["lr_all"]),
        loss=shape(out["loss_all"]),
        params=shape(out["params"]) if keep_params else None,
        seconds=time.perf_counter() - started,
        devices=ndev,
        resumed=done,
    )
