"""Bulk imports as rules: the columns of an import file, the checks of each row, the job's modes
and tallies, and the scope an uploading caller keeps with its job. Reading files is
``registry.bulk``'s; running a job is ``registry.handlers.import_jobs``'."""
