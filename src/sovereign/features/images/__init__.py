"""Product image analysis: checks every shop owner can act on, alt text from a vision model when there is one.

Modules: ``trigger`` (which webhook deliveries schedule a check; pure),
``fetch`` (safe image download), ``inspect`` (fetch + measure + judge, the
floor), ``alt`` (alt text and match check through the gateway), ``check`` (one
product end to end), ``review`` (approve / reject alt drafts), ``jobs`` (the
``images.check`` job, group ``images``), ``config`` (the store's settings).
The measurements themselves are pure, in ``sovereign.domain.images``.
See docs/images.md.
"""

from __future__ import annotations

from sovereign.features.images.jobs import register as _register
from sovereign.jobs import JobRegistry


def register(registry: JobRegistry) -> None:
    """Register this feature's jobs."""
    _register(registry)
