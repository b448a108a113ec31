"""Audit records of bulk imports: one per job, not one per row.

A row-by-row audit of a million-row file would double the import's writes and serialise them on
the chain lock; the job is the operation a person asked for. So the job's submission is
recorded with the file's SHA-256 (which pins down every row in it), and its outcome with the
counts: the rows themselves keep their history rows and events, tagged with the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.handlers.common import Connection, Row
from shared import audit
from shared.auth import Principal

IMPORTER = audit.Actor.process("registry-importer")


def _job_details(job: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": job["kind"],
        "mode": job["mode"],
        "file_name": job["file_name"],
        "file_sha256": job["file_sha256"],
    }


async def record_import_submitted(connection: Connection, job: Row, principal: Principal) -> None:
    """In the transaction that creates the job (``import_queue.enqueue``)."""
    await audit.record_change_by(
        connection,
        principal,
        "import.submitted",
        audit.Resource("import_job", job["id"]),
        details=_job_details(job) | {"estimated_rows": job["total_rows"]},
    )


async def record_import_outcome(
    connection: Connection,
    job: Mapping[str, Any],
    *,
    status: str,
    committed: bool,
    processed_rows: int,
    loaded_rows: int,
    skipped_rows: int,
    error_rows: int,
    failure: str | None = None,
) -> None:
    """For the importer: call in the transaction that commits the job's rows (or ends it),
    last before the commit. The actor is the importer process, on behalf of the submitter."""
    await audit.record_change_by(
        connection,
        IMPORTER,
        "import.finished",
        audit.Resource("import_job", job["id"]),
        after={"status": status, "committed": committed},
        details=_job_details(job)
        | {
            "submitted_by": job["created_by"],
            "processed_rows": processed_rows,
            "loaded_rows": loaded_rows,
            "skipped_rows": skipped_rows,
            "error_rows": error_rows,
            "failure": failure,
        },
    )
