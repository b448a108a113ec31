"""All SQL of statistics monitoring, run on a connection whose caller owns the transaction."""

UPSERT_REPORT = """
INSERT INTO statistics_reports (id, programme_id, period, reporter_id, reporter_kind,
                                region_code, city_code, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft')
ON CONFLICT (programme_id, period, reporter_id) DO UPDATE SET updated_at = now()
RETURNING *, (xmax = 0) AS inserted
"""
REPORT = """
SELECT * FROM statistics_reports WHERE programme_id = $1 AND period = $2 AND reporter_id = $3
"""
REPORT_FOR_UPDATE = """
SELECT * FROM statistics_reports WHERE programme_id = $1 AND period = $2 AND reporter_id = $3
FOR UPDATE
"""
SAVE_REPORT = """
UPDATE statistics_reports
SET state = $2, revision = revision + 1, accepted_version = $3,
    first_submitted_at = COALESCE(first_submitted_at, $4), updated_at = now()
WHERE id = $1
RETURNING *
"""
VERSIONS = "SELECT * FROM statistics_versions WHERE report_id = $1 ORDER BY number"
INSERT_VERSION = """
INSERT INTO statistics_versions (report_id, number, submitted_at, submitted_by, submitted_role,
                                 on_behalf, figures)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
STEPS = "SELECT * FROM statistics_steps WHERE report_id = $1 ORDER BY id"
INSERT_STEP = """
INSERT INTO statistics_steps (report_id, action, actor, actor_role, at, from_state, to_state,
                              version, reason, field_comments, on_behalf)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""
DELETE_FIGURES = """
DELETE FROM statistics_figures WHERE programme_id = $1 AND period = $2 AND reporter_id = $3
"""
INSERT_FIGURES = """
INSERT INTO statistics_figures (programme_id, period, reporter_id, reporter_kind, region_code,
                                indicator, key, value)
SELECT $1, $2, $3, $4, $5, split_part(k, '.', 1), k, v
FROM unnest($6::text[], $7::numeric[]) AS f (k, v)
"""
# The figures in force of some indicators and periods inside a region subtree, with whether
# each is still provisional (its report not accepted, or a correction under review).
FIGURES = """
SELECT f.reporter_id, f.reporter_kind, f.region_code, f.period, f.key, f.value,
       r.state <> 'accepted' AS provisional
FROM statistics_figures f
JOIN statistics_reports r
  ON r.programme_id = f.programme_id AND r.period = f.period AND r.reporter_id = f.reporter_id
WHERE f.programme_id = $1 AND f.indicator = ANY($2::text[]) AND f.period = ANY($3::text[])
  AND f.region_code LIKE $4
"""
# Reports of the period in the region, by state: the completeness of the underlying reports.
REPORT_STATES = """
SELECT reporter_kind, state, count(*) AS reports
FROM statistics_reports
WHERE programme_id = $1 AND period = $2 AND region_code LIKE $3
GROUP BY reporter_kind, state
"""
# The published view's three reads in one statement, one round trip instead of three: the
# figures in force inside the jurisdiction (FIGURES, part 0), the reports of the period in the
# region by kind and state (REPORT_STATES, part 1; the state in ``key``, the count in ``n``)
# and the roster's expected and missing reporters in the region by kind (ROSTER_COUNTS,
# part 2). The counts come in the order of their kinds: alone, their order was their
# aggregate's plan's (hashed or sorted), so an unchanged view could change its completeness
# keys' order, and its ETag, with the connection's plan. $1 programme, $2 indicators,
# $3 periods, $4 the jurisdiction's LIKE pattern, $5 the period, $6 the region's LIKE pattern,
# $7 the period's opening (the roster's instant).
# ``tests/integration/submissions/test_statistics.py`` compares it with the three statements.
PUBLISHED_VIEW = """
SELECT 0 AS part, f.reporter_id, f.reporter_kind, f.region_code, f.period, f.key, f.value,
       r.state <> 'accepted' AS provisional, NULL::bigint AS n, NULL::bigint AS missing
FROM statistics_figures f
JOIN statistics_reports r
  ON r.programme_id = f.programme_id AND r.period = f.period AND r.reporter_id = f.reporter_id
WHERE f.programme_id = $1 AND f.indicator = ANY($2::text[]) AND f.period = ANY($3::text[])
  AND f.region_code LIKE $4
UNION ALL
(SELECT 1, NULL, reporter_kind, NULL, NULL, state, NULL, NULL, count(*), NULL
 FROM statistics_reports
 WHERE programme_id = $1 AND period = $5 AND region_code LIKE $6
 GROUP BY reporter_kind, state
 ORDER BY reporter_kind, state)
UNION ALL
(SELECT 2, NULL, g.reporter_kind, NULL, NULL, NULL, NULL, NULL, count(*),
        count(*) FILTER (WHERE r.id IS NULL)
 FROM statistics_reporters g
 LEFT JOIN statistics_reports r
   ON r.programme_id = g.programme_id AND r.period = $5 AND r.reporter_id = g.reporter_id
 WHERE g.programme_id = $1 AND g.registered_at <= $7
   AND (g.removed_at IS NULL OR g.removed_at > $7) AND g.region_code LIKE $6
 GROUP BY g.reporter_kind
 ORDER BY g.reporter_kind)
"""
NEXT_PUBLICATION = """
INSERT INTO statistics_publications (programme_id, period, revision, published_at, report_id)
SELECT $1, $2, COALESCE(max(revision), 0) + 1, $3, $4
FROM statistics_publications WHERE programme_id = $1 AND period = $2
RETURNING revision
"""
LOCK_PERIOD = "SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))"

# The roster: registrations of expected reporters; a period's roster is those open at $3
# (the period's opening).
REGISTER_REPORTER = """
INSERT INTO statistics_reporters (programme_id, reporter_id, reporter_kind, region_code,
                                  city_code, registered_at, registered_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (programme_id, reporter_id) WHERE removed_at IS NULL DO NOTHING
RETURNING *
"""
OPEN_REGISTRATION = """
SELECT * FROM statistics_reporters
WHERE programme_id = $1 AND reporter_id = $2 AND removed_at IS NULL
FOR UPDATE
"""
CLOSE_REGISTRATION = """
UPDATE statistics_reporters SET removed_at = $2, removed_by = $3 WHERE id = $1 RETURNING *
"""
_ROSTER = """
FROM statistics_reporters g
LEFT JOIN statistics_reports r
  ON r.programme_id = g.programme_id AND r.period = $2 AND r.reporter_id = g.reporter_id
WHERE g.programme_id = $1 AND g.registered_at <= $3 AND (g.removed_at IS NULL OR g.removed_at > $3)
"""
ROSTER_PAGE = (
    "SELECT g.reporter_id, g.reporter_kind, g.region_code, g.city_code, g.registered_at, "
    "r.state, r.first_submitted_at"
    + _ROSTER
    + """  AND ($4::text IS NULL OR g.reporter_id > $4)
  AND ($6::boolean OR g.region_code LIKE ANY($7::text[]) OR g.reporter_id = ANY($8::text[]))
ORDER BY g.reporter_id
LIMIT $5
"""
)
# Per reporter kind inside a region subtree ($4: a LIKE pattern): expected and missing.
ROSTER_COUNTS = (
    "SELECT g.reporter_kind, count(*) AS expected, count(*) FILTER (WHERE r.id IS NULL) AS missing"
    + _ROSTER
    + "  AND g.region_code LIKE $4\nGROUP BY g.reporter_kind\n"
)
# Every reporter of the period's roster with no report yet ($4: a LIKE pattern).
ROSTER_MISSING = (
    "SELECT g.reporter_id, g.city_code" + _ROSTER + "  AND r.id IS NULL AND g.region_code LIKE $4\n"
    "ORDER BY g.city_code, g.reporter_id\n"
)

# The statistics deadline clock: one clock per programme, one row per handled point.
LOCK_CLOCK = "SELECT pg_advisory_xact_lock(hashtext('statistics-clock/' || $1))"
CLOCK_POINTS = """
SELECT period, point_key, outcome FROM statistics_clock_points WHERE programme_id = $1
"""
RECORD_CLOCK_POINT = """
INSERT INTO statistics_clock_points (programme_id, period, point_key, outcome, point_at, late)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (programme_id, period, point_key) DO NOTHING
RETURNING point_key
"""
