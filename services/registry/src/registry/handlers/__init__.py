"""The registry's use cases: each opens its transaction and writes the state, its outbox events,
its audit record and (for a route) the Idempotency-Key claim together. Routes, consumers and the
importer call them; they call ``registry.db`` and ``registry.domain``."""
