-- The gateway's audit log: append-only, hash-chained (see docs/privacy.md, "Audit log").
-- Each row carries the hash of the row before it; sovereign_audit_head holds the chain's end.
-- Writers lock the head row (SELECT ... FOR UPDATE), append a batch and move the head in one
-- transaction, so concurrent processes and crashes never fork or break the chain.

CREATE TABLE sovereign_audit_log (
    id               bigint PRIMARY KEY,              -- head.last_id + 1, + 2, ... (no gaps)
    at               timestamptz NOT NULL,
    kind             text NOT NULL,                   -- call | override | degraded_entered | degraded_left | breaker
    feature          text NOT NULL DEFAULT '',
    data_class       text NOT NULL DEFAULT '',
    provider         text NOT NULL DEFAULT '',
    jurisdiction     text NOT NULL DEFAULT '',
    model            text NOT NULL DEFAULT '',
    model_version    text NOT NULL DEFAULT '',
    request_sha256   text NOT NULL DEFAULT '',        -- hashes only: never raw personal data
    response_sha256  text NOT NULL DEFAULT '',
    input_tokens     integer NOT NULL DEFAULT 0,
    output_tokens    integer NOT NULL DEFAULT 0,
    latency_ms       double precision NOT NULL DEFAULT 0,
    outcome          text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    cached           boolean NOT NULL DEFAULT false,
    stream           boolean NOT NULL DEFAULT false,
    redactions       jsonb NOT NULL DEFAULT '{}',     -- counts by kind: {"NAME": 4, "EMAIL": 1}
    flags            text[] NOT NULL DEFAULT '{}',    -- trial, force_provider, force_degraded, pin_model
    detail           jsonb NOT NULL DEFAULT '{}',     -- override / degraded / breaker specifics
    prev_hash        text NOT NULL,
    hash             text NOT NULL
);
CREATE INDEX sovereign_audit_log_at ON sovereign_audit_log (at);

CREATE TABLE sovereign_audit_head (
    id         smallint PRIMARY KEY CHECK (id = 1),
    last_id    bigint NOT NULL,
    last_hash  text NOT NULL
);
INSERT INTO sovereign_audit_head (id, last_id, last_hash) VALUES (1, 0, repeat('0', 64));

CREATE FUNCTION sovereign_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sovereign_audit_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER sovereign_audit_log_append_only BEFORE UPDATE OR DELETE ON sovereign_audit_log
    FOR EACH ROW EXECUTE FUNCTION sovereign_audit_append_only();
CREATE TRIGGER sovereign_audit_log_no_truncate BEFORE TRUNCATE ON sovereign_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION sovereign_audit_append_only();
