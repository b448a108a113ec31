"""Signed, expiring acknowledgement links (HS256 JWTs): the token names one delivery, so a
link acknowledges exactly the message it came in, until it expires."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt

AUDIENCE = "notifications.ack"


class InvalidAcknowledgement(Exception):
    pass


def sign(delivery_id: uuid.UUID, *, secret: str, expires_at: dt.datetime) -> str:
    claims = {"sub": str(delivery_id), "aud": AUDIENCE, "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(token: str, *, secret: str) -> uuid.UUID:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=AUDIENCE, options={"require": ["exp"]}
        )
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidAcknowledgement(str(error)) from error
