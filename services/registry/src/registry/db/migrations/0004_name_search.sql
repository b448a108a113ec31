-- Name search that works for Chinese: trigrams (pg_trgm) cannot index the one- and
-- two-character words Chinese names are made of, so every searchable name also keeps its
-- characters and overlapping character pairs as a tsvector with a GIN index. A query matches
-- names holding all of its pairs (or its one character); ranking then prefers names that
-- contain the query as written, then closer (pg_trgm word similarity) and shorter names.
CREATE FUNCTION name_ngrams(name text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT array_to_tsvector(array_agg(DISTINCT gram))
    FROM (
        SELECT substr(lower(name), i, n) AS gram
        FROM generate_series(1, char_length(name)) AS i, (VALUES (1), (2)) AS sizes (n)
        WHERE i + n - 1 <= char_length(name) AND btrim(substr(name, i, n)) <> ''
    ) AS grams
$$;

ALTER TABLE enterprises ADD COLUMN name_search tsvector GENERATED ALWAYS AS (name_ngrams(name)) STORED;
ALTER TABLE stores ADD COLUMN name_search tsvector GENERATED ALWAYS AS (name_ngrams(name)) STORED;
ALTER TABLE parks ADD COLUMN name_search tsvector GENERATED ALWAYS AS (name_ngrams(name)) STORED;
ALTER TABLE live_teams ADD COLUMN name_search tsvector GENERATED ALWAYS AS (name_ngrams(name)) STORED;
ALTER TABLE brands ADD COLUMN name_search tsvector GENERATED ALWAYS AS (name_ngrams(name)) STORED;
ALTER TABLE products ADD COLUMN name_search tsvector GENERATED ALWAYS AS (name_ngrams(name)) STORED;

CREATE INDEX enterprises_name_search ON enterprises USING gin (name_search);
CREATE INDEX stores_name_search ON stores USING gin (name_search);
CREATE INDEX parks_name_search ON parks USING gin (name_search);
CREATE INDEX live_teams_name_search ON live_teams USING gin (name_search);
CREATE INDEX brands_name_search ON brands USING gin (name_search);
CREATE INDEX products_name_search ON products USING gin (name_search);

-- The trigram indexes of 0001/0002 serve no query now and slow every write.
DROP INDEX enterprises_name_trgm;
DROP INDEX stores_name_trgm;
DROP INDEX parks_name_trgm;
