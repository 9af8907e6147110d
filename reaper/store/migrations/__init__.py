"""Alembic migrations of the state store, applied by ``reaper.store.migrate`` at start."""
