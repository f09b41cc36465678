"""A tool call round trip with the real embedded model, through the OpenAI endpoint and the official client."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from sovereign.gateway import ProviderConfig
from sovereign.settings import Settings
from sovereign.web.app import create_app
from sovereign_testkit.fake_woo_server import LocalServer

pytestmark = pytest.mark.model

PRICE = {
    "type": "function",
    "function": {
        "name": "apron_price", "description": "Get the price in EUR of the apron in a colour.",
        "parameters": {"type": "object", "properties": {"color": {"type": "string", "enum": ["blue", "green"]}},
                       "required": ["color"]},
    },
}
PRICES = {"blue": 34.5, "green": 29.0}


async def test_the_local_model_asks_for_a_tool_and_answers_from_its_result(
    db_url: str, small_config: ProviderConfig, models_dir: Path
) -> None:
    app = create_app(Settings(database_url=db_url, providers=[small_config], models_dir=models_dir), run_worker=False)
    async with app.router.lifespan_context(app), LocalServer(app) as server:
        _, key = await app.state.runtime.api_keys.create("model-tools", features=["gateway"])
        client = openai.AsyncOpenAI(base_url=f"{server.url}/v1", api_key=key, timeout=240, max_retries=0)
        ask = [{"role": "user", "content": "What does the blue apron cost? Use the tool."}]
        first = await client.chat.completions.create(model="local", messages=ask, tools=[PRICE], temperature=0,
                                                     max_tokens=96)
        assert first.choices[0].finish_reason == "tool_calls", first
        call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
        args = json.loads(call.function.arguments)
        assert call.function.name == "apron_price" and args == {"color": "blue"}
        result = json.dumps({"color": args["color"], "price_eur": PRICES[args["color"]]})
        follow = [*ask, first.choices[0].message.model_dump(exclude_none=True),
                  {"role": "tool", "tool_call_id": call.id, "content": result}]
        done = await client.chat.completions.create(model="local", messages=follow, tools=[PRICE], temperature=0,
                                                    max_tokens=64)
        assert done.choices[0].finish_reason == "stop"
        assert "34.5" in (done.choices[0].message.content or ""), done
