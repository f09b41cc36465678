"""Fraud holds: rules, the AI review of the uncertain band, inline checkout scoring, write-back."""
