"""Writes ``docs/migrating.md``: every anchor library's calls and the schedalg expressions
they build, plus the gotchas users hit when they move over.

The tables are generated: each ``schedalg.compat.<library>`` module lists representative
calls in ``EXAMPLES`` (source text); each is evaluated with that module's names and its
result printed (``repr`` of a schedule, its canonical text form). ``tests`` check that the
committed page equals what this module renders now, so it cannot drift.

Run ``python -m schedalg.compat._docs [PATH]`` to rewrite it.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import sys
from types import ModuleType

import jax

from schedalg._core import Schedule

#: (module name under schedalg.compat, section title, how users import the original).
ANCHORS: list[tuple[str, str, str]] = [
    ("torch", "PyTorch", "torch.optim.lr_scheduler"),
    ("optax", "optax", "optax"),
    ("transformers", "Hugging Face transformers", "transformers.optimization"),
    ("keras", "Keras", "keras.optimizers.schedules"),
    ("timm", "timm", "timm.scheduler"),
    ("fastai", "fastai", "fastai.callback.schedule"),
    ("braintools", "braintools", "braintools.optim"),
]

DEFAULT_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "migrating.md"

INTRO = """\
# Migrating to schedalg

Every schedule of PyTorch, optax, Hugging Face transformers, Keras, timm, fastai and
braintools has a twin in `schedalg.compat.<library>`, under the library's own name and
keyword arguments, built from schedalg's primitives and combinators and checked
value-for-value against the real library (`tests/parity/`). A compat call returns a plain
schedalg schedule: its text form, printed below, is the expression you can write directly
with `import schedalg as sa` (`sa.cosine`, `sa.warmup`, ...; `sa.parse` reads it back).

A schedule's argument is the number of optimizer updates already made (optax's `count`):
`schedule(0)` is the value used by the first update. The tables are generated from each
compat module's `EXAMPLES` by `python -m schedalg.compat._docs`; do not edit them by hand.
"""

GOTCHAS = """\
## Gotchas

**Per-batch or per-epoch stepping (OneCycleLR, StepLR, timm's `t_in_epochs`).** In PyTorch
the training loop decides how often `scheduler.step()` runs: `OneCycleLR` is meant to be
stepped after every batch (`total_steps = epochs * steps_per_epoch`), `StepLR` and most
others usually once per epoch. A schedalg schedule is indexed by the update count that
optax passes in, so a compat schedule counts whatever the original was stepped with. For
a schedule that PyTorch stepped once per epoch, wrap it:
`sa.per_epoch(StepLR(lr=0.1, step_size=30), steps_per_epoch)` holds each epoch's value
for `steps_per_epoch` updates. Do not wrap `OneCycleLR` if it was stepped per batch: its
`total_steps` is already counted in updates. timm's schedulers work the same way: with
`t_in_epochs=True` their clock is the epoch, so wrap them in `sa.per_epoch` too. Past its
`total_steps` PyTorch's `OneCycleLR` raises; the schedalg schedule holds its final value.

**`CosineAnnealingLR` past `T_max`.** PyTorch's recursive update does not stop at
`T_max`: the learning rate climbs back to `lr` at `2 * T_max` and keeps oscillating. The
compat `CosineAnnealingLR` reproduces that (a `restart` of a down and an up cosine). A
plain `sa.cosine(lr, eta_min, T_max)` reaches `eta_min` at `T_max` and stays there, which
is usually what was meant; use `sa.restart(...)` for real warm restarts.

**Scheduler state in checkpoints.** PyTorch and timm schedulers carry state
(`last_epoch`, `_last_lr`, ...) that must go into `state_dict()` and come back on resume,
or the schedule silently restarts. A schedalg schedule has no state: its value depends
only on the step, which lives in the optimizer state you already checkpoint. Save the
schedule's text form with your config (`repr(s)` or `sa.to_dict(s)`) and rebuild it with
`sa.parse(text)` / `sa.from_dict(d)`; round trips are exact. The one exception is a plateau
rule (`ReduceLROnPlateau`, timm's `PlateauLRScheduler`): its state is an explicit pytree
(`PlateauState`) to save next to the optimizer state. timm's own `PlateauLRScheduler`
does not save its patience and cooldown counters; here they are ordinary data.

**Chained versus sequential composition.** PyTorch's `ChainedScheduler` multiplies the
factors of several schedulers stepped together; `SequentialLR` hands over from one
scheduler to the next at milestones. In schedalg these are different operations with
different laws: `a * b` (`sa.scale`) commutes, so the order of a chain does not matter,
while `sa.join(a, b)` runs `b` on its own clock from the boundary on, and
`sa.warmup(restart(...))` (one warmup) differs from `sa.restart(warmup(...))` (a warmup
in every cycle). Write the order you mean; nothing depends on the order in which objects
were created or stepped, which is what surprises users of chained PyTorch schedulers.

**Hugging Face's warmup counting.** `get_*_schedule_with_warmup` gives a learning rate
of exactly 0 to the first update (`current_step = 0`) and reaches `lr` after
`num_warmup_steps` updates; the compat schedules and `sa.warmup` do the same (its `start`
defaults to 0.0). `num_training_steps` counts the warmup, so the decay lasts
`num_training_steps - num_warmup_steps` updates: `sa.warmup(sa.linear(lr, 0.0, T - W), W)`
is `get_linear_schedule_with_warmup(W, T)`. The steps are optimizer updates, not
micro-batches: with gradient accumulation (`optax.MultiSteps`) use `schedalg.optax` so
the schedule advances once per real update.

**Off-by-one conventions kept from the originals.** timm's `MultiStepLRScheduler`
applies a milestone `m` from `t = m - 1` (it compares against `t + 1`), one step earlier
than PyTorch's `MultiStepLR`: the compat version is `sa.shift(sa.multistep(...), -1)`.
fastai's schedules are functions of `pos = t / steps`; pass `steps = n_epoch *
len(dls.train)` (fastai's own training loop accumulates `pos` in floating point, so a
boundary step can land one update either way).
"""


def _describe(result: object) -> str:
    """A schedule's text form as code; for anything else (plateau rules) its repr and
    a short description."""
    if isinstance(result, Schedule):
        return _code(repr(result))
    text = repr(result)
    doc = (type(result).__doc__ or "").strip().splitlines()
    summary = doc[0].rstrip(".").replace("``", "`") if doc else type(result).__name__
    summary = summary.replace("|", "\\|")
    if text.startswith("<") or len(text) > 400:
        return f"{type(result).__name__} (stateful): {summary}"
    return f"{_code(text)} (stateful): {summary}"


def _code(text: str) -> str:
    """Inline code for a table cell."""
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def _section(module: ModuleType, title: str, original: str) -> list[str]:
    lines = [
        f"## {title}",
        "",
        f"`from {module.__name__} import ...` replaces `{original}`.",
        "",
        "| their call | schedalg expression |",
        "|---|---|",
    ]
    namespace = dict(vars(module))
    for source in module.EXAMPLES:
        result = eval(compile(source, f"<{module.__name__} example>", "eval"), namespace)
        lines.append(f"| {_code(source)} | {_describe(result)} |")
    lines.append("")
    return lines


def render() -> str:
    """The page's full text, from the compat modules that exist now."""
    lines = [INTRO]
    with jax.enable_x64(False):  # the numbers a default (float32) session prints
        for name, title, original in ANCHORS:
            full = f"schedalg.compat.{name}"
            if importlib.util.find_spec(full) is None:
                continue
            lines.extend(_section(importlib.import_module(full), title, original))
    lines.append(GOTCHAS)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Writes the page to ``argv[0]`` (default: ``docs/migrating.md`` of the checkout)."""
    argv = sys.argv[1:] if argv is None else argv
    path = pathlib.Path(argv[0]) if argv else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
