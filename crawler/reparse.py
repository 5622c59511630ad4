"""Re-parse the raw archive with the current parsers: no network, new revisions.

:func:`reparse` runs over the stored article pages -- for every article the latest
page it was fetched from (status 2xx), and every article page the old parser
refused (``parse_error``, no article) -- and puts each through exactly what a
crawl does after the download: ``crawler.parsers.parse_article`` (the parser is
chosen by URL as in a crawl), the clean-text and dates pipelines, then the
canonical URL and content hash of ``pipelines.dedupe``.  The result is compared
field by field with the stored article (:data:`COMPARED`):

* same everywhere: nothing is written (``unchanged``);
* any field differs: a new revision (``article_revisions`` row, the article row
  shows it) -- also when only a field outside the content hash changed (a date
  parser fix): a re-parse is explicit and reported, and the revision history
  then shows exactly what the parser change did.  ``first_seen_at`` /
  ``last_seen_at`` are not touched (a re-parse is not a visit);
* the page now parses but did not before: a new article (``new``), linked to the
  page;
* the page no longer parses (``now_unparseable``): the stored article is kept as it
  is and counted -- a parser regression must never erase the archive.

A crawl that writes a revision of the same article meanwhile wins: the re-parsed
result is dropped (``conflicts``) and the next re-parse picks the article up again.

Streaming: articles are read 200 at a time (each with its one page body) and
written 100 at a time, so memory does not grow with the archive.  ``since`` /
``until`` filter on the publication date (days in WIB, both ends inclusive) like
``warta export``; previously unparsed pages are filtered on the date the new
parser finds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from crawler.parsepool import ParsePool, worker_count
from crawler.parsers import parse_article
from crawler.parsers.encoding import decode_html
from pipelines.clean import CleanTextPipeline
from pipelines.dates import DatesPipeline
from pipelines.dedupe import canonicalize_url, content_hash

logger = logging.getLogger(__name__)

__all__ = ["reparse", "COMPARED", "parse_stored_page", "reparse_html"]

#: article fields compared with the stored row (identity fields -- canonical URL,
#: site, site article id -- and extraction metadata -- parser, warnings,
#: field_sources -- are not; they are updated with a revision all the same)
COMPARED = (
    "section", "headline", "byline", "editor", "published_at", "updated_at", "published_raw",
    "updated_raw", "dateline", "caption", "caption_credit", "lead_image_url", "body", "tags", "language",
)
_WRITE_BATCH = 100
_READ_BATCH = 200
#: pages handed to the parse workers at once (all in flight, one per worker at a time)
_PARSE_CHUNK = 64


def _norm(value: Any) -> Any:
    if value in (None, "", [], {}, ()):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="seconds")
    return str(value)


_CLEAN = CleanTextPipeline()
_DATES = DatesPipeline()


def parse_stored_page(page: dict[str, Any]) -> dict[str, Any]:
    """A stored page (``pages`` row with ``body``) -> the article dict a crawl would
    have stored for it with today's parsers (``parse_error`` set if not an article)."""
    return reparse_html(decode_html(page["body"], page.get("content_type")), page["url"],
                        fetched_at=_iso(page.get("fetched_at")))


def reparse_html(html: str, url: str, fetched_at: str | None = None) -> dict[str, Any]:
    """What a crawl does after the download: parse, clean, dates, canonical URL and
    content hash.  Pure, so it runs in a parse worker (crawler/parsepool.py) too."""
    article = parse_article(html, url, fetched_at=fetched_at)
    item = {"page": {"url": url, "fetched_at": fetched_at}, "article": article}
    if not article.get("parse_error"):
        _CLEAN.process_item(item)
        _DATES.process_item(item)
        source = article.get("canonical_url") or article.get("url")
        if source:
            article["canonical_url"] = canonicalize_url(source)
        article["content_hash"] = content_hash(article)
    return article


def _parsed(sources: Iterable[tuple[Any, dict[str, Any] | None]], pool: ParsePool,
            loop: asyncio.AbstractEventLoop | None) -> Iterator[tuple[Any, dict[str, Any] | None, Any]]:
    """``(key, page, article or the exception)`` in the order of ``sources``; pages
    are parsed :data:`_PARSE_CHUNK` at a time by the pool's workers and this process
    together (inline only, without workers)."""
    chunk: list[tuple[Any, dict[str, Any] | None]] = []

    async def in_workers(jobs: list[tuple[str, str, str | None]]) -> list[Any]:
        # the workers take pages from the front, this process from the back
        tasks = [asyncio.ensure_future(pool.run(reparse_html, *job)) for job in jobs]
        await asyncio.sleep(0)  # every page queued and the first ones sent
        pending = set(tasks)
        while pending:
            if pool.help_inline():
                await asyncio.sleep(0)  # one turn of the loop: answers in, pages out
            else:
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending = {task for task in pending if not task.done()}
        return [task.result() for task in tasks]

    def parse(batch: list[tuple[Any, dict[str, Any] | None]]) -> Iterator[tuple[Any, dict[str, Any] | None, Any]]:
        jobs: dict[int, tuple[str, str, str | None]] = {}
        out: list[Any] = [None] * len(batch)
        for i, (_key, page) in enumerate(batch):
            if page is None:
                continue
            try:
                html = decode_html(page["body"], page.get("content_type"))
            except Exception as exc:  # a body decode_html cannot handle: counted, not fatal
                out[i] = exc
                continue
            jobs[i] = (html, page["url"], _iso(page.get("fetched_at")))
        if loop is not None and jobs:
            for i, article in zip(jobs, loop.run_until_complete(in_workers(list(jobs.values())))):
                out[i] = article
        else:
            for i, job in jobs.items():
                try:
                    out[i] = reparse_html(*job)
                except Exception as exc:  # parse_article never raises; a pipeline might
                    out[i] = exc
        for (key, page), result in zip(batch, out):
            yield key, page, result

    for source in sources:
        chunk.append(source)
        if len(chunk) >= _PARSE_CHUNK:
            yield from parse(chunk)
            chunk = []
    if chunk:
        yield from parse(chunk)


def _in_window(published_at: str | None, since: Any, until: Any) -> bool:
    if since is None and until is None:
        return True
    from storage.repository import date_range, to_utc, WIB

    when = to_utc(published_at, naive_tz=WIB)
    if when is None:
        return False
    start, end = date_range(since, until)
    return (start is None or when >= start) and (end is None or when < end)


async def _close(pool: ParsePool) -> None:
    pool.close()


def reparse(archive, *, site: str | None = None, since: Any = None, until: Any = None,
            progress: Callable[[int, int | None], Any] | None = None,
            workers: int | str | None = None) -> dict[str, Any]:
    """Re-parse stored article pages with the current parsers; write new revisions
    where the result changed.  Returns a summary::

        {"articles": checked, "updated": n, "unchanged": n, "new": n,
         "now_unparseable": n, "no_page": n, "conflicts": n, "errors": n,
         "fields": {field: articles whose field changed}, "parsers": {name: pages},
         "seconds": s}

    ``progress(done, total)`` is called every 100 pages and at the end (``total``
    is ``None`` while the pages the old parser refused are gone through).
    ``workers``: parse processes beside this one (``crawler/parsepool.py``; default
    ``WARTA_PARSE_WORKERS`` from the environment, else ``auto``; 0 = inline).
    """
    started = time.monotonic()
    summary: dict[str, Any] = {"articles": 0, "updated": 0, "unchanged": 0, "new": 0, "now_unparseable": 0,
                               "no_page": 0, "conflicts": 0, "errors": 0, "exists": 0}
    fields: Counter[str] = Counter()
    parsers: Counter[str] = Counter()
    pending: list[dict[str, Any]] = []
    total = archive.count_reparse_sources(site, since, until)
    done = 0

    def flush() -> None:
        if not pending:
            return
        for outcome in archive.revise_articles(pending):
            key = {"updated": "updated", "new": "new", "conflict": "conflicts", "exists": "exists"}.get(outcome)
            if key:
                summary[key] += 1
        pending.clear()

    def tick(total_now: int | None) -> None:
        if progress is not None and done % _WRITE_BATCH == 0:
            progress(done, total_now)

    pool = ParsePool(worker_count(workers if workers is not None
                                  else os.environ.get("WARTA_PARSE_WORKERS", "auto")))
    loop = asyncio.new_event_loop() if pool.workers else None
    try:
        sources = archive.iter_reparse_sources(site, since, until, batch=_READ_BATCH)
        for row, page, article in _parsed(sources, pool, loop):
            summary["articles"] += 1
            done += 1
            if page is None:
                summary["no_page"] += 1
                tick(total)
                continue
            if isinstance(article, Exception):
                logger.error("re-parsing page %s (%s) failed: %r", page.get("id"), page.get("url"), article)
                summary["errors"] += 1
                tick(total)
                continue
            parsers[str(article.get("parser"))] += 1
            if article.get("parse_error"):
                summary["now_unparseable"] += 1
                logger.warning("article %s no longer parses (%s): kept as stored", row["canonical_url"],
                               article["parse_error"])
                tick(total)
                continue
            changed = [f for f in COMPARED if _norm(article.get(f)) != _norm(row.get(f))]
            if not changed:
                summary["unchanged"] += 1
            else:
                fields.update(changed)
                pending.append({"article": article, "page_id": page["id"], "page_url": page["url"],
                                "fetched_at": page.get("fetched_at"), "article_id": row["id"],
                                "expected_revision": row["revision"]})
                if len(pending) >= _WRITE_BATCH:
                    flush()
            tick(total)
        flush()

        unparsed = ((page, page) for page in archive.iter_unparsed_pages(site, batch=_READ_BATCH))
        for _key, page, article in _parsed(unparsed, pool, loop):
            done += 1
            if isinstance(article, Exception):
                logger.error("re-parsing page %s (%s) failed: %r", page.get("id"), page.get("url"), article)
                summary["errors"] += 1
                continue
            if article.get("parse_error") or not _in_window(article.get("published_at"), since, until):
                continue
            parsers[str(article.get("parser"))] += 1
            pending.append({"article": article, "page_id": page["id"], "page_url": page["url"],
                            "fetched_at": page.get("fetched_at"), "article_id": None})
            if len(pending) >= _WRITE_BATCH:
                flush()
            tick(None)
        flush()
    finally:
        if loop is not None:
            loop.run_until_complete(_close(pool))
            loop.close()
    if progress is not None:
        progress(done, total if done == total else None)
    summary["fields"] = dict(sorted(fields.items(), key=lambda kv: (-kv[1], kv[0])))
    summary["parsers"] = dict(parsers)
    summary["seconds"] = round(time.monotonic() - started, 3)
    return summary
