"""Signed, expiring acknowledgement links (HS256 JWTs): the token names one delivery, so a
link acknowledges exactly the message it came in, until it expires."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import jwt

from shared.i18n import Text, t

AUDIENCE = "notifications.ack"


class InvalidAcknowledgement(Exception):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def sign(delivery_id: uuid.UUID, *, secret: str, expires_at: dt.datetime) -> str:
    claims = {"sub": str(delivery_id), "aud": AUDIENCE, "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(token: str, *, secret: str) -> uuid.UUID:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=AUDIENCE, options={"require": ["exp"]}
        )
        return uuid.UUID(str(claims["sub"]))
    except jwt.ExpiredSignatureError as error:
        raise InvalidAcknowledgement(t("确认链接已过期", str(error))) from error
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        # PyJWT's own words are English: the Chinese says what the link is, not the library.
        raise InvalidAcknowledgement(t("确认链接格式有误或签名不符", str(error))) from error


@dataclass(frozen=True)
class Links:
    """How a message's acknowledgement link is made: signed with ``secret``, pointing at
    ``base_url``, valid for ``lifetime`` from when the message is written."""

    secret: str
    base_url: str
    lifetime: dt.timedelta

    def acknowledgement_url(self, delivery_id: uuid.UUID, now: dt.datetime) -> str:
        token = sign(delivery_id, secret=self.secret, expires_at=now + self.lifetime)
        return f"{self.base_url.rstrip('/')}/acknowledgements/{token}"
