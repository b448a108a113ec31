-- The recipients directory and the delivery ledger (docs/notifications.md).

-- Who is reached how: a bureau office (region + role) or an operator's enterprise, one row per
-- channel address. Secrets (webhook / DingTalk signing keys) are written, never read back.
CREATE TABLE recipients (
    id             uuid        PRIMARY KEY,
    region_code    char(6)     NOT NULL,
    role           text        NOT NULL,
    enterprise_id  text,
    name           text        NOT NULL,
    channel        text        NOT NULL,
    address        text        NOT NULL,
    secret         text,
    active         boolean     NOT NULL DEFAULT true,
    source         text        NOT NULL,          -- api | registry
    version        integer     NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX recipients_once
    ON recipients (region_code, role, coalesce(enterprise_id, ''), channel, address);
CREATE INDEX recipients_office ON recipients (region_code, role) WHERE active;

-- Exactly one message per (event, recipient, channel): the unique key is written in the
-- consumer's transaction with the inbox row, so redelivery and concurrent consumers add nothing.
CREATE TABLE deliveries (
    id               uuid        PRIMARY KEY,
    event_id         text        NOT NULL,
    recipient_key    text        NOT NULL,        -- office:<region>:<role> | recipient:<uuid>
    channel          text        NOT NULL,
    recipient_id     uuid        REFERENCES recipients (id),
    region_code      char(6)     NOT NULL,
    role             text        NOT NULL,
    kind             text        NOT NULL,
    subject_type     text,
    subject_id       text,
    title            text        NOT NULL,
    body             text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}',
    status           text        NOT NULL CHECK (status IN
                         ('queued', 'sent', 'delivered', 'acknowledged', 'failed')),
    reason           text,
    attempts         integer     NOT NULL DEFAULT 0,
    not_before       timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    UNIQUE (event_id, recipient_key, channel)
);
CREATE INDEX deliveries_queue ON deliveries (not_before) WHERE status = 'queued';
CREATE INDEX deliveries_region ON deliveries (region_code, created_at DESC, id DESC);
CREATE INDEX deliveries_subject ON deliveries (subject_id, region_code, role);

-- Every try, with the receiver's answer (never "sent" without one).
CREATE TABLE delivery_attempts (
    id            bigserial   PRIMARY KEY,
    delivery_id   uuid        NOT NULL REFERENCES deliveries (id),
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    outcome       text        NOT NULL,           -- sent | retry | throttled | failed
    reason        text,
    http_status   integer
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- A throttled robot (or any channel endpoint) is held until a time; only its own messages wait.
CREATE TABLE endpoint_holds (
    endpoint    text        PRIMARY KEY,
    held_until  timestamptz NOT NULL,
    reason      text
);

-- The in-app inbox: per user (an operator's enterprise) as well as per office; acknowledgement.
ALTER TABLE notifications ADD COLUMN recipient_enterprise text;
ALTER TABLE notifications ADD COLUMN delivery_id uuid;
ALTER TABLE notifications ADD COLUMN acknowledged_at timestamptz;
CREATE INDEX notifications_enterprise ON notifications (recipient_enterprise, created_at DESC)
    WHERE recipient_enterprise IS NOT NULL;
