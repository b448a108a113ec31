"""The verifier remembers a token that verified, never longer than the token is valid nor past
a change of its signing key, and never a token that failed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest

from shared.auth import AuthenticationError, TokenVerifier, generate_dev_keypair, mint_token
from shared.auth import tokens as tokens_module

PRIVATE, PUBLIC = generate_dev_keypair()
OTHER_PRIVATE, _ = generate_dev_keypair()


def _verifier() -> TokenVerifier:
    return TokenVerifier(public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api")


def _token(private: str = PRIVATE, ttl_seconds: int = 3600) -> str:
    return mint_token(
        private_key_pem=private,
        subject="reporter-1",
        roles=["operator"],
        enterprise_ids=["E00001"],
        ttl_seconds=ttl_seconds,
    )


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    decode = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(tokens_module.jwt, "decode", counted)
    return calls


def test_the_same_token_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_decodes(monkeypatch)
    verifier, token = _verifier(), _token()

    async def twice() -> tuple[Any, Any]:
        return await verifier.verify(token), await verifier.verify(token)

    first, second = asyncio.run(twice())
    assert first == second
    assert first.subject == "reporter-1" and first.enterprise_ids == {"E00001"}
    assert calls == [token]


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier, token = _verifier(), _token(ttl_seconds=60)
    asyncio.run(verifier.verify(token))
    later = time.time() + 3600
    monkeypatch.setattr(tokens_module.time, "time", lambda: later)
    calls = _counting_decodes(monkeypatch)
    # PyJWT reads the clock itself: its refusal is the real expiry check, not a cached answer.
    monkeypatch.setattr(jwt.api_jwt, "datetime", _Frozen(later), raising=False)
    with pytest.raises(AuthenticationError):
        asyncio.run(verifier.verify(token))
    assert calls == [token]


def test_failures_are_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_decodes(monkeypatch)
    verifier, forged = _verifier(), _token(private=OTHER_PRIVATE)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            asyncio.run(verifier.verify(forged))
    assert calls == [forged, forged]


def test_another_signing_key_forgets_what_the_old_one_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verifier, token = _verifier(), _token()
    asyncio.run(verifier.verify(token))
    calls = _counting_decodes(monkeypatch)
    # As a JWKS refresh that dropped the key would: the key the token verified with is gone.
    verifier._public_key = tokens_module._prepared(generate_dev_keypair()[1])
    with pytest.raises(AuthenticationError):
        asyncio.run(verifier.verify(token))
    assert calls == [token]


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens_module, "VERIFIED_CACHE_SIZE", 3)
    verifier = _verifier()
    tokens = [
        mint_token(private_key_pem=PRIVATE, subject=f"s{n}", roles=["operator"]) for n in range(5)
    ]

    async def each() -> None:
        for token in tokens:
            await verifier.verify(token)

    asyncio.run(each())
    assert list(verifier._verified) == tokens[2:]


def test_an_unreadable_key_still_refuses_at_verification() -> None:
    verifier = TokenVerifier(public_key_pem="not a key", issuer="ecom-local", audience="ecom-api")
    with pytest.raises(AuthenticationError):
        asyncio.run(verifier.verify(_token()))


class _Frozen:
    """``datetime`` as PyJWT's module uses it, its ``now`` at ``epoch``."""

    def __init__(self, epoch: float) -> None:
        import datetime as dt

        self._dt = dt
        self._epoch = epoch

    def now(self, tz: Any = None) -> Any:
        return self._dt.datetime.fromtimestamp(self._epoch, tz)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dt.datetime, name)
