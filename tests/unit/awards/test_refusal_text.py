"""A workflow's refusal reaches the API in both languages (message English, first detail Chinese)."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from awards.handlers.updates import refusal_text
from awards.workflows.refusals import refused
from shared.i18n import t
from tests.support.languages import wholly_chinese, wholly_english


def test_a_workflow_refusal_reads_in_each_language() -> None:
    error = refused(
        t("“资料审核”阶段不能办理“认定决定”", "decide is not a step of stage x"), "conflict"
    )
    text = refusal_text(error)
    assert text.zh == "“资料审核”阶段不能办理“认定决定”" and wholly_chinese(text.zh)
    assert text.en == "decide is not a step of stage x" and wholly_english(text.en)


def test_a_refusal_without_chinese_falls_back_to_its_kinds_title() -> None:
    text = refusal_text(ApplicationError("not revoked", type="conflict", non_retryable=True))
    assert text.zh == "当前阶段不能执行该步骤" and text.en == "not revoked"
