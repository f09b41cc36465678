"""Privacy: redaction of personal data before it leaves for a provider that may only see it redacted.

    from sovereign.privacy import Redactor, RedactionError

    redacted = Redactor().redact(texts, record=order.personal_fields())
    answer = redacted.placeholders.restore(model_answer)

See docs/privacy.md.
"""

from .placeholders import Placeholders, StreamRestorer
from .redactor import Redacted, RedactionError, Redactor
from .recognizers import PresidioFinder

__all__ = ["Placeholders", "PresidioFinder", "Redacted", "RedactionError", "Redactor", "StreamRestorer"]
