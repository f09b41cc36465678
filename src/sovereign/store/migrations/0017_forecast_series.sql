-- The numbers behind each product's latest forecast, for the console's forecast charts:
-- the daily sales history it was fit on, the daily forecast, and the stock on hand at the time.
CREATE TABLE sovereign_forecast_series (
    store_id        text NOT NULL,
    product_id      bigint NOT NULL,
    name            text NOT NULL DEFAULT '',
    as_of           date NOT NULL,                 -- the first forecast day; history ends the day before
    history         double precision[] NOT NULL,   -- units per day, oldest first
    forecast        double precision[] NOT NULL,   -- units per day from as_of to month end
    stock_quantity  integer,                       -- NULL: stock not managed
    needed          double precision NOT NULL,
    model           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);
