"""A route whose path cannot start the request's path is passed over on its literal prefix.

Starlette routes a request by asking every route in turn, in the order they were added,
whether its path pattern matches (``Route.matches``: the route's path worked out from the
scope, a regular expression, and FastAPI's wrapper on top). A request for a route near the end
of a service's forty-odd routes paid some forty of those calls before it reached its own, and
OpenTelemetry's instrumentation names its span by asking every route the same question again.

A route's pattern is ``^`` followed by the escaped literal text of its path up to the first
``{`` (``starlette.routing.compile_path``), so a path that does not start with that text can
never match it: ``matches`` answers ``Match.NONE`` from a ``str.startswith`` for it, exactly what
the regular expression would have answered, and asks the route itself otherwise. Only routes
of Starlette's and FastAPI's own classes whose pattern is seen to begin with their prefix take
the shortcut; any other route is asked as before. The order of the routes, the partial matches
(a path matched with another method: 405), the trailing-slash redirect and the child scopes
are Starlette's, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

Matches = Callable[[Scope], tuple[Match, Scope]]

# Their ``matches`` start with the path pattern (FastAPI's only add the route to the scope).
_KNOWN = frozenset({Route, APIRoute, WebSocketRoute, APIWebSocketRoute, Mount})
_MARK = "_prefix_checked_matches"
_PATH_TYPES = frozenset({"http", "websocket"})


def literal_prefix(route: BaseRoute) -> str | None:
    """The text every path this route matches starts with; None when not known for sure (a
    route of another class, one without a path, a pattern not built from its path)."""
    if type(route) not in _KNOWN or "matches" in vars(route):
        return None  # another class, or this route's own ``matches``
    path = getattr(route, "path", None)
    pattern = getattr(route, "path_regex", None)
    if not isinstance(path, str) or not isinstance(pattern, re.Pattern):
        return None
    prefix = path.split("{", 1)[0]
    if not prefix or not pattern.pattern.startswith("^" + re.escape(prefix)):
        return None
    return prefix


def _prefix_checked(matches: Matches, prefix: str) -> Matches:
    def prefix_checked_matches(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in _PATH_TYPES and not get_route_path(scope).startswith(prefix):
            return Match.NONE, {}
        return matches(scope)

    setattr(prefix_checked_matches, _MARK, True)
    return prefix_checked_matches


def check_route_prefixes(routes: Iterable[BaseRoute]) -> int:
    """Gives each route with a known literal prefix its prefix check (once; a route already
    given one is left as it is). Returns how many routes have one now."""
    checked = 0
    for route in routes:
        if getattr(route.matches, _MARK, False):
            checked += 1
            continue
        prefix = literal_prefix(route)
        if prefix is None:
            continue
        # An instance attribute: the class's method stays as it was for every other route.
        setattr(route, "matches", _prefix_checked(route.matches, prefix))  # noqa: B010
        checked += 1
    return checked
