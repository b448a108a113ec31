-- A corrected annual report adjusts a requested or paid sales milestone as it does a subsidy
-- (docs/rewards.md): the milestone adjustment may owe money back, once per corrected version.
-- 0003 declared the negative-amount exception inline (a generated name): found by its text.
DO $$
DECLARE
    name text;
BEGIN
    SELECT conname INTO STRICT name FROM pg_constraint
    WHERE conrelid = 'reward_awards'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) LIKE '%max_fen >= 0%traffic_subsidy_adjustment%';
    EXECUTE format('ALTER TABLE reward_awards DROP CONSTRAINT %I', name);
END;
$$;
ALTER TABLE reward_awards ADD CONSTRAINT reward_awards_max_fen_or_owed
    CHECK (max_fen >= 0 OR kind IN ('traffic_subsidy_adjustment', 'sales_milestone_adjustment'));
CREATE UNIQUE INDEX reward_one_milestone_adjustment_per_version
    ON reward_awards (adjusts, report_version)
    WHERE kind = 'sales_milestone_adjustment' AND status <> 'voided';

-- 追回 recorded as the money comes back (docs/rewards.md): an award may be recovered in several
-- parts, each its own ``reversed`` entry, once per receipt (finance's reference); every other
-- entry stays once per attempt. An award owed back in full is ``recovered``.
ALTER TABLE reward_entries DROP CONSTRAINT reward_entries_award_id_attempt_kind_key;
CREATE UNIQUE INDEX reward_entries_once_per_attempt ON reward_entries (award_id, attempt, kind)
    WHERE kind <> 'reversed';
CREATE UNIQUE INDEX reward_recovered_once_per_receipt
    ON reward_entries (award_id, (detail ->> 'reference')) WHERE kind = 'reversed';
ALTER TABLE reward_entries ADD CONSTRAINT reward_reversal_has_a_receipt
    CHECK (kind <> 'reversed' OR (amount_fen > 0 AND detail ? 'reference'));
ALTER TABLE reward_awards DROP CONSTRAINT reward_awards_status_check;
ALTER TABLE reward_awards ADD CONSTRAINT reward_awards_status_check CHECK (status IN (
    'proposed', 'payment_requested', 'paid', 'failed', 'voided', 'recovery_due', 'recovered'));
