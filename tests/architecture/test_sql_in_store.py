"""All SQL lives in ``sovereign.store`` (repositories) and in the test doubles' own package.

Any string literal that reads as a SQL statement, in any module of the service
outside ``store/``, fails this test. ``NOT_YET_MOVED`` lists the modules that
still held SQL when the rule was introduced: it may only shrink (a listed module
that no longer holds SQL also fails the test, so the list is kept honest).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sovereign

SRC = Path(sovereign.__file__).resolve().parent
SQL = re.compile(
    r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|DATABASE)|"
    r"ALTER\s+TABLE|DROP\s+(TABLE|DATABASE)|TRUNCATE\s|LISTEN\s|NOTIFY\s|pg_notify|ON\s+CONFLICT)",
    re.S,
)
NOT_YET_MOVED: set[str] = set()


def modules_with_sql() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("store/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.search(n.value) for n in ast.walk(tree)):
            found.add(rel)
    return found


def test_the_detector_sees_sql() -> None:
    assert SQL.search("SELECT id FROM sovereign_stores WHERE id = $1")
    assert SQL.search("INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING")
    assert not SQL.search("Select the products you want to update from the list.")


def test_no_new_sql_outside_store() -> None:
    new = modules_with_sql() - NOT_YET_MOVED
    assert not new, f"SQL outside sovereign/store/ (put it in a repository there): {sorted(new)}"


def test_the_list_of_modules_not_yet_moved_only_shrinks() -> None:
    moved = NOT_YET_MOVED - modules_with_sql()
    assert not moved, f"these modules hold no SQL any more: remove them from NOT_YET_MOVED: {sorted(moved)}"
