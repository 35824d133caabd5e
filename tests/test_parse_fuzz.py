"""Parser fuzzing: at least 5000 generated and mutated inputs per run.

``sa.parse`` must return a schedule or raise ``ValueError`` (starting ``parse: ``, one
line): never another exception, never run any of the input, each input in bounded time.
Inputs, all drawn from a fixed seed: grammar-aware mutations of the reprs of many valid
schedules (hostile names and values, broken arity and keywords, token edits, deep
nesting, control characters), purely random text, and a hypothesis grammar.
"""

from __future__ import annotations

import random
import re
import string
import sys
import time
import types
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schedalg as sa
from schedalg._text import MAX_DEPTH, MAX_TEXT
from tests.catalogue import CATALOGUE

SEED = 0
MIN_INPUTS = 5000
MAX_SECONDS = 1.0  # per input
MAX_SECONDS_LONG = 3.0  # per input of 10_000 characters or more: CPython's compile dominates
MAX_MESSAGE = 1000  # characters

# ----------------------------------------------------------------------------
# The valid corpus: every text-form class of tests/catalogue.py (its example and its
# variants), and forms the catalogue does not hold: signs, vectors, defaults left out,
# operators, nesting, batches.

TEXT_NAMES = sorted(name for name, entry in CATALOGUE.items() if entry.text)


def _schedules() -> list[sa.Schedule]:
    catalogued = [
        s
        for entry in CATALOGUE.values()
        if entry.text
        for s in (entry.example, *(v.schedule for v in entry.variants))
    ]
    cos = sa.cosine(1e-3, 0.0, 9000)
    lin = sa.linear(0.0, 1.0, 100)
    return catalogued + [
        sa.constant(-2),
        sa.constant([1.0, 2.0, 3.0]),
        sa.exponential(1.0, 0.5),
        sa.exponential(1.0, 0.5, 10, staircase=True, end=0.01),
        sa.warmup(cos, 10, start=1e-5, shape="exponential", prefix=False),
        sa.warmup(cos, 10, ramp="(t+1)/(W+1)", shape="1-sqrt"),
        2 * cos,
        cos * lin,
        cos + lin,
        cos + 1e-5,
        sa.warmup(sa.join(lin, sa.clip(cos * 0.5 + 1e-5, low=1e-6), sa.constant(1e-6)), 10),
        sa.restart(sa.warmup(sa.cosine(1.0, 0.0, 90), 10), mult=2, decay=0.9, limit=4),
        sa.per_epoch(sa.repeat(sa.shift(sa.stretch(lin, 3), 5), 40), 7),
        sa.stack([sa.cosine(1.0, 0.0, 10), sa.cosine(2.0, 0.5, 20)]),
        sa.grid(lambda p, m: sa.warmup(sa.multistep(p, m, 0.5), 5), p=[1.0, 2.0], m=[[3, 9]]),
    ]


def _corpus() -> list[str]:
    texts = [repr(s) for s in _schedules()]
    # Forms repr never prints but the grammar accepts: positional, signs, operators.
    texts += [
        "warmup(cosine(1e-3, 0.0, 9000), 1000)",
        "cosine(1e-3, -0.0, 900, exponent=+2.0) * 0.5 + 1e-5",
        "0.5 * constant(2.0)",
        "join(linear(0, 1e-3, 100), constant(1e-3), boundaries=(100,))",
        "multistep(1.0, (10, 20), factor=0.5)",
        "  clip(\n  linear(1.0, 0.0, 10),\n  low=0.25,\n)\n",
    ]
    return texts


# ----------------------------------------------------------------------------
# Hostile pieces. The side-effect payloads would leave a trace if anything ran them:
# a file in the working directory (a fresh tmp dir), the sentinel module's flag, or an
# audit event.

SENTINEL = "schedalg_fuzz_sentinel"
MARKER = "schedalg_fuzz_marker"

PAYLOADS = [
    f"open('{MARKER}', 'w')",
    f"open('{MARKER}', 'w').write('x')",
    f"__import__('os').system('touch {MARKER}')",
    f"__import__('pathlib').Path('{MARKER}').touch()",
    f"__import__('subprocess').run(['touch', '{MARKER}'])",
    f"setattr(__import__('{SENTINEL}'), 'hit', True)",
    f"__import__('{SENTINEL}').__setattr__('hit', True)",
    f"__import__('sys').modules['{SENTINEL}'].__dict__.update(hit=True)",
    f"exec(\"open('{MARKER}', 'w')\")",
    f"eval(\"__import__('os').system('touch {MARKER}')\")",
    f"compile(\"open('{MARKER}','w')\", 'x', 'exec')",
    f"[open('{MARKER}', 'w') for _ in [1]]",
    f"(lambda: open('{MARKER}', 'w'))()",
    f"globals().update(x=open('{MARKER}', 'w'))",
    f"constant(open('{MARKER}', 'w').write('1'))",
    f"cosine(1.0, 0.0, __import__('os').system('touch {MARKER}') + 10)",
    f"os.system('touch {MARKER}')",
    "().__class__.__bases__[0].__subclasses__()",
    "constant(1.0).__class__.__init__.__globals__",
    "warmup.__globals__['REGISTRY'].clear()",
    "constant.__dict__",
    "breakpoint()",
    "input()",
    "__builtins__",
    "__import__",
    "eval",
    "open",
]
BAD_NAMES = [
    *("__import__", "eval", "exec", "open", "os", "os.system", "sys", "getattr", "setattr"),
    *("globals", "__class__", "__builtins__", "Schedule", "REGISTRY", "custom", "print"),
    *("lambda", "x", "True", "None", "nan", "inf", "cosin", "Cosine", "constant.__call__"),
    *("sa.constant", "schedalg.cosine"),
]
BAD_NUMBERS = [
    *("0", "-0", "-1", "1e999", "-1e999", "1e-999", "1e308", "10**10**10", "2**31", "2**63"),
    *("9" * 40, "-" + "9" * 19, "9223372036854775807", "9223372036854775808", "2147483647"),
    *("2147483648", "float('nan')", "float('inf')", "nan", "inf", "0x10", "0o7", "0b1"),
    *("1_000", "1j", "1e5j", ".5", "5.", "1e", "1.2.3", "--1", "+-+1", "~1", "0.0000001"),
    *("1e-45", "3.4e38"),
]
BAD_VALUES = [
    *("True", "False", "None", "'x'", "''", "'linear'", "b'1'", "u'1'", "r'\\x00'", "f'{1}'"),
    *("f'{open(1)}'", "[]", "[[]]", "[1, 'a']", "[1, None]", "[1, [2]]", "[[1, 2], [3]]"),
    *("[[1, 2], [3, 4]]", "[[1, 0], [-2, 3]]", "[[3, 2], [1, 0]]", "[1e-300, 1e300]"),
    *("[True, False]", "[1e308, -1e308]", "[constant(1.0)]", "(constant(1.0),)", "(1, 2)"),
    *("()", "{}", "{1: 2}", "{1, 2}", "{'value': 1.0}", "lambda: 1", "lambda x: x"),
    *("[x for x in [1]]", "{x for x in [1]}", "(x for x in [1])", "1 if 1 else 2", "not 1"),
    *("1 - 2", "1 / 2", "1 // 2", "1 % 2", "1 ** 2", "1 < 2", "1 and 2", "(x := 1)", "*[1]"),
    *("**{}", "...", "x[0]", "x.y", "(yield)", "await x", "constant(1.0)"),
    *("linear(1.0, 0.0, 10)", *PAYLOADS),
]
# Wrappers around a whole call (grammar-aware: {x} is a complete sub-expression).
WRAPS = [
    *("{x}.__class__.__bases__", "{x}.__class__", "{x}.value", "{x}()", "{x}[0]", "-{x}"),
    *("+{x}", "~{x}", "not {x}", "{x} - {x}", "{x} * {x}", "{x} + {x}", "2 * {x}", "{x} * -1"),
    *("{x} + 0.5", "{x} * 1e999", "{x} * [1, 2]", "{x} * [[1], [2, 3]]", "{x} * 'a'"),
    *("{x} * None", "{x} + True", "{x} / 2", "{x} ** 2", "{x} @ {x}", "[{x}]", "({x},)"),
    *("({x})", "{ {x} }", "{x} if 1 else {x}", "lambda: {x}", "[{x} for _ in [1]]"),
    *("join({x}, {x}, boundaries=[5])", "join({x}, {x})", "warmup({x}, 10)", "scale({x}, {x})"),
    *("add({x}, other={x})", "clip({x}, low={x})", "restart({x})", "stretch_cycles({x})"),
    *("{x}; import os", "x = {x}", "*{x}", "await {x}", "(yield {x})", "{x}  # comment"),
    *("\\\n{x}",),
]
CHARS = [
    *("\x00", "\x01", "\x1b", "\x7f", "\t", "\r", "\n", "\x0c", "\x0b", "\u00a0", "\u200b"),
    *("\ufeff", "\u2028", "\u202e", "\ud800", "\udfff", "é", "ß", "ｃ", "１", "\u0660", "∞", "😀"),
    *("\U0010ffff", "\\", "#", "'", '"', "`", "$", "?", "!"),
]
PUNCT = list("()[]{},=.*+-/%@&|^~<>:;!") + ["**", "//", "==", "->", ":=", "...", "'", '"']
KEYWORDS = sorted(
    {"start", "end", "steps", "value", "factor", "boundaries", "low", "high", "mode"}
    | {"shape", "prefix", "staircase", "period", "limit", "other", "schedule", "pieces"}
    | {"exponent", "power", "milestones", "every", "rewind", "duration_", "fn", "params"}
    | {"__class__", "__init__", "_", "x", "step"}
)

# ----------------------------------------------------------------------------
# Grammar-aware mutations over a token list.

_TOKEN = re.compile(
    r"[^\W\d]\w*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|'[^']*'|\s+|.", re.S
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _is_name(tok: str) -> bool:
    return tok.isidentifier()


def _is_number(tok: str) -> bool:
    return tok[:1].isdigit() or (tok[:1] == "." and tok[1:2].isdigit())


def _where(toks: list[str], pred: Callable[[int], bool]) -> list[int]:
    return [i for i in range(len(toks)) if pred(i)]


def _call_spans(toks: list[str]) -> list[tuple[int, int]]:
    """(start, end) token spans of ``name(...)`` calls, end exclusive."""
    spans = []
    for i in range(len(toks) - 1):
        if _is_name(toks[i]) and toks[i + 1] == "(":
            depth = 0
            for j in range(i + 1, len(toks)):
                depth += toks[j] in ("(", "[", "{")
                depth -= toks[j] in (")", "]", "}")
                if depth == 0:
                    spans.append((i, j + 1))
                    break
    return spans


def _arg_end(toks: list[str], i: int) -> int:
    """Index of the ',' or closing bracket that ends the argument starting at i."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j] in ("(", "[", "{"):
            depth += 1
        elif toks[j] in (")", "]", "}"):
            if depth == 0:
                return j
            depth -= 1
        elif toks[j] == "," and depth == 0:
            return j
    return len(toks)


def _keyword_at(toks: list[str], i: int) -> bool:
    return _is_name(toks[i]) and i + 1 < len(toks) and toks[i + 1] == "="


def _arg_starts(toks: list[str]) -> list[int]:
    starts = []
    for i in range(1, len(toks)):
        if toks[i - 1] in ("(", ",") and toks[i] not in (")", ","):
            starts.append(i + (toks[i].isspace() and i + 1 < len(toks)))
    return starts


def _m_swap_name(rng, toks):
    idx = _where(toks, lambda i: _is_name(toks[i]))
    if idx:
        pool = rng.choice([BAD_NAMES, TEXT_NAMES, KEYWORDS])
        toks[rng.choice(idx)] = rng.choice(pool)
    return toks


def _m_swap_number(rng, toks):
    idx = _where(toks, lambda i: _is_number(toks[i]))
    if idx:
        toks[rng.choice(idx)] = rng.choice(BAD_NUMBERS)
    return toks


def _m_swap_value(rng, toks):
    literal = ("True", "False", "None")
    idx = _where(toks, lambda i: _is_number(toks[i]) or toks[i][:1] == "'" or toks[i] in literal)
    if idx:
        toks[rng.choice(idx)] = rng.choice(BAD_VALUES)
    return toks


def _m_wrap_call(rng, toks):
    spans = _call_spans(toks)
    if spans:
        a, b = rng.choice(spans)
        inner = "".join(toks[a:b])
        toks[a:b] = [rng.choice(WRAPS).replace("{x}", inner)]
    return toks


def _m_dup_keyword(rng, toks):
    idx = _where(toks, lambda i: _keyword_at(toks, i))
    if idx:
        i = rng.choice(idx)
        j = _arg_end(toks, i + 2)
        toks[j:j] = [", ", *toks[i:j]]
    return toks


def _m_keyword_to_positional(rng, toks):
    idx = _where(toks, lambda i: _keyword_at(toks, i))
    if idx:
        i = rng.choice(idx)
        del toks[i : i + 2]
    return toks


def _m_rename_keyword(rng, toks):
    idx = _where(toks, lambda i: _keyword_at(toks, i))
    if idx:
        toks[rng.choice(idx)] = rng.choice(KEYWORDS)
    return toks


def _m_positional_after_keyword(rng, toks):
    idx = _where(toks, lambda i: toks[i] == ")")
    if idx:
        i = rng.choice(idx)
        toks[i:i] = [", ", rng.choice(["1.0", "10", "constant(1.0)", "'linear'", "None"])]
    return toks


def _m_drop_argument(rng, toks):
    starts = _arg_starts(toks)
    if starts:
        i = rng.choice(starts)
        j = _arg_end(toks, i)
        del toks[i : j + (j < len(toks) and toks[j] == ",")]
    return toks


def _m_add_argument(rng, toks):
    starts = _arg_starts(toks)
    if starts:
        extra = rng.choice(["1.0", "0", "-5", "x=1", "steps=10", "constant(0.5)", "[1, 2]"])
        i = rng.choice(starts)
        toks[i:i] = [extra, ", "]
    return toks


def _m_delete_token(rng, toks):
    if toks:
        del toks[rng.randrange(len(toks))]
    return toks


def _m_duplicate_token(rng, toks):
    if toks:
        i = rng.randrange(len(toks))
        toks.insert(i, toks[i])
    return toks


def _m_swap_tokens(rng, toks):
    if len(toks) > 1:
        i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
        toks[i], toks[j] = toks[j], toks[i]
    return toks


def _m_insert_punct(rng, toks):
    toks.insert(rng.randrange(len(toks) + 1), rng.choice(PUNCT))
    return toks


def _m_truncate(rng, toks):
    return toks[: rng.randrange(len(toks) + 1)]


def _m_unbalance(rng, toks):
    idx = _where(toks, lambda i: toks[i] in ("(", ")", "[", "]"))
    if idx and rng.random() < 0.5:
        del toks[rng.choice(idx)]
    else:
        toks.insert(rng.randrange(len(toks) + 1), rng.choice("()[]{}"))
    return toks


def _m_insert_char(rng, toks):
    text = "".join(toks)
    i = rng.randrange(len(text) + 1)
    return [text[:i], rng.choice(CHARS) * rng.choice([1, 1, 2, 50]), text[i:]]


def _m_nest(rng, toks):
    text = "".join(toks)
    k = rng.choice([1, 2, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 200])
    kind = rng.randrange(4)
    if kind == 0:
        return ["(" * k, text, ")" * k]
    if kind == 1:
        return ["warmup(" * k, text, ", 1)" * k]
    if kind == 2:
        return ["-" * k, text]
    return ["constant(" + "[" * k + "1" + "]" * k + ")"]


def _m_repeat(rng, toks):
    text = "".join(toks)
    sep = rng.choice([" + ", " * ", ", ", " ", "", "\n"])
    return [sep.join([text] * rng.choice([2, 3, 10, 100]))]


MUTATIONS = [f for name, f in sorted(globals().items()) if name.startswith("_m_")]


def _mutants(rng: random.Random, corpus: list[str], n: int) -> Iterator[str]:
    """n mutants: each a corpus text with one to three mutations applied."""
    for _ in range(n):
        toks = _tokens(rng.choice(corpus))
        for _ in range(rng.choice([1, 1, 2, 3])):
            toks = rng.choice(MUTATIONS)(rng, toks)
        yield "".join(toks)


# ----------------------------------------------------------------------------
# Random text and fixed extremes.


def _random_texts(rng: random.Random, n: int) -> Iterator[str]:
    soup = [*TEXT_NAMES, *BAD_NAMES, *KEYWORDS, *BAD_NUMBERS, *PUNCT, *CHARS, " ", "1.0", "10"]
    for i in range(n):
        size = rng.randrange(80)
        kind = i % 4
        if kind == 0:  # random bytes, decoded the ways a file reader might
            raw = rng.randbytes(size)
            encoding = rng.choice(["utf-8", "latin-1", "cp1252"])
            yield raw.decode(encoding, errors=rng.choice(["replace", "ignore", "surrogateescape"]))
            yield raw[: size // 2 * 2].decode("utf-16-le", errors="replace")
        elif kind == 1:
            yield "".join(rng.choice(string.printable) for _ in range(size))
        elif kind == 2:  # random code points, surrogates and controls included
            yield "".join(chr(rng.randrange(0x110000)) for _ in range(size))
        else:  # token soup: closer to the grammar, so it reaches the reader
            yield "".join(rng.choice(soup) for _ in range(size // 4 + 1))


def _extremes() -> list[str]:
    n = 10_000
    call = "constant(1.0)"
    return [
        "(" * n + call + ")" * n,
        "(" * n,
        ")" * n,
        "[" * n + "]" * n,
        "{" * n + "}" * n,
        "-" * n + "1",
        "constant(" + "-" * n + "1)",
        "constant(" + "+-" * n + "1)",
        "~" * n + "1",
        "not " * n + "1",
        "join(" * n + call + ")" * n,
        "warmup(" * n + call + ", 1)" * n,
        "lambda: " * n + call,
        call + ".x" * n,
        call + "()" * n,
        call + "[0]" * n,
        call + " * 2" * n,
        call + " + " + " + ".join([call] * n),
        " * ".join([call] * n),
        "1" + " + 1" * n,
        "1" + " ** 1" * n,
        "constant(" + "1, " * n + "1)",
        "constant([" + "1, " * 50_000 + "1])",
        "join(" + ", ".join([call] * 5000) + ")",
        "constant(" + "1" * n + ")",
        "constant(1." + "1" * n + ")",
        "constant(1e" + "9" * n + ")",
        "constant('" + "a" * n + "')",
        "constant(1.0)" + " " * (MAX_TEXT - len(call)),
        "constant(1.0)" + " " * (MAX_TEXT - len(call) + 1),
        "constant(1.0)" + "#" * (MAX_TEXT * 2),
        "x" * (MAX_TEXT + 1),
        "\x00" * n,
        "\n" * n,
        "\ud800" * n,
        "constant(1.0)\x00",
        "constant(\x001.0)",
        "\ufeffconstant(1.0)",
        "constant(1.0)\n# trailing comment",
        "constant(1.0) # comment",
        "(\nconstant(1.0)\n)",
        "constant(1.0) \\\n + constant(2.0)",
        "ｃｏｎｓｔａｎｔ(1.0)",
        "constant(１.０)",
        "cosine(1.0, 0.0, \u0661\u0660)",
        "constant(\u00a01.0)",
    ]


def _all_inputs() -> list[str]:
    rng = random.Random(SEED)
    corpus = _corpus()
    return [
        *corpus,
        *PAYLOADS,
        *(f"constant({p})" for p in PAYLOADS),
        *_extremes(),
        *_mutants(rng, corpus, 4300),
        *_random_texts(rng, 800),
    ]


# ----------------------------------------------------------------------------
# The checks.

_WATCHED = (
    *("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.kill"),
    *("os.remove", "os.rename", "os.mkdir", "os.truncate", "os.chmod", "subprocess."),
    *("shutil.", "socket.", "ctypes.", "builtins.input", "builtins.breakpoint", "webbrowser"),
)
_AUDIT: dict = {"installed": False, "active": False, "seen": []}


def _audit(event: str, args: tuple) -> None:
    if not _AUDIT["active"]:
        return
    if event == "open" and MARKER in str(args[:1]):
        _AUDIT["seen"].append((event, args[:1]))
    elif event == "exec":  # imports exec their module's code; flag only code from a string
        filename = getattr(args[0], "co_filename", "<?>")
        if filename.startswith("<") and not filename.startswith("<frozen"):
            _AUDIT["seen"].append((event, filename))
    elif event.startswith(_WATCHED):
        _AUDIT["seen"].append((event, str(args)[:100]))


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """An empty working directory, a sentinel module, and the audit recorder; on exit,
    checks that no input left a trace."""
    if not _AUDIT["installed"]:
        sys.addaudithook(_audit)  # permanent, but records only while _check parses
        _AUDIT["installed"] = True
    sentinel = types.ModuleType(SENTINEL)
    sentinel.hit = False
    monkeypatch.setitem(sys.modules, SENTINEL, sentinel)
    monkeypatch.chdir(tmp_path)
    _AUDIT["seen"].clear()
    yield
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert sentinel.hit is False
    assert _AUDIT["seen"] == []


def _parse(text: str) -> tuple[object, list, float]:
    """``sa.parse(text)`` audited: (schedule or ValueError, warnings, seconds)."""
    _AUDIT["active"] = True
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = sa.parse(text)
            except ValueError as err:
                result = err
    finally:
        seconds = time.perf_counter() - t0
        _AUDIT["active"] = False
    return result, caught, seconds


def _check(text: str, failures: list[str]) -> tuple[str, float]:
    """Parses one input; returns ("ok" | "rejected" | "crashed", seconds) and records
    every failure: another exception, a slow parse, a warning, an unclear message, a
    result other than a schedule, or a repr that does not parse back to itself."""
    shown = repr(text[:200])
    try:
        result, caught, seconds = _parse(text)
    except Exception as err:  # anything but ValueError is a bug
        failures.append(f"{type(err).__name__}: {str(err)[:200]} for {shown}")
        return "crashed", 0.0
    limit = MAX_SECONDS if len(text) < 10_000 else MAX_SECONDS_LONG
    if seconds > limit:
        failures.append(f"took {seconds:.2f} s for {shown}")
    if caught:
        failures.append(f"warned {str(caught[0].message)[:100]!r} for {shown}")
    if isinstance(result, ValueError):
        message = str(result)
        if not message.startswith("parse: ") or "\n" in message or len(message) > MAX_MESSAGE:
            failures.append(f"unclear message {message[:300]!r} for {shown}")
        return "rejected", seconds
    if not isinstance(result, sa.Schedule):
        failures.append(f"returned {type(result).__name__} for {shown}")
        return "crashed", seconds
    try:
        text2 = repr(result)
        again = repr(sa.parse(text2))
    except Exception as err:
        failures.append(f"round trip raised {err!r} for {shown}")
        return "ok", seconds
    if again != text2:
        failures.append(f"round trip {text2[:200]!r} -> {again[:200]!r}")
    return "ok", seconds


def test_corpus_round_trips_and_covers_every_constructor():
    names = set()
    for s in _schedules():
        assert repr(sa.parse(repr(s))) == repr(s)
        names |= set(re.findall(r"(\w+)\(", repr(s)))
    assert names >= set(TEXT_NAMES), sorted(set(TEXT_NAMES) - names)
    for text in _corpus():
        s = sa.parse(text)
        assert repr(sa.parse(repr(s))) == repr(s)


def test_fuzz_parse_returns_schedule_or_value_error(sandbox):
    inputs = _all_inputs()
    assert len(inputs) >= MIN_INPUTS  # the fuzz set cannot shrink silently
    for text in _corpus():  # warm up lazy imports and caches before timing
        sa.parse(text)
    failures: list[str] = []
    kinds = {"ok": 0, "rejected": 0, "crashed": 0}
    slowest = total = 0.0
    for text in inputs:
        kind, seconds = _check(text, failures)
        kinds[kind] += 1
        total += seconds
        slowest = max(slowest, seconds)
    print(f"\n{len(inputs)} inputs {kinds}: total {total:.2f} s, slowest {slowest:.3f} s")
    assert failures == [], "\n".join(failures[:20])
    # Both outcomes are exercised: many mutants still parse, most are rejected.
    assert kinds["ok"] >= 300 and kinds["rejected"] >= 3000, kinds


# A small expression grammar for hypothesis: calls of known, unknown and hostile names,
# numbers of every kind, lists, operators and signs.
_leaf = st.one_of(
    st.sampled_from(BAD_NUMBERS + BAD_VALUES[:40]),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=4).map(repr),
)


def _call(name: str, args: list[str], kwargs: list[tuple[str, str]]) -> str:
    return f"{name}({', '.join([*args, *(f'{k}={v}' for k, v in kwargs)])})"


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            _call,
            st.sampled_from(TEXT_NAMES * 3 + BAD_NAMES),
            st.lists(children, max_size=4),
            st.lists(st.tuples(st.sampled_from(KEYWORDS), children), max_size=3),
        ),
        st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.tuples(children, st.sampled_from([" * ", " + ", " - ", " @ ", ".", ""]), children).map(
            "".join
        ),
        st.tuples(st.sampled_from(["-", "+", "(", "not "]), children).map("".join),
    )


_expressions = st.recursive(_leaf, _extend, max_leaves=16)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(_expressions, st.text(max_size=60)))
def test_hypothesis_parse_returns_schedule_or_value_error(sandbox, text):
    failures: list[str] = []
    _check(text, failures)
    assert failures == []


# ----------------------------------------------------------------------------
# What the fuzzing found, pinned: each message names the problem on one line.


@pytest.mark.parametrize(
    "text, match",
    [
        ("warmup(constant(1.0), 10, prefix='no')", "warmup: prefix must be True or False"),
        ("exponential(1.0, 0.5, staircase=[1])", "staircase must be True or False"),
        ("one_cycle(0.1, 1.0, 0.0, 100, three_phase=5)", "three_phase must be True or False"),
        ("constant(1, 2)", "constant: too many positional arguments at column 1"),
        ("warmup(constant(1.0), 10, 0.5)", "warmup: too many positional arguments"),
        ("cosine(1.0, steps=10)", "cosine: missing a required argument: 'end'"),
        ("cosine(1.0, 0.0, 10, step=3)", "cosine: got an unexpected keyword argument 'step'"),
        ("cosine(1.0, 0.0, 10, start=3)", "cosine: multiple values for argument 'start'"),
        ("constant([[1, 2], [3]])", r"value must be a number or a rectangular array of numbers"),
        ("multistep(1.0, [[10, 5], [1, 2]])", r"got milestones=\[\[10, 5\], \[ 1, 2\]\] at"),
        ("constant('" + "a" * 10_000 + "')", r"got value='aaaa*\.\.\. at column 1"),
        ("[" + "1, " * 10_000 + "1]", r"expected a schedule expression, got \[1, 1, .*\.\.\.$"),
        ("-" * 10_000 + "1", r"^parse: expression nested too deeply$"),
        ("constant(1.0)" + ".x" * 10_000, r"^parse: expression nested too deeply$"),
    ],
)
def test_parse_error_names_the_problem_on_one_line(text, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and warns about nothing on the way
        with pytest.raises(ValueError, match=match) as info:
            sa.parse(text)
    message = str(info.value)
    assert message.startswith("parse: ") and "\n" not in message and len(message) < 400


def test_parse_is_silent_about_python_syntax_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="IfExp is not allowed"):
            sa.parse("constant(1if 1 else 2)")  # CPython warns "invalid decimal literal"


def test_flags_accept_bools_and_zero_or_one_only():
    assert repr(sa.parse("exponential(1.0, 0.5, staircase=1)")).endswith("staircase=True)")
    assert sa.exponential(1.0, 0.5, staircase=np.bool_(True)).staircase is True
    assert sa.warmup(sa.constant(1.0), 5, prefix=0).prefix is False
    with pytest.raises(ValueError, match="prefix must be True or False, got prefix=2"):
        sa.warmup(sa.constant(1.0), 5, prefix=2)
