"""Store every page, and every article with its revisions, in the archive.

Items are buffered and written in one transaction per batch
(``WARTA_BATCH_SIZE`` items or ``WARTA_BATCH_SECONDS``, whichever comes first,
and at close): SQLite manages a few dozen transactions per second but tens of
thousands of rows per transaction.  A crash loses at most the open batch, and
those pages are simply fetched again on the next run because the spider asks
the archive, not its memory, what is already stored.

The pipeline also owns the ``crawl_runs`` row of this run: counts, status and
the process exit code (``warta/exit_code`` in the stats, read by our `crawl`
command).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from crawler import exitcodes

logger = logging.getLogger(__name__)

#: outcome of Archive.store_batch -> crawl_runs counter / stats key
OUTCOME_COUNTERS = {
    "new": "articles_new",
    "updated": "articles_updated",
    "unchanged": "articles_unchanged",
    "duplicate": "duplicates_skipped",
    "parse-error": "parse_errors",
}

#: the fields whose fill rate is recorded per run (parser health)
FILL_FIELDS = ("headline", "byline", "published_at", "updated_at", "caption", "body")


class StoragePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_url = settings.get("WARTA_DATABASE_URL")
        self.batch_size = settings.getint("WARTA_BATCH_SIZE", 50)
        self.batch_seconds = settings.getfloat("WARTA_BATCH_SECONDS", 5.0)
        self.buffer: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.counts: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()
        self.archive = None
        self.run_id: int | None = None
        self.error: str | None = None
        # parser health (issue 4): per-site fill rates and parse failures, see crawler.health
        from crawler.health import HealthConfig, SiteTally

        self.health = SiteTally()
        self.health_config = HealthConfig.from_settings(settings)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        pipeline = cls(crawler)
        # The close reason ("finished", "shutdown", ...) is only known when the
        # spider_closed signal fires, after pipelines have closed.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    # -- lifecycle ------------------------------------------------------------------
    def open_spider(self, spider=None) -> None:
        from storage.repository import Archive

        spider = spider or self.crawler.spider
        settings = self.crawler.settings
        # a lock held longer than WARTA_DB_BUSY_TIMEOUT is logged and retried with
        # backoff (up to WARTA_DB_RETRY_TIMEOUT): waiting for an analyst is visible
        self.archive = Archive(self.db_url, busy_timeout=settings.getfloat("WARTA_DB_BUSY_TIMEOUT", 5.0),
                               retry_timeout=settings.getfloat("WARTA_DB_RETRY_TIMEOUT", 600.0))
        if hasattr(spider, "run_args"):  # ArchiveSpider: the arguments a restart must repeat
            args = spider.run_args()
        else:
            args = {k: v for k, v in vars(spider).items()
                    if k in ("base_url", "since", "until", "max_articles", "sections")
                    and v not in (None, [], "")}
        self.run_id = self.archive.start_run(
            spider.name, {k: str(v) for k, v in args.items()}, getattr(spider, "site", None)
        )
        if self.crawler.stats:  # for the run lock (crawler.runlock) and resume
            self.crawler.stats.set_value("warta/run_id", self.run_id)
        logger.info("archive %s, run %s", self.archive.safe_url, self.run_id)

    def process_item(self, item, spider=None):
        if self.error is not None:  # the archive cannot be written: the crawl is stopping
            self.counts["not_stored"] += 1
            return item
        self.buffer.append(item)
        if (len(self.buffer) >= self.batch_size
                or time.monotonic() - self.last_flush >= self.batch_seconds):
            self.flush()
        return item

    def close_spider(self, spider=None) -> None:
        try:
            self.flush()
        except Exception as exc:  # the run failed to store its last batch
            logger.exception("could not store the last batch")
            self.error = f"{type(exc).__name__}: {exc}"

    def spider_closed(self, spider, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        status, code = self.run_status(reason, self.error)
        stats = {"fill_rates": self.fill_rates(), "finish_reason": reason}
        try:  # ArchiveSpider: mode, revisits, coverage (docs/archive.md)
            stats.update(spider.run_summary() if hasattr(spider, "run_summary") else {})
        except Exception:
            logger.exception("could not summarise the run")
        refused = getattr(spider, "warta_refused", None)  # crawler.runlock: another run holds the lock
        if refused and not self.error:
            self.error = f"refused: {refused}"
        if self.counts["not_stored"]:
            stats["pages_not_stored"] = self.counts["not_stored"]
        code = self.health_check(stats, code)
        if self.crawler.stats:
            self.crawler.stats.set_value("warta/exit_code", code)
            self.crawler.stats.set_value("warta/run_id", self.run_id)
            self.crawler.stats.set_value("warta/run_status", status)
        try:
            self.archive.finish_run(self.run_id, status, self.run_counts(), stats, error=self.error)
        except Exception as exc:  # e.g. the disk is still full: the exit code still says so
            logger.error("could not record the end of run %s in crawl_runs: %s: %s",
                         self.run_id, type(exc).__name__, _first_line(exc))
            if self.crawler.stats and code == exitcodes.OK:
                self.crawler.stats.set_value("warta/exit_code", exitcodes.FAILURE)
        logger.info("run %s %s: %s", self.run_id, status, self.run_counts())
        self.archive.dispose()

    # -- helpers ----------------------------------------------------------------------
    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        touches = [item for item in batch if item.get("touch")]
        if touches:  # revisits found unchanged (304 / same body): bookkeeping, no page row
            batch = [item for item in batch if not item.get("touch")]
            self.store_touches(touches)
            if not batch:
                return
        for item in batch:
            page = item.get("page") or {}
            page["run_id"] = self.run_id
        try:
            outcomes = self.archive.store_batch(batch)
        except Exception as exc:
            self.write_failed(exc, len(batch))
            return
        self.last_flush = time.monotonic()
        stats = self.crawler.stats
        for item, outcome in zip(batch, outcomes):
            self.counts["pages_fetched"] += 1
            if (item.get("page") or {}).get("error"):
                self.counts["http_errors"] += 1
            counter = OUTCOME_COUNTERS.get(outcome)
            if counter:
                self.counts[counter] += 1
                if stats:
                    stats.inc_value(f"warta/{counter}")
            article = item.get("article")
            if article is not None and not article.get("parse_error"):
                self.counts["articles_parsed"] += 1
                for field in FILL_FIELDS:
                    if article.get(field):
                        self.filled[field] += 1
            if article is not None:
                self.health.add(self.site_of_item(item), article)
        if stats:
            stats.set_value("warta/pages_stored", self.counts["pages_fetched"])

    def store_touches(self, touches: list) -> None:
        seen = [(t["touch"]["article_id"], t["touch"].get("seen_at")) for t in touches
                if t["touch"].get("article_id") is not None]
        try:
            self.archive.touch_articles(seen)
        except Exception as exc:
            self.write_failed(exc, len(touches))
            return
        self.last_flush = time.monotonic()
        stats = self.crawler.stats
        for t in touches:
            self.counts["pages_fetched"] += 1
            self.counts["articles_unchanged"] += 1
            if t["touch"].get("status") == 304:
                self.counts["not_modified"] += 1
            if stats:
                stats.inc_value("warta/articles_unchanged")

    def write_failed(self, exc: Exception, lost: int) -> None:
        """A batch could not be written (disk full, I/O error, a lock held past
        WARTA_DB_RETRY_TIMEOUT): the transaction was rolled back, so the archive is
        consistent.  Say so clearly, fail the run and stop the crawl -- fetching more
        pages that cannot be stored would only waste the site's bandwidth."""
        self.counts["not_stored"] += lost
        first = self.error is None
        self.error = f"archive write failed: {type(exc).__name__}: {_first_line(exc)}"
        if not first:
            return
        logger.error(
            "cannot write to the archive %s: %s -- stopping the crawl. The %d page(s) of this "
            "batch were not stored (the transaction was rolled back; the archive is consistent) "
            "and will be fetched again by the next run. Fix the cause (free disk space?) and "
            "run the same command again.",
            self.archive.safe_url if self.archive is not None else "?", _first_line(exc), lost,
        )
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and getattr(engine, "spider", None) is not None:
            from scrapy.utils.defer import deferred_from_coro

            if hasattr(engine, "close_spider_async"):
                deferred_from_coro(engine.close_spider_async(reason="archive_write_failed"))
            else:  # pragma: no cover - Scrapy < 2.14
                engine.close_spider(self.crawler.spider, "archive_write_failed")

    def site_of_item(self, item) -> str | None:
        from storage.repository import normalize_site, site_of

        article = item.get("article") or {}
        page = item.get("page") or {}
        return (normalize_site(article.get("site")) or normalize_site(page.get("site"))
                or normalize_site(getattr(self.crawler.spider, "site", None) or None)
                or site_of(page.get("url") or article.get("url")))

    def health_check(self, stats: dict, code: int) -> int:
        """Record per-site figures in ``stats``, compare them with the sites' history
        and log a layout alarm; an alarm turns an OK exit code into LAYOUT_ALARM."""
        from crawler.health import check_archive

        stats["sites"] = self.health.sites()
        stats["parse_failure_rate"] = self.health.parse_failure_rate()
        if self.error is not None:  # a failed run is neither checked nor (later) history
            return code
        try:
            alarms, skipped = check_archive(self.archive, stats["sites"], self.health_config,
                                            run_id=self.run_id)
        except Exception:  # a health check must never lose the run's record
            logger.exception("parser health check failed")
            return code
        stats["health"] = {"alarms": [a.as_dict() for a in alarms], "skipped": skipped,
                           "checked": sorted(set(stats["sites"]) - set(skipped))}
        for alarm in alarms:
            logger.error(alarm.message)
        if alarms:
            if self.crawler.stats:
                self.crawler.stats.set_value("warta/layout_alarms", len(alarms))
            if code == exitcodes.OK:
                return exitcodes.LAYOUT_ALARM
        return code

    def run_counts(self) -> dict[str, int]:
        counts = {name: self.counts[name] for name in (
            "pages_fetched", "articles_new", "articles_updated", "articles_unchanged",
            "parse_errors", "http_errors", "duplicates_skipped")}
        if self.counts["not_modified"]:  # kept in crawl_runs.stats["counts"]
            counts["not_modified"] = self.counts["not_modified"]
        return counts

    def fill_rates(self) -> dict[str, float]:
        parsed = self.counts["articles_parsed"]
        if not parsed:
            return {}
        return {field: round(self.filled[field] / parsed, 4) for field in FILL_FIELDS}

    @staticmethod
    def run_status(reason: str | None, error: str | None) -> tuple[str, int]:
        if reason == "locked":  # crawler.runlock refused this run: cron overlap
            return "failed", exitcodes.LOCKED
        if error:
            return "failed", exitcodes.FAILURE
        if reason == "finished" or reason == "closespider_itemcount":
            return "ok", exitcodes.OK
        if reason in ("shutdown", "cancelled"):
            return "interrupted", exitcodes.INTERRUPTED
        return "failed", exitcodes.FAILURE


def _first_line(exc: BaseException) -> str:
    """The first line of an exception message (SQLAlchemy appends SQL and a link)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]
