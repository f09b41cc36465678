-- The forecaster's own figure at the service level, beside the mean, for the console: the demand to
-- month end that stock must cover (conformal upper figure), the units to add for it, and the level.
ALTER TABLE sovereign_forecast_series
    ADD COLUMN demand_at_service double precision,   -- NULL: rows written before this column
    ADD COLUMN needed_service    double precision,
    ADD COLUMN service_level     double precision;
