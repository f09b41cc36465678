"""Hashing model files, and remembering that we did.

A verified hash is cached in a small JSON sidecar keyed by the file's size and
mtime, so a restart does not re-read a 1 GB file; anything that changes the
file changes the key and forces a rehash. ``verify`` ignores the cache.
Sidecars live under ``<models_dir>/.verified/`` (never beside a user's file,
whose folder may be read-only). For a user-supplied file the first hash is
also its *pin*: later hashes must agree with it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = ["CHUNK", "Progress", "Sidecar", "hash_file", "hash_stream", "read_sidecar", "write_sidecar"]

CHUNK = 4 * 1024 * 1024
Progress = Callable[[int, int], None]  # (bytes_done, bytes_total)


@dataclass(frozen=True, slots=True)
class Sidecar:
    path: str
    size: int
    mtime_ns: int
    sha256: str  # hash at (size, mtime_ns)
    pinned: str  # the hash the file must have

    def matches(self, st: os.stat_result) -> bool:
        return self.size == st.st_size and self.mtime_ns == st.st_mtime_ns


def hash_stream(src: BinaryIO, h: "hashlib._Hash", *, done: int, total: int, progress: Progress | None,
                sink: BinaryIO | None = None) -> int:
    """Feed ``src`` into ``h`` (and ``sink`` when given) in chunks; return the new byte count."""
    while block := src.read(CHUNK):
        h.update(block)
        if sink is not None:
            sink.write(block)
        done += len(block)
        if progress is not None:
            progress(done, total)
    return done


def hash_file(path: Path, progress: Progress | None = None) -> str:
    h = hashlib.sha256()
    total = path.stat().st_size
    if progress is not None:
        progress(0, total)
    with path.open("rb") as f:
        hash_stream(f, h, done=0, total=total, progress=progress)
    return h.hexdigest()


def _sidecar_path(models_dir: Path, file: Path) -> Path:
    key = hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:12]
    return models_dir / ".verified" / f"{file.name}.{key}.json"


def read_sidecar(models_dir: Path, file: Path) -> Sidecar | None:
    try:
        data = json.loads(_sidecar_path(models_dir, file).read_text(encoding="utf-8"))
        side = Sidecar(**data)
    except (OSError, ValueError, TypeError):
        return None
    return side if side.path == str(file.resolve()) else None


def write_sidecar(models_dir: Path, file: Path, sha256: str, pinned: str | None = None) -> Sidecar:
    st = file.stat()
    side = Sidecar(str(file.resolve()), st.st_size, st.st_mtime_ns, sha256, pinned or sha256)
    target = _sidecar_path(models_dir, file)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(side), indent=1), encoding="utf-8")
    os.replace(tmp, target)
    return side
