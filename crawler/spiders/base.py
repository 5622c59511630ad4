"""What every Warta spider shares: page records, the date window, resume, errors.

A site spider only says *where articles are listed* (start URLs, how to read a
listing page); this base class turns every response into a
:class:`~crawler.items.PageItem` (raw bytes kept, article parsed by the pure
parser or the parse error recorded), keeps requests inside the site, and asks
the archive which article pages are already stored so that a restarted crawl
does not fetch them again (the database is the source of truth, not JOBDIR).

Archive crawling (issue 3; see docs/archive.md) adds, for every site spider:

* *resume*: a run restarted with the same arguments after a crash also replays,
  from the archive, the listing pages the interrupted run stored
  (:meth:`ArchiveSpider.replay_page_id`, :class:`crawler.middlewares.ListingReplayMiddleware`),
  so no stored page is downloaded again;
* *revisits* (:meth:`ArchiveSpider.revisit_requests`): conditional requests
  (``If-None-Match`` / ``If-Modified-Since`` from the stored page's headers) for the
  articles published in the last ``WARTA_REVISIT_DAYS`` days; a 304 or the same
  body again is bookkeeping only (a ``touch`` item), a changed page goes through the
  normal path and becomes a new revision;
* *coverage* (:meth:`ArchiveSpider.coverage`): a run that walked a stretch of the
  index completely (no failed fetch, closed as ``finished``) records it in
  ``crawl_runs.stats``; an incremental run stops walking at the newest covered time
  (:meth:`ArchiveSpider.watermark`).  Spiders with several discovery walks (the
  profile spiders, ``generic``) also record each walk they completed
  (:meth:`ArchiveSpider.note_walk`: the head of a paged index, the day of a day
  index, a sitemap checked against ``lastmod``); :meth:`ArchiveSpider.anchor` is
  where the next incremental run may stop that walk;
* *lastmod* (:meth:`ArchiveSpider.lastmod_revisits`): in an incremental run, a
  sitemap entry the archive holds is fetched again -- conditionally, like a revisit
  -- only when its ``lastmod`` is newer than the last time we fetched or checked it;
* the bytes as received: :meth:`ArchiveSpider.page_record` stores the headers and
  payload seen by :class:`crawler.middlewares.WireCaptureMiddleware`.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.items import PageItem
from crawler.middlewares import REPLAY_FLAG, WIRE_META
from crawler.mirror import is_loopback
from crawler.parsepool import ParsePool
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


#: spider attributes recorded as the run's arguments (crawl_runs.args): a restarted
#: run continues the interrupted runs with exactly the same arguments
RUN_ARG_NAMES = ("base_url", "since", "until", "max_articles", "sections", "mode", "ids", "source",
                 "max_pages", "revisit_days")


def parse_ids(value: str | None) -> list[int]:
    """``-a ids=600000-600500`` (inclusive; also ``1,5,9`` and ``1-5,9``) -> ids, newest first."""
    if value in (None, ""):
        return []
    ids: set[int] = set()
    for part in str(value).split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ValueError(f"-a ids={value!r}: expected a range like 600000-600500 (or 1,5,9)") from None
        if a > b or a < 0:
            raise ValueError(f"-a ids={value!r}: {part!r} is not a range low-high")
        if b - a > 5_000_000:
            raise ValueError(f"-a ids={value!r}: more than 5 million ids in one run")
        ids.update(range(a, b + 1))
    return sorted(ids, reverse=True)


_DATE_ONLY_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def lastmod_time(raw: str | None) -> datetime | None:
    """A sitemap ``lastmod`` as an aware UTC datetime; a bare date (``2024-02-05``) is
    the *end* of that day in WIB (a page changed later that day is not missed)."""
    if not raw:
        return None
    from pipelines.dates import parse_date

    if _DATE_ONLY_RE.match(raw):
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            return None
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone(timedelta(hours=7)))
        return (end - timedelta(seconds=1)).astimezone(timezone.utc)
    when = parse_date(raw)
    return when.astimezone(timezone.utc) if when is not None else None


def listing_time(raw: str | None) -> str | None:
    """A listing's (feed item, sitemap entry) raw date as ISO 8601, or ``None``."""
    if not raw:
        return None
    from pipelines.dates import parse_date, to_iso

    when = parse_date(raw)
    return to_iso(when) if when is not None else None


def sitemap_entries(doc: dict[str, list]) -> list[dict[str, Any]]:
    """The entries of a url set (:func:`crawler.spiders.discovery.read_sitemap`) as
    listing items: ``{"url", "published_at", "lastmod"}``, ``published_at`` from the
    news publication date, else ``lastmod``."""
    return [{"url": u["url"], "published_at": listing_time(u["published"] or u["lastmod"]), "lastmod": u["lastmod"]}
            for u in doc["urls"]]


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
    by publication date in the site's time zone), ``max_articles``, ``mode``
    (``full``, the default, or ``incremental``: a site spider that supports it
    walks down to :meth:`watermark` and adds :meth:`revisit_requests`),
    ``revisit_days`` (overrides ``WARTA_REVISIT_DAYS``).

    Items: a :class:`~crawler.items.PageItem` per response; a revisit found
    unchanged yields ``PageItem(page=None, article=None, touch={"article_id",
    "seen_at", "status"})`` -- bookkeeping only, see ``pipelines.store``.
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
        # archive crawling (issue 3)
        self.mode = str(kwargs.get("mode") or getattr(self, "mode", None) or "full")
        if self.mode not in ("full", "incremental"):
            raise ValueError(f"-a mode={self.mode!r}: expected full or incremental")
        self._replay: dict[str, int] | None = None
        self._watermark: Any = False  # not looked up yet
        #: newest publication time / highest id seen in any listing item (coverage)
        self.listing_newest: datetime | None = None
        self.listing_max_id: int | None = None
        #: discovery / article fetches that failed (download error or 5xx/429)
        self.listing_failures = 0
        self.article_failures = 0
        self.revisits_scheduled = 0
        #: discovery walks of this run (coverage "walks"), see note_walk()
        self.walks: dict[str, dict[str, Any]] = {}
        self.walks_incomplete: set[str] = set()
        self._anchors: dict[str, list[dict[str, Any]]] | None = None
        #: url keys revisited in this run (revisit window and sitemap lastmod share it)
        self._revisited: set[str] = set()
        #: why the spider closed ("finished", "shutdown", "closespider_itemcount", ...)
        self.close_reason: str | None = None

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
        # parsing beside the reactor (crawler/parsepool.py); workers start with the spider
        spider.parse_pool = ParsePool.from_crawler(crawler)
        crawler.signals.connect(spider.parse_pool.start, signal=signals.spider_opened)
        return spider

    # -- archive access (resume) ------------------------------------------------
    @property
    def archive(self):
        if self._archive is None:
            from storage.repository import Archive

            settings = self.settings
            self._archive = Archive(settings.get("WARTA_DATABASE_URL"),
                                    busy_timeout=settings.getfloat("WARTA_DB_BUSY_TIMEOUT", 5.0),
                                    retry_timeout=settings.getfloat("WARTA_DB_RETRY_TIMEOUT", 600.0))
        return self._archive

    def closed(self, reason: str) -> None:
        # Scrapy calls this before the storage pipeline's spider_closed handler (the
        # spider connects first), so run_summary() / coverage() know the reason.
        self.close_reason = reason
        pool = getattr(self, "parse_pool", None)
        if pool is not None:
            pool.close()
        if self._archive is not None:
            self._archive.dispose()

    def already_stored(self, urls: Iterable[str]) -> set[str]:
        """The subset of ``urls`` whose page the archive already holds."""
        from pipelines.dedupe import canonicalize_url

        urls = list(urls)
        keys = {canonicalize_url(u): u for u in urls}
        known = self.archive.known_urls(list(keys))
        return {keys[k] for k in known if k in keys}

    # -- run arguments, resume -------------------------------------------------------
    def run_args(self) -> dict[str, str]:
        """The arguments that identify this crawl (``crawl_runs.args``)."""
        args = {}
        for name in RUN_ARG_NAMES:
            value = getattr(self, name, None)
            if value in (None, [], ""):
                continue
            if name == "mode" and value == "full":
                continue  # the default: same args as before `mode` existed
            args[name] = str(value)
        return args

    def current_run_id(self) -> int | None:
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        return stats.get_value("warta/run_id") if stats else None

    def resumed_runs(self) -> list[int]:
        """Ids of the runs this one continues: the latest runs of this spider with the
        same arguments that did not finish (``interrupted``, or ``running`` left by a
        killed process), back to the last one that finished.  Refused runs (the lock
        was held) are looked through."""
        args = self.run_args()
        current = self.current_run_id()
        chain: list[int] = []
        for run in self.archive.recent_runs(self.name, limit=500):
            if run["id"] == current or (run.get("args") or {}) != args:
                continue
            if (run.get("stats") or {}).get("finish_reason") == "locked":
                continue
            if run["status"] in ("running", "interrupted"):
                chain.append(run["id"])
                continue
            break
        return chain

    def replay_page_id(self, url: str) -> int | None:
        """The stored listing page that answers ``url`` in a resumed run, or ``None``."""
        if self._replay is None:
            if not self.settings.getbool("WARTA_RESUME_REPLAY", True) or self.settings.get("WARTA_REDIS_URL"):
                self._replay = {}
            else:
                chain = self.resumed_runs()
                hours = self.settings.getfloat("WARTA_RESUME_REPLAY_HOURS", 24)
                after = datetime.now(timezone.utc) - timedelta(hours=hours) if hours > 0 else None
                self._replay = self.archive.listing_pages(chain, fetched_after=after) if chain else {}
                if chain:
                    self.logger.info("continuing interrupted run(s) %s: %d stored listing page(s) are replayed "
                                     "from the archive", ", ".join(map(str, chain)), len(self._replay))
        if not self._replay:
            return None
        from pipelines.dedupe import canonicalize_url

        return self._replay.get(canonicalize_url(url))

    # -- incremental runs: coverage, watermark, revisits ------------------------------------
    def coverage(self) -> dict[str, Any] | None:
        """The publication-time interval this run has walked completely, if any:
        ``{"lower": ISO | None, "upper": ISO, "upper_id": int | None}`` (UTC).

        * the whole index (default mode) or an incremental run: from the head of the
          index (the newest item seen) down to the end / to the watermark;
        * a date backfill: ``since`` .. ``until`` (whole days, WIB); when ``until``
          is today or later, up to the newest item seen (later ones may follow);
        * sections, an id walk, ``max_articles``, a failed listing/article fetch
          (download error, 5xx, 429), or a run that did not end as ``finished``
          (killed, interrupted, closed early by a ``CLOSESPIDER_*`` limit): nothing
          can be claimed.

        ``walks`` (profile spiders, ``generic``): the discovery walks completed, see
        :meth:`note_walk`; a run that claims no coverage claims no walk either.
        """
        if self.listing_failures or self.article_failures:
            return None
        if self.close_reason not in (None, "finished"):
            return None
        if getattr(self, "sections", None) or getattr(self, "ids", None) or self.max_articles is not None:
            return None
        wib = timezone(timedelta(hours=7))
        lower = None
        if self.mode == "incremental":
            mark = self.watermark()
            lower = mark["upper"].isoformat() if mark else None
        elif self.since is not None:
            lower = datetime.combine(self.since, datetime.min.time(), wib).astimezone(timezone.utc).isoformat()
        upper = self.listing_newest
        if self.mode != "incremental" and self.until is not None and self.until < datetime.now(wib).date():
            # a closed window in the past: every day index of it was walked
            end = datetime.combine(self.until + timedelta(days=1), datetime.min.time(), wib) - timedelta(seconds=1)
            upper = end.astimezone(timezone.utc)
        walks = {k: v for k, v in self.walks.items() if k not in self.walks_incomplete}
        if upper is None and not walks:
            return None
        out: dict[str, Any] = {"lower": lower, "upper": upper.isoformat() if upper else None,
                               "upper_id": self.listing_max_id}
        if walks:
            out["walks"] = walks
        return out

    def note_listing_items(self, items: Iterable[dict[str, Any]]) -> None:
        """Record the newest publication time / highest id seen (run coverage)."""
        from storage.repository import to_utc

        for it in items:
            when = to_utc(it.get("published_at"))
            if when is not None and (self.listing_newest is None or when > self.listing_newest):
                self.listing_newest = when
            aid = self.article_id_of(it.get("url") or "")
            if aid is not None and (self.listing_max_id is None or aid > self.listing_max_id):
                self.listing_max_id = aid

    def article_id_of(self, url: str) -> int | None:
        """The site's numeric article id in ``url`` (override per site)."""
        return None

    def watermark(self) -> dict[str, Any] | None:
        """Where the archive is known complete up to: the newest ``coverage`` among
        this spider's ok runs (``{"upper": ISO UTC, "upper_id": int | None}``)."""
        if self._watermark is False:
            from storage.repository import to_utc

            best = None
            for run in self.archive.recent_runs(self.name, limit=500):
                cov = (run.get("stats") or {}).get("coverage") if run["status"] == "ok" else None
                upper = to_utc(cov.get("upper")) if cov else None
                if upper is not None and (best is None or upper > best["upper"]):
                    best = {"upper": upper, "upper_id": cov.get("upper_id"), "run_id": run["id"]}
            self._watermark = best
        return self._watermark

    def reached_watermark(self, items: Iterable[dict[str, Any]]) -> bool:
        """Whether a listing page reaches what the archive already holds completely."""
        mark = self.watermark()
        if not mark:
            return False
        from storage.repository import to_utc

        for it in items:
            when = to_utc(it.get("published_at"))
            if when is not None:
                if when <= mark["upper"]:
                    return True
                continue
            aid = self.article_id_of(it.get("url") or "")
            if aid is not None and mark.get("upper_id") is not None and aid <= int(mark["upper_id"]):
                return True
        return False

    # -- discovery walks: what a run completed, where the next incremental run stops ----------
    #: article URLs kept as the head of a walk (the first listing page's links)
    HEAD_SIZE = 100

    def note_walk(self, walk: str, *, head: Iterable[str] | None = None, items: Iterable[dict[str, Any]] = (),
                  day: date | None = None) -> None:
        """Record discovery walk ``walk`` (a key such as ``"index:" + its URL template``,
        on this run's origin) in this run's coverage.

        ``head``: the article URLs at the head of the walk (its first listing page);
        ``items``: listing items seen on any of its pages (``published_at``: the newest
        is kept); ``day``: the newest day of a day-index walk.  The walk is claimed in
        ``crawl_runs.stats.coverage.walks`` only if the run claims coverage at all (no
        failed fetch, closed as ``finished``) and :meth:`walk_incomplete` was not called.
        """
        from pipelines.dedupe import canonicalize_url
        from storage.repository import to_utc

        entry = self.walks.setdefault(walk, {})
        if head is not None and "head" not in entry:
            entry["head"] = list(dict.fromkeys(canonicalize_url(u) for u in head))[: self.HEAD_SIZE]
        for it in items:
            when = to_utc(it.get("published_at"))
            if when is not None and (entry.get("newest") is None or when > to_utc(entry["newest"])):
                entry["newest"] = when.isoformat()
        if day is not None and (entry.get("day") is None or day.isoformat() > entry["day"]):
            entry["day"] = day.isoformat()

    def walk_incomplete(self, walk: str, why: str) -> None:
        """Walk ``walk`` ended before it reached what the archive holds: not claimed."""
        if walk not in self.walks_incomplete:
            self.walks_incomplete.add(walk)
            self.logger.warning("%s: %s; this run claims no coverage for it (the next incremental run "
                                "walks it down to the last complete walk again)", walk, why)

    def anchor(self, walk: str, *, incremental_only: bool = False) -> dict[str, Any] | None:
        """The newest ``ok`` run of this spider that completed ``walk`` (its coverage
        lists it): ``{"run_id", "started_at" (UTC), "mode", "head": set of URL keys,
        "newest": UTC datetime | None, "day": date | None}``, or ``None``.

        A killed, interrupted or failed run, or one with a failed fetch, claims no walk,
        so the anchor stays where the last complete walk left it.  ``incremental_only``:
        only incremental runs count (a sitemap is "checked" only by a run that compared
        lastmod; a full run never refetches a stored page).
        """
        from storage.repository import to_utc

        if self._anchors is None:
            self._anchors = {}
            for run in self.archive.recent_runs(self.name, limit=500):
                stats = run.get("stats") or {}
                cov = stats.get("coverage") if run["status"] == "ok" else None
                for key, w in ((cov or {}).get("walks") or {}).items():
                    self._anchors.setdefault(key, []).append({
                        "run_id": run["id"], "started_at": to_utc(run.get("started_at")),
                        "mode": stats.get("mode") or "full", "head": set(w.get("head") or ()),
                        "newest": to_utc(w.get("newest")),
                        "day": date.fromisoformat(w["day"]) if w.get("day") else None,
                    })
        for entry in self._anchors.get(walk, ()):
            if not incremental_only or entry["mode"] == "incremental":
                return entry
        return None

    def rebase(self, url: str) -> str:
        """``url`` moved to this run's ``base_url`` (a stored mirror URL, another port)."""
        base, parts = urlsplit(self.base_url), urlsplit(url)
        if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
            return url
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def revisit_requests(self) -> Iterable[scrapy.Request]:
        """Conditional requests for the articles of the last ``WARTA_REVISIT_DAYS`` days.

        The window ends at the newest article the archive holds for the site (on a live
        site: today).  Articles checked less than ``WARTA_REVISIT_MIN_INTERVAL``
        minutes ago are skipped (a restarted run does not check them again).  These
        requests bypass the resume skip (the page *is* stored) and the dupefilter.
        """
        days = float(getattr(self, "revisit_days", None) or self.settings.getfloat("WARTA_REVISIT_DAYS", 2))
        if days <= 0:
            return
        newest = self.archive.newest_published(self.site)
        if newest is None:
            return
        minutes = self.settings.getfloat("WARTA_REVISIT_MIN_INTERVAL", 30)
        seen_before = datetime.now(timezone.utc) - timedelta(minutes=minutes) if minutes > 0 else None
        candidates = self.archive.revisit_candidates(self.site, newest - timedelta(days=days),
                                                     seen_before=seen_before)
        self.logger.info("revisiting %d article(s) published since %s", len(candidates),
                         (newest - timedelta(days=days)).isoformat(timespec="minutes"))
        for c in candidates:
            request = self.revisit_request(c)
            if request is not None:
                yield request

    def revisit_request(self, candidate: dict[str, Any]) -> scrapy.Request | None:
        """The conditional request for a stored article page (``candidate`` as given by
        ``Archive.revisit_candidates`` / ``Archive.stored_versions``): ``If-None-Match`` /
        ``If-Modified-Since`` from the stored headers, 304 accepted, answered by
        :meth:`parse_revisit`.  ``None`` when this run already revisits that page."""
        from pipelines.dedupe import canonicalize_url

        url = self.rebase(candidate["url"])
        key = canonicalize_url(url)
        if key in self._revisited:
            return None
        self._revisited.add(key)
        headers = {}
        if candidate.get("etag"):
            headers["If-None-Match"] = candidate["etag"]
        if candidate.get("last_modified"):
            headers["If-Modified-Since"] = candidate["last_modified"]
        self.revisits_scheduled += 1
        return scrapy.Request(
            url, headers=headers, callback=self.parse_revisit, errback=self.on_error,
            dont_filter=True, priority=5,
            meta={"kind": "article", "handle_httpstatus_list": [304],
                  "warta_revisit": {"article_id": candidate.get("article_id"),
                                    "body_sha256": candidate.get("body_sha256")}},
        )

    #: lastmod comparisons allow for this much clock skew between the site and us (and
    #: for lastmod's one-second resolution): a change stamped up to this long before our
    #: fetch is still looked at -- conditionally, so it costs a 304 at most
    LASTMOD_SLACK = timedelta(minutes=10)

    def sitemap_children(self, walk: str | None, children: Iterable[dict[str, Any]]) -> list[str]:
        """The child sitemaps of a sitemap index (``{"url", "lastmod"}``) to fetch: all of
        them, except -- in an incremental run -- those whose ``lastmod`` is older than
        the start of the last ``ok`` incremental run that completed ``walk``
        (:meth:`anchor`; less :attr:`LASTMOD_SLACK`): that run read them as they are now.
        A child without a ``lastmod`` is always fetched."""
        children = list(children)
        mark = self.anchor(walk, incremental_only=True) if (self.mode == "incremental" and walk) else None
        since = mark["started_at"] - self.LASTMOD_SLACK if mark and mark["started_at"] else None
        out = []
        for child in children:
            when = lastmod_time(child.get("lastmod")) if since is not None else None
            if when is not None and when <= since:
                continue
            out.append(child["url"])
        if len(out) < len(children):
            self.logger.info("incremental: %d of %d child sitemap(s) unchanged since run %s, not fetched",
                             len(children) - len(out), len(children), mark["run_id"])
            if self.crawler.stats:
                self.crawler.stats.inc_value("warta/sitemaps_unchanged", len(children) - len(out))
        return out

    def lastmod_revisits(self, entries: Iterable[tuple[str, str | None]]) -> Iterable[scrapy.Request]:
        """Incremental runs: conditional refetches of stored pages whose sitemap
        ``lastmod`` is newer than the last time we fetched or checked them.

        ``entries``: ``(url, lastmod)`` of sitemap entries the archive already holds.
        A ``lastmod`` without a time of day counts as the end of that day (WIB), and one
        up to :attr:`LASTMOD_SLACK` before our last fetch counts as newer: when in doubt
        the page is checked -- conditionally, so an unchanged page costs a 304.  Full
        runs never refetch a stored page: nothing is yielded.
        """
        if self.mode != "incremental":
            return
        entries = [(url, lastmod_time(raw)) for url, raw in entries]
        entries = [(url, when) for url, when in entries if when is not None]
        if not entries:
            return
        versions = self.archive.stored_versions(url for url, _ in entries)
        refetched = 0
        for url, when in entries:
            version = versions.get(url)
            if version is None or (version["seen_at"] is not None
                                   and when <= version["seen_at"] - self.LASTMOD_SLACK):
                continue
            request = self.revisit_request(version)
            if request is not None:
                refetched += 1
                yield request
        if refetched and self.crawler.stats:
            self.crawler.stats.inc_value("warta/lastmod_refetched", refetched)

    async def parse_revisit(self, response: Response):
        """A revisit answer: 304 or the same body -> bookkeeping only; else the usual path."""
        visit = response.meta.get("warta_revisit") or {}
        same = (response.status == 304 or (
            visit.get("body_sha256") and hashlib.sha256(response.body).hexdigest() == visit["body_sha256"]))
        if same:
            stats = self.crawler.stats
            if stats:
                stats.inc_value("warta/not_modified" if response.status == 304 else "warta/revisit_same_body")
            yield PageItem(page=None, article=None, touch={
                "article_id": visit.get("article_id"), "seen_at": utc_now_iso(), "status": response.status})
            return
        async for output in self.parse_article_page(response):
            yield output

    async def parse_article_page(self, response: Response):
        yield await self.article_item(response)

    def run_summary(self) -> dict[str, Any]:
        """What this run adds to ``crawl_runs.stats`` (the storage pipeline merges it)."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.revisits_scheduled:
            out["revisits"] = self.revisits_scheduled
        if self.listing_failures or self.article_failures:
            out["fetch_failures"] = {"listing": self.listing_failures, "article": self.article_failures}
        coverage = self.coverage()
        if coverage:
            out["coverage"] = coverage
        return out

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

    def listing_priority(self) -> int:
        """Priority of the next discovery request (listing, sitemap, feed page).

        Ahead of the article fetches (10) so discovery keeps the downloader busy,
        but only while the scheduler holds fewer than ``WARTA_DISCOVERY_BACKLOG``
        requests; beyond that, behind them (-10): on a fast mirror or a big backfill
        the walk would otherwise run thousands of pages ahead, and those queued
        requests are memory that grows with the archive (bench: crawl peak RSS)."""
        stats = self.crawler.stats if getattr(self, "crawler", None) is not None else None
        if stats is None:
            return 10
        backlog = (stats.get_value("scheduler/enqueued", 0) or 0) - (stats.get_value("scheduler/dequeued", 0) or 0)
        return 10 if backlog < self.settings.getint("WARTA_DISCOVERY_BACKLOG", 500) else -10

    # -- responses -> items -------------------------------------------------------
    def page_record(self, response: Response, kind: str, html: str | None = None,
                    encoding: str | None = None) -> dict[str, Any]:
        body = bytes(response.body)
        wire = response.request.meta.get(WIRE_META) if response.request is not None else None
        record = {
            "url": response.url,
            # the site archived (a mirror on 127.0.0.1 still archives monitorindonesia.com)
            "site": self.site or None,
            "status": response.status,
            # the headers as received (Content-Encoding included), when we saw them
            "headers": wire["headers"] if wire else headers_dict(response.headers),
            "request_headers": headers_dict(response.request.headers) if response.request else {},
            "body": body,
            "fetched_at": utc_now_iso(),
            "kind": kind,
            "encoding": encoding,
            "error": None,
        }
        record.update(wire_fields(wire, body))
        return record

    def decode(self, response: Response) -> str:
        ctype = response.headers.get(b"Content-Type")
        return decode_html(response.body, ctype.decode("latin-1") if ctype else None)

    async def article_item(self, response: Response) -> PageItem:
        html = self.decode(response)
        page = self.page_record(response, "article")
        article = await self.parse_pool.run(parse_article, html, response.url, fetched_at=page["fetched_at"])
        if article.get("parse_error"):  # e.g. a soft 404 behind an article link: say so
            self.logger.info("%s: %s", response.url, article["parse_error"])
        return PageItem(page=page, article=article)

    def listing_item(self, response: Response) -> PageItem | None:
        """The listing page as an item; ``None`` (nothing to store: Scrapy ignores a
        ``None`` output) when it was replayed from the archive in a resumed run."""
        if REPLAY_FLAG in response.flags:
            return None
        return PageItem(page=self.page_record(response, "listing"), article=None)

    def on_error(self, failure):
        """Errback: an HTTP error page is stored with its status; a failed
        download (timeout, refused, reset) is recorded as a page row with the error."""
        request = failure.request
        if failure.check(HttpError):
            response = failure.value.response
            page = self.page_record(response, request.meta.get("kind", "other"))
            page["error"] = f"HTTP {response.status}"
            if request.meta.get("warta_refused"):  # a redirect crawler.safety did not follow
                page["error"] += f": {request.meta['warta_refused']}"
        else:
            page = {
                "url": request.url,
                "site": self.site or None,
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
        status = page.get("status")
        if status is None or status >= 500 or status == 429:  # transient: the run is not complete
            if request.meta.get("kind") == "listing":
                self.listing_failures += 1
            elif request.meta.get("kind") == "article":
                self.article_failures += 1
        yield PageItem(page=page, article=None)


def wire_fields(wire: dict[str, Any] | None, body: bytes) -> dict[str, Any]:
    """Page-record fields for the payload as received (see crawler.middlewares).

    * identity response: the decoded body *is* the payload (``payload_sha256`` of it);
    * ``gzip``: the wire bytes are kept as ``body_gz`` itself when they decompress to
      the body (no second copy, no re-compression): byte-exact at no cost;
    * any other encoding (``br``, ``deflate``, ``zstd``, stacked ones): kept in
      ``wire_body`` beside the usual ``body_gz``.
    """
    encoding = (wire or {}).get("content_encoding")
    raw = (wire or {}).get("body")
    if not encoding or raw is None:
        return {"content_encoding": None, "payload_sha256": hashlib.sha256(body).hexdigest()}
    fields: dict[str, Any] = {"content_encoding": encoding, "payload_sha256": hashlib.sha256(raw).hexdigest()}
    if encoding.lower() == "gzip":
        try:
            same = gzip.decompress(raw) == body
        except (OSError, EOFError, ValueError):
            same = False
        if same:
            fields["body_gz"] = raw
            return fields
    fields["wire_body"] = raw
    return fields
