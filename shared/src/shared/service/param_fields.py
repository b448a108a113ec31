"""FastAPI's "is this parameter a list?", answered once per parameter instead of per request.

For every request FastAPI reads each path, query, header and cookie parameter of the route and
of each of its dependencies through ``fastapi.dependencies.utils._get_multidict_value``, which
asks ``is_sequence_field`` of the parameter twice (take every value or the last; an empty list
counts as missing). The answer depends on the parameter's annotation alone, fixed when the
route was built, yet FastAPI works it out from the annotation each time (unions, origins,
subclass checks: ≈ 2 µs). ``GET /v1/statistics`` asked it twenty times per request.

``remember_sequence_fields`` puts a function in its place that keeps the first answer on the
parameter itself (FastAPI's ``ModelField`` of pydantic 2, a dataclass); a parameter that cannot
keep it (pydantic 1's, with slots) is asked each time, as before. The answers are FastAPI's
own, so which values a parameter takes, its validation and its errors are unchanged.
"""

from __future__ import annotations

from typing import Any

import fastapi.dependencies.utils as fastapi_dependencies
from fastapi._compat import is_sequence_field

_ANSWER = "_remembered_is_sequence"


def remembered_is_sequence_field(field: Any) -> bool:
    """``is_sequence_field``, its answer kept on the field after the first time."""
    kept = getattr(field, "__dict__", None)
    if kept is None:
        return is_sequence_field(field)
    answer = kept.get(_ANSWER)
    if answer is None:
        answer = kept[_ANSWER] = is_sequence_field(field)
    return bool(answer)


def remember_sequence_fields() -> None:
    """Installs ``remembered_is_sequence_field`` where FastAPI reads request parameters (once
    per process; again is a no-op)."""
    fastapi_dependencies.is_sequence_field = remembered_is_sequence_field
