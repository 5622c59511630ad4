"""One spider per site profile (``crawler/parsers/sites/<name>.py``), generated.

Discovery (``-a source=index|sitemap|rss``, default: the first the profile has):

* ``index``: the profile's index pages ``{page}`` = 1, 2, … (up to ``max_pages``),
  or with ``-a since=YYYY-MM-DD`` its per-day index from ``until`` back to ``since``
  (a profile with only a day index, e.g. cnbcindonesia, walks today's without
  ``since``); article links are the listing's items, else any link matching the
  profile's article URL regex; next page from ``rel=next`` or the template, never
  beyond ``max_pages`` pages per index (per day).
* ``sitemap``: the profile's sitemaps (index files followed), entries filtered by
  the date window (news ``publication_date`` / ``lastmod``).
* ``rss``: the profile's feeds.

Scheduled runs, ``-a mode=incremental`` (no ``since`` / ``until``): only new and
updated articles; an article page the archive holds is never fetched again except
conditionally (``If-None-Match`` / ``If-Modified-Since``; a 304 or the same body
is bookkeeping only).  Per discovery walk:

* paged index: the walk stops at the first page that (a) reaches the *anchor* --
  a URL of the head (first page) of the walk, or an item not newer than the newest
  item, of the last ``ok`` run that completed this walk -- and (b) ends a run of
  ``WARTA_INCREMENTAL_STOP_PAGES`` (default 1) consecutive pages with no article
  URL the archive does not hold.  Without an anchor (first run, or only killed /
  failed runs so far) the index is walked as in a full run, stored articles
  skipped.  A run that is killed, interrupted, closed early or has a failed fetch
  claims no walk: the next run walks down to the old anchor again, so the holes a
  killed run leaves (any subset of a listing may have been stored) are filled;
  "nothing new on this page" alone is never trusted.
* day index: today's index back to the newest day of the last completed walk,
  each day followed through its pages; on that day the same stop rule applies.
* sitemap: child sitemaps whose ``lastmod`` is older than the start of the last
  ``ok`` incremental run that completed this sitemap are not fetched
  (:meth:`~crawler.spiders.base.ArchiveSpider.sitemap_children`); an entry the
  archive holds is refetched (conditionally) only when its ``lastmod`` is newer than
  the last time we fetched or checked it
  (:meth:`~crawler.spiders.base.ArchiveSpider.lastmod_revisits`; both allow
  ``LASTMOD_SLACK``, 10 minutes, of clock skew); new entries are fetched.
* RSS: new items are fetched (a feed only shows its last items: between two runs
  more than that may appear; use ``index`` or ``sitemap`` where completeness matters).

Every incremental run also revisits the articles published in the last
``WARTA_REVISIT_DAYS`` days (:meth:`~crawler.spiders.base.ArchiveSpider.revisit_requests`).

In-article pagination: ``all`` fetches ``url?page=all`` instead of the page;
``follow`` fetches the pages linked by the profile and joins their bodies into
the first page's record (every page is stored raw).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, AsyncIterator, Iterable
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from crawler.items import PageItem
from crawler.parsers import parse_article, parse_listing
from crawler.parsers.profile import Profile, page_links
from crawler.parsers.sites import PROFILES
from crawler.spiders.base import ArchiveSpider, listing_time, sitemap_entries
from crawler.spiders.discovery import join_pages, parse_feed, read_sitemap

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
        has = {"index": bool(d.index or d.dated_index), "sitemap": bool(d.sitemaps), "rss": bool(d.rss)}
        if not has[self.source]:
            offered = ", ".join(k for k, v in has.items() if v) or "nothing"
            raise ValueError(f"-a source={self.source}: the {self.profile.name} profile has no {self.source} "
                             f"(it offers {offered})")
        if self.mode == "incremental" and (self.since or self.until):
            raise ValueError("-a mode=incremental walks the site's discovery down to what the archive holds: "
                             "give it without since/until")
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
        d = self.profile.discovery
        fmt = day.strftime(d.date_format) if day is not None else ""
        return self.rebase(template.format(page=page, offset=(page - 1) * d.page_size, date=fmt))

    def walk_key(self, kind: str, template_or_url: str) -> str:
        """The key a discovery walk is recorded under (coverage ``walks``): its kind and
        its URL (template) on this run's origin -- a mirror's walks are not the site's."""
        return f"{kind}:{self.rebase(template_or_url)}"

    def days(self) -> list[date]:
        """The days of a day-index walk, newest first."""
        today = datetime.now(WIB).date()
        if self.mode == "incremental":
            mark = self.anchor(self.walk_key("day", self.profile.discovery.dated_index))
            first = mark["day"] if mark and mark["day"] else today
            first = min(first, today)
            return [today - timedelta(n) for n in range((today - first).days + 1)]
        last = self.until or today
        first = self.since or last
        return [last - timedelta(n) for n in range((last - first).days + 1)]

    def start_urls_for(self) -> list[tuple[str, str, dict]]:
        d = self.profile.discovery
        if self.source == "sitemap":
            return [(self.rebase(u), "sitemap", {"walk": self.walk_key("sitemap", u)}) for u in d.sitemaps]
        if self.source == "rss":
            return [(self.rebase(u), "rss", {"walk": self.walk_key("rss", u)}) for u in d.rss]
        if d.dated_index and (self.since or not d.index):
            days = self.days()
            walk = self.walk_key("day", d.dated_index)
            return [(self.index_url(d.dated_index, 1, day), "listing",
                     {"template": d.dated_index, "page": 1, "day": day, "walk": walk, "head": n == 0})
                    for n, day in enumerate(days)]
        return [(self.index_url(t, 1), "listing", {"template": t, "page": 1, "walk": self.walk_key("index", t),
                                                   "head": True})
                for t in d.index]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        starts = self.start_urls_for()
        if self.mode == "incremental":
            for walk in dict.fromkeys(meta["walk"] for _u, _k, meta in starts):
                mark = self.anchor(walk, incremental_only=walk.startswith("sitemap:"))
                if mark:
                    self.logger.info("incremental: %s stops where run %s (%s) completed it", walk, mark["run_id"],
                                     mark["started_at"].isoformat(timespec="seconds") if mark["started_at"] else "?")
                else:
                    self.logger.info("incremental: no earlier complete run of %s: walked like a full run, "
                                     "stored articles skipped", walk)
        for url, kind, meta in starts:
            yield self.discovery_request(url, kind, meta)
        if self.mode == "incremental":
            for request in self.revisit_requests():
                yield request

    def discovery_request(self, url: str, kind: str, meta: dict | None = None, *,
                          dont_filter: bool = True) -> scrapy.Request:
        """A listing / sitemap / feed request: fetched in every run (listings change),
        ahead of the article fetches (within a bound: see listing_priority()).  ``dont_filter=False`` for child sitemaps: an index
        listing itself (or a child twice) is read once."""
        callback = {"listing": self.parse_listing_page, "sitemap": self.parse_sitemap_doc, "rss": self.parse_feed_doc}[kind]
        return scrapy.Request(url, callback=callback, errback=self.on_error, priority=self.listing_priority(),
                              dont_filter=dont_filter,
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
    def candidates(self, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Listing / sitemap / feed items that are articles of the site in the date
        window, rebased, with the URL that is requested for them (``request_url``)."""
        out = []
        for it in items:
            if not self.is_article(it["url"]) or not self.in_window(it.get("published_at")):
                continue
            url = self.rebase_link(it["url"])
            out.append({**it, "url": url, "request_url": self.article_url(url)})
        return out

    def schedule(self, candidates: list[dict[str, Any]]) -> tuple[list[scrapy.Request], int]:
        """Requests for the candidates the archive does not hold (and, in an incremental
        run, conditional refetches of stored sitemap entries with a newer ``lastmod``);
        and how many candidates were new."""
        if not candidates:
            return [], 0
        stored = self.already_stored([c["url"] for c in candidates] + [c["request_url"] for c in candidates])
        held = [c["url"] in stored or c["request_url"] in stored for c in candidates]
        fresh = [c for c, h in zip(candidates, held) if not h]
        if len(fresh) < len(candidates) and self.crawler.stats:
            self.crawler.stats.inc_value("warta/already_stored", len(candidates) - len(fresh))
        requests: list[scrapy.Request] = list(self.lastmod_revisits(
            (c["request_url"], c["lastmod"]) for c, h in zip(candidates, held) if h and c.get("lastmod")))
        for c in fresh:
            if not self.budget_left():
                break
            self.articles_scheduled += 1
            requests.append(scrapy.Request(c["request_url"], callback=self.parse_article_page,
                                           errback=self.on_error, meta={"kind": "article"}))
        return requests, len(fresh)

    def reaches(self, mark: dict[str, Any] | None, candidates: list[dict[str, Any]],
                items: list[dict[str, Any]]) -> bool:
        """Whether a listing page reaches ``mark`` (see :meth:`ArchiveSpider.anchor`): it
        shows an article of the anchor run's head, or an item not newer than the newest
        item that run saw."""
        if not mark:
            return False
        from pipelines.dedupe import canonicalize_url
        from storage.repository import to_utc

        if any(canonicalize_url(c["url"]) in mark["head"] for c in candidates):
            return True
        newest = mark.get("newest")
        return newest is not None and any(
            (when := to_utc(it.get("published_at"))) is not None and when <= newest for it in items)

    def parse_listing_page(self, response: Response):
        item = self.listing_item(response)
        if item is not None:
            yield item
        meta = response.meta
        listing = parse_listing(self.decode(response), response.url)
        items = listing["items"]
        self.note_listing_items(items)
        candidates = self.candidates(items)
        requests, fresh = self.schedule(candidates)
        yield from requests
        walk, page, day = meta.get("walk"), meta.get("page", 1), meta.get("day")
        if walk:
            self.note_walk(walk, head=[c["url"] for c in candidates] if meta.get("head") else None,
                           items=items, day=day)
        reached_older = any(self.older_than_window(it.get("published_at")) for it in items)
        if reached_older or not items or not self.budget_left():
            return
        # the anchor of this walk: for a day index, only the day the last complete walk ended on
        mark = self.anchor(walk) if walk else None
        if mark and day is not None and mark["day"] != day:
            mark = None
        anchored = bool(meta.get("anchored")) or self.reaches(mark, candidates, items)
        quiet = (meta.get("quiet", 0) + 1) if fresh == 0 else 0
        if self.mode == "incremental" and anchored and quiet >= self.stop_pages:
            self.logger.info("incremental: %s reaches what the archive holds (%d page(s) without a new "
                             "article), the walk stops here", response.url, quiet)
            return
        if page >= self.max_pages:
            if walk and (day is not None or (mark and not anchored)):
                self.walk_incomplete(walk, f"max_pages={self.max_pages} reached at {response.url}")
            return
        walk_meta = {"walk": walk, "template": meta.get("template"), "day": day, "page": page + 1,
                     "anchored": anchored, "quiet": quiet}
        if listing["next_url"]:
            yield self.discovery_request(self.rebase_link(listing["next_url"]), "listing", walk_meta)
        elif meta.get("template"):
            yield self.discovery_request(self.index_url(meta["template"], page + 1, day), "listing", walk_meta)

    @property
    def stop_pages(self) -> int:
        """``WARTA_INCREMENTAL_STOP_PAGES``: consecutive pages without a new article that end
        an anchored incremental walk."""
        return max(1, self.settings.getint("WARTA_INCREMENTAL_STOP_PAGES", 1))

    def parse_sitemap_doc(self, response: Response):
        item = self.listing_item(response)
        if item is not None:
            yield item
        doc = read_sitemap(response.body)
        walk = response.meta.get("walk")
        for url in self.sitemap_children(walk, doc["sitemaps"]):
            yield self.discovery_request(self.rebase_link(url), "sitemap", {"walk": walk}, dont_filter=False)
        entries = sitemap_entries(doc)
        self.note_listing_items(entries)
        if walk:
            self.note_walk(walk, items=entries)
        yield from self.schedule(self.candidates(entries))[0]

    def parse_feed_doc(self, response: Response):
        item = self.listing_item(response)
        if item is not None:
            yield item
        entries = [{"url": it["url"], "published_at": listing_time(it["published"])}
                   for it in parse_feed(response.body)]
        self.note_listing_items(entries)
        walk = response.meta.get("walk")
        if walk:
            self.note_walk(walk, items=entries)
        yield from self.schedule(self.candidates(entries))[0]

    # -- articles ----------------------------------------------------------------------
    async def parse_article_page(self, response: Response):
        item = await self.article_item(response)
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

    async def parse_next_page(self, response: Response):
        page = self.page_record(response, "other")
        yield PageItem(page=page, article=None)
        other = await self.parse_pool.run(parse_article, self.decode(response), response.url,
                                          fetched_at=page["fetched_at"])
        done = response.meta["done"] + ([other] if not other.get("parse_error") else [])
        for output in self._finish_or_follow(response.meta["first"], response.meta["rest"], done):
            yield output

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
        "__doc__": (f"Spider for {profile.domains[0]} (generated from crawler/parsers/sites/{profile.name}.py).\n\n"
                    "Arguments and discovery (index / day index / sitemap / RSS), and what "
                    "``-a mode=incremental`` fetches: see :mod:`crawler.spiders.profiles`."),
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
