-- Model releases: feature evaluations of candidate models, and which model each provider runs.
-- The newest release row per provider is current; a rollback is a new row naming the previous model.
CREATE TABLE sovereign_model_evals (
    id          bigserial PRIMARY KEY,
    provider    text NOT NULL,
    model       text NOT NULL,
    version     text NOT NULL,            -- the GGUF's sha256 prefix, or the provider's model version
    report      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sovereign_model_evals_model ON sovereign_model_evals (provider, model, id DESC);

CREATE TABLE sovereign_model_releases (
    id          bigserial PRIMARY KEY,
    provider    text NOT NULL,
    model       text NOT NULL,
    version     text NOT NULL,
    action      text NOT NULL CHECK (action IN ('promote', 'rollback')),
    eval_id     bigint REFERENCES sovereign_model_evals (id),
    actor       text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sovereign_model_releases_provider ON sovereign_model_releases (provider, id DESC);
