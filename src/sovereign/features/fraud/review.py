"""The optional AI review of an order, through the gateway, failing open.

``review_order`` never raises: every failure becomes a ``Review`` whose
``state`` says why there is no answer, and the rules' result stands. The
order's text reaches the model only inside ``build_llm_messages``' escaped
data block, and ``combine`` never lets the answer lower the rules' score.

    review = await review_order(gateway, order, rules, timeout_s=60)
    assessment = combine(rules, review.answer)
    if review.retry_later:
        ...  # schedule fraud.rescore
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from sovereign.domain.fraud import LLM_ANSWER_SCHEMA, LlmAnswer, RulesResult, build_llm_messages, parse_llm_answer
from sovereign.domain.orders import Order
from sovereign.gateway import CUSTOMER_PERSONAL, ChatRequest, Gateway, GatewayError
from sovereign.features.prompts import chat_messages

__all__ = ["FEATURE", "NOT_NEEDED", "PERMANENT_STATES", "SKIPPED", "Review", "review_order"]

log = logging.getLogger("sovereign.fraud")

FEATURE = "fraud"
# No later try can change these: the operator's policy forbids sending the order anywhere,
# or the store turned the AI review off.
# "not_needed": the rules' score is outside the band where an AI review could change the decision.
PERMANENT_STATES = frozenset({"policy", "redaction", "skipped", "not_needed"})
_GRACE_S = 0.25  # the gateway gets its deadline this much before the hard cut-off (at most 10% of the time)


@dataclass(frozen=True, slots=True)
class Review:
    state: str  # ok | skipped | degraded | unavailable | deadline | invalid_output | policy | error | ...
    answer: LlmAnswer | None = None
    provider: str = ""
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    @property
    def retry_later(self) -> bool:
        """True when a later try may get an answer (the provider was down, slow, or answered nonsense)."""
        return not self.ok and self.state not in PERMANENT_STATES


SKIPPED = Review("skipped")
NOT_NEEDED = Review("not_needed")


async def review_order(
    gateway: Gateway, order: Order, rules: RulesResult, *, timeout_s: float, trial: bool = True,
    lane: str = "background",
) -> Review:
    """Ask the gateway for the model's risk estimate; never takes longer than ``timeout_s``.

    ``trial=False`` does not call at all while the feature is degraded (the
    inline endpoint must answer in milliseconds then); with ``trial=True`` the
    gateway decides, and may let this call through as its recovery trial.
    """
    if not trial and gateway.is_degraded(FEATURE):
        return Review("degraded")
    if timeout_s <= 0:
        return Review("deadline")
    start = time.monotonic()
    grace = min(_GRACE_S, timeout_s * 0.1)  # the gateway honours its deadline; the cut-off bounds a stray call
    request = ChatRequest(
        messages=chat_messages(build_llm_messages(order, rules)),
        feature=FEATURE,
        data_class=CUSTOMER_PERSONAL,
        json_schema=LLM_ANSWER_SCHEMA,
        # No ``record``: the prompt holds no personal text, and a deny-list built from the customer's
        # names would let those names edit the prompt (a shopper named "guest" would redact "guest").
        record=None,
        deadline=start + timeout_s - grace,
        lane=lane,  # "interactive" at checkout: capacity /v1 traffic cannot take
    )
    try:
        async with asyncio.timeout(timeout_s):
            result = await gateway.complete(request)
    except GatewayError as exc:
        return Review(exc.reason or "unavailable", elapsed_ms=_ms(start))
    except TimeoutError:
        return Review("deadline", elapsed_ms=_ms(start))
    except Exception:  # fail open: an AI review must never stop a fraud check
        log.exception("AI review of order %s failed unexpectedly", order.id)
        return Review("error", elapsed_ms=_ms(start))
    answer = parse_llm_answer(result.parsed if result.parsed is not None else result.text)
    if answer is None:
        return Review("invalid_output", provider=result.provider, elapsed_ms=_ms(start))
    return Review("ok", answer, result.provider, _ms(start))


def _ms(start: float) -> float:
    return round((time.monotonic() - start) * 1000.0, 1)
