"""One run per spider per archive: the run lock extension (cron overlap).

Enabled in :mod:`crawler.settings` (``EXTENSIONS``).  When the spider opens -- after
the storage pipeline has created this run's ``crawl_runs`` row, before a single
request is made -- it takes the archive lock ``crawl:<spider>``
(:meth:`storage.repository.Archive.acquire_lock`, a row in ``run_locks``):

* lock free, or held by *this* process: taken; a heartbeat refreshes it every
  ``WARTA_LOCK_HEARTBEAT`` seconds (default 30) from the reactor;
* held by a live run: this run is refused at once -- an ERROR line names the
  holder (run id, pid, host, last heartbeat), the spider closes with reason
  ``locked``, the run row ends ``failed`` and the process exits with
  :data:`crawler.exitcodes.LOCKED` (4);
* held by a dead run -- its pid no longer exists on this host, or its heartbeat is
  older than ``WARTA_LOCK_STALE`` seconds (default 300; for holders on another
  host this is the only test) -- it is taken over, with a warning, and the dead
  run's ``crawl_runs`` row is closed as ``interrupted`` with the counts recovered
  from the pages it committed.

The lock is released when the engine stops (normal end, error, Ctrl-C/SIGTERM).
A ``kill -9`` cannot release it: the next run takes it over as above.
``WARTA_LOCK=0`` disables the lock (tests of other components, or an operator
who knows better); a distributed crawl (``WARTA_REDIS_URL``) does not use it: its
workers are meant to run at once and coordinate through Redis.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler import exitcodes

logger = logging.getLogger(__name__)

#: the close reason of a refused run (mapped to exit code 4 by the storage pipeline)
LOCKED_REASON = "locked"
#: the close reason when another process took our lock over (we looked dead)
LOCK_LOST_REASON = "lock_lost"


def lock_name(spider) -> str:
    return f"crawl:{spider.name}"


def _pid_alive(pid: int | None) -> bool:
    from storage.repository import _pid_alive as alive

    return alive(pid)


class RunLockExtension:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("WARTA_LOCK", True):
            raise NotConfigured("WARTA_LOCK is off")
        if settings.get("WARTA_REDIS_URL"):
            # a distributed crawl: many workers of one spider share the run on purpose
            # and coordinate through Redis (crawler/distributed.py)
            raise NotConfigured("distributed crawl: workers coordinate through Redis")
        self.crawler = crawler
        self.db_url = settings.get("WARTA_DATABASE_URL")
        self.heartbeat_every = settings.getfloat("WARTA_LOCK_HEARTBEAT", 30.0)
        self.stale_after = settings.getfloat("WARTA_LOCK_STALE", 300.0)
        self.archive = None
        self.name: str | None = None
        self.run_id: int | None = None
        self.held = False
        self._loop = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    # -- signals ------------------------------------------------------------------------
    def spider_opened(self, spider) -> None:
        from storage.repository import Archive

        stats = self.crawler.stats
        settings = self.crawler.settings
        # the same patience as the storage pipeline: a locked database is waited for visibly
        self.archive = Archive(self.db_url, busy_timeout=settings.getfloat("WARTA_DB_BUSY_TIMEOUT", 5.0),
                               retry_timeout=settings.getfloat("WARTA_DB_RETRY_TIMEOUT", 600.0))
        self.name = lock_name(spider)
        self.run_id = stats.get_value("warta/run_id") if stats else None
        before = self.archive.get_lock(self.name)
        if not self.archive.acquire_lock(self.name, self.run_id, stale_after=self.stale_after):
            holder = self.archive.get_lock(self.name) or before or {}
            message = self.refusal(spider, holder)
            logger.error(message)
            if stats:
                stats.set_value("warta/exit_code", exitcodes.LOCKED)
                stats.set_value("warta/locked_by", holder.get("run_id"))
            spider.warta_refused = message
            raise CloseSpider(LOCKED_REASON)
        self.held = True
        me = (os.getpid(), socket.gethostname())
        if before and (before.get("pid"), before.get("hostname")) != me and before.get("run_id"):
            self.close_dead(before["run_id"], f"process {before.get('pid')} on {before.get('hostname')} "
                                              f"stopped without closing the run; lock taken over by run {self.run_id}")
        self.close_dead_on_this_host(spider)
        if self.heartbeat_every > 0:
            from twisted.internet import task

            self._loop = task.LoopingCall(self.heartbeat)
            self._loop.start(self.heartbeat_every, now=False)

    def spider_closed(self, spider, reason) -> None:
        self._stop_loop()

    def engine_stopped(self) -> None:
        self._stop_loop()
        if self.archive is None:
            return
        try:
            if self.held:
                self.archive.release_lock(self.name, self.run_id)
                self.held = False
        except Exception:  # never hide the run's own outcome behind a release failure
            logger.exception("could not release the archive lock %s (the next run takes it over)", self.name)
        finally:
            self.archive.dispose()

    # -- helpers ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        try:
            ok = self.archive.heartbeat_lock(self.name, self.run_id)
        except Exception:
            logger.exception("archive lock heartbeat failed (retrying in %.0fs)", self.heartbeat_every)
            return
        if not ok:
            logger.error("the archive lock %s was taken over by another run: stopping this one", self.name)
            self.held = False
            self._stop_loop()
            from scrapy.utils.defer import deferred_from_coro

            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=LOCK_LOST_REASON))

    def refusal(self, spider, holder: dict) -> str:
        beat = holder.get("heartbeat_at")
        age = ""
        if isinstance(beat, datetime):
            age = f", last heartbeat {int((datetime.now(timezone.utc) - beat).total_seconds())}s ago"
        return (f"another run of spider {spider.name!r} holds the archive lock "
                f"(run {holder.get('run_id')}, pid {holder.get('pid')} on {holder.get('hostname')}{age}): "
                f"not starting (exit code {exitcodes.LOCKED}). It is taken over automatically once that "
                f"process is gone or its heartbeat is older than {self.stale_after:.0f}s.")

    def close_dead(self, run_id: int, why: str) -> None:
        try:
            if self.archive.close_dead_run(run_id, error=why):
                logger.warning("run %s was left running by a process that died: marked interrupted (%s)",
                               run_id, why)
        except Exception:
            logger.exception("could not close dead run %s", run_id)

    def close_dead_on_this_host(self, spider) -> None:
        """Other ``running`` rows of this spider from dead processes on this host."""
        host = socket.gethostname()
        try:
            runs = self.archive.recent_runs(spider.name, limit=50)
        except Exception:
            logger.exception("could not list earlier runs")
            return
        for run in runs:
            if (run["status"] == "running" and run["id"] != self.run_id and run.get("hostname") == host
                    and not _pid_alive(run.get("pid"))):
                self.close_dead(run["id"], f"process {run.get('pid')} on {host} is gone")

    def _stop_loop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None
