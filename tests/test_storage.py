"""storage: models, migrations, the Archive repository (SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
import hashlib
import logging
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from crawler.items import PageItem, empty_article
from pipelines.dedupe import content_hash
from storage import migrations
from storage.models import Base, RunLock
from storage.repository import Archive, date_range, default_url

ROOT = Path(__file__).resolve().parents[1]
SITE = "monitorindonesia.com"


def make_item(i: int, *, version: int = 1, site: str = SITE, url: str | None = None, sid: str | None = "auto",
              fetched_at: str | None = None, **fields) -> PageItem:
    url = url or f"https://{site}/ekonomi/read/2023/12/{i}/artikel-{i}"
    fetched_at = fetched_at or f"2023-12-06T00:{version % 60:02d}:00+00:00"
    article = empty_article(url)
    article.update(
        canonical_url=url,
        site=site,
        site_article_id=str(i) if sid == "auto" else sid,
        section="ekonomi",
        headline=f"Judul artikel {i}",
        byline=["Rizky Amin"],
        editor="Ran",
        published_at=f"2023-12-{1 + i % 28:02d}T{i % 24:02d}:10:00+07:00",
        published_raw=f"Selasa, {1 + i % 28:02d} Desember 2023 | {i % 24:02d}:10 WIB",
        body=f"Jakarta, MI - Isi artikel {i}, versi {version}.\n\nParagraf kedua.",
        tags=["ekonomi", "baterai"],
        language="id",
        parser="monitor/1",
        fetched_at=fetched_at,
        field_sources={"headline": "site"},
    )
    article.update(fields)
    page = {
        "url": url,
        "status": 200,
        "headers": {"Content-Type": "text/html; charset=utf-8"},
        "request_headers": {"User-Agent": "warta-test"},
        "body": f"<html><h1>{i}</h1><p>v{version}</p></html>".encode(),
        "fetched_at": fetched_at,
        "kind": "article",
        "encoding": "utf-8",
    }
    return PageItem(page=page, article=article)


@pytest.fixture
def archive(db_url):
    archive = Archive(db_url)
    yield archive
    archive.dispose()


# -- the revision flow -----------------------------------------------------------------------


def test_new_unchanged_updated_flow(archive):
    v1 = make_item(1)
    assert archive.store_batch([v1]) == ["new"]
    art = archive.get_article(v1["article"]["url"])
    assert art["revision"] == 1 and art["content_hash"] == content_hash(v1["article"])
    assert art["published_utc"] == datetime(2023, 12, 1, 18, 10, tzinfo=timezone.utc)
    assert art["published_at"] == "2023-12-02T01:10:00+07:00"  # kept exactly as given

    # same content, fetched later: only last_seen_at moves, no revision row
    again = make_item(1, fetched_at="2023-12-07T00:00:00+00:00")
    assert archive.store_batch([again]) == ["unchanged"]
    art2 = archive.get_article(id=art["id"])
    assert art2["last_seen_at"] == datetime(2023, 12, 7, tzinfo=timezone.utc)
    assert art2["first_seen_at"] == art["first_seen_at"]
    assert art2["fetched_at"] == art["fetched_at"]
    assert len(archive.revisions(art["id"])) == 1

    # new content: revision 2, article row now the latest version
    v2 = make_item(1, version=2, fetched_at="2023-12-08T00:00:00+00:00")
    assert archive.store_batch([v2]) == ["updated"]
    art3 = archive.get_article(id=art["id"])
    assert art3["revision"] == 2 and art3["body"] == v2["article"]["body"]
    assert art3["first_seen_at"] == art["first_seen_at"]

    # back to the first content: that is a new revision too, nothing is merged away
    v1_again = make_item(1, fetched_at="2023-12-09T00:00:00+00:00")
    assert archive.store_batch([v1_again]) == ["updated"]
    revisions = archive.revisions(art["id"])
    assert [r["revision"] for r in revisions] == [1, 2, 3]
    assert [r["data"]["body"] for r in revisions] == [v1["article"]["body"], v2["article"]["body"],
                                                      v1["article"]["body"]]
    assert revisions[0]["data"]["headline"] == "Judul artikel 1"
    assert all(r["page_id"] for r in revisions)
    assert archive.counts() == {"pages": 4, "articles": 1, "article_revisions": 3}


def test_nothing_is_overwritten_silently(archive):
    archive.store_batch([make_item(7)])
    first = archive.get_article(make_item(7)["article"]["url"])
    # the slug changed on the site: same site_article_id, new URL -> same article
    moved = make_item(7, version=2, url=f"https://{SITE}/ekonomi/read/2023/12/7/judul-baru")
    assert archive.store_batch([moved]) == ["updated"]
    assert archive.count("articles") == 1
    latest = archive.get_article(id=first["id"])
    assert latest["canonical_url"] == first["canonical_url"]  # identity kept
    assert latest["url"] == moved["article"]["url"]
    old = archive.revisions(first["id"])[0]["data"]
    assert old["body"] == make_item(7)["article"]["body"]


def test_in_batch_repeats_are_ordered(archive):
    out = archive.store_batch([make_item(3), make_item(3), make_item(3, version=2), make_item(4),
                               make_item(3, version=3)])
    assert out == ["new", "unchanged", "updated", "new", "updated"]
    art = archive.get_article(make_item(3)["article"]["url"])
    assert art["revision"] == 3
    assert [r["revision"] for r in archive.revisions(art["id"])] == [1, 2, 3]


def test_articles_without_site_article_id(archive):
    a = make_item(1, sid=None, url=f"https://{SITE}/berita/tanpa-id")
    b = make_item(2, sid=None, url=f"https://{SITE}/berita/tanpa-id-2")
    assert archive.store_batch([a, b]) == ["new", "new"]  # NULL ids never conflict
    assert archive.store_batch([make_item(1, sid=None, url=f"https://www.{SITE}/berita/tanpa-id?utm_source=x")]) == [
        "unchanged"
    ]


def test_pages_are_kept_for_everything(archive):
    parse_error = make_item(5, parse_error="not an article: no headline")
    listing = PageItem(page={"url": f"https://{SITE}/indeks?page=2", "status": 200, "body": b"<html>list</html>",
                             "kind": "listing", "fetched_at": "2023-12-06T00:00:00+00:00"}, article=None)
    failure = PageItem(page={"url": f"https://{SITE}/x", "status": None, "body": None, "kind": "other",
                             "error": "TimeoutError: timed out"}, article=None)
    server_error = PageItem(page={"url": f"https://{SITE}/y", "status": 503, "body": b"busy"}, article=None)
    dup = make_item(6)
    dup["duplicate"] = True
    out = archive.store_batch([make_item(6), parse_error, listing, failure, server_error, dup])
    assert out == ["new", "parse-error", "page-only", "page-only", "page-only", "duplicate"]
    assert archive.count("articles") == 1
    pages = list(archive.iter_pages())
    assert len(pages) == 6
    assert pages[1]["parse_error"] == "not an article: no headline" and pages[1]["article_id"] is None
    assert pages[1]["body"] == parse_error["page"]["body"]
    assert pages[2]["kind"] == "listing"
    assert pages[3]["error"] == "TimeoutError: timed out" and pages[3]["body"] is None and pages[3]["status"] is None
    assert pages[4]["status"] == 503
    assert pages[5]["article_id"] == pages[0]["article_id"] is not None  # duplicate page linked
    assert pages[0]["content_type"] == "text/html; charset=utf-8"
    assert pages[0]["headers"] == {"Content-Type": "text/html; charset=utf-8"}
    assert pages[0]["request_headers"] == {"User-Agent": "warta-test"}


def test_gzip_round_trip_is_byte_exact(archive):
    rng = random.Random(1)
    bodies = [
        b"",
        "<html><meta charset=windows-1252>caf\xe9 \u2014 \U0001F600</html>".encode("utf-8"),
        "caf\xe9".encode("cp1252"),  # not UTF-8: stored as received
        b"\xef\xbb\xbf<html>BOM</html>",
        bytes(rng.getrandbits(8) for _ in range(50_000)),
        b"<p>Indonesia</p>" * 20_000,
    ]
    items = [PageItem(page={"url": f"https://{SITE}/p/{n}", "status": 200, "body": body, "kind": "other"},
                      article=None) for n, body in enumerate(bodies)]
    archive.store_batch(items)
    pages = list(archive.iter_pages(batch=2))
    assert [p["body"] for p in pages] == bodies
    for page, body in zip(pages, bodies):
        assert page["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert gzip.decompress(page["body_gz"]) == body
    assert len(pages[-1]["body_gz"]) < len(bodies[-1]) / 100  # actually compressed


def test_store_batch_links_run_and_counts(archive):
    run = archive.start_run("monitor", {"since": "2023-12-01"}, "https://www.monitorindonesia.com")
    items = [make_item(i) for i in range(3)]
    for item in items:
        item["page"]["run_id"] = run
    archive.store_batch(items)
    archive.store_batch([make_item(9)], run_id=run)
    assert {p["run_id"] for p in archive.iter_pages()} == {run}
    archive.finish_run(run, "ok", {"pages_fetched": 4, "articles_new": 4, "articles_parsed": 4},
                       {"fill_rates": {"headline": 1.0}})
    row = archive.get_run(run)
    assert row["status"] == "ok" and row["site"] == SITE and row["pid"] == os.getpid()
    assert row["pages_fetched"] == 4 and row["articles_new"] == 4 and row["articles_updated"] == 0
    assert row["stats"] == {"fill_rates": {"headline": 1.0}, "counts": {"articles_parsed": 4}}
    assert row["finished_at"] >= row["started_at"]
    assert row["args"] == {"since": "2023-12-01"}


def test_resume_lookups(archive):
    ok = make_item(1)
    failed = PageItem(page={"url": f"https://{SITE}/gagal", "status": 500, "body": b""}, article=None)
    archive.store_batch([ok, failed])
    key = "https://monitorindonesia.com/ekonomi/read/2023/12/1/artikel-1"
    assert archive.has_page(key)
    assert not archive.has_page(f"https://{SITE}/gagal")  # failures are fetched again
    assert archive.has_page(f"https://{SITE}/gagal", ok_only=False)
    many = [f"https://{SITE}/nope/{n}" for n in range(1200)] + [key]
    assert archive.known_urls(many) == {key}
    assert archive.known_urls([]) == set()


def test_latest_article_ids_and_counts(archive):
    dates = {1: "2023-12-01T10:00:00+07:00", 2: "2023-12-02T10:00:00+07:00", 3: "2023-12-03T10:00:00+08:00",
             30: "2023-12-03T10:00:00+07:00"}  # 3 is 09:00 WIB, before 30
    archive.store_batch([make_item(i, published_at=d) for i, d in dates.items()]
                        + [make_item(5, site="other.example")])
    assert archive.latest_article_ids(SITE) == ["30", "3", "2", "1"]  # newest publication first
    assert archive.latest_article_ids("www." + SITE, limit=2) == ["30", "3"]
    assert archive.count("articles", site=SITE) == 4
    assert archive.counts(site="other.example") == {"pages": 1, "articles": 1, "article_revisions": 1}


def test_iter_pages_filters(archive):
    archive.store_batch([make_item(1, fetched_at="2023-12-05T16:59:00+00:00"),  # 23:59 WIB on the 5th
                         make_item(2, fetched_at="2023-12-05T17:00:00+00:00"),  # 00:00 WIB on the 6th
                         make_item(3, site="other.example")])
    assert [p["url"].split("/")[-1] for p in archive.iter_pages(site=SITE, until="2023-12-05")] == ["artikel-1"]
    assert [p["url"].split("/")[-1] for p in archive.iter_pages(since="2023-12-06", site=SITE)] == ["artikel-2"]
    assert len(list(archive.iter_pages(site="other.example", with_body=False))) == 1
    assert "body" not in next(archive.iter_pages(with_body=False))


def test_date_range_is_wib_and_inclusive():
    start, end = date_range("2023-12-05", "2023-12-05")
    assert start == datetime(2023, 12, 4, 17, tzinfo=timezone.utc)
    assert end == datetime(2023, 12, 5, 17, tzinfo=timezone.utc)
    assert date_range(None, None) == (None, None)
    with pytest.raises(ValueError):
        date_range("kemarin", None)


# -- run locks ----------------------------------------------------------------------------------


def test_run_locks(archive):
    assert archive.acquire_lock("crawl:monitor", 1)
    assert archive.acquire_lock("crawl:monitor", 1)  # re-entrant for the same run
    assert not archive.acquire_lock("crawl:monitor", 2)
    assert archive.heartbeat_lock("crawl:monitor", 1)
    assert not archive.release_lock("crawl:monitor", 2)
    assert archive.release_lock("crawl:monitor", 1)
    assert archive.acquire_lock("crawl:monitor", 2)
    assert archive.acquire_lock("other", 3)  # independent names


def test_stale_locks_are_taken_over(archive):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    t = RunLock.__table__
    now = datetime.now(timezone.utc)
    with archive.engine.begin() as conn:
        conn.execute(t.insert(), [
            {"name": "dead-pid", "run_id": 1, "pid": dead.pid, "hostname": __import__("socket").gethostname(),
             "acquired_at": now, "heartbeat_at": now},
            {"name": "old-heartbeat", "run_id": 1, "pid": 1, "hostname": "elsewhere",
             "acquired_at": now - timedelta(hours=2), "heartbeat_at": now - timedelta(hours=1)},
            {"name": "alive-elsewhere", "run_id": 1, "pid": 1, "hostname": "elsewhere",
             "acquired_at": now, "heartbeat_at": now},
        ])
    assert archive.acquire_lock("dead-pid", 2)
    assert archive.acquire_lock("old-heartbeat", 2, stale_after=600)
    assert not archive.acquire_lock("alive-elsewhere", 2)


# -- SQLite specifics ---------------------------------------------------------------------------


def test_sqlite_connection_settings(sqlite_url):
    archive = Archive(sqlite_url, busy_timeout=12.5)
    with archive.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12500
    archive.dispose()


def test_default_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("WARTA_DATABASE_URL", raising=False)
    assert default_url() == "sqlite:///warta.sqlite"
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("WARTA_DATABASE_URL", url)
    with Archive() as archive:
        assert archive.url == url
        assert archive.store_batch([make_item(1)]) == ["new"]
    assert (tmp_path / "env.sqlite").exists()


def _hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> None:
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE crawl_runs SET status = status")
        locked.set()
        time.sleep(seconds)
        con.execute("COMMIT")
    finally:
        con.close()


def test_locked_database_is_waited_for(tmp_path):
    path = tmp_path / "warta.sqlite"
    archive = Archive(f"sqlite:///{path}")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 2.0, locked))
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    assert archive.store_batch([make_item(1)]) == ["new"]
    waited = time.monotonic() - started
    holder.join()
    assert waited >= 1.5
    assert archive.count("articles") == 1
    archive.dispose()


def test_locked_database_retries_with_a_warning(tmp_path, caplog):
    path = tmp_path / "warta.sqlite"
    archive = Archive(f"sqlite:///{path}", busy_timeout=0.05, retry_timeout=60)
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 1.5, locked))
    holder.start()
    assert locked.wait(10)
    with caplog.at_level(logging.WARNING, logger="storage.repository"):
        assert archive.store_batch([make_item(1), make_item(2)]) == ["new", "new"]
    holder.join()
    assert any("database is locked" in r.getMessage() and "waiting" in r.getMessage() for r in caplog.records)
    assert archive.count("articles") == 2 and archive.count("pages") == 2  # nothing lost, nothing doubled
    archive.dispose()


def test_locked_database_gives_up_loudly(tmp_path):
    from sqlalchemy.exc import OperationalError

    path = tmp_path / "warta.sqlite"
    archive = Archive(f"sqlite:///{path}", busy_timeout=0.05, retry_timeout=0.3)
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 1.5, locked))
    holder.start()
    assert locked.wait(10)
    with pytest.raises(OperationalError):
        archive.store_batch([make_item(1)])
    holder.join()
    assert archive.store_batch([make_item(1)]) == ["new"]  # the caller retries: not lost
    archive.dispose()


_KILL_SCRIPT = """
import sys
from storage.repository import Archive
sys.path.insert(0, {tests!r})
from test_storage import make_item
archive = Archive({url!r})
batch = 0
while True:
    archive.store_batch([make_item(batch * 10 + n) for n in range(10)])
    batch += 1
    print(batch * 10, flush=True)
"""


def test_kill_9_loses_only_the_uncommitted_batch(tmp_path):
    url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    Archive(url).dispose()
    script = _KILL_SCRIPT.format(url=url, tests=str(ROOT / "tests"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    reported = 0
    try:
        while reported < 50:
            line = proc.stdout.readline()
            assert line, "writer died"
            reported = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    archive = Archive(url)
    with archive.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    articles = archive.count("articles")
    assert articles >= reported and articles % 10 == 0  # whole batches only
    assert archive.count("pages") == articles == archive.count("article_revisions")
    archive.dispose()


# -- concurrent writers ------------------------------------------------------------------------


def _concurrent_worker(url: str, seed: int, count: int, barrier, results) -> None:
    try:
        barrier.wait(60)
        archive = Archive(url)  # also races the schema migration on a fresh database
        outcomes: Counter[str] = Counter()
        rng = random.Random(seed)
        for version in (1, 2):
            items = [make_item(i, version=version) for i in range(count)]
            rng.shuffle(items)
            for start in range(0, count, 20):
                outcomes.update(archive.store_batch(items[start : start + 20]))
        archive.dispose()
        results.put(("ok", dict(outcomes)))
    except BaseException as exc:  # report to the parent instead of dying silently
        import traceback

        results.put(("error", traceback.format_exc()))
        raise SystemExit(1) from exc


def _run_concurrent(url: str, workers: int = 2, count: int = 200) -> list[dict]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [ctx.Process(target=_concurrent_worker, args=(url, seed, count, barrier, results))
             for seed in range(workers)]
    for proc in procs:
        proc.start()
    reports = [results.get(timeout=240) for _ in procs]
    for proc in procs:
        proc.join(60)
    errors = [detail for status, detail in reports if status == "error"]
    assert not errors, "\n".join(errors)
    return [detail for _, detail in reports]


def test_concurrent_writers_never_duplicate_or_lose_revisions(db_url):
    count = 200
    reports = _run_concurrent(db_url, workers=2, count=count)
    total: Counter[str] = Counter()
    for report in reports:
        total.update(report)
    archive = Archive(db_url)
    try:
        assert archive.count("articles") == count
        assert total["new"] == count  # each article created exactly once
        assert archive.count("pages") == 2 * 2 * count  # every page kept
        revisions = archive.count("article_revisions")
        # every "updated" outcome wrote exactly one revision, none lost or doubled
        assert revisions == count + total["updated"]
        assert total["new"] + total["updated"] + total["unchanged"] == 4 * count
        with archive.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT a.id, a.revision, a.content_hash, COUNT(r.id), MAX(r.revision), MIN(r.revision) "
                "FROM articles a JOIN article_revisions r ON r.article_id = a.id GROUP BY a.id, a.revision, "
                "a.content_hash")).all()
            latest = dict(conn.execute(text(
                "SELECT r.article_id, r.content_hash FROM article_revisions r JOIN articles a "
                "ON a.id = r.article_id AND a.revision = r.revision")).all())
        assert len(rows) == count
        for aid, revision, chash, n, high, low in rows:
            assert n == revision == high and low == 1  # contiguous 1..n
            assert latest[aid] == chash  # the article row is its latest revision
    finally:
        archive.dispose()


def test_insert_race_is_resolved_by_the_database(db_url):
    """Another writer inserts the same article and commits while we are writing:
    we must neither fail nor create a second article, and its version is kept."""
    from storage.repository import utcnow

    archive = Archive(db_url)
    other = Archive(db_url, create=False)
    conn = other.engine.connect()
    if other.dialect == "sqlite":
        conn.execution_options(sqlite_begin="IMMEDIATE")
    tx = conn.begin()
    other._store(conn, [other._prepare(make_item(1, version=2), None, utcnow())])  # not committed yet
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(out=archive.store_batch([make_item(1), make_item(2)])))
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive()  # waiting for the other transaction
    tx.commit()
    conn.close()
    worker.join(30)
    assert result["out"] == ["updated", "new"]
    art = archive.get_article(make_item(1)["article"]["url"])
    assert art["revision"] == 2 and art["body"] == make_item(1)["article"]["body"]
    assert [r["data"]["body"] for r in archive.revisions(art["id"])] == [make_item(1, version=2)["article"]["body"],
                                                                        make_item(1)["article"]["body"]]
    assert archive.count("articles") == 2
    other.dispose()
    archive.dispose()


# -- migrations -------------------------------------------------------------------------------


def test_schema_check_agrees_with_alembic_without_importing_it(db_url, tmp_path):
    """``head()`` / ``current_revision()`` read the scripts and ``alembic_version``
    themselves (Alembic's imports cost every CLI command ~0.3 s): same answers as Alembic."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    assert migrations.head() == ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()
    engine = create_engine(db_url)
    try:
        for step in ("empty", "0001", "head"):
            if step != "empty":
                migrations.upgrade(engine, step)
            with engine.connect() as conn:
                assert migrations.current_revision(conn) == MigrationContext.configure(conn).get_current_revision()
        with engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head()
    finally:
        engine.dispose()
    # opening an up-to-date archive for reading loads no Alembic module at all
    db = tmp_path / "a.sqlite"
    migrations.upgrade(f"sqlite:///{db}")
    code = ("import sys; from storage.repository import Archive; "
            f"Archive({f'sqlite:///{db}'!r}, create=False).dispose(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_upgrade_on_empty_database(db_url):
    assert migrations.current(db_url) is None
    migrations.upgrade(db_url)
    assert migrations.current(db_url) == migrations.head()
    migrations.upgrade(db_url)  # idempotent
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"pages", "articles", "article_revisions", "crawl_runs", "run_locks", "alembic_version"} <= tables
    finally:
        engine.dispose()


def test_archive_create_false_requires_an_upgraded_archive(tmp_path):
    from storage import ArchiveError

    missing = tmp_path / "missing.sqlite"
    with pytest.raises(ArchiveError, match="no archive at"):
        Archive(f"sqlite:///{missing}", create=False)
    assert not missing.exists()  # not created as a side effect
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with pytest.raises(ArchiveError, match="warta db upgrade"):
        Archive(f"sqlite:///{empty}", create=False)
    assert migrations.current(f"sqlite:///{empty}") is None  # schema untouched
    Archive(f"sqlite:///{empty}").dispose()
    Archive(f"sqlite:///{empty}", create=False).dispose()


def test_summary(archive):
    run = archive.start_run("monitor", {}, SITE)
    archive.store_batch([make_item(1), make_item(2)], run_id=run)
    archive.finish_run(run, "ok", {"pages_fetched": 2, "articles_new": 2})
    summary = archive.summary()
    assert summary["articles"] == 2 and summary["pages"] == 2 and summary["runs"] == 1
    assert summary["last_run"]["id"] == run and summary["last_run"]["articles_new"] == 2
    assert summary["canonical_urls"] == {make_item(1)["article"]["url"], make_item(2)["article"]["url"]}


def test_migrations_match_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    migrations.upgrade(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_schema_has_the_dedupe_constraints(db_url):
    migrations.upgrade(db_url)
    engine = create_engine(db_url)
    try:
        insp = inspect(engine)
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("articles")}
        assert ("canonical_url",) in uniques and ("site", "site_article_id") in uniques
        assert ("article_id", "revision") in {tuple(u["column_names"])
                                              for u in insp.get_unique_constraints("article_revisions")}
        page_indexes = {tuple(i["column_names"]) for i in insp.get_indexes("pages")}
        assert ("url",) in page_indexes and ("url_key",) in page_indexes
        assert ("published_utc",) in {tuple(i["column_names"]) for i in insp.get_indexes("articles")}
    finally:
        engine.dispose()


def test_unique_constraints_are_enforced(archive):
    from sqlalchemy.exc import IntegrityError

    archive.store_batch([make_item(1)])
    t = Base.metadata.tables["articles"]
    with pytest.raises(IntegrityError):
        with archive.engine.begin() as conn:
            conn.execute(t.insert().values(canonical_url=make_item(1)["article"]["url"], revision=1))
    with pytest.raises(IntegrityError):
        with archive.engine.begin() as conn:
            conn.execute(t.insert().values(canonical_url="https://x.example/other", site=SITE,
                                           site_article_id="1", revision=1))
    with archive.engine.connect() as conn:
        assert conn.execute(select(t.c.id)).all() == [(1,)]
