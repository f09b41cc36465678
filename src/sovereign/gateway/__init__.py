"""The sovereign LLM gateway: providers as configuration, failover, breakers, degraded mode.

    from sovereign.gateway import Gateway, ChatRequest, GatewayError

    gateway = Gateway(configs, on_event=sink)
    try:
        result = await gateway.complete(ChatRequest.simple("...", feature="describe", timeout=10))
    except GatewayError:
        ...  # the feature's rule-based fallback
"""

from .cache import MemoryCache, ResponseCache, cache_key
from .config import GatewaySettings, ProviderConfig
from .events import (
    AttemptFailed,
    BreakerChanged,
    CallFinished,
    DegradedEntered,
    DegradedLeft,
    Event,
    EventSink,
    OverrideChanged,
)
from .policy import CandidatePolicy, DataClassPolicy
from .router import Gateway
from .types import (
    CUSTOMER_PERSONAL,
    HR_PERSONAL,
    PUBLIC,
    ChatRequest,
    ChatResult,
    Completion,
    GatewayError,
    Message,
    Provider,
    ProviderError,
    StreamChunk,
    Usage,
)

__all__ = [
    "AttemptFailed", "BreakerChanged", "CallFinished", "CandidatePolicy", "ChatRequest", "ChatResult", "Completion",
    "CUSTOMER_PERSONAL", "DataClassPolicy", "DegradedEntered", "DegradedLeft", "Event", "EventSink", "Gateway",
    "GatewayError", "GatewaySettings", "HR_PERSONAL", "MemoryCache", "Message", "OverrideChanged", "PUBLIC",
    "Provider", "ProviderConfig", "ProviderError", "ResponseCache", "StreamChunk", "Usage", "cache_key",
]
