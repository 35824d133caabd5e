"""Builds ``notebooks/*.ipynb`` from their sources ``notebooks/src/*.py``.

The sources are plain Python in the "percent" format (as jupytext writes it): a line
``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines are
comments (``# `` is stripped). The notebooks are written without outputs and with
fixed cell ids, so the same source always gives the same file and a diff shows only
what changed. ``tests/test_notebooks.py`` checks that every committed notebook equals
what this script builds from its source, and executes it.

    python notebooks/_build.py          # rewrite every notebook
    python notebooks/_build.py --check  # exit 1 if a notebook is stale
"""

from __future__ import annotations

import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
SOURCES = HERE / "src"

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) pairs of a percent-format file."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
            continue
        if not cells:
            if line.strip():  # text before the first marker is not part of the notebook
                raise ValueError(f"text before the first '# %%' marker: {line!r}")
            continue
        kind, lines = cells[-1]
        if kind == "markdown":
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"markdown line without '#': {line!r}")
            line = line[2:] if line.startswith("# ") else line[1:]
        lines.append(line)
    out = []
    for kind, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        out.append((kind, "\n".join(lines)))
    return out


def build(source: pathlib.Path) -> str:
    """The notebook (JSON text) built from one source file."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    for i, (kind, text) in enumerate(_cells(source.read_text(encoding="utf-8"))):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(text)
        cell.id = f"cell-{i:02d}"  # fixed ids: the same source gives the same file
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def targets() -> dict[pathlib.Path, pathlib.Path]:
    """Source -> notebook path, for every source."""
    return {src: HERE / f"{src.stem}.ipynb" for src in sorted(SOURCES.glob("*.py"))}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for src, nb in targets().items():
        text = build(src)
        current = nb.read_text(encoding="utf-8") if nb.exists() else None
        if current == text:
            continue
        stale.append(nb.name)
        if not check:
            nb.write_text(text, encoding="utf-8")
            print(f"wrote {nb.relative_to(HERE.parent)}")
    if check and stale:
        print(f"stale notebooks (run python notebooks/_build.py): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
