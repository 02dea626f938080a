"""The notation page and the chapters use the same symbols.

book/notation.ipynb lists every symbol of the book in tables with a "first used in" column (a
{doc} link to a chapter). These tests read the math ($...$ and $$...$$) of the page and of every
chapter's markdown and check what can be checked mechanically:

- every {doc} link on the page resolves;
- each symbol the page lists appears in the chapter named as its first use;
- the "first used in" column is right: no earlier chapter uses the symbol (for the symbols that
  are not generic lowercase letters, whose first use in a passing formula would make the check
  a nuisance);
- every symbol a chapter uses is on the page (a retired symbol that comes back, or a new one,
  must be added there, with its meaning);
- the uses the book retired do not come back: ``\\phi`` for the normal density, ``S`` as the
  score statistic or a sum of squares, ``\\lambda`` as an exponential rate or a nuisance
  parameter, ``H`` called the information, ``B`` as the sandwich's meat, ``W`` for
  ``n sigma-hat^2 / sigma^2``, ``g`` as a density, ``R`` as a number of replications;
- every symbol of the page's "two meanings on purpose" list has at least two rows.

A math span is read as a sequence of tokens: a Greek letter or other macro (``\\theta``,
``\\hat``), ``\\mathrm{...}`` and ``\\mathcal X`` as one token each, then single letters, digits,
``*``, ``^`` and ``_`` (so that ``R^2`` is not ``R = 2000``); braces, spaces and operators are
dropped, and text inside ``\\text{...}`` or ``\\operatorname{...}`` is not a symbol.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAGE = BOOK / "notation.ipynb"
# Two-digit file names sort in reading order (tests/test_notebooks.py checks it).
CHAPTERS = sorted(p.stem for p in BOOK.glob("[0-9][0-9]_*.ipynb"))

GREEK = {
    "alpha", "beta", "gamma", "Gamma", "delta", "Delta", "epsilon", "varepsilon", "zeta", "eta",
    "theta", "vartheta", "Theta", "iota", "kappa", "lambda", "Lambda", "mu", "nu", "xi", "Xi",
    "pi", "Pi", "varpi", "rho", "varrho", "sigma", "Sigma", "varsigma", "tau", "upsilon",
    "Upsilon", "phi", "varphi", "Phi", "chi", "psi", "Psi", "omega", "Omega", "ell",
}  # fmt: skip
# \mathrm{...} words that name a distribution, a variable or a subscript, not a symbol.
NAMES = {"Bernoulli", "Poisson", "Weibull", "N", "NB2", "iprod", "6MP", "mach"}

SKIP_ARGUMENT = re.compile(
    r"\\(?:text|textrm|textit|textbf|texttt|operatorname|begin|end|label|tag)\s*\{[^{}]*\}"
)
TOKEN = re.compile(
    r"\\mathrm\s*\{(?P<rm>[^{}]*)\}"
    r"|\\mathrm\s*(?P<rm1>[A-Za-z0-9])"
    r"|\\mathcal\s*\{?\s*(?P<cal>[A-Za-z])\s*\}?"
    r"|\\(?P<macro>[A-Za-z]+)"
    r"|(?P<char>[A-Za-z0-9*^_])"
)
MATH = re.compile(r"\$\$(.+?)\$\$|\$((?:[^$\n]|\n(?!\n))+?)\$", re.S)
DOC = re.compile(r"\{doc\}`([^`<>]+)`")


def tokens(math: str) -> list[str]:
    """The tokens of one math span, in order."""
    out = []
    for m in TOKEN.finditer(SKIP_ARGUMENT.sub(" ", math)):
        if m.group("rm") is not None:
            out.append("\\mathrm{" + m.group("rm").strip() + "}")
        elif m.group("rm1"):
            out.append("\\mathrm{" + m.group("rm1") + "}")
        elif m.group("cal"):
            out.append("\\mathcal " + m.group("cal"))
        elif m.group("macro"):
            out.append("\\" + m.group("macro"))
        else:
            out.append(m.group("char"))
    return out


def is_symbol(token: str) -> bool:
    """A token that stands for something (not \\frac, \\hat, a digit or a star)."""
    if token.startswith("\\mathrm{"):
        return token[8:-1] not in NAMES
    if token.startswith("\\mathcal "):
        return True
    if token.startswith("\\"):
        return token[1:] in GREEK
    return token.isalpha()


def is_distinctive(token: str) -> bool:
    """A symbol whose first use is checked: not a lowercase Latin letter."""
    return is_symbol(token) and not (len(token) == 1 and token.islower())


def math_spans(text: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in MATH.finditer(text)]


def markdown(name: str) -> str:
    """A notebook's markdown, without code blocks and inline code."""
    nb = json.loads((BOOK / f"{name}.ipynb").read_text(encoding="utf-8"))
    text = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


@functools.cache
def chapter_spans(name: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(tokens(m)) for m in math_spans(markdown(name)))


def contains(sequence: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(sequence[i : i + n] == part for i in range(len(sequence) - n + 1))


def chapter_uses(name: str, part: tuple[str, ...]) -> bool:
    return any(contains(span, part) for span in chapter_spans(name))


@functools.cache
def page_text() -> str:
    nb = json.loads(PAGE.read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


@functools.cache
def page_rows() -> tuple[tuple[tuple[str, ...], str, str], ...]:
    """(symbol spans as token tuples, meaning, first-use chapter) for every table row."""
    rows, column = [], None
    for line in page_text().splitlines():
        if not line.startswith("|"):
            column = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if column is None:
            column = cells.index("first used in") if "first used in" in cells else -1
            continue
        if column < 0 or set(line) <= set("|-: "):
            continue
        chapter = DOC.fullmatch(cells[column])
        assert chapter, f"'first used in' is not one {{doc}} link: {line}"
        symbols = tuple(tuple(tokens(m)) for m in math_spans(cells[0]))
        assert symbols, f"no symbol in the first column: {line}"
        rows.append((symbols, cells[1], chapter.group(1)))
    return tuple(rows)


def row_id(row) -> str:
    symbols, _, chapter = row
    return " ".join("".join(s) for s in symbols) + "@" + chapter[:2]


def test_page_has_rows_and_links_resolve():
    assert len(page_rows()) > 50
    missing = sorted({d for d in DOC.findall(page_text()) if not (BOOK / f"{d}.ipynb").exists()})
    assert not missing, f"notation page links to chapters that do not exist: {missing}"
    assert {row[2] for row in page_rows()} <= set(CHAPTERS)


@pytest.mark.parametrize("row", page_rows(), ids=row_id)
def test_symbol_appears_where_first_used(row):
    symbols, meaning, chapter = row
    for symbol in symbols:
        assert chapter_uses(chapter, symbol), (
            f"the notation page says {''.join(symbol)!r} ({meaning[:60]}...) is first used in "
            f"{chapter}, whose markdown math does not contain it"
        )


def first_use_cases():
    """Each distinctive token, and each decorated or subscripted symbol with one, of the page's
    symbol column, with the earliest chapter the page gives for it."""
    listed: dict[tuple[str, ...], str] = {}
    for symbols, _, chapter in page_rows():
        for symbol in symbols:
            parts = {(t,) for t in symbol if is_distinctive(t)}
            if len(symbol) > 1 and any(is_distinctive(t) for t in symbol):
                parts.add(symbol)
            for part in parts:
                listed[part] = min(listed.get(part, chapter), chapter)
    return sorted(listed.items())


def case_id(value) -> str:
    return "".join(value) if isinstance(value, tuple) else value[:2]


@pytest.mark.parametrize("part, chapter", first_use_cases(), ids=case_id)
def test_first_used_in_is_the_first_use(part, chapter):
    first = next((c for c in CHAPTERS if chapter_uses(c, part)), None)
    assert first == chapter, (
        f"{''.join(part)!r} first appears in {first}, but the earliest 'first used in' the "
        f"notation page gives for it is {chapter}: add the earlier use to the page (with its "
        "meaning) or change the chapter"
    )


@functools.cache
def page_symbols() -> frozenset[str]:
    return frozenset(t for m in math_spans(page_text()) for t in tokens(m) if is_symbol(t))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_symbol_of_the_chapter_is_on_the_page(chapter):
    used = {t for span in chapter_spans(chapter) for t in span if is_symbol(t)}
    missing = sorted(used - page_symbols())
    assert not missing, (
        f"{chapter} uses {missing}, which the notation page does not list: add each with its "
        "meaning and the chapter of its first use"
    )


# Uses the book has retired (issue 20). Each pattern runs on the math spans of a chapter's
# markdown (after \mathrm{...}, \text{...} and \operatorname{...} are blanked out), except
# those marked "text", which run on the whole markdown.
RETIRED = [
    ("math", r"\\phi(?![A-Za-z])", "the standard normal density is \\varphi, never \\phi"),
    (
        "math",
        r"\\varphi\s*\(\s*x\s*;[^)]*\\sigma(?:_[A-Za-z0-9]|_\{[^}]*\})?\s*\^\s*2\s*\)",
        "a normal density with its parameters is f(x; mu, sigma), with the standard deviation",
    ),
    (
        "math",
        r"(?:\\[gl]e|[<>=])\s*S(?![A-Za-z(_^{])|(?<![\\A-Za-z])S\s*&?\s*=|S\s*\(\s*\\(?:hat)?\\?beta",
        "S is the survival function S(t) only: the score statistic is \\mathrm{LM} and a sum "
        "of squares \\mathrm{RSS}(\\beta)",
    ),
    ("math", r"\\lambda\s*e\^\{?\s*-\s*\\lambda", "an exponential rate is r, not \\lambda"),
    ("text", r"rate\s+\$\\(?:hat)?\\?lambda", "an exponential rate is r, not \\lambda"),
    ("math", r"\(\s*\\psi\s*,\s*\\lambda\s*\)", "the nuisance parameter is \\zeta: theta = (psi, zeta)"),
    (
        "math",
        r"(?:H|B)\^\{-1\}\s*B\s*(?:H|B)\^\{-1\}|H\^\{-1\}\s*K\s*H\^\{-1\}|I\^\{-1\}\s*B\s*I\^\{-1\}",
        "the sandwich is I^{-1} K I^{-1}: I the information, K the meat",
    ),
    ("math", r"B\s*=\s*\\sum_\{?i\}?\s*(?:s_i|\\mathrm\{Var\})", "the meat of the sandwich is K"),
    (
        "math",
        r"W\s*=\s*n\s*\\hat\\sigma\^2\s*/\s*\\sigma\^2",
        "n sigma-hat^2/sigma^2 is Q; W is the Wald statistic",
    ),
    ("text", r"density \$g\$", "the true density is f_0; g is the score"),
    ("math", r"\\mathrm\{?E\}?_g|\\mathrm\{KL\}\s*\(\s*g", "the true density is f_0; g is the score"),
    (
        "math",
        r"(?<![A-Za-z\\{])R\s*(?:=|\\ge)\s*[0-9]|\{2R\}",
        "the number of replications is M; R is a restriction matrix",
    ),
]
LAMBDA_CHAPTERS = {"14_poisson", "18_your_own_likelihood", "23_censored_survival"}


def blank_words(math: str) -> str:
    math = re.sub(r"\\mathrm\s*\{[^{}]*\}", " ", math)
    math = re.sub(r"\\hat\s*\{?\s*S\}?", " ", math)  # \hat S, the Kaplan-Meier estimate
    return SKIP_ARGUMENT.sub(" ", math)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_retired_uses_do_not_come_back(chapter):
    text = markdown(chapter)
    spans = [blank_words(m) for m in math_spans(text)]
    problems = []
    for where, pattern, rule in RETIRED:
        targets = spans if where == "math" else [text]
        for target in targets:
            hit = re.search(pattern, target)
            if hit:
                problems.append(f"{rule}: ...{target[max(0, hit.start() - 30) : hit.end() + 30]}...")
    if chapter not in LAMBDA_CHAPTERS and any("\\lambda" in t for t in math_spans(text)):
        problems.append(
            f"\\lambda is the Weibull scale (and the gamma multiplier of 14_poisson) only, "
            f"not in {chapter}: an exponential rate is r, a nuisance parameter zeta"
        )
    for sentence in re.split(r"(?<=[.;:])\s+", text.replace("\n", " ")):
        has_h = any(
            re.search(r"(?<![\\A-Za-z{])H(?![A-Za-z_])", blank_words(m)) for m in math_spans(sentence)
        )
        if has_h and "information" in sentence and "Hessian" not in sentence:
            problems.append(f"H is the Hessian, never the information: {sentence[:120]}")
    assert not problems, "\n".join(problems)


def two_meaning_bullets() -> list[str]:
    text = page_text()
    section = text[text.index("## Symbols with two meanings on purpose") :]
    section = section[: section.find("\n## ", 3)] if "\n## " in section[3:] else section
    return [line for line in section.splitlines() if line.startswith("- $")]


def test_two_meanings_list_names_symbols_with_two_rows():
    bullets = two_meaning_bullets()
    assert len(bullets) >= 5
    for bullet in bullets:
        symbol = tokens(math_spans(bullet)[0])[0]
        rows = [row for row in page_rows() if any(symbol in s for s in row[0])]
        assert len(rows) >= 2, f"{symbol} is listed with two meanings but has {len(rows)} row(s)"
