"""What every service process shares: the FastAPI app skeleton, health checks, entrypoints."""
