"""All SQL of the submissions service, run on a connection whose caller owns the transaction."""

from shared.audit import queries as audit_queries
from shared.http.idempotency.store import claim_cte, lease_cte, lease_held
from shared.messaging import outbox

# Designations (the roster's source), kept from awards.designation.* events. A later event
# wins; on the same day a revocation wins, so a redelivered older event never undoes a newer.
UPSERT_GRANTED = """
INSERT INTO designations AS d (designation_id, programme_id, category, entity_type, entity_id,
                               region_code, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
ON CONFLICT (designation_id) DO UPDATE
SET designated_on = EXCLUDED.designated_on, region_code = EXCLUDED.region_code,
    revoked_on = NULL, revoke_reason = NULL, updated_at = now()
WHERE d.revoked_on IS NULL OR d.revoked_on < EXCLUDED.designated_on
RETURNING designation_id
"""
UPSERT_REVOKED = """
INSERT INTO designations AS d (designation_id, programme_id, category, entity_type, entity_id,
                               region_code, designated_on, revoked_on, revoke_reason)
VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)
ON CONFLICT (designation_id) DO UPDATE
SET revoked_on = EXCLUDED.revoked_on, revoke_reason = EXCLUDED.revoke_reason, updated_at = now()
WHERE d.revoked_on IS NULL OR d.revoked_on < EXCLUDED.revoked_on
RETURNING designation_id
"""
# Reinstated by the province: in force again when dated on or after its revocation (it follows
# the revocation on its key). Not revoked (a rectification in time): nothing, no row returned.
# A designation never seen is in force from the reinstatement day.
UPSERT_REINSTATED = """
INSERT INTO designations AS d (designation_id, programme_id, category, entity_type, entity_id,
                               region_code, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
ON CONFLICT (designation_id) DO UPDATE
SET revoked_on = NULL, revoke_reason = NULL, region_code = EXCLUDED.region_code,
    designated_on = coalesce(d.designated_on, EXCLUDED.designated_on), updated_at = now()
WHERE d.revoked_on IS NOT NULL AND d.revoked_on <= EXCLUDED.designated_on
RETURNING designation_id
"""
DESIGNATIONS_IN_FORCE = """
SELECT * FROM designations
WHERE programme_id = $1 AND category = ANY($2::text[])
  AND designated_on IS NOT NULL AND revoked_on IS NULL
ORDER BY designation_id
"""
# The programmes and categories with a designation in force: past a programme's period its
# open-ended windows run only while one is (submissions.domain.windows).
CATEGORIES_IN_FORCE = """
SELECT DISTINCT programme_id, category FROM designations
WHERE designated_on IS NOT NULL AND revoked_on IS NULL
"""

# Windows.
INSERT_WINDOW = """
INSERT INTO windows (id, programme_id, window_slug, year, status, opens_at, due_at, grace_until,
                     locks_at, opened_at, opened_by)
VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""
WINDOW = "SELECT * FROM windows WHERE id = $1"
WINDOW_FOR_UPDATE = "SELECT * FROM windows WHERE id = $1 FOR UPDATE"
# Keyset pagination, newest first by (opened_at, id).
WINDOWS_PAGE = """
SELECT * FROM windows
WHERE ($1::timestamptz IS NULL OR (opened_at, id) < ($1, $2::text))
ORDER BY opened_at DESC, id DESC
LIMIT $3
"""
OPEN_WINDOWS_OF_PROGRAMME = """
SELECT * FROM windows WHERE programme_id = $1 AND status = 'open' ORDER BY id FOR UPDATE
"""
LOCK_WINDOW = """
UPDATE windows SET status = 'locked', locked_at = $2 WHERE id = $1 AND status = 'open'
RETURNING *
"""

# The roster.
INSERT_ROSTER_ENTRIES = """
INSERT INTO roster_entries (window_id, designation_id, entity_type, entity_id, category,
                            region_code, city_code, county_code, due_at, expected_from,
                            expected_until)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
ON CONFLICT (window_id, designation_id) DO UPDATE
SET due_at = EXCLUDED.due_at, expected_from = EXCLUDED.expected_from,
    expected_until = EXCLUDED.expected_until
"""
INSERT_ROSTER_CHANGES = """
INSERT INTO roster_changes (window_id, designation_id, kind, at, due_at, reason)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                         $6::text[])
"""
ROSTER_ENTRIES = "SELECT * FROM roster_entries WHERE window_id = $1 ORDER BY designation_id"
ROSTER_ENTRY = "SELECT * FROM roster_entries WHERE window_id = $1 AND designation_id = $2"
ROSTER_CHANGES = "SELECT * FROM roster_changes WHERE window_id = $1 ORDER BY id"


def _window_page(table: str) -> str:
    """A page of ``table``'s rows of window $1 by designation (the primary key's order) after
    $2, at most $3, filtered in SQL to what the caller may see so that every page is a full one:
    $4 everything, $5 region LIKE patterns, $6 own entities."""
    return f"""
SELECT * FROM {table}
WHERE window_id = $1 AND ($2::text IS NULL OR designation_id > $2)
  AND ($4::boolean OR region_code LIKE ANY($5::text[]) OR entity_id = ANY($6::text[]))
ORDER BY designation_id
LIMIT $3
"""


# The roster a page at a time; then the changes of that page's entries.
ROSTER_ENTRIES_PAGE = _window_page("roster_entries")
ROSTER_CHANGES_OF = """
SELECT * FROM roster_changes WHERE window_id = $1 AND designation_id = ANY($2::text[])
ORDER BY designation_id, id
"""

REPORT_FOR_UPDATE = """
SELECT * FROM reports WHERE window_id = $1 AND designation_id = $2 FOR UPDATE
"""
REPORT = "SELECT * FROM reports WHERE window_id = $1 AND designation_id = $2"
REPORTS_PAGE = _window_page("reports")
REPORT_STATUSES = """
SELECT designation_id, state, first_submitted_at FROM reports WHERE window_id = $1
"""
# Everything a submission checks, in one round trip: the window, the reporter's roster entry
# (NULL columns when it is not on the roster), its granted due times, its lock exceptions, and
# last year's accepted figures (the change warning); whether the reporter has a report in the
# window yet (``FIRST_SUBMISSION``, unlocked: a hint, not a decision). Last year's report is found by its key
# (the previous window, at most one by its unique key, and the designation), so the plan
# probes the unique index whatever the table's statistics: joined to the windows instead, the
# generic plan a pooled connection keeps was made while the rush's reports table was nearly
# empty, and scanned every report on each submission (a cost growing with the rush).
# ``read_at``, the database's time: a new report's creation time (``FIRST_SUBMISSION``), so
# that its answer is known before it is written.
SUBMISSION_CONTEXT = """
SELECT w.*, e.designation_id AS entry_designation_id, e.entity_type, e.entity_id, e.category,
       e.region_code, e.city_code, e.county_code, e.due_at AS entry_due_at, e.expected_from,
       e.expected_until,
       (SELECT coalesce(array_agg(x.new_due_at), '{}') FROM extensions x
        WHERE x.window_id = w.id AND x.designation_id = $2 AND x.status = 'granted') AS extended,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'granted_by', l.granted_by, 'reason', l.reason,
                   'starts_at', extract(epoch FROM l.starts_at),
                   'ends_at', extract(epoch FROM l.ends_at))), '[]')
        FROM lock_exceptions l WHERE l.window_id = w.id AND l.designation_id = $2) AS exceptions,
       (SELECT v.figures FROM reports r
        JOIN report_versions v ON v.report_id = r.id
        WHERE r.window_id = (SELECT pw.id FROM windows pw
                             WHERE pw.programme_id = w.programme_id
                               AND pw.window_slug = w.window_slug AND pw.year = w.year - 1)
          AND r.designation_id = $2 AND r.state = 'accepted'
        ORDER BY v.number DESC LIMIT 1) AS last_figures,
       EXISTS (SELECT 1 FROM reports r WHERE r.window_id = w.id AND r.designation_id = $2)
           AS has_report,
       now() AS read_at
FROM windows w
LEFT JOIN roster_entries e ON e.window_id = w.id AND e.designation_id = $2
WHERE w.id = $1
"""
# The reporter's report, created as a draft on its first submission, locked either way (the
# no-op DO UPDATE takes the row lock); ``inserted`` says whether it is new.
UPSERT_REPORT = """
INSERT INTO reports AS r (id, window_id, designation_id, entity_id, region_code, city_code, state)
VALUES ($1, $2, $3, $4, $5, $6, 'draft')
ON CONFLICT (window_id, designation_id) DO UPDATE SET state = r.state
RETURNING *, (xmax = 0) AS inserted
"""
# A version, its step and the report's new state in one statement; the reporter's draft, if
# any, goes with it (the submission replaces it).
_SUBMISSION_CTES = """
WITH draft AS (
    DELETE FROM report_drafts d USING reports r
    WHERE r.id = $1 AND d.window_id = r.window_id AND d.designation_id = r.designation_id
), version AS (
    INSERT INTO report_versions (report_id, number, submitted_at, submitted_by, submitted_role,
                                 on_behalf, figures, explanations, warnings)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
), step AS (
    INSERT INTO review_steps (report_id, action, actor, actor_role, at, from_state, to_state,
                              version, reason, field_comments, on_behalf)
    VALUES ($1, 'submit', $4, $5, $3, $10, $11, $2, NULL, '{}', $6)
)"""
_SUBMISSION_UPDATE = """
UPDATE reports
SET state = $11, revision = revision + 1, updated_at = now(),
    first_submitted_at = coalesce(first_submitted_at, $3)
WHERE id = $1
RETURNING *
"""
SAVE_SUBMISSION = _SUBMISSION_CTES + _SUBMISSION_UPDATE
# The same with the submission's events into the outbox ($12-$19, ``outbox_arguments``): the
# rush's path, one round trip for the version, its step, the report and its events.
SAVE_SUBMISSION_WITH_EVENTS = (
    _SUBMISSION_CTES + ",\n" + outbox.insert_cte("events", 12) + _SUBMISSION_UPDATE
)
# A reporter's first submission when the context found no report: the report created as the
# submission leaves it (UPSERT_REPORT's draft at revision 1, then SAVE_SUBMISSION's step: revision
# 2, submitted, first submitted at the version's time), its version, step and events, and the
# reporter's draft deleted, in one statement ($12-$16 the report's window, designation, entity,
# region and city; the events from $17, the audit record from $25, the route's Idempotency-Key
# claim from $43, the report's creation time $50). One round trip and one row
# update fewer than the upsert and the save, and the audit record's own statement fewer; the
# report row's foreign key is checked once, not again for an update of a row this transaction
# inserted. ON CONFLICT DO NOTHING: when another transaction created
# the report meanwhile, nothing is written and the row's columns are NULL; the caller then takes
# the report as UPSERT_REPORT does (locked) and decides again. The route runs it as its own
# transaction (no BEGIN, no COMMIT). With a key ($43-$45) it writes only while the key's row,
# locked first, carries the request's lease (``superseded`` when not: nothing written), and
# then claims it (``key_claimed``) with the answer ($46-$48) rendered before it ran; a key not
# reserved ahead (its request's hash $49) is inserted with the report instead, and a row
# already there fails the statement, nothing written (``raising_key_taken``).
FIRST_SUBMISSION = (
    "WITH "
    + lease_cte("lease", 43)
    + """, report AS (
    INSERT INTO reports AS r (id, window_id, designation_id, entity_id, region_code, city_code,
                              state, revision, first_submitted_at, created_at, updated_at)
    SELECT $1, $12, $13, $14, $15, $16, $11, 2, $3, $50, $50
    WHERE """
    + lease_held("lease", 43)
    + """
    ON CONFLICT (window_id, designation_id) DO NOTHING
    RETURNING *
), draft AS (
    DELETE FROM report_drafts d USING report r
    WHERE d.window_id = r.window_id AND d.designation_id = r.designation_id
), version AS (
    INSERT INTO report_versions (report_id, number, submitted_at, submitted_by, submitted_role,
                                 on_behalf, figures, explanations, warnings)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM report
), step AS (
    INSERT INTO review_steps (report_id, action, actor, actor_role, at, from_state, to_state,
                              version, reason, field_comments, on_behalf)
    SELECT $1, 'submit', $4, $5, $3, $10, $11, $2, NULL, '{}', $6 FROM report
),
"""
    + outbox.insert_cte("events", 17, when="EXISTS (SELECT FROM report)")
    + ",\n"
    + audit_queries.append_ctes(25, when="EXISTS (SELECT FROM report)")
    + ",\n"
    + claim_cte("key_claim", 43, when="EXISTS (SELECT FROM report)")
    + """
SELECT report.*, EXISTS (SELECT FROM key_claim) AS key_claimed,
       NOT """
    + lease_held("lease", 43)
    + """ AS superseded
FROM (SELECT) AS one LEFT JOIN report ON true
"""
)
SAVE_REVIEW = """
WITH step AS (
    INSERT INTO review_steps (report_id, action, actor, actor_role, at, from_state, to_state,
                              version, reason, field_comments, on_behalf)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false)
)
UPDATE reports SET state = $7, revision = revision + 1, updated_at = now()
WHERE id = $1
RETURNING *
"""
VERSIONS = "SELECT * FROM report_versions WHERE report_id = $1 ORDER BY number"
VERSION = "SELECT * FROM report_versions WHERE report_id = $1 AND number = $2"
# A page of a report's versions, oldest first, after version number $2 (NULL: from the first).
# Numbers are unique per report and never change, so they are the whole keyset.
VERSIONS_PAGE = """
SELECT * FROM report_versions
WHERE report_id = $1 AND ($2::bigint IS NULL OR number > $2)
ORDER BY number
LIMIT $3
"""
STEPS = "SELECT * FROM review_steps WHERE report_id = $1 ORDER BY id"

# Extensions and lock exceptions.
INSERT_EXTENSION = """
INSERT INTO extensions (id, window_id, designation_id, city_code, requested_by, requested_role,
                        requested_at, reason, requested_due_at, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested')
RETURNING *
"""
EXTENSION_FOR_UPDATE = "SELECT * FROM extensions WHERE window_id = $1 AND id = $2 FOR UPDATE"
DECIDE_EXTENSION = """
UPDATE extensions SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5,
                      new_due_at = $6
WHERE id = $1
RETURNING *
"""
EXTENSIONS = "SELECT * FROM extensions WHERE window_id = $1 ORDER BY requested_at, id"
# A page of the window's extensions the caller may see, in the order they were requested,
# after ($2 requested_at, $3 id; NULL: from the first). Who may see one is who may see its
# reporter's roster entry, as REPORTS_PAGE ($5 everything, $6 region LIKE patterns, $7 own
# entities), decided here so that a page holds ``limit`` visible rows, not fewer.
EXTENSIONS_PAGE = """
SELECT x.* FROM extensions x
JOIN roster_entries e ON e.window_id = x.window_id AND e.designation_id = x.designation_id
WHERE x.window_id = $1
  AND ($2::timestamptz IS NULL OR (x.requested_at, x.id) > ($2::timestamptz, $3::uuid))
  AND ($5::boolean OR e.region_code LIKE ANY($6::text[]) OR e.entity_id = ANY($7::text[]))
ORDER BY x.requested_at, x.id
LIMIT $4
"""
INSERT_LOCK_EXCEPTION = """
INSERT INTO lock_exceptions (id, window_id, designation_id, granted_by, reason, starts_at, ends_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *
"""

# The deadline clock: the primary key (window, point) makes each point happen once.
RECORD_CLOCK_POINT = """
INSERT INTO clock_points (window_id, point_key, outcome, point_at, late)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (window_id, point_key) DO NOTHING
RETURNING point_key
"""
CLOCK_POINTS = "SELECT * FROM clock_points WHERE window_id = $1 ORDER BY point_at"

# Drafts (migration 0002): replaced on each save, read with the roster entry that scopes them.
SAVE_DRAFT = """
INSERT INTO report_drafts AS d (window_id, designation_id, figures, explanations, saved_by,
                                saved_role, saved_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (window_id, designation_id) DO UPDATE
SET figures = EXCLUDED.figures, explanations = EXCLUDED.explanations,
    saved_by = EXCLUDED.saved_by, saved_role = EXCLUDED.saved_role,
    saved_at = EXCLUDED.saved_at, revision = d.revision + 1
RETURNING *
"""
DRAFT_REVISION = """
SELECT revision FROM report_drafts WHERE window_id = $1 AND designation_id = $2 FOR UPDATE
"""

DRAFT = """
SELECT d.*, e.region_code, e.entity_id, e.city_code
FROM report_drafts d
JOIN roster_entries e ON e.window_id = d.window_id AND e.designation_id = d.designation_id
WHERE d.window_id = $1 AND d.designation_id = $2
"""

# Attachments: blobs by content (stored once), linked to a report (db/attachments.py).
PUT_ATTACHMENT_BLOB = """
INSERT INTO attachment_blobs (sha256, content_type, size_bytes, content)
VALUES ($1, $2, $3, $4)
ON CONFLICT (sha256) DO NOTHING
"""
ATTACHMENT_BLOB = "SELECT content_type, content FROM attachment_blobs WHERE sha256 = $1"
LINK_ATTACHMENT = """
INSERT INTO report_attachments (report_id, sha256, filename, added_by, added_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (report_id, sha256) DO NOTHING
RETURNING 1
"""
REPORT_ATTACHMENT = """
SELECT a.sha256, a.filename, a.added_by, a.added_at, b.content_type, b.size_bytes
FROM report_attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256
WHERE a.report_id = $1 AND a.sha256 = $2
"""
# A page of a report's attachments in the order they were added, after ($2 added_at,
# $3 sha256; NULL: from the first). Files added in one moment are told apart by their digest,
# unique per report, so the order is total.
REPORT_ATTACHMENTS_PAGE = """
SELECT a.sha256, a.filename, a.added_by, a.added_at, b.content_type, b.size_bytes
FROM report_attachments a JOIN attachment_blobs b ON b.sha256 = a.sha256
WHERE a.report_id = $1
  AND ($2::timestamptz IS NULL OR (a.added_at, a.sha256) > ($2::timestamptz, $3::text))
ORDER BY a.added_at, a.sha256
LIMIT $4
"""
