-- In-app notifications addressed to a bureau (a region and a role), read through the API.
CREATE TABLE notifications (
    id                uuid        PRIMARY KEY,
    recipient_region  char(6)     NOT NULL,
    recipient_role    text        NOT NULL,
    kind              text        NOT NULL,
    title             text        NOT NULL,
    body              text        NOT NULL,
    subject_type      text,
    subject_id        text,
    source_event_id   text,
    trace_id          text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    read_at           timestamptz
);
CREATE INDEX notifications_recipient ON notifications (recipient_region, created_at DESC, id DESC);
-- One notification per (event, recipient, kind), whatever the delivery count.
CREATE UNIQUE INDEX notifications_once_per_event
    ON notifications (source_event_id, recipient_region, recipient_role, kind)
    WHERE source_event_id IS NOT NULL;
