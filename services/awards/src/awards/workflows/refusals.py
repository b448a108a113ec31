"""A workflow's refusal as an ApplicationError the API reads back in both languages.

The message stays the English text (what the workflow history and logs have always shown); the
Chinese rides as the first detail, so the API answers each language wholly in that language.
Only the failure's text is carried: the commands a workflow issues are unchanged, so replay is
unaffected.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from shared.i18n import Text


def refused(text: Text, kind: str) -> ApplicationError:
    return ApplicationError(text.en, text.zh, type=kind, non_retryable=True)
