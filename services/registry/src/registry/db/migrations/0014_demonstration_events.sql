-- Every designation event the registry has applied (granted, revoked, reinstated), so target
-- progress can count the designations in force at the end of a past year instead of today's
-- status (demonstration_status keeps the current state for the lists). Never updated.
CREATE TABLE demonstration_events (
    id              bigserial   PRIMARY KEY,
    entity_type     text        NOT NULL,
    entity_id       uuid        NOT NULL,
    programme_id    text        NOT NULL,
    category        text        NOT NULL,
    region_code     char(6)     NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('granted', 'revoked', 'reinstated')),
    day             date        NOT NULL,
    designation_id  text,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- A redelivered event (another envelope of the same fact) is one row.
    UNIQUE (entity_type, entity_id, programme_id, category, kind, day)
);
CREATE INDEX demonstration_events_programme ON demonstration_events (programme_id, category, day);

-- What the status rows knew before this table existed: the grant, and the revocation of a
-- revoked row (a revocation undone by a reinstatement is not recorded there; its interval is
-- lost, and the title counts as held from its grant).
INSERT INTO demonstration_events (entity_type, entity_id, programme_id, category, region_code,
                                  kind, day)
SELECT entity_type, entity_id, programme_id, category, region_code, 'granted', designated_on
FROM demonstration_status WHERE designated_on IS NOT NULL
UNION ALL
SELECT entity_type, entity_id, programme_id, category, region_code, 'revoked', revoked_on
FROM demonstration_status WHERE status = 'revoked' AND revoked_on IS NOT NULL
ON CONFLICT DO NOTHING;
