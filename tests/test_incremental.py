"""Incremental scheduled runs and backfills against the local mirror (issue 3).

* the mirror's edition changes between two runs (base articles get a paragraph and
  a later "Diperbarui", 5 new articles appear): an incremental run stores exactly
  the new ones, gives exactly the changed ones a new revision and writes nothing
  for the rest (conditional requests answered 304);
* a second incremental run over the unchanged mirror makes a small fraction of the
  first run's requests;
* the id-range backfill (``-a ids=LOW-HIGH``) reaches articles through the site's
  id-only URL (``/read/<id>``, a 301) and does not ask again for what it stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite
from storage.repository import Archive

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def crawl(db_url: str, base_url: str, *args: str, settings: dict | None = None,
          timeout: float = 180) -> subprocess.CompletedProcess:
    """`scrapy crawl monitor` against the mirror, as cron would run it."""
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db_url,
               PYTHONPATH=str(ROOT), WARTA_PROGRESS_INTERVAL="0")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-s", "LOG_LEVEL=INFO",
           "-s", "WARTA_BATCH_SIZE=10", "-a", f"base_url={base_url}", *args]
    for name, value in (settings or {}).items():
        cmd += ["-s", f"{name}={value}"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def article_hits(hits) -> dict[str, int]:
    return {p: n for p, n in hits.items() if "/read/" in p}


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """A full crawl of edition 0, then an incremental run over edition 1."""
    site = MirrorSite(n_articles=60, seed=11)
    with MirrorServer(site) as server:
        db = f"sqlite:///{tmp_path_factory.mktemp('incr') / 'warta.sqlite'}"
        first = crawl(db, server.url)
        assert first.returncode == 0, first.stderr[-3000:]
        first_hits = dict(server.hits)
        with Archive(db) as archive:
            before = {r["canonical_url"]: r for r in archive.iter_articles()}
            pages_before = archive.count("pages")
        site.set_edition(1)
        server.reset_hits()
        second = crawl(db, server.url, "-a", "mode=incremental",
                       settings={"WARTA_REVISIT_DAYS": 3650, "WARTA_REVISIT_MIN_INTERVAL": 0})
        second_hits = dict(server.hits)
        yield {"site": site, "server": server, "db": db, "first": first, "second": second,
               "first_hits": first_hits, "second_hits": second_hits, "before": before,
               "pages_before": pages_before}


def test_edition_change_gives_exactly_the_changed_articles_a_new_revision(editions):
    site, db, second = editions["site"], editions["db"], editions["second"]
    assert second.returncode == 0, second.stderr[-3000:]
    changed = set(site.changed_in_edition(1))
    added = {a.path for a in site.articles if a.edition_added == 1}
    modified = changed - added
    assert len(added) == 5 and len(modified) == 2
    with Archive(db) as archive:
        rows = {urlsplit(r["url"]).path: r for r in archive.iter_articles()}
        assert set(rows) == {a.path for a in site.articles}
        for path, row in rows.items():
            expected = 2 if path in modified else 1
            assert row["revision"] == expected, path
            truth = site.article_by_path(path)
            assert row["body"] == truth["body"] and row["updated_at"] == truth["updated_at"], path
        # unchanged articles: no new page row, no new revision (the 304 costs no write)
        assert archive.count("article_revisions") == 60 + 5 + 2
        new_pages = archive.count("pages") - editions["pages_before"]
        listing_pages = sum(1 for p in editions["second_hits"] if "/read/" not in p and p != "/robots.txt")
        assert new_pages == len(added) + len(modified) + listing_pages
        for path in modified:
            revs = archive.revisions(rows[path]["id"])
            assert [r["revision"] for r in revs] == [1, 2]
            assert "pembaruan ke-1" in revs[1]["data"]["body"] and "pembaruan" not in revs[0]["data"]["body"]
        run = archive.summary(with_urls=False)["last_run"]
    assert run["status"] == "ok"
    assert (run["articles_new"], run["articles_updated"], run["articles_unchanged"]) == (5, 2, 58)
    assert run["stats"]["counts"]["not_modified"] == 58
    assert run["stats"]["mode"] == "incremental" and run["args"]["mode"] == "incremental"


def test_incremental_walk_stops_at_the_watermark(editions):
    hits = editions["second_hits"]
    listings = {p for p in hits if "/read/" not in p and p != "/robots.txt"}
    # the 5 new articles all sit on the first index page: the walk stops there
    assert listings == {"/indeks"}
    # every stored article was asked once, conditionally; the new ones once
    assert all(n == 1 for n in article_hits(hits).values())
    assert len(article_hits(hits)) == 65


def test_second_incremental_run_over_the_unchanged_mirror_is_cheap(editions):
    server, db = editions["server"], editions["db"]
    with Archive(db) as archive:
        pages, revisions = archive.count("pages"), archive.count("article_revisions")
    server.reset_hits()
    # the articles were checked minutes ago: WARTA_REVISIT_MIN_INTERVAL (30) skips them
    third = crawl(db, server.url, "-a", "mode=incremental")
    assert third.returncode == 0, third.stderr[-3000:]
    hits = dict(server.hits)
    assert article_hits(hits) == {}
    assert sum(hits.values()) <= 2  # robots.txt + /indeks
    assert sum(hits.values()) * 20 < sum(editions["first_hits"].values())
    with Archive(db) as archive:
        assert archive.count("article_revisions") == revisions
        assert archive.count("pages") == pages + 1  # the /indeks page
        last = archive.summary(with_urls=False)["last_run"]
    assert last["status"] == "ok" and last["articles_new"] == last["articles_updated"] == 0
    # the run walked from the head to the watermark without failures: it moves it up
    assert last["stats"]["coverage"]["upper"]


def test_incremental_refuses_a_date_window():
    from crawler.spiders.monitor import MonitorSpider

    with pytest.raises(ValueError, match="mode=incremental"):
        MonitorSpider(mode="incremental", since="2023-01-01")
    with pytest.raises(ValueError, match="mode="):
        MonitorSpider(mode="sometimes")
    with pytest.raises(ValueError, match="ids="):
        MonitorSpider(ids="5-9", since="2023-01-01")


def test_id_range_backfill_reaches_articles_by_id(tmp_path):
    site = MirrorSite(n_articles=30, seed=5)
    ids = sorted(a.id for a in site.articles)
    low, high = ids[10], ids[16]
    wanted = {a.id for a in site.articles if low <= a.id <= high}
    db = f"sqlite:///{tmp_path / 'ids.sqlite'}"
    with MirrorServer(site) as server:
        result = crawl(db, server.url, "-a", f"ids={low}-{high}")
        assert result.returncode == 0, result.stderr[-3000:]
        first = dict(server.hits)
        assert {p for p in first if p.startswith("/read/")} == {f"/read/{i}" for i in range(low, high + 1)}
        with Archive(db) as archive:
            got = {int(r["site_article_id"]) for r in archive.iter_articles()}
            gone = archive.count("pages") - len(wanted)
        assert got == wanted
        assert gone == (high - low + 1) - len(wanted)  # the ids without an article: 404 pages
        server.reset_hits()
        again = crawl(db, server.url, "-a", f"ids={low}-{high}")
        assert again.returncode == 0, again.stderr[-3000:]
        assert article_hits(server.hits) == {} and not any(p.startswith("/read/") for p in server.hits)


def test_parse_ids():
    from crawler.spiders.base import parse_ids

    assert parse_ids("5-7,9") == [9, 7, 6, 5]
    assert parse_ids("600000") == [600000]
    with pytest.raises(ValueError, match="ids="):
        parse_ids("7-5")
    with pytest.raises(ValueError, match="ids="):
        parse_ids("abc")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def any_db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'repo.sqlite'}"
    return request.getfixturevalue("pg_url")


def test_repository_queries_for_archive_crawling(any_db):
    """revisit candidates, touches, listing replay, dead-run recovery, id lookups:
    the same answers on SQLite and PostgreSQL."""
    from datetime import timedelta

    from storage.repository import to_utc

    def item(aid: int, day: int, run_id: int, etag: str) -> dict:
        url = f"https://monitorindonesia.com/nasional/read/2023/12/{aid}/berita-{aid}"
        return {"page": {"url": url, "status": 200, "kind": "article", "run_id": run_id,
                         "headers": {"ETag": etag, "Last-Modified": "Tue, 05 Dec 2023 01:10:00 GMT"},
                         "body": f"<html>{aid}</html>".encode(), "fetched_at": f"2023-12-{day:02d}T05:00:00+00:00"},
                "article": {"url": url, "canonical_url": url, "site": "monitorindonesia.com",
                            "site_article_id": str(aid), "headline": f"Berita {aid}", "body": "Isi.",
                            "published_at": f"2023-12-{day:02d}T10:00:00+07:00",
                            "fetched_at": f"2023-12-{day:02d}T05:00:00+00:00"}}

    with Archive(any_db) as archive:
        run = archive.start_run("monitor", {"base_url": "x"}, "monitorindonesia.com")
        archive.store_batch([item(100 + d, d, run, f'"e{d}"') for d in range(1, 6)])
        archive.store_batch([{"page": {"url": "https://monitorindonesia.com/indeks", "status": 200,
                                       "kind": "listing", "run_id": run, "body": b"<html>i</html>",
                                       "fetched_at": "2023-12-05T06:00:00+00:00"}, "article": None}])
        newest = archive.newest_published("monitorindonesia.com")
        assert newest == to_utc("2023-12-05T10:00:00+07:00")
        cands = archive.revisit_candidates("monitorindonesia.com", newest - timedelta(days=2))
        assert [c["etag"] for c in cands] == ['"e5"', '"e4"', '"e3"']
        assert cands[0]["last_modified"] == "Tue, 05 Dec 2023 01:10:00 GMT" and cands[0]["body_sha256"]
        # an article touched (a 304) just now is not a candidate for a while
        archive.touch_articles([(cands[0]["article_id"], "2030-01-01T00:00:00+00:00")])
        later = archive.revisit_candidates("monitorindonesia.com", newest - timedelta(days=2),
                                           seen_before=to_utc("2029-12-31T00:00:00+00:00"))
        assert [c["etag"] for c in later] == ['"e4"', '"e3"']
        assert archive.known_article_ids("monitorindonesia.com", ["101", "102", "999"]) == {"101", "102"}
        assert set(archive.listing_pages([run])) == {"https://monitorindonesia.com/indeks"}
        assert archive.listing_pages([run + 1]) == {}
        # the run's process died: its row is closed with the counts it committed
        assert archive.close_dead_run(run, error="gone")
        row = archive.get_run(run)
        assert (row["status"], row["pages_fetched"], row["articles_new"]) == ("interrupted", 6, 5)
        assert not archive.close_dead_run(run, error="again")


# ---------------------------------------------------------------------------------------
# profile spiders and ``generic``: incremental runs (crawled end to end over loopback in
# tests/test_profile_crawl.py; here the decisions one by one, without a network)
# ---------------------------------------------------------------------------------------

def _spider(cls, tmp_path, settings: dict | None = None, **kwargs):
    """A spider bound to a crawler (settings, stats) and to an archive in ``tmp_path``."""
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(cls, {"WARTA_DATABASE_URL": f"sqlite:///{tmp_path / 'unit.sqlite'}", **(settings or {})})
    return cls.from_crawler(crawler, **kwargs)


def _run_row(archive, spider: str, status: str, stats: dict, args: dict | None = None) -> int:
    run = archive.start_run(spider, args or {}, None)
    archive.finish_run(run, status, {}, stats)
    return run


def _article_item(url: str, *, body: bytes = b"<html>x</html>", etag: str | None = None, fetched_at: str,
                  site: str = "kumparan.com", aid: str = "1") -> dict:
    return {"page": {"url": url, "status": 200, "kind": "article", "body": body, "fetched_at": fetched_at,
                     "headers": {"ETag": etag} if etag else {}, "site": site},
            "article": {"url": url, "canonical_url": url, "site": site, "site_article_id": aid,
                        "headline": f"Berita {aid}", "body": "Isi.", "published_at": "2024-02-05T11:20:00+07:00",
                        "fetched_at": fetched_at}}


def test_lastmod_without_a_time_counts_as_the_end_of_that_day():
    from datetime import datetime, timezone

    from crawler.spiders.base import lastmod_time

    assert lastmod_time("2024-02-05") == datetime(2024, 2, 5, 16, 59, 59, tzinfo=timezone.utc)  # 23:59:59 WIB
    assert lastmod_time("2024-02-05T11:20:00+07:00") == datetime(2024, 2, 5, 4, 20, tzinfo=timezone.utc)
    assert lastmod_time(None) is None and lastmod_time("bukan tanggal") is None


def test_profile_spider_incremental_arguments():
    from crawler.spiders.profiles import SPIDERS

    with pytest.raises(ValueError, match="mode=incremental"):
        SPIDERS["detik"](mode="incremental", since="2024-10-01")
    with pytest.raises(ValueError, match="no sitemap"):
        SPIDERS["antaranews"](source="sitemap")
    # a profile with only a day index walks today's without since= (it used to walk nothing)
    cnbc = SPIDERS["cnbcindonesia"]()
    (url, kind, meta), = cnbc.start_urls_for()
    assert kind == "listing" and "/news/indeks/3?date=" in url and meta["walk"].startswith("day:") and meta["head"]


def test_anchor_is_the_newest_ok_run_that_completed_the_walk(tmp_path):
    from crawler.spiders.profiles import SPIDERS

    spider = _spider(SPIDERS["antaranews"], tmp_path, base_url="http://127.0.0.1:9", mode="incremental")
    walk = "index:http://127.0.0.1:9/terkini?page={page}"
    cov = {"lower": None, "upper": None, "upper_id": None,
           "walks": {walk: {"head": ["http://127.0.0.1:9/berita/1/a"], "newest": "2023-09-14T03:45:00+00:00"}}}
    with spider.archive as archive:
        ok = _run_row(archive, "antaranews", "ok", {"mode": "full", "coverage": cov})
        # later runs that must not move the anchor: killed, failed, ok without coverage, another walk
        archive.start_run("antaranews", {}, None)  # still "running": killed
        _run_row(archive, "antaranews", "interrupted", {"mode": "incremental", "coverage": cov})
        _run_row(archive, "antaranews", "failed", {"mode": "incremental", "coverage": cov})
        _run_row(archive, "antaranews", "ok", {"mode": "incremental"})
        _run_row(archive, "antaranews", "ok", {"mode": "incremental", "coverage": {"walks": {"index:other": {}}}})
    mark = spider.anchor(walk)
    assert mark["run_id"] == ok and mark["head"] == {"http://127.0.0.1:9/berita/1/a"}
    assert spider.anchor(walk, incremental_only=True) is None
    assert spider.anchor("index:elsewhere") is None
    # a page reaches it by a head URL or by an item no newer than the newest item of that run
    head = [{"url": "http://127.0.0.1:9/berita/1/a"}]
    assert spider.reaches(mark, head, [])
    assert spider.reaches(mark, [{"url": "http://127.0.0.1:9/berita/2/b"}],
                          [{"published_at": "2023-09-14T10:45:00+07:00"}])
    assert not spider.reaches(mark, [{"url": "http://127.0.0.1:9/berita/2/b"}],
                              [{"published_at": "2023-09-14T10:46:00+07:00"}, {"published_at": None}])
    assert not spider.reaches(None, head, [])


def test_a_run_that_did_not_finish_claims_no_walk(tmp_path):
    from crawler.spiders.profiles import SPIDERS

    spider = _spider(SPIDERS["antaranews"], tmp_path, base_url="http://127.0.0.1:9")
    spider.note_walk("index:x", head=["http://127.0.0.1:9/berita/1/a"], items=[
        {"published_at": "2023-09-14T10:45:00+07:00"}, {"published_at": "2023-09-14T09:00:00+07:00"}])
    spider.note_walk("index:y", head=["http://127.0.0.1:9/berita/2/b"])
    spider.walk_incomplete("index:y", "max_pages=1 reached")
    spider.closed("finished")
    cov = spider.coverage()
    assert cov["walks"] == {"index:x": {"head": ["http://127.0.0.1:9/berita/1/a"],
                                        "newest": "2023-09-14T03:45:00+00:00"}}
    for reason in ("shutdown", "closespider_itemcount", "closespider_timeout"):
        spider.closed(reason)
        assert spider.coverage() is None, reason
    spider.close_reason, spider.listing_failures = "finished", 1
    assert spider.coverage() is None


def test_sitemap_children_unchanged_since_the_last_incremental_run_are_not_read(tmp_path):
    from datetime import timedelta

    from crawler.spiders.profiles import SPIDERS
    from storage.repository import utcnow

    spider = _spider(SPIDERS["kumparan"], tmp_path, base_url="http://127.0.0.1:9", mode="incremental")
    walk = "sitemap:http://127.0.0.1:9/sitemap.xml"
    with spider.archive as archive:
        _run_row(archive, "kumparan", "ok", {"mode": "incremental", "coverage": {"walks": {walk: {}}}})
    started = spider.anchor(walk, incremental_only=True)["started_at"]
    assert abs(started - utcnow()) < timedelta(minutes=1)
    children = [{"url": "a", "lastmod": (started - timedelta(hours=2)).isoformat()},   # read by that run
                {"url": "b", "lastmod": (started - timedelta(minutes=5)).isoformat()},  # within the slack
                {"url": "c", "lastmod": (started + timedelta(minutes=1)).isoformat()},  # changed since
                {"url": "d", "lastmod": None},                                          # no lastmod
                {"url": "e", "lastmod": "2020-01-01"}]
    assert spider.sitemap_children(walk, children) == ["b", "c", "d"]
    assert spider.sitemap_children("sitemap:other", children) == ["a", "b", "c", "d", "e"]
    full = _spider(SPIDERS["kumparan"], tmp_path, base_url="http://127.0.0.1:9")
    assert full.sitemap_children(walk, children) == ["a", "b", "c", "d", "e"]


def test_generic_sitemap_incremental_refetches_only_entries_with_a_newer_lastmod(tmp_path):
    """The ``generic`` spider shares the sitemap rules: a stored entry whose lastmod is
    newer than our last fetch is revisited conditionally (its ETag), an older one is not,
    a new one is fetched; a full run never refetches a stored page."""
    from scrapy.http import Request, TextResponse

    from crawler.spiders.generic import GenericSpider

    base = "http://127.0.0.1:9"
    spider = _spider(GenericSpider, tmp_path, sitemap=f"{base}/sitemap.xml", mode="incremental")
    with spider.archive as archive:
        run = archive.start_run("generic", {}, None)
        archive.store_batch([_article_item(f"{base}/berita/1/lama", etag='"v1"', fetched_at="2024-02-05T06:00:00+00:00",
                                           site="127.0.0.1", aid="1"),
                             _article_item(f"{base}/berita/2/diubah", etag='"v2"', fetched_at="2024-02-05T06:00:00+00:00",
                                           site="127.0.0.1", aid="2")], run_id=run)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/berita/3/baru</loc><lastmod>2024-02-06T08:00:00+07:00</lastmod></url>
  <url><loc>{base}/berita/2/diubah</loc><lastmod>2024-02-06T07:00:00+07:00</lastmod></url>
  <url><loc>{base}/berita/1/lama</loc><lastmod>2024-02-05T09:00:00+07:00</lastmod></url>
</urlset>""".encode()
    request = Request(f"{base}/sitemap.xml", meta={"kind": "listing", "walk": f"sitemap:{base}/sitemap.xml"})
    response = TextResponse(request.url, body=xml, encoding="utf-8", request=request)
    out = [r for r in spider.parse_sitemap_doc(response) if hasattr(r, "url")]
    revisits = [r for r in out if "warta_revisit" in r.meta]
    assert [r.url for r in revisits] == [f"{base}/berita/2/diubah"]
    assert revisits[0].headers.get("If-None-Match") == b'"v2"' and revisits[0].dont_filter
    assert [r.url for r in out if "warta_revisit" not in r.meta] == [f"{base}/berita/3/baru"]
    full = _spider(GenericSpider, tmp_path, sitemap=f"{base}/sitemap.xml")
    assert [r.url for r in full.parse_sitemap_doc(response) if hasattr(r, "url")] == [f"{base}/berita/3/baru"]
