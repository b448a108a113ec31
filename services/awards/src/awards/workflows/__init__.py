"""The application workflow on Temporal: types, workflow (deterministic), activities, worker."""
