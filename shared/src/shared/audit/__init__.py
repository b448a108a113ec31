"""The audit trail: one append-only, hash-chained record per change (and per access to personal
data), written in the change's transaction; verification, anchors, retention (docs/audit.md)."""

from shared.audit.context import AuditContextMiddleware, RequestFacts, current_request, use_request
from shared.audit.records import Actor, append, record_access, record_change
from shared.audit.verify import BrokenLink, Verification, verify, verify_chain

__all__ = [
    "Actor",
    "AuditContextMiddleware",
    "BrokenLink",
    "RequestFacts",
    "Verification",
    "append",
    "current_request",
    "record_access",
    "record_change",
    "use_request",
    "verify",
    "verify_chain",
]
