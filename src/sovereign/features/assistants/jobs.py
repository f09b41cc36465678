"""The assistants' jobs: ``policies.ingest`` (args ``{"run_id"}``) indexes a staged ingestion run."""

from __future__ import annotations

from sovereign.jobs import JobRegistry

from sovereign.features.assistants.ingest import JOB, ingest_job

__all__ = ["register"]


def register(registry: JobRegistry) -> None:
    registry.job(JOB, group="policies", max_attempts=5, backoff_base_s=5.0, backoff_max_s=300.0,
                 timeout_s=3600.0)(ingest_job)
