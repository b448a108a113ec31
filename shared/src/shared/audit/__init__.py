"""The audit trail: one append-only, hash-chained record per change (and per access to personal
data), written in the change's transaction; verification, anchors, retention (docs/audit.md)."""

from shared.audit.context import AuditContextMiddleware, RequestFacts, current_request, use_request
from shared.audit.records import (
    Actor,
    PendingRecord,
    Resource,
    append,
    change_record,
    record_access,
    record_change,
    record_change_by,
    record_changes,
)
from shared.audit.verify import BrokenLink, Verification, verify, verify_chain

__all__ = [
    "Actor",
    "AuditContextMiddleware",
    "BrokenLink",
    "PendingRecord",
    "RequestFacts",
    "Resource",
    "Verification",
    "append",
    "change_record",
    "current_request",
    "record_access",
    "record_change",
    "record_change_by",
    "record_changes",
    "use_request",
    "verify",
    "verify_chain",
]
