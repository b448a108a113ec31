"""The catalogue as the table of ``docs/problems.md`` (a unit test keeps the two equal)."""

from __future__ import annotations

from shared.http.problem_types import CATALOGUE

BEGIN = "<!-- problem-types:begin (generated from shared.http.catalogue) -->"
END = "<!-- problem-types:end -->"


def problem_table() -> str:
    lines = [
        BEGIN,
        "| code | status | type | title (zh-CN / en) | meaning | what the client should do |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in sorted(CATALOGUE, key=lambda k: (k.status, k.code)):
        lines.append(
            f"| `{kind.code}` | {kind.status} | `{kind.type}` | {kind.title.zh} / {kind.title.en}"
            f" | {kind.meaning} | {kind.client_action} |"
        )
    lines.append(END)
    return "\n".join(lines)
