"""What every Warta spider shares: page records, the date window, resume, errors.

A site spider only says *where articles are listed* (start URLs, how to read a
listing page); this base class turns every response into a
:class:`~crawler.items.PageItem` (raw bytes kept, article parsed by the pure
parser or the parse error recorded), keeps requests inside the site, and asks
the archive which article pages are already stored so that a restarted crawl
does not fetch them again (the database is the source of truth, not JOBDIR).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import Any, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.items import PageItem
from crawler.mirror import is_loopback
from crawler.parsers import parse_article
from crawler.parsers.encoding import decode_html

logger = logging.getLogger(__name__)


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_day(value: str | None, name: str) -> date | None:
    """Parse a ``YYYY-MM-DD`` spider argument, with an error a person can act on."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"-a {name}={value!r}: expected a date like 2023-12-31") from None


def headers_dict(headers: Any) -> dict[str, str]:
    """Scrapy headers (bytes, multi-valued) -> ``{name: "v1, v2"}`` (str)."""
    out: dict[str, str] = {}
    if not headers:
        return out
    for key, values in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        vals = values if isinstance(values, (list, tuple)) else [values]
        out[name] = ", ".join(
            v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in vals
        )
    return out


class ArchiveSpider(scrapy.Spider):
    """Base for site spiders.

    Arguments (``-a name=value``): ``base_url`` (crawl a mirror or another
    origin of the same site), ``since`` / ``until`` (``YYYY-MM-DD``, inclusive,
    by publication date in the site's time zone), ``max_articles``.
    """

    #: the site's real origin, e.g. "https://monitorindonesia.com"
    default_base_url: str = ""
    #: the domain stored as ``site`` in the archive
    site: str = ""

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        since: str | None = None,
        until: str | None = None,
        max_articles: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"-a base_url={base_url!r}: expected http(s)://host[:port]")
        self.allowed_domains = [parts.hostname]
        self.since = parse_day(since, "since")
        self.until = parse_day(until, "until")
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"-a since={since} is after -a until={until}")
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self.articles_scheduled = 0
        self._archive = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Our own loopback mirror needs no politeness delay; a live site keeps
        # the polite defaults.  Settings are still mutable at this point.
        if crawler.settings.getbool("WARTA_FAST_LOOPBACK") and is_loopback(urlsplit(spider.base_url).hostname or ""):
            for name, value in (
                ("DOWNLOAD_DELAY", 0),
                ("AUTOTHROTTLE_ENABLED", False),
                ("CONCURRENT_REQUESTS", 16),
                ("CONCURRENT_REQUESTS_PER_DOMAIN", 16),
            ):
                crawler.settings.set(name, value, priority="spider")
        return spider

    # -- archive access (resume) ------------------------------------------------
    @property
    def archive(self):
        if self._archive is None:
            from storage.repository import Archive

            self._archive = Archive(self.settings.get("WARTA_DATABASE_URL"))
        return self._archive

    def closed(self, reason: str) -> None:
        if self._archive is not None:
            self._archive.dispose()

    def already_stored(self, urls: Iterable[str]) -> set[str]:
        """The subset of ``urls`` whose page the archive already holds."""
        from pipelines.dedupe import canonicalize_url

        urls = list(urls)
        keys = {canonicalize_url(u): u for u in urls}
        known = self.archive.known_urls(list(keys))
        return {keys[k] for k in known if k in keys}

    # -- the date window --------------------------------------------------------
    def in_window(self, published_at: str | None) -> bool:
        day = self._day(published_at)
        if day is None:
            return True  # unknown date: fetch and let the article decide
        if self.since and day < self.since:
            return False
        if self.until and day > self.until:
            return False
        return True

    def older_than_window(self, published_at: str | None) -> bool:
        day = self._day(published_at)
        return bool(self.since and day is not None and day < self.since)

    @staticmethod
    def _day(published_at: str | None) -> date | None:
        if not published_at:
            return None
        try:
            # ISO with the site's own offset: the local calendar day is the prefix.
            return date.fromisoformat(published_at[:10])
        except ValueError:
            return None

    def budget_left(self) -> bool:
        return self.max_articles is None or self.articles_scheduled < self.max_articles

    # -- responses -> items -------------------------------------------------------
    def page_record(self, response: Response, kind: str, html: str | None = None,
                    encoding: str | None = None) -> dict[str, Any]:
        return {
            "url": response.url,
            "status": response.status,
            "headers": headers_dict(response.headers),
            "request_headers": headers_dict(response.request.headers) if response.request else {},
            "body": bytes(response.body),
            "fetched_at": utc_now_iso(),
            "kind": kind,
            "encoding": encoding,
            "error": None,
        }

    def decode(self, response: Response) -> str:
        ctype = response.headers.get(b"Content-Type")
        return decode_html(response.body, ctype.decode("latin-1") if ctype else None)

    def article_item(self, response: Response) -> PageItem:
        html = self.decode(response)
        page = self.page_record(response, "article")
        article = parse_article(html, response.url, fetched_at=page["fetched_at"])
        return PageItem(page=page, article=article)

    def listing_item(self, response: Response) -> PageItem:
        return PageItem(page=self.page_record(response, "listing"), article=None)

    def on_error(self, failure):
        """Errback: an HTTP error page is stored with its status; a failed
        download (timeout, refused, reset) is recorded as a page row with the error."""
        request = failure.request
        if failure.check(HttpError):
            response = failure.value.response
            page = self.page_record(response, request.meta.get("kind", "other"))
            page["error"] = f"HTTP {response.status}"
        else:
            page = {
                "url": request.url,
                "status": None,
                "headers": {},
                "request_headers": headers_dict(request.headers),
                "body": b"",
                "fetched_at": utc_now_iso(),
                "kind": request.meta.get("kind", "other"),
                "encoding": None,
                "error": f"download failed: {failure.type.__name__}: {failure.getErrorMessage()}",
            }
        self.logger.warning("%s: %s", request.url, page["error"])
        if self.crawler.stats:
            self.crawler.stats.inc_value("warta/http_errors")
        yield PageItem(page=page, article=None)
