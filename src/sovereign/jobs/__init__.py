"""Durable jobs with Action Scheduler semantics, on pgqueuer.

Public API: ``JobRegistry`` (register handlers), ``JobQueue`` (schedule),
``Worker`` (run), ``QueueInspector`` (list/show/retry/cancel/purge).
"""

from sovereign.jobs.executor import JobFailed, NonRetryableError
from sovereign.jobs.queue import BulkItem, JobQueue, Scheduled
from sovereign.jobs.registry import JobContext, JobRegistry, JobSpec, UnknownJobError
from sovereign.jobs.worker import Worker
from sovereign.store.queue_inspect import DoneJob, QueueInspector

__all__ = [
    "BulkItem",
    "DoneJob",
    "JobContext",
    "JobFailed",
    "JobQueue",
    "JobRegistry",
    "JobSpec",
    "NonRetryableError",
    "QueueInspector",
    "Scheduled",
    "UnknownJobError",
    "Worker",
]
