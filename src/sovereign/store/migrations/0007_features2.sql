-- Descriptions and forecasts, second part: where a draft goes, who wrote it; stock narratives.

-- A variation's REST path needs its parent; the model that wrote an accepted draft (NULL: template).
ALTER TABLE sovereign_description_drafts
    ADD COLUMN parent_id bigint,
    ADD COLUMN model     text;

CREATE INDEX sovereign_description_drafts_status ON sovereign_description_drafts (store_id, status, updated_at DESC);

-- One LLM stock outlook per category batch (at most 25 products) and forecast day.
CREATE TABLE sovereign_forecast_narratives (
    store_id     text NOT NULL,
    as_of        date NOT NULL,              -- the forecast's first day
    category     text NOT NULL,
    batch        integer NOT NULL,           -- 0-based, most urgent products first
    product_ids  bigint[] NOT NULL,
    narrative    text,                       -- NULL: no narrative (see status and reason)
    status       text NOT NULL,              -- ok | unavailable | invalid
    reason       text,
    model        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, as_of, category, batch)
);
