"""A query parameter that takes one value, sent more than once, is refused: 400 naming it.

Starlette keeps every value of a repeated parameter and FastAPI hands a single-valued one its
last, so ``?status=active&status=closed`` would be answered as if only ``closed`` had been
asked, and neither the client that meant both nor the proxy that appended one would be told.
A parameter declared as a list (``list[str]``, or ``type: array`` where a route documents the
parameters it reads itself, ``openapi_extra``) takes every value; a parameter the route does
not declare is ignored, as every unknown parameter is (HTTP caches and proxies add them).

One app-wide dependency of every route (``create_service_app``). Without a repeated name it
costs a comparison of two lengths of the query the route parses anyway; the route's
single-valued names are worked out on the first refusal and kept. The caller is verified
before the refusal, as for every other input (``shared.service.caller_first``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import Request
from fastapi._compat import is_scalar_sequence_field
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute

from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t
from shared.service.caller_first import verify_caller_first

_KEPT = "single_valued_query"  # the route's names, kept on the route (routes are not hashable)


def single_valued(route: APIRoute) -> frozenset[str]:
    """The query parameters the route takes one value of, as their names are sent."""
    known: frozenset[str] | None = getattr(route, _KEPT, None)
    if known is None:
        flat = get_flat_dependant(route.dependant, skip_repeats=True)
        names = {field.alias for field in flat.query_params if not is_scalar_sequence_field(field)}
        documented: list[dict[str, Any]] = (route.openapi_extra or {}).get("parameters", [])
        names |= {
            parameter["name"]
            for parameter in documented
            if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") != "array"
        }
        known = frozenset(names)
        setattr(route, _KEPT, known)
    return known


def repeated(names: list[str]) -> ProblemError:
    listed = ", ".join(names)
    errors = [
        {
            "field": f"query.{name}",
            "message": t("只能取一个值", "takes one value, and was sent more than once"),
            "type": "repeated_parameter",
        }
        for name in names
    ]
    return ProblemError(
        catalogue.REPEATED_QUERY_PARAMETER,
        t(
            f"以下查询参数只能出现一次：{listed}",
            f"send each of these query parameters once: {listed}",
        ),
        extra={"errors": errors},
    )


async def single_query_values(request: Request) -> None:
    """The app-wide dependency: refuses a repeated single-valued query parameter."""
    if not request.scope.get("query_string"):
        return
    pairs = request.query_params.multi_items()
    if len(pairs) == len(request.query_params):
        return  # no name twice
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    single = single_valued(route)
    counts = Counter(name for name, _ in pairs)
    names = sorted(name for name, count in counts.items() if count > 1 and name in single)
    if names:
        await verify_caller_first(request)
        raise repeated(names)
