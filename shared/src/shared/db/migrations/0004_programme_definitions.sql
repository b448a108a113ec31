-- The programmes as this service runs them (shared/src/shared/programmes/catalogue.py;
-- docs/programmes.md, "Revisions"): the newest revision of each programme the registry
-- published, kept by the service's consumer of registry.programme (the registry writes its
-- own in the revision's transaction). Every process of the service reads it into its
-- catalogue, over the shipped files, without a restart. One row per programme: an older or
-- repeated revision never replaces a newer one.

CREATE TABLE programme_definitions (
    programme_id  text        PRIMARY KEY,
    revision      integer     NOT NULL CHECK (revision >= 1),
    definition    jsonb       NOT NULL,
    applied_at    timestamptz NOT NULL DEFAULT now()
);
