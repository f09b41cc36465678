"""A prompt as the domain writes it: roles and texts, nothing about how or where it is sent.

The domain builds prompts (fraud review, descriptions, stock narratives) from its
own facts; features turn them into the gateway's request messages
(``sovereign.features.prompts.chat_messages``). The domain never imports the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PromptMessage", "PromptRole"]

PromptRole = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class PromptMessage:
    role: PromptRole
    content: str
    images: tuple[str, ...] = ()  # image URLs (https or data:) the model is asked to look at
