"""The embedded PostgreSQL's known sharp edges, on real servers in temporary data folders."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sovereign.store import embedded
from sovereign.store.embedded import _can_connect, ensure_running


@pytest.fixture
def pgdata(tmp_path):
    path = tmp_path / "pg"
    yield path
    embedded.stop(path)


def test_a_second_process_reuses_the_running_server(pgdata) -> None:
    first = ensure_running(pgdata)
    pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    out = subprocess.run(
        [sys.executable, "-c", f"from sovereign.store.embedded import ensure_running; print(ensure_running(__import__('pathlib').Path({str(pgdata)!r})).uri)"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert out.stdout.strip() == first.uri
    assert int((pgdata / "postmaster.pid").read_text().splitlines()[0]) == pid  # nothing was restarted


def test_after_a_crash_a_stale_pid_file_naming_a_live_process_is_not_trusted(pgdata) -> None:
    server = ensure_running(pgdata)
    pidfile = pgdata / "postmaster.pid"
    lines = pidfile.read_text().splitlines()
    embedded.kill(pgdata)  # immediate shutdown: as after a crash
    assert not _can_connect(server.uri)
    # The pid file survives a real crash; after a reboot its pid may belong to another process.
    lines[0] = str(os.getpid())  # alive, but not a postgres server
    pidfile.write_text("\n".join(lines) + "\n")
    again = ensure_running(pgdata)
    assert _can_connect(again.uri)
    assert int(pidfile.read_text().splitlines()[0]) != os.getpid()


def test_stop_reports_whether_a_server_was_running(pgdata) -> None:
    ensure_running(pgdata)
    assert embedded.stop(pgdata) is True
    assert embedded.stop(pgdata) is False
