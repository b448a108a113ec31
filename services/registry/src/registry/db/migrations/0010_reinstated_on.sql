-- The day a revoked title was reinstated, so that a revocation dated before it (late, or of
-- another designation of the same entity and category) does not undo the reinstatement.
ALTER TABLE demonstration_status ADD COLUMN reinstated_on date;
