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

INSERT_DECISION = """
INSERT INTO designation_standing (designation_id, seq, year, standing, step, reason, evidence,
                                  legal_basis, rectify_by, decided_by, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (designation_id, seq) DO NOTHING
RETURNING seq
"""

DECISION = """
SELECT standing, reason, rectify_by FROM designation_standing
WHERE designation_id = $1 AND seq = $2
"""

SET_STANDING = """
UPDATE designations
SET standing = $2, standing_year = $3, standing_seq = $4,
    status = CASE WHEN $2 = 'revoked' THEN 'revoked' ELSE 'designated' END
WHERE id = $1 AND standing_seq < $4
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
