"""The SQL of applications, designations, experts, credit records and the
registry facts, as named statements (dynamic management's are in ``db.standing``)."""

from shared.audit import queries as audit_queries
from shared.messaging import outbox

# --- registry facts (from registry events) ---------------------------------------------------

UPSERT_ENTITY = """
INSERT INTO registry_entities (entity_type, entity_id, name, region_code, park_kind,
                               owner_enterprise_id, credit_code)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (entity_type, entity_id) DO UPDATE
SET name = EXCLUDED.name, region_code = EXCLUDED.region_code, park_kind = EXCLUDED.park_kind,
    owner_enterprise_id = EXCLUDED.owner_enterprise_id, credit_code = EXCLUDED.credit_code,
    updated_at = now()
"""


def _update_entity(column: str) -> str:
    """The statement that sets one column an update may change ($3: the new value, as text)."""
    return f"""
UPDATE registry_entities SET {column} = $3, updated_at = now()
WHERE entity_type = $1 AND entity_id = $2
"""


# One statement per column, each named in full so no column comes from the event's text.
UPDATE_ENTITY_COLUMN = {
    column: _update_entity(column)
    for column in ("name", "region_code", "credit_code", "park_kind", "owner_enterprise_id")
}

CLOSE_ENTITY = """
UPDATE registry_entities SET closed = true, updated_at = now()
WHERE entity_type = $1 AND entity_id = $2
"""

ENTITY = "SELECT * FROM registry_entities WHERE entity_type = $1 AND entity_id = $2"

RESIDENT_JOINED = """
INSERT INTO registry_residents (residence_id, park_id, enterprise_id, joined_on)
VALUES ($1, $2, $3, $4) ON CONFLICT (residence_id) DO NOTHING
"""

RESIDENT_LEFT = "UPDATE registry_residents SET left_on = $2 WHERE residence_id = $1"

CURRENT_RESIDENTS = """
SELECT r.enterprise_id, e.name, r.joined_on
FROM registry_residents r
LEFT JOIN registry_entities e ON e.entity_type = 'enterprise' AND e.entity_id = r.enterprise_id
WHERE r.park_id = $1 AND r.left_on IS NULL
ORDER BY r.joined_on, r.enterprise_id
"""

DESIGNATED_CATEGORIES = """
SELECT programme_id, category FROM designations
WHERE entity_type = $1 AND entity_id = $2 AND status = 'designated'
"""

# --- credit records --------------------------------------------------------------------------

INSERT_CREDIT_RECORD = """
INSERT INTO credit_records (record_id, entity_id, kind, valid_from, valid_to, source_document,
                            reported_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (record_id) DO UPDATE
SET entity_id = EXCLUDED.entity_id, kind = EXCLUDED.kind, valid_from = EXCLUDED.valid_from,
    valid_to = EXCLUDED.valid_to, source_document = EXCLUDED.source_document
RETURNING (xmax = 0) AS inserted
"""

CREDIT_RECORDS_OF = "SELECT * FROM credit_records WHERE entity_id = $1 ORDER BY valid_from"

APPLICATIONS_IN_PROGRESS_OF = """
SELECT id, workflow_id FROM applications
WHERE entity_id = $1 AND stage NOT IN ('designated', 'rejected', 'stopped')
"""

# --- experts and calendar --------------------------------------------------------------------

UPSERT_EXPERT = """
INSERT INTO experts (expert_id, name, region_code, declared_relations, active)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (expert_id) DO UPDATE
SET name = EXCLUDED.name, region_code = EXCLUDED.region_code,
    declared_relations = EXCLUDED.declared_relations, active = EXCLUDED.active
RETURNING *
"""

ACTIVE_EXPERTS = "SELECT * FROM experts WHERE active ORDER BY expert_id"

EXPERT = "SELECT * FROM experts WHERE expert_id = $1"
# Holds the version an If-Match was compared with until the replacement commits.
EXPERT_FOR_UPDATE = "SELECT * FROM experts WHERE expert_id = $1 FOR UPDATE"

# --- applications (read model) ---------------------------------------------------------------

INSERT_APPLICATION = """
INSERT INTO applications (id, workflow_id, programme_id, year, category, entity_type, entity_id,
                          entity_name, region_code, owner_enterprise_id, stage, waiting_on,
                          materials, submitted_by, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'city_review', 'city_bureau', $11, $12, $13)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""

APPLICATION = "SELECT * FROM applications WHERE id = $1"

APPLICATION_FOR_ROUND = """
SELECT * FROM applications
WHERE programme_id = $1 AND year = $2 AND category = $3 AND entity_type = $4 AND entity_id = $5
"""

# A step is written once (its seq is the workflow's): the insert decides whether to apply it.
INSERT_STEP = """
INSERT INTO application_steps (application_id, seq, step, stage_after, actor, role, reason,
                               detail, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (application_id, seq) DO NOTHING
RETURNING seq
"""

# A step of the timeline and the application's new stage, in one statement (one round trip on a
# step's path): the application changes only when the step is written now (INSERT_STEP's rule),
# and only forward (last_seq); a score step ($16, the expert) marks their seat scored with it
# (MARK_SCORED). The step's seq when it was written, nothing when it was already.
# A step, the application's new stage and (a card's step) its expert's seat scored, in one
# statement; the update and the seat only when the step was inserted now, the stage only forward.
_STEP_CTES = """
WITH written AS (
    INSERT INTO application_steps (application_id, seq, step, stage_after, actor, role, reason,
                                   detail, at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (application_id, seq) DO NOTHING
    RETURNING seq
), applied AS (
    UPDATE applications
    SET stage = $4, waiting_on = $10, last_seq = GREATEST(last_seq, $2), updated_at = now(),
        materials = COALESCE($11, materials), city_rank = COALESCE($12, city_rank),
        score = COALESCE($13, score), passed = COALESCE($14, passed),
        notice_last_day = COALESCE($15, notice_last_day)
    WHERE id = $1 AND last_seq < $2 AND EXISTS (SELECT FROM written)
    RETURNING id
), scored AS (
    UPDATE application_panel SET scored = true
    WHERE application_id = $1 AND expert_id = $16 AND EXISTS (SELECT FROM written)
    RETURNING expert_id
)"""
_WRITTEN_NOW = "EXISTS (SELECT FROM written)"
# The same with the step's events ($17-$24, ``outbox_arguments``) and its audit record
# ($25-$42, ``PendingRecord.arguments``), both only when the step is new: a step's whole write
# in one round trip, atomic without an explicit transaction.
WRITE_STEP = (
    _STEP_CTES
    + ",\n"
    + outbox.insert_cte("events", 17, when=_WRITTEN_NOW)
    + ",\n"
    + audit_queries.append_ctes(25, when=_WRITTEN_NOW)
    + "\nSELECT seq FROM written\n"
)

STEPS = "SELECT * FROM application_steps WHERE application_id = $1 ORDER BY seq"

# The last day a written step published its notice with (a retried plan_notice_with_step).
STEP_NOTICE_LAST_DAY = """
SELECT detail->>'notice_last_day' FROM application_steps WHERE application_id = $1 AND seq = $2
"""

# What waits for a role in a region subtree ($2: a LIKE pattern), or for an operator's
# enterprises ($3), or for an expert on a panel ($4), newest first.
WAITING = """
SELECT a.* FROM applications a
WHERE a.waiting_on = $1
  AND ($2::text IS NULL OR a.region_code LIKE $2)
  AND ($3::text[] IS NULL OR a.owner_enterprise_id = ANY($3))
  AND ($4::text IS NULL OR EXISTS (
        SELECT 1 FROM application_panel p
        WHERE p.application_id = a.id AND p.expert_id = $4 AND p.seated AND NOT p.scored))
  AND ($6::timestamptz IS NULL OR (a.updated_at, a.id) < ($6, $7::uuid))
ORDER BY a.updated_at DESC, a.id DESC
LIMIT $5
"""

# --- panel -----------------------------------------------------------------------------------

SEAT_EXPERT = """
INSERT INTO application_panel (application_id, expert_id) VALUES ($1, $2)
ON CONFLICT (application_id, expert_id) DO UPDATE SET seated = true, conflict = NULL
"""

UNSEAT_EXPERT = """
INSERT INTO application_panel (application_id, expert_id, seated, conflict)
VALUES ($1, $2, false, $3)
ON CONFLICT (application_id, expert_id) DO UPDATE SET seated = false, conflict = EXCLUDED.conflict
"""

MARK_SCORED = """
UPDATE application_panel SET scored = true WHERE application_id = $1 AND expert_id = $2
"""

PANEL = "SELECT * FROM application_panel WHERE application_id = $1 ORDER BY expert_id"

# --- designations ----------------------------------------------------------------------------

INSERT_DESIGNATION = """
INSERT INTO designations (id, application_id, programme_id, year, category, entity_type,
                          entity_id, entity_name, region_code, title, designated_on,
                          legal_basis, recommended_for_national)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (application_id) DO NOTHING
RETURNING *
"""

# The public list (公示后的认定名单): filters are optional; keyset on (designated_on, id).
DESIGNATIONS = """
SELECT * FROM designations
WHERE ($1::text IS NULL OR region_code LIKE $1)
  AND ($2::text IS NULL OR category = $2)
  AND ($3::int IS NULL OR year = $3)
  AND ($4::text IS NULL OR status = $4)
  AND ($5::text IS NULL OR programme_id = $5)
  AND ($7::date IS NULL OR (designated_on, id) < ($7, $8::uuid))
ORDER BY designated_on DESC, id DESC
LIMIT $6
"""
