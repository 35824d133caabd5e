"""Loss-curve laws: predict a run's loss curve from its learning-rate schedule alone, fit
a law to a few real runs, and rank or optimize schedules through it.

* :class:`MultiPowerLaw` (Luo et al., ICLR 2025) and :class:`AnnealingLaw` (Tissue et al.,
  2024) are pytrees like schedules: ``law.predict(schedule, steps)`` jits, vmaps over a
  batch of schedules or of laws, and differentiates in both.
* :func:`fit` fits either to ``(schedule, steps, losses)`` runs (:func:`read_csv`,
  :func:`read_run` read them from files); :func:`diagnose` scores a law on runs.
* :func:`rank` orders a batch of schedules by predicted final loss; :func:`optimize` finds
  the best free-form or WSD schedule.
* :func:`convex_bound` and :func:`optimal_base_lr`: the convex-optimization bound of any
  schedule (Defazio et al. 2023) and its closed-form best base learning rate.

Example:
    >>> from schedalg import laws
    >>> law = laws.MultiPowerLaw(2.6514, 0.6012, 0.4530, 437.95, 2.1325, 0.5979, 0.6552)
    >>> cosine = sa.join(sa.linear(0.0, 3e-4, 2159), sa.cosine(3e-4, 3e-5, 21840))
    >>> round(float(law.predict(cosine, [23_999])[0]), 3)
    2.99
"""

from schedalg.laws._annealing import AnnealingLaw
from schedalg.laws._convex import convex_bound, optimal_base_lr
from schedalg.laws._fit import Fit, fit
from schedalg.laws._io import read_csv, read_run
from schedalg.laws._multi_power import MultiPowerLaw
from schedalg.laws._optimize import Optimum, optimize
from schedalg.laws._rank import Ranking, rank
from schedalg.laws._runs import Diagnostics, diagnose

__all__ = [
    "MultiPowerLaw",
    "AnnealingLaw",
    "fit",
    "diagnose",
    "read_csv",
    "read_run",
    "rank",
    "optimize",
    "convex_bound",
    "optimal_base_lr",
    "Fit",
    "Diagnostics",
    "Ranking",
    "Optimum",
]
