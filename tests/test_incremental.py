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
