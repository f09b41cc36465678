-- Connected WooCommerce stores, received webhook deliveries, and the gateway's response cache.

CREATE TABLE sovereign_stores (
    id               text PRIMARY KEY,          -- slug used in the webhook URL: /webhooks/woocommerce/{id}
    url              text NOT NULL,             -- the store's site URL
    consumer_key     text NOT NULL,
    consumer_secret  text NOT NULL,             -- never logged, never returned by any API
    webhook_secret   text NOT NULL,             -- signs deliveries to us; never returned either
    settings         jsonb NOT NULL DEFAULT '{}'::jsonb,  -- fraud overrides, tone, description mode...
    webhook_ids      bigint[] NOT NULL DEFAULT '{}',
    last_sync_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per distinct resource state received. order.created and the order.updated that
-- WooCommerce sends for the same REST create carry the same body, so the key is the
-- resource (not the topic): the pair becomes one event and schedules one job.
CREATE TABLE sovereign_webhook_events (
    id           bigserial PRIMARY KEY,
    store_id     text NOT NULL REFERENCES sovereign_stores (id) ON DELETE CASCADE,
    topic        text NOT NULL,
    resource     text NOT NULL,
    resource_id  bigint,
    body_sha256  text NOT NULL,
    webhook_id   bigint,
    delivery_id  text,
    outcome      text NOT NULL,   -- scheduled | ignored | loop_guard
    detail       text,
    job_ids      bigint[] NOT NULL DEFAULT '{}',
    body         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sovereign_webhook_events_content
    ON sovereign_webhook_events (store_id, resource, COALESCE(resource_id, -1), body_sha256);
CREATE INDEX sovereign_webhook_events_received ON sovereign_webhook_events (received_at);

CREATE TABLE sovereign_response_cache (
    key         text PRIMARY KEY,
    result      jsonb NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sovereign_response_cache_expiry ON sovereign_response_cache (expires_at);
