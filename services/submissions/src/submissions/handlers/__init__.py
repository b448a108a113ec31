"""Use cases: each runs one transaction that writes the state and its outbox rows together."""
