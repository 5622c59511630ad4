"""Store speed: ``Archive.store_batch`` vs plain ``sqlite3.executemany`` of the same rows.

The workload is what the crawl's storage pipeline hands to the archive: PageItems
(raw page bytes + parsed, cleaned, dated article with ``canonical_url`` and
``content_hash`` already set by the dedupe pipeline).  They are built from real
mirror pages (200 rendered article pages, parsed by our parser and run through the
clean and dates pipelines), then varied per item (new article id, URL, headline,
a unique byte in the body) so that 100,000 items are 100,000 new articles.

**The peer** (the fair one, not a strawman): hand-written code with the standard
``sqlite3`` module that writes *the same rows into the same tables* -- a ``pages``
row (gzip of the body at the same level, sha256, headers as JSON), an ``articles``
row and its first ``article_revisions`` row (the article as JSON) -- in a schema
created by our own migrations (same indexes and unique constraints), same pragmas
(WAL, ``synchronous=NORMAL``), same transaction size, ids assigned from
``max(id)`` under ``BEGIN IMMEDIATE``, three ``executemany`` calls per batch.  It does
none of what the storage layer adds on top: no lookup of existing articles (dedupe
by database), no revision logic, no URL canonicalisation or hash re-computation, no
retry/lock handling.  A single-table ``executemany`` would not be the same rows.

Both sides get the same batches, interleaved batch by batch (ours first on even
batches, the peer first on odd ones), so load from other processes hits both alike.
Only the calls are timed; building the items is not.

    python -m bench.bench_store [--articles 100000] [--batch 500]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.common import Row, format_table

FETCHED_AT = "2023-12-06T03:00:00+00:00"
BASE = "https://monitorindonesia.com"
_ID_IN_PATH = re.compile(r"/read/(\d{4})/(\d{2})/(\d+)/")


class ItemFactory:
    """Deterministic production-shaped PageItems, ``item(i)`` for any ``i``."""

    def __init__(self, templates: int = 200, seed: int = 11) -> None:
        from crawler.items import PageItem
        from crawler.mirror.site import MirrorSite
        from crawler.parsers import parse_article
        from crawler.parsers.encoding import decode_html
        from pipelines.clean import CleanTextPipeline
        from pipelines.dates import DatesPipeline

        site = MirrorSite(n_articles=templates, seed=seed)
        clean, dates = CleanTextPipeline(), DatesPipeline()
        self.templates: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for a in site.articles:
            body = site.respond(a.path).body
            url = BASE + a.path
            page = {
                "url": url, "status": 200,
                "headers": {"Content-Type": "text/html; charset=utf-8", "Server": "nginx",
                            "Last-Modified": "Tue, 05 Dec 2023 01:10:00 GMT", "Vary": "Accept-Encoding"},
                "request_headers": {"User-Agent": "Warta/bench", "Accept-Encoding": "gzip, deflate",
                                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
                "body": body, "fetched_at": FETCHED_AT, "kind": "article", "encoding": "utf-8", "error": None,
            }
            article = parse_article(decode_html(body), url, fetched_at=FETCHED_AT)
            item = dates.process_item(clean.process_item(PageItem(page=page, article=article)))
            self.templates.append((item["page"], item["article"]))

    def item(self, i: int, run_id: int | None = None) -> dict[str, Any]:
        from crawler.items import PageItem
        from pipelines.dedupe import canonicalize_url, content_hash

        page_t, art_t = self.templates[i % len(self.templates)]
        sid = str(10_000_000 + i)
        url = _ID_IN_PATH.sub(lambda m: f"/read/{m.group(1)}/{m.group(2)}/{sid}/", page_t["url"], count=1)
        canon = canonicalize_url(url)
        page = dict(page_t, url=url, url_key=canon, body=page_t["body"] + b"<!-- %d -->" % i, run_id=run_id)
        article = dict(art_t, url=url, canonical_url=canon, site_article_id=sid,
                       headline=f"{art_t['headline']} ({i})")
        article["content_hash"] = content_hash(article)  # what DedupePipeline did upstream
        return PageItem(page=page, article=article)

    def batches(self, n: int, size: int, run_id: int | None = None) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, n, size):
            yield [self.item(i, run_id) for i in range(start, min(n, start + size))]


# -------------------------------------------------------------------------------------
# the peer: plain sqlite3
# -------------------------------------------------------------------------------------

PAGE_COLS = ("id", "url", "url_key", "site", "kind", "status", "headers", "request_headers", "fetched_at",
             "body_gz", "body_sha256", "content_type", "encoding", "parse_error", "error", "article_id", "run_id",
             "payload_sha256")
ARTICLE_COLS = ("id", "site", "site_article_id", "canonical_url", "url", "section", "headline", "byline", "editor",
                "published_at", "published_utc", "updated_at", "updated_utc", "published_raw", "updated_raw",
                "dateline", "caption", "caption_credit", "lead_image_url", "body", "tags", "language",
                "fetched_at", "first_seen_at", "last_seen_at", "content_hash", "revision", "parser",
                "field_sources", "warnings")
REVISION_COLS = ("article_id", "revision", "content_hash", "fetched_at", "page_id", "data")


def _sql(table: str, cols: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


def _utc_text(iso: str | None) -> str | None:
    if not iso:
        return None
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _j(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


class PlainSqlite:
    """The peer: the same rows into the same tables with ``sqlite3.executemany``."""

    def __init__(self, path: Path, gzip_level: int) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.level = gzip_level
        self.db_seconds = 0.0
        self.sql = (_sql("articles", ARTICLE_COLS), _sql("pages", PAGE_COLS), _sql("article_revisions", REVISION_COLS))

    def store(self, items: list[dict[str, Any]]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        a0 = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
        p0 = conn.execute("SELECT coalesce(max(id), 0) FROM pages").fetchone()[0]
        articles, pages, revisions = [], [], []
        for n, item in enumerate(items, 1):
            page, a = item["page"], item["article"]
            body = page["body"]
            aid, pid = a0 + n, p0 + n
            fetched = _utc_text(page["fetched_at"])
            articles.append((
                aid, a["site"], a["site_article_id"], a["canonical_url"], a["url"], a["section"], a["headline"],
                _j(a["byline"]), a["editor"], a["published_at"], _utc_text(a["published_at"]), a["updated_at"],
                _utc_text(a["updated_at"]), a["published_raw"], a["updated_raw"], a["dateline"], a["caption"],
                a["caption_credit"], a["lead_image_url"], a["body"], _j(a["tags"]), a["language"],
                fetched, fetched, fetched, a["content_hash"], 1, a["parser"], _j(a["field_sources"]),
                _j(a["warnings"]),
            ))
            digest = hashlib.sha256(body).hexdigest()
            pages.append((
                pid, page["url"], page["url_key"], a["site"], "article", page["status"], _j(page["headers"]),
                _j(page["request_headers"]), fetched, gzip.compress(body, self.level, mtime=0),
                digest, page["headers"].get("Content-Type"), page["encoding"],
                None, None, aid, page["run_id"], digest,
            ))
            revisions.append((aid, 1, a["content_hash"], fetched, pid, _j(a)))
        start = time.perf_counter()
        conn.executemany(self.sql[0], articles)
        conn.executemany(self.sql[1], pages)
        conn.executemany(self.sql[2], revisions)
        conn.execute("COMMIT")
        self.db_seconds += time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


def build_archive(path: Path, n: int, batch: int = 1000, factory: ItemFactory | None = None) -> None:
    """An archive of ``n`` articles at ``path`` (for the export and re-parse benchmarks)."""
    from storage.repository import Archive

    factory = factory or ItemFactory()
    archive = Archive(f"sqlite:///{path}")
    try:
        run_id = archive.start_run("bench", {"articles": str(n)}, "monitorindonesia.com")
        for items in factory.batches(n, batch, run_id):
            archive.store_batch(items)
        archive.finish_run(run_id, "ok", {"pages_fetched": n, "articles_new": n})
    finally:
        archive.dispose()


def run(quick: bool = False, articles: int | None = None, batch: int = 500,
        workdir: Path | None = None) -> dict[str, Any]:
    from storage.repository import Archive

    n = articles or (5_000 if quick else 100_000)
    factory = ItemFactory(templates=50 if quick else 200)
    with tempfile.TemporaryDirectory(prefix="warta-bench-store-", dir=workdir) as tmp:
        ours_path, peer_path = Path(tmp) / "ours.sqlite", Path(tmp) / "peer.sqlite"
        archive = Archive(f"sqlite:///{ours_path}")
        schema = Archive(f"sqlite:///{peer_path}")  # the same schema, by our migrations
        run_id = archive.start_run("bench", {}, "monitorindonesia.com")
        schema.start_run("bench", {}, "monitorindonesia.com")
        schema.dispose()
        peer = PlainSqlite(peer_path, archive.gzip_level)
        ours_s = peer_s = 0.0
        outcomes: dict[str, int] = {}
        try:
            for k, items in enumerate(factory.batches(n, batch, run_id)):
                for side in (("ours", "peer") if k % 2 == 0 else ("peer", "ours")):
                    start = time.perf_counter()
                    if side == "ours":
                        for outcome in archive.store_batch(items):
                            outcomes[outcome] = outcomes.get(outcome, 0) + 1
                        ours_s += time.perf_counter() - start
                    else:
                        peer.store(items)
                        peer_s += time.perf_counter() - start
            counts = archive.counts()
        finally:
            archive.dispose()
            peer.close()
        check = sqlite3.connect(peer_path)
        peer_counts = [check.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                       for t in ("pages", "articles", "article_revisions")]
        check.close()
    if outcomes != {"new": n} or list(counts.values()) != [n, n, n] or peer_counts != [n, n, n]:
        raise RuntimeError(f"store benchmark: unexpected result {outcomes} {counts} {peer_counts}")
    row = Row("store", f"{n:,} new articles (page + article + revision rows), batches of {batch}",
              n / ours_s, n / peer_s, "articles/s", "sqlite3.executemany", 0.3,
              extra={"articles": n, "batch": batch, "gzip_level": archive.gzip_level,
                     "ours_seconds": round(ours_s, 2), "peer_seconds": round(peer_s, 2),
                     "peer_db_seconds": round(peer.db_seconds, 2),
                     "peer_row_building_seconds": round(peer_s - peer.db_seconds, 2)})
    db_only = Row("store: database only", "the same, peer timed on executemany + COMMIT of pre-built rows only",
                  n / ours_s, n / peer.db_seconds, "articles/s", "sqlite3.executemany (rows pre-built)", None,
                  target_text="– (info)",
                  note="the peer here skips building the rows: gzip of the raw page is most of it")
    return {"rows": [row, db_only]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--articles", type=int)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args(argv)
    result = run(args.quick, args.articles, args.batch)
    print(format_table(result["rows"]))
    print(json.dumps(result["rows"][0].extra))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
