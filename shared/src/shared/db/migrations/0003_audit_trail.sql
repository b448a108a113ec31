-- The audit trail (shared/src/shared/audit; docs/audit.md), owned by every service in its own
-- database: one row per state-changing operation or access to personal data, append-only and
-- hash-chained. Qinghai 001 (二十三): transaction records and logs with IP address and terminal
-- information kept for at least six months.

CREATE TABLE audit_log (
    -- Position in the service's chain: 1, 2, 3, … with no gaps, assigned under the chain-head
    -- row lock, as is recorded_at, so seq order is time order and partitions hold seq ranges.
    seq            bigint      NOT NULL,
    recorded_at    timestamptz NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('change', 'access')),
    action         text        NOT NULL,
    resource_type  text        NOT NULL,
    resource_id    text,
    -- The region the record is about (the resource's, else the actor's): bureaus read their own.
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
    prev_hash      text        NOT NULL,
    row_hash       text        NOT NULL,
    PRIMARY KEY (seq, recorded_at)
) PARTITION BY RANGE (recorded_at);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_subject, seq);
CREATE INDEX audit_log_region ON audit_log (region_code text_pattern_ops, seq);

-- The chain head: the last row's position and hash. Appends update it first, so its row lock
-- serialises them until commit and the chain never forks (shared/audit/chain.py).
CREATE TABLE audit_chain_head (
    only_row     boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    seq          bigint      NOT NULL,
    row_hash     text        NOT NULL,
    recorded_at  timestamptz
);
INSERT INTO audit_chain_head (seq, row_hash) VALUES (0, repeat('0', 64));

-- Partitions archived to a file and dropped: where the chain resumes, and the file's digest.
CREATE TABLE audit_archives (
    partition_name  text        PRIMARY KEY,
    range_from      timestamptz NOT NULL,
    range_to        timestamptz NOT NULL,
    first_seq       bigint,
    last_seq        bigint,
    first_prev_hash text,
    last_hash       text,
    row_count       bigint      NOT NULL,
    file_name       text        NOT NULL,
    file_sha256     text        NOT NULL,
    archived_at     timestamptz NOT NULL DEFAULT now()
);

-- Chain heads published as audit.checkpoint events (an outside system holds the same).
CREATE TABLE audit_checkpoints (
    event_id     uuid        PRIMARY KEY,
    seq          bigint      NOT NULL,
    row_hash     text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- Row triggers on a partitioned table are cloned onto every partition; TRUNCATE triggers are
-- not, so audit_ensure_partitions adds one to each partition it makes.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Monthly partitions (UTC months) from first_month, months of them; existing ones are kept.
CREATE FUNCTION audit_ensure_partitions(first_month date, months int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', first_month)::date;
    name text;
    made int := 0;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        name := format('audit_log_%s', to_char(month_start, 'YYYY_MM'));
        IF to_regclass(name) IS NULL
           AND NOT EXISTS (SELECT 1 FROM audit_archives WHERE partition_name = name) THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                name,
                (month_start::timestamp AT TIME ZONE 'UTC'),
                ((month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            EXECUTE format(
                'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I '
                'FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', name);
            made := made + 1;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN made;
END;
$$;
SELECT audit_ensure_partitions(date_trunc('month', now() AT TIME ZONE 'UTC')::date, 13);

-- Least privilege for the role the services connect as in production (docs/audit.md): members
-- of audit_appender may read and append audit rows and move the chain head, nothing more. The
-- role is cluster-wide; a migrating role without CREATEROLE leaves it to the administrator.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_appender') THEN
        CREATE ROLE audit_appender NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;  -- made concurrently by another database
    WHEN insufficient_privilege THEN RAISE NOTICE 'audit_appender not created: no CREATEROLE';
END;
$$;
REVOKE ALL ON audit_log, audit_chain_head, audit_archives, audit_checkpoints FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_appender') THEN
        GRANT SELECT, INSERT ON audit_log TO audit_appender;
        GRANT SELECT, UPDATE ON audit_chain_head TO audit_appender;
        GRANT SELECT ON audit_archives TO audit_appender;
        GRANT SELECT, INSERT ON audit_checkpoints TO audit_appender;
    END IF;
END;
$$;
