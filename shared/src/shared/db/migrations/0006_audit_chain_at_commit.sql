-- Chain audit records when their transaction commits, not when they are appended
-- (docs/audit.md, "Ordering"). An append used to lock audit_chain_head at once and hold it until
-- the COMMIT arrived: every other audited writer of the service waited through the rest of the
-- transaction and its client's round trips, which capped a service at a few hundred audited
-- transactions a second. Now an append stores its record in audit_pending; a deferred
-- constraint trigger chains it at COMMIT (lock the head, take seq + 1 and the time, hash, insert
-- into audit_log, move the head) and removes it. The head is held only while the commit itself
-- runs. The hash is the one shared/audit/chain.py recomputes, as the append computed it before.

-- Rows live only inside their own transaction: the trigger removes each before the commit ends,
-- and a rollback removes them too. So the table needs no WAL: after a crash it is empty, which is
-- what it always is between transactions.
CREATE UNLOGGED TABLE audit_pending (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text        NOT NULL,
    action         text        NOT NULL,
    resource_type  text        NOT NULL,
    resource_id    text,
    region_code    text,
    actor_subject  text        NOT NULL,
    actor_roles    text[]      NOT NULL,
    actor_region   text,
    reason         text,
    before         jsonb,
    after          jsonb,
    details        jsonb,
    request_id     text,
    trace_id       text,
    client_ip      text,
    user_agent     text,
    -- The canonical body (shared.audit.chain.canonical_body), hashed as the writer made it.
    body           bytea       NOT NULL,
    -- A time to record instead of the clock at commit (tests, and loading a legacy log).
    recorded_at    timestamptz
);

CREATE FUNCTION audit_chain_pending() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    next_seq bigint;
    stamped timestamptz;
    next_hash text;
BEGIN
    SELECT seq, row_hash INTO head_seq, head_hash FROM audit_chain_head FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit_chain_head has no row: the audit migration (0003) was not applied';
    END IF;
    next_seq := head_seq + 1;
    -- Taken under the lock, so seq order is time order (and commit order).
    stamped := COALESCE(NEW.recorded_at, clock_timestamp());
    next_hash := encode(sha256(convert_to(
        head_hash || E'\n' || next_seq::text || E'\n'
        || to_char(stamped AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || E'\n',
        'UTF8') || NEW.body), 'hex');
    INSERT INTO audit_log (
        seq, recorded_at, kind, action, resource_type, resource_id, region_code, actor_subject,
        actor_roles, actor_region, reason, before, after, details, request_id, trace_id,
        client_ip, user_agent, prev_hash, row_hash
    ) VALUES (
        next_seq, stamped, NEW.kind, NEW.action, NEW.resource_type, NEW.resource_id,
        NEW.region_code, NEW.actor_subject, NEW.actor_roles, NEW.actor_region, NEW.reason,
        NEW.before, NEW.after, NEW.details, NEW.request_id, NEW.trace_id, NEW.client_ip,
        NEW.user_agent, head_hash, next_hash
    );
    UPDATE audit_chain_head SET seq = next_seq, row_hash = next_hash, recorded_at = stamped;
    DELETE FROM audit_pending WHERE id = NEW.id;
    RETURN NULL;
END;
$$;

-- Deferred triggers fire at COMMIT in the order their rows were inserted, so records appended
-- together keep their order in the chain.
CREATE CONSTRAINT TRIGGER audit_pending_chain AFTER INSERT ON audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_chain_pending();

REVOKE ALL ON audit_pending FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_appender') THEN
        -- The trigger runs with the committing role's rights: it reads and removes the row.
        GRANT SELECT, INSERT, DELETE ON audit_pending TO audit_appender;
    END IF;
END;
$$;
