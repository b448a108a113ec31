"""SQL shared by the registry's record types (record types' own SQL: ``entity_queries``), and
the park residents'."""

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
