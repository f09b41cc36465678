-- The console's overview reads the rare audit rows (breaker, degraded, override) over weeks of calls:
-- a partial index keeps that read to those rows only.
CREATE INDEX sovereign_audit_log_marks ON sovereign_audit_log (at) WHERE kind <> 'call';
