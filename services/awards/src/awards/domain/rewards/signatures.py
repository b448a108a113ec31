"""Finance's REST callback is signed: ``X-Finance-Signature: sha256=<hex HMAC-SHA256 of the raw
body with the shared secret>`` (AWARDS_FINANCE_CALLBACK_SECRET)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Finance-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid(secret: str | None, body: bytes, signature: str | None) -> bool:
    """Constant-time comparison; no secret configured means no callback is accepted."""
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, body), signature)
