-- What remains of an award approved for less than its amount (docs/rewards.md, "The
-- remainder"): the province requests it as a new award or waives it, once. Both decisions are
-- entries on the original award, so finance reads them in its ledger.
ALTER TABLE reward_entries DROP CONSTRAINT reward_entries_kind_check;
ALTER TABLE reward_entries ADD CONSTRAINT reward_entries_kind_check CHECK (kind IN (
    'proposed', 'reserved', 'payment_requested', 'settled', 'failed', 'voided',
    'reversed', 'recovery_flagged', 'remainder_requested', 'remainder_waived'));

-- One decision per award, whichever it was: a request and a waiver exclude each other.
CREATE UNIQUE INDEX reward_one_remainder_decision ON reward_entries (award_id)
    WHERE kind IN ('remainder_requested', 'remainder_waived');

-- The remainder award (``<kind>_remainder``, adjusts = the original) exists once per original,
-- even once voided: a second one would let the rest be paid twice.
CREATE UNIQUE INDEX reward_one_remainder_per_award ON reward_awards (adjusts)
    WHERE kind LIKE '%\_remainder';
