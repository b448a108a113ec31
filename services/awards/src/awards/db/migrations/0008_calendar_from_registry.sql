-- The working-day calendar is the registry's now (docs/calendar.md): awards keeps the years it
-- publishes in the shared calendar_years table, with their days in its holidays and workdays
-- columns (shared migration 0005). Years the province loaded into awards before move there as
-- version 0, so that the first year the registry publishes replaces them.
--
-- calendar_days is no longer read or written; it is kept so that awards pods of the previous
-- release (which read it) still run during a rollout or after a rollback.
UPDATE calendar_years y
SET holidays = coalesce(
        (SELECT array_agg(d.day ORDER BY d.day) FROM calendar_days d
         WHERE d.kind = 'holiday' AND extract(year FROM d.day) = y.year), '{}'),
    workdays = coalesce(
        (SELECT array_agg(d.day ORDER BY d.day) FROM calendar_days d
         WHERE d.kind = 'workday' AND extract(year FROM d.day) = y.year), '{}')
WHERE y.version = 0;
