"""Fault injection: the real `monitor` spider (``scrapy crawl`` in a subprocess) crawls the
fault mirror (:mod:`crawler.mirror.faults`), whose index lists one article per fault case
plus hostile links; every case checks what the archive stored and what the run reported.

One crawl serves every case (module fixture); settings are lowered to keep it short
(DOWNLOAD_TIMEOUT 4 s, DOWNLOAD_MAXSIZE 1 MiB, retry backoff 0.2 s).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.mirror.faults import CASES, FAILURES, FaultServer

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.faults, pytest.mark.e2e]

TIMEOUT = 4
RETRY_TIMES = 3
BACKOFF = 0.2
RETRY_AFTER = 2
MAXSIZE = 1024 * 1024
COMPARED = ("headline", "byline", "editor", "published_at", "updated_at", "published_raw", "updated_raw",
            "dateline", "caption", "caption_credit", "body", "section", "site_article_id")

#: what the error of each failing case must mention
ERRORS = {
    "hang": r"DownloadTimeoutError|timed? ?out",
    "reset": r"data loss|ResponseDataLoss|ConnectionLost|ResponseFailed",
    "oversize": r"DOWNLOAD_MAXSIZE|max size",
    "oversize-declared": r"max size|DOWNLOAD_MAXSIZE",
    "gzip-bomb": r"DOWNLOAD_MAXSIZE",
    "redirect-loop": r"redirect loop",
    "redirect-chain": r"more than 5 redirects",
    "redirect-offsite": r"off-site host 'localhost'",
    "redirect-private": r"private or loopback address",
    "redirect-file": r"scheme file:",
}
#: most requests the server may see for a case (retries included)
MAX_HITS = {
    "hang": RETRY_TIMES + 1, "reset": RETRY_TIMES + 1, "oversize": 1, "oversize-declared": 1,
    "gzip-bomb": 1, "redirect-loop": 2, "redirect-chain": 6, "redirect-offsite": 1,
    "redirect-private": 1, "redirect-file": 1, "robots": 0, "soft-404": 1, "empty": 1,
}


def scrapy_crawl(db_url: str, *args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db_url,
               PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-s", "LOG_LEVEL=INFO", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


class Crawl:
    """The finished fault crawl: server, process result, and the archive's rows."""

    def __init__(self, server: FaultServer, result: subprocess.CompletedProcess, db: Path, seconds: float):
        self.server, self.result, self.seconds = server, result, seconds
        self.log = result.stderr
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        self.pages = [dict(r) for r in conn.execute("select * from pages order by id")]
        self.articles = {r["canonical_url"]: dict(r) for r in conn.execute("select * from articles")}
        self.runs = [dict(r) for r in conn.execute("select * from crawl_runs")]
        self.integrity = conn.execute("pragma integrity_check").fetchone()[0]
        conn.close()

    def pages_for(self, path: str) -> list[dict]:
        return [p for p in self.pages if urlsplit(p["url"]).path == path]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    db = tmp / "warta.sqlite"
    with FaultServer(retry_after=RETRY_AFTER, hang_seconds=60) as server:
        started = time.monotonic()
        result = scrapy_crawl(
            f"sqlite:///{db}", "-a", f"base_url={server.url}",
            "-s", f"DOWNLOAD_TIMEOUT={TIMEOUT}", "-s", f"RETRY_TIMES={RETRY_TIMES}",
            "-s", f"WARTA_RETRY_BACKOFF={BACKOFF}", "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}",
            "-s", f"DOWNLOAD_WARNSIZE={MAXSIZE // 4}", "-s", "WARTA_BATCH_SIZE=10", cwd=tmp,
        )
        seconds = time.monotonic() - started
        yield Crawl(server, result, db, seconds)


def _case_ids():
    return [c for c in CASES if c != "healthy"]


@pytest.mark.parametrize("case", _case_ids())
def test_fault_case(crawl, case, fault_tally):
    server = crawl.server
    planned = server.case(case)
    fault_tally.inject()
    expected = planned.expected
    article = crawl.articles.get(planned.canonical_url)
    if expected in ("article", "partial") and article is None:
        fault_tally.lose(1)
    rows = crawl.pages_for(planned.path)
    hits = server.hits_for(planned.path)
    context = f"{case}: hits={hits} pages={[(r['status'], r['error'], r['parse_error']) for r in rows]}"

    if expected == "article":
        assert article is not None, context
        for field in COMPARED:
            got = article[field]
            if field == "byline":
                got = json.loads(got) if isinstance(got, str) else got
            assert got == planned.truth[field], (case, field)
        assert any(r["status"] == 200 and r["error"] is None and r["article_id"] == article["id"] for r in rows), context
    elif expected == "partial":
        assert article is not None, context
        assert article["headline"] == planned.truth["headline"]
        first = article["body"].split("\n\n")[0]
        assert article["body"] and planned.truth["body"].startswith(first), context
        assert len(article["body"]) < len(planned.truth["body"])
        assert [r["status"] for r in rows] == [200]
    else:
        assert article is None, context
        assert all(r["article_id"] is None for r in rows), context
        assert hits <= MAX_HITS[case], context
        if expected == "error":
            assert rows and all(r["error"] for r in rows), context
            assert any(re.search(ERRORS[case], r["error"], re.I) for r in rows), context
        elif expected == "refused":
            assert hits == 0, context
            assert len(rows) == 1 and "robots.txt" in rows[0]["error"], context
        elif expected == "not-article":
            assert len(rows) == 1 and rows[0]["status"] == 200 and rows[0]["parse_error"], context
            assert rows[0]["error"] is None

    # how the server was treated
    times = server.hit_times.get(planned.path, [])
    if case in FAILURES:
        status, failures = FAILURES[case]
        assert hits == failures + 1, context
        gaps = [b - a for a, b in zip(times, times[1:])]
        for n, gap in enumerate(gaps):  # exponential backoff (jitter: at least 0.75x)
            assert gap >= 0.75 * BACKOFF * 2**n - 0.02, (case, gaps)
        assert re.search(rf"retrying \S+{re.escape(planned.path)} in [\d.]+ s \(retry 1 of {RETRY_TIMES}\): {status}",
                         crawl.log), case
    if case == "rate-limited":
        assert hits == 2 and times[1] - times[0] >= RETRY_AFTER - 0.05, times
        assert f"answered 429 with Retry-After {RETRY_AFTER:.1f} s" in crawl.log
    if case == "retry-date":
        assert hits == 2 and times[1] - times[0] >= RETRY_AFTER - 0.5, times
    if case in ("hang-once", "reset-once"):
        assert hits == 2

    # what the log says about it
    lines = [line for line in crawl.log.splitlines() if planned.path in line]
    if expected in ("error", "refused"):
        assert any("WARNING" in line and re.search(ERRORS.get(case, "robots.txt"), line, re.I) for line in lines), case
    elif expected == "not-article":
        assert any("not an article" in line for line in lines), case
    elif case in ("hang-once", "reset-once"):
        assert any(f"retrying {server.url}{planned.path} in " in line for line in lines), case
    fault_tally.survive()


def test_healthy_articles_all_stored(crawl, fault_tally):
    healthy = crawl.server.cases("healthy")
    missing = [p.path for p in healthy if p.canonical_url not in crawl.articles]
    fault_tally.lose(len(missing))
    assert not missing


def test_hostile_links_never_requested(crawl, fault_tally):
    """Links to file:, data:, ftp:, gopher: and to other loopback ports / names
    (decimal, hex, IPv4-mapped spellings) in the index are never requested."""
    server = crawl.server
    links = server.hostile_links()
    fault_tally.inject(len(links))
    assert server.canary.total == 0, server.canary.requests
    origin = urlsplit(server.url).netloc
    foreign = [p["url"] for p in crawl.pages if urlsplit(p["url"]).netloc != origin]
    assert foreign == []
    assert crawl.result.returncode == 0
    for link in links:
        if link.startswith("data:"):
            continue  # dropped by the listing parser already
        assert f"refused request to {link}" in crawl.log, link
    assert "root:x:0:0" not in crawl.log
    fault_tally.survive(len(links))


def test_run_is_reported(crawl):
    """crawl_runs counts what happened; the log names every kind of fault."""
    assert crawl.result.returncode == 0, crawl.log[-3000:]
    assert crawl.integrity == "ok"
    assert len(crawl.runs) == 1
    run = crawl.runs[0]
    plan = crawl.server.plan
    articles = sum(1 for p in plan if p.expected in ("article", "partial"))
    errors = sum(1 for p in plan if p.expected in ("error", "refused"))
    not_articles = sum(1 for p in plan if p.expected == "not-article")
    assert run["status"] == "ok"
    assert run["articles_new"] == articles == len(crawl.articles)
    assert run["parse_errors"] == not_articles
    assert run["http_errors"] == errors
    assert run["pages_fetched"] == len(crawl.pages) == 1 + len(plan)  # the index + one row per case
    for needle in ("Gave up retrying", "request guard: refused", "Retry-After", "larger than download max size",
                   "exceeded DOWNLOAD_MAXSIZE", "Forbidden by robots.txt", "not followed: redirect loop"):
        assert needle in crawl.log, needle
    # generous: the hang case dominates (4 attempts x 4 s)
    assert crawl.seconds < 120


def test_a_long_retry_after_is_honoured_and_does_not_hold_up_shutdown(tmp_path, fault_tally):
    """429 with Retry-After 300 s: the page is not asked again while the crawl runs, and
    when the crawl is closed (here CLOSESPIDER_TIMEOUT) the waiting retry gives up at once
    and is recorded, instead of keeping the process alive for five minutes."""
    fault_tally.inject()
    db = tmp_path / "warta.sqlite"
    with FaultServer(cases=["rate-limited"], healthy=2, retry_after=300, hostile=False) as server:
        started = time.monotonic()
        result = scrapy_crawl(f"sqlite:///{db}", "-a", f"base_url={server.url}", "-s", "CLOSESPIDER_TIMEOUT=4",
                              cwd=tmp_path)
        elapsed = time.monotonic() - started
        planned = server.case("rate-limited")
        hits = server.hits_for(planned.path)
    conn = sqlite3.connect(db)
    rows = conn.execute("select status, error from pages where url like ?", (f"%{planned.path}",)).fetchall()
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    conn.close()
    assert elapsed < 60, result.stderr[-3000:]
    assert hits == 1  # never hammered
    assert rows and any("the crawl is stopping" in (error or "") for _status, error in rows), rows
    assert articles == 2  # the healthy pages were stored
    assert "Retry-After 300.0 s" in result.stderr
    fault_tally.survive()
