"""China time (``Asia/Shanghai``, UTC+8): the one time zone constant of the project.

Times are stored in UTC and shown in China time. A fixed offset, not ``zoneinfo``: China has
kept UTC+8 without daylight saving since 1991, and images need no tz database for it.
"""

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

SQL_ZONE = "Asia/Shanghai"
"""The same zone as PostgreSQL names it, for ``AT TIME ZONE`` in SQL statements."""
