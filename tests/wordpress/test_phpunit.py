"""The plugin's PHPUnit suite (tests/wordpress/unit) runs as part of pytest."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.wordpress.conftest import HERE, requires_php

pytestmark = requires_php


def test_the_phpunit_suite_passes() -> None:
    phpunit = shutil.which("phpunit")
    if phpunit is None:
        pytest.skip("phpunit is not installed (Debian: apt-get install phpunit; ./scripts/test does it as root)")
    run = subprocess.run([phpunit, "-c", str(HERE / "phpunit.xml")], capture_output=True, text=True, timeout=120)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    ran = re.search(r"OK \((\d+) tests?, (\d+) assertions?\)", output)
    assert ran is not None, output
    assert int(ran.group(1)) >= 20 and int(ran.group(2)) >= 100, output  # the whole suite ran, not an empty one
