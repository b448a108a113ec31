"""The SQL of the working-day calendar's loaded years (docs/calendar.md), kept in the shared
``calendar_years`` table (shared migration 0005). A load writes through
``shared.calendar_years.store_year``, the statement every service's consumer keeps a year with."""

from __future__ import annotations

_COLUMNS = "year, version, holidays, workdays, source_document, loaded_at"

CALENDAR_YEAR = f"SELECT {_COLUMNS} FROM calendar_years WHERE year = $1"

# Loads of one year take turns, from the If-Match comparison to the commit: a row lock cannot
# hold a year that has no row yet (its first load), this lock can.
LOCK_CALENDAR_YEAR = "SELECT pg_advisory_xact_lock(hashtext('calendar_years'), $1)"

CALENDAR_YEARS = """
SELECT year, version, cardinality(holidays) AS holiday_count,
       cardinality(workdays) AS workday_count, source_document, loaded_at
FROM calendar_years ORDER BY year
"""
