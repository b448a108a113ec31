"""Each service's world for the authorization matrix: its seeded records and requests."""

from __future__ import annotations

from tests.security.authz_worlds.awards import AwardsWorld
from tests.security.authz_worlds.base import World
from tests.security.authz_worlds.notifications import NotificationsWorld
from tests.security.authz_worlds.registry import RegistryWorld
from tests.security.authz_worlds.submissions import SubmissionsWorld

WORLDS: dict[str, type[World]] = {
    "registry": RegistryWorld,
    "notifications": NotificationsWorld,
    "submissions": SubmissionsWorld,
    "awards": AwardsWorld,
}
