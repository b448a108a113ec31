"""Channel addresses checked when configured (docs/notifications.md, "Bad input"): unknown
channels, malformed e-mail addresses and phone numbers, webhook and robot URLs that are not
http(s) or that point at loopback, private, link-local or reserved ranges (unless the operator
allows private endpoints). Robot URLs must be the vendor's documented endpoint."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, urlsplit

from shared.i18n import Text, t

CHANNELS = ("inbox", "email", "webhook", "wecom", "dingtalk", "sms")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAINLAND_MOBILE = re.compile(r"^(\+86)?1[3-9]\d{9}$")
ROBOT_HOSTS = {
    "wecom": ("qyapi.weixin.qq.com", "/cgi-bin/webhook/send", "key"),
    "dingtalk": ("oapi.dingtalk.com", "/robot/send", "access_token"),
}


class BadAddress(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


ROBOT_NAMES = {"wecom": "企业微信", "dingtalk": "钉钉"}


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
        known = ", ".join(CHANNELS)
        raise BadAddress(
            t(
                f"未知的发送渠道“{channel}”，可用渠道：{'、'.join(CHANNELS)}",
                f"unknown channel {channel!r}; known: {known}",
            )
        )
    if channel == "email" and not EMAIL.match(address):
        raise BadAddress(
            t(f"“{address}”不是有效的电子邮件地址", f"not an e-mail address: {address!r}")
        )
    if channel == "sms" and not MAINLAND_MOBILE.match(address):
        raise BadAddress(
            t(
                "不是有效的大陆手机号码（以1开头的11位数字，可加 +86）",
                "not a mainland mobile number (11 digits starting 1, optional +86)",
            )
        )
    if channel in ("webhook", "wecom", "dingtalk"):
        check_url(channel, address, allow_private=allow_private)


def check_url(channel: str, url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadAddress(t(f"“{url}”不是有效的 http(s) 地址", f"not an http(s) URL: {url!r}"))
    if parts.username or parts.password:
        raise BadAddress(t("地址中不得包含用户名或密码", "credentials in the URL are refused"))
    if is_private_host(parts.hostname):
        if not allow_private:
            raise BadAddress(
                t(
                    f"{parts.hostname} 为本机或内网地址，接收地址须为公网地址",
                    f"{parts.hostname} is loopback or private; endpoints must be public",
                )
            )
        return  # a loopback fake or on-premises receiver the operator allowed
    if parts.scheme != "https":
        raise BadAddress(t("公网地址须使用 https", "public endpoints must use https"))
    if channel in ROBOT_HOSTS:
        host, path, key = ROBOT_HOSTS[channel]
        if parts.hostname != host or parts.path != path or key not in parse_qs(parts.query):
            robot = f"https://{host}{path}?{key}=…"
            raise BadAddress(
                t(
                    f"{ROBOT_NAMES.get(channel, channel)}机器人地址格式应为 {robot}",
                    f"a {channel} robot URL is {robot}",
                )
            )
