"""Data safety: the archive survives SIGKILL mid-write, an analyst's locks, and a full disk.

* A writer process stores batches through ``Archive.store_batch`` and prints every
  batch it saw committed; it is SIGKILLed at random moments, 20 times (plus 3 times
  while it creates the schema).  After every kill ``PRAGMA integrity_check`` is ok and
  every article of every reported batch (new ones and new revisions) is present.
* An analyst holds a write lock, then a long read transaction, on the SQLite file while
  the real crawler runs: the crawler waits and retries, loses nothing, and says so.
* The disk fills up mid-crawl (a size-limited file: RLIMIT_FSIZE, portable; and a
  real 1 MiB tmpfs when this machine lets us mount one): the run fails with a clear
  message and exit code 1, and the database stays consistent.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.faults

KILLS = 20
SCHEMA_KILLS = 3

#: the writer: batch b stores 30 new articles and a new revision of 5 articles of batch b-1
WRITER = r'''
import json, sys, time
from storage.repository import Archive

def batch(b):
    items = []
    for i in range(30):
        aid = b * 1000 + i
        url = f"https://monitorindonesia.com/nasional/read/2023/12/{aid}/artikel-{aid}"
        items.append(article(url, aid, f"Isi berita {aid}. " * 200))
    if b > 0:
        for i in range(5):
            aid = (b - 1) * 1000 + i
            url = f"https://monitorindonesia.com/nasional/read/2023/12/{aid}/artikel-{aid}"
            items.append(article(url, aid, f"Isi berita {aid} diperbarui di batch {b}. " * 150))
    return items

def article(url, aid, body):
    page = {"url": url, "status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
            "body": ("<html><body>" + body + "</body></html>").encode(), "fetched_at": "2023-12-05T01:00:00+00:00",
            "kind": "article"}
    art = {"url": url, "canonical_url": url, "site": "monitorindonesia.com", "site_article_id": str(aid),
           "section": "nasional", "headline": f"Berita {aid}", "byline": ["Rendy"], "body": body,
           "published_at": "2023-12-05T01:10:00+07:00", "fetched_at": "2023-12-05T01:00:00+00:00",
           "language": "id", "parser": "test/1", "warnings": [], "tags": [], "field_sources": {}}
    return {"page": page, "article": art}

url, start = sys.argv[1], int(sys.argv[2])
print("STARTING", flush=True)
archive = Archive(url)
print("READY", flush=True)
b = start
while True:
    items = batch(b)
    print(f"WRITING {b}", flush=True)
    archive.store_batch(items)
    print(f"COMMIT {b}", flush=True)
    b += 1
'''


def _writer(tmp_path: Path, url: str, start: int) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    if not script.exists():
        script.write_text(WRITER)
    return subprocess.Popen([sys.executable, str(script), url, str(start)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))


def _wait_for(proc: subprocess.Popen, word: str, timeout: float = 60) -> list[str]:
    """Read stdout lines until ``word``; returns the lines read."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"writer ended before {word!r}: {proc.stderr.read()[-2000:]}")
        lines.append(line.strip())
        if line.strip() == word:
            return lines
    raise AssertionError(f"no {word!r} within {timeout} s")


def _kill(proc: subprocess.Popen, after: float) -> list[str]:
    """SIGKILL ``proc`` after ``after`` seconds; every stdout line it printed."""
    time.sleep(after)
    os.kill(proc.pid, signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    return [line.strip() for line in out.splitlines()]


def _committed(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("COMMIT ")]


def _check(db: Path, committed: set[int]) -> list[str]:
    """Integrity, then every reported batch: its 30 articles and the 5 revisions it made."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        urls = {r[0]: r[1] for r in conn.execute("select canonical_url, id from articles")}
        missing = []
        for b in sorted(committed):
            for i in range(30):
                aid = b * 1000 + i
                if f"https://monitorindonesia.com/nasional/read/2023/12/{aid}/artikel-{aid}" not in urls:
                    missing.append(f"article {aid} of batch {b}")
            if b > 0:
                for i in range(5):
                    aid = (b - 1) * 1000 + i
                    article_id = urls.get(f"https://monitorindonesia.com/nasional/read/2023/12/{aid}/artikel-{aid}")
                    bodies = [json.loads(d).get("body", "") for (d,) in conn.execute(
                        "select data from article_revisions where article_id = ?", (article_id,))]
                    if not any(f"diperbarui di batch {b}." in body for body in bodies):
                        missing.append(f"revision of {aid} by batch {b}")
        # every article row has its revisions and its page
        orphans = conn.execute(
            "select count(*) from articles a where not exists (select 1 from article_revisions r "
            "where r.article_id = a.id and r.revision = a.revision)").fetchone()[0]
        assert orphans == 0
        return missing
    finally:
        conn.close()


def test_sigkill_during_writes(tmp_path, fault_tally):
    rng = random.Random(int(os.environ.get("WARTA_KILL_SEED", "0")) or None)
    db = tmp_path / "kill.sqlite"
    url = f"sqlite:///{db}"
    committed: set[int] = set()
    next_batch = 0
    kills_mid_write = 0
    for n in range(KILLS):
        fault_tally.inject()
        proc = _writer(tmp_path, url, next_batch)
        _wait_for(proc, "READY")
        lines = _kill(proc, rng.uniform(0.0, 0.6))
        done = _committed(lines)
        committed.update(done)
        if done:
            next_batch = max(done) + 1
        if lines and lines[-1].startswith("WRITING"):
            kills_mid_write += 1  # killed inside store_batch
        missing = _check(db, committed)
        fault_tally.lose(len({m.split(" of ")[0] for m in missing if m.startswith("article")}))
        assert not missing, (n, missing[:5])
        fault_tally.survive()
    assert len(committed) >= KILLS // 2, "the writer hardly ever committed: kills came too early"
    assert kills_mid_write >= KILLS // 2, f"only {kills_mid_write} kills landed inside store_batch"


def test_sigkill_while_creating_the_schema(tmp_path, fault_tally):
    """A kill while the migrations run leaves a database the next start can use."""
    rng = random.Random()
    for n in range(SCHEMA_KILLS):
        fault_tally.inject()
        db = tmp_path / f"fresh-{n}.sqlite"
        proc = _writer(tmp_path, f"sqlite:///{db}", 0)
        _wait_for(proc, "STARTING")
        _kill(proc, rng.uniform(0.0, 0.4))
        proc = _writer(tmp_path, f"sqlite:///{db}", 0)
        _wait_for(proc, "READY")
        lines = _kill(proc, 0.3)
        assert _check(db, set(_committed(lines))) == []
        fault_tally.survive()


# --- an analyst holding locks ------------------------------------------------------------


def scrapy_crawl(db_url: str, base_url: str, *args: str, cwd: Path, preexec=None,
                 timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db_url,
               PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={base_url}",
           "-s", "LOG_LEVEL=INFO", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=preexec)


@pytest.fixture(scope="module")
def mirror():
    site = MirrorSite(n_articles=30, seed=23)
    with MirrorServer(site) as server:
        yield site, server


def _create(db: Path) -> None:
    from storage.repository import Archive

    Archive(f"sqlite:///{db}").dispose()


def test_analyst_locks_are_waited_for(mirror, tmp_path, fault_tally):
    """A write lock held for 4 s (``BEGIN IMMEDIATE`` in another process's connection),
    then a read transaction held for the rest of the crawl: every article is stored,
    the run is ok, and the log says the crawler waited."""
    site, server = mirror
    fault_tally.inject(2)
    db = tmp_path / "locked.sqlite"
    _create(db)
    analyst = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    analyst.execute("BEGIN IMMEDIATE")  # the write lock
    analyst.execute("select count(*) from pages").fetchone()
    released = threading.Event()
    snapshot: dict[str, int] = {}

    def release_then_read():
        time.sleep(4)
        analyst.execute("COMMIT")
        released.set()
        analyst.execute("BEGIN")  # a long read transaction: the analyst's snapshot
        snapshot["before"] = analyst.execute("select count(*) from articles").fetchone()[0]
        time.sleep(3)
        snapshot["still"] = analyst.execute("select count(*) from articles").fetchone()[0]

    reader = threading.Thread(target=release_then_read, daemon=True)
    reader.start()
    result = scrapy_crawl(f"sqlite:///{db}", server.url, "-s", "WARTA_DB_BUSY_TIMEOUT=0.5",
                          "-s", "WARTA_BATCH_SIZE=5", cwd=tmp_path)
    reader.join(timeout=30)
    analyst.execute("COMMIT")
    analyst.close()
    conn = sqlite3.connect(db)
    stored = {r[0] for r in conn.execute("select canonical_url from articles")}
    runs = conn.execute("select status, articles_new from crawl_runs").fetchall()
    integrity = conn.execute("pragma integrity_check").fetchone()[0]
    conn.close()
    expected = {a["canonical_url"] for a in site.articles}
    fault_tally.lose(len(expected - stored))
    assert result.returncode == 0, result.stderr[-3000:]
    assert stored == expected and integrity == "ok"
    assert runs == [("ok", len(expected))]
    assert "database is locked, waiting" in result.stderr  # the crawler says it waits
    assert snapshot["before"] == snapshot["still"]  # the analyst's snapshot held meanwhile
    fault_tally.survive(2)


# --- a full disk ---------------------------------------------------------------------------


def _assert_disk_full_run(result, db: Path, site) -> None:
    assert result.returncode == 1, result.stderr[-3000:]
    assert "cannot write to the archive" in result.stderr
    assert "stopping the crawl" in result.stderr
    assert "Traceback" not in result.stderr
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        # what was stored is whole: every article has its revision and its page
        articles = conn.execute("select id, canonical_url from articles").fetchall()
        for aid, _url in articles:
            assert conn.execute("select count(*) from article_revisions where article_id=?", (aid,)).fetchone()[0] == 1
            assert conn.execute("select count(*) from pages where article_id=?", (aid,)).fetchone()[0] >= 1
        assert len(articles) < len(site.articles)  # the disk really filled up mid-crawl
        status = conn.execute("select status, error from crawl_runs").fetchall()
    finally:
        conn.close()
    # the run row says failed when the disk still had room for that; never "ok"
    assert len(status) == 1 and status[0][0] in ("failed", "running")
    if status[0][0] == "failed":
        assert "archive write failed" in status[0][1]


def test_disk_full_simulated_with_rlimit(mirror, tmp_path, fault_tally):
    """Portable: RLIMIT_FSIZE caps every file the crawler writes at the database's
    size plus 300 KiB; writes beyond fail inside SQLite like a full disk."""
    site, server = mirror
    fault_tally.inject()
    db = tmp_path / "full.sqlite"
    _create(db)
    limit = max(os.path.getsize(db), 64 * 1024) + 300 * 1024

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = scrapy_crawl(f"sqlite:///{db}", server.url, "-s", "WARTA_BATCH_SIZE=4", cwd=tmp_path, preexec=cap)
    _assert_disk_full_run(result, db, site)
    fault_tally.survive()


def test_disk_full_on_a_tiny_tmpfs(mirror, tmp_path, fault_tally):
    """A real ENOSPC: the archive on a 1 MiB tmpfs (needs root and mount rights)."""
    site, server = mirror
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        fault_tally.inject()
        db = mnt / "warta.sqlite"
        _create(db)
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        (mnt / "filler").write_bytes(b"\0" * max(0, free - 300 * 1024))  # leave 300 KiB
        result = scrapy_crawl(f"sqlite:///{db}", server.url, "-s", "WARTA_BATCH_SIZE=4", cwd=tmp_path)
        _assert_disk_full_run(result, db, site)
        assert "database or disk is full" in result.stderr
        fault_tally.survive()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
