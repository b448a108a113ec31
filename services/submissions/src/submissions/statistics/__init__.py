"""Statistics monitoring (issue 13): pure rules for periods, figures, sums and growth.

No I/O here; the handlers in ``submissions.handlers.statistics`` load and store.
"""
