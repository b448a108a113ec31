"""The relay's claim statements: a claim transaction's first statement (``begin_claim``)
and the claim itself (``CLAIM``)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.messaging.lanes import CLAIM_LOCK_CLASS

# Claim transactions hold their lanes' claim locks shared: a relay taking a lane over waits
# on them (``LaneLease``). The same statement turns sorting off for the claim's transaction
# (``set_config`` local: it ends with the transaction), so the claim reads the unpublished rows
# in id order from their partial index and stops at the batch. With the outbox's statistics
# behind its churn (a backlog inserted since the last ANALYZE is estimated at a few rows),
# the planner otherwise took a bitmap scan of every unpublished row and sorted them, payloads
# and all: 157 ms for a batch of 1,000 out of a 50,000-row backlog, against 0.8 ms in id order.
# Sent with its BEGIN as one simple query (one round trip, not two), so its integers are
# written into the text (``begin_claim``): the lanes are ours and the class a constant.
_ENTER_LANES = """
SELECT pg_advisory_xact_lock_shared({lock_class}, lane), set_config('enable_sort', 'off', true)
FROM unnest('{{{lanes}}}'::int[]) AS lane
"""
# Fenced: only lanes whose lock the lease session ($3) holds right now, so a relay whose
# session ended claims nothing even before its next lease check.
CLAIM = """
SELECT id, topic, message_key, payload, traceparent, tracestate
FROM outbox
WHERE published_at IS NULL AND lane = ANY($1::int[])
  AND lane = ANY(ARRAY(
      SELECT objid::int8 FROM pg_locks
      WHERE locktype = 'advisory' AND pid = $3 AND classid = $4 AND objsubid = 2 AND granted))
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


def begin_claim(lanes: Sequence[int]) -> str:
    """BEGIN and the claim locks of the lanes, one simple query."""
    lane_list = ",".join(str(int(lane)) for lane in lanes)
    return "BEGIN;" + _ENTER_LANES.format(lock_class=int(CLAIM_LOCK_CLASS), lanes=lane_list)
