"""Rules every production module keeps (``shared/src``, ``services/*/src``; tests excluded):

- at most 400 lines: a longer module holds more than one thing, and splits along them;
- no comment or docstring cites an issue number (``#12``, ``issue 7``, ``ISSUE-10``): an issue
  is closed and forgotten, the code stays, so a comment says *why* in its own words;
- no ``assert`` statement: ``python -O`` drops them, so a check must raise a proper error and
  a type that is known must be said with ``typing.cast``.

Each failure lists every offending place, so one run shows all that is left to do.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
# "issue 11", "Issues #3", "ISSUE-10", "ticket 4", a bare "#12" (not "&#12;", not "color:#222",
# not a URL fragment) and GitHub's "gh-12".
ISSUE_CITATION = re.compile(
    r"(?i)\b(?:issue|ticket|bug)s?[\s_-]*(?:no\.?\s*)?#?\d+"
    r"|(?<![\w&:/#'\"])#\d+\b"
    r"|\bgh-\d+\b"
)


def _production_modules() -> list[Path]:
    modules = [
        *ROOT.glob("shared/src/**/*.py"),
        *ROOT.glob("services/*/src/**/*.py"),
    ]
    assert len(modules) > 100
    return sorted(modules)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_no_production_module_is_over_400_lines() -> None:
    long = {
        _name(path): count
        for path in _production_modules()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_comment_cites_an_issue_number() -> None:
    citations = [
        f"{_name(path)}:{number}: {line.strip()}"
        for path in _production_modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ISSUE_CITATION.search(line)
    ]
    assert not citations, "issue numbers cited (say why instead):\n" + "\n".join(citations)


def test_no_assert_statement_in_production_code() -> None:
    asserts = [
        f"{_name(path)}:{node.lineno}"
        for path in _production_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if isinstance(node, ast.Assert)
    ]
    assert not asserts, "assert statements (raise an error, or typing.cast):\n" + "\n".join(asserts)


def test_the_citation_pattern() -> None:
    for cited in ("(issue 11)", "Issue #3", "ISSUE-10 step 4", "see #12", "gh-7", "issues 9"):
        assert ISSUE_CITATION.search(cited), cited
    for plain in ("the issuer", "color:#222", "&#12;", "issued on 5 May", "html#42", "'#1'"):
        assert not ISSUE_CITATION.search(plain), plain
