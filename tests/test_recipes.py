"""docs/recipes.md: real training code's schedules as schedalg expressions, checked.

* every recipe equals a float64 reimplementation of its source's formula (x64 on) at steps
  0 and 1, every boundary and one step either side, the end, past the end and a dense range,
  to rtol 1e-12 (plus 1e-15 times the peak);
* the same schedule under ``jax.jit`` in float32 agrees to rtol 1e-5, and its text form
  parses back to the same schedule;
* the Hugging Face and timm recipes also equal the installed ``transformers`` and ``timm``;
* the committed page equals what ``schedalg.recipes`` renders now, and the code it shows is
  the code that runs.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pathlib
import sys
import types
import warnings

import jax
import numpy as np
import pytest

import schedalg as sa
from schedalg import recipes

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "recipes.md"
NAMES = [r.name for r in recipes.RECIPES]


def _peak(values: np.ndarray) -> float:
    return float(np.max(np.abs(values)))


@functools.cache
def _evaluated(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(steps, got, want)`` of a recipe over its checked steps (float64), computed once."""
    return recipes.evaluate_recipe(recipes.BY_NAME[name])


# ---------------------------------------------------------------------------------------------
# The page


def test_page_is_rendered_from_the_module():
    committed = PAGE.read_text(encoding="utf-8")
    assert committed == recipes.render(), (
        "docs/recipes.md is stale: run `python -m schedalg.recipes --write`"
    )


def test_write_writes_the_rendered_page(tmp_path, capsys):
    target = tmp_path / "docs" / "recipes.md"
    assert recipes.main(["--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == recipes.render()
    assert str(target) in capsys.readouterr().out


def test_check_prints_a_row_per_recipe(monkeypatch, capsys):
    monkeypatch.setattr(recipes, "RECIPES", recipes.RECIPES[:2])
    assert recipes.main(["--check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:]] == NAMES[:2]
    assert recipes.main([]) == 2  # no action: the usage


def test_catalogue_covers_fourteen_sources_or_more():
    assert len(NAMES) == len(set(NAMES))
    projects = {r.project for r in recipes.RECIPES}
    assert len(projects) >= 14, sorted(projects)
    for r in recipes.RECIPES:
        assert r.title and r.where and r.formula and r.url.startswith("https://"), r.name
        assert r.params, f"{r.name}: the project's numbers are the function's defaults"
        edges = r.boundaries()
        assert edges == sorted(edges) and edges[0] >= 0, r.name


@pytest.mark.parametrize("name", NAMES)
def test_page_shows_the_code_that_runs(name):
    recipe = recipes.BY_NAME[name]
    page = PAGE.read_text(encoding="utf-8")
    assert recipe.source() in page
    namespace = {"sa": sa}
    exec(compile(recipe.source(), f"<{name}>", "exec"), namespace)
    assert repr(namespace[name]()) == repr(recipe.schedule())
    assert "custom(" not in repr(recipe.schedule())  # plain algebra, with a text form


# ---------------------------------------------------------------------------------------------
# Against the formulas


@pytest.mark.parametrize("name", NAMES)
def test_recipe_matches_its_reference_in_float64(name):
    recipe = recipes.BY_NAME[name]
    steps, got, want = _evaluated(name)
    edges = recipe.boundaries()
    required = {0, 1, recipe.last_step(), 2 * edges[-1]}
    required |= {e + d for e in edges for d in (-1, 0, 1) if e + d >= 0}
    assert required <= set(steps.tolist())
    assert len(steps) >= recipes.DENSE
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(
        got, want, rtol=recipes.RTOL, atol=recipes.ATOL_SCALE * _peak(want), err_msg=name
    )


@pytest.mark.parametrize("name", NAMES)
def test_recipe_under_jit_in_float32_and_its_text_form(name):
    recipe = recipes.BY_NAME[name]
    edges = recipe.boundaries()
    steps = sorted({0, 1, edges[-1], recipe.last_step()} | {e + d for e in edges for d in (-1, 1)})
    steps = np.asarray([t for t in steps if t >= 0], np.int32)
    want = np.array([recipe.value(t) for t in steps])
    with jax.enable_x64(False):
        schedule = recipe.schedule()
        got = jax.jit(lambda s, t: s(t))(schedule, steps)
        assert got.dtype == np.float32
        again = sa.parse(repr(schedule))
        assert repr(again) == repr(schedule)
        np.testing.assert_array_equal(sa.evaluate(again, steps), sa.evaluate(schedule, steps))
    scale = recipes.ATOL_SCALE_F32 * _peak(want)
    np.testing.assert_allclose(got, want, rtol=recipes.RTOL_F32, atol=scale, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Against the installed libraries

HF = {
    "hf_cosine_hard_restarts": (
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        lambda p: {k: p[k] for k in ("num_warmup_steps", "num_training_steps", "num_cycles")},
    ),
    "hf_wsd": (
        "get_wsd_schedule",
        lambda p: {
            "num_warmup_steps": p["num_warmup_steps"],
            "num_stable_steps": p["num_stable_steps"],
            "num_decay_steps": p["num_decay_steps"],
            "min_lr_ratio": p["min_lr_ratio"],
            "warmup_type": "linear",
            "decay_type": "1-sqrt",
        },
    ),
    "hf_wsd_sqrt_warmup": (
        "get_wsd_schedule",
        lambda p: {
            "num_warmup_steps": p["num_warmup_steps"],
            "num_stable_steps": p["num_stable_steps"],
            "num_decay_steps": p["num_decay_steps"],
            "min_lr_ratio": p["min_lr_ratio"],
            "warmup_type": "1-sqrt",
            "decay_type": "cosine",
        },
    ),
    "hf_polynomial": (
        "get_polynomial_decay_schedule_with_warmup",
        lambda p: {k: p[k] for k in ("num_warmup_steps", "num_training_steps", "lr_end", "power")},
    ),
}


@pytest.mark.parametrize("name", sorted(HF))
def test_hugging_face_recipes_equal_transformers(name):
    torch = pytest.importorskip("torch")
    optimization = pytest.importorskip("transformers.optimization")
    recipe = recipes.BY_NAME[name]
    function, kwargs = HF[name]
    lr = recipe.params["lr"]
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = getattr(optimization, function)(optimizer, **kwargs(recipe.params))
    factor = scheduler.lr_lambdas[0]  # LambdaLR: the value after n steps is lr * factor(n)
    steps, got, _ = _evaluated(name)
    theirs = np.array([lr * factor(int(t)) for t in steps])
    np.testing.assert_allclose(got, theirs, rtol=1e-12, atol=1e-15 * lr, err_msg=name)


def _timm_cosine_scheduler() -> type:
    """timm's CosineLRScheduler without importing timm's package (it needs torchvision)."""
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("timm is not installed")
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    saved = {k: v for k, v in sys.modules.items() if k == "timm" or k.startswith("timm.")}
    try:
        for name, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        return importlib.import_module("timm.scheduler.cosine_lr").CosineLRScheduler
    finally:
        for key in [k for k in sys.modules if k == "timm" or k.startswith("timm.")]:
            del sys.modules[key]
        sys.modules.update(saved)


def _timm_values(name: str, p: dict, steps: np.ndarray) -> np.ndarray:
    """The learning rate timm gives each step, stepped the way each project steps it."""
    torch = pytest.importorskip("torch")
    cosine = _timm_cosine_scheduler()
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=p["lr"])
    if name == "timm_cosine_cycles":  # timm's train.py: step(epoch + 1) after each epoch
        keys = ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit")
        kwargs = {k: p[k] for k in (*keys, "warmup_t", "warmup_lr_init")}
        scheduler = cosine(optimizer, **kwargs, t_in_epochs=True)
        clock = steps // p["steps_per_epoch"]
    elif name == "deit":  # step(epoch) after epoch `epoch`
        scheduler = cosine(
            optimizer,
            t_initial=p["epochs"],
            lr_min=p["min_lr"],
            warmup_lr_init=p["warmup_lr"],
            warmup_t=p["warmup_epochs"],
            cycle_limit=1,
            t_in_epochs=True,
        )
        clock = np.maximum(steps // p["steps_per_epoch"] - 1, 0)
    else:  # swin: step_update(k) after update k
        num_steps = p["epochs"] * p["n_iter_per_epoch"]
        warmup_steps = p["warmup_epochs"] * p["n_iter_per_epoch"]
        scheduler = cosine(
            optimizer,
            t_initial=num_steps - warmup_steps,
            lr_min=p["min_lr"],
            warmup_lr_init=p["warmup_lr"],
            warmup_t=warmup_steps,
            cycle_limit=1,
            t_in_epochs=False,
            warmup_prefix=True,
        )
        clock = np.maximum(steps - 1, 0)
    assert optimizer.param_groups[0]["lr"] == scheduler._get_lr(0)[0]  # before any step
    return np.array([scheduler._get_lr(int(c))[0] for c in clock])


@pytest.mark.parametrize("name", ["timm_cosine_cycles", "deit", "swin"])
def test_timm_recipes_equal_timm(name):
    recipe = recipes.BY_NAME[name]
    steps, got, _ = _evaluated(name)
    theirs = _timm_values(name, recipe.params, steps)
    np.testing.assert_allclose(got, theirs, rtol=1e-12, atol=1e-15 * _peak(theirs), err_msg=name)
