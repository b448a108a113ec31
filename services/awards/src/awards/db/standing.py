"""All SQL of dynamic management (the designation's standing and the annual-report facts)."""

DESIGNATION = """
SELECT * FROM designations WHERE id = $1
"""

# --- annual report facts, from submissions events ------------------------------------------

REPORT_SUBMITTED = """
INSERT INTO annual_reports (designation_id, window_id, year, report_id, first_submitted_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (designation_id, window_id) DO UPDATE
SET first_submitted_at = LEAST(annual_reports.first_submitted_at, EXCLUDED.first_submitted_at)
"""

REPORT_ACCEPTED = """
INSERT INTO annual_reports (designation_id, window_id, year, report_id, accepted_version,
                            accepted_figures, accepted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (designation_id, window_id) DO UPDATE
SET accepted_version = EXCLUDED.accepted_version, accepted_figures = EXCLUDED.accepted_figures,
    accepted_at = EXCLUDED.accepted_at
WHERE annual_reports.accepted_version IS NULL
   OR annual_reports.accepted_version <= EXCLUDED.accepted_version
"""

ANNUAL_REPORT = """
SELECT first_submitted_at, accepted_figures FROM annual_reports
WHERE designation_id = $1 AND window_id = $2
"""

# --- decisions -------------------------------------------------------------------------------

# Everything the decisions asked read, in one round trip: each designation, the decision of
# the number asked if a retried activity wrote it already, and the report facts of the window
# judged (NULL when the decision judges no report). At 10,000 designations evaluated at once
# the round trips of these transactions were a sixth of the worker's time (the designations
# benchmark, docs/awards.md).
DECISION_INPUTS = """
SELECT d.*, asked.seq AS seq_asked,
       s.seq IS NOT NULL AS decided, s.standing AS decided_standing, s.reason AS decided_reason,
       s.rectify_by AS decided_rectify_by,
       r.designation_id IS NOT NULL AS reported, r.first_submitted_at, r.accepted_figures
FROM unnest($1::uuid[], $2::int[], $3::text[]) AS asked (id, seq, window_id)
JOIN designations d ON d.id = asked.id
LEFT JOIN designation_standing s ON s.designation_id = d.id AND s.seq = asked.seq
LEFT JOIN annual_reports r ON r.designation_id = d.id::text AND r.window_id = asked.window_id
"""

# The decisions' rows and each designation's current standing, in one statement (a retried
# decision inserts nothing, and a standing moves only forward by number).
RECORD_DECISIONS = """
WITH made AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::date[], $10::text[], $11::timestamptz[])
        AS m (designation_id, seq, year, standing, step, reason, evidence, legal_basis,
              rectify_by, decided_by, decided_at)
), inserted AS (
    INSERT INTO designation_standing (designation_id, seq, year, standing, step, reason,
                                      evidence, legal_basis, rectify_by, decided_by, decided_at)
    SELECT designation_id, seq, year, standing, step, reason, evidence::jsonb, legal_basis,
           rectify_by, decided_by, decided_at
    FROM made
    ON CONFLICT (designation_id, seq) DO NOTHING
)
UPDATE designations d
SET standing = latest.standing, standing_year = latest.year, standing_seq = latest.seq,
    status = CASE WHEN latest.standing = 'revoked' THEN 'revoked' ELSE 'designated' END
FROM (
    SELECT DISTINCT ON (designation_id) designation_id, seq, year, standing
    FROM made ORDER BY designation_id, seq DESC
) latest
WHERE d.id = latest.designation_id AND d.standing_seq < latest.seq
"""

STANDING_LIST = """
SELECT d.id, d.programme_id, d.category, d.entity_type, d.entity_id, d.entity_name,
       d.region_code, d.title, d.status, s.year, s.standing, s.step, s.reason, s.evidence,
       s.legal_basis, s.rectify_by, s.decided_by, s.decided_at
FROM designations d
LEFT JOIN LATERAL (
    SELECT * FROM designation_standing x
    WHERE x.designation_id = d.id AND x.year <= $2
    ORDER BY x.seq DESC LIMIT 1
) s ON true
WHERE d.programme_id = $1 AND d.year <= $2
  AND ($3::text IS NULL OR d.region_code LIKE $3)
  AND ($5::uuid IS NULL OR d.id > $5)
ORDER BY d.id
LIMIT $4
"""

ACTIVE_DESIGNATIONS = """
SELECT id FROM designations
WHERE programme_id = $1 AND year <= $2 AND status = 'designated'
"""

DESIGNATIONS_OF_ENTITY = """
SELECT id FROM designations WHERE entity_id = $1 AND status = 'designated'
"""
