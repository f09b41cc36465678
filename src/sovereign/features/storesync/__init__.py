"""Store sync: connecting a store, taking in webhook deliveries, routing them to jobs, reconciliation."""
