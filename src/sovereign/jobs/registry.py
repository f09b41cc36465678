"""Job handlers registered by name, with typed arguments.

A job is a name (``"fraud.score"``), pydantic-validated arguments and a group.
Groups are pgqueuer entrypoints carrying the fleet-wide concurrency cap
(``settings.groups``); many job names share one group.

    registry = JobRegistry()

    class ScoreArgs(BaseModel):
        store: str
        order_id: int

    @registry.job("fraud.score", group="fraud", max_attempts=5)
    async def score(args: ScoreArgs, ctx: JobContext) -> None: ...
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Generic, Mapping, TypeVar

from croniter import croniter
from pydantic import BaseModel

Handler = Callable[[Any, "JobContext"], Awaitable[None]]


class UnknownJobError(LookupError):
    pass


class EmptyArgs(BaseModel):
    pass


@dataclass(frozen=True)
class JobSpec:
    name: str
    handler: Handler
    args_model: type[BaseModel]
    group: str = "default"
    max_attempts: int = 5
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0
    timeout_s: float | None = None  # a run longer than this fails the attempt


@dataclass(frozen=True)
class CronSpec:
    """A recurring schedule: at each fire time (store time zone) the job ``job`` is scheduled."""

    name: str
    expression: str
    job: str
    args: Mapping[str, Any] = field(default_factory=dict)


S = TypeVar("S")


@dataclass
class JobContext(Generic[S]):
    """What a running handler knows about its job, and the services it was given.

    ``services`` is the one typed object the worker was built with (the composition
    root's ``Runtime`` in the service); each feature declares the part it uses as a
    Protocol (``JobContext[FraudServices]``), so no handler looks anything up by name.
    """

    job_id: int
    name: str
    group: str
    attempt: int  # 1-based: this run's number, takeovers included
    max_attempts: int
    scheduled_for: datetime
    services: S


def encode_payload(name: str, args: BaseModel | Mapping[str, Any]) -> bytes:
    data = args.model_dump(mode="json") if isinstance(args, BaseModel) else dict(args)
    return json.dumps({"job": name, "args": data}, separators=(",", ":")).encode()


def decode_payload(raw: bytes | None) -> tuple[str, dict[str, Any]]:
    """Return (job name, raw args). Raises ValueError on anything that is not our envelope."""
    if not raw:
        raise ValueError("job has no payload")
    obj = json.loads(raw)
    if not isinstance(obj, dict) or not isinstance(obj.get("job"), str):
        raise ValueError("job payload is not a Sovereign envelope {job, args}")
    args = obj.get("args") or {}
    if not isinstance(args, dict):
        raise ValueError("job args must be an object")
    return obj["job"], args


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, JobSpec] = {}
        self._crons: dict[str, CronSpec] = {}

    def job(
        self,
        name: str,
        *,
        group: str = "default",
        max_attempts: int = 5,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 600.0,
        timeout_s: float | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.add(
                JobSpec(
                    name=name,
                    handler=fn,
                    args_model=_args_model_of(fn),
                    group=group,
                    max_attempts=max_attempts,
                    backoff_base_s=backoff_base_s,
                    backoff_max_s=backoff_max_s,
                    timeout_s=timeout_s,
                )
            )
            return fn

        return register

    def add(self, spec: JobSpec) -> None:
        if spec.name in self._jobs:
            raise ValueError(f"job {spec.name!r} is already registered")
        if spec.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not inspect.iscoroutinefunction(spec.handler):
            raise TypeError(f"handler of {spec.name!r} must be an async function")
        self._jobs[spec.name] = spec

    def cron(self, name: str, expression: str, job: str, args: Mapping[str, Any] | None = None) -> None:
        if not croniter.is_valid(expression):
            raise ValueError(f"invalid cron expression {expression!r} for {name!r}")
        self._crons[name] = CronSpec(name=name, expression=expression, job=job, args=dict(args or {}))

    def get(self, name: str) -> JobSpec:
        try:
            return self._jobs[name]
        except KeyError:
            known = ", ".join(sorted(self._jobs)) or "none"
            raise UnknownJobError(f"no job handler named {name!r} is registered (known: {known})") from None

    def __contains__(self, name: str) -> bool:
        return name in self._jobs

    @property
    def jobs(self) -> Mapping[str, JobSpec]:
        return self._jobs

    @property
    def crons(self) -> Mapping[str, CronSpec]:
        return self._crons

    def groups(self) -> set[str]:
        return {s.group for s in self._jobs.values()}

    def validate_args(self, name: str, args: BaseModel | Mapping[str, Any] | None) -> BaseModel:
        spec = self.get(name)
        if isinstance(args, spec.args_model):
            return args
        data = args.model_dump() if isinstance(args, BaseModel) else dict(args or {})
        return spec.args_model.model_validate(data)


def _args_model_of(fn: Handler) -> type[BaseModel]:
    params = list(inspect.signature(fn, eval_str=True).parameters.values())
    if not params:
        raise TypeError(f"{fn.__name__} must take (args, ctx)")
    ann = params[0].annotation
    if ann is inspect.Parameter.empty:
        return EmptyArgs
    if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
        raise TypeError(f"{fn.__name__}: the first parameter must be annotated with a pydantic model")
    return ann
