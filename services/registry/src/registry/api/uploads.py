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

from registry.domain.imports.jobs import UploadedFile
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t

_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)")


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        catalogue.FILE_TOO_LARGE,
        t(
            f"导入文件不得超过 {limit} 字节，请拆分文件",
            f"imports are limited to {limit} bytes; split the file",
        ),
    )


async def receive_upload(request: Request, limit: int, file_name: str | None) -> UploadedFile:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        raise ProblemError(
            catalogue.MULTIPART_NOT_ACCEPTED,
            t(
                "请直接以请求体 POST CSV 或 XLSX 文件（Content-Type 为 text/csv 或 "
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet），不要用 multipart 表单",
                "POST the CSV or XLSX file itself (Content-Type text/csv or "
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet), "
                "not a multipart form",
            ),
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
        raise ProblemError(catalogue.EMPTY_FILE, t("请求体为空", "the request body is empty"))
    return UploadedFile(path=path, name=file_name, sha256=digest.hexdigest())
