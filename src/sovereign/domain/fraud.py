"""Fraud scoring: deterministic rules, an optional AI review that can only raise the score, a hold decision.

Pure domain code: no database, no network. The fraud job wires it like this:

    config = FraudConfig().merged(store_settings)           # per-store overrides
    order = Order.from_woo(body).with_categories(catalogue)  # categories optional
    history = build_history(order, earlier_orders, config=config, held_ids=held)
    rules = score(order, history, config)
    answer = None
    try:                                                      # optional, fail-open
        result = await gateway.complete(ChatRequest(messages=build_llm_messages(order, rules),
                                                    feature="fraud", data_class=CUSTOMER_PERSONAL,
                                                    json_schema=LLM_ANSWER_SCHEMA))
        answer = result.parsed
    except GatewayError:
        pass
    decision = decide(combine(rules, answer), config)

See ``docs/fraud.md`` for the signals, their default weights and the measured
precision/recall on the captured orders.
"""

from __future__ import annotations

from .fraud_assessment import FraudAssessment, clean_llm_text, combine
from .fraud_config import SIGNALS, Band, CategoryOverride, FraudConfig, Weights
from .fraud_decision import META_REASONS, META_SCORE, Decision, decide
from .fraud_history import HeldLink, OrderHistory, build_history
from .fraud_llm import LLM_ANSWER_SCHEMA, SYSTEM_PROMPT, LlmAnswer, build_llm_messages, parse_llm_answer
from .fraud_rules import RULES, Reason, RulesResult, score

__all__ = [
    "LLM_ANSWER_SCHEMA",
    "META_REASONS",
    "META_SCORE",
    "RULES",
    "SIGNALS",
    "SYSTEM_PROMPT",
    "Band",
    "CategoryOverride",
    "Decision",
    "FraudAssessment",
    "FraudConfig",
    "HeldLink",
    "LlmAnswer",
    "OrderHistory",
    "Reason",
    "RulesResult",
    "Weights",
    "build_history",
    "build_llm_messages",
    "clean_llm_text",
    "combine",
    "decide",
    "parse_llm_answer",
    "score",
]
