"""The library in PostgreSQL: its schema and upgrades, and the app when the server goes away."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from app import create_app
from articles.collect import collect_orphans
from articles.database import SchemaOutOfDate
from articles.ingest import ingest_bundle, media_names
from articles.postgres import SCHEMA_VERSION
from articles.store import Library
from tests.conftest import ROOT, run_media_cli
from tests.test_gc import age_all, recaption


def test_db_upgrade_creates_the_schema_and_a_second_run_changes_nothing(tmp_path, postgres_url):
    env = {"NEWSREEL_DATABASE_URL": postgres_url, "NEWSREEL_LIBRARY": str(tmp_path / "library")}
    first = run_media_cli("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith(f"schema 0 -> {SCHEMA_VERSION}")
    second = run_media_cli("db", "upgrade", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().endswith(f"schema {SCHEMA_VERSION}, up to date")
    assert Library(tmp_path, database_url=postgres_url).version() == 0


def test_db_upgrade_creates_a_sqlite_library_too(tmp_path):
    done = run_media_cli("db", "upgrade", "--library", str(tmp_path / "library"))
    assert done.returncode == 0, done.stderr
    library = Library(tmp_path / "library")
    assert library.exists() and library.articles() == [] and library.search("ferry").hits == ()
    assert run_media_cli("db", "upgrade", "--library", str(library.root)).stdout.strip().endswith(
        "up to date")


def test_the_app_refuses_to_start_without_the_schema_naming_the_command(tmp_path, postgres_url):
    with pytest.raises(SchemaOutOfDate) as refused:
        create_app({"TESTING": True, "LIBRARY": str(tmp_path), "DATABASE_URL": postgres_url})
    message = str(refused.value)
    assert "\n" not in message and "python -m media db upgrade" in message, message


def test_the_app_refuses_an_older_schema_and_starts_once_it_is_upgraded(tmp_path, postgres_url):
    Library(tmp_path, database_url=postgres_url).upgrade()
    # What an older Newsreel left: the schema one version back.
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE meta SET value = %s WHERE key = 'schema'", (str(SCHEMA_VERSION - 1),))
    with pytest.raises(SchemaOutOfDate, match="python -m media db upgrade"):
        create_app({"TESTING": True, "LIBRARY": str(tmp_path), "DATABASE_URL": postgres_url})
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("UPDATE meta SET value = %s WHERE key = 'schema'", (str(SCHEMA_VERSION),))
    create_app({"TESTING": True, "LIBRARY": str(tmp_path), "DATABASE_URL": postgres_url})


def test_ingest_into_a_database_without_the_schema_is_one_line(tmp_path, small_bundle, postgres_url):
    done = run_media_cli("ingest", str(small_bundle), "--library", str(tmp_path / "library"),
                         env={"NEWSREEL_DATABASE_URL": postgres_url})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "python -m media db upgrade" in lines[0], done.stderr


def test_a_saved_article_is_read_back_searched_and_bumps_the_version(tmp_path, small_bundle,
                                                                     postgres_url):
    library = Library(tmp_path / "library", database_url=postgres_url)
    library.upgrade()
    ingest_bundle(small_bundle, library)
    assert [row.slug for row in library.articles()] == ["small-story"]
    assert library.version() == 1 and library.source_hash("small-story")
    assert [hit.slug for hit in library.search("small clip").hits] == ["small-story"]
    library.save_article(library.article("small-story"))
    assert library.version() == 2
    assert [hit.slug for hit in library.search("small clip").hits] == ["small-story"]


def test_gc_keeps_what_the_articles_in_postgresql_refer_to(tmp_path, small_bundle, postgres_url):
    library = Library(tmp_path / "library", database_url=postgres_url)
    library.upgrade()
    ingest_bundle(small_bundle, library)
    first = library.article("small-story").document.video.tracks[0].src
    recaption(small_bundle, "Second words.")
    ingest_bundle(small_bundle, library)
    age_all(library.media_dir)
    result = collect_orphans(library)
    assert [orphan.path.name for orphan in result.orphans] == [first]
    for name in media_names(library.article("small-story").document):
        assert (library.media_dir / name).is_file(), name


def test_a_process_that_ends_closes_its_connections(tmp_path, postgres_url):
    Library(tmp_path, database_url=postgres_url).upgrade()
    reads = ("import sys; from articles.store import Library; "
             f"library = Library({str(tmp_path)!r}, database_url={postgres_url!r}); "
             "print(library.version(), library.articles())")
    done = subprocess.run([sys.executable, "-X", "dev", "-c", reads], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 []"
    assert "ResourceWarning" not in done.stderr, done.stderr
