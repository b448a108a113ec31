-- Read state is each user's (the inbox is per user and per bureau role): one user of a
-- bureau reading a message does not mark it read for the others. The office's acknowledgement
-- stays on the notification, since it stops the office's reminders. notifications.read_at (the
-- office's read state before) is no longer written; it is kept so that pods of the previous
-- release still run during a rollout.
CREATE TABLE notification_reads (
    notification_id uuid        NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    reader          text        NOT NULL,  -- the token's issuer|subject
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, reader)
);
