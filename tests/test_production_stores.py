"""The production path over real connections: conversations in PostgreSQL, conversation locks
in Redis (endpoints.postgresql.yml's stores), and nothing lost when Rasa restarts."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
import sqlalchemy as sa
import yaml

from eval.servers import ROOT, start_bot, throwaway_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]
REDIS_DB = 7


@pytest.fixture
def pg_database():
    with throwaway_database("triage_test") as name:
        yield name


def stores(database: str, prefix: str) -> dict:
    return {
        "tracker_store": {
            "type": "store.tracker_store.TriageTrackerStore",
            "dialect": "postgresql",
            "url": "127.0.0.1",
            "port": 5432,
            "db": database,
            "username": "postgres",
            "password": "",
        },
        "lock_store": {
            "type": "store.lock_store.FencedRedisLockStore",
            "url": "127.0.0.1",
            "port": 6379,
            "db": REDIS_DB,
            "key_prefix": prefix,
        },
    }


def test_production_endpoints_file_names_the_same_stores():
    production = yaml.safe_load((ROOT / "endpoints.postgresql.yml").read_text())
    assert production["tracker_store"]["dialect"] == "postgresql"
    assert production["lock_store"]["type"] == stores("db", "p")["lock_store"]["type"]


def test_postgresql_tracker_store_and_redis_lock_store(tmp_path, pg_database):
    prefix = f"triage{uuid.uuid4().hex[:6]}"
    config = stores(pg_database, prefix)
    db_url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    bot = start_bot(tmp_path / "first", config["tracker_store"], config["lock_store"], db_url)
    try:
        bot.send(sender, "i have pressure in my vagina and some spotting")
        bot.send(sender, "20 weeks")
        clients = redis.Redis(host="127.0.0.1", port=6379).client_list()
        assert any(int(c.get("db", -1)) == REDIS_DB for c in clients), (
            "Rasa did not use the Redis lock store"
        )
    finally:
        bot.stop()

    # A restarted Rasa continues the same conversation from PostgreSQL.
    bot = start_bot(tmp_path / "second", config["tracker_store"], config["lock_store"], db_url)
    try:
        answer = bot.send(sender, "no")
        levels = [
            m["custom"]["triage"]["level"] for m in answer if (m.get("custom") or {}).get("triage")
        ]
        assert levels == ["urgent"], answer
    finally:
        bot.stop()

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select type_name, data from events where sender_id = :s order by id"),
            {"s": sender},
        ).fetchall()
    engine.dispose()
    kinds = [kind for kind, _ in rows]
    assert kinds.count("user") == 3
    assert any(
        ((json.loads(d).get("data") or {}).get("custom") or {}).get("triage")
        for k, d in rows
        if k == "bot"
    )
