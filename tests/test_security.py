"""Hostile input and secrets: what a crawl may request, sitemaps with XML entities,
spreadsheet formula injection in CSV exports, database passwords in logs and rows."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings

from crawler import safety
from crawler.items import PageItem, empty_article
from crawler.mirror.faults import FaultServer
from crawler.safety import (
    BackoffRetryMiddleware,
    MetaRefreshGuardMiddleware,
    RedirectGuardMiddleware,
    RequestGuardMiddleware,
    is_private_host,
    parse_retry_after,
    refusal,
)
from crawler.spiders.monitor import MonitorSpider

ROOT = Path(__file__).resolve().parents[1]
LIVE = dict(allowed_domains=["monitorindonesia.com"], own_origins={("monitorindonesia.com", 443)})


# --- the request policy --------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://monitorindonesia.com/ekonomi/read/2023/12/421873/slug",
    "https://www.monitorindonesia.com/indeks?page=2",
    "http://m.monitorindonesia.com/x",
    "https://MonitorIndonesia.com./robots.txt",
])
def test_live_spider_may_request_its_site(url):
    assert refusal(url, **LIVE) is None


@pytest.mark.parametrize("url, why", [
    ("https://evil.example/", "off-site"),
    ("https://monitorindonesia.com.evil.example/x", "off-site"),
    ("https://notmonitorindonesia.com/x", "off-site"),
    ("file:///etc/passwd", "scheme file:"),
    ("file://monitorindonesia.com/etc/passwd", "scheme file:"),  # Scrapy's offsite check passes this one
    ("data:text/html,<h1>x</h1>", "scheme data:"),
    ("ftp://monitorindonesia.com/pub", "scheme ftp:"),
    ("s3://bucket/key", "scheme s3:"),
    ("javascript:alert(1)", "scheme javascript:"),
    ("http:///no-host", "without a host"),
    ("http://127.0.0.1/", "off-site"),
    ("http://[::1]:8080/", "off-site"),
])
def test_live_spider_refuses(url, why):
    reason = refusal(url, **LIVE)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0x7f.1", "0177.0.0.1", "localhost", "LOCALHOST.",
    "api.localhost", "printer.local", "metadata.google.internal", "10.0.0.8", "172.16.3.4", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "0.0.0.0", "0", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:a9fe:a9fe]",
    "[fe80::1]", "[fd00::1]", "[2002:7f00:1::]", "[::]", "224.0.0.1", "255.255.255.255",
])
def test_private_addresses_in_every_spelling(host):
    assert is_private_host(host)
    # even when no allowed_domains restricts the spider
    assert "private or loopback" in refusal(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("host", ["monitorindonesia.com", "8.8.8.8", "1.1.1.1", "[2606:4700::1111]",
                                  "deadbeef.example", "10.example.com", "local.example.com"])
def test_public_hosts_are_not_private(host):
    assert not is_private_host(host)
    assert refusal(f"https://{host}/x") is None


def test_mirror_spider_may_use_its_own_loopback_origin_only():
    own = dict(allowed_domains=["127.0.0.1"], own_origins={("127.0.0.1", 8123)})
    assert refusal("http://127.0.0.1:8123/indeks", **own) is None
    assert "private" in refusal("http://127.0.0.1:6379/", **own)  # redis next door
    assert "off-site" in refusal("http://localhost:8123/indeks", **own)
    assert refusal("http://127.0.0.1:6379/", trusted_hosts={"127.0.0.1"}, allowed_domains=["127.0.0.1"]) is None


# --- the middlewares inside Scrapy ---------------------------------------------------------

class _Stats:
    def __init__(self):
        self.values: dict[str, int] = {}

    def inc_value(self, key, count=1, start=0):
        self.values[key] = self.values.get(key, start) + count

    def get_value(self, key, default=None):
        return self.values.get(key, default)


class _Signals:
    def connect(self, *args, **kwargs):
        pass


class _Crawler:
    def __init__(self, spider, **overrides):
        self.settings = Settings()
        self.settings.setmodule("crawler.settings")
        for key, value in overrides.items():
            self.settings.set(key, value)
        self.stats = _Stats()
        self.signals = _Signals()
        self.spider = spider
        spider.crawler = self


def live_spider():
    return MonitorSpider(base_url="https://monitorindonesia.com")


def test_settings_wire_the_guard_and_disable_other_schemes():
    s = Settings()
    s.setmodule("crawler.settings")
    mws = s.getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["crawler.safety.RequestGuardMiddleware"] < 50  # before offsite and robots.txt
    assert mws["crawler.safety.RedirectGuardMiddleware"] > 600  # before RedirectMiddleware follows
    assert 580 < mws["crawler.safety.MetaRefreshGuardMiddleware"] < 590
    assert mws["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    handlers = s.getdict("DOWNLOAD_HANDLERS")
    assert all(handlers[scheme] is None for scheme in ("file", "data", "ftp", "s3"))


def test_guard_refuses_offsite_even_with_dont_filter():
    """Scrapy's OffsiteMiddleware lets dont_filter requests (and their redirects) through."""
    from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware

    spider = live_spider()
    crawler = _Crawler(spider)
    guard = RequestGuardMiddleware(crawler)
    request = Request("https://evil.example/steal", dont_filter=True)
    offsite = OffsiteMiddleware(crawler.stats)
    offsite.crawler = crawler
    offsite.spider_opened(spider)
    assert offsite.process_request(request) is None  # Scrapy's own check lets it pass
    with pytest.raises(IgnoreRequest):
        guard.request_scheduled(request, spider)
    with pytest.raises(IgnoreRequest):
        guard.process_request(request, spider)
    assert guard.process_request(Request("https://www.monitorindonesia.com/x", dont_filter=True), spider) is None
    assert crawler.stats.values["warta/refused"] == 1  # counted once


@pytest.mark.parametrize("location", [
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/", "file:///etc/passwd",
    "https://evil.example/", "//evil.example/x",
])
def test_refused_redirects_are_not_followed(location):
    from scrapy.downloadermiddlewares.redirect import RedirectMiddleware

    spider = live_spider()
    crawler = _Crawler(spider)
    guard = RedirectGuardMiddleware(crawler)
    request = Request("https://monitorindonesia.com/ekonomi/read/2023/12/1/x")
    response = Response(request.url, status=302, headers={"Location": location}, request=request)
    assert guard.process_response(request, response, spider) is response
    assert request.meta["dont_redirect"] is True
    assert "not followed" in request.meta["warta_refused"]
    redirect = RedirectMiddleware.from_crawler(crawler)
    assert redirect.process_response(request, response) is response  # Scrapy does not follow it either


def test_same_site_redirects_are_followed_and_loops_are_not():
    spider = live_spider()
    guard = RedirectGuardMiddleware(_Crawler(spider))
    a = "https://monitorindonesia.com/a"
    request = Request(a)
    ok = Response(a, status=301, headers={"Location": "https://www.monitorindonesia.com/b"}, request=request)
    assert guard.process_response(request, ok, spider) is ok and "dont_redirect" not in request.meta
    looped = Request("https://www.monitorindonesia.com/b", meta={"redirect_urls": [a]})
    back = Response(looped.url, status=302, headers={"Location": a}, request=looped)
    guard.process_response(looped, back, spider)
    assert "redirect loop" in looped.meta["warta_refused"]


def test_meta_refresh_to_a_private_address_is_not_followed():
    spider = live_spider()
    guard = MetaRefreshGuardMiddleware(_Crawler(spider))
    request = Request("https://monitorindonesia.com/x")
    body = b'<html><head><meta http-equiv="refresh" content="0; url=http://10.0.0.5/admin"></head></html>'
    response = HtmlResponse(request.url, body=body, request=request)
    assert guard.process_response(request, response, spider) is response
    assert request.meta["dont_redirect"] is True and "not followed" in request.meta["warta_refused"]


# --- Retry-After and backoff ------------------------------------------------------------------

def test_parse_retry_after():
    now = time.time()
    assert parse_retry_after("120") == 120
    assert parse_retry_after(b"0") == 0
    assert 29 <= parse_retry_after(formatdate(now + 30, usegmt=True), now=now) <= 30
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0
    for junk in (None, "", "soon", "-5", "1e9", "Mon, 99 Foo 2023"):
        assert parse_retry_after(junk) is None


class _Clock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self):
        return self.now

    def time(self):
        return self.now

    async def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def retry_mw(monkeypatch):
    from scrapy.utils.test import get_crawler

    clock = _Clock()
    monkeypatch.setattr(safety, "time", clock)
    monkeypatch.setattr(safety, "_sleep", clock.sleep)
    settings = Settings()
    settings.setmodule("crawler.settings")
    crawler = get_crawler(MonitorSpider, {k: settings[k] for k in ("RETRY_TIMES", "RETRY_HTTP_CODES")} | {
        "WARTA_RETRY_BACKOFF": 1.0, "WARTA_RETRY_AFTER_MAX": 120})
    crawler.spider = crawler._create_spider(base_url="https://monitorindonesia.com")
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    return mw, clock


def test_retry_after_pauses_the_whole_host(retry_mw):
    mw, clock = retry_mw
    first = Request("https://monitorindonesia.com/a")
    answer = Response(first.url, status=429, headers={"Retry-After": "30"}, request=first)
    retry = mw.process_response(first, answer)
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    other = Request("https://monitorindonesia.com/b")  # another page of the same host
    asyncio.run(mw.process_request(other))
    assert sum(clock.slept) == pytest.approx(30)
    elsewhere = Request("https://other.example/c")
    before = list(clock.slept)
    asyncio.run(mw.process_request(elsewhere))
    assert clock.slept == before  # other hosts are not held back


def test_retry_after_longer_than_the_cap_gives_up(retry_mw):
    mw, clock = retry_mw
    request = Request("https://monitorindonesia.com/a")
    answer = Response(request.url, status=503, headers={"Retry-After": "86400"}, request=request)
    assert mw.process_response(request, answer) is answer  # stored as an HTTP error, not hammered
    asyncio.run(mw.process_request(Request("https://monitorindonesia.com/b")))
    assert sum(clock.slept) == pytest.approx(120)


def test_backoff_doubles(retry_mw):
    mw, clock = retry_mw
    request = Request("https://monitorindonesia.com/a")
    waits = []
    for _ in range(3):
        retry = mw.process_response(request, Response(request.url, status=500, request=request))
        waits.append(retry.meta["warta_retry_at"] - clock.now)
        request = retry
    for n, wait in enumerate(waits):
        assert 0.75 * 2**n <= wait <= 1.25 * 2**n
    final = mw.process_response(request, Response(request.url, status=500, request=request))
    assert isinstance(final, Response)  # RETRY_TIMES exhausted


# --- sitemaps with XML entities -----------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_site():
    with FaultServer(cases=[], healthy=3, hostile=True) as server:
        yield server


def _check_locs(locs: list[str], server: FaultServer) -> None:
    text = " ".join(locs)
    assert "lollol" not in text and "root:" not in text and "canary" not in text
    assert len(text) < 10_000  # nothing was expanded
    assert server.canary.total == 0  # the external entity was not fetched


def test_scrapy_sitemap_parser_expands_no_entities(hostile_site):
    from scrapy.utils.sitemap import Sitemap

    xml = hostile_site.sitemap_xml().encode()
    started = time.perf_counter()
    locs = [entry["loc"] for entry in Sitemap(xml)]
    assert time.perf_counter() - started < 2
    _check_locs(locs, hostile_site)
    assert sum(hostile_site.url in loc for loc in locs) >= 3


def test_discovery_sitemap_parser_expands_no_entities(hostile_site):
    discovery = pytest.importorskip("crawler.spiders.discovery")
    started = time.perf_counter()
    doc = discovery.parse_sitemap(hostile_site.sitemap_xml().encode())
    assert time.perf_counter() - started < 2
    _check_locs([u["url"] for u in doc["urls"]], hostile_site)


SITEMAP_SPIDER = '''
from urllib.parse import urlsplit
from scrapy.spiders import SitemapSpider

class HostileSitemap(SitemapSpider):
    name = "hostile-sitemap"

    def __init__(self, base_url, **kwargs):
        self.base_url = base_url
        self.sitemap_urls = [base_url + "/sitemap.xml"]
        self.allowed_domains = [urlsplit(base_url).hostname]
        super().__init__(**kwargs)

    def parse(self, response):
        yield {"url": response.url, "status": response.status}
'''


def test_sitemap_links_never_leave_the_site(hostile_site, tmp_path):
    """A real SitemapSpider run with Warta's settings: off-site, private-port and
    file: <loc>s are refused, entities are not expanded, the canary is never hit."""
    spider = tmp_path / "hostile_sitemap.py"
    spider.write_text(SITEMAP_SPIDER)
    hostile_site.hits.clear()
    out = tmp_path / "items.jsonl"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(ROOT),
               WARTA_DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite'}")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"base_url={hostile_site.url}",
         "-s", "ITEM_PIPELINES={}", "-s", "EXTENSIONS={}", "-s", "LOG_LEVEL=INFO", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=False", "-o", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    fetched = [json.loads(line)["url"] for line in out.read_text().splitlines()]
    healthy = {hostile_site.url + p.path for p in hostile_site.plan}
    assert set(fetched) == healthy
    assert hostile_site.canary.total == 0
    assert "refused request to http://localhost:" in result.stderr
    assert f"refused request to http://127.0.0.1:{hostile_site.canary.port}/" in result.stderr
    assert "root:x:0:0" not in result.stderr + out.read_text()


# --- CSV exports: formula injection and UTF-8 ------------------------------------------------

DANGEROUS = [
    "=HYPERLINK(\"http://evil.example\",\"klik\")", "=cmd|' /C calc'!A0", "+62 812 3456", "-2+3",
    "@SUM(A1:A2)", "\t=1+1", "\r=1+1", " =1+1", "\n=1+1", "\u00a0@x", "\ufeff=1", "\u200b+1",
]
TEXT_COLUMNS = ("headline", "editor", "published_raw", "dateline", "caption", "caption_credit", "body", "section")


def _export_rows(url: str, items: list, **kwargs) -> tuple[bytes, list[dict[str, str]]]:
    from storage.export import export_csv
    from storage.repository import Archive

    with Archive(url) as archive:
        archive.store_batch(items)
        buf = io.BytesIO()
        export_csv(archive, buf, **kwargs)
    raw = buf.getvalue()
    text = raw.decode("utf-8")
    return raw, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _item(i: int, **fields):
    url = f"https://monitorindonesia.com/ekonomi/read/2023/12/{i}/artikel-{i}"
    article = empty_article(url)
    article.update(canonical_url=url, site="monitorindonesia.com", site_article_id=str(i), section="ekonomi",
                   headline=f"Judul {i}", byline=["Rizky Amin"], body="Isi.", language="id", parser="t/1",
                   published_at="2023-12-05T01:10:00+07:00", fetched_at="2023-12-06T00:00:00+00:00")
    article.update(fields)
    return PageItem(page={"url": url, "status": 200, "body": b"<html></html>", "kind": "article",
                          "fetched_at": "2023-12-06T00:00:00+00:00"}, article=article)


def test_every_text_cell_is_neutralised(tmp_path):
    items = [_item(i, **{c: payload for c in TEXT_COLUMNS}, byline=[payload, "Aman"], tags=[payload],
                   warnings=[payload]) for i, payload in enumerate(DANGEROUS, 1)]
    _raw, rows = _export_rows(f"sqlite:///{tmp_path / 'f.sqlite'}", items)
    assert len(rows) == len(DANGEROUS)
    for row in rows:
        for column, cell in row.items():
            if column == "revision":
                assert cell == "1"
                continue
            stripped = cell.lstrip(" \n\u00a0\ufeff\u200b")
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
            assert not stripped.startswith(("=", "+", "-", "@")) or cell.startswith("'"), (column, cell)


def test_csv_keeps_utf8(tmp_path):
    body = "Jakarta, MI – “Kutipan” café Ærø ñ 中文 \U0001F1EE\U0001F1E9\n\nParagraf kedua; dengan, koma."
    raw, rows = _export_rows(f"sqlite:///{tmp_path / 'u.sqlite'}", [_item(1, body=body, headline="Hakim Agung Ñoño")],
                             bom=True)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows[0]["body"] == body and rows[0]["headline"] == "Hakim Agung Ñoño"
    assert "“Kutipan”".encode("utf-8") in raw


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_neutralised_cells_round_trip(text):
    from storage.export import neutralize_formula

    cell = neutralize_formula(text)
    assert cell in (text, "'" + text)
    if text.lstrip(" \n\u00a0\u200b\ufeff").startswith(("=", "+", "-", "@")) or text.startswith(("\t", "\r")):
        assert cell == "'" + text
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow([cell, "x"])
    assert next(csv.reader(io.StringIO(buf.getvalue(), newline=""))) == [cell, "x"]


# --- secrets ---------------------------------------------------------------------------------

SECRET = "S3cr3t-Pw_7fq"


def _crawl_with(db_url: str, base_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(ROOT), WARTA_DATABASE_URL=db_url)
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={base_url}",
                           "-s", "LOG_LEVEL=DEBUG", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def small_mirror():
    from crawler.mirror.server import MirrorServer
    from crawler.mirror.site import MirrorSite

    with MirrorServer(MirrorSite(n_articles=4, seed=3)) as server:
        yield server


def test_password_in_query_is_masked():
    from storage.repository import mask_database_url

    masked = mask_database_url(f"postgresql+psycopg://warta:{SECRET}@db.example/warta?password={SECRET}&sslmode=require")
    assert SECRET not in masked and "sslmode=require" in masked and "warta:***@" in masked


@pytest.mark.services
def test_database_password_never_logged_or_stored(pg_url, small_mirror, tmp_path):
    """A crawl into PostgreSQL with a password in the URL (and in ?password=): the
    password appears neither in the log (at DEBUG) nor in any crawl_runs / pages value."""
    import psycopg

    assert "://" in pg_url and "@" in pg_url
    scheme, rest = pg_url.split("://", 1)
    user, host = rest.split("@", 1)
    url = f"{scheme}://{user}:{SECRET}@{host}?password={SECRET}"  # trust auth: accepted, unchecked
    result = _crawl_with(url, small_mirror.url, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert SECRET not in result.stdout + result.stderr
    assert "***" in result.stderr  # the masked URL is what was logged
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        for table in ("crawl_runs", "pages", "articles"):
            for row in conn.execute(f"select row_to_json(t)::text from {table} t"):
                assert SECRET not in row[0], table


def test_unreachable_database_password_never_logged(small_mirror, tmp_path):
    url = f"postgresql+psycopg://warta:{SECRET}@127.0.0.1:1/warta?password={SECRET}"
    result = _crawl_with(url, small_mirror.url, tmp_path)
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr


def test_sqlite_crawl_rows_hold_no_database_url(small_mirror, tmp_path):
    db = tmp_path / f"{SECRET}.sqlite"  # a "secret" path: must not be copied into rows
    result = _crawl_with(f"sqlite:///{db}", small_mirror.url, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    conn = sqlite3.connect(db)
    for table in ("crawl_runs", "pages"):
        cols = [r[1] for r in conn.execute(f"pragma table_info({table})")]
        for row in conn.execute(f"select * from {table}"):
            for col, value in zip(cols, row):
                if isinstance(value, str):
                    assert SECRET not in value, (table, col)
    conn.close()
