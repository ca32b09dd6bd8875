"""The throwaway servers the multi-machine tests run on: Debian's PostgreSQL and Redis, on loopback.

Each test starts its own server in a temporary folder, uses it as the
library and the queue will, restarts it, and checks what survived.
"""

from __future__ import annotations

import pytest

from tests.conftest import IN_CI
from tests.services import ServiceError, postgres_server, redis_server


def _started(factory):
    try:
        return factory()
    except ServiceError as error:
        if IN_CI:
            pytest.fail(str(error))
        pytest.skip(str(error))


def test_postgresql_starts_searches_german_and_english_and_keeps_its_rows_over_a_restart():
    with _started(postgres_server) as server:
        assert server.url.startswith("postgresql://postgres@127.0.0.1:")
        assert server.sql("SELECT 1") == "1"
        # What the library's search on PostgreSQL will use: unaccent and stemming per language.
        server.sql("CREATE EXTENSION unaccent")
        assert server.sql("SELECT to_tsvector('german', unaccent('Die Fahrgäste')) "
                          "@@ to_tsquery('german', unaccent('Fahrgaste'))") == "t"
        assert server.sql("SELECT to_tsvector('english', 'ferries') "
                          "@@ to_tsquery('english', 'ferry')") == "t"
        server.sql("CREATE TABLE kept (name text); INSERT INTO kept VALUES ('night-ferry')")
        server.restart()
        assert server.sql("SELECT name FROM kept") == "night-ferry"
    # Stopped: nothing listens on its port any more.
    with pytest.raises(ServiceError):
        server.sql("SELECT 1")


def test_redis_starts_and_keeps_queued_items_over_a_restart():
    with _started(redis_server) as server:
        assert server.url.startswith("redis://127.0.0.1:")
        assert server.command("PING") == "PONG"
        assert server.command("RPUSH", "jobs", "night-ferry-returns") == "1"
        server.restart()
        assert server.command("LLEN", "jobs") == "1"
        assert server.command("LPOP", "jobs") == "night-ferry-returns"
