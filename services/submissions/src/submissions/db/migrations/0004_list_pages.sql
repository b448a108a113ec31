-- Extensions and attachments are listed a page at a time in the order they came (time, then
-- id); these indexes let each page start at its cursor instead of sorting the whole list.
CREATE INDEX extensions_window_requested ON extensions (window_id, requested_at, id);
CREATE INDEX report_attachments_added ON report_attachments (report_id, added_at, sha256);
