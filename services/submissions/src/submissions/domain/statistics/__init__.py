"""Statistics monitoring's pure rules (docs/statistics.md): periods, figures, sums and growth,
the published view, who may report and when, and the statistics deadline clock's plan.

No I/O here; the handlers (``submissions.handlers.statistics*``) load and store.
"""
