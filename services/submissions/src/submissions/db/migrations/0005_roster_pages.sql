-- The roster is read a page of entries at a time, each with its own changes: this index finds
-- one page's changes without reading every change of the window.
CREATE INDEX roster_changes_designation ON roster_changes (window_id, designation_id, id);
