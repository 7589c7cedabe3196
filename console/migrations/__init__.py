"""Alembic migrations for the console's own tables (version table ``console_alembic_version``)."""
