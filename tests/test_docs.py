"""The documentation cannot drift from the code.

* ``docs/algebra.md`` and the generated blocks of ``docs/cli.md`` equal what
  ``python -m schedalg._reference`` renders now;
* every ``python`` block of the hand-written pages runs, in order, as written;
* every ``schedalg ...`` example parses with the command's parser, and every subcommand
  is documented;
* every relative link (and ``#anchor``) points at something that exists;
* every public name has a docstring with an example (the examples themselves run as
  doctests: pytest collects the package with ``--doctest-modules``).
"""

from __future__ import annotations

import inspect
import pathlib
import re
import shlex

import pytest

import schedalg
from schedalg import _reference
from schedalg._core import REGISTRY
from schedalg.cli import parser

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GENERATED = {"algebra.md", "migrating.md"}  # written by generators, checked elsewhere too
HAND_WRITTEN = sorted(p.name for p in DOCS.glob("*.md") if p.name not in GENERATED)
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def _blocks(page: str, language: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(page) if m.group(1) == language]


def test_algebra_doc_is_generated_from_the_docstrings():
    committed = (DOCS / "algebra.md").read_text(encoding="utf-8")
    assert committed == _reference.render_algebra(), (
        "docs/algebra.md is stale: run `python -m schedalg._reference`"
    )


def test_algebra_doc_lists_every_public_name_once():
    page = (DOCS / "algebra.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (\w+)$", page, re.M)
    assert sorted(headings) == sorted(schedalg.__all__)


def test_readme_names_every_schedule_class():
    """The README's "What is in the box" rows name every registered class (and no other)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith(("| primitives", "| combin"))]
    named = set(re.findall(r"`(\w+)`", " ".join(rows)))
    assert set(REGISTRY) - named == set(), "add the class to README.md's table"
    assert named - set(REGISTRY) == set()


def test_cli_doc_generated_blocks_are_current():
    committed = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert committed == _reference.render_cli(committed), (
        "docs/cli.md is stale: run `python -m schedalg._reference`"
    )


def test_cli_doc_covers_every_subcommand():
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    keys = _reference.generated_keys(page)
    examples = "\n".join(_blocks(page, "sh"))
    for name in _reference.subcommands():
        assert f"usage {name}" in keys, f"docs/cli.md has no usage block for {name}"
        assert f"\n## {name}\n" in page, f"docs/cli.md has no section for {name}"
        assert re.search(rf"^schedalg {name} ", examples, re.M), f"no example of {name}"


def _commands(page: str) -> list[str]:
    """The ``schedalg ...`` command lines of a page's ``sh`` blocks (continuations joined)."""
    commands = []
    for block in _blocks(page, "sh"):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("schedalg "):
                commands.append(line)
    return commands


@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_cli_examples_parse(name):
    commands = _commands((DOCS / name).read_text(encoding="utf-8"))
    for command in commands:
        try:
            parser().parse_args(shlex.split(command)[1:])
        except SystemExit:
            pytest.fail(f"docs/{name}: `{command}` does not parse")


def test_cli_doc_examples_exist():
    assert len(_commands((DOCS / "cli.md").read_text(encoding="utf-8"))) >= 8


@pytest.mark.parametrize("name", [n for n in HAND_WRITTEN if n != "cli.md"])
def test_python_blocks_run(name, tmp_path, monkeypatch, capsys):
    blocks = _blocks((DOCS / name).read_text(encoding="utf-8"), "python")
    assert blocks, f"docs/{name} has no python example"
    monkeypatch.chdir(tmp_path)  # anything a block writes goes to a scratch directory
    namespace: dict = {"__name__": f"docs_{name}"}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"docs/{name} block {i + 1}", "exec"), namespace)
        except Exception as err:  # name the block in the failure
            raise AssertionError(f"docs/{name}, python block {i + 1} failed: {err!r}") from err
    assert capsys.readouterr().out  # the blocks print what their comments describe


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: pathlib.Path) -> set[str]:
    if path.suffix != ".md":
        return set()
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
    return {_slug(h) for h in headings}


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.glob("*.md")))
def test_links_resolve(name):
    page = (DOCS / name).read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", page):
        if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
            continue
        file, _, anchor = target.partition("#")
        path = (DOCS / file).resolve() if file else DOCS / name
        if not path.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and anchor not in _anchors(path):
            broken.append(f"{target} (no heading #{anchor})")
    assert not broken, f"docs/{name}: broken links: {broken}"


def test_every_public_name_has_a_docstring_example():
    offenders = []
    for name in schedalg.__all__:
        doc = inspect.getdoc(getattr(schedalg, name)) or ""
        if not doc.strip():
            offenders.append(f"{name} (no docstring)")
        elif ">>>" not in doc:
            offenders.append(f"{name} (no >>> example)")
    assert not offenders, "public names without a docstring example: " + ", ".join(offenders)


def test_reference_main_writes_both_pages(tmp_path, capsys):
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    (tmp_path / "cli.md").write_text(_strip_generated(cli), encoding="utf-8")
    _reference.main([str(tmp_path)])
    assert (tmp_path / "algebra.md").read_text(encoding="utf-8") == _reference.render_algebra()
    assert (tmp_path / "cli.md").read_text(encoding="utf-8") == cli
    assert "algebra.md" in capsys.readouterr().out


def _strip_generated(page: str) -> str:
    return re.sub(
        r"(<!-- generated: [^>]*? -->\n).*?(<!-- end generated -->)", r"\1\2", page, flags=re.S
    )


def test_reference_renders_docstring_sections():
    doc = inspect.cleandoc(
        """Summary with ``code`` and :func:`schedalg.cosine`.

        A literal block::

            x = 1

        Args:
            start: first value.
            end, steps: last value
                and length.

        Example:
            >>> 1 + 1
            2
        """
    )
    text = _reference.docstring_markdown(doc)
    assert text.startswith("Summary with `code` and `cosine`.")
    assert "A literal block:\n\n```text\nx = 1\n```" in text
    assert "- `start`: first value.\n- `end`, `steps`: last value and length." in text
    assert "**Example**\n\n```pycon\n>>> 1 + 1\n2\n```" in text


def test_reference_signature_forms():
    assert _reference.signature("cosine", schedalg.cosine) == (
        "sa.cosine(start, end, steps, *, exponent=1.0)"
    )
    assert _reference.signature("join", schedalg.join) == "sa.join(*pieces, boundaries=None)"
    assert _reference.signature("custom", schedalg.custom) == (
        "sa.custom(fn, *, duration=None, **params)"
    )
    assert _reference.signature("Schedule", schedalg.Schedule) == "class sa.Schedule"
    long = _reference.signature("reduce_on_plateau", schedalg.reduce_on_plateau)
    assert long.startswith("sa.reduce_on_plateau(\n    factor=0.1,\n") and long.endswith(",\n)")


def test_reference_rejects_unknown_blocks():
    with pytest.raises(ValueError, match="unknown generated block"):
        _reference.render_cli("<!-- generated: nonsense -->\n<!-- end generated -->")
    with pytest.raises(ValueError, match="no subcommand"):
        _reference.usage_markdown("fly")
