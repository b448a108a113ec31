"""SQL shared by the registry's record types (record types' own SQL: ``entity_queries``), the
park residents', the enterprises' statistics-list years, and the tables the consumer keeps
(demonstration status, published statistics)."""

INSERT_CHANGE = """
INSERT INTO entity_changes (entity_type, entity_id, version, action, changed_by, old_values, new_values)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

# Park and base residents (004 附件7).
INSERT_RESIDENT = """
INSERT INTO park_residents (id, park_id, enterprise_id, joined_on, created_by)
VALUES ($1, $2, $3, $4, $5) RETURNING *
"""
LEAVE_PARK = """
UPDATE park_residents SET left_on = $3
WHERE id = $1 AND park_id = $2 AND left_on IS NULL
RETURNING *
"""
RESIDENT = "SELECT * FROM park_residents WHERE id = $1 AND park_id = $2"
# A page of a park's residents ($2: former ones too) in the order they joined, after the
# position ($4 joined_on, $5 id; NULL: from the first). The id breaks ties between residents
# who joined the same day, so the order is total and pages neither skip nor repeat one.
RESIDENTS_PAGE = """
SELECT * FROM park_residents
WHERE park_id = $1 AND ($2::bool OR left_on IS NULL)
  AND ($4::date IS NULL OR (joined_on, id) > ($4::date, $5::uuid))
ORDER BY joined_on, id
LIMIT $3
"""

# Enterprises in the statistics list (限额以上/上规入统), year by year.
UPSERT_STATISTICS_YEAR = """
INSERT INTO enterprise_statistics_years (enterprise_id, year, in_list) VALUES ($1, $2, $3)
ON CONFLICT (enterprise_id, year) DO UPDATE SET in_list = EXCLUDED.in_list
"""
STATISTICS_YEAR = (
    "SELECT in_list FROM enterprise_statistics_years WHERE enterprise_id = $1 AND year = $2"
)
STATISTICS_YEARS = (
    "SELECT year, in_list FROM enterprise_statistics_years WHERE enterprise_id = $1 ORDER BY year"
)

# Demonstration status, from the awards service's designation events (the rules of their order:
# ``registry.handlers.designations``). Parameters: entity type, entity id, programme, category,
# region, the event's day.
GRANT = """
INSERT INTO demonstration_status AS s (entity_type, entity_id, programme_id, category, region_code,
                                       status, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, 'designated', $6, NULL)
ON CONFLICT (entity_type, entity_id, programme_id, category) DO UPDATE
SET status = 'designated', designated_on = EXCLUDED.designated_on, revoked_on = NULL,
    reinstated_on = NULL, region_code = EXCLUDED.region_code, updated_at = now()
WHERE (s.status = 'designated' AND s.designated_on <= EXCLUDED.designated_on)
   OR (s.status = 'revoked' AND s.revoked_on < EXCLUDED.designated_on)
"""

REVOKE = """
INSERT INTO demonstration_status AS s (entity_type, entity_id, programme_id, category, region_code,
                                       status, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, 'revoked', NULL, $6)
ON CONFLICT (entity_type, entity_id, programme_id, category) DO UPDATE
SET status = 'revoked', revoked_on = EXCLUDED.revoked_on, updated_at = now()
WHERE (s.status = 'designated' AND s.designated_on <= EXCLUDED.revoked_on
       AND (s.reinstated_on IS NULL OR s.reinstated_on <= EXCLUDED.revoked_on))
   OR (s.status = 'revoked' AND s.revoked_on < EXCLUDED.revoked_on)
"""

# A row never seen (the grant came before this consumer listened) is designated from the
# reinstatement's day, the first day the registry knows it held the title.
REINSTATE = """
INSERT INTO demonstration_status AS s (entity_type, entity_id, programme_id, category, region_code,
                                       status, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, 'designated', $6, NULL)
ON CONFLICT (entity_type, entity_id, programme_id, category) DO UPDATE
SET status = 'designated', revoked_on = NULL, reinstated_on = EXCLUDED.designated_on,
    designated_on = coalesce(s.designated_on, EXCLUDED.designated_on),
    region_code = EXCLUDED.region_code, updated_at = now()
WHERE s.status = 'revoked' AND s.revoked_on <= EXCLUDED.designated_on
"""

# Every designation event applied, for the designations in force on a past day (target
# progress, ``registry.db.targets``). Parameters as above, then the kind and the designation id.
RECORD_DESIGNATION_EVENT = """
INSERT INTO demonstration_events (entity_type, entity_id, programme_id, category, region_code,
                                  day, kind, designation_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT DO NOTHING
"""

# Published statistics (submissions.statistics.published): the highest revision of a period.
CLAIM_REVISION = """
INSERT INTO published_statistics_revisions AS r (programme_id, period, revision, published_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (programme_id, period) DO UPDATE
SET revision = EXCLUDED.revision, published_at = EXCLUDED.published_at
WHERE r.revision < EXCLUDED.revision
RETURNING revision
"""
DELETE_PERIOD = "DELETE FROM published_statistics WHERE programme_id = $1 AND period = $2"
INSERT_FIGURES = """
INSERT INTO published_statistics (programme_id, period, period_kind, period_start, indicator,
                                  region_code, level, basis, value, provisional)
SELECT $1, $2, $3, $4, f.indicator, f.region_code, f.level, f.basis, f.value, f.provisional
FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::bool[])
     AS f (indicator, region_code, level, basis, value, provisional)
"""
