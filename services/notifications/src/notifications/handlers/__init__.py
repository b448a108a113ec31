"""Use cases of the notifications service. Those of the API each open their transaction and
write the state change, the audit record and the Idempotency-Key claim together; those of the
consumer run in the consumer's transaction, with its inbox (tracking) row; those of the sender
settle one delivery each in its own short transaction."""
