"""schedalg: a functional, stateless algebra of schedules for JAX.

A schedule is an immutable pytree and a pure function ``step -> value``; every number
in it is a leaf, so schedules run under ``jit``, ``vmap`` and ``grad`` and whole batches
of them evaluate in one compiled call.
"""

# Each schedule module lists its public names in its own __all__: a class declared there
# is exported (and documented, and parsed) without an edit here.
from schedalg import _clock, _combinators, _cooldown, _cycles, _primitives, _steps, _transforms
from schedalg._batch import batch_shape, check, evaluate, grid, stack, summarize
from schedalg._clock import *  # noqa: F403
from schedalg._combinators import *  # noqa: F403
from schedalg._cooldown import *  # noqa: F403
from schedalg._core import Schedule
from schedalg._cycle_ends import cycle_ends
from schedalg._cycles import *  # noqa: F403
from schedalg._primitives import *  # noqa: F403
from schedalg._steps import *  # noqa: F403
from schedalg._text import from_dict, parse, to_dict
from schedalg._transforms import *  # noqa: F403
from schedalg._tree import combine, partition
from schedalg.plateau import PlateauState, reduce_on_plateau

__version__ = "0.1.0"

__all__ = [
    "Schedule",
    # primitives
    *_primitives.__all__,
    *_steps.__all__,
    *_cycles.__all__,
    # combinators
    *_combinators.__all__,
    *_cooldown.__all__,
    *_transforms.__all__,
    *_clock.__all__,
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
