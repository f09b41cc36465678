"""Stock forecasts: the daily run per store, write-back to product meta, narratives."""
