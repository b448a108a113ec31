"""Use cases of rewards and subsidies (004 四(二)2-3; 000 二(一)1): proposals from the rules
(``awards.domain.rewards``), the ledger that cannot overpay (PostgreSQL), finance's answers and
money back, each in the caller's or its own transaction (docs/rewards.md)."""
