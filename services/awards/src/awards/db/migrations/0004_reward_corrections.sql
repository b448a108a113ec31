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
