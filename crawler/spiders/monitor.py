"""Monitor Indonesia (monitorindonesia.com).

Discovery strategy
------------------
* Default: the site-wide index ``/indeks?page=N``, newest first, following
  ``a[rel=next]`` until the last page (or until items are older than ``since``).
* With ``-a since=YYYY-MM-DD`` (backfill by date range): one day index per day,
  ``/indeks?date=YYYY-MM-DD&page=N``, from ``until`` (default today, WIB) back to
  ``since``; each followed through its pagination.
* ``-a sections=ekonomi,hukum``: the section listings ``/<section>?page=N``
  instead of the site-wide index.

Every listing page and every article page is stored raw.  Article pages that
the archive already holds are not fetched again (resume after a crash).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawler.parsers import parse_listing
from crawler.spiders.base import ArchiveSpider

WIB = timezone(timedelta(hours=7))


class MonitorSpider(ArchiveSpider):
    name = "monitor"
    site = "monitorindonesia.com"
    default_base_url = "https://monitorindonesia.com"

    def __init__(self, *args: Any, sections: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = [s.strip() for s in (sections or "").split(",") if s.strip()]

    def listing_urls(self) -> list[str]:
        if self.sections:
            return [f"{self.base_url}/{section}" for section in self.sections]
        if self.since:
            last = self.until or datetime.now(WIB).date()
            days = (last - self.since).days
            return [
                f"{self.base_url}/indeks?{urlencode({'date': (last - timedelta(d)).isoformat()})}"
                for d in range(days + 1)
            ]
        return [f"{self.base_url}/indeks"]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.listing_urls():
            yield self.listing_request(url)

    def listing_request(self, url: str) -> scrapy.Request:
        # Listings change as articles are published: never deduplicate them away
        # across runs, and give them priority so discovery stays ahead of fetching.
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              meta={"kind": "listing"}, priority=10)

    def parse_listing(self, response: Response):
        yield self.listing_item(response)
        listing = parse_listing(self.decode(response), response.url)
        items = listing["items"]
        candidates = [it for it in items if self.in_window(it.get("published_at"))]
        stored = self.already_stored(it["url"] for it in candidates) if candidates else set()
        if stored and self.crawler.stats:
            self.crawler.stats.inc_value("warta/already_stored", len(stored))
        for it in candidates:
            if it["url"] in stored:
                continue
            if not self.budget_left():
                return
            self.articles_scheduled += 1
            yield scrapy.Request(it["url"], callback=self.parse_article_page, errback=self.on_error,
                                 meta={"kind": "article"})
        reached_older = any(self.older_than_window(it.get("published_at")) for it in items)
        if listing["next_url"] and not reached_older and self.budget_left():
            yield self.listing_request(listing["next_url"])

    def parse_article_page(self, response: Response):
        yield self.article_item(response)
