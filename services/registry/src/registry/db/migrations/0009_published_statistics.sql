-- Statistics published by the submissions service (issue 13, docs/statistics.md): the sums of
-- the province and its cities per programme, period and indicator, as of the highest revision
-- received, for the targets that are statistics (online retail, its growth and share …).
CREATE TABLE published_statistics_revisions (
    programme_id    text        NOT NULL,
    period          text        NOT NULL,
    revision        int         NOT NULL,
    published_at    timestamptz NOT NULL,
    PRIMARY KEY (programme_id, period)
);

CREATE TABLE published_statistics (
    programme_id    text        NOT NULL,
    period          text        NOT NULL,
    period_kind     text        NOT NULL CHECK (period_kind IN ('monthly', 'quarterly', 'yearly')),
    period_start    date        NOT NULL,
    indicator       text        NOT NULL,
    region_code     text        NOT NULL,
    level           text        NOT NULL,
    basis           text        NOT NULL,
    value           numeric,    -- NULL: not computable (a part missing)
    provisional     boolean     NOT NULL,
    PRIMARY KEY (programme_id, period, indicator, region_code)
);
CREATE INDEX published_statistics_year
    ON published_statistics (programme_id, indicator, period_start);
