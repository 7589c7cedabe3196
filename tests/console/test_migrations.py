"""Migrations: own version table, Rasa's table untouched, nothing lost over restarts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from starlette.testclient import TestClient

from console import migrate
from console.app import create_app
from console.db import make_engine
from console.tables import metadata
from eval.servers import pg_url as database_url
from eval.servers import throwaway_database
from tests.console import rasa_events as ev
from tests.console.conftest import NURSE, csrf_of, login

RASA_EVENT_COLUMNS = {
    "id",
    "sender_id",
    "type_name",
    "timestamp",
    "intent_name",
    "action_name",
    "data",
}


def test_version_table_is_the_consoles_own(engine):
    tables = set(sa.inspect(engine).get_table_names())
    assert "console_alembic_version" in tables
    assert "alembic_version" not in tables
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert {t for t in tables if not t.startswith("console_")} == {"events"}


def test_rasa_events_table_is_rasa_s_schema(engine):
    columns = {c["name"] for c in sa.inspect(engine).get_columns("events")}
    assert columns == RASA_EVENT_COLUMNS


def test_migrations_match_the_table_definitions(engine):
    """What the migrations built is what console/tables.py describes (no drift)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    (name if type_ == "table" else obj.table.name).startswith("console_")
                    and name != "console_alembic_version"
                ),
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_migrate_is_idempotent_and_keeps_data(engine, write, users):
    write("keep-me", ev.urgent_conversation())
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM console_users")).scalar() == 2
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = 'keep-me'")
            ).scalar()
            > 0
        )


def test_migrate_on_a_database_rasa_already_filled(tmp_path):
    url = f"sqlite:///{tmp_path / 'rasa-first.db'}"
    ev.save(url, "before-console", ev.urgent_conversation())
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM events")).scalar() > 0
    assert {c["name"] for c in sa.inspect(engine).get_columns("events")} == RASA_EVENT_COLUMNS


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with throwaway_database("console_migration") as name:
        yield database_url(name)


def test_the_left_alerts_migration_keeps_every_delivery_and_attempt(empty_db_url):
    """0007 changes console_notifications' unique constraint; on SQLite that rebuilds the table,
    and with foreign keys on the rebuild would take the deliveries and attempts with it (ON
    DELETE CASCADE). They stay, up and down."""
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0006")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO console_notifications (id, sender_id, level, reached_at,"
                    " created_at) VALUES (1, 's', 'urgent', 1, 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO console_notification_deliveries (id, notification_id, channel,"
                    " status, attempts, next_attempt_at) VALUES (1, 1, 'email', 'sent', 1, 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO console_notification_attempts (id, delivery_id, at, ok)"
                    " VALUES (1, 1, 1, TRUE)"
                )
            )

        def counts() -> list[int]:
            with engine.connect() as conn:
                return [
                    conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in (
                        "console_notifications",
                        "console_notification_deliveries",
                        "console_notification_attempts",
                    )
                ]

        migrate.upgrade(engine)
        assert counts() == [1, 1, 1]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT kind FROM console_notifications")).scalar() == (
                "reached"
            )
        with engine.begin() as conn:
            command_config = migrate.alembic_config(engine)
            command_config.attributes["connection"] = conn
            command.downgrade(command_config, "0006")
        assert counts() == [1, 1, 1]
    finally:
        engine.dispose()


def test_nothing_lost_when_the_console_restarts(settings, engine, write, users):
    write("restart-1", ev.urgent_conversation())
    app = create_app(settings, engine)
    with TestClient(app, base_url="http://testserver") as c:
        assert login(c, *NURSE).status_code == 303
        page = c.get("/conversation/restart-1").text
        c.post(
            "/conversation/restart-1/note",
            data={"csrf_token": csrf_of(page), "body": "persisted note"},
        )
    engine.dispose()
    fresh_engine = make_engine(settings.db_url)  # a new process would build its own engine
    try:
        migrate.upgrade(fresh_engine)
        with TestClient(create_app(settings, fresh_engine), base_url="http://testserver") as c:
            assert login(c, *NURSE).status_code == 303
            assert "persisted note" in c.get("/conversation/restart-1").text
            assert 'data-sender="restart-1"' in c.get("/").text
    finally:
        fresh_engine.dispose()


def test_sqlite_uses_wal(engine):
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
