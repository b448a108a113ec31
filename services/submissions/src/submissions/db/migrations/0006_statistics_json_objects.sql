-- Statistics figures and review comments were written as JSON text through the pool's jsonb
-- codec, which encoded that text once more: each row held a JSON string, not the object (so
-- `figures -> 'online_retail_sales'` found nothing in SQL). Unwrap them; the code now writes
-- and reads the objects themselves. Versions are immutable to the application (a trigger
-- refuses every update): the trigger is set aside for this one rewrite of their encoding,
-- inside the migration's transaction, and set back before it commits.
ALTER TABLE statistics_versions DISABLE TRIGGER statistics_versions_immutable;

UPDATE statistics_versions SET figures = (figures #>> '{}')::jsonb
WHERE jsonb_typeof(figures) = 'string';

ALTER TABLE statistics_versions ENABLE TRIGGER statistics_versions_immutable;

UPDATE statistics_steps SET field_comments = (field_comments #>> '{}')::jsonb
WHERE jsonb_typeof(field_comments) = 'string';
