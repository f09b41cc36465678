"""The domain's prompts as the gateway's messages."""

from __future__ import annotations

from typing import Iterable

from sovereign.domain.prompts import PromptMessage
from sovereign.gateway.types import Message

__all__ = ["chat_messages"]


def chat_messages(prompt: Iterable[PromptMessage]) -> list[Message]:
    return [Message(m.role, m.content, images=m.images) for m in prompt]
