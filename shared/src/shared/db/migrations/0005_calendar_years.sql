-- The working-day calendar's loaded years as this service keeps them (shared/src/shared/
-- working_days.py, docs/calendar.md): the registry writes its own in the transaction of
-- PUT /v1/calendars/{year}; every other service's consumer of registry.calendar keeps the
-- newest version of each year published. Every process reads it into its WorkingDayCalendar,
-- over the chinesecalendar library's years. One row per year: an older or repeated version
-- never replaces a newer one.
--
-- IF NOT EXISTS: the awards service kept a table of this name (year, loaded_by, loaded_at),
-- with its days in calendar_days, before the registry owned the calendar; there the columns
-- below are added, and awards' own migration moves its days into them (version 0, which any
-- year the registry publishes replaces).
CREATE TABLE IF NOT EXISTS calendar_years (
    year       integer     PRIMARY KEY,
    loaded_by  text        NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE calendar_years
    ADD COLUMN IF NOT EXISTS version          integer     NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS holidays         date[]      NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS workdays         date[]      NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS source_document  text,
    ADD COLUMN IF NOT EXISTS applied_at       timestamptz NOT NULL DEFAULT now();
