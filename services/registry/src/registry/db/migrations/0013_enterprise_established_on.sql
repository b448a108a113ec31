-- The day an enterprise was established (成立日期, on its business licence), when known. "新增电商
-- 企业" (000 一(二)) counts enterprises established in the programme period; the day a record was
-- typed into the registry (created_at) says nothing about that: a bulk import of long-established
-- enterprises is not growth. A record without it is not counted as new.
ALTER TABLE enterprises ADD COLUMN established_on date;
