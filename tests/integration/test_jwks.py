"""Token verification against a real JWKS endpoint on 127.0.0.1 (a threaded HTTP server that
counts its requests and can be made slow)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from shared.auth import AuthenticationError, TokenVerifier, generate_dev_keypair, mint_token
from tests.support.polling import until


class JwksServer:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.requests = 0
        self.delay_seconds = 0.0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                    delay, body = server.delay_seconds, json.dumps({"keys": server.keys})
                time.sleep(delay)  # in the server's own thread: a slow identity provider
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/jwks.json"

    def add_key(self, kid: str, public_pem: str) -> None:
        public = serialization.load_pem_public_key(public_pem.encode())
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True) | {"kid": kid, "use": "sig"}
        with self._lock:
            self.keys.append(jwk)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()


KEYS = {kid: generate_dev_keypair() for kid in ("k1", "k2")}


def token(kid: str, *, signed_with: str | None = None) -> str:
    return mint_token(
        private_key_pem=KEYS[signed_with or kid][0],
        subject="s",
        roles=["integrator"],
        kid=kid,
    )


def verifier(server: JwksServer, min_refetch: float = 60.0) -> TokenVerifier:
    return TokenVerifier(
        jwks_url=server.url,
        issuer="ecom-local",
        audience="ecom-api",
        jwks_min_refetch_seconds=min_refetch,
    )


async def test_random_kids_do_not_turn_each_request_into_a_fetch(jwks: JwksServer) -> None:
    jwks.add_key("k1", KEYS["k1"][1])
    subject = verifier(jwks)
    assert (await subject.verify(token("k1"))).subject == "s"
    forged = [token(uuid.uuid4().hex, signed_with="k2") for _ in range(50)]
    results = await asyncio.gather(*(subject.verify(t) for t in forged), return_exceptions=True)
    assert all(isinstance(result, AuthenticationError) for result in results)
    assert jwks.requests == 1  # the unknown kids came within the refetch interval


async def test_concurrent_misses_share_one_fetch_and_a_rotated_key_is_found(
    jwks: JwksServer,
) -> None:
    jwks.add_key("k1", KEYS["k1"][1])
    subject = verifier(jwks, min_refetch=0.2)
    await asyncio.gather(*(subject.verify(token("k1")) for _ in range(20)))
    assert jwks.requests == 1
    jwks.add_key("k2", KEYS["k2"][1])  # the provider rotates
    began = time.monotonic()

    async def rotated_key_found() -> bool:
        try:
            await subject.verify(token("k2"))
        except AuthenticationError:
            return False
        return True

    # k2 is found once the refetch interval has passed
    await until(
        rotated_key_found, seconds=5, interval=0.05, message="the rotated key was never fetched"
    )
    assert jwks.requests <= 2 + (time.monotonic() - began) / 0.2  # at most one per interval


async def test_a_slow_identity_provider_does_not_stall_other_requests(jwks: JwksServer) -> None:
    jwks.add_key("k1", KEYS["k1"][1])
    subject = verifier(jwks, min_refetch=0.0)
    await subject.verify(token("k1"))
    known = [token("k1") for _ in range(20)]
    jwks.delay_seconds = 4.0
    jwks.add_key("k2", KEYS["k2"][1])
    slow = asyncio.create_task(subject.verify(token("k2")))  # an unknown kid: a slow fetch

    async def slow_fetch_in_flight() -> bool:
        return jwks.requests == 2

    await until(slow_fetch_in_flight, seconds=5, interval=0.01)
    started = time.monotonic()
    verified = await asyncio.gather(*(subject.verify(t) for t in known))
    # Far below the provider's 4 s (the margin is for a loaded machine).
    assert time.monotonic() - started < 2.0, "known keys waited for the slow fetch"
    assert len(verified) == 20 and not slow.done()
    assert (await asyncio.wait_for(slow, timeout=10)).subject == "s"
    assert jwks.requests == 2
