"""descriptions feature: jobs registered with the queue (being built)."""

from __future__ import annotations

from sovereign.jobs import JobRegistry


def register(registry: JobRegistry) -> None:
    """Register this feature's jobs and schedules."""
