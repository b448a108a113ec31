"""The statistics deadline clock's activity (docs/statistics.md, *Reminders*): one tick for a
programme calls its use case (``handlers.statistics_clock``) with the programme files as read
at this call."""

from __future__ import annotations

from temporalio import activity

from submissions.handlers.statistics_clock import statistics_tick
from submissions.workflows.activities import ProgrammeActivities, attempt_time
from submissions.workflows.types import StatisticsTickInput, StatisticsTickResult


class StatisticsClockActivities(ProgrammeActivities):
    @activity.defn(name="submissions.statistics_clock_tick")
    async def tick(self, request: StatisticsTickInput) -> StatisticsTickResult:
        context = self._context()
        programme = context.programmes.get(request.programme_id)
        if programme is None or programme.statistics is None:
            return StatisticsTickResult(finished=True)
        return await statistics_tick(
            self._pool, context, programme, programme.statistics, attempt_time(request.now)
        )
