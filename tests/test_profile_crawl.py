"""A generated profile spider crawls our own fixture pages served on 127.0.0.1.

The antaranews listing fixture links articles with absolute https://www.antaranews.com
URLs, as the real site does: with ``-a base_url`` pointing at a mirror, the spider must
rebase them onto the mirror and never leave it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "antaranews"
LISTING = FIXTURES / "2023-09-14_listing-terkini_page-2.html"
ARTICLE = FIXTURES / "2023-09-14_current_gempa-maluku-tengah"

pytestmark = pytest.mark.e2e


@pytest.fixture
def fixture_site():
    expected = json.loads(ARTICLE.with_suffix(".json").read_text(encoding="utf-8"))
    pages = {
        "/terkini?page=1": LISTING.read_bytes(),
        urlsplit(expected["url"]).path: ARTICLE.with_suffix(".html").read_bytes(),
    }
    hits: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            hits[self.path] += 1
            body = pages.get(self.path)
            if self.path == "/robots.txt":
                body, status = b"User-agent: *\nAllow: /\n", 200
            else:
                status = 200 if body is not None else 404
                body = body if body is not None else b"<html><body>Halaman tidak ditemukan</body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", expected, hits
    finally:
        server.shutdown()
        server.server_close()


def test_profile_spider_crawls_a_mirror_without_leaving_it(fixture_site, tmp_path):
    base, expected, hits = fixture_site
    db = f"sqlite:///{tmp_path / 'w.sqlite'}"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db,
               PYTHONPATH=str(ROOT))
    env.pop("WARTA_REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "antaranews", "-a", f"base_url={base}",
         "-a", "max_pages=1", "-s", "LOG_LEVEL=INFO", "-s", "RETRY_ENABLED=False"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    article_path = urlsplit(expected["url"]).path
    assert hits[article_path] == 1
    with create_engine(db).connect() as conn:
        urls = [r[0] for r in conn.execute(text("select url from pages"))]
        rows = conn.execute(text("select site, headline, canonical_url from articles")).all()
    # every fetched page came from the mirror: nothing was requested from the real site
    assert urls and all(u.startswith(base) for u in urls), urls
    assert [(r.site, r.headline) for r in rows] == [("antaranews.com", expected["headline"])]
    assert rows[0].canonical_url == expected["canonical_url"]
