-- What a bureau reads in a reminder: the designated entity's name and title (from
-- awards.designation.granted), instead of the designation id alone.
ALTER TABLE designations
    ADD COLUMN entity_name text,
    ADD COLUMN title       text;
