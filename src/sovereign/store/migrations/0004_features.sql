-- Commerce features' own records, and API keys.

CREATE INDEX sovereign_webhook_events_resource ON sovereign_webhook_events (store_id, resource, resource_id, id);

CREATE TABLE sovereign_fraud_results (
    id           bigserial PRIMARY KEY,
    store_id     text NOT NULL,
    order_id     bigint NOT NULL,
    score        integer NOT NULL,
    rules_score  integer NOT NULL,
    band         text NOT NULL,
    reasons      jsonb NOT NULL,
    llm          text NOT NULL,      -- ok | skipped | degraded | unavailable | policy | deadline | ...
    decision     text NOT NULL,      -- hold | none | monitor
    applied      boolean NOT NULL DEFAULT false,
    source       text NOT NULL,      -- webhook | rescore | inline | reconcile
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sovereign_fraud_results_order ON sovereign_fraud_results (store_id, order_id, id);

CREATE TABLE sovereign_description_drafts (
    store_id     text NOT NULL,
    product_id   bigint NOT NULL,
    draft        text NOT NULL,
    source       text NOT NULL,      -- llm | template
    status       text NOT NULL DEFAULT 'draft',  -- draft | approved | rejected | published
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);

CREATE TABLE sovereign_forecasts (
    store_id       text NOT NULL,
    product_id     bigint NOT NULL,
    model          text NOT NULL,
    demand_class   text NOT NULL,
    needed         double precision NOT NULL,
    horizon_end    date NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);

-- API keys: only a hash is stored. Scopes decide models, data classes and features.
CREATE TABLE sovereign_api_keys (
    id            text PRIMARY KEY,          -- public id, the part of the key before the secret
    name          text NOT NULL,
    secret_hash   text NOT NULL,             -- sha256 of the full key
    models        text[] NOT NULL DEFAULT '{}',        -- empty: every model
    data_class    text NOT NULL DEFAULT 'public',      -- requests on this key carry this data class
    features      text[] NOT NULL DEFAULT '{}',        -- empty: every feature
    rate_per_minute integer NOT NULL DEFAULT 60,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
