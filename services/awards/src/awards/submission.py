"""Submitting an application: the round's terms as a snapshot, eligibility, materials, and the
workflow reached with update-with-start (a retried submission never starts two)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from awards.domain.rounds import ApplicationRound, awarding_of
from awards.workflows.types import (
    TASK_QUEUE,
    ActorData,
    Applicant,
    ApplicationStart,
    ApplicationState,
    RequestData,
    Submit,
    Terms,
    workflow_id_for,
)
from awards.workflows.workflows import ApplicationWorkflow, search_attributes_for
from shared.programmes import Programme
from shared.programmes.awarding import MaterialKind

APPLICATION_NAMESPACE = uuid.UUID("0c0f7d9e-2a8b-4b8f-9d7e-5e0f3a1b2c3d")


def application_id_for(
    programme_id: str, year: int, category: str, entity_type: str, entity_id: str
) -> uuid.UUID:
    """One application per entity and round, whoever submits it and however often."""
    return uuid.uuid5(
        APPLICATION_NAMESPACE, f"{programme_id}|{year}|{category}|{entity_type}|{entity_id}"
    )


def terms_of(programme: Programme, application_round: ApplicationRound) -> Terms:
    awarding = awarding_of(programme)
    assert programme.evaluation is not None
    basis = awarding.legal_basis
    return Terms(
        programme_id=programme.id,
        year=application_round.year,
        category=application_round.category,
        title=application_round.title,
        city_review_due_at=application_round.city_review_due_at,
        panel=awarding.expert_panel,
        indicator_system=programme.evaluation.indicator_system(application_round.category),
        public_notice=awarding.public_notice,
        legal_basis=f"{basis.document_number} {basis.section}",
        recommend_for_national=awarding.recommend_for_national,
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


async def start_application(
    client: Client,
    start: ApplicationStart,
    *,
    task_queue: str = TASK_QUEUE,
    search_attributes: bool = True,
) -> ApplicationState:
    operation = WithStartWorkflowOperation(
        ApplicationWorkflow.run,
        start,
        id=workflow_id_for(start.application_id),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A closed application is never run again under its id: its timeline is numbered.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        task_queue=task_queue,
        search_attributes=search_attributes_for(start) if search_attributes else None,
    )
    return await client.execute_update_with_start_workflow(
        ApplicationWorkflow.submit,
        Submit(application_id=start.application_id),
        start_workflow_operation=operation,
        id=f"submit-{start.application_id}",
    )


def new_start(
    *,
    application_id: uuid.UUID,
    terms: Terms,
    applicant: Applicant,
    actor: ActorData,
    materials: dict[str, Any],
    request: RequestData | None = None,
) -> ApplicationStart:
    return ApplicationStart(
        application_id=str(application_id),
        terms=terms,
        applicant=applicant,
        submitted_by=actor,
        materials=materials,
        request=request,
    )


def today_in_china(now: dt.datetime) -> dt.date:
    from shared.programmes import CHINA_STANDARD_TIME

    return now.astimezone(CHINA_STANDARD_TIME).date()
