"""``generic``: any news site, with the generic extractor.

    scrapy crawl generic -a start_url=https://example.com/news      # follow same-host article links
    scrapy crawl generic -a sitemap=https://example.com/sitemap.xml # sitemap(s), SitemapSpider-style

``start_url`` mode fetches the start page, follows same-host links whose path
looks like an article (a known profile's article regex, else the generic
shape: ``/read/…<digits>``, ``/berita/…``, ``/YYYY/MM/DD/slug``, ``d-<id>``, or
a long hyphenated slug) and parses them with :func:`crawler.parsers.parse_generic`;
other same-host pages are followed up to ``-a depth=N`` (default 1) to find more.
``sitemap`` mode reads sitemap index files and url sets (no XML entity
expansion, no network access from the parser) and fetches every listed page.

Pages the archive holds are never fetched again.  ``-a mode=incremental`` (cron
runs) adds what the profile spiders do for sitemaps and revisits: child sitemaps
whose ``lastmod`` is older than the start of the last complete incremental run are
skipped, a stored entry is refetched conditionally only when its ``lastmod`` is
newer than our last fetch or check of it (both with ``LASTMOD_SLACK`` for clock
skew), and the articles of the last ``WARTA_REVISIT_DAYS`` days are revisited
(:meth:`~crawler.spiders.base.ArchiveSpider.sitemap_children`,
:meth:`~crawler.spiders.base.ArchiveSpider.lastmod_revisits`,
:meth:`~crawler.spiders.base.ArchiveSpider.revisit_requests`).
"""

from __future__ import annotations

import re
from typing import Any, AsyncIterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import PageItem
from crawler.parsers import parse_generic
from crawler.parsers.base import GENERIC_ARTICLE_PATH_RE, parse_html
from crawler.spiders.base import ArchiveSpider, sitemap_entries
from crawler.spiders.discovery import read_sitemap

#: a slug of at least four hyphenated words, optionally ending in .html
_SLUG_RE = re.compile(r"/[a-z0-9]+(?:-[a-z0-9]+){3,}(?:\.html?)?/?$", re.IGNORECASE)
_SKIP_EXT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|zip|mp[34]|css|js|xml|rss)$", re.IGNORECASE)


def looks_like_article(url: str) -> bool:
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    if _SKIP_EXT_RE.search(path):
        return False
    return bool(GENERIC_ARTICLE_PATH_RE.search(path) or _SLUG_RE.search(path))


def same_host_links(html: str, url: str) -> list[str]:
    """Absolute same-host http(s) links of a page, in order, without fragments."""
    root = parse_html(html)
    if root is None:
        return []
    host = urlsplit(url).hostname
    out: list[str] = []
    seen: set[str] = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "data:")):
            continue
        try:
            full = urljoin(url, href).split("#", 1)[0]
            parts = urlsplit(full)
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or parts.hostname != host or full in seen:
            continue
        seen.add(full)
        out.append(full)
    return out


class GenericSpider(ArchiveSpider):
    name = "generic"
    site = ""

    def __init__(self, *args: Any, start_url: str | None = None, sitemap: str | None = None,
                 depth: str | int = 1, **kwargs: Any) -> None:
        seed = start_url or sitemap
        if not seed:
            raise ValueError("generic: give -a start_url=URL or -a sitemap=URL")
        parts = urlsplit(seed)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"generic: {seed!r} is not an http(s) URL")
        kwargs.setdefault("base_url", f"{parts.scheme}://{parts.netloc}")
        super().__init__(*args, **kwargs)
        self.start_url, self.sitemap = start_url, sitemap
        self.depth = int(depth)
        self.site = parts.hostname[4:] if parts.hostname.startswith("www.") else parts.hostname

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.sitemap:
            yield self.sitemap_request(self.sitemap, top=True)
        if self.start_url:
            yield scrapy.Request(self.start_url, callback=self.parse_page, errback=self.on_error,
                                 meta={"kind": "listing", "depth_left": self.depth},
                                 priority=self.listing_priority())
        if self.mode == "incremental":
            for request in self.revisit_requests():
                yield request

    def sitemap_request(self, url: str, *, top: bool = False) -> scrapy.Request:
        # the walk is the top sitemap; children go through the duplicate filter (an index
        # that lists itself is read once)
        return scrapy.Request(url, callback=self.parse_sitemap_doc, errback=self.on_error, dont_filter=top,
                              meta={"kind": "listing", "walk": f"sitemap:{self.sitemap}"},
                              priority=self.listing_priority())

    def article_request(self, url: str) -> scrapy.Request:
        self.articles_scheduled += 1
        return scrapy.Request(url, callback=self.parse_article_page, errback=self.on_error, meta={"kind": "article"})

    def parse_page(self, response: Response):
        yield self.listing_item(response)
        links = same_host_links(self.decode(response), response.url)
        articles = [u for u in links if looks_like_article(u)]
        stored = self.already_stored(articles) if articles else set()
        for url in articles:
            if url in stored:
                continue
            if not self.budget_left():
                return
            yield self.article_request(url)
        left = response.meta.get("depth_left", 0)
        if left > 0:
            for url in links:
                if url not in articles:
                    yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                         meta={"kind": "listing", "depth_left": left - 1})

    def parse_sitemap_doc(self, response: Response):
        item = self.listing_item(response)
        if item is not None:
            yield item
        doc = read_sitemap(response.body)
        walk = response.meta.get("walk")
        for url in self.sitemap_children(walk, doc["sitemaps"]):
            yield self.sitemap_request(url)
        entries = [e for e in sitemap_entries(doc) if self.in_window(e["published_at"])]
        self.note_listing_items(entries)
        if walk:
            self.note_walk(walk, items=entries)
        stored = self.already_stored(e["url"] for e in entries) if entries else set()
        yield from self.lastmod_revisits((e["url"], e["lastmod"]) for e in entries if e["url"] in stored)
        for entry in entries:
            if entry["url"] in stored:
                continue
            if not self.budget_left():
                return
            yield self.article_request(entry["url"])

    async def parse_article_page(self, response: Response):
        page = self.page_record(response, "article")
        article = await self.parse_pool.run(parse_generic, self.decode(response), response.url,
                                            fetched_at=page["fetched_at"])
        yield PageItem(page=page, article=article)
