"""Each channel against a real loopback server that behaves like its receiver."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.channels.base import Outgoing
from notifications.channels.email import EmailChannel
from notifications.channels.robots import DingTalkRobot, WeComRobot
from notifications.channels.sms import AliyunSms, SmsChannel
from notifications.channels.webhook import WebhookChannel
from tests.integration.notifications.fakes import Receiver, loopback_receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with loopback_receiver() as fake:
        yield fake


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield http


def message(address: str, *, secret: str | None = None, body: str = "### 提醒\n- E1") -> Outgoing:
    return Outgoing(
        delivery_id=uuid.uuid4(),
        channel="x",
        address=address,
        secret=secret,
        kind="deadline_reminder",
        title="【年报提醒】尚有 1 家未报送",
        body=body,
        payload={"designation_ids": ["E1"]},
    )


async def test_a_signed_webhook_is_delivered_only_on_2xx(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    channel = WebhookChannel(client)
    ok = await channel.send(message(f"{receiver.base_url}/hook/a", secret=receiver.webhook_secret))
    assert ok.result == "delivered" and receiver.bodies("/hook/a")[0]["title"].startswith("【年报")
    forged = await channel.send(message(f"{receiver.base_url}/hook/b", secret="wrong-secret"))
    assert (forged.result, forged.http_status) == ("failed", 401)
    receiver.failing_paths["/hook/down"] = 503
    down = await channel.send(message(f"{receiver.base_url}/hook/down", secret="x" * 8))
    assert down.result == "retry" and "503" in (down.reason or "")
    refused = await channel.send(message("http://127.0.0.1:1/hook"))
    assert refused.result == "retry"


async def test_wecom_success_is_errcode_zero_and_its_throttle_is_recognised(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    robot = WeComRobot(client, "https://example.gov.cn/v1/inbox")
    url = f"{receiver.base_url}/cgi-bin/webhook/send?key=wecom-1"
    outcomes = [(await robot.send(message(url))).result for _ in range(21)]
    assert outcomes == ["delivered"] * 20 + ["throttled"]
    long = await robot.send(message(f"{url}x", body="很长的名单" * 2000))
    assert long.result == "delivered"  # cut to 4096 bytes, with a link to the full text
    content = receiver.bodies("wecom:wecom-1x")[0]["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("(https://example.gov.cn/v1/inbox)")


async def test_dingtalk_signed_mode_and_errcodes(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    robot = DingTalkRobot(client, "https://example.gov.cn/v1/inbox")
    url = f"{receiver.base_url}/robot/send?access_token=signed-1"
    assert (await robot.send(message(url, secret=receiver.dingtalk_secret))).result == "delivered"
    bad = await robot.send(message(url, secret="SECwrong"))
    assert bad.result == "failed" and "310000" in (bad.reason or "")
    plain = f"{receiver.base_url}/robot/send?access_token=plain-1"
    outcomes = [(await robot.send(message(plain))).result for _ in range(21)]
    assert outcomes[-1] == "throttled" and outcomes[:20] == ["delivered"] * 20
    sent = receiver.bodies("dingtalk:signed-1")[0]
    assert sent["msgtype"] == "markdown" and sent["markdown"]["title"].startswith("【年报")


async def test_sms_uses_the_aliyun_rpc_shape(receiver: Receiver, client: httpx.AsyncClient) -> None:
    def provider(secret: str) -> SmsChannel:
        return SmsChannel(
            AliyunSms(
                client,
                endpoint=f"{receiver.base_url}/sms",
                access_key_id="LTAI-test",
                access_key_secret=secret,
                sign_name="电商示范",
                template_code="SMS_1",
            )
        )

    assert (await provider(receiver.sms_secret).send(message("+8613812345678"))).result == "sent"
    params = receiver.bodies("sms")[0]
    assert params["PhoneNumbers"] == "13812345678" and params["Action"] == "SendSms"
    wrong = await provider("wrong").send(message("13812345678"))
    assert wrong.result == "failed" and "SignatureDoesNotMatch" in (wrong.reason or "")
    assert (await SmsChannel(None).send(message("13812345678"))).result == "failed"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_email_goes_over_smtp_to_a_loopback_server() -> None:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = EmailChannel(host="127.0.0.1", port=port, sender="noreply@example.gov.cn")
        assert (await channel.send(message("bureau@example.gov.cn"))).result == "sent"
        mail = handler.messages[0]
        assert mail.rcpt_tos == ["bureau@example.gov.cn"]
        parsed = message_from_bytes(mail.content, policy=default)
        assert str(parsed["Subject"]) == "【年报提醒】尚有 1 家未报送"
        assert "- E1" in parsed.get_content()
        refused = await channel.send(message("nobody@example.gov.cn"))
        assert refused.result == "failed" and "refused" in (refused.reason or "")
    finally:
        controller.stop()
    down = await EmailChannel(host="127.0.0.1", port=1, sender="a@b.cn").send(message("x@y.cn"))
    assert down.result == "retry"


@pytest.fixture(scope="module")
def relay_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: a relay with its own CA, as provinces run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    # TLS checks a certificate's validity against the real clock: valid from 2000 until
    # X.509's "no expiry" date, so that no day the test runs on falls outside it.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("relay")
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(relay_certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*relay_certificate)
    return context


async def test_email_over_starttls_checks_the_relays_certificate(
    relay_certificate: tuple[Path, Path],
) -> None:
    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(relay_certificate),
        require_starttls=True,
    )
    controller.start()
    try:
        sender = "noreply@example.gov.cn"
        plain = await EmailChannel(host="127.0.0.1", port=port, sender=sender).send(
            message("bureau@example.gov.cn")
        )
        assert plain.result == "failed" and "STARTTLS" in (plain.reason or "")
        untrusted = await EmailChannel(
            host="127.0.0.1", port=port, sender=sender, security="starttls"
        ).send(message("bureau@example.gov.cn"))
        assert untrusted.result == "retry" and "certificate" in (untrusted.reason or "").lower()
        trusted = EmailChannel(
            host="127.0.0.1",
            port=port,
            sender=sender,
            security="starttls",
            ca_file=str(relay_certificate[0]),
        )
        assert (await trusted.send(message("bureau@example.gov.cn"))).result == "sent"
        assert [mail.rcpt_tos for mail in handler.messages] == [["bureau@example.gov.cn"]]
    finally:
        controller.stop()


async def test_email_over_implicit_tls(relay_certificate: tuple[Path, Path]) -> None:
    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ssl_context=_server_context(relay_certificate)
    )
    controller.start()
    try:
        channel = EmailChannel(
            host="127.0.0.1",
            port=port,
            sender="noreply@example.gov.cn",
            security="tls",
            ca_file=str(relay_certificate[0]),
        )
        assert (await channel.send(message("bureau@example.gov.cn"))).result == "sent"
        assert len(handler.messages) == 1
    finally:
        controller.stop()
