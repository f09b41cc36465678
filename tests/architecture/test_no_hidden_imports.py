"""No import of the service's own modules is hidden inside a function to dodge an import circle.

Entrypoints (``cli.py``, ``commands/``) import their feature when the command runs, so that
``sovereign --help`` stays fast; two adapters load an optional heavy runtime only when asked for it
(the embedded PostgreSQL server, by ``store/database.py``; the native llama.cpp runtime, by name in
``gateway/registry.py``). Anywhere else a function-level import of ``sovereign`` fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sovereign

SRC = Path(sovereign.__file__).resolve().parent
ALLOWED = {"store/database.py": {"sovereign.store.embedded"}}


def _own(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return [f"{'.' * node.level}{node.module or ''}"]
        return [node.module] if node.module and node.module.split(".")[0] == "sovereign" else []
    return [a.name for a in node.names if a.name.split(".")[0] == "sovereign"]


def test_no_function_level_imports_of_sovereign_outside_the_entrypoints() -> None:
    hidden = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel == "cli.py" or rel.startswith("commands/") or rel in ("demo.py",) or rel.startswith("drills/"):
            continue
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    hidden += [f"{rel}:{node.lineno} {m}" for m in _own(node) if m not in ALLOWED.get(rel, set())]
    assert not hidden, f"imports hidden in functions (lift them to the top of the module): {sorted(set(hidden))}"
