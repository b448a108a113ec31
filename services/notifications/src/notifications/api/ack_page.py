"""The zh-CN pages an acknowledgement link opens in a browser: what the message is, and a button
that acknowledges it. One self-contained document each (inline style, no script, no external
asset), since the recipient is not logged in and the page must work on any office PC."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from shared.china_time import CHINA

OFFICES = {
    "province_admin": "省级商务主管部门",
    "city_bureau": "市级商务主管部门",
    "county_bureau": "县级商务主管部门",
    "operator": "企业",
}

# The page's own URL carries the token: nothing may refer onward with it, cache it, index it,
# frame it, or load anything from elsewhere.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = (
    "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:36rem;"
    "margin:3rem auto;padding:0 1rem;color:#222}dt{color:#666;margin-top:.6rem}dd{margin:0}"
    "button{font-size:1.1rem;padding:.6rem 1.6rem;margin-top:1.5rem;cursor:pointer}"
)


def _time(instant: dt.datetime | None) -> str:
    return instant.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if instant else "—"


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _facts(delivery: Any) -> str:
    office = OFFICES.get(delivery["role"], delivery["role"])
    rows = [
        ("消息", delivery["title"]),
        ("发送对象", f"{office}（行政区划代码 {delivery['region_code']}）"),
        ("发送时间", _time(delivery["created_at"])),
    ]
    items = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in rows)
    return f"<dl>{items}</dl>"


def confirm_page(delivery: Any) -> str:
    """Shown on GET: opening the link (or a mail scanner or chat preview fetching it) changes
    nothing; only the button, a POST to the same address, acknowledges."""
    if delivery["acknowledged_at"] is not None:
        state = f"<p>该消息已于 {_time(delivery['acknowledged_at'])} 确认知悉，无需再次确认。</p>"
    else:
        state = (
            "<p>确认后，本单位将不再收到关于同一名单的重复提醒。</p>"
            '<form method="post"><button type="submit">确认已知悉</button></form>'
        )
    return _document("确认已知悉", f"<h1>确认已知悉</h1>{_facts(delivery)}{state}")


def done_page(delivery: Any, *, acknowledged_now: bool, at: dt.datetime | None) -> str:
    said = "已确认知悉，谢谢。" if acknowledged_now else f"该消息此前已于 {_time(at)} 确认知悉。"
    return _document("已确认", f"<h1>{escape(said)}</h1>{_facts(delivery)}")


def invalid_page() -> str:
    return _document(
        "链接无效",
        "<h1>链接无效或已过期</h1><p>请在平台站内消息中查看并确认该消息，或联系上级主管部门。</p>",
    )
