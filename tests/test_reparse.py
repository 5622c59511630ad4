"""Re-parse the stored pages with the current parsers (no network).

The archive is built from mirror pages through the same steps as a crawl
(parse -> clean -> dates -> canonical URL and hash -> store_batch); a crawled
archive (scrapy, end to end) re-parsed with unchanged parsers changes nothing.
A "parser change" is a wrapper around ``parse_article`` that changes the headline
of some articles and calls itself version 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import crawler.reparse as reparse_module
from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite
from crawler.reparse import parse_stored_page, reparse
from storage.repository import Archive

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8123"
FETCHED = "2023-12-06T03:00:00+00:00"


def build(db_url: str, site: MirrorSite, *, refuse: set[int] = frozenset()) -> Archive:
    """Store every mirror article as a crawl would; ids in ``refuse`` as pages the
    (old) parser could not read."""
    archive = Archive(db_url)
    items = []
    for a in site.articles:
        resp = site.respond(a.path)
        page = {"url": BASE + a.path, "status": 200, "kind": "article", "fetched_at": FETCHED,
                "headers": {"Content-Type": resp.content_type}, "body": resp.body,
                "content_type": resp.content_type}
        article = parse_stored_page(page)
        if a.id in refuse:
            article = dict(article, parse_error="not an article: no headline")
        items.append({"page": dict(page), "article": article})
    archive.store_batch(items)
    return archive


@pytest.fixture(autouse=True)
def _inline_unless_asked(monkeypatch):
    """A parser monkeypatched here exists only in this process: re-parse inline
    unless a test asks for workers (``reparse(..., workers=N)``)."""
    monkeypatch.setenv("WARTA_PARSE_WORKERS", "0")


def parser_v2(affected):
    """A parser change: articles whose id is in ``affected`` get a new headline."""
    real = reparse_module.parse_article

    def parse(html, url, *, fetched_at=None):
        article = real(html, url, fetched_at=fetched_at)
        if article.get("site_article_id") and int(article["site_article_id"]) in affected:
            article["headline"] = article["headline"] + " (judul diperbaiki)"
        article["parser"] = "monitor/2"
        return article

    return parse


@pytest.fixture
def site():
    return MirrorSite(n_articles=40, seed=21)


@pytest.mark.parametrize("workers", [0, 2], ids=["inline", "2-parse-workers"])
def test_unchanged_parsers_change_nothing(site, sqlite_url, workers):
    archive = build(sqlite_url, site)
    revisions = archive.count("article_revisions")
    progress = []
    summary = reparse(archive, progress=lambda done, total: progress.append((done, total)), workers=workers)
    assert summary["articles"] == 40 and summary["unchanged"] == 40
    assert summary["updated"] == summary["new"] == 0 and summary["fields"] == {}
    assert archive.count("article_revisions") == revisions
    assert progress[-1] == (40, 40)
    archive.dispose()


def test_parser_change_updates_exactly_the_affected_articles(site, sqlite_url, monkeypatch):
    archive = build(sqlite_url, site)
    affected = {a.id for a in site.articles[::3]}
    monkeypatch.setattr(reparse_module, "parse_article", parser_v2(affected))
    summary = reparse(archive)
    assert summary["updated"] == len(affected)
    assert summary["unchanged"] == 40 - len(affected)
    assert summary["fields"] == {"headline": len(affected)}
    assert summary["parsers"] == {"monitor/2": 40}
    rows = {int(r["site_article_id"]): r for r in archive.iter_articles()}
    for aid, row in rows.items():
        if aid in affected:
            assert row["revision"] == 2 and row["headline"].endswith("(judul diperbaiki)")
            assert row["parser"] == "monitor/2"
            revs = archive.revisions(row["id"])
            assert [r["revision"] for r in revs] == [1, 2]
            assert revs[1]["page_id"] == revs[0]["page_id"]  # re-parsed from the same stored page
        else:
            assert row["revision"] == 1 and row["parser"] != "monitor/2"
    assert archive.count("article_revisions") == 40 + len(affected)
    assert archive.count("pages") == 40  # a re-parse never adds pages
    # idempotent: the same parser again changes nothing
    again = reparse(archive)
    assert again["updated"] == 0 and again["unchanged"] == 40
    archive.dispose()


def test_filters_restrict_the_reparse(site, sqlite_url, monkeypatch):
    archive = build(sqlite_url, site)
    newest_day = site.articles[0]["published_at"][:10]
    on_day = {a.id for a in site.articles if a["published_at"][:10] == newest_day}
    monkeypatch.setattr(reparse_module, "parse_article", parser_v2({a.id for a in site.articles}))
    assert reparse(archive, site="example.com")["articles"] == 0
    summary = reparse(archive, site="monitorindonesia.com", since=newest_day, until=newest_day)
    assert summary["articles"] == summary["updated"] == len(on_day) > 0
    archive.dispose()


@pytest.mark.parametrize("workers", [0, 2], ids=["inline", "2-parse-workers"])
def test_pages_the_old_parser_refused_become_articles(site, sqlite_url, workers):
    refused = {site.articles[5].id, site.articles[9].id}
    archive = build(sqlite_url, site, refuse=refused)
    assert archive.count("articles") == 38
    summary = reparse(archive, workers=workers)
    assert summary["new"] == 2 and summary["unchanged"] == 38
    assert archive.count("articles") == 40
    pages = {p["url"]: p for p in archive.iter_pages(with_body=False)}
    for a in site.articles[5], site.articles[9]:
        page = pages[BASE + a.path]
        assert page["article_id"] is not None and page["parse_error"] is None
    assert reparse(archive)["new"] == 0
    archive.dispose()


def test_a_parser_regression_never_erases_articles(site, sqlite_url, monkeypatch):
    archive = build(sqlite_url, site)
    real = reparse_module.parse_article

    def broken(html, url, *, fetched_at=None):
        article = real(html, url, fetched_at=fetched_at)
        article["parse_error"] = "not an article: no headline"
        return article

    monkeypatch.setattr(reparse_module, "parse_article", broken)
    summary = reparse(archive)
    assert summary["now_unparseable"] == 40 and summary["updated"] == 0
    assert all(r["headline"] for r in archive.iter_articles())
    archive.dispose()


def test_a_crawl_meanwhile_wins(site, sqlite_url):
    archive = build(sqlite_url, site)
    row = next(archive.iter_articles())
    page = next(p for p in archive.iter_pages() if p["article_id"] == row["id"])
    article = parse_stored_page(page)
    article["headline"] = "Judul lain"
    entry = {"article": article, "page_id": page["id"], "page_url": page["url"], "fetched_at": page["fetched_at"],
             "article_id": row["id"], "expected_revision": row["revision"] + 1}
    assert archive.revise_articles([entry]) == ["conflict"]
    assert archive.get_article(id=row["id"])["headline"] == row["headline"]
    archive.dispose()


@pytest.mark.e2e
def test_crawled_archive_reparses_to_itself(tmp_path):
    """The re-parse applies exactly the crawl's steps: a crawled archive is unchanged."""
    site = MirrorSite(n_articles=20, seed=17)
    db = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db,
               PYTHONPATH=str(ROOT), WARTA_PROGRESS_INTERVAL="0")
    with MirrorServer(site) as server:
        result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "monitor", "-a",
                                 f"base_url={server.url}"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    with Archive(db) as archive:
        summary = reparse(archive, workers="auto")
    assert summary["articles"] == 20 and summary["unchanged"] == 20, summary


@pytest.mark.services
def test_reparse_on_postgresql(pg_url, monkeypatch):
    site = MirrorSite(n_articles=12, seed=4)
    archive = build(pg_url, site, refuse={site.articles[0].id})
    affected = {a.id for a in site.articles[1::2]}
    monkeypatch.setattr(reparse_module, "parse_article", parser_v2(affected))
    summary = reparse(archive)
    assert summary["updated"] == len(affected) and summary["new"] == 1
    assert archive.count("articles") == 12
    assert archive.count("article_revisions") == 12 + len(affected)
    archive.dispose()
