-- The working-day calendar (docs/calendar.md).
-- A pre-due reminder whose move to a working day needs a year the calendar lacks goes out at
-- its point's time; the delivery keeps which year it lacked (null: moved, or nothing to move).
ALTER TABLE deliveries ADD COLUMN calendar_missing integer;

-- The province told that a year's calendar is not loaded: once per (province, year), however
-- often the daily check runs and however many senders run it.
CREATE TABLE calendar_notices (
    province_code  char(6)     NOT NULL,
    year           integer     NOT NULL,
    noticed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_code, year)
);
