"""One spider per site profile (``crawler/parsers/sites/<name>.py``), generated.

Discovery (``-a source=index|sitemap|rss``, default: the first the profile has):

* ``index``: the profile's index pages ``{page}`` = 1, 2, … (up to ``max_pages``),
  or with ``-a since=YYYY-MM-DD`` its per-day index from ``until`` back to ``since``;
  article links are the listing's items, else any link matching the profile's
  article URL regex; next page from ``rel=next`` or the template.
* ``sitemap``: the profile's sitemaps (index files followed), entries filtered by
  the date window (news ``publication_date`` / ``lastmod``).
* ``rss``: the profile's feeds.

In-article pagination: ``all`` fetches ``url?page=all`` instead of the page;
``follow`` fetches the pages linked by the profile and joins their bodies into
the first page's record (every page is stored raw).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from crawler.items import PageItem
from crawler.parsers import parse_article, parse_listing
from crawler.parsers.profile import Profile, page_links
from crawler.parsers.sites import PROFILES
from crawler.spiders.base import ArchiveSpider
from crawler.spiders.discovery import join_pages, parse_feed, parse_sitemap
from pipelines.dates import parse_date, to_iso

WIB = timezone(timedelta(hours=7))


class ProfileSpider(ArchiveSpider):
    """Base of the generated spiders; ``profile`` is set per subclass."""

    profile: Profile

    def __init__(self, *args: Any, source: str | None = None, max_pages: str | int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        d = self.profile.discovery
        default = "index" if (d.index or d.dated_index) else ("sitemap" if d.sitemaps else "rss")
        self.source = source or default
        if self.source not in ("index", "sitemap", "rss"):
            raise ValueError(f"-a source={source!r}: expected index, sitemap or rss")
        self.max_pages = int(max_pages) if max_pages not in (None, "") else d.max_pages
        # a mirror / other origin: the profile's URLs are rewritten to base_url
        self.allowed_domains = sorted({urlsplit(self.base_url).hostname or "", *self.profile.domains})

    # -- URLs --------------------------------------------------------------------
    def rebase(self, url: str) -> str:
        """A profile URL moved to ``base_url`` when crawling another origin."""
        if self.base_url.rstrip("/") == self.profile.base_url.rstrip("/"):
            return url
        base, parts = urlsplit(self.base_url), urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def rebase_link(self, url: str) -> str:
        """A link found on a page, moved to ``base_url`` when it points at the profile's own
        domains (a mirror crawl must never wander off to the real site)."""
        host = (urlsplit(url).hostname or "").lower()
        if any(host == d or host.endswith("." + d) for d in self.profile.domains):
            return self.rebase(url)
        return url

    def index_url(self, template: str, page: int, day=None) -> str:
        fmt = day.strftime(self.profile.discovery.date_format) if day is not None else ""
        return self.rebase(template.format(page=page, date=fmt))

    def start_urls_for(self) -> list[tuple[str, str, dict]]:
        d = self.profile.discovery
        if self.source == "sitemap":
            return [(self.rebase(u), "sitemap", {}) for u in d.sitemaps]
        if self.source == "rss":
            return [(self.rebase(u), "rss", {}) for u in d.rss]
        if self.since and d.dated_index:
            last = self.until or datetime.now(WIB).date()
            days = [last - timedelta(n) for n in range((last - self.since).days + 1)]
            return [(self.index_url(d.dated_index, 1, day), "listing", {"template": d.dated_index, "page": 1, "day": day})
                    for day in days]
        return [(self.index_url(t, 1), "listing", {"template": t, "page": 1}) for t in d.index]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url, kind, meta in self.start_urls_for():
            yield self.discovery_request(url, kind, meta)

    def discovery_request(self, url: str, kind: str, meta: dict | None = None) -> scrapy.Request:
        callback = {"listing": self.parse_listing_page, "sitemap": self.parse_sitemap_doc, "rss": self.parse_feed_doc}[kind]
        return scrapy.Request(url, callback=callback, errback=self.on_error, priority=10, dont_filter=True,
                              meta={"kind": "listing", **(meta or {})})

    def is_article(self, url: str) -> bool:
        try:
            path = urlsplit(url).path
        except ValueError:
            return False
        return bool(self.profile.article_re.match(path))

    def article_url(self, url: str) -> str:
        if self.profile.pagination.mode == "all":
            q = self.profile.pagination.all_query
            parts = urlsplit(url)
            if q not in parts.query:
                query = f"{parts.query}&{q}" if parts.query else q
                return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return url

    # -- discovery callbacks ---------------------------------------------------------
    def schedule(self, candidates: list[dict[str, Any]]):
        candidates = [{**c, "url": self.rebase_link(c["url"])} for c in candidates
                      if self.is_article(c["url"]) and self.in_window(c.get("published_at"))]
        stored = self.already_stored(c["url"] for c in candidates) if candidates else set()
        for c in candidates:
            if c["url"] in stored:
                continue
            if not self.budget_left():
                return
            self.articles_scheduled += 1
            yield scrapy.Request(self.article_url(c["url"]), callback=self.parse_article_page, errback=self.on_error,
                                 meta={"kind": "article"})

    def parse_listing_page(self, response: Response):
        yield self.listing_item(response)
        listing = parse_listing(self.decode(response), response.url)
        items = listing["items"]
        yield from self.schedule(items)
        reached_older = any(self.older_than_window(it.get("published_at")) for it in items)
        if reached_older or not items or not self.budget_left():
            return
        page = response.meta.get("page", 1)
        if listing["next_url"]:
            yield self.discovery_request(self.rebase_link(listing["next_url"]), "listing",
                                         {**response.meta, "page": page + 1})
        elif response.meta.get("template") and page < self.max_pages:
            url = self.index_url(response.meta["template"], page + 1, response.meta.get("day"))
            yield self.discovery_request(url, "listing", {"template": response.meta["template"], "page": page + 1,
                                                          "day": response.meta.get("day")})

    def _when(self, raw: str | None) -> str | None:
        dt = parse_date(raw) if raw else None
        return to_iso(dt) if dt else None

    def parse_sitemap_doc(self, response: Response):
        yield self.listing_item(response)
        doc = parse_sitemap(response.body)
        for url in doc["sitemaps"]:
            yield self.discovery_request(self.rebase_link(url), "sitemap")
        yield from self.schedule([{"url": u["url"], "published_at": self._when(u["published"] or u["lastmod"])}
                                  for u in doc["urls"]])

    def parse_feed_doc(self, response: Response):
        yield self.listing_item(response)
        yield from self.schedule([{"url": it["url"], "published_at": self._when(it["published"])}
                                  for it in parse_feed(response.body)])

    # -- articles ----------------------------------------------------------------------
    def parse_article_page(self, response: Response):
        item = self.article_item(response)
        article = item["article"] or {}
        rest = ([self.rebase_link(u) for u in page_links(self.decode(response), response.url, self.profile)]
                if not article.get("parse_error") else [])
        if not rest:
            yield item
            return
        yield self.follow_page(item, rest, [])

    def follow_page(self, first: PageItem, rest: list[str], done: list[dict]) -> scrapy.Request:
        return scrapy.Request(rest[0], callback=self.parse_next_page, errback=self.next_page_failed,
                              meta={"kind": "other", "first": first, "rest": rest[1:], "done": done})

    def parse_next_page(self, response: Response):
        page = self.page_record(response, "other")
        yield PageItem(page=page, article=None)
        other = parse_article(self.decode(response), response.url, fetched_at=page["fetched_at"])
        done = response.meta["done"] + ([other] if not other.get("parse_error") else [])
        yield from self._finish_or_follow(response.meta["first"], response.meta["rest"], done)

    def next_page_failed(self, failure):
        yield from self.on_error(failure)
        meta = failure.request.meta
        first = meta["first"]
        first["article"] = dict(first["article"])
        first["article"]["warnings"] = list(first["article"].get("warnings") or []) + [
            f"body: page {failure.request.url} could not be fetched"]
        yield from self._finish_or_follow(first, meta["rest"], meta["done"])

    def _finish_or_follow(self, first: PageItem, rest: list[str], done: list[dict]):
        if rest:
            yield self.follow_page(first, rest, done)
            return
        first["article"] = join_pages(first["article"], done)
        yield first


def _make(profile: Profile) -> type[ProfileSpider]:
    attrs = {
        "__module__": __name__,
        "__doc__": f"Spider for {profile.domains[0]} (generated from crawler/parsers/sites/{profile.name}.py).",
        "name": profile.name,
        "site": profile.domains[0],
        "default_base_url": profile.base_url,
        "profile": profile,
    }
    camel = "".join(p.capitalize() for p in profile.name.split("_"))
    return type(f"{camel}Spider", (ProfileSpider,), attrs)


SPIDERS: dict[str, type[ProfileSpider]] = {}
for _name, _profile in PROFILES.items():
    SPIDERS[_name] = globals()[f"{_name.capitalize()}Spider"] = _make(_profile)
