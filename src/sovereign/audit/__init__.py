"""The gateway's tamper-evident audit log: hash-chained rows in PostgreSQL.

    from sovereign.audit import AuditWriter, verify, export_jsonl

    audit = AuditWriter(pool); audit.start()
    gateway = Gateway(configs, on_event=audit)
    ...
    await audit.aclose()
    report = await verify(pool)          # report.ok, report.problems (row id, kind, message)

See docs/privacy.md ("Audit log").
"""

from .export import export_jsonl
from .records import GENESIS, canonical, chain_hash, row_for
from .verify import Problem, Verification, verify
from .writer import AuditWriter

__all__ = [
    "AuditWriter", "GENESIS", "Problem", "Verification", "canonical", "chain_hash", "export_jsonl", "row_for", "verify",
]
