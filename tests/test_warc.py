"""The raw archive as WARC: read back with warcio, it matches the pages table.

Two full crawls of the same mirror: the second fetches the listing pages again,
byte-identical, so the export has revisit records for them.  The first crawl also
writes WARC while crawling (``WARTA_WARC_DIR``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite
from crawler.warc import export_warc, sha1_digest
from storage.repository import Archive

ROOT = Path(__file__).resolve().parents[1]


def crawl(db_url: str, base_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db_url,
               PYTHONPATH=str(ROOT), WARTA_PROGRESS_INTERVAL="0")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-s", "LOG_LEVEL=INFO",
           "-a", f"base_url={base_url}", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def records(path: Path) -> list[dict]:
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, check_digests="raise"):
            item = {"type": rec.rec_type, "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                    "id": rec.rec_headers.get_header("WARC-Record-ID"),
                    "digest": rec.rec_headers.get_header("WARC-Payload-Digest"),
                    "refers_to": rec.rec_headers.get_header("WARC-Refers-To"),
                    "concurrent_to": rec.rec_headers.get_header("WARC-Concurrent-To"),
                    "http": rec.http_headers}
            if rec.rec_type == "response":
                item["raw"] = rec.raw_stream.read()
                # content_stream() decodes Content-Encoding (warcio reads the payload as a client would)
            out.append(item)
    return out


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warc")
    site = MirrorSite(n_articles=25, seed=13)
    db = f"sqlite:///{tmp / 'warta.sqlite'}"
    with MirrorServer(site) as server:
        first = crawl(db, server.url, "-s", f"WARTA_WARC_DIR={tmp / 'live'}")
        assert first.returncode == 0, first.stderr[-3000:]
        second = crawl(db, server.url)
        assert second.returncode == 0, second.stderr[-3000:]
    return db, tmp


def pages_table(db: str) -> list[dict]:
    with Archive(db) as archive:
        return list(archive.iter_pages())


@pytest.mark.e2e
def test_export_reads_back_and_matches_the_pages_table(archive_db):
    db, tmp = archive_db
    out = tmp / "archive.warc.gz"
    seen = []
    with Archive(db) as archive:
        summary = export_warc(archive, out, progress=lambda done, total: seen.append((done, total)))
    pages = pages_table(db)
    by_url: dict[str, list[dict]] = {}
    for p in pages:
        by_url.setdefault(p["url"], []).append(p)
    recs = records(out)
    kinds = Counter(r["type"] for r in recs)
    # one request and one response-or-revisit per stored response
    assert kinds["warcinfo"] == 1
    assert kinds["response"] + kinds["revisit"] == len(pages) == summary["pages"]
    assert kinds["request"] == len(pages) == summary["requests"]
    # revisits: exactly the pages whose URL already answered with the same payload
    expected_revisits = sum(1 for url, ps in by_url.items() for i, p in enumerate(ps)
                            if any(q["payload_sha256"] == p["payload_sha256"] for q in ps[:i]))
    assert expected_revisits > 0  # the listing pages of the second crawl
    assert kinds["revisit"] == expected_revisits == summary["revisits"]
    # payloads: the bytes as received (gzip), which decode to the stored body
    responses = {}
    for r in recs:
        if r["type"] == "response":
            responses[r["id"]] = r
            page = next(p for p in by_url[r["uri"]] if p["payload_sha256"] == hashlib.sha256(r["raw"]).hexdigest())
            assert r["http"].get_header("Content-Encoding") == "gzip"
            assert gzip.decompress(r["raw"]) == page["body"]
            assert r["raw"] == page["body_gz"]  # stored as received: no re-compression
            assert r["digest"] == sha1_digest(r["raw"])
            assert r["http"].get_statuscode() == str(page["status"])
    # every revisit points at an earlier response of the same URL with the same digest
    for r in recs:
        if r["type"] == "revisit":
            original = responses[r["refers_to"]]
            assert original["uri"] == r["uri"] and original["digest"] == r["digest"]
    # request records are tied to their response
    ids = {r["id"] for r in recs if r["type"] in ("response", "revisit")}
    assert all(r["concurrent_to"] in ids for r in recs if r["type"] == "request")
    assert seen and seen[-1] == (len(pages), len(pages))


@pytest.mark.e2e
def test_warc_written_during_the_crawl(archive_db):
    db, tmp = archive_db
    files = list((tmp / "live").glob("warta-monitor-1-*.warc.gz"))
    assert len(files) == 1
    recs = records(files[0])
    with Archive(db) as archive:
        first_run = [p for p in archive.iter_pages(with_body=False) if p["run_id"] == 1]
    kinds = Counter(r["type"] for r in recs)
    assert kinds["response"] + kinds["revisit"] == len(first_run)
    assert kinds["request"] == len(first_run)


@pytest.mark.e2e
def test_export_is_deterministic_and_filters(archive_db):
    db, tmp = archive_db
    with Archive(db) as archive:
        a = export_warc(archive, tmp / "a.warc")
        b = export_warc(archive, tmp / "b.warc")
        none = export_warc(archive, tmp / "none.warc.gz", since="2000-01-01", until="2000-01-02")
    ids_a = [r["id"] for r in records(tmp / "a.warc") if r["type"] != "warcinfo"]
    ids_b = [r["id"] for r in records(tmp / "b.warc") if r["type"] != "warcinfo"]
    assert ids_a == ids_b and a["pages"] == b["pages"] > 0
    assert none["pages"] == 0


def test_wire_fields_keep_the_bytes_as_received():
    import zlib

    from crawler.spiders.base import wire_fields

    body = "<html><p>Berita</p></html>".encode() * 20
    gz = gzip.compress(body, mtime=0)
    f = wire_fields({"content_encoding": "gzip", "body": gz}, body)
    assert f["body_gz"] == gz and "wire_body" not in f
    assert f["payload_sha256"] == hashlib.sha256(gz).hexdigest()
    deflated = zlib.compress(body)
    f = wire_fields({"content_encoding": "deflate", "body": deflated}, body)
    assert f["wire_body"] == deflated and "body_gz" not in f
    f = wire_fields({"content_encoding": "gzip", "body": b"not gzip"}, body)
    assert f["wire_body"] == b"not gzip"
    f = wire_fields(None, body)
    assert f == {"content_encoding": None, "payload_sha256": hashlib.sha256(body).hexdigest()}


@pytest.mark.services
def test_export_on_postgresql(pg_url, tmp_path):
    """The revisit query (a correlated subquery) and the wire columns on PostgreSQL."""
    with Archive(pg_url) as archive:
        body = b"<html>listing</html>"
        gz = gzip.compress(body, mtime=0)

        def page(n: int) -> dict:
            return {"page": {"url": "https://monitorindonesia.com/indeks", "status": 200, "kind": "listing",
                             "headers": {"Content-Type": "text/html", "Content-Encoding": "gzip"},
                             "body": body, "body_gz": gz, "content_encoding": "gzip",
                             "payload_sha256": hashlib.sha256(gz).hexdigest(),
                             "fetched_at": f"2023-12-0{n}T00:00:00+00:00"}, "article": None}

        archive.store_batch([page(1), page(2), page(3)])
        summary = export_warc(archive, tmp_path / "pg.warc.gz")
    assert (summary["responses"], summary["revisits"], summary["requests"]) == (1, 2, 3)
    recs = records(tmp_path / "pg.warc.gz")
    assert [r["type"] for r in recs if r["type"] != "request"] == ["warcinfo", "response", "revisit", "revisit"]
