import pytest

from sovereign.gateway import ChatRequest, Message
from sovereign.gateway.structured import InvalidOutput, clamp, extract_json, parse_output, strip_fences, with_instructions

SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "count": {"type": "integer", "minimum": 0},
        "reasons": {"type": "array", "items": {"type": "object", "properties": {"weight": {"type": "number", "maximum": 10}}}},
        "label": {"type": "string", "enum": ["low", "high"]},
    },
    "required": ["score", "label"],
    "additionalProperties": False,
}


def req(**kw: object) -> ChatRequest:
    return ChatRequest.simple("q", feature="t", **kw)


def test_strips_fences_with_and_without_language() -> None:
    assert strip_fences('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert strip_fences('```\n[1, 2]\n```') == "[1, 2]"
    assert strip_fences('Here you go:\n```json\n{"a": 1}\n```\nAnything else?') == '{"a": 1}'
    assert strip_fences('  {"a": 1} ') == '{"a": 1}'


def test_extracts_json_from_surrounding_prose() -> None:
    assert extract_json('Sure! {"a": {"b": [1, 2]}} Hope that helps.') == {"a": {"b": [1, 2]}}
    with pytest.raises(ValueError):
        extract_json("no json here")


def test_clamps_numbers_into_schema_bounds_recursively() -> None:
    value = {"score": 1.7, "count": -3, "reasons": [{"weight": 12.5}, {"weight": 2}], "label": "high"}
    assert clamp(value, SCHEMA) == {"score": 1, "count": 0, "reasons": [{"weight": 10}, {"weight": 2}], "label": "high"}
    assert clamp(True, {"type": "number", "maximum": 0}) is True  # booleans are not numbers


def test_parse_output_fenced_clamped_and_validated() -> None:
    text = '```json\n{"score": -0.2, "label": "low"}\n```'
    assert parse_output(text, req(json_schema=SCHEMA)) == {"score": 0, "label": "low"}


def test_parse_output_rejects_schema_violations() -> None:
    with pytest.raises(InvalidOutput) as e:
        parse_output('{"score": 0.5, "label": "medium"}', req(json_schema=SCHEMA), provider="p")
    assert e.value.kind == "invalid_output" and not e.value.retryable and "label" in str(e.value)
    with pytest.raises(InvalidOutput):
        parse_output("I cannot answer that.", req(json_mode=True))


def test_json_mode_accepts_any_json() -> None:
    assert parse_output('```\n{"free": "form"}\n```', req(json_mode=True)) == {"free": "form"}


def test_instructions_extend_the_system_prompt() -> None:
    r = ChatRequest(messages=[Message("system", "You are terse."), Message("user", "q")], feature="t", json_schema=SCHEMA)
    out = with_instructions(r)
    assert out.messages[0].content.startswith("You are terse.") and '"maximum": 1' in out.messages[0].content
    assert r.messages[0].content == "You are terse."  # the original is untouched
    plain = with_instructions(req(json_mode=True))
    assert plain.messages[0].role == "system" and "JSON" in plain.messages[0].content
