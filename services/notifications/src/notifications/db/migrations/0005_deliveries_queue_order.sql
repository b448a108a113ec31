-- The sender claims queued deliveries in (not_before, id) order. A fan-out queues thousands of
-- deliveries with the same not_before; with the index on not_before alone every claim sorted
-- all of them by id (measured: the claim slowed as the queue grew). This index gives the order.
CREATE INDEX deliveries_queue_order ON deliveries (not_before, id) WHERE status = 'queued';
DROP INDEX deliveries_queue;
