"""Test doubles that are real servers (a fake LLM upstream, a WooCommerce-shaped store).

They ship with the package because `sovereign demo` and `sovereign drill` use them too.
"""
