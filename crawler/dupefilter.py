"""A duplicate-request filter whose memory does not grow with the crawl.

Scrapy's default :class:`scrapy.dupefilters.RFPDupeFilter` keeps the fingerprint
of every request it has seen in a Python ``set`` (about 100 bytes per URL): a
backfill of a million article pages holds ~100 MB just for that, and with
``JOBDIR`` it also re-reads the whole ``requests.seen`` file into memory on resume.

:class:`SQLiteDupeFilter` keeps the fingerprints in a SQLite table instead
(``fp BLOB PRIMARY KEY``, ``WITHOUT ROWID``: one B-tree of 20-byte keys) with a
bounded page cache, plus a small in-memory LRU of the most recent fingerprints.
A lookup is one ``INSERT OR IGNORE`` (a few microseconds); memory stays flat
however many requests the crawl makes.

Where the fingerprints live:

* ``WARTA_DUPEFILTER_PATH`` set: that file (kept; a later run with the same file
  skips what this one saw -- normally you want the archive, not this file, to
  decide what is already stored, so leave it unset);
* else with ``JOBDIR``: ``JOBDIR/requests.seen.sqlite`` (kept, so a resumed job
  does not repeat requests, like Scrapy's own ``requests.seen``);
* else: a private temporary SQLite database (``sqlite3.connect("")``), which
  SQLite deletes itself when the connection closes (or the process dies).

Use it with ``-s DUPEFILTER_CLASS=crawler.dupefilter.SQLiteDupeFilter`` (see
``crawler/settings.py`` for the project default).  Settings:
``WARTA_DUPEFILTER_CACHE`` (LRU entries, default 4096), ``WARTA_DUPEFILTER_CACHE_KIB``
(SQLite page cache, default 2048 KiB), ``DUPEFILTER_DEBUG`` (log every duplicate).
Uncommitted fingerprints are committed every ``commit_every`` inserts and at close;
a ``kill -9`` forgets at most those, and re-fetching a page is harmless (the archive
de-duplicates).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import OrderedDict
from pathlib import Path
from typing import Any

from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinter, referer_str

__all__ = ["SQLiteDupeFilter"]

logger = logging.getLogger(__name__)

JOBDIR_FILE = "requests.seen.sqlite"


class SQLiteDupeFilter(BaseDupeFilter):
    """Request fingerprints in SQLite (disk-backed), a small LRU in memory.

    ``path``: the SQLite file (``None``: a private temporary database deleted on close).
    ``cache_size``: fingerprints kept in the in-memory LRU.  ``cache_kib``: SQLite's
    page cache.  ``fingerprinter``: Scrapy's request fingerprinter (the crawler's).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        debug: bool = False,
        *,
        fingerprinter: Any = None,
        cache_size: int = 4096,
        cache_kib: int = 2048,
        commit_every: int = 1000,
        stats: Any = None,
    ) -> None:
        self.path = Path(path) if path else None
        self.debug = debug
        self.fingerprinter = fingerprinter or RequestFingerprinter()
        self.cache_size = max(0, int(cache_size))
        self.cache_kib = max(64, int(cache_kib))
        self.commit_every = max(1, int(commit_every))
        self.stats = stats
        self.logdupes = True
        self._recent: OrderedDict[bytes, None] = OrderedDict()
        self._conn: sqlite3.Connection | None = None
        self._pending = 0

    @classmethod
    def from_crawler(cls, crawler) -> "SQLiteDupeFilter":
        settings = crawler.settings
        path = settings.get("WARTA_DUPEFILTER_PATH")
        if not path:
            jobdir = job_dir(settings)
            path = str(Path(jobdir, JOBDIR_FILE)) if jobdir else None
        return cls(
            path,
            settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
            cache_size=settings.getint("WARTA_DUPEFILTER_CACHE", 4096),
            cache_kib=settings.getint("WARTA_DUPEFILTER_CACHE_KIB", 2048),
            stats=getattr(crawler, "stats", None),
        )

    # -- lifecycle ---------------------------------------------------------------------
    def open(self) -> None:
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path) if self.path is not None else "", isolation_level=None)
            conn.execute(f"PRAGMA cache_size = -{self.cache_kib}")
            if self.path is not None:
                conn.execute("PRAGMA busy_timeout = 30000")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            else:  # scratch data: nothing to protect
                conn.execute("PRAGMA journal_mode = OFF")
                conn.execute("PRAGMA synchronous = OFF")
            conn.execute("CREATE TABLE IF NOT EXISTS seen (fp BLOB PRIMARY KEY) WITHOUT ROWID")
            conn.execute("BEGIN")
            self._conn = conn
        return self._conn

    def close(self, reason: str = "") -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute("COMMIT")
        finally:
            conn.close()
        self._recent.clear()

    # -- the filter --------------------------------------------------------------------
    def request_seen(self, request) -> bool:
        return self.fingerprint_seen(self.fingerprinter.fingerprint(request))

    def fingerprint_seen(self, fp: bytes) -> bool:
        """Record ``fp``; ``True`` if it was recorded before."""
        recent = self._recent
        if fp in recent:
            recent.move_to_end(fp)
            return True
        conn = self._conn or self._connect()
        seen = conn.execute("INSERT OR IGNORE INTO seen (fp) VALUES (?)", (fp,)).rowcount == 0
        if not seen:
            self._pending += 1
            if self._pending >= self.commit_every:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
                self._pending = 0
        if self.cache_size:
            recent[fp] = None
            if len(recent) > self.cache_size:
                recent.popitem(last=False)
        return seen

    def __len__(self) -> int:
        """Number of fingerprints recorded (reads the table: for tests and reports)."""
        conn = self._conn or self._connect()
        return conn.execute("SELECT count(*) FROM seen").fetchone()[0]

    def log(self, request, spider) -> None:
        if self.debug:
            logger.debug("Filtered duplicate request: %(request)s (referer: %(referer)s)",
                         {"request": request, "referer": referer_str(request)}, extra={"spider": spider})
        elif self.logdupes:
            logger.debug("Filtered duplicate request: %(request)s - no more duplicates will be shown"
                         " (see DUPEFILTER_DEBUG to show all duplicates)", {"request": request},
                         extra={"spider": spider})
            self.logdupes = False
        stats = self.stats or getattr(getattr(spider, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value("dupefilter/filtered")
