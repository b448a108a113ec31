"""All SQL of the notifications service."""

INSERT_NOTIFICATION = """
INSERT INTO notifications (id, recipient_region, recipient_role, kind, title, body,
                           subject_type, subject_id, source_event_id, trace_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT DO NOTHING
"""

# What the inbox shows of a notification: its own columns and the caller's read state ($8 /
# $2: the reader, issuer|subject).
INBOX_COLUMNS = """
n.id, n.recipient_region, n.recipient_role, n.recipient_enterprise, n.kind, n.title, n.body,
n.subject_type, n.subject_id, n.trace_id, n.created_at, n.acknowledged_at, n.delivery_id,
r.read_at
"""

# Keyset pagination, newest first: the cursor carries (created_at, id) of the last item.
# A caller reads what is addressed to one of its (region, role) pairs ($1, $6 side by side)
# or to one of its enterprises ($7: an operator's own notices); $9: only what it has not read.
LIST_FOR_ADDRESSES = f"""
SELECT {INBOX_COLUMNS}
FROM notifications n
LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = $8
WHERE ((n.recipient_region, n.recipient_role) IN (SELECT * FROM unnest($1::text[], $6::text[]))
       OR n.recipient_enterprise = ANY($7::text[]))
  AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2, $3::uuid))
  AND ($5::text IS NULL OR n.subject_id = $5)
  AND (NOT $9::boolean OR r.read_at IS NULL)
ORDER BY n.created_at DESC, n.id DESC
LIMIT $4
"""

INSERT_INBOX_ITEM = """
INSERT INTO notifications (id, recipient_region, recipient_role, recipient_enterprise, kind,
                           title, body, subject_type, subject_id, source_event_id, trace_id,
                           delivery_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT DO NOTHING
"""

INBOX_ITEM = f"""
SELECT {INBOX_COLUMNS}
FROM notifications n
LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = $2
WHERE n.id = $1
"""

# Acknowledging locks the notification (not the caller's read row, which may not exist yet).
INBOX_ITEM_FOR_UPDATE = INBOX_ITEM + "FOR UPDATE OF n\n"

# --- the recipients directory -------------------------------------------------------------

INSERT_RECIPIENT = """
INSERT INTO recipients (id, region_code, role, enterprise_id, name, channel, address, secret,
                        source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING
RETURNING *
"""

# Operator contacts from registry events: the latest event's address wins.
UPSERT_OPERATOR_CONTACT = """
INSERT INTO recipients (id, region_code, role, enterprise_id, name, channel, address, source)
VALUES ($1, $2, 'operator', $3, $4, $5, $6, 'registry')
ON CONFLICT (region_code, role, coalesce(enterprise_id, ''), channel, address) DO UPDATE
   SET name = EXCLUDED.name, active = true, updated_at = now()
"""

RECIPIENT = "SELECT * FROM recipients WHERE id = $1"
RECIPIENT_FOR_UPDATE = RECIPIENT + " FOR UPDATE"

LIST_RECIPIENTS = """
SELECT * FROM recipients
WHERE ($1::text IS NULL OR region_code LIKE $1)
  AND ($2::text IS NULL OR role = $2)
  AND ($3::uuid IS NULL OR id > $3)
ORDER BY id
LIMIT $4
"""

UPDATE_RECIPIENT = """
UPDATE recipients
SET name = $2, address = $3, secret = coalesce($4, secret), active = $5,
    version = version + 1, updated_at = now()
WHERE id = $1 AND version = $6
RETURNING *
"""

OFFICE_RECIPIENTS = """
SELECT * FROM recipients
WHERE active AND region_code = $1 AND role = $2 AND channel = ANY($3::text[])
ORDER BY channel, id
"""

# --- the delivery ledger --------------------------------------------------------------------

INSERT_DELIVERY = """
INSERT INTO deliveries (id, event_id, recipient_key, channel, recipient_id, region_code, role,
                        kind, subject_type, subject_id, title, body, payload, status, not_before,
                        calendar_missing)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (event_id, recipient_key, channel) DO NOTHING
RETURNING id
"""

DELIVERY = "SELECT * FROM deliveries WHERE id = $1"
DELIVERY_FOR_UPDATE = DELIVERY + " FOR UPDATE"

# Deliveries an office acknowledged for a subject (a window, a statistics period): their
# reporter lists (designations of a window, reporters of a statistics period).
ACKNOWLEDGED_LISTS = """
SELECT DISTINCT coalesce(payload -> 'designation_ids', payload -> 'reporter_ids') AS designation_ids
FROM deliveries
WHERE subject_id = $1 AND region_code = $2 AND role = $3 AND acknowledged_at IS NOT NULL
"""

LIST_DELIVERIES = """
SELECT * FROM deliveries
WHERE ($1::text IS NULL OR region_code LIKE $1)
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR channel = $3)
  AND ($4::text IS NULL OR subject_id = $4)
  AND ($5::text IS NULL OR event_id = $5)
  AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $8
"""

ATTEMPTS = """
SELECT delivery_id, attempted_at, outcome, reason, http_status FROM delivery_attempts
WHERE delivery_id = ANY($1::uuid[]) ORDER BY id
"""

# Acknowledging one message acknowledges it on every channel it went out on; rows already
# acknowledged are left alone (a repeat changes, and returns, nothing).
ACKNOWLEDGE = """
UPDATE deliveries d
SET status = 'acknowledged', acknowledged_at = coalesce(d.acknowledged_at, now()),
    updated_at = now()
FROM deliveries one
WHERE one.id = $1 AND d.event_id = one.event_id AND d.recipient_key = one.recipient_key
  AND d.status <> 'failed' AND d.acknowledged_at IS NULL
RETURNING d.id, d.status, d.region_code, d.role, d.acknowledged_at
"""

ACKNOWLEDGE_INBOX = """
UPDATE notifications SET acknowledged_at = coalesce(acknowledged_at, now())
WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id = $1 AND recipient_key = $2)
"""

# The first reading stays.
MARK_READ = """
INSERT INTO notification_reads (notification_id, reader) VALUES ($1, $2)
ON CONFLICT DO NOTHING
"""

RESEND = """
UPDATE deliveries
SET status = 'queued', reason = NULL, not_before = now(), leased_until = NULL, updated_at = now()
WHERE id = $1 AND status = 'failed'
RETURNING *
"""

# The sender claims due deliveries of endpoints that are not held, oldest first, and leases
# them (leased_until, $2 seconds ahead) in one short statement; it sends outside any
# transaction and settles the sends that finish together in one statement. A sender that dies mid-send leaves the
# lease to lapse, and the delivery is sent again (receivers deduplicate on its id).
# The lease is a column in no index (migration 0010): the row is rewritten in place (HOT),
# where moving not_before (the queue's index) added an entry to each of the five indexes.
# Leased rows stay at the head of the queue's index, and each claim steps over them (two
# claims' worth per sender at most).
# $3: endpoints whose every slot of this sender is busy (a slow or silent receiver): skipped,
# so that they cannot take the slots of the others.
# Only the columns a send and its settle read: the claim returns one row per delivery sent, and
# each column more is decoded by the sender (three timestamps, ids, the subject) for nothing.
CLAIM_DUE = """
WITH due AS (
    SELECT d.id FROM deliveries d
    LEFT JOIN recipients r ON r.id = d.recipient_id
    WHERE d.status = 'queued' AND d.not_before <= now() AND d.channel <> 'inbox'
      AND (d.leased_until IS NULL OR d.leased_until <= now())
      AND d.channel || ':' || coalesce(r.address, '') <> ALL($3::text[])
      AND NOT EXISTS (SELECT 1 FROM endpoint_holds h
                      WHERE h.endpoint = d.channel || ':' || coalesce(r.address, '')
                        AND h.held_until > now())
    ORDER BY d.not_before, d.id
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
), leased AS (
    UPDATE deliveries d SET leased_until = now() + make_interval(secs => $2::double precision)
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.channel, d.kind, d.title, d.body, d.payload, d.attempts, d.reason,
              d.recipient_id
)
SELECT leased.*, r.address, r.secret FROM leased
LEFT JOIN recipients r ON r.id = leased.recipient_id
"""

SETTLE = """
UPDATE deliveries
SET status = $2, reason = $3, attempts = attempts + $4, not_before = $5, leased_until = NULL,
    updated_at = now()
WHERE id = $1 AND status = 'queued'
"""

# The sender's hot path: the deliveries whose sends finished within a few milliseconds of each
# other (``sender.loop.Settlements``), each with its attempt row and its new status, in one
# statement (hence one transaction and one round trip for all of them). The attempt rows are inserted whatever the status was, the
# status only moves from queued: as when each delivery was settled on its own.
SETTLE_WITH_ATTEMPTS = """
WITH settled AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
                         $6::int[]) AS s(id, status, reason, not_before, outcome, http_status)
), attempt AS (
    INSERT INTO delivery_attempts (delivery_id, outcome, reason, http_status)
    SELECT id, outcome, reason, http_status FROM settled
)
UPDATE deliveries d
SET status = s.status, reason = s.reason, attempts = d.attempts + 1, not_before = s.not_before,
    leased_until = NULL, updated_at = now()
FROM settled s
WHERE d.id = s.id AND d.status = 'queued'
"""

# Robot pacing across replicas: under the endpoint's advisory lock, forget sends older than the
# window, count the rest; below the limit the caller records its send (ROBOT_SEND).
LOCK_ENDPOINT = "SELECT pg_advisory_xact_lock(hashtextextended('robot:' || $1, 0))"

ROBOT_WINDOW = """
WITH forgotten AS (
    DELETE FROM robot_sends
    WHERE endpoint = $1 AND sent_at <= clock_timestamp() - make_interval(secs => $2)
)
SELECT count(*) AS sent,
       extract(epoch FROM min(sent_at) + make_interval(secs => $2) - clock_timestamp())
           AS frees_in
FROM robot_sends
WHERE endpoint = $1 AND sent_at > clock_timestamp() - make_interval(secs => $2)
"""

ROBOT_SEND = "INSERT INTO robot_sends (endpoint) VALUES ($1)"

# Claimed beyond an endpoint's slots: back to the queue at once, lease dropped (in place).
RELEASE = (
    "UPDATE deliveries SET leased_until = NULL WHERE id = ANY($1::uuid[]) AND status = 'queued'"
)

HOLD_ENDPOINT = """
INSERT INTO endpoint_holds (endpoint, held_until, reason) VALUES ($1, $2, $3)
ON CONFLICT (endpoint) DO UPDATE SET held_until = EXCLUDED.held_until, reason = EXCLUDED.reason
"""

ACKNOWLEDGE_INBOX_ITEM = """
UPDATE notifications SET acknowledged_at = coalesce(acknowledged_at, now())
WHERE id = $1
"""

OPERATOR_RECIPIENTS = """
SELECT * FROM recipients
WHERE active AND role = 'operator' AND enterprise_id = $1 AND channel = ANY($2::text[])
ORDER BY channel, id
"""

# Registry events: an enterprise's in-app inbox is its first contact; closing it stops all.
DEACTIVATE_OPERATOR = """
UPDATE recipients SET active = false, version = version + 1, updated_at = now()
WHERE role = 'operator' AND enterprise_id = $1 AND active
"""

# Designations (awards.designation events): the entity and region behind a designation id.
UPSERT_DESIGNATION = """
INSERT INTO designations (designation_id, entity_type, entity_id, region_code, entity_name, title)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (designation_id) DO UPDATE
   SET entity_type = EXCLUDED.entity_type, entity_id = EXCLUDED.entity_id,
       region_code = EXCLUDED.region_code,
       entity_name = coalesce(EXCLUDED.entity_name, designations.entity_name),
       title = coalesce(EXCLUDED.title, designations.title), updated_at = now()
"""

DESIGNATION = "SELECT * FROM designations WHERE designation_id = $1"

# The names a reminder lists its missing reporters by (those notifications has heard of).
DESIGNATION_NAMES = """
SELECT designation_id, entity_name, title FROM designations
WHERE designation_id = ANY($1::text[]) AND entity_name IS NOT NULL
"""

# Applications (awards.application.submitted): the applicant behind an application id.
UPSERT_APPLICATION = """
INSERT INTO applications (application_id, programme_id, year, category, entity_type, entity_id,
                          region_code)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (application_id) DO UPDATE
   SET programme_id = EXCLUDED.programme_id, year = EXCLUDED.year, category = EXCLUDED.category,
       entity_type = EXCLUDED.entity_type, entity_id = EXCLUDED.entity_id,
       region_code = EXCLUDED.region_code, updated_at = now()
"""

APPLICATION = "SELECT * FROM applications WHERE application_id = $1"

# The working-day calendar's notice (docs/calendar.md): a province is told of a year once.
CLAIM_CALENDAR_NOTICE = """
INSERT INTO calendar_notices (province_code, year) VALUES ($1, $2)
ON CONFLICT DO NOTHING
RETURNING year
"""
