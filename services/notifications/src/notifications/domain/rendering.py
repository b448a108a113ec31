"""Messages from Jinja2 templates (``templates/<kind>.<locale>.md.j2``): zh-CN first, English
when a kind has no Chinese template. The first line of a rendered template is the title, the
rest the Markdown body. A template that is missing or fails to render raises
``RenderingFailed`` (the consumer dead-letters the event with the reason)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from shared.china_time import CHINA

# Package data of the service, beside its layers (``notifications/templates/``).
TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
LOCALES = ("zh-CN", "en")


class RenderingFailed(Exception):
    pass


def china_due_time(first_late_instant: dt.datetime) -> str:
    """The due time as the documents say it: the first late instant 2025-12-11T00:00+08:00 is
    ``2025年12月10日 24:00（北京时间）`` (the end of the due day, no ambiguity)."""
    local = first_late_instant.astimezone(CHINA)
    if local.time() == dt.time(0, 0):
        day = local.date() - dt.timedelta(days=1)
        clock = "24:00"
    else:
        day = local.date()
        clock = local.strftime("%H:%M")
    return f"{day.year}年{day.month}月{day.day}日 {clock}（北京时间）"


def china_time(instant: dt.datetime) -> str:
    local = instant.astimezone(CHINA)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


_QUARTERS = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}


def statistics_period(period: str) -> str:
    """A statistics period as a notice names it: 2025-01 → 2025年1月, 2025-Q1 → 2025年第一季度,
    2025 → 2025年度."""
    year, _, rest = period.partition("-")
    if not rest:
        return f"{year}年度"
    if rest in _QUARTERS:
        return f"{year}年{_QUARTERS[rest]}"
    return f"{year}年{int(rest)}月"


@cache
def _environment(directory: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown and plain text, never HTML
        keep_trailing_newline=False,
    )
    environment.filters["due_time"] = china_due_time
    environment.filters["china_time"] = china_time
    environment.filters["statistics_period"] = statistics_period
    return environment


def check_templates(kinds: Iterable[str], *, directory: Path = TEMPLATES_DIR) -> None:
    """Refuse, when the consumer starts, a template that does not compile and a message kind
    with no template (a variable a template needs is only known when an event comes: such an
    event is dead-lettered with the reason)."""
    environment = _environment(directory)
    problems: list[str] = []
    for path in sorted(directory.glob("*.md.j2")):
        try:
            environment.get_template(path.name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(f"{path.name} line {error.lineno}: {error.message}")
    present = {path.name.split(".", 1)[0] for path in directory.glob("*.md.j2")}
    problems += [f"no template for {kind!r}" for kind in kinds if kind not in present]
    if problems:
        raise RenderingFailed("; ".join(problems))


def render(
    kind: str, context: dict[str, Any], *, directory: Path = TEMPLATES_DIR
) -> tuple[str, str]:
    """(title, body) of a message of ``kind``."""
    environment = _environment(directory)
    for locale in LOCALES:
        try:
            template = environment.get_template(f"{kind}.{locale}.md.j2")
        except jinja2.TemplateNotFound:
            continue
        try:
            text = template.render(**context).strip()
        except Exception as error:  # any template error is the template's fault, not transient
            raise RenderingFailed(f"template {kind}.{locale}: {error}") from error
        title, _, body = text.partition("\n")
        if not title.strip():
            raise RenderingFailed(f"template {kind}.{locale} rendered no title")
        return title.strip(), body.strip()
    raise RenderingFailed(f"no template for {kind!r} in {', '.join(LOCALES)}")
