"""What a submission takes from its round: the application's id, the materials the operator
must hand in, and the resident list (Annex 7) the registry supplies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from awards.domain.rounds import ApplicationRound
from shared.china_time import CHINA
from shared.programmes.awarding import MaterialKind

APPLICATION_NAMESPACE = uuid.UUID("0c0f7d9e-2a8b-4b8f-9d7e-5e0f3a1b2c3d")


def application_id_for(
    programme_id: str, year: int, category: str, entity_type: str, entity_id: str
) -> uuid.UUID:
    """One application per entity and round, whoever submits it and however often."""
    return uuid.uuid5(
        APPLICATION_NAMESPACE, f"{programme_id}|{year}|{category}|{entity_type}|{entity_id}"
    )


def missing_materials(application_round: ApplicationRound, materials: dict[str, Any]) -> list[str]:
    """Materials the operator must hand in (the resident list comes from the registry)."""
    return [
        material.id
        for material in application_round.rules.materials
        if material.kind is not MaterialKind.resident_list and not materials.get(material.id)
    ]


def material_names(application_round: ApplicationRound, ids: list[str]) -> list[str]:
    """The materials' names as the round's guide gives them (Chinese), in the order asked."""
    names = {material.id: material.name for material in application_round.rules.materials}
    return [names.get(material_id, material_id) for material_id in ids]


def with_resident_list(
    application_round: ApplicationRound,
    materials: dict[str, Any],
    residents: list[dict[str, Any]],
) -> dict[str, Any]:
    """Annex 7 (入驻电商企业名单) as the registry's current residents at submission."""
    listed = dict(materials)
    for material in application_round.rules.materials:
        if material.kind is MaterialKind.resident_list:
            listed[material.id] = residents
    return listed


def today_in_china(now: dt.datetime) -> dt.date:
    return now.astimezone(CHINA).date()
