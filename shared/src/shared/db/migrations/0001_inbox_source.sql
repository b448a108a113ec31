-- The inbox key names the event's CloudEvents `source`: an id is unique only within its
-- source (CloudEvents 1.0, "id"), so two outside systems that both send id "1" are two events.
ALTER TABLE inbox ADD COLUMN source text;

-- Rows written before this migration came from this project's own services, whose events
-- carry source `/services/<service>` and a type that starts with the service name
-- (`registry.enterprise.registered.v1` came from `/services/registry`). A redelivery of such
-- an event still finds its row.
UPDATE inbox SET source = '/services/' || split_part(event_type, '.', 1);

ALTER TABLE inbox ALTER COLUMN source SET NOT NULL;
ALTER TABLE inbox DROP CONSTRAINT inbox_pkey, ADD PRIMARY KEY (consumer, source, event_id);
