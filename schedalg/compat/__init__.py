"""Anchor-library schedules rebuilt from the schedalg algebra, under their own names.

Each submodule (``schedalg.compat.torch``, ``schedalg.compat.braintools``, ...) is
imported on its own, so using one never imports another library's compat code::

    from schedalg.compat.torch import CosineAnnealingLR
"""
