"""pgqueuer wiring, and the one place where we change its SQL: takeovers count as attempts
(and one CTE is materialised, see ``_SLOTS``).

pgqueuer re-picks a job whose worker stopped heart-beating (``next_stale``)
without touching ``attempts``: a job that kills its worker (OOM, segfault in a
native library) would be taken over forever. Our dequeue statement adds, in the
same atomic claim ``UPDATE``, one attempt and one ``takeovers`` header count
whenever the row was still ``picked`` (in an UPDATE's SET list, column
references read the row's old values, so ``status = 'picked'`` there means
"this is a takeover"). The executor then refuses to run a job whose attempts
are spent, and the job ends ``failed`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver, AsyncpgPoolDriver
from pgqueuer.adapters.persistence.composer import ComposedQuery
from pgqueuer.adapters.persistence.qb import QueryQueueBuilder
from pgqueuer.adapters.persistence.queries import Queries

_CLAIM = "SET status = 'picked',"
_COUNTED_CLAIM = (
    "SET attempts = attempts + (CASE WHEN status = 'picked' THEN 1 ELSE 0 END),"
    " headers = CASE WHEN status = 'picked'"
    " THEN (CASE WHEN jsonb_typeof(headers) = 'object' THEN headers ELSE '{}'::jsonb END)"
    " || jsonb_build_object("
    "'takeovers', COALESCE((headers->>'takeovers')::int, 0) + 1,"
    " 'lost_worker', queue_manager_id::text)"
    " ELSE headers END,"
    " status = 'picked',"
)


# pgqueuer lets PostgreSQL inline this CTE into the claim UPDATE. With a per-worker budget the
# planner estimates one eligible row and re-ranks the free slots once per claimed row (O(n²):
# ~100 ms per dequeue of 100 jobs). Materialising it once makes the claim linear (~5 ms).
_SLOTS = "\nslot_assignments AS ("
_SLOTS_MATERIALIZED = "\nslot_assignments AS MATERIALIZED ("


class IncompatiblePgqueuer(RuntimeError):
    pass


@dataclass
class CountingQueueBuilder(QueryQueueBuilder):
    """pgqueuer's builder, with takeovers counted in the claim and the slot ranking materialised."""

    _patched: dict[str, str] = field(default_factory=dict)

    def build_dequeue_query(self, **kwargs: Any) -> ComposedQuery:  # type: ignore[override]
        query = super().build_dequeue_query(**kwargs)
        sql = self._patched.get(query.sql)
        if sql is None:
            if query.sql.count(_CLAIM) != 1:
                raise IncompatiblePgqueuer(
                    "pgqueuer's dequeue statement changed shape; takeover counting cannot be applied. "
                    "Pin pgqueuer to the version in pyproject.toml."
                )
            sql = query.sql.replace(_CLAIM, _COUNTED_CLAIM).replace(_SLOTS, _SLOTS_MATERIALIZED)
            self._patched[query.sql] = sql
        return ComposedQuery(sql=sql, args=query.args)


def queries_for_pool(pool: asyncpg.Pool) -> Queries:
    return Queries(AsyncpgPoolDriver(pool), qbq=CountingQueueBuilder())


def queries_for_connection(conn: asyncpg.Connection) -> Queries:
    """Queries bound to one connection, e.g. inside a transaction (enqueue together with other writes)."""
    return Queries(AsyncpgDriver(conn), qbq=CountingQueueBuilder())
