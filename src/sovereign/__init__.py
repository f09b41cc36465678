"""Sovereign: the lockout-proof AI layer for WooCommerce."""

__version__ = "0.1.0"
