"""WARC output of the raw archive (ISO 28500, written with warcio).

:func:`export_warc` writes the stored pages of an archive as WARC/1.1: per fetched
response a ``request`` record and a ``response`` record (``WARC-Concurrent-To``
links them), or -- when the same URL already answered with the same status and a
byte-identical payload earlier in the file -- a ``revisit`` record (profile
``identical-payload-digest``, ``WARC-Refers-To`` / ``-Target-URI`` / ``-Date`` of
the first capture) instead of a second copy.  Every response and revisit carries
``WARC-Payload-Digest`` (sha1, base32, as warcio and the Wayback tools expect)
and ``WARC-Block-Digest``.  Record ids are derived from the capture (URL, time,
payload digest), so exporting the same archive twice gives the same ids.

What "the payload" is -- byte-exactness (docs/archive.md): the response records
hold the HTTP headers as received and the entity body *as received*: for a
``Content-Encoding: gzip`` (br, deflate...) response the compressed bytes, kept by
:class:`crawler.middlewares.WireCaptureMiddleware` before Scrapy decoded them.
Two things cannot be reproduced because Twisted removes them before any Scrapy
component runs: ``Transfer-Encoding: chunked`` framing (the record holds the
de-chunked body; the header is dropped and ``Content-Length`` states the
payload's length, as most crawlers that record parsed responses do) and the exact
status-line reason phrase and header order/case as sent (the standard reason
phrase is written; header names are as Scrapy normalised them).  Pages stored
before schema revision 0002 only have the decoded body: they are written as
identity responses (``Content-Encoding`` removed).  Download failures (no
response at all) are not written.

:class:`WarcWriterExtension` (setting ``WARTA_WARC_DIR``) writes the same records
while crawling, one ``warta-<spider>-<run>-<UTC time>.warc.gz`` per run.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

__all__ = ["export_warc", "WarcWriterExtension", "payload_of", "sha1_digest"]

WARC_VERSION = "1.1"
_NS = uuid.UUID("3f0b6f36-2c1c-5a3e-9d55-77617274612d")  # uuid5 namespace of Warta's record ids
#: response headers that describe a framing we no longer have
_DROP = {"transfer-encoding"}


def sha1_digest(data: bytes) -> str:
    """``sha1:<BASE32>``: the WARC payload/block digest form warcio writes."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _iso(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + (f".{value.microsecond:06d}Z" if value.microsecond else "Z")


def payload_of(page: dict[str, Any]) -> bytes:
    """The HTTP payload as received for a page (a stored row or a crawl page record)."""
    if page.get("wire_body") is not None:
        return bytes(page["wire_body"])
    if page.get("content_encoding") and page.get("body_gz") is not None:
        return bytes(page["body_gz"])  # the gzip bytes as received (crawler.spiders.base.wire_fields)
    body = page.get("body")
    if body is None and page.get("body_gz") is not None:
        body = gzip.decompress(page["body_gz"])
    return bytes(body or b"")


def _header_items(headers: dict[str, Any] | None) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        for v in value if isinstance(value, list) else [value]:
            items.append((str(name), str(v)))
    return items


def _record_id(kind: str, url: str, when: str, digest: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NS, f'{kind} {url} {when} {digest}')}>"


class _Writer:
    """Record building shared by the export and the in-crawl writer."""

    def __init__(self, out: IO[bytes], *, gzip_records: bool = True) -> None:
        from warcio.warcwriter import WARCWriter

        self.writer = WARCWriter(out, gzip=gzip_records, warc_version=WARC_VERSION)
        self.counts = {"responses": 0, "revisits": 0, "requests": 0, "skipped": 0}

    def warcinfo(self, filename: str, info: dict[str, Any]) -> None:
        record = self.writer.create_warcinfo_record(filename, info)
        self.writer.write_record(record)

    def page(self, page: dict[str, Any], *, refers_to: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Write the records of one fetched page; return what a later revisit needs
        (``{"id", "url", "date", "digest"}``), or ``None`` for a download failure."""
        from io import BytesIO

        from warcio.statusandheaders import StatusAndHeaders

        status = page.get("status")
        if status is None:
            self.counts["skipped"] += 1
            return None
        url = page["url"]
        when = _iso(page["fetched_at"])
        payload = payload_of(page)
        digest = sha1_digest(payload)
        encoded = bool(page.get("content_encoding"))
        headers = [(k, v) for k, v in _header_items(page.get("headers"))
                   if k.lower() not in _DROP and k.lower() != "content-length"
                   and (encoded or k.lower() != "content-encoding")]
        if status != 304:
            headers.append(("Content-Length", str(len(payload))))
        reason = http.client.responses.get(int(status), "Unknown")
        http_headers = StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")
        if refers_to is not None:
            rec_id = _record_id("revisit", url, when, digest)
            record = self.writer.create_revisit_record(
                url, digest, refers_to["url"], refers_to["date"], http_headers=http_headers,
                warc_headers_dict={"WARC-Record-ID": rec_id, "WARC-Date": when,
                                   "WARC-Refers-To": refers_to["id"]})
            self.counts["revisits"] += 1
        else:
            rec_id = _record_id("response", url, when, digest)
            record = self.writer.create_warc_record(
                url, "response", payload=BytesIO(payload), length=len(payload), http_headers=http_headers,
                warc_headers_dict={"WARC-Record-ID": rec_id, "WARC-Date": when, "WARC-Payload-Digest": digest})
            self.counts["responses"] += 1
        self.writer.write_record(record)
        self._request(page, url, when, rec_id)
        return {"id": rec_id, "url": url, "date": when, "digest": digest}

    def _request(self, page: dict[str, Any], url: str, when: str, concurrent_to: str) -> None:
        from warcio.statusandheaders import StatusAndHeaders

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = _header_items(page.get("request_headers"))
        if not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", parts.netloc))
        http_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
        record = self.writer.create_warc_record(
            url, "request", http_headers=http_headers,
            warc_headers_dict={"WARC-Record-ID": _record_id("request", url, when, concurrent_to),
                               "WARC-Date": when, "WARC-Concurrent-To": concurrent_to})
        self.writer.write_record(record)
        self.counts["requests"] += 1


def _info(**extra: Any) -> dict[str, Any]:
    from crawler import __version__

    info = {"software": f"Warta/{__version__} (warcio)", "format": f"WARC File Format {WARC_VERSION}",
            "hostname": socket.gethostname(),
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"}
    info.update({k: v for k, v in extra.items() if v not in (None, "")})
    return info


def export_warc(archive, path, *, site: str | None = None, since: Any = None, until: Any = None,
                progress: Callable[[int, int | None], Any] | None = None) -> dict[str, Any]:
    """Write the archive's stored responses as WARC to ``path``; return a summary.

    ``path``: a file name (``.warc.gz``: one gzip member per record, the usual form;
    ``.warc``: uncompressed) or a binary file object (gzip records).  ``site``,
    ``since``, ``until`` filter pages on ``pages.site`` and ``fetched_at`` (days in
    WIB, both ends inclusive; see :func:`storage.repository.date_range`).
    ``progress(done, total)`` is called every 200 pages and at the end.  Streams:
    memory does not grow with the archive.

    Summary: ``{"path", "pages", "responses", "revisits", "requests", "skipped",
    "bytes", "seconds"}`` (``skipped``: download failures, which have no response).
    """
    started = time.monotonic()
    own = not hasattr(path, "write")
    name = os.fspath(path) if own else getattr(path, "name", "-")
    gzip_records = not (own and str(name).endswith(".warc"))
    out = open(name, "wb") if own else path
    total = archive.count_responses(site, since, until)
    done = 0
    recent: OrderedDict[int, dict[str, Any]] = OrderedDict()
    try:
        writer = _Writer(out, gzip_records=gzip_records)
        writer.warcinfo(os.path.basename(str(name)), _info(
            description="Warta archive export", site=site, since=since, until=until,
            archive=getattr(archive, "safe_url", None)))
        for row in archive.iter_responses(site, since, until):
            original = None
            if row.get("revisit_of") is not None:
                original = recent.get(row["revisit_of"]) or _original(archive, row["revisit_of"])
            written = writer.page(row, refers_to=original)
            if written is not None and original is None:
                recent[row["id"]] = written
                if len(recent) > 20000:
                    recent.popitem(last=False)
            done += 1
            if progress is not None and done % 200 == 0:
                progress(done, total)
        if progress is not None:
            progress(done, total)
    finally:
        if own:
            out.close()
        else:
            out.flush()
    size = os.path.getsize(name) if own else None
    return {"path": str(name), "pages": done, **writer.counts, "bytes": size,
            "seconds": round(time.monotonic() - started, 3)}


def _original(archive, page_id: int) -> dict[str, Any] | None:
    page = archive.get_page(page_id)
    if page is None:
        return None
    when = _iso(page["fetched_at"])
    digest = sha1_digest(payload_of(page))
    return {"id": _record_id("response", page["url"], when, digest), "url": page["url"], "date": when,
            "digest": digest}


class WarcWriterExtension:
    """``WARTA_WARC_DIR``: write every stored page's records while crawling.

    One file per run, ``<dir>/warta-<spider>-<run id>-<UTC time>.warc.gz``, closed
    when the spider closes.  Revisit records refer to earlier captures *of this
    run* (one entry per URL is kept in memory); revisits answered 304 or with the
    same body leave no page and no record.  The export (:func:`export_warc`) gives
    the same records for the whole archive at any time.
    """

    def __init__(self, directory: str, stats) -> None:
        self.directory = Path(directory)
        self.stats = stats
        self.out = None
        self.writer: _Writer | None = None
        self.seen: dict[tuple[str, int], dict[str, Any]] = {}
        self.path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        directory = crawler.settings.get("WARTA_WARC_DIR")
        if not directory:
            raise NotConfigured("WARTA_WARC_DIR is not set")
        ext = cls(directory, crawler.stats)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _open(self, spider) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        run = self.stats.get_value("warta/run_id") if self.stats else None
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.path = self.directory / f"warta-{spider.name}-{run or 'x'}-{stamp}.warc.gz"
        self.out = open(self.path, "wb")
        self.writer = _Writer(self.out)
        self.writer.warcinfo(self.path.name, _info(description=f"Warta crawl, spider {spider.name}, run {run}"))

    def item_scraped(self, item, response, spider) -> None:
        page = item.get("page") if hasattr(item, "get") else None
        if not isinstance(page, dict) or page.get("status") is None:
            return
        try:
            if self.writer is None:
                self._open(spider)
            key = (page.get("url_key") or page["url"], int(page["status"]))
            sha = page.get("payload_sha256")
            earlier = self.seen.get(key)
            refers = earlier if earlier is not None and earlier.get("sha") == sha else None
            written = self.writer.page(page, refers_to=refers)
            if written is not None and refers is None:
                self.seen[key] = dict(written, sha=sha)
        except Exception:  # the database holds the page anyway; the export can redo it
            logger.exception("could not write the WARC record of %s", page.get("url"))

    def spider_closed(self, spider, reason) -> None:
        if self.out is not None:
            self.out.close()
            logger.info("WARC written: %s (%s)", self.path, self.writer.counts if self.writer else {})
            if self.stats:
                self.stats.set_value("warta/warc_file", str(self.path))
        self.out = None
