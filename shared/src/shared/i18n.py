"""Texts the APIs answer in Chinese (zh-CN, the default) or English (``Accept-Language: en``).

Pure: domain rules build their refusals with :func:`t`, and the HTTP layer picks the language
when it writes the answer, so nothing below the API needs to know who asks.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

from shared.china_time import CHINA

Language = Literal["zh-CN", "en"]
DEFAULT_LANGUAGE: Language = "zh-CN"


class Text(NamedTuple):
    """One message in both languages the APIs speak."""

    zh: str
    en: str

    def in_language(self, language: Language) -> str:
        return self.en if language == "en" else self.zh


def t(zh: str, en: str) -> Text:
    return Text(zh, en)


def china_time(instant: dt.datetime) -> Text:
    """An instant in China time: ``2026年1月10日 00:00:00（北京时间）`` and
    ``2026-01-10 00:00:00 +08:00``. Beijing time, because every instant a refusal quotes is the
    one a Chinese bureau reads on its clock."""
    local = instant.astimezone(CHINA)
    return Text(
        f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（北京时间）",
        f"{local:%Y-%m-%d %H:%M:%S} +08:00",
    )


def china_date(day: dt.date) -> Text:
    return Text(f"{day.year}年{day.month}月{day.day}日", day.isoformat())


def language_of(accept_language: str | None) -> Language:
    """The language an ``Accept-Language`` header prefers among ours (RFC 9110 §12.5.4):
    the highest weighted of ``zh*`` and ``en*``; Chinese when neither is named."""
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, parameters = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en"):
            continue
        weight = _weight(parameters)
        if weight <= 0:
            continue
        language: Language = "en" if primary == "en" else "zh-CN"
        candidate = (-weight, position, language)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best is not None else DEFAULT_LANGUAGE


def _weight(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
