"""End to end: the real `monitor` spider, run by `scrapy crawl` in a subprocess,
crawls the local mirror into SQLite; the archive must match the mirror's own
ground truth field by field, and a second run must fetch no article again."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e

COMPARED = ("headline", "byline", "editor", "published_at", "updated_at", "published_raw",
            "updated_raw", "dateline", "caption", "caption_credit", "body", "section",
            "site_article_id", "canonical_url")


def scrapy_crawl(db_url: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings",
               WARTA_DATABASE_URL=db_url, PYTHONPATH=str(ROOT))
    env.pop("WARTA_REDIS_URL", None)  # a single-process crawl, whatever the caller's shell says
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-s", "LOG_LEVEL=INFO",
           "-s", "WARTA_BATCH_SIZE=10", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def as_list(value):
    import json

    if isinstance(value, str):
        return json.loads(value)
    return value


@pytest.fixture(scope="module")
def mirror():
    site = MirrorSite(n_articles=60, seed=7)
    with MirrorServer(site) as server:
        yield site, server


@pytest.fixture(scope="module", params=["1", "0"], ids=["parse-worker", "parse-inline"])
def crawled(mirror, tmp_path_factory, request):
    """A first crawl, parsing in a worker process and inline (crawler/parsepool.py):
    both must give the mirror's ground truth."""
    site, server = mirror
    db = tmp_path_factory.mktemp("e2e") / "warta.sqlite"
    url = f"sqlite:///{db}"
    server.hits.clear()
    first = scrapy_crawl(url, "-a", f"base_url={server.url}", "-s", f"WARTA_PARSE_WORKERS={request.param}")
    first_hits = dict(server.hits)
    return site, server, url, first, first_hits


def test_crawl_exits_zero_and_stores_every_article(crawled):
    site, _, url, result, _ = crawled
    assert result.returncode == 0, result.stderr[-3000:]
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("select count(*) from articles")).scalar_one()
        runs = conn.execute(text("select status, pages_fetched, articles_new from crawl_runs")).all()
    assert n == len(site.articles) == 60
    assert len(runs) == 1 and runs[0].status == "ok" and runs[0].articles_new == 60
    assert "'warta/parse_workers': " + ("1" if "WARTA_PARSE_WORKERS=1" in " ".join(result.args) else "0") \
        in result.stderr  # the mode the run says it used


def test_archive_matches_mirror_ground_truth(crawled):
    site, _, url, result, _ = crawled
    assert result.returncode == 0, result.stderr[-3000:]
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {r.canonical_url: r._mapping for r in conn.execute(text("select * from articles"))}
    mismatches = []
    for truth in site.articles:
        row = rows.get(truth["canonical_url"])
        assert row is not None, f"missing {truth['canonical_url']}"
        for field in COMPARED:
            got = row[field]
            if field == "byline":
                got = as_list(got)
            if got != truth.get(field):
                mismatches.append((truth["canonical_url"], field, truth.get(field), got))
    assert not mismatches, mismatches[:5]


def test_every_fetched_page_is_stored_raw(crawled):
    _, _, url, result, hits = crawled
    engine = create_engine(url)
    with engine.connect() as conn:
        pages = conn.execute(text("select count(*) from pages")).scalar_one()
        listings = conn.execute(text("select count(*) from pages where kind='listing'")).scalar_one()
        empty = conn.execute(text("select count(*) from pages where body_gz is null")).scalar_one()
    fetched = sum(n for path, n in hits.items() if not path.startswith("/robots.txt"))
    assert pages == fetched
    assert listings >= 3  # 60 articles at 20 per index page
    assert empty == 0


def test_second_run_fetches_no_article_again(crawled):
    site, server, url, first, _ = crawled
    assert first.returncode == 0
    server.hits.clear()
    second = scrapy_crawl(url, "-a", f"base_url={server.url}")
    assert second.returncode == 0, second.stderr[-3000:]
    article_hits = {p: n for p, n in server.hits.items() if "/read/" in p}
    assert article_hits == {}
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("select count(*) from articles")).scalar_one()
        revisions = conn.execute(text("select count(*) from article_revisions")).scalar_one()
        runs = conn.execute(text("select status, articles_new from crawl_runs order by id")).all()
    assert n == 60 and revisions == 60
    assert [r.status for r in runs] == ["ok", "ok"] and runs[1].articles_new == 0


def test_date_window_and_max_articles(mirror, tmp_path):
    site, server = mirror
    newest = site.articles[0]["published_at"][:10]
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    result = scrapy_crawl(url, "-a", f"base_url={server.url}", "-a", f"since={newest}",
                          "-a", f"until={newest}")
    assert result.returncode == 0, result.stderr[-3000:]
    expected = {a["canonical_url"] for a in site.articles if a["published_at"][:10] == newest}
    engine = create_engine(url)
    with engine.connect() as conn:
        got = {r[0] for r in conn.execute(text("select canonical_url from articles"))}
    assert got == expected and expected

    url2 = f"sqlite:///{tmp_path / 'm.sqlite'}"
    result = scrapy_crawl(url2, "-a", f"base_url={server.url}", "-a", "max_articles=7")
    assert result.returncode == 0, result.stderr[-3000:]
    with create_engine(url2).connect() as conn:
        assert conn.execute(text("select count(*) from articles")).scalar_one() == 7


def test_bad_argument_is_a_clear_error(mirror, tmp_path):
    _, server = mirror
    result = scrapy_crawl(f"sqlite:///{tmp_path / 'x.sqlite'}", "-a", f"base_url={server.url}",
                          "-a", "since=yesterday")
    assert result.returncode != 0
    assert "expected a date like" in result.stderr


def test_warta_demo_and_export(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--dir", str(out),
                             "--articles", "25"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=240, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "articles stored" in result.stdout
    with open(out / "articles.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25
    assert all(r["headline"] and r["body"] for r in rows)
    # the CLI export of the same archive, to stdout, gives the same rows
    exported = subprocess.run([sys.executable, "-m", "crawler.cli", "export", "--db",
                               f"sqlite:///{out / 'warta.sqlite'}", "-o", "-"],
                              capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert exported.returncode == 0, exported.stderr
    assert list(csv.DictReader(io.StringIO(exported.stdout))) == rows
