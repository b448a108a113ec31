"""Which files a report may carry (the written development report, 发展情况, that the
reporter sends with its figures): a declared content type from a short list, and content that starts as that type does. The
declared type alone is the client's word; the first bytes are the file's."""

from __future__ import annotations

# content type -> the bytes every such file starts with
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    # DOCX is a ZIP package; DOC the older OLE compound file.
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def media_type(header: str) -> str:
    """``application/pdf; name=x`` -> ``application/pdf``."""
    return header.split(";", 1)[0].strip().lower()


def unsupported(content_type: str) -> bool:
    return content_type not in SIGNATURES


def content_matches(content_type: str, content: bytes) -> bool:
    return any(content.startswith(magic) for magic in SIGNATURES.get(content_type, ()))
