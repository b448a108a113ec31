-- Programme revisions (docs/programmes.md, "Revisions"): every version of every programme, as
-- validated and published. Revision 1 is the shipped file (loaded at migrate); a province's
-- change through the API, or a changed file at a later deploy, adds the next one. Never edited
-- nor deleted: the history is the record of who changed the policy data, when and why.

CREATE TABLE programme_revisions (
    programme_id  text        NOT NULL,
    revision      integer     NOT NULL CHECK (revision >= 1),
    -- The validated programme as JSON (Programme.model_dump(mode="json")).
    definition    jsonb       NOT NULL,
    source        text        NOT NULL CHECK (source IN ('file', 'api')),
    -- The file's SHA-256 for source 'file': a file revision is added when it changes.
    file_sha256   text        CHECK ((source = 'file') = (file_sha256 IS NOT NULL)),
    author        text        NOT NULL,
    reason        text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (programme_id, revision)
);

CREATE FUNCTION programme_revisions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'programme_revisions is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER programme_revisions_append_only BEFORE UPDATE OR DELETE ON programme_revisions
    FOR EACH ROW EXECUTE FUNCTION programme_revisions_refuse_change();
CREATE TRIGGER programme_revisions_no_truncate BEFORE TRUNCATE ON programme_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION programme_revisions_refuse_change();
