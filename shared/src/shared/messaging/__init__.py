"""Kafka plumbing: producer/consumer factories, the transactional outbox and its relay, the
idempotent consumer with retries and a dead-letter topic."""
