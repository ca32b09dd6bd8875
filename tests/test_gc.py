"""media gc: old unreferenced files go; shared, in-flight and foreign ones stay."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest

from articles.collect import CollectError, LibraryBusy, collect_orphans
from articles.ingest import ingest_bundle, media_names
from articles.store import Library
from media.demo.bundles import to_vtt
from tests.conftest import run_media_cli
from tests.test_ingest import tree_state
from tests.test_kill_ingest import assert_consistent, second_bundle

TWO_DAYS = 48 * 3600


def age(path: Path, seconds: float = TWO_DAYS) -> None:
    """Set a file's mtime ``seconds`` into the past."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def age_all(folder: Path) -> None:
    """Age every file directly in ``folder``."""
    for path in folder.iterdir():
        if path.is_file():
            age(path)


def caption_name(library: Library, slug: str) -> str:
    return library.article(slug).document.video.tracks[0].src


def recaption(bundle: Path, text: str) -> None:
    (bundle / "clip.en.vtt").write_text(to_vtt([(0.0, 1.5, text)]), encoding="utf-8")


@pytest.fixture
def aged_library(tmp_path, small_bundle) -> tuple[Library, dict[str, Path]]:
    """A library whose story was ingested three times, with orphans old and young, and strangers."""
    library = Library(tmp_path / "library")
    media = library.media_dir
    ingest_bundle(small_bundle, library)
    first = caption_name(library, "small-story")
    age_all(media)
    recaption(small_bundle, "Second words.")
    ingest_bundle(small_bundle, library)
    age(media / first)  # as if this ingest had run two days ago
    second = caption_name(library, "small-story")
    age_all(media)
    recaption(small_bundle, "Third words.")
    ingest_bundle(small_bundle, library)
    files = {
        "old orphan": media / first,                       # released two days ago
        "released orphan": media / second,                 # written long ago, released just now
        "old temporary": media / f".{first[:-4]}.k2j9x0qz.vtt",  # a crashed write
        "young temporary": media / f".{first[:-4]}.p7f3m1ab.vtt",  # a write in progress
        "stranger": media / "notes.txt",                   # not a name ingest writes
        "link": media / f"{'f' * 16}.vtt",                 # a link out of the library
        "outside": tmp_path / "outside.vtt",
    }
    files["old temporary"].write_text("WEBVTT\n", encoding="utf-8")
    files["young temporary"].write_text("WEBVTT\n", encoding="utf-8")
    files["stranger"].write_text("kept by hand", encoding="utf-8")
    files["outside"].write_text("WEBVTT\n", encoding="utf-8")
    files["link"].symlink_to(files["outside"])
    for name in ("old temporary", "stranger", "link", "outside"):
        age(files[name])
    return library, files


def test_old_orphans_go_and_referenced_young_and_foreign_files_stay(aged_library):
    library, files = aged_library
    referenced = media_names(library.article("small-story").document)
    clip = library.article("small-story").document.video.src
    assert (library.media_dir / clip).stat().st_mtime < time.time() - 3600  # old, yet in use

    result = collect_orphans(library)

    assert [o.path for o in result.orphans] == sorted([files["old orphan"], files["old temporary"]])
    assert result.bytes == sum(o.bytes for o in result.orphans) > 0
    assert not files["old orphan"].exists() and not files["old temporary"].exists()
    for name in ("released orphan", "young temporary", "stranger", "link", "outside"):
        assert os.path.lexists(files[name]), name
    for name in referenced:
        assert (library.media_dir / name).is_file(), name
    # The clip's sidecar is listed by no document, but goes with the outputs it describes.
    assert (library.media_dir / f"{clip.split('.')[0]}.json").is_file()
    assert assert_consistent(library) == {"small-story": "A small story"}


def test_dry_run_lists_the_same_files_and_removes_nothing(aged_library):
    library, files = aged_library
    before = tree_state(library.media_dir)
    dry = collect_orphans(library, dry_run=True)
    assert tree_state(library.media_dir) == before
    assert dry.dry_run and [o.path for o in dry.orphans] == sorted(
        [files["old orphan"], files["old temporary"]])
    assert collect_orphans(library).orphans == dry.orphans


def test_a_shorter_grace_period_takes_just_released_orphans_too(aged_library):
    library, files = aged_library
    result = collect_orphans(library, older_than=timedelta(0))
    assert files["released orphan"] in [o.path for o in result.orphans]
    assert assert_consistent(library) == {"small-story": "A small story"}


def test_a_failed_ingest_keeps_the_files_another_ingest_reuses(tmp_path, small_bundle, monkeypatch):
    root = tmp_path / "library"
    twin = second_bundle(small_bundle, "twin-story")
    failing = Library(root)

    def twin_saves_then_this_fails(row):
        # The twin runs once this ingest's new captions and photos are in
        # place, finds them there and saves an article that uses them.
        assert ingest_bundle(twin, Library(root)).slug == "twin-story"
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(failing, "save_article", twin_saves_then_this_fails)
    with pytest.raises(sqlite3.OperationalError):
        ingest_bundle(small_bundle, failing)

    library = Library(root)
    assert library.article("small-story") is None
    shared = media_names(library.article("twin-story").document)
    assert [name for name in shared if not (library.media_dir / name).is_file()] == []
    assert assert_consistent(library) == {"twin-story": "Story twin-story"}
    # Even with no grace period, collecting now takes nothing the twin uses.
    collect_orphans(library, older_than=timedelta(0))
    assert assert_consistent(library) == {"twin-story": "Story twin-story"}


def test_gc_during_an_ingest_refuses_and_takes_nothing(tmp_path, small_bundle, monkeypatch):
    library = Library(tmp_path / "library")
    ingest_bundle(small_bundle, library)
    recaption(small_bundle, "New words, new caption file.")
    ingesting = Library(library.root)
    save = ingesting.save_article
    refused = []

    def collect_before_saving(row):
        # Written, or reused and old, but referenced by no saved article yet.
        for path in library.media_dir.iterdir():
            if path.is_file():
                age(path)
        before = tree_state(library.media_dir)
        with pytest.raises(LibraryBusy) as busy:
            collect_orphans(Library(library.root), older_than=timedelta(0))
        refused.append(str(busy.value))
        assert tree_state(library.media_dir) == before
        save(row)

    monkeypatch.setattr(ingesting, "save_article", collect_before_saving)
    ingest_bundle(small_bundle, ingesting)
    assert refused and "an ingest or another gc is running" in refused[0]
    assert assert_consistent(library) == {"small-story": "A small story"}
    assert caption_name(library, "small-story") in {p.name for p in library.media_dir.iterdir()}


def test_a_missing_library_is_refused_and_not_created(tmp_path):
    with pytest.raises(CollectError, match="no library here"):
        collect_orphans(Library(tmp_path / "nowhere"))
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(ValueError):
        collect_orphans(Library(tmp_path / "nowhere"), older_than=timedelta(hours=-1))


def test_cli_prints_one_line_per_file_and_a_summary(aged_library):
    library, files = aged_library
    orphans = sorted([files["old orphan"], files["old temporary"]])
    dry = run_media_cli("gc", "--library", str(library.root), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [f"would remove {p}" for p in orphans]
    assert lines[-1].startswith("would remove 2 files, ") and lines[-1].endswith(" (dry run)")
    assert all(path.exists() for path in orphans)

    done = run_media_cli("gc", "--library", str(library.root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("removed 2 files, ")
    assert not any(path.exists() for path in orphans)
    again = run_media_cli("gc", "--library", str(library.root))
    assert again.stdout == "removed 0 files, 0 bytes\n"


def test_cli_json_and_older_than(aged_library):
    library, files = aged_library
    result = run_media_cli("gc", "--library", str(library.root), "--older-than", "0", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dry_run"] is False and data["older_than_hours"] == 0
    paths = {Path(f["path"]) for f in data["files"]}
    assert {files["old orphan"], files["released orphan"], files["young temporary"]} <= paths
    assert data["count"] == len(data["files"])
    assert data["bytes"] == sum(f["bytes"] for f in data["files"])
    assert assert_consistent(library) == {"small-story": "A small story"}


def _symlinked_media(root: Path) -> Path:
    with Library(root).connect(write=True):
        pass  # creates an empty, real database
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / f"{'a' * 16}.vtt").write_text("WEBVTT\n", encoding="utf-8")
    age(elsewhere / f"{'a' * 16}.vtt")
    (root / "media").symlink_to(elsewhere, target_is_directory=True)
    return elsewhere


@pytest.mark.parametrize("args, problem", [
    (["--older-than", "-1"], "hours must be 0 or more"),
    (["--older-than", "soon"], "give a number of hours"),
    (["--older-than", "nan"], "hours must be 0 or more"),
    (["--older-than", "1e12"], "hours must be at most 1,000,000"),
    (["--library", "{tmp}/nowhere"], "no library here"),
    (["--library", "{tmp}/linked"], "media folder is a symbolic link"),
])
def test_cli_bad_input_is_one_line_and_exit_1(tmp_path, args, problem):
    elsewhere = _symlinked_media(tmp_path / "linked")
    result = run_media_cli("gc", *[arg.format(tmp=tmp_path) for arg in args])
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in elsewhere.iterdir()] == [f"{'a' * 16}.vtt"]
    assert not (tmp_path / "nowhere").exists()


def test_cli_refuses_while_an_ingest_holds_the_library(aged_library):
    library, files = aged_library
    with library.references_held():
        result = run_media_cli("gc", "--library", str(library.root))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: {library.root}: an ingest or another gc is running; "
                                     "run gc again when it ends")
    assert files["old orphan"].exists()


def test_a_file_released_by_a_reingest_is_kept_for_the_grace_period(aged_library):
    library, files = aged_library
    released = files["released orphan"]
    assert released.name not in media_names(library.article("small-story").document)

    kept = run_media_cli("gc", "--library", str(library.root))
    assert kept.returncode == 0, kept.stderr
    assert released.is_file() and str(released) not in kept.stdout

    gone = run_media_cli("gc", "--library", str(library.root), "--older-than", "0")
    assert gone.returncode == 0, gone.stderr
    assert not released.exists() and f"removed {released} (" in gone.stdout
    assert assert_consistent(library) == {"small-story": "A small story"}


def test_the_files_of_one_stem_go_together(aged_library):
    library, _ = aged_library
    stem = "0123456789abcdef"
    clip, rendition, sidecar = (library.media_dir / f"{stem}{end}"
                                for end in (".mp4", "-480.mp4", ".json"))
    for path in (clip, rendition, sidecar):
        path.write_bytes(b"x")
        age(path)
    os.utime(rendition)  # one file of the stem is young: the whole stem stays

    collect_orphans(library)
    assert clip.is_file() and rendition.is_file() and sidecar.is_file()

    age(rendition)
    removed = {o.path for o in collect_orphans(library).orphans}
    assert {clip, rendition, sidecar} <= removed
    assert not any(path.exists() for path in (clip, rendition, sidecar))


def _fail_first_save(library: Library, monkeypatch) -> None:
    def fail(row):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(library, "save_article", fail)


def test_gc_cleans_a_library_whose_first_ingest_failed(tmp_path, small_bundle, monkeypatch):
    failing = Library(tmp_path / "library")
    _fail_first_save(failing, monkeypatch)
    with pytest.raises(sqlite3.OperationalError):
        ingest_bundle(small_bundle, failing)
    library = Library(failing.root)
    assert not library.exists() and (library.media_dir / ".locks").is_dir()
    left = [p for p in library.media_dir.iterdir() if p.is_file()]
    assert left

    result = run_media_cli("gc", "--library", str(library.root), "--older-than", "0")
    assert result.returncode == 0, result.stderr
    assert [p for p in library.media_dir.iterdir() if p.is_file()] == []
    assert result.stdout.splitlines()[-1].startswith(f"removed {len(left)} files, ")


def test_a_media_folder_without_a_library_is_refused(tmp_path):
    # A folder that happens to be called media, with no database and no locks folder.
    media = tmp_path / "somewhere" / "media"
    media.mkdir(parents=True)
    (media / f"{'b' * 16}.jpg").write_bytes(b"holiday")
    age(media / f"{'b' * 16}.jpg")
    with pytest.raises(CollectError, match="no library here"):
        collect_orphans(Library(media.parent), older_than=timedelta(0))
    assert [p.name for p in media.iterdir()] == [f"{'b' * 16}.jpg"]


def _tree(root: Path) -> list[Path]:
    # SQLite itself adds its -wal and -shm files beside a WAL database when
    # any connection reads it, the web's included; only what gc makes counts.
    return sorted(p.relative_to(root) for p in root.rglob("*")
                  if not p.name.endswith(("-wal", "-shm")))


def test_a_dry_run_takes_no_lock_and_creates_nothing(tmp_path):
    library = Library(tmp_path / "library")
    with library.connect(write=True):
        pass  # an empty database, and no media folder or locks yet
    library.media_dir.mkdir()
    orphan = library.media_dir / f"{'c' * 16}.vtt"
    orphan.write_text("WEBVTT\n", encoding="utf-8")
    age(orphan)
    before = _tree(library.root)

    dry = run_media_cli("gc", "--library", str(library.root), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith(f"would remove {orphan} (")
    assert _tree(library.root) == before

    with library.references_held():  # an ingest is running: a dry run does not wait
        assert [o.path for o in collect_orphans(library, dry_run=True).orphans] == [orphan]
    assert orphan.is_file()


def test_an_unreadable_database_is_one_line(tmp_path):
    library = Library(tmp_path / "library")
    (library.media_dir / ".locks").mkdir(parents=True)
    library.database.write_bytes(b"this is not a database, whatever its name says" * 100)
    result = run_media_cli("gc", "--library", str(library.root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {library.database}: "), result.stderr


def _oddly_stored(library: Library, slug: str) -> None:
    """Store a document shaped as an older pipeline might have: a video without tracks."""
    with library.connect(write=True) as db:
        document = json.loads(db.execute("SELECT document FROM articles WHERE slug = ?",
                                         (slug,)).fetchone()["document"])
        del document["video"]["tracks"]
        db.execute("UPDATE articles SET document = ? WHERE slug = ?",
                   (json.dumps(document), slug))


def test_an_odd_stored_document_stops_gc_but_not_a_reingest(tmp_path, small_bundle):
    library = Library(tmp_path / "library")
    ingest_bundle(small_bundle, library)
    age_all(library.media_dir)
    _oddly_stored(library, "small-story")
    before = tree_state(library.media_dir)

    with pytest.raises(CollectError, match="'small-story' has a document gc cannot read"):
        collect_orphans(library, older_than=timedelta(0))
    assert tree_state(library.media_dir) == before

    recaption(small_bundle, "Words for a newer pipeline.")
    assert not ingest_bundle(small_bundle, library).skipped
    assert assert_consistent(library) == {"small-story": "A small story"}


def test_gc_names_the_odd_field_and_a_document_that_is_not_json_in_one_line(tmp_path, small_bundle):
    library = Library(tmp_path / "library")
    ingest_bundle(small_bundle, library)
    _oddly_stored(library, "small-story")
    with pytest.raises(CollectError, match=r"'small-story' has a document gc cannot read "
                                           r"\(video\.tracks is missing\)$"):
        collect_orphans(library, older_than=timedelta(0))

    with library.connect(write=True) as db:
        db.execute("UPDATE articles SET document = '{\"slug\": ' WHERE slug = 'small-story'")
    result = run_media_cli("gc", "--library", str(library.root), "--older-than", "0")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {library.database}: article 'small-story' has a document "
                           "gc cannot read (the document is not JSON ("), line
