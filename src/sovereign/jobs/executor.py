"""Runs one job: decode, validate, enforce the attempt budget, retry with backoff, record failures.

Outcomes, and what pgqueuer then does with the row:
- success: logged ``successful`` and removed from the queue;
- a retryable error with attempts left: ``RetryRequested`` with exponential
  backoff and jitter (re-queued, ``attempts + 1``);
- attempts spent, an unknown job name or invalid arguments: the error
  propagates and the row is held as ``failed`` (``on_failure="hold"``),
  inspectable and retryable from the CLI.
Every failed attempt (and every takeover of a job whose worker died) is written
to ``sovereign_job_attempts`` with its error and traceback.
"""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

import asyncpg
from pgqueuer.core.executors import AbstractEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.domain import errors as pgq_errors
from pgqueuer.domain import models
from pydantic import ValidationError

from sovereign.backoff import Backoff
from sovereign.store.job_attempts import JobAttempts
from sovereign.jobs.registry import JobContext, JobRegistry, UnknownJobError, decode_payload

log = logging.getLogger("sovereign.jobs")


class JobFailed(Exception):
    """Terminal: the job will not be retried automatically."""


class NonRetryableError(Exception):
    """Raise from a handler to fail the job at once, without further attempts."""


async def dispatch_placeholder(job: models.Job) -> None:
    """pgqueuer registers a callable per entrypoint; ``SovereignExecutor`` dispatches by job name instead."""


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random = random.Random()) -> float:
    """Exponential backoff with jitter: uniform(cap/2, cap), cap = min(max, base * 2**(attempt-1)).

    Half the cap is kept so a retry never fires at once after a failure; the
    other half is random so a burst of failures does not retry in lockstep.
    """
    return Backoff(base_s, max_s, floor=0.5).delay(attempt - 1, rng=rng)


@dataclass
class SovereignExecutor(AbstractEntrypointExecutor):
    registry: JobRegistry = None  # type: ignore[assignment]
    pool: asyncpg.Pool = None  # type: ignore[assignment]
    worker_id: uuid.UUID = None  # type: ignore[assignment]
    group: str = "default"
    services: object = None
    stopping: asyncio.Event = None  # type: ignore[assignment]

    @classmethod
    def factory(cls, **kw: Any):  # noqa: ANN206
        def make(params: EntrypointExecutorParameters) -> "SovereignExecutor":
            return cls(parameters=params, **kw)

        return make

    async def execute(self, job: models.Job, context: models.Context) -> None:
        name = "?"
        try:
            name, raw_args = decode_payload(job.payload)
            spec = self.registry.get(name)
            args = spec.args_model.model_validate(raw_args)
        except (UnknownJobError, ValueError, ValidationError) as exc:
            kind = "unknown_job" if isinstance(exc, UnknownJobError) else "invalid_args"
            await self._record(job, name, kind, exc)
            log.error("job %s (%s) failed permanently: %s", job.id, name, exc)
            raise JobFailed(f"{kind}: {exc}") from exc

        headers = job.headers if isinstance(job.headers, dict) else {}
        takeovers = int(headers.get("takeovers", 0))
        if takeovers:
            await self._record_takeovers(job, name, takeovers)
        if job.attempts >= spec.max_attempts:
            msg = (
                f"gave up: {job.attempts} attempts used of {spec.max_attempts} "
                f"({takeovers} ended with their worker dying)"
            )
            await self._record(job, name, "gave_up", JobFailed(msg), with_tb=False)
            log.error("job %s (%s) %s", job.id, name, msg)
            raise JobFailed(msg)

        ctx = JobContext(
            job_id=int(job.id),
            name=name,
            group=self.group,
            attempt=job.attempts + 1,
            max_attempts=spec.max_attempts,
            scheduled_for=job.execute_after,
            services=self.services,
        )
        try:
            if spec.timeout_s:
                async with asyncio.timeout(spec.timeout_s):
                    await spec.handler(args, ctx)
            else:
                await spec.handler(args, ctx)
        except asyncio.CancelledError:
            if self.stopping is not None and self.stopping.is_set():
                # Shutdown grace ran out: hand the job back to the queue instead of losing it.
                await self._record(job, name, "interrupted", RuntimeError("worker shut down"), with_tb=False)
                raise pgq_errors.RetryRequested(delay=timedelta(0), reason="worker shut down")
            raise
        except pgq_errors.RetryRequested:
            raise
        except Exception as exc:
            kind = "timeout" if isinstance(exc, TimeoutError) else "error"
            await self._record(job, name, kind, exc)
            attempt = job.attempts + 1
            if isinstance(exc, NonRetryableError) or attempt >= spec.max_attempts:
                log.error("job %s (%s) failed on attempt %d/%d: %s", job.id, name, attempt, spec.max_attempts, exc)
                raise JobFailed(f"failed after {attempt} attempt(s): {exc}") from exc
            delay = backoff_delay(attempt, spec.backoff_base_s, spec.backoff_max_s)
            log.warning("job %s (%s) attempt %d failed, retrying in %.1fs: %s", job.id, name, attempt, delay, exc)
            raise pgq_errors.RetryRequested(delay=timedelta(seconds=delay), reason=str(exc)) from exc

    async def _record(self, job: models.Job, name: str, kind: str, exc: BaseException, with_tb: bool = True) -> None:
        tb = "".join(traceback.format_exception(exc)) if with_tb else None
        try:
            await JobAttempts(self.pool).record(
                int(job.id), name, job.attempts + 1, kind, f"{type(exc).__name__}: {exc}", tb, self.worker_id
            )
        except Exception:  # the failure log must never turn one failure into two
            log.exception("could not record failure of job %s", job.id)

    async def _record_takeovers(self, job: models.Job, name: str, takeovers: int) -> None:
        """Write one ``worker_lost`` row per takeover not yet recorded (rare path)."""
        attempts = JobAttempts(self.pool)
        recorded = await attempts.worker_lost_count(int(job.id))
        lost = job.headers.get("lost_worker") if isinstance(job.headers, dict) else None
        for _ in range(takeovers - recorded):
            await attempts.record(
                int(job.id), name, job.attempts, "worker_lost",
                f"worker {lost} stopped heart-beating while running this job; taken over by {self.worker_id}",
                None, uuid.UUID(lost) if lost else None,
            )
            log.warning("job %s (%s) taken over from dead worker %s", job.id, name, lost)
