"""SQL shared by the registry's record types (record types' own SQL: ``entity_queries``)."""

INSERT_CHANGE = """
INSERT INTO entity_changes (entity_type, entity_id, version, action, changed_by, old_values, new_values)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
