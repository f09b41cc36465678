"""A connected store's lifecycle: its webhooks (one set, at one URL), proof that they reach us,
its own settings, a first backfill, and disconnecting it."""
