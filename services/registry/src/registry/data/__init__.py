"""Data shipped with the registry service (read explicitly, never at import)."""
