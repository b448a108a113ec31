"""An OIDC provider's signing keys (JWKS), fetched without blocking the event loop.

Keys are cached by ``kid``. Tokens whose ``kid`` is known never wait for the network, even
while a refresh runs. A ``kid`` the cache lacks triggers a refetch (the provider rotated its
keys), but at most once per ``min_refetch_seconds``: tokens with random ``kid``s cannot turn
every request into a fetch. Concurrent misses share one fetch. The whole set is refreshed in
the background once older than ``max_age_seconds``, so removed (revoked) keys drop out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)


class UnknownSigningKey(Exception):
    pass


class JwksKeySet:
    def __init__(
        self,
        url: str,
        *,
        max_age_seconds: float = 300.0,
        min_refetch_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._max_age = max_age_seconds
        self._min_refetch = min_refetch_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._keys: dict[str | None, Any] = {}
        self._fetched_at: float | None = None  # last fetch attempt, successful or not
        self._loaded_at: float | None = None  # last successful fetch
        self._fetch: asyncio.Task[None] | None = None

    async def key_for(self, kid: str | None) -> Any:
        key = self._cached(kid)
        if key is not None:
            if self._loaded_at is not None and self._clock() - self._loaded_at > self._max_age:
                self._start_fetch()  # refresh behind the request, never in front of it
            return key
        if self._may_refetch():
            fetch = self._start_fetch()
            # shield: a cancelled request must not cancel the fetch other requests share
            await asyncio.shield(fetch)
            key = self._cached(kid)
        if key is None:
            raise UnknownSigningKey(f"no signing key {kid!r} at the identity provider")
        return key

    def _cached(self, kid: str | None) -> Any:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))  # a provider with one key may omit kid
        return self._keys.get(kid)

    def _may_refetch(self) -> bool:
        if self._fetch is not None and not self._fetch.done():
            return True  # join the fetch under way
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._min_refetch

    def _start_fetch(self) -> asyncio.Task[None]:
        if self._fetch is None or self._fetch.done():
            self._fetched_at = self._clock()
            self._fetch = asyncio.create_task(self._load())
        return self._fetch

    async def _load(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self._url)
                response.raise_for_status()
                document = response.json()
            keys: dict[str | None, Any] = {}
            for entry in document.get("keys", []):
                if entry.get("use", "sig") != "sig" or entry.get("kty") != "RSA":
                    continue
                keys[entry.get("kid")] = jwt.PyJWK(entry, algorithm="RS256").key
        except (httpx.HTTPError, ValueError, jwt.PyJWTError, AttributeError) as exc:
            # Keep the keys we had: an identity provider's hiccup must not log everyone out.
            log.warning("JWKS fetch from %s failed: %s", self._url, exc)
            return
        self._keys = keys
        self._loaded_at = self._clock()
