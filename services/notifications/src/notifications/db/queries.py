"""All SQL of the notifications service."""

INSERT_NOTIFICATION = """
INSERT INTO notifications (id, recipient_region, recipient_role, kind, title, body,
                           subject_type, subject_id, source_event_id, trace_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT DO NOTHING
"""

# Keyset pagination, newest first: the cursor carries (created_at, id) of the last item.
# A caller reads what is addressed to one of its (region, role) pairs ($1, $6 side by side).
LIST_FOR_ADDRESSES = """
SELECT * FROM notifications
WHERE (recipient_region, recipient_role) IN (SELECT * FROM unnest($1::text[], $6::text[]))
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
  AND ($5::text IS NULL OR subject_id = $5)
ORDER BY created_at DESC, id DESC
LIMIT $4
"""
