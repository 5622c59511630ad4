"""Crash-safe resume: a crawl SIGKILLed midway and started again with the same
arguments ends with the same archive as an uninterrupted run, without duplicates,
and without downloading again any page the killed run had committed (listing pages
included: they are replayed from the archive).  Requests are counted at the mirror.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite
from pipelines.dedupe import canonicalize_url
from storage.repository import Archive

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def command(db_url: str, base_url: str, *args: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db_url,
               PYTHONPATH=str(ROOT), WARTA_PROGRESS_INTERVAL="0")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-s", "LOG_LEVEL=INFO",
           "-s", "WARTA_BATCH_SIZE=5", "-s", "WARTA_BATCH_SECONDS=0.5", "-a", f"base_url={base_url}", *args]
    return cmd, env


def crawl(db_url: str, base_url: str, *args: str) -> subprocess.CompletedProcess:
    cmd, env = command(db_url, base_url, *args)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def stored_article_pages(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("select count(*) from pages where kind='article'")).scalar_one()
    except Exception:  # not created yet
        return 0
    finally:
        engine.dispose()


def path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def snapshot(db_url: str) -> dict:
    with Archive(db_url) as archive:
        articles = {r["canonical_url"]: (r["content_hash"], r["revision"]) for r in archive.iter_articles()}
        pages = [(p["url"], p["kind"], p["status"]) for p in archive.iter_pages(with_body=False)]
        runs = archive.recent_runs("monitor")
    return {"articles": articles, "pages": pages, "runs": runs}


def test_sigkill_midway_then_restart_equals_an_uninterrupted_run(tmp_path):
    site = MirrorSite(n_articles=150, seed=3)
    # a slow site (0.25 s per answer) so that the kill lands in the middle of the crawl
    with MirrorServer(site, delay=0.25) as server:
        killed_db = f"sqlite:///{tmp_path / 'killed.sqlite'}"
        cmd, env = command(killed_db, server.url)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while stored_article_pages(killed_db) < 25:
                assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "the crawl never got going"
                time.sleep(0.05)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stderr.close()
        first_hits = dict(server.hits)
        committed = snapshot(killed_db)
        committed_paths = {path_of(url) for url, _, status in committed["pages"] if status == 200}
        assert 25 <= len(committed["articles"]) < 150, "the kill must land midway"
        assert committed["runs"][0]["status"] == "running"  # killed: nobody closed the run

        server.reset_hits()
        server.delay = 0.0
        again = crawl(killed_db, server.url)
        assert again.returncode == 0, again.stderr[-3000:]
        second_hits = dict(server.hits)
        final = snapshot(killed_db)

        server.reset_hits()
        clean_db = f"sqlite:///{tmp_path / 'clean.sqlite'}"
        clean = crawl(clean_db, server.url)
        assert clean.returncode == 0, clean.stderr[-3000:]
        reference = snapshot(clean_db)

    # the same articles, the same content, one revision each
    assert final["articles"] == reference["articles"]
    assert len(final["articles"]) == 150
    # nothing the killed run committed was downloaded again -- listing pages included
    fetched_again = {p for p in second_hits if p in committed_paths}
    assert fetched_again == set(), sorted(fetched_again)[:5]
    assert "replayed from the archive" in again.stderr
    # pages fetched by the killed run but not committed are the only ones fetched twice
    twice = {p for p in second_hits if p in first_hits and p != "/robots.txt"}
    assert twice.isdisjoint(committed_paths)
    # no duplicate rows: every article page once, every listing page once
    urls = [url for url, kind, _ in final["pages"]]
    assert len(urls) == len(set(urls)) == len(reference["pages"])
    keys = [canonicalize_url(u) for u, kind, _ in final["pages"] if kind == "article"]
    assert len(keys) == len(set(keys)) == 150
    # the killed run is closed as interrupted, with what it committed; the restart is ok
    runs = {r["id"]: r for r in final["runs"]}
    killed, restart = runs[committed["runs"][0]["id"]], final["runs"][0]
    assert killed["status"] == "interrupted" and killed["finished_at"] is not None
    assert killed["articles_new"] == len(committed["articles"])
    assert killed["pages_fetched"] == len(committed["pages"])
    assert restart["status"] == "ok"
    assert restart["articles_new"] == 150 - len(committed["articles"])
    assert killed["args"] == restart["args"]
