-- Statistics monitoring (docs/statistics.md): one report per programme, period and
-- reporter (a county bureau, a city bureau or a monitored enterprise), immutable versions,
-- review steps, the figures in force (flattened for the sums) and each publication.

CREATE TABLE statistics_reports (
    id                  uuid        PRIMARY KEY,
    programme_id        text        NOT NULL,
    period              text        NOT NULL,
    reporter_id         text        NOT NULL,  -- the region code of a bureau, or the enterprise id
    reporter_kind       text        NOT NULL CHECK (reporter_kind IN ('county', 'city', 'enterprise')),
    region_code         text        NOT NULL CHECK (region_code ~ '^\d{6}$'),
    city_code           text        NOT NULL CHECK (city_code ~ '^\d{6}$'),
    state               text        NOT NULL,
    revision            int         NOT NULL DEFAULT 1,
    accepted_version    int,        -- the version the published sums use
    first_submitted_at  timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (programme_id, period, reporter_id)
);
CREATE INDEX statistics_reports_period ON statistics_reports (programme_id, period, region_code);

CREATE TABLE statistics_versions (
    report_id       uuid        NOT NULL REFERENCES statistics_reports (id),
    number          int         NOT NULL,
    submitted_at    timestamptz NOT NULL,
    submitted_by    text        NOT NULL,
    submitted_role  text        NOT NULL,
    on_behalf       boolean     NOT NULL,
    figures         jsonb       NOT NULL,  -- exact: numbers as strings
    PRIMARY KEY (report_id, number)
);
CREATE FUNCTION statistics_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statistics versions are immutable';
END;
$$;
CREATE TRIGGER statistics_versions_immutable BEFORE UPDATE OR DELETE ON statistics_versions
    FOR EACH ROW EXECUTE FUNCTION statistics_versions_immutable();

CREATE TABLE statistics_steps (
    id              bigserial   PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES statistics_reports (id),
    action          text        NOT NULL,
    actor           text        NOT NULL,
    actor_role      text        NOT NULL,
    at              timestamptz NOT NULL,
    from_state      text        NOT NULL,
    to_state        text        NOT NULL,
    version         int         NOT NULL,
    reason          text,
    field_comments  jsonb       NOT NULL DEFAULT '{}',
    on_behalf       boolean     NOT NULL DEFAULT false
);
CREATE INDEX statistics_steps_report ON statistics_steps (report_id, id);

-- The figures in force per reporter: its accepted version's, else its latest (provisional).
-- Rewritten with the report, so the published query sums one table.
CREATE TABLE statistics_figures (
    programme_id    text        NOT NULL,
    period          text        NOT NULL,
    reporter_id     text        NOT NULL,
    reporter_kind   text        NOT NULL,
    region_code     text        NOT NULL,
    indicator       text        NOT NULL,
    key             text        NOT NULL,
    value           numeric     NOT NULL CHECK (value >= 0),
    PRIMARY KEY (programme_id, period, reporter_id, key)
);
CREATE INDEX statistics_figures_indicator
    ON statistics_figures (programme_id, indicator, period, region_code);

-- Each publication of a period's sums; a correction accepted later is a new revision.
CREATE TABLE statistics_publications (
    programme_id    text        NOT NULL,
    period          text        NOT NULL,
    revision        int         NOT NULL,
    published_at    timestamptz NOT NULL,
    report_id       uuid        NOT NULL REFERENCES statistics_reports (id),
    PRIMARY KEY (programme_id, period, revision)
);

-- Who is expected to report (the frozen roster): bureaus registered by the province, monitored
-- enterprises by their city bureau. Never updated but to close a registration, so a period's
-- roster is the registrations open when it opened, whatever changes later.
CREATE TABLE statistics_reporters (
    id              bigserial   PRIMARY KEY,
    programme_id    text        NOT NULL,
    reporter_id     text        NOT NULL,
    reporter_kind   text        NOT NULL CHECK (reporter_kind IN ('county', 'city', 'enterprise')),
    region_code     text        NOT NULL CHECK (region_code ~ '^\d{6}$'),
    city_code       text        NOT NULL CHECK (city_code ~ '^\d{6}$'),
    registered_at   timestamptz NOT NULL,
    registered_by   text        NOT NULL,
    removed_at      timestamptz,
    removed_by      text,
    CHECK (removed_at IS NULL OR removed_at >= registered_at)
);
CREATE UNIQUE INDEX statistics_reporters_open
    ON statistics_reporters (programme_id, reporter_id) WHERE removed_at IS NULL;
CREATE INDEX statistics_reporters_roster ON statistics_reporters (programme_id, reporter_id);

-- The statistics deadline clock's handled points per period: the key makes each happen once.
CREATE TABLE statistics_clock_points (
    programme_id    text        NOT NULL,
    period          text        NOT NULL,
    point_key       text        NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('emitted', 'skipped')),
    point_at        timestamptz NOT NULL,
    late            boolean     NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (programme_id, period, point_key)
);
