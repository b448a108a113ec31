"""The deadline clock: one Temporal workflow per reporting window (docs/submissions.md)."""
