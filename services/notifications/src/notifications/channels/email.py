"""E-mail over SMTP (aiosmtplib): STARTTLS, implicit TLS or none (loopback relays). With TLS
the relay's certificate is checked against the system CAs, or ``ca_file`` (a relay with its own
CA).
"sent" means the relay accepted the message (250); 4xx answers and connection errors retry,
5xx answers fail with the server's words."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notifications.channels.base import Outcome, Outgoing


class EmailChannel:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 15.0,
        ca_file: str | None = None,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._security, self._username, self._password = security, username, password
        self._timeout = timeout
        self._ca_file = ca_file

    async def send(self, message: Outgoing) -> Outcome:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.address
        mail["Subject"] = message.title
        mail["Message-ID"] = f"<{message.delivery_id}@notifications>"
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._security == "tls",
                start_tls=self._security == "starttls",
                timeout=self._timeout,
                cert_bundle=self._ca_file,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            return Outcome("failed", f"recipient refused: {error.recipients}")
        except aiosmtplib.SMTPResponseException as error:
            final = 500 <= error.code < 600
            return Outcome("failed" if final else "retry", f"SMTP {error.code}: {error.message}")
        except (aiosmtplib.SMTPException, OSError) as error:
            return Outcome("retry", f"{type(error).__name__}: {error}")
        return Outcome("sent")
