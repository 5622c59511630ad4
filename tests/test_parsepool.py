"""crawler/parsepool.py: parsing in worker processes gives the same records as
parsing inline, and a slow, crashing or dying worker costs no page.

The misbehaving parse functions below run *in the worker*, which imports them
from this module (``tests/`` is put on the worker's PYTHONPATH)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler import exitcodes, parsepool
from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite
from crawler.parsepool import ParsePool, worker_count
from crawler.parsers import parse_article

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted((ROOT / "fixtures").glob("*/*.html"))


@pytest.fixture(autouse=True)
def _tests_importable_in_workers(monkeypatch):
    path = os.pathsep.join(p for p in (str(ROOT / "tests"), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)


# -- parse functions for the worker ---------------------------------------------------

def sleepy_parse(html: str, url: str, fetched_at: str | None = None) -> dict:
    if "sleep" in url:
        time.sleep(60)
    return parse_article(html, url, fetched_at=fetched_at)


def dying_parse(html: str, url: str, fetched_at: str | None = None) -> dict:
    """SIGKILLs its worker: always for '/always-dies', once (marker file) for '/dies-once'."""
    marker = Path(os.environ["PARSEPOOL_TEST_MARKER"])
    if "always-dies" in url or ("dies-once" in url and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return parse_article(html, url, fetched_at=fetched_at)


def raising_parse(html: str, url: str, fetched_at: str | None = None) -> dict:
    raise ValueError("boom")


def pid_parse(html: str, url: str, fetched_at: str | None = None) -> dict:
    return {"pid": os.getpid()}


def _run(pool: ParsePool, *jobs):
    """All jobs at once, then close the pool (as the spider does, inside the loop)."""
    async def main():
        try:
            return await asyncio.gather(*(pool.run(func, html, url, fetched_at="2026-11-29T00:00:00+00:00")
                                          for func, html, url in jobs))
        finally:
            pool.close()
    return asyncio.run(main())


# -- settings -------------------------------------------------------------------------

def test_worker_count(monkeypatch):
    monkeypatch.setattr(parsepool, "usable_cpus", lambda: 1)
    assert worker_count("auto") == 0  # one CPU: inline
    monkeypatch.setattr(parsepool, "usable_cpus", lambda: 2)
    assert worker_count("auto") == worker_count(None) == worker_count("") == 1
    monkeypatch.setattr(parsepool, "usable_cpus", lambda: 64)
    assert worker_count("AUTO") == parsepool.AUTO_MAX_WORKERS
    assert worker_count("0") == 0 and worker_count(3) == 3
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(ValueError, match="WARTA_PARSE_WORKERS"):
            worker_count(bad)


# -- same records -----------------------------------------------------------------------

def test_workers_give_exactly_the_inline_records():
    assert len(FIXTURES) > 20
    jobs = [(parse_article, path.read_text(encoding="utf-8"),
             json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["url"]) for path in FIXTURES]
    inline = _run(ParsePool(0), *jobs)
    pool = ParsePool(2)
    pool.start()
    pooled = _run(pool, *jobs)
    assert pooled == inline
    assert sum(1 for r in inline if not r.get("parse_error")) > 20  # real articles, not only errors
    assert pool.peak_rss_kb > 10_000  # two live workers were measured (Linux /proc)


def test_pages_are_spread_over_the_workers():
    pool = ParsePool(2)
    pool.start()
    pids = {r["pid"] for r in _run(pool, *[(pid_parse, "<p>x</p>", f"http://t/{i}") for i in range(40)])}
    assert len(pids) == 2 and os.getpid() not in pids


# -- misbehaving parsers ------------------------------------------------------------------

def test_a_page_over_the_timeout_is_stored_with_the_error_and_the_rest_parse():
    html = "<html><body><h1>Judul</h1><p>" + "Isi berita. " * 50 + "</p></body></html>"
    pool = ParsePool(1, timeout=2.0)
    started = time.monotonic()
    results = _run(pool, (sleepy_parse, html, "http://t/sleep"),
                   *[(sleepy_parse, html, f"http://t/ok-{i}") for i in range(5)])
    assert time.monotonic() - started < 30
    assert results[0]["parse_error"] == "parser timed out after 2 s"
    assert results[0]["url"] == "http://t/sleep" and results[0]["fetched_at"] == "2026-11-29T00:00:00+00:00"
    expected = parse_article(html, "http://t/ok-0", fetched_at="2026-11-29T00:00:00+00:00")
    assert results[1] == expected
    assert all(not r["parse_error"] for r in results[1:])


def test_a_worker_killed_mid_page_costs_no_page(tmp_path, monkeypatch):
    monkeypatch.setenv("PARSEPOOL_TEST_MARKER", str(tmp_path / "died"))
    html = "<html><body><h1>Judul</h1><p>" + "Isi berita. " * 50 + "</p></body></html>"
    pool = ParsePool(1)
    results = _run(pool, (dying_parse, html, "http://t/dies-once"),
                   *[(dying_parse, html, f"http://t/ok-{i}") for i in range(8)])
    assert (tmp_path / "died").exists()  # it really died once
    assert all(not r["parse_error"] for r in results), [r["parse_error"] for r in results]
    assert results[0]["headline"] == "Judul"


def test_a_page_that_kills_every_worker_is_stored_with_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PARSEPOOL_TEST_MARKER", str(tmp_path / "died"))
    html = "<html><body><h1>Judul</h1><p>" + "Isi berita. " * 50 + "</p></body></html>"
    results = _run(ParsePool(1), (dying_parse, html, "http://t/always-dies"), (dying_parse, html, "http://t/ok"))
    assert results[0]["parse_error"] == "parser process died twice while parsing this page"
    assert results[1]["headline"] == "Judul"


def test_an_exception_in_the_worker_is_a_parse_error():
    [record] = _run(ParsePool(1), (raising_parse, "<p>x</p>", "http://t/x"))
    assert record["parse_error"] == "parser crashed: ValueError: boom"
    assert record["url"] == "http://t/x"


def test_workers_that_cannot_start_fall_back_to_inline(monkeypatch, caplog):
    monkeypatch.setattr(parsepool.sys, "executable", "/bin/false")
    html = "<html><body><h1>Judul</h1><p>" + "Isi berita. " * 50 + "</p></body></html>"
    pool = ParsePool(1)
    results = _run(pool, *[(parse_article, html, f"http://t/{i}") for i in range(3)])
    assert [r["headline"] for r in results] == ["Judul"] * 3
    assert pool.workers == 0
    assert "before it was ready; parsing inline" in caplog.text


def test_workers_ignore_sigint_and_exit_when_the_crawl_closes_their_pipe():
    pool = ParsePool(1)
    pool.start()
    [worker] = pool._pool

    async def main():
        first = await pool.run(pid_parse, "<p>x</p>", "http://t/1")  # loaded and answering
        os.kill(worker.proc.pid, signal.SIGINT)
        os.kill(worker.proc.pid, signal.SIGTERM)
        await asyncio.sleep(0.3)
        assert worker.proc.poll() is None  # still there for the graceful shutdown
        second = await pool.run(pid_parse, "<p>x</p>", "http://t/2")
        pool.close()
        return first, second

    first, second = asyncio.run(main())
    assert first == second == {"pid": worker.proc.pid}
    assert worker.proc.returncode == 0


# -- a real crawl, interrupted ---------------------------------------------------------------

def _parse_workers_of_session(sid: int) -> list[int]:
    """pids of live (not zombie) parse workers in the session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[3]) == sid and b"crawler.parsepool" in cmdline:
            found.append(int(entry.name))
    return found


def _start_crawl(tmp_path: Path, base_url: str) -> tuple[subprocess.Popen, Path]:
    db = tmp_path / "warta.sqlite"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=f"sqlite:///{db}",
               PYTHONPATH=str(ROOT))
    env.pop("WARTA_REDIS_URL", None)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={base_url}",
           "-s", "WARTA_PARSE_WORKERS=1", "-s", "WARTA_BATCH_SIZE=5", "-s", "LOG_LEVEL=INFO"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    return proc, db


def _wait_for_articles(proc: subprocess.Popen, db: Path, n: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        try:
            with sqlite3.connect(db, timeout=1) as conn:
                if conn.execute("select count(*) from articles").fetchone()[0] >= n:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    raise AssertionError("the crawl stored too few articles in time")


@pytest.fixture
def slow_mirror():
    with MirrorServer(MirrorSite(n_articles=300, seed=5), delay=0.05) as server:
        yield server


def test_ctrl_c_to_the_process_group_still_parses_every_fetched_page(tmp_path, slow_mirror):
    """A terminal's Ctrl-C reaches the crawl *and* its parse worker: the worker
    keeps parsing through the graceful shutdown, every fetched article page ends
    as an article or a parse error, and no worker outlives the crawl."""
    proc, db = _start_crawl(tmp_path, slow_mirror.url)
    try:
        _wait_for_articles(proc, db, 20)
        assert _parse_workers_of_session(proc.pid)  # the crawl really parses in a worker
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == exitcodes.INTERRUPTED, stderr[-3000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    with sqlite3.connect(db) as conn:
        pages = conn.execute("select count(*) from pages where kind = 'article' and status = 200").fetchone()[0]
        orphans = conn.execute("select url from pages where kind = 'article' and status = 200 "
                               "and article_id is null and parse_error is null").fetchall()
        articles = conn.execute("select count(*) from articles").fetchone()[0]
    assert 20 <= pages < 300 and articles == pages and orphans == []
    assert _parse_workers_of_session(proc.pid) == []


def test_a_killed_crawl_leaves_no_parse_worker_behind(tmp_path, slow_mirror):
    proc, db = _start_crawl(tmp_path, slow_mirror.url)
    try:
        _wait_for_articles(proc, db, 5)
        assert _parse_workers_of_session(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the crawl only: its worker sees its stdin close
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _parse_workers_of_session(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _parse_workers_of_session(proc.pid) == []
    finally:
        if _parse_workers_of_session(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stderr.close()
