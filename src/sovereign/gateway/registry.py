"""Providers are configuration: build the adapter a ``ProviderConfig`` names.

The embedded llama.cpp provider is imported only when a config asks for it,
so a gateway of HTTP providers never loads the native runtime.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from .config import ProviderConfig
from .providers.anthropic import AnthropicProvider
from .providers.openai_compatible import OpenAICompatibleProvider
from .types import Provider

EMBEDDED = "sovereign.gateway.providers.embedded:EmbeddedProvider"


def build_provider(config: ProviderConfig, *, models_dir: Path | None = None) -> Provider:
    if config.kind == "openai_compatible":
        return OpenAICompatibleProvider(config)
    if config.kind == "anthropic":
        return AnthropicProvider(config)
    if config.kind == "embedded":
        if models_dir is None:
            raise ValueError(f"provider {config.name!r} is embedded: build it with models_dir=<folder of GGUF models>")
        module, _, attr = EMBEDDED.partition(":")
        cls = getattr(importlib.import_module(module), attr)
        return cls(config, models_dir)
    raise ValueError(f"unknown provider kind {config.kind!r}")

