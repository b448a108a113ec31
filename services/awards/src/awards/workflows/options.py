"""How the workflows run their activities: timeouts and retry policies, named by what an
activity waits on."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from temporalio.common import RetryPolicy


class ActivityOptions(TypedDict):
    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy


class LocalActivityOptions(ActivityOptions):
    local_retry_threshold: timedelta


# Writes to our own database: retried until it is back (a short outage must not fail a round).
WRITE: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
    ),
}
# Waits on the province (a pool too small, a calendar year not loaded): retried hourly.
NEEDS_PROVINCE: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=5), maximum_interval=timedelta(hours=1)
    ),
}


# The same options for a local activity (run by the workflow's worker inside the workflow task):
# the same retry policy, timeouts and failure types. Retries whose backoff is shorter than the
# threshold run in the worker at once (a short database blip); a longer backoff (an outage, a
# province that must add experts) waits on a durable timer in the history, as the server's
# retry would, instead of holding the workflow task open.
LOCAL_RETRY_THRESHOLD = timedelta(seconds=10)


def local(options: ActivityOptions) -> LocalActivityOptions:
    return {**options, "local_retry_threshold": LOCAL_RETRY_THRESHOLD}
