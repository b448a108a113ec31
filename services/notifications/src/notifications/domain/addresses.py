"""Channel addresses checked when configured (issue 11, "Bad input"): unknown channels,
malformed e-mail addresses and phone numbers, webhook and robot URLs that are not http(s) or
that point at loopback, private, link-local or reserved ranges (unless the operator allows
private endpoints). Robot URLs must be the vendor's documented endpoint."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, urlsplit

CHANNELS = ("inbox", "email", "webhook", "wecom", "dingtalk", "sms")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAINLAND_MOBILE = re.compile(r"^(\+86)?1[3-9]\d{9}$")
ROBOT_HOSTS = {
    "wecom": ("qyapi.weixin.qq.com", "/cgi-bin/webhook/send", "key"),
    "dingtalk": ("oapi.dingtalk.com", "/robot/send", "access_token"),
}


class BadAddress(ValueError):
    pass


def is_private_host(host: str) -> bool:
    """An IP literal in a non-public range, or a name that is loopback by definition."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return not address.is_global


def check_address(channel: str, address: str, *, allow_private: bool) -> None:
    if channel not in CHANNELS:
        raise BadAddress(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")
    if channel == "email" and not EMAIL.match(address):
        raise BadAddress(f"not an e-mail address: {address!r}")
    if channel == "sms" and not MAINLAND_MOBILE.match(address):
        raise BadAddress("not a mainland mobile number (11 digits starting 1, optional +86)")
    if channel in ("webhook", "wecom", "dingtalk"):
        check_url(channel, address, allow_private=allow_private)


def check_url(channel: str, url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadAddress(f"not an http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise BadAddress("credentials in the URL are refused")
    if is_private_host(parts.hostname):
        if not allow_private:
            raise BadAddress(f"{parts.hostname} is loopback or private; endpoints must be public")
        return  # a loopback fake or on-premises receiver the operator allowed
    if parts.scheme != "https":
        raise BadAddress("public endpoints must use https")
    if channel in ROBOT_HOSTS:
        host, path, key = ROBOT_HOSTS[channel]
        if parts.hostname != host or parts.path != path or key not in parse_qs(parts.query):
            raise BadAddress(f"a {channel} robot URL is https://{host}{path}?{key}=…")
