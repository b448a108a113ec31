-- Idempotency-Key reservations get a lease and a fencing token (shared/http/idempotency.py):
-- a reservation whose process died may be taken over once its lease lapses, and a route's
-- transaction marks the key applied only while it still holds the lease it was given.

-- Rows written before this change were partitioned by an unverified "sub" claim; they cannot
-- be trusted to belong to their partition, so they go (a key lasts 24 hours anyway).
DELETE FROM idempotency_keys;

ALTER TABLE idempotency_keys
    ADD COLUMN lease_token      uuid,
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN applied_at       timestamptz;
