"""The rules of rewards and subsidies (004 四(二)2-3; 000 二(一)1), pure: the calculator and the
working it shows, what an award's entries say (approved, remaining, owed back), the ledger's
keys and names, and finance's callback signature (docs/rewards.md)."""
