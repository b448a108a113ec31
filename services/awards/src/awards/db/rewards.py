"""All SQL of the rewards ledger (tables in migrations 0003_rewards.sql to 0007), run by
``awards.handlers.rewards``."""

UPSERT_BUDGET = """
INSERT INTO reward_budgets (programme_id, year, kind, amount_fen, set_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (programme_id, year, kind) DO UPDATE
SET amount_fen = EXCLUDED.amount_fen, set_by = EXCLUDED.set_by, updated_at = now()
RETURNING programme_id, year, kind, amount_fen, reserved_fen, paid_fen
"""

BUDGET = """
SELECT programme_id, year, kind, amount_fen, reserved_fen, paid_fen FROM reward_budgets
WHERE programme_id = $1 AND year = $2 AND kind = $3
"""
# The row lock holds the version an If-Match was compared with until the commit.
BUDGET_FOR_UPDATE = """
SELECT programme_id, year, kind, amount_fen, reserved_fen, paid_fen FROM reward_budgets
WHERE programme_id = $1 AND year = $2 AND kind = $3
FOR UPDATE
"""

BUDGETS = """
SELECT programme_id, year, kind, amount_fen, reserved_fen, paid_fen FROM reward_budgets
WHERE programme_id = $1 AND ($2::int IS NULL OR year = $2) ORDER BY year, kind
"""

# The reservation: one statement. UPDATE locks the row, and under READ COMMITTED re-checks the
# WHERE clause against the row as the previous holder of the lock left it, so two concurrent
# reservations of the last amount cannot both match; the CHECK constraint is the backstop.
RESERVE_BUDGET = """
UPDATE reward_budgets SET reserved_fen = reserved_fen + $4
WHERE programme_id = $1 AND year = $2 AND kind = $3 AND reserved_fen + paid_fen + $4 <= amount_fen
RETURNING amount_fen - reserved_fen - paid_fen AS left_fen
"""
BUDGET_EXISTS = "SELECT 1 FROM reward_budgets WHERE programme_id = $1 AND year = $2 AND kind = $3"

ENSURE_CAP = """
INSERT INTO reward_caps (programme_id, entity_type, entity_id, cap_group, year, cap_fen)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
"""
RESERVE_CAP = """
UPDATE reward_caps SET reserved_fen = reserved_fen + $6
WHERE programme_id = $1 AND entity_type = $2 AND entity_id = $3 AND cap_group = $4 AND year = $5
  AND reserved_fen + paid_fen + $6 <= cap_fen
RETURNING cap_fen - reserved_fen - paid_fen AS left_fen
"""

# Settling moves a reservation to paid; failing frees it. Both keep the CHECKs true.
SETTLE_BUDGET = """
UPDATE reward_budgets SET reserved_fen = reserved_fen - $4, paid_fen = paid_fen + $4
WHERE programme_id = $1 AND year = $2 AND kind = $3
"""
RELEASE_BUDGET = """
UPDATE reward_budgets SET reserved_fen = reserved_fen - $4
WHERE programme_id = $1 AND year = $2 AND kind = $3
"""
SETTLE_CAP = """
UPDATE reward_caps SET reserved_fen = reserved_fen - $6, paid_fen = paid_fen + $6
WHERE programme_id = $1 AND entity_type = $2 AND entity_id = $3 AND cap_group = $4 AND year = $5
"""
RELEASE_CAP = """
UPDATE reward_caps SET reserved_fen = reserved_fen - $6
WHERE programme_id = $1 AND entity_type = $2 AND entity_id = $3 AND cap_group = $4 AND year = $5
"""

INSERT_AWARD = """
INSERT INTO reward_awards (
    id, programme_id, reward_id, kind, entity_type, entity_id, region_code, year, tier,
    cap_group, cap_year, cap_fen, max_fen, working, report_id, report_version, adjusts,
    idempotency_key, status, proposed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
ON CONFLICT DO NOTHING
RETURNING id
"""
AWARD_COLUMNS = """
id, programme_id, reward_id, kind, entity_type, entity_id, region_code, year, tier, cap_group,
cap_year, cap_fen, max_fen, working, report_id, report_version, adjusts, idempotency_key, status,
status_reason, recovery_flagged, proposed_by, proposed_at
"""
AWARD = f"SELECT {AWARD_COLUMNS} FROM reward_awards WHERE id = $1"
AWARD_FOR_UPDATE = f"SELECT {AWARD_COLUMNS} FROM reward_awards WHERE id = $1 FOR UPDATE"
ADJUSTS = "SELECT adjusts FROM reward_awards WHERE id = $1"
IDEMPOTENCY_KEY = "SELECT idempotency_key FROM reward_awards WHERE id = $1"
AWARDS = f"""
SELECT {AWARD_COLUMNS} FROM reward_awards
WHERE ($1::text IS NULL OR programme_id = $1) AND ($2::int IS NULL OR year = $2)
  AND ($3::text IS NULL OR entity_id = $3) AND ($4::text IS NULL OR status = $4)
  AND ($6::timestamptz IS NULL OR (proposed_at, id) < ($6, $7::uuid))
ORDER BY proposed_at DESC, id DESC LIMIT $5
"""
AWARDS_OF_ENTITY_FOR_UPDATE = f"""
SELECT {AWARD_COLUMNS} FROM reward_awards
WHERE programme_id = $1 AND entity_type = $2 AND entity_id = $3 ORDER BY proposed_at
FOR UPDATE
"""
# A tier's remainder award counts with it: the difference rule subtracts all a tier was given.
ACTIVE_MILESTONES = """
SELECT a.reward_id, COALESCE(max(e.amount_fen), a.max_fen) AS amount_fen
FROM reward_awards a
LEFT JOIN reward_entries e ON e.award_id = a.id AND e.kind IN ('reserved', 'settled')
WHERE a.programme_id = $1 AND a.entity_type = $2 AND a.entity_id = $3
  AND a.kind IN ('sales_milestone', 'sales_milestone_remainder')
  AND a.status NOT IN ('voided', 'failed')
GROUP BY a.id
"""
SUBSIDY_OF_YEAR = f"""
SELECT {AWARD_COLUMNS} FROM reward_awards
WHERE programme_id = $1 AND entity_id = $2 AND year = $3 AND kind = 'traffic_subsidy'
  AND status <> 'voided'
"""
# What an award and its adjustments have committed (reserved or paid, net of failures and of
# what was flagged for recovery).
COMMITTED = """
SELECT COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'reserved'), 0)
     - COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'failed'), 0)
     - COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'recovery_flagged'), 0)
FROM reward_awards a JOIN reward_entries e ON e.award_id = a.id
WHERE a.id = $1 OR a.adjusts = $1
"""
PROPOSED_ADJUSTMENTS = """
SELECT id FROM reward_awards WHERE adjusts = $1 AND status = 'proposed' ORDER BY proposed_at
"""
# The requested or paid awards a corrected report of the entity's year may adjust.
CORRECTABLE_AWARDS = f"""
SELECT {AWARD_COLUMNS} FROM reward_awards
WHERE programme_id = $1 AND entity_id = $2 AND year = $3
  AND kind IN ('traffic_subsidy', 'sales_milestone') AND status IN ('payment_requested', 'settled')
  AND NOT recovery_flagged
ORDER BY proposed_at
"""
LATEST_ADJUSTED_VERSION = """
SELECT max(report_version) FROM reward_awards WHERE adjusts = $1 AND status <> 'voided'
"""
# 追回: what an award still owes back, and what its chain (the award it adjusts, or itself,
# with every adjustment) has paid out net of what came back.
OWED = """
SELECT COALESCE(sum(amount_fen) FILTER (WHERE kind = 'recovery_flagged'), 0)
     - COALESCE(sum(amount_fen) FILTER (WHERE kind = 'reversed'), 0)
FROM reward_entries WHERE award_id = $1
"""
CHAIN_PAID = """
SELECT COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'settled'), 0)
     - COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'reversed'), 0)
FROM reward_awards a JOIN reward_entries e ON e.award_id = a.id
WHERE a.id = $1 OR a.adjusts = $1
"""
RECOVERY_OF_RECEIPT = """
SELECT amount_fen FROM reward_entries
WHERE award_id = $1 AND kind = 'reversed' AND detail ->> 'reference' = $2
"""
# Finance reports money back against the award it paid: the chain's award that owes it, the
# paid award itself first, else its adjustments in the order they were proposed.
OWING_IN_CHAIN = """
SELECT a.id FROM reward_awards p
JOIN reward_awards a ON a.id = p.id OR a.id = p.adjusts OR a.adjusts = COALESCE(p.adjusts, p.id)
WHERE p.id = $1 AND (
    SELECT COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'recovery_flagged'), 0)
         - COALESCE(sum(e.amount_fen) FILTER (WHERE e.kind = 'reversed'), 0)
    FROM reward_entries e WHERE e.award_id = a.id) > 0
ORDER BY a.id = p.id DESC, a.proposed_at
LIMIT 1
"""
RECEIPT_IN_CHAIN = """
SELECT 1 FROM reward_awards p
JOIN reward_awards a ON a.id = p.id OR a.id = p.adjusts OR a.adjusts = COALESCE(p.adjusts, p.id)
JOIN reward_entries e ON e.award_id = a.id AND e.kind = 'reversed'
WHERE p.id = $1 AND e.detail ->> 'reference' = $2
"""
# Money back: paid goes down, never below zero (the CHECKs), in one conditional statement each.
RECOVER_BUDGET = """
UPDATE reward_budgets SET paid_fen = paid_fen - $4
WHERE programme_id = $1 AND year = $2 AND kind = $3 AND paid_fen >= $4
RETURNING paid_fen
"""
RECOVER_CAP = """
UPDATE reward_caps SET paid_fen = paid_fen - $6
WHERE programme_id = $1 AND entity_type = $2 AND entity_id = $3 AND cap_group = $4 AND year = $5
  AND paid_fen >= $6
RETURNING paid_fen
"""
SET_STATUS = "UPDATE reward_awards SET status = $2, status_reason = $3 WHERE id = $1"
# The enterprise a reward is paid to: the entity itself, or the operator (运营主体) of a park,
# base or team, with what the registry's events said of it.
PAYEE = """
SELECT e.region_code, p.entity_id AS payee_entity_id, p.name AS payee_name,
       p.credit_code AS payee_credit_code
FROM registry_entities e
LEFT JOIN registry_entities p ON p.entity_type = 'enterprise' AND p.entity_id =
    CASE WHEN e.entity_type = 'enterprise' THEN e.entity_id ELSE e.owner_enterprise_id END
WHERE e.entity_type = $1 AND e.entity_id = $2
"""
FLAG_RECOVERY = "UPDATE reward_awards SET recovery_flagged = true, status_reason = $2 WHERE id = $1"

INSERT_ENTRY = """
INSERT INTO reward_entries (award_id, attempt, kind, amount_fen, actor, reason, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING
RETURNING seq
"""
ENTRIES = """
SELECT seq, award_id, attempt, kind, amount_fen, actor, reason, detail, at
FROM reward_entries WHERE award_id = ANY($1::uuid[]) ORDER BY seq
"""
ENTRY = "SELECT amount_fen FROM reward_entries WHERE award_id = $1 AND attempt = $2 AND kind = $3"
LAST_ATTEMPT = "SELECT COALESCE(max(attempt), 0) FROM reward_entries WHERE award_id = $1"
SETTLED_AMOUNT = "SELECT amount_fen FROM reward_entries WHERE award_id = $1 AND kind = 'settled'"
# The province's one decision on what remains of an award (migration 0007).
REMAINDER_DECISION = """
SELECT kind FROM reward_entries
WHERE award_id = $1 AND kind IN ('remainder_requested', 'remainder_waived')
"""

INSERT_ACCEPTED_REPORT = """
INSERT INTO accepted_reports (report_id, version, window_id, programme_id, year, designation_id,
                              entity_id, figures, accepted_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
RETURNING version
"""
LATEST_ACCEPTED_REPORT = """
SELECT report_id, version, year, figures FROM accepted_reports
WHERE programme_id = $1 AND entity_id = $2 AND year = $3
ORDER BY version DESC, received_at DESC LIMIT 1
"""
UPSERT_STATISTICS_YEAR = """
INSERT INTO enterprise_reward_facts (entity_id, year, in_statistics_list, reported_by)
VALUES ($1, $2, $3, $4)
ON CONFLICT (entity_id, year) DO UPDATE
SET in_statistics_list = EXCLUDED.in_statistics_list, reported_by = EXCLUDED.reported_by,
    recorded_at = now()
"""
IN_STATISTICS_LIST = (
    "SELECT in_statistics_list FROM enterprise_reward_facts WHERE entity_id = $1 AND year = $2"
)
IN_STATISTICS_LIST_FOR_UPDATE = """
SELECT in_statistics_list FROM enterprise_reward_facts WHERE entity_id = $1 AND year = $2
FOR UPDATE
"""
UPSERT_KINDS = """
INSERT INTO enterprise_kinds (entity_id, kinds) VALUES ($1, $2)
ON CONFLICT (entity_id) DO UPDATE SET kinds = EXCLUDED.kinds
"""
KINDS = "SELECT kinds FROM enterprise_kinds WHERE entity_id = $1"
ACTIVE_DESIGNATION = """
SELECT id, region_code FROM designations
WHERE programme_id = $1 AND category = $2 AND entity_type = $3 AND entity_id = $4
  AND status = 'designated'
LIMIT 1
"""

# The entities with an accepted report for a programme's year, with their type (designations).
REPORTED_ENTITIES = """
SELECT DISTINCT ON (r.entity_id) r.entity_id, COALESCE(d.entity_type, 'enterprise') AS entity_type
FROM accepted_reports r
LEFT JOIN designations d ON d.id::text = r.designation_id
WHERE r.programme_id = $1 AND r.year = $2
ORDER BY r.entity_id
"""
