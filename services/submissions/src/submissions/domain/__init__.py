"""The submissions service's pure rules: no I/O, no framework imports.

Windows and templates come from the programme file (``shared.programmes``); these modules decide
on time or late, who is expected, whether a report may be taken, what a report must hold, the
review flow, completeness, and when the deadline clock fires. See docs/submissions.md.
"""
