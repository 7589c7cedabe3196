"""Alembic environment for the console tables only.

Why a separate version table (``console_alembic_version``) and an object filter: the console
shares the database with Rasa's ``events`` table, and a future autogenerate must neither see
``events`` as something to drop nor collide with another Alembic user of the same database.
"""

import sqlalchemy as sa
from alembic import context

from console.tables import metadata

VERSION_TABLE = "console_alembic_version"


def include_object(obj, name, type_, reflected, compare_to):
    """Only ``console_*`` tables (and their indexes) belong to these migrations."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", "")
    return bool(table_name) and table_name.startswith("console_")


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"), future=True)
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - we never render SQL scripts
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
