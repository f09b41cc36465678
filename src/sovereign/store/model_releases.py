"""Model evaluations and releases (``sovereign_model_evals``, ``sovereign_model_releases``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["EvalRow", "ModelReleases", "ReleaseRow"]


@dataclass(frozen=True)
class EvalRow:
    id: int
    provider: str
    model: str
    version: str
    report: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ReleaseRow:
    id: int
    provider: str
    model: str
    version: str
    action: str
    eval_id: int | None
    actor: str
    detail: dict[str, Any]
    created_at: datetime


def _eval(r: asyncpg.Record) -> EvalRow:
    return EvalRow(r["id"], r["provider"], r["model"], r["version"], json.loads(r["report"]), r["created_at"])


def _release(r: asyncpg.Record) -> ReleaseRow:
    return ReleaseRow(r["id"], r["provider"], r["model"], r["version"], r["action"], r["eval_id"], r["actor"],
                      json.loads(r["detail"]), r["created_at"])


class ModelReleases:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add_eval(self, provider: str, model: str, version: str, report: dict[str, Any]) -> EvalRow:
        r = await self.pool.fetchrow(
            "INSERT INTO sovereign_model_evals (provider, model, version, report) VALUES ($1, $2, $3, $4::jsonb) "
            "RETURNING *", provider, model, version, json.dumps(report),
        )
        return _eval(r)

    async def latest_eval(self, provider: str, model: str) -> EvalRow | None:
        r = await self.pool.fetchrow(
            "SELECT * FROM sovereign_model_evals WHERE provider = $1 AND model = $2 ORDER BY id DESC LIMIT 1",
            provider, model,
        )
        return _eval(r) if r else None

    async def add_release(
        self, provider: str, model: str, version: str, action: str, *, eval_id: int | None, actor: str,
        detail: dict[str, Any],
    ) -> ReleaseRow:
        r = await self.pool.fetchrow(
            "INSERT INTO sovereign_model_releases (provider, model, version, action, eval_id, actor, detail) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *",
            provider, model, version, action, eval_id, actor, json.dumps(detail),
        )
        return _release(r)

    async def history(self, provider: str, limit: int = 20) -> list[ReleaseRow]:
        rows = await self.pool.fetch(
            "SELECT * FROM sovereign_model_releases WHERE provider = $1 ORDER BY id DESC LIMIT $2", provider, limit
        )
        return [_release(r) for r in rows]
