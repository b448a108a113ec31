"""Receiving an uploaded file: the request body streamed to a temporary file, its SHA-256
computed on the way, refused with 413 as soon as it passes the limit (at once when
Content-Length already says so), so an oversized file is never read whole."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from fastapi import Request

from registry.bulk.jobs import UploadedFile
from shared.http.problems import ProblemError

_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)")


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        status=413,
        title="File too large",
        detail=f"imports are limited to {limit} bytes; split the file",
    )


async def receive_upload(request: Request, limit: int, file_name: str | None) -> UploadedFile:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        raise ProblemError(
            status=415,
            title="Send the file as the request body",
            detail="POST the CSV or XLSX file itself (Content-Type text/csv or "
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet), "
            "not a multipart form",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    if file_name is None:
        match = _FILENAME.search(request.headers.get("content-disposition", ""))
        file_name = match.group(1) if match else None
    handle, name = tempfile.mkstemp(prefix="registry-import-")
    path, digest, size = Path(name), hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise ProblemError(status=422, title="Empty file", detail="the request body is empty")
    return UploadedFile(path=path, name=file_name, sha256=digest.hexdigest())
