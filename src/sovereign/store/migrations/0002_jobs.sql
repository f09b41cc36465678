-- Durable jobs: what pgqueuer does not keep on its own.

-- Every failed attempt of a job: handler errors with their traceback, and
-- takeovers (the worker running it died). pgqueuer's own log keeps state changes.
CREATE TABLE sovereign_job_attempts (
    id         bigserial PRIMARY KEY,
    job_id     bigint      NOT NULL,
    job_name   text        NOT NULL,
    attempt    integer     NOT NULL,
    kind       text        NOT NULL,  -- error | worker_lost | gave_up | unknown_job | invalid_args | timeout
    error      text        NOT NULL,
    traceback  text,
    worker_id  uuid,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sovereign_job_attempts_job_idx ON sovereign_job_attempts (job_id, id);

-- Live worker processes, for readiness and the console.
CREATE TABLE sovereign_workers (
    id          uuid PRIMARY KEY,
    hostname    text        NOT NULL,
    pid         integer     NOT NULL,
    groups      text[]      NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    heartbeat   timestamptz NOT NULL DEFAULT now(),
    state       text        NOT NULL DEFAULT 'running'  -- running | draining | stopped
);
