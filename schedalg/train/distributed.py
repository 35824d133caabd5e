"""Many processes, one population: launching a sweep on JAX's multi-process runtime.

A sweep that outgrows one machine runs as one process per host (or per GPU) under
``jax.distributed``: every process runs the same command, :func:`initialize` connects
it to the others, ``jax.devices()`` then lists every process's devices, and
:func:`~schedalg.train.population.train_population` shards the population over all of
them. Nothing else changes between one CPU, a GPU host, several GPU hosts, a SLURM
allocation or a TPU pod slice: only the launch (see ``docs/distributed.md``).

:func:`initialize` takes the three numbers of a manual launch (coordinator address,
number of processes, this process's id) or finds them where JAX can (SLURM, Open MPI,
Cloud TPU). :func:`guard` turns a lost peer into a one-line message and a prompt exit
instead of a hang or an abort with a C++ stack trace.

Example:
    >>> from schedalg.train.distributed import detect, parse_coordinator
    >>> detect({})  # no cluster variables: one process, nothing to initialize
    >>> detect({"SLURM_JOB_ID": "7", "SLURM_STEP_NODELIST": "n[1-2]", "SLURM_NTASKS": "2",
    ...         "SLURM_PROCID": "0", "SLURM_LOCALID": "0"})
    'slurm'
    >>> parse_coordinator("10.0.0.1:1234")
    ('10.0.0.1', 1234)
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping

import jax

#: Seconds without a heartbeat after which the coordination service declares a process
#: dead and stops the others (JAX's default is 100 s; a killed process is usually
#: noticed sooner, when a collective's connection is reset).
HEARTBEAT_TIMEOUT = 30
#: Seconds a finishing process waits for the others at JAX's shutdown barrier (process
#: 0 writes the report and the figure while the others wait).
SHUTDOWN_TIMEOUT = 120
#: Seconds the processes wait for each other to connect at start.
INIT_TIMEOUT = 300
#: Exit status of a process that stopped because another process was lost.
EXIT_LOST = 3

_SLURM = ("SLURM_JOB_ID", "SLURM_STEP_NODELIST", "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID")
_LOST_SIGNS = ("gloo", "connection", "coordination", "heartbeat", "unavailable", "barrier",
               "peer", "socket", "deadline")  # fmt: skip


def detect(environ: Mapping[str, str] | None = None) -> str | None:
    """The cluster environment JAX can read the launch from, when it has several processes.

    ``"slurm"`` (an ``srun`` step of more than one task), ``"open-mpi"`` (``mpirun`` with
    more than one rank), ``"cloud-tpu"`` (a TPU VM: JAX asks the metadata server for the
    slice's hosts) or ``None`` (one process: nothing to initialize).
    """
    env = os.environ if environ is None else environ

    def many(name: str) -> bool:
        try:
            return int(env.get(name, "1")) > 1
        except ValueError:
            return False

    if all(k in env for k in _SLURM) and many("SLURM_NTASKS"):
        return "slurm"
    if "OMPI_MCA_orte_hnp_uri" in env and many("OMPI_COMM_WORLD_SIZE"):
        return "open-mpi"
    if "," in env.get("TPU_WORKER_HOSTNAMES", "") or env.get("MEGASCALE_COORDINATOR_ADDRESS"):
        return "cloud-tpu"
    if environ is None and _on_tpu_vm():
        return "cloud-tpu"
    return None


def _on_tpu_vm() -> bool:
    # A TPU VM has libtpu and its chips as /dev/accel* or /dev/vfio/* devices; JAX then
    # reads the slice's hosts from the metadata server (a pod slice has several).
    if importlib.util.find_spec("libtpu") is None:
        return False
    return bool(glob.glob("/dev/accel[0-9]*") or glob.glob("/dev/vfio/[0-9]*"))


def parse_coordinator(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[IPv6]:PORT`` too) as ``(host, port)``; a ValueError names it."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"distributed: --coordinator must be HOST:PORT (the address of process 0 and a "
            f"free port), got {address!r}"
        )
    return host.strip("[]"), int(port)


def initialize(
    coordinator: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    *,
    heartbeat_timeout: int = HEARTBEAT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Joins JAX's multi-process runtime; returns whether this is a multi-process run.

    Give all three of ``coordinator`` (``HOST:PORT`` of process 0), ``num_processes`` and
    ``process_id`` for a manual launch, or none: then a cluster environment found by
    :func:`detect` (SLURM, Open MPI, Cloud TPU) lets JAX read them itself, and without one
    this is a single-process run and nothing happens. Must run before any JAX
    computation (JAX's own rule). CPU devices talk through gloo collectives, so the same
    code runs as several processes on one machine (how the tests run it).
    """
    given = {"--coordinator": coordinator, "--num-processes": num_processes,
             "--process-id": process_id}  # fmt: skip
    if any(v is not None for v in given.values()) and any(v is None for v in given.values()):
        missing = ", ".join(k for k, v in given.items() if v is None)
        raise ValueError(f"distributed: a manual launch needs all three options; missing {missing}")
    if jax.distributed.is_initialized():  # the caller launched it already: use theirs
        return jax.process_count() > 1
    kind = None
    if coordinator is not None:
        parse_coordinator(coordinator)
        if isinstance(num_processes, bool) or not isinstance(num_processes, int):
            raise ValueError(
                f"distributed: --num-processes must be an integer, got {num_processes!r}"
            )
        if num_processes < 1:
            raise ValueError(f"distributed: --num-processes must be >= 1, got {num_processes}")
        if isinstance(process_id, bool) or not isinstance(process_id, int):
            raise ValueError(f"distributed: --process-id must be an integer, got {process_id!r}")
        if not 0 <= process_id < num_processes:
            raise ValueError(
                f"distributed: --process-id must be in [0, {num_processes - 1}] for "
                f"--num-processes {num_processes}, got {process_id}"
            )
        if num_processes == 1:
            return False
    else:
        kind = detect(environ)
        if kind is None:
            return False
    if heartbeat_timeout < 1:
        raise ValueError(f"distributed: heartbeat_timeout must be >= 1, got {heartbeat_timeout}")
    # CPU devices of different processes exchange data through gloo (the only CPU
    # collectives built into jaxlib); set before the backend starts, ignored by GPU/TPU.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator,
        num_processes,
        process_id,
        initialization_timeout=INIT_TIMEOUT,
        heartbeat_timeout_seconds=heartbeat_timeout,
        shutdown_timeout_seconds=SHUTDOWN_TIMEOUT,
    )
    return jax.process_count() > 1


def describe() -> str:
    """``process 1 of 2 (4 of 8 devices)``: who this process is, for its messages."""
    return (
        f"process {jax.process_index()} of {jax.process_count()} "
        f"({jax.local_device_count()} of {jax.device_count()} devices)"
    )


def is_lost_peer(err: BaseException) -> bool:
    """Whether an error looks like another process disappearing (a reset connection, a
    failed collective or barrier, a missed heartbeat) rather than a bug here."""
    text = f"{type(err).__name__}: {err}".lower()
    runtime = isinstance(err, (jax.errors.JaxRuntimeError, TimeoutError, ConnectionError))
    return runtime and any(sign in text for sign in _LOST_SIGNS)


@contextlib.contextmanager
def guard(command: str, hint: Callable[[], str] | None = None) -> Iterator[None]:
    """On several processes, turns any error into one line on stderr and an immediate exit.

    Why an exit and not an exception: after a peer is lost, returning normally runs
    JAX's shutdown barrier, which waits for the dead process and then aborts with a C++
    stack trace. ``os._exit`` skips it, so the survivor exits within the time it takes
    to notice the loss: at once when a collective's connection is reset (a killed
    process), at most :data:`HEARTBEAT_TIMEOUT` seconds when a host vanishes silently.
    ``hint()`` adds what to do next (e.g. how to resume). One process: no effect.

    One case stays JAX's own: when process 0 (which hosts the coordination service)
    dies, JAX's client in every other process notices the closed connection at once
    and aborts it itself ("Terminating process because the JAX distributed service
    detected fatal errors. This most likely indicates that another task died", exit by
    SIGABRT) before Python can act; its missed-heartbeat callback cannot be replaced
    from Python in jax 0.10 (the status it passes has no Python type).
    """
    if jax.process_count() == 1:
        yield
        return
    who = describe()
    try:
        yield
    except BaseException as err:  # noqa: BLE001 - every error must end this process now
        if isinstance(err, KeyboardInterrupt):
            what, status = "interrupted", 130
        elif is_lost_peer(err):
            cause = " ".join(str(err).split())[:300]
            what = f"lost contact with another process, which stopped or was killed ({cause})"
            status = EXIT_LOST
        else:
            what, status = f"{type(err).__name__}: {' '.join(str(err).split())}", 1
        extra = f"; {hint()}" if hint is not None else ""
        sys.stdout.flush()
        print(f"schedalg {command}: {who}: {what}; exiting{extra}", file=sys.stderr, flush=True)
        os._exit(status)
