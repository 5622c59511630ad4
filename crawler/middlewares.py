"""Downloader middlewares for the archive: the bytes as received, and resumed listings.

:class:`WireCaptureMiddleware` -- Scrapy's ``HttpCompressionMiddleware`` (590)
replaces a gzip/deflate/br/zstd response body by its decoded bytes and drops the
``Content-Encoding`` header before any spider sees the response.  This middleware
sits at 595, between the downloader and ``HttpCompressionMiddleware``
(``process_response`` runs from high numbers to low), so it sees the response as it
came off the wire -- after HTTP/1.1 de-chunking, which the download handler does,
but before content decoding -- and keeps a copy in ``request.meta["warta_wire"]``::

    {"headers": {name: value} as received, "content_encoding": "gzip" | None,
     "body": the payload bytes as received (only when content-encoded)}

:meth:`crawler.spiders.base.ArchiveSpider.page_record` stores them beside the
decoded body (see docs/archive.md: what byte-exact means for Warta).

:class:`ListingReplayMiddleware` -- a run restarted after a crash (the same
spider with the same arguments) does not download again the listing pages that the
interrupted run already stored: it answers them from the archive
(``ArchiveSpider.replay_page_id``), with ``"replayed"`` in ``response.flags``.  The
spider parses them as usual (to find the article links it had not fetched yet)
and does not store them a second time.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.http import Request, Response
from scrapy.responsetypes import responsetypes

logger = logging.getLogger(__name__)

#: request.meta key holding what WireCaptureMiddleware saw
WIRE_META = "warta_wire"
#: request.meta key set on a replayed listing request (the page id it was answered from)
REPLAY_META = "warta_replayed_page"
REPLAY_FLAG = "replayed"

#: response headers that describe the wire form, dropped from a replayed response
_WIRE_ONLY = {"content-encoding", "content-length", "transfer-encoding"}


def _headers(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        vals = values if isinstance(values, (list, tuple)) else [values]
        out[name] = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in vals)
    return out


class WireCaptureMiddleware:
    """Keep the response headers and (content-encoded) payload as received."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def process_response(self, request: Request, response: Response, spider: Any = None):
        if REPLAY_FLAG in response.flags:
            return response
        encodings = [v.decode("latin-1").strip() for v in response.headers.getlist(b"Content-Encoding")]
        encoding = ", ".join(e for e in encodings if e) or None
        request.meta[WIRE_META] = {
            "headers": _headers(response.headers),
            "content_encoding": encoding,
            "body": bytes(response.body) if encoding else None,
        }
        return response


class ListingReplayMiddleware:
    """Answer listing requests of a resumed run from the pages its predecessor stored."""

    def __init__(self, crawler=None) -> None:
        self.crawler = crawler
        self.stats = crawler.stats if crawler is not None else None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None):
        if request.meta.get("kind") != "listing" or request.meta.get("warta_no_replay"):
            return None
        if spider is None and self.crawler is not None:  # Scrapy >= 2.13 may not pass it
            spider = self.crawler.spider
        lookup = getattr(spider, "replay_page_id", None)
        if lookup is None:
            return None
        page_id = lookup(request.url)
        if page_id is None:
            return None
        page = spider.archive.get_page(page_id)
        if page is None or page.get("body") is None:
            return None
        headers = {k: v for k, v in (page.get("headers") or {}).items() if k.lower() not in _WIRE_ONLY}
        headers = {k: (v if isinstance(v, list) else [v]) for k, v in headers.items()}
        body = page["body"]
        cls = responsetypes.from_args(headers=None, url=request.url, body=body)
        if page.get("content_type"):
            cls = responsetypes.from_mimetype(page["content_type"].split(";")[0].strip()) or cls
        request.meta[REPLAY_META] = page_id
        if self.stats is not None:
            self.stats.inc_value("warta/listings_replayed")
        logger.debug("replaying %s from page %s", request.url, page_id)
        return cls(url=request.url, status=page.get("status") or 200, headers=headers, body=body,
                   request=request, flags=[REPLAY_FLAG])
