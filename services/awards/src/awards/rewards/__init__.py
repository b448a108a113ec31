"""Rewards and subsidies (004 四(二)2-3; 000 二(一)1): the pure calculator, the ledger that
cannot overpay (PostgreSQL), finance's answers and the province's REST routes (docs/rewards.md)."""
