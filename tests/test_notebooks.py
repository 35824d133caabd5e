"""The tutorials in notebooks/ run top to bottom and draw what they describe.

Each notebook is executed by nbclient in a fresh kernel that runs this interpreter
(a kernel spec written to a temporary directory, so whatever ``python3`` kernel a
machine has installed is never picked up). A notebook passes when no cell raised and
at least one cell produced an image. The committed notebooks carry no outputs and
equal what ``notebooks/_build.py`` builds from ``notebooks/src/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import sys
import time

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "schedalg-test-python"
#: Seconds any one cell may run (the longest cells train a few small CNNs).
CELL_TIMEOUT = 300


def _builder():
    spec = importlib.util.spec_from_file_location("_nb_build", NOTEBOOKS / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernel spec for ``sys.executable`` on JUPYTER_PATH, and the kernel's environment."""
    kernels = tmp_path_factory.mktemp("jupyter") / "kernels" / KERNEL
    kernels.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "schedalg tests",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    names = ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "JAX_PLATFORMS", "PYTHONPATH")
    saved = {k: os.environ.get(k) for k in names}
    home = kernels.parent.parent
    os.environ["JUPYTER_PATH"] = str(home)
    # Connection files and IPython's history go to the scratch directory, not $HOME.
    os.environ["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    os.environ["IPYTHONDIR"] = str(home / "ipython")
    os.environ["JAX_PLATFORMS"] = "cpu"
    # The kernel imports this checkout's schedalg even where it is not installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved["PYTHONPATH"]]))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_there_are_notebooks():
    names = {p.name for p in PATHS}
    for name in (
        "01_tour.ipynb",
        "02_does_order_matter.ipynb",
        "03_compare_schedules.ipynb",
        "04_thousands_at_once.ipynb",
        "05_lr_finder_one_cycle.ipynb",
        "06_migrating.ipynb",
        "07_predicting_loss_curves.ipynb",
    ):
        assert name in names


def test_notebooks_are_built_from_their_sources_without_outputs():
    builder = _builder()
    built = builder.targets()
    assert {nb.name for nb in built.values()} == {p.name for p in PATHS}
    for src, nb in built.items():
        stored = nbformat.read(nb, as_version=4)
        fresh = nbformat.reads(builder.build(src), as_version=4)
        # Cells, not bytes: another nbformat version may serialize the same notebook
        # differently.
        cells = [(c.cell_type, c.source) for c in stored.cells]
        assert cells == [(c.cell_type, c.source) for c in fresh.cells], (
            f"{nb.name} is stale: run `python notebooks/_build.py`"
        )
        for cell in stored.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, nb.name


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_and_draws(path, kernel_env):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    seconds = time.perf_counter() - start
    errors, images = [], 0
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                errors.append(f"cell {i}: {out.ename}: {out.evalue}")
            if out.output_type in ("display_data", "execute_result") and "image/png" in out.data:
                images += 1
    assert not errors, "\n".join(errors)
    assert images >= 1, f"{path.name} drew no figure"
    print(f"{path.name}: {seconds:.1f} s, {images} figures")
