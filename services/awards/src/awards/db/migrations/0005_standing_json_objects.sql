-- Decisions' evidence and reports' accepted figures were written as JSON text through the
-- pool's jsonb codec, which encoded that text once more: each row held a JSON string, not the
-- object (so `evidence -> 'findings'` found nothing in SQL). Unwrap them; the code now writes
-- and reads the objects themselves.
UPDATE designation_standing SET evidence = (evidence #>> '{}')::jsonb
WHERE jsonb_typeof(evidence) = 'string';

UPDATE annual_reports SET accepted_figures = (accepted_figures #>> '{}')::jsonb
WHERE jsonb_typeof(accepted_figures) = 'string';
