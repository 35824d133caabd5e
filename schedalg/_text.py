"""The text form: canonical repr, a safe parser, and a versioned dict form.

``repr(schedule)`` prints the expression that rebuilds it; ``parse`` reads such an
expression back through an ``ast`` whitelist (schedalg constructors, numeric literals,
lists, strings, ``True``/``False``/``None``, unary minus, ``*`` and ``+``) and never
evaluates code. ``to_dict``/``from_dict`` give a JSON-compatible form with a version.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import json
import os
import warnings
from typing import Any

import numpy as np

from schedalg._core import REGISTRY, Schedule, concrete

FORMAT_VERSION = 1
MAX_TEXT = 200_000  # characters
MAX_DEPTH = 64  # nesting of calls and lists
MAX_NODES = 100_000  # ast nodes
MAX_INT = 2**63 - 1
_NOT_TEXT = ("custom",)  # holds a Python callable: no text form


# ----------------------------------------------------------------------------
# Printing


def _number(x: Any) -> Any:
    """A leaf as plain Python numbers (nested lists for arrays)."""
    v = concrete(x)
    if v is None:
        raise ValueError(f"cannot print a traced value: {x!r}")
    if v.dtype == np.bool_:
        return v.tolist()
    if np.issubdtype(v.dtype, np.integer):
        return v.astype(object).tolist() if v.ndim else int(v)
    return v.astype(np.float64).tolist() if v.ndim else float(v)


def _fmt(x: Any) -> str:
    if isinstance(x, Schedule):
        return to_text(x)
    if isinstance(x, (str, bool)) or x is None:
        return repr(x)
    try:
        return repr(_number(x))
    except ValueError:
        return repr(x)


def _is_default(f: dataclasses.Field, value: Any) -> bool:
    if f.default is dataclasses.MISSING:
        return False
    if value is None or f.default is None:
        return value is f.default
    if isinstance(value, (str, bool)):
        return value == f.default
    v = concrete(value)
    return v is not None and v.ndim == 0 and not isinstance(f.default, str) and v == f.default


def to_text(schedule: Schedule) -> str:
    """The canonical expression of a schedule (what ``repr`` prints)."""
    if schedule.name == "custom":
        node: Any = schedule
        fn = getattr(node.fn, "__name__", "fn")
        params = "".join(f", {k}={_fmt(v)}" for k, v in node.params.items())
        dur = "" if node.duration_ is None else f", duration={_fmt(node.duration_)}"
        return f"custom({fn}{dur}{params})"
    args: list[str] = []
    for f in dataclasses.fields(schedule):
        value = getattr(schedule, f.name)
        if f.metadata.get("varargs"):
            args.extend(_fmt(v) for v in value)
        elif isinstance(value, Schedule) and f.name in ("schedule",):
            args.append(_fmt(value))
        elif not _is_default(f, value):
            args.append(f"{f.name}={_fmt(value)}")
    return f"{schedule.name}({', '.join(args)})"


# ----------------------------------------------------------------------------
# Parsing


class _Reader:
    def __init__(self, text: str):
        self.text = text

    def fail(self, node: ast.AST | None, message: str) -> ValueError:
        where = ""
        if node is not None and hasattr(node, "col_offset"):
            segment = ast.get_source_segment(self.text, node) or ""
            where = f" at column {node.col_offset + 1}" + (
                f" ({segment[:40]!r})" if segment else ""
            )
        return ValueError(f"parse: {message}{where}")

    def value(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression nested deeper than {MAX_DEPTH}")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.value(node.operand, depth + 1)
            if isinstance(inner, bool) or not isinstance(inner, (int, float)):
                raise self.fail(node, "a sign applies only to a number")
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(e, depth + 1) for e in node.elts]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
            left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            if not (isinstance(left, Schedule) or isinstance(right, Schedule)):
                raise self.fail(node, "'*' and '+' combine schedules, not two numbers")
            try:
                if isinstance(node.op, ast.Mult):
                    return left * right
                return left + right
            except (ValueError, TypeError) as err:
                raise self.fail(node, str(err)) from None
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            raise self.fail(node, f"unknown name {node.id!r}; known: {sorted(_names())}")
        raise self.fail(node, f"{type(node).__name__} is not allowed in a schedule expression")

    def constant(self, node: ast.Constant) -> Any:
        v = node.value
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            if abs(v) > MAX_INT:
                raise self.fail(node, f"integer literal out of range (|x| > 2**63-1): {v}")
            return v
        if isinstance(v, float):
            if not np.isfinite(v):
                raise self.fail(node, "number literal overflows to inf")
            return v
        raise self.fail(node, f"literal {v!r} is not allowed")

    def call(self, node: ast.Call, depth: int) -> Schedule:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only plain calls of schedalg constructors are allowed")
        name = node.func.id
        if name not in _names():
            raise self.fail(node.func, f"unknown schedule {name!r}; known: {sorted(_names())}")
        args = [self.value(a, depth + 1) for a in node.args if not isinstance(a, ast.Starred)]
        if len(args) != len(node.args):
            raise self.fail(node, "starred arguments are not allowed")
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail(node, "** arguments are not allowed")
            if kw.arg in kwargs:  # ast accepts repeats that Python's compiler rejects
                raise self.fail(kw.value, f"keyword argument {kw.arg!r} repeated")
            kwargs[kw.arg] = self.value(kw.value, depth + 1)
        try:  # arity and keyword mistakes, counted as the user wrote them (no `self`)
            _signature(REGISTRY[name]).bind(*args, **kwargs)
        except TypeError as err:
            raise self.fail(node, f"{name}: {err}") from None
        try:
            return REGISTRY[name](*args, **kwargs)
        except Exception as err:  # any constructor complaint is the user's input
            message = str(err) if str(err).startswith(f"{name}:") else f"{name}: {err}"
            raise self.fail(node, message) from None


@functools.cache
def _signature(cls: type) -> inspect.Signature:
    return inspect.signature(cls)


def _names() -> set[str]:
    return {n for n in REGISTRY if n not in _NOT_TEXT}


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def parse(text: str) -> Schedule:
    """Reads a schedule expression (the canonical ``repr``) safely; never evaluates code.

    Raises ``ValueError`` on anything outside the whitelist, on bad parameters, and on
    absurd size or nesting.

    Example:
        >>> import schedalg as sa
        >>> sa.parse("warmup(cosine(1e-3, 0.0, 9000), 1000)")
        warmup(cosine(start=0.001, end=0.0, steps=9000), steps=1000)
    """
    if not isinstance(text, str):
        raise ValueError(f"parse: expected a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"parse: expression longer than {MAX_TEXT} characters")
    if _bracket_depth(text) > MAX_DEPTH:
        raise ValueError(f"parse: expression nested deeper than {MAX_DEPTH}")
    try:
        with warnings.catch_warnings():  # SyntaxWarnings are noise: a rejection says why
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except (RecursionError, MemoryError):  # CPython's parser gives up on deep nesting
        raise ValueError("parse: expression nested too deeply") from None
    except (SyntaxError, ValueError) as err:
        message = getattr(err, "msg", None) or str(err) or type(err).__name__
        col = getattr(err, "offset", None)
        where = f" at column {col}" if col else ""
        raise ValueError(f"parse: not a valid expression: {message}{where}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ValueError(f"parse: expression has more than {MAX_NODES} parts")
    reader = _Reader(text.strip())
    try:
        result = reader.value(tree.body, 0)
    except RecursionError:
        raise ValueError("parse: expression nested too deeply") from None
    if not isinstance(result, Schedule):
        shown = repr(result) if len(repr(result)) <= 80 else repr(result)[:77] + "..."
        raise ValueError(f"parse: expected a schedule expression, got {shown}")
    return result


# ----------------------------------------------------------------------------
# Dict form


def _to_plain(value: Any) -> Any:
    if isinstance(value, Schedule):
        return _node_dict(value)
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    return _number(value)


def _node_dict(schedule: Schedule) -> dict:
    if schedule.name in _NOT_TEXT:
        raise ValueError("to_dict: custom schedules hold Python code and have no dict form")
    out = {"type": schedule.name}
    for f in dataclasses.fields(schedule):
        value = getattr(schedule, f.name)
        if not _is_default(f, value):
            out[f.name] = _to_plain(value)
    return out


def to_dict(schedule: Schedule) -> dict:
    """A JSON-compatible, versioned dict of the schedule; ``from_dict`` reads it back.

    Example:
        >>> import schedalg as sa
        >>> sa.to_dict(sa.cosine(1.0, 0.0, 10))
        {'schedalg': 1, 'schedule': {'type': 'cosine', 'start': 1.0, 'end': 0.0, 'steps': 10}}
    """
    return {"schedalg": FORMAT_VERSION, "schedule": _node_dict(schedule)}


def _from_node(node: Any, path: str) -> Schedule:
    if not isinstance(node, dict) or "type" not in node:
        raise ValueError(f"from_dict: {path} must be a dict with a 'type', got {node!r}")
    name = node["type"]
    if not isinstance(name, str) or name not in _names():
        raise ValueError(f"from_dict: {path}: unknown schedule type {name!r}")
    cls = REGISTRY[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(node) - set(fields) - {"type"}
    if unknown:
        raise ValueError(f"from_dict: {path} ({name}): unknown keys {sorted(unknown, key=repr)}")
    args, kwargs = [], {}
    for key, value in node.items():
        if key == "type":
            continue
        if isinstance(value, dict):
            value = _from_node(value, f"{path}.{key}")
        if fields[key].metadata.get("varargs"):
            if not isinstance(value, list):
                raise ValueError(f"from_dict: {path}.{key} must be a list, got {value!r}")
            args = [_from_node(v, f"{path}.{key}[{i}]") for i, v in enumerate(value)]
        else:
            kwargs[key] = value
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as err:
        raise ValueError(f"from_dict: {path}: {err}") from None


def from_dict(data: dict) -> Schedule:
    """Rebuilds a schedule from :func:`to_dict` output; checks version and keys.

    Example:
        >>> import schedalg as sa
        >>> sa.from_dict({"schedalg": 1, "schedule": {"type": "linear", "start": 1.0,
        ...                                           "end": 0.0, "steps": 10}})
        linear(start=1.0, end=0.0, steps=10)
    """
    if not isinstance(data, dict):
        raise ValueError(f"from_dict: expected a dict, got {type(data).__name__}")
    unknown = set(data) - {"schedalg", "schedule"}
    if unknown:
        raise ValueError(f"from_dict: unknown keys {sorted(unknown)}")
    version = data.get("schedalg")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"from_dict: unsupported format version {version!r} (this schedalg reads "
            f"version {FORMAT_VERSION})"
        )
    if "schedule" not in data:
        raise ValueError("from_dict: missing key 'schedule'")
    return _from_node(data["schedule"], "schedule")


def read_json(path: str | os.PathLike, what: str) -> Any:
    """The JSON document of ``path``; a ``ValueError`` naming ``what`` file it is when
    the file cannot be read or is not JSON."""
    where = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as err:
        raise ValueError(f"cannot read {what} file {where}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{what} file {where} is not valid JSON: {err}") from None
