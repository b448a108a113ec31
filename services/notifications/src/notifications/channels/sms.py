"""SMS through a provider interface; implemented: Alibaba Cloud SMS ``SendSms`` (dysmsapi,
version 2017-05-25, RPC style with HMAC-SHA1 signature V1). ``Code == "OK"`` is "sent" (the
provider accepted it; handset receipts come later); ``isv.BUSINESS_LIMIT_CONTROL`` is a
throttle; any other code fails with the provider's message."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
from typing import Protocol

import httpx

from notifications.channels.base import Outcome, Outgoing


class SmsProvider(Protocol):
    async def send_sms(self, phone: str, params: dict[str, str]) -> Outcome: ...


def _encode(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{_encode(k)}={_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
    ) -> None:
        self._client, self._endpoint = client, endpoint
        self._key_id, self._secret = access_key_id, access_key_secret
        self._sign_name, self._template = sign_name, template_code

    async def send_sms(self, phone: str, params: dict[str, str]) -> Outcome:
        query = {
            "AccessKeyId": self._key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone.removeprefix("+86"),
            "RegionId": "cn-hangzhou",
            "SignName": self._sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self._template,
            "TemplateParam": json.dumps(params, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        query["Signature"] = rpc_signature(query, self._secret)
        try:
            response = await self._client.post(self._endpoint, data=query)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            return Outcome("retry", f"{type(error).__name__}: {error}")
        code = answer.get("Code") if isinstance(answer, dict) else None
        reason = f"{code}: {answer.get('Message') if isinstance(answer, dict) else answer}"
        if code == "OK":
            return Outcome("sent", None, response.status_code)
        if code == "isv.BUSINESS_LIMIT_CONTROL":
            return Outcome("throttled", reason, response.status_code)
        if response.status_code >= 500 or code in ("isp.SYSTEM_ERROR", "ServiceUnavailable"):
            return Outcome("retry", reason, response.status_code)
        return Outcome("failed", reason, response.status_code)


class SmsChannel:
    name = "sms"

    def __init__(self, provider: SmsProvider | None) -> None:
        self._provider = provider

    async def send(self, message: Outgoing) -> Outcome:
        if self._provider is None:
            return Outcome("failed", "no SMS provider configured (NOTIFICATIONS_SMS_ACCESS_KEY_ID)")
        # SMS templates are approved in advance by the provider: only short parameters vary.
        missing = message.payload.get("designation_ids") or []
        params = {"title": message.title[:30], "count": str(len(missing))}
        return await self._provider.send_sms(message.address, params)
