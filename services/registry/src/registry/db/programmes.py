"""SQL of programme revisions (``programme_revisions``, migration 0012; append-only). The
service's own ``programme_definitions`` row (the newest revision, which its catalogue reads) is
written with the shared statement of ``shared.programmes.revisions``."""

# One revision at a time per programme, until the transaction ends: two revisions of one
# programme based on the same one cannot both be added (the second finds the first and answers
# 412), and a deploy's file revision never interleaves with an API revision. A transaction-level
# advisory lock, since the row to lock (the next revision) does not exist yet.
LOCK_PROGRAMME = "SELECT pg_advisory_xact_lock(hashtextextended('programme:' || $1, 0))"

LATEST_REVISION = """
SELECT * FROM programme_revisions WHERE programme_id = $1 ORDER BY revision DESC LIMIT 1
"""
LATEST_REVISION_NUMBER = "SELECT max(revision) FROM programme_revisions WHERE programme_id = $1"
# The newest revision that came from the programme's file: a deploy compares its file with it.
LATEST_FILE_SHA256 = """
SELECT file_sha256 FROM programme_revisions WHERE programme_id = $1 AND source = 'file'
ORDER BY revision DESC LIMIT 1
"""
REVISION = "SELECT * FROM programme_revisions WHERE programme_id = $1 AND revision = $2"
INSERT_REVISION = """
INSERT INTO programme_revisions (programme_id, revision, definition, source, file_sha256,
                                 author, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *
"""
# Newest first, before the cursor's revision ($2; NULL: from the newest). The definitions stay
# out of the list: each revision is read on its own.
REVISIONS_PAGE = """
SELECT programme_id, revision, source, file_sha256, author, reason, created_at
FROM programme_revisions
WHERE programme_id = $1 AND ($2::int IS NULL OR revision < $2)
ORDER BY revision DESC
LIMIT $3
"""
