"""The official ``openai`` npm package, run with Node, against the running service (base URL and key from env).

The package is installed into ``tests/openai_api/node/node_modules`` (never
globally) by ``scripts/test`` or, when missing, by this test. Without Node the
test is skipped and says so; ``scripts/test`` installs Debian's ``nodejs`` and
``npm`` where it can.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from sovereign_testkit.fake_llm import FakeLLM

from .conftest import provider

NODE_DIR = Path(__file__).parent / "node"


async def _run(*cmd: str, env: dict[str, str] | None = None, timeout: float = 240) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=NODE_DIR, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def node_client() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed (scripts/test installs Debian's nodejs and npm)")
    if not (NODE_DIR / "node_modules" / "openai" / "package.json").exists():
        rc, _, err = await _run(npm, "install", "--no-audit", "--no-fund", "--silent", "--no-package-lock")
        assert rc == 0, f"npm install of the openai package failed: {err[-2000:]}"
    return node


async def test_the_openai_npm_package_as_a_client(start, cloud: FakeLLM, node_client: str) -> None:
    async with FakeLLM(reply='{"risk": 3}') as judge:
        svc = await start([provider(cloud, "cloud", "US", 1), provider(judge, "judge", "EU-DE", 2)])
        env = {**os.environ, "OPENAI_BASE_URL": f"{svc.url}/v1", "OPENAI_API_KEY": await svc.key("node")}
        rc, out, err = await _run(node_client, "client.mjs", env=env)
        assert rc == 0, err[-3000:]
    got = json.loads(out.strip().splitlines()[-1])
    assert got["chat"] == got["stream"] == "Hello from the cloud."
    assert got["tool_finish"] == "tool_calls" and got["tool_call"] == {"name": "apron_price", "arguments": {"color": "example"}}
    assert got["tool_answer"] == "The tool said: 34.50 EUR"
    assert got["streamed_arguments"] == {"color": "example"}
    assert got["structured"] == {"risk": 3}
    assert got["responses"] == "Hello from the cloud."
    assert got["refused"] == {"status": 400, "code": "unsupported_parameter", "param": "logit_bias"}
