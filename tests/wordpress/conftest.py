"""Running the plugin's PHP: the driver (stubs + plugin + one checkout per order, JSON out) as a subprocess."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
DRIVER = HERE / "driver.php"
PHP = shutil.which("php")
KEY = "sk-sov-plugin-test"


@functools.cache
def php_missing() -> str | None:
    """Why the plugin's PHP cannot run here, or None when it can."""
    if PHP is None:
        return "php is not installed (Debian: apt-get install php-cli php-curl phpunit; ./scripts/test does it as root)"
    probe = subprocess.run([PHP, "-r", "exit(function_exists('curl_init') ? 0 : 1);"], capture_output=True)
    if probe.returncode != 0:
        return "php has no curl extension (Debian: apt-get install php-curl)"
    return None


requires_php = pytest.mark.skipif(php_missing() is not None, reason=php_missing() or "")


def options(url: str, key: str = KEY, **extra: Any) -> dict[str, Any]:
    """The plugin's options pointing at ``url``."""
    base = {"sovereign_connector_url": url, "sovereign_connector_api_key": key}
    return base | {f"sovereign_connector_{k}": v for k, v in extra.items()}


async def run_plugin(spec: dict[str, Any], timeout: float = 60.0) -> tuple[dict[str, Any], float]:
    """Run the driver without blocking the event loop (the servers it calls live in this loop).

    Returns its JSON and the process's wall time in seconds."""
    assert PHP is not None
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        PHP, str(DRIVER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(json.dumps(spec).encode()), timeout)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, err.decode()
    return json.loads(out), wall
