-- Stock forecasts: the mean demand to month end and the stock needed for a service level beside it.
ALTER TABLE sovereign_forecasts
    ADD COLUMN forecast_total double precision,
    ADD COLUMN needed_service double precision,
    ADD COLUMN service_level  double precision;
