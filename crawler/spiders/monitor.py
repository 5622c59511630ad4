"""Monitor Indonesia (monitorindonesia.com).

Discovery strategy
------------------
* Default (``mode=full``): the site-wide index ``/indeks?page=N``, newest first,
  following ``a[rel=next]`` until the last page.
* Backfill by date, ``-a since=YYYY-MM-DD [-a until=YYYY-MM-DD]``: one day index per
  day, ``/indeks?date=YYYY-MM-DD&page=N``, from ``until`` (default today, WIB) back to
  ``since``, each followed through its pagination.  Bounded and restartable day by
  day; the preferred way to backfill.
* Backfill by id, ``-a ids=600000-600500`` (inclusive; ``1-5,9`` lists work too):
  article URLs carry an increasing numeric id, and the site resolves an id without
  section, date or slug: ``/read/<id>`` redirects (301) to the full
  ``/<section>/read/<YYYY>/<MM>/<id>/<slug>`` (the offline mirror answers the same
  way).  Ids are walked newest first; ids the archive already holds an article for,
  or already answered 404/410, are not requested.  Ids are not dense (other
  desks and deleted articles leave gaps: expect 404s, each stored as a page row),
  so the date walk is cheaper; the id walk finds articles that no index lists.
* ``-a sections=ekonomi,hukum``: the section listings ``/<section>?page=N``
  instead of the site-wide index.
* Scheduled runs, ``-a mode=incremental``: the site-wide index, newest first, only
  until a listing page reaches the archive's *watermark* -- the newest article of
  the last successful run that walked the index from its head without failures
  (``crawl_runs.stats.coverage``) -- plus conditional revisits of the articles
  published in the last ``WARTA_REVISIT_DAYS`` days (see
  :meth:`~crawler.spiders.base.ArchiveSpider.revisit_requests`).  Without a watermark
  (first run) it walks the whole index, skipping what is stored.

Every listing page and every article page is stored raw.  Article pages that
the archive already holds are not fetched again, and a run restarted after a crash
replays the listing pages the interrupted run stored (resume; docs/archive.md).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawler.parsers import parse_listing
from crawler.spiders.base import ArchiveSpider, parse_ids

WIB = timezone(timedelta(hours=7))
_ID_RE = re.compile(r"/read/\d{4}/\d{2}/(\d+)(?:/|$)")


class MonitorSpider(ArchiveSpider):
    name = "monitor"
    site = "monitorindonesia.com"
    default_base_url = "https://monitorindonesia.com"
    #: how the site answers an article id alone (a 301 to the full article URL)
    id_path = "/read/{id}"

    def __init__(self, *args: Any, sections: str | None = None, ids: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = [s.strip() for s in (sections or "").split(",") if s.strip()]
        self.ids = ids or None
        self.id_list = parse_ids(ids)
        if self.id_list and (self.since or self.until or self.sections):
            raise ValueError("-a ids= walks article ids: give it without since/until/sections")
        if self.mode == "incremental" and (self.since or self.until or self.sections or self.id_list):
            raise ValueError("-a mode=incremental walks the site-wide index down to what the archive holds: "
                             "give it without since/until/sections/ids")

    def article_id_of(self, url: str) -> int | None:
        m = _ID_RE.search(url)
        return int(m.group(1)) if m else None

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
        if self.id_list:
            for request in self.id_requests():
                yield request
            return
        for url in self.listing_urls():
            yield self.listing_request(url)
        if self.mode == "incremental":
            mark = self.watermark()
            if mark:
                self.logger.info("incremental: the index is walked down to %s (run %s)",
                                 mark["upper"].isoformat(), mark["run_id"])
            else:
                self.logger.info("incremental: no earlier complete run, the whole index is walked")
            for request in self.revisit_requests():
                yield request

    def listing_request(self, url: str) -> scrapy.Request:
        # Listings change as articles are published: never deduplicate them away
        # across runs; discovery stays ahead of fetching, within a bound.
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              meta={"kind": "listing"}, priority=self.listing_priority())

    def id_requests(self, chunk: int = 500):
        from pipelines.dedupe import canonicalize_url

        for k in range(0, len(self.id_list), chunk):
            ids = self.id_list[k : k + chunk]
            urls = {i: self.base_url + self.id_path.format(id=i) for i in ids}
            have = self.archive.known_article_ids(self.site, ids)
            gone = self.archive.known_urls((canonicalize_url(u) for u in urls.values()), statuses=(404, 410))
            skipped = 0
            for i in ids:
                if str(i) in have or canonicalize_url(urls[i]) in gone:
                    skipped += 1
                    continue
                if not self.budget_left():
                    return
                self.articles_scheduled += 1
                yield scrapy.Request(urls[i], callback=self.parse_article_page, errback=self.on_error,
                                     meta={"kind": "article"})
            if skipped and self.crawler.stats:
                self.crawler.stats.inc_value("warta/already_stored", skipped)

    def parse_listing(self, response: Response):
        item = self.listing_item(response)
        if item is not None:
            yield item
        listing = parse_listing(self.decode(response), response.url)
        items = listing["items"]
        self.note_listing_items(items)
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
        if self.mode == "incremental" and self.reached_watermark(items):
            self.logger.info("incremental: %s reaches the archive's watermark, the walk stops here", response.url)
            return
        if listing["next_url"] and not reached_older and self.budget_left():
            yield self.listing_request(listing["next_url"])
