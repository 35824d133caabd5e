"""schedalg: a functional, stateless algebra of schedules for JAX.

A schedule is an immutable pytree and a pure function ``step -> value``; every number
in it is a leaf, so schedules run under ``jit``, ``vmap`` and ``grad`` and whole batches
of them evaluate in one compiled call.
"""

from schedalg._batch import batch_shape, check, evaluate, grid, stack, summarize
from schedalg._clock import per_epoch, repeat, shift, stretch, stretch_cycles, warp
from schedalg._combinators import join, restart, warmup
from schedalg._cooldown import cooldown
from schedalg._core import Schedule
from schedalg._cycle_ends import cycle_ends
from schedalg._cycles import cyclic, one_cycle, wsd
from schedalg._primitives import (
    constant,
    cosine,
    exponential,
    inverse_sqrt,
    inverse_time,
    linear,
    polynomial,
    tanh,
)
from schedalg._steps import multistep, piecewise_constant, piecewise_linear, step
from schedalg._text import from_dict, parse, to_dict
from schedalg._transforms import add, clip, custom, scale, scale_for_batch
from schedalg._tree import combine, partition
from schedalg.plateau import PlateauState, reduce_on_plateau

__version__ = "0.1.0"

__all__ = [
    "Schedule",
    # primitives
    "constant",
    "linear",
    "cosine",
    "polynomial",
    "exponential",
    "step",
    "multistep",
    "piecewise_constant",
    "piecewise_linear",
    "inverse_sqrt",
    "inverse_time",
    "cyclic",
    "one_cycle",
    "wsd",
    "tanh",
    # combinators
    "join",
    "warmup",
    "restart",
    "cooldown",
    "scale",
    "add",
    "clip",
    "shift",
    "stretch",
    "per_epoch",
    "custom",
    "warp",
    "repeat",
    "stretch_cycles",
    "scale_for_batch",
    # state
    "reduce_on_plateau",
    "PlateauState",
    # batches
    "stack",
    "grid",
    "evaluate",
    "batch_shape",
    "check",
    "summarize",
    # tree analysis
    "cycle_ends",
    # text form
    "parse",
    "to_dict",
    "from_dict",
    # gradients
    "partition",
    "combine",
]
