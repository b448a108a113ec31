-- What finance needs to pay without asking back (docs/rewards.md, "What a payment request
-- carries"): the payee's unified social credit code, kept from registry.enterprise events.
ALTER TABLE registry_entities ADD COLUMN credit_code text;

-- One word for a payment finance made: "settled", as finance's answer
-- (finance.payment.settled) and the ledger's entries say. The API still takes status=paid.
ALTER TABLE reward_awards DROP CONSTRAINT reward_awards_status_check;
UPDATE reward_awards SET status = 'settled' WHERE status = 'paid';
ALTER TABLE reward_awards ADD CONSTRAINT reward_awards_status_check CHECK (status IN (
    'proposed', 'payment_requested', 'settled', 'failed', 'voided', 'recovery_due', 'recovered'));
