-- Fraud results: why a decision was (not) applied, and the AI review's own risk.

ALTER TABLE sovereign_fraud_results
    ADD COLUMN detail   text,      -- what the write-back did: "put on hold", "order is completed: left untouched"...
    ADD COLUMN llm_risk integer;   -- the AI review's risk (0-100) when it answered, else NULL

-- Orders this service flagged: the "linked to a held order" signal reads them on every scoring.
CREATE INDEX sovereign_fraud_results_flagged ON sovereign_fraud_results (store_id, order_id)
    WHERE decision IN ('hold', 'monitor') AND source <> 'inline';
