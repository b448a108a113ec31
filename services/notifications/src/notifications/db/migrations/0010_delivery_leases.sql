-- The sender's lease on a delivery it claimed (docs/notifications.md, "The sender"): its own
-- column, in no index. The lease used to move `not_before` ahead, which the queue's index
-- holds, so every claim rewrote the ~1 KB row with a new entry in each of the five indexes;
-- now the lease (and its release) changes no indexed column and the row is rewritten in place
-- (a HOT update), for which its page needs room: the ledger's pages are filled to 70 %.
-- The settle moves the status and `not_before` (indexed) and clears the lease.
ALTER TABLE deliveries ADD COLUMN leased_until timestamptz;
ALTER TABLE deliveries SET (fillfactor = 70);
