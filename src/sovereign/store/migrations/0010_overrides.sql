-- Operator overrides (force degraded, force provider, pin model) shared by every process:
-- the process that takes the change writes it here; every API and worker process polls it.
CREATE TABLE sovereign_overrides (
    id          smallint PRIMARY KEY CHECK (id = 1),
    version     bigint NOT NULL,
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sovereign_overrides (id, version, state)
VALUES (1, 0, '{"force_degraded": {}, "force_provider": null, "pinned_models": {}}');
