"""All SQL of the registry service."""

INSERT_ENTERPRISE = """
INSERT INTO enterprises (id, credit_code, credit_code_override, name, region_code, kinds,
                         contact_phone, contact_email, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *
"""

ENTERPRISE_BY_ID = "SELECT * FROM enterprises WHERE id = $1"

ENTERPRISE_BY_CREDIT_CODE = "SELECT id, name FROM enterprises WHERE credit_code = $1"

INSERT_CHANGE = """
INSERT INTO entity_changes (entity_type, entity_id, version, action, changed_by, old_values, new_values)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
