"""Test doubles for Sovereign: a WooCommerce-shaped store, a fake LLM upstream, a test PostgreSQL.

A package of its own beside ``sovereign``: the tests, ``sovereign demo`` and
``sovereign drill`` import it; the service (domain, features, gateway, store,
woo, web, jobs) never does, which an import-linter contract enforces. It carries
the data captured from a real WooCommerce 10.0.2 store as package data
(``data/woocommerce``), so a bare clone and an installed wheel both find it.
"""
