-- One truth per connected store: where its webhooks deliver, how its TLS is trusted, what the
-- store itself says about currency and units; and proof that its webhooks reach us.
ALTER TABLE sovereign_stores
    ADD COLUMN webhook_url  text,                                  -- public URL the store delivers to
    ADD COLUMN ca_file      text,                                  -- PEM bundle trusted for this store's TLS
    ADD COLUMN insecure_tls boolean NOT NULL DEFAULT false,        -- certificate checks off (loud)
    ADD COLUMN woo_settings jsonb NOT NULL DEFAULT '{}'::jsonb,     -- read from WooCommerce; `settings` overrides it
    ADD COLUMN removed_at   timestamptz;                           -- disconnected, history kept

-- The last ping or signed delivery received per webhook: `connect` waits for one per webhook.
CREATE TABLE sovereign_webhook_receipts (
    store_id    text NOT NULL REFERENCES sovereign_stores (id) ON DELETE CASCADE,
    webhook_id  bigint NOT NULL,
    kind        text NOT NULL,          -- ping | delivery (the last one)
    count       bigint NOT NULL DEFAULT 1,
    first_at    timestamptz NOT NULL DEFAULT now(),
    last_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, webhook_id)
);
