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
        self.archive = Archive(self.db_url)
        args = {k: v for k, v in vars(spider).items()
                if k in ("base_url", "since", "until", "max_articles", "sections")
                and v not in (None, [], "")}
        self.run_id = self.archive.start_run(
            spider.name, {k: str(v) for k, v in args.items()}, getattr(spider, "site", None)
        )
        logger.info("archive %s, run %s", self.archive.safe_url, self.run_id)

    def process_item(self, item, spider=None):
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
        self.archive.finish_run(self.run_id, status, self.run_counts(), stats, error=self.error)
        if self.crawler.stats:
            self.crawler.stats.set_value("warta/exit_code", code)
            self.crawler.stats.set_value("warta/run_id", self.run_id)
            self.crawler.stats.set_value("warta/run_status", status)
        logger.info("run %s %s: %s", self.run_id, status, self.run_counts())
        self.archive.dispose()

    # -- helpers ----------------------------------------------------------------------
    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        for item in batch:
            page = item.get("page") or {}
            page["run_id"] = self.run_id
        outcomes = self.archive.store_batch(batch)
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
        if stats:
            stats.set_value("warta/pages_stored", self.counts["pages_fetched"])

    def run_counts(self) -> dict[str, int]:
        return {name: self.counts[name] for name in (
            "pages_fetched", "articles_new", "articles_updated", "articles_unchanged",
            "parse_errors", "http_errors", "duplicates_skipped")}

    def fill_rates(self) -> dict[str, float]:
        parsed = self.counts["articles_parsed"]
        if not parsed:
            return {}
        return {field: round(self.filled[field] / parsed, 4) for field in FILL_FIELDS}

    @staticmethod
    def run_status(reason: str | None, error: str | None) -> tuple[str, int]:
        if error:
            return "failed", exitcodes.FAILURE
        if reason == "finished" or reason == "closespider_itemcount":
            return "ok", exitcodes.OK
        if reason in ("shutdown", "cancelled"):
            return "interrupted", exitcodes.INTERRUPTED
        return "failed", exitcodes.FAILURE
