"""Distributed crawls over Redis: scrapy-redis frontier, leases, idle exit.

With ``WARTA_REDIS_URL`` set, ``crawler/settings.py`` merges
:func:`distributed_settings` into the Scrapy settings and ``scrapy crawl
monitor`` becomes one worker of a shared crawl.  Any number of workers, on any
number of machines, run the same command with the same ``WARTA_CRAWL_ID``:

* **Frontier and duplicate filter in Redis** (scrapy-redis): the request queue
  is scrapy-redis' ``PriorityQueue`` (a sorted set, listings before articles),
  the duplicate filter its ``RFPDupeFilter`` (a set of SHA-1 fingerprints);
  ``SCHEDULER_PERSIST`` keeps both when a worker stops, so a crawl can be
  paused and resumed and workers can join late.
* **Seeding by the first worker.**  Every worker that starts before the crawl
  has been seeded offers the spider's start requests; the dupefilter admits
  each exactly once (check-and-push is one Lua script), and the worker that
  finishes offering them sets ``<crawl>:seeded``.  Workers that join later skip
  the start requests.  A seeder killed half-way is harmless: the next worker
  offers the rest.
* **Leases (crash tolerance).**  scrapy-redis *pops* a request: a worker killed
  after the pop loses it, and with it every article it would have led to.
  Here the pop is a Lua script that moves the request atomically into the
  worker's in-flight hash ``<crawl>:inflight:<worker>``, and the worker keeps
  ``<crawl>:alive:<worker>`` alive (``WARTA_LEASE_SECONDS`` TTL, refreshed every
  ``WARTA_REDIS_POLL_SECONDS`` and on every pop).  A request is acknowledged
  (removed from the hash) only when it is finished for good: its callback's
  new requests are in the Redis queue *and* the items it produced are
  committed to the database (the first commit of the storage pipeline after
  they passed it).  When a worker's alive key expires, the next worker to look
  (every poll) puts its in-flight requests back into the queue, in the same
  Lua script that notices the death.  So every request is at any moment either
  queued, leased by a live worker, leased by a dead worker (and about to be
  re-queued), or done; a SIGKILL costs at most a re-fetch of the dead worker's
  leases (the database's unique constraints turn a re-fetched article into
  ``unchanged``, never a duplicate).
* **Idle exit.**  A worker whose engine is idle flushes its storage batch,
  settles its leases and looks at the frontier (queue length plus every
  worker's in-flight count, atomically).  When that has been zero for
  ``MAX_IDLE_TIME_BEFORE_CLOSE`` seconds (``WARTA_IDLE_CLOSE_SECONDS``) it
  closes with reason ``finished``.  Because children are queued before their
  parent is acknowledged, "no queued and no leased request" means the crawl is
  complete, not merely paused between two listing pages.

Watch a crawl with ``python -m crawler.distributed status`` (``--watch 5``),
or with ``redis-cli zcard warta:<crawl>:monitor:requests``; remove its keys with
``python -m crawler.distributed reset``.  See docs/scale-out.md.

Limits: one Redis (Lua scripts touch several keys of one crawl, so a Redis
Cluster needs the keys in one hash slot, e.g. a ``{crawl}`` tag in the prefix);
an errback that yields an item *and then* requests could have its request
acknowledged before the later requests are queued (Warta's errbacks yield one
page record and nothing else).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import secrets
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler

from pipelines.store import StoragePipeline

logger = logging.getLogger(__name__)

#: request.meta key holding the lease token of a request popped by this worker
TOKEN = "warta_lease"

DEFAULT_PREFIX = "warta:"
DEFAULT_CRAWL_ID = "default"
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_IDLE_CLOSE_SECONDS = 30.0
DEFAULT_POLL_SECONDS = 1.0

STORE_PIPELINE = "pipelines.store.StoragePipeline"


# ------------------------------------------------------------------------------------------
# settings
# ------------------------------------------------------------------------------------------


def distributed_settings(env: Mapping[str, str], current: Mapping[str, Any]) -> dict[str, Any]:
    """The Scrapy settings of a distributed worker (``WARTA_REDIS_URL`` is set).

    ``env`` is the environment, ``current`` the settings module's globals (its
    ``ITEM_PIPELINES``, ``EXTENSIONS`` and ``SPIDER_MIDDLEWARES`` are extended,
    not replaced).  Environment variables:

    ``WARTA_REDIS_URL``            redis://host:6379/0 (required)
    ``WARTA_CRAWL_ID``             name of the crawl; workers with the same id share it [default]
    ``WARTA_REDIS_PREFIX``         prefix of every key [warta:]
    ``WARTA_LEASE_SECONDS``        a worker silent this long is dead, its requests re-queued [60]
    ``WARTA_IDLE_CLOSE_SECONDS``   exit when the frontier has been empty this long [30]
    ``WARTA_REDIS_POLL_SECONDS``   heartbeat / frontier check interval [1]
    """
    url = env["WARTA_REDIS_URL"]
    prefix = env.get("WARTA_REDIS_PREFIX") or DEFAULT_PREFIX
    crawl_id = env.get("WARTA_CRAWL_ID") or DEFAULT_CRAWL_ID
    base = f"{prefix}{crawl_id}:%(spider)s:"
    pipelines = dict(current.get("ITEM_PIPELINES") or {})
    priority = pipelines.pop(STORE_PIPELINE, 400)
    pipelines["crawler.distributed.LeasedStoragePipeline"] = priority
    return {
        "WARTA_REDIS_URL": url,
        "WARTA_REDIS_PREFIX": prefix,
        "WARTA_CRAWL_ID": crawl_id,
        "REDIS_URL": url,
        "SCHEDULER": "crawler.distributed.LeasedScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_QUEUE_KEY": base + "requests",
        "SCHEDULER_DUPEFILTER_KEY": base + "dupefilter",
        "MAX_IDLE_TIME_BEFORE_CLOSE": float(env.get("WARTA_IDLE_CLOSE_SECONDS") or DEFAULT_IDLE_CLOSE_SECONDS),
        "WARTA_LEASE_SECONDS": float(env.get("WARTA_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS),
        "WARTA_REDIS_POLL_SECONDS": float(env.get("WARTA_REDIS_POLL_SECONDS") or DEFAULT_POLL_SECONDS),
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": {**(current.get("EXTENSIONS") or {}), "crawler.distributed.DistributedCrawl": 100},
        "SPIDER_MIDDLEWARES": {**(current.get("SPIDER_MIDDLEWARES") or {}),
                               "crawler.distributed.LeaseSpiderMiddleware": 10},
    }


class CrawlKeys:
    """Redis keys of one crawl of one spider: ``<prefix><crawl_id>:<spider>:...``."""

    def __init__(self, prefix: str, crawl_id: str, spider: str) -> None:
        self.base = f"{prefix}{crawl_id}:{spider}:"
        self.queue = self.base + "requests"        # zset (scrapy-redis PriorityQueue)
        self.dupefilter = self.base + "dupefilter"  # set of fingerprints (scrapy-redis RFPDupeFilter)
        self.workers = self.base + "workers"        # set of worker ids that may hold leases
        self.stats = self.base + "stats"            # hash of counters
        self.seeded = self.base + "seeded"          # set once the start requests are all queued
        self.failed = self.base + "failed"          # list of queue entries that could not be decoded

    @classmethod
    def from_settings(cls, settings, spider: str) -> "CrawlKeys":
        keys = cls(settings.get("WARTA_REDIS_PREFIX") or DEFAULT_PREFIX,
                   settings.get("WARTA_CRAWL_ID") or DEFAULT_CRAWL_ID, spider)
        # scrapy-redis owns the queue and dupefilter key settings; follow them
        keys.queue = settings.get("SCHEDULER_QUEUE_KEY", keys.queue) % {"spider": spider}
        keys.dupefilter = settings.get("SCHEDULER_DUPEFILTER_KEY", keys.dupefilter) % {"spider": spider}
        return keys

    def alive(self, worker: str) -> str:
        return f"{self.base}alive:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.base}inflight:{worker}"

    def all_keys(self, server) -> list[str]:
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in self.base) + "*"
        return sorted(k.decode() if isinstance(k, bytes) else k
                      for k in server.scan_iter(match=pattern, count=1000))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


# ------------------------------------------------------------------------------------------
# Lua scripts (each one atomic on the Redis server)
# ------------------------------------------------------------------------------------------

#: KEYS dupefilter, queue, inflight(own), stats; ARGV fingerprint ('' = dont_filter), score,
#: data, lease token of the request this one replaces ('' = none: a new request)
_ENQUEUE = """
local added = 1
if ARGV[1] ~= '' then added = redis.call('SADD', KEYS[1], ARGV[1]) end
if added == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  redis.call('HINCRBY', KEYS[4], 'enqueued', 1)
else
  redis.call('HINCRBY', KEYS[4], 'filtered', 1)
end
if ARGV[4] ~= '' and redis.call('HDEL', KEYS[3], ARGV[4]) == 1 then
  redis.call('HINCRBY', KEYS[4], 'acked', 1)
end
return added
"""

#: KEYS queue, inflight(own), workers, alive(own), stats; ARGV token, lease ms, worker id.
#: The lowest score first (scrapy-redis PriorityQueue: score = -priority).
_POP = """
local r = redis.call('ZPOPMIN', KEYS[1])
if #r == 0 then return false end
redis.call('HSET', KEYS[2], ARGV[1], r[2] .. '|' .. r[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[2])
redis.call('HINCRBY', KEYS[5], 'dequeued', 1)
return r[1]
"""

#: KEYS workers, queue, stats; ARGV key base.  Re-queues the leases of every worker whose
#: alive key has expired and returns {queued, in flight (live workers), live workers,
#: re-queued now, dead workers found}.
_FRONTIER = """
local inflight, alive, reclaimed, dead = 0, 0, 0, 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = ARGV[1] .. 'inflight:' .. w
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. w) == 1 then
    alive = alive + 1
    inflight = inflight + redis.call('HLEN', h)
  else
    dead = dead + 1
    local e = redis.call('HGETALL', h)
    for i = 1, #e, 2 do
      local v = e[i + 1]
      local s = string.find(v, '|', 1, true)
      redis.call('ZADD', KEYS[2], string.sub(v, 1, s - 1), string.sub(v, s + 1))
      reclaimed = reclaimed + 1
    end
    redis.call('DEL', h)
    redis.call('SREM', KEYS[1], w)
  end
end
if reclaimed > 0 then redis.call('HINCRBY', KEYS[3], 'reclaimed', reclaimed) end
return {redis.call('ZCARD', KEYS[2]), inflight, alive, reclaimed, dead}
"""

#: KEYS inflight(own), queue, stats: put every lease of this worker back into the queue.
_REQUEUE = """
local e = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #e, 2 do
  local v = e[i + 1]
  local s = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, s - 1), string.sub(v, s + 1))
  n = n + 1
end
redis.call('DEL', KEYS[1])
if n > 0 then redis.call('HINCRBY', KEYS[3], 'requeued', n) end
return n
"""


def _token_of(response: Any) -> str | None:
    """The lease token of the request behind a Response (or a download Failure)."""
    request = getattr(response, "request", None) if response is not None else None
    meta = getattr(request, "meta", None) if request is not None else None
    return meta.get(TOKEN) if meta else None


# ------------------------------------------------------------------------------------------
# the per-worker lease bookkeeping
# ------------------------------------------------------------------------------------------


class LeaseTracker:
    """This worker's view of the shared crawl: pops with leases, acknowledgements,
    heartbeat, frontier checks.  One per crawler (:meth:`of`)."""

    _ATTR = "_warta_lease_tracker"

    @classmethod
    def of(cls, crawler) -> "LeaseTracker":
        tracker = getattr(crawler, cls._ATTR, None)
        if tracker is None:
            tracker = cls(crawler)
            setattr(crawler, cls._ATTR, tracker)
        return tracker

    def __init__(self, crawler) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("WARTA_REDIS_URL is not set")
        self.crawler = crawler
        self.server = get_redis_from_settings(settings)
        self.keys = CrawlKeys.from_settings(settings, crawler.spidercls.name)
        self.worker = worker_id()
        self.lease_ms = max(1000, int(settings.getfloat("WARTA_LEASE_SECONDS", DEFAULT_LEASE_SECONDS) * 1000))
        self._enqueue = self.server.register_script(_ENQUEUE)
        self._pop = self.server.register_script(_POP)
        self._frontier = self.server.register_script(_FRONTIER)
        self._requeue = self.server.register_script(_REQUEUE)
        self._seq = itertools.count(1)
        #: token -> items yielded by its callback not yet through the item pipelines
        self.outstanding: dict[str, int] = {}
        #: tokens whose work is queued / in the storage batch: acknowledged at the next commit
        self.ready: list[str] = []
        self.pipeline: LeasedStoragePipeline | None = None
        self.store_failed = False

    @property
    def inflight_key(self) -> str:
        return self.keys.inflight(self.worker)

    # -- membership ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.sadd(self.keys.workers, self.worker)
        pipe.set(self.keys.alive(self.worker), self.worker, px=self.lease_ms)
        pipe.execute()

    register = heartbeat

    def deregister(self) -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.srem(self.keys.workers, self.worker)
        pipe.delete(self.keys.alive(self.worker))
        pipe.execute()

    # -- seeding -------------------------------------------------------------------------------
    def seeded(self) -> bool:
        return bool(self.server.exists(self.keys.seeded))

    def mark_seeded(self) -> None:
        self.server.set(self.keys.seeded, json.dumps({"worker": self.worker, "at": time.time()}), nx=True)

    # -- queue ---------------------------------------------------------------------------------
    def push(self, request: Request, dupefilter, queue) -> bool:
        """Queue ``request`` unless its fingerprint was seen (one atomic step); a
        request carrying a lease token (a retry or a redirect of a request we popped)
        releases that lease in the same step."""
        token = request.meta.get(TOKEN)
        if token is not None:
            request = request.replace(meta={k: v for k, v in request.meta.items() if k != TOKEN})
        fingerprint = "" if request.dont_filter else dupefilter.request_fingerprint(request)
        data = queue._encode_request(request)
        added = self._enqueue(keys=[dupefilter.key, queue.key, self.inflight_key, self.keys.stats],
                              args=[fingerprint, -request.priority, data, token or ""])
        return bool(added)

    def pop(self, queue) -> Request | None:
        token = str(next(self._seq))
        data = self._pop(keys=[queue.key, self.inflight_key, self.keys.workers,
                               self.keys.alive(self.worker), self.keys.stats],
                         args=[token, self.lease_ms, self.worker])
        if data is None:
            return None
        try:
            request = queue._decode_request(data)
        except Exception:
            logger.exception("cannot decode a queued request; moved to %s", self.keys.failed)
            self.server.rpush(self.keys.failed, data)
            self.acknowledge([token])
            return None
        request.meta[TOKEN] = token
        return request

    # -- acknowledgements ------------------------------------------------------------------
    def output_done(self, token: str, n_items: int) -> None:
        """The callback of ``token`` finished: its requests are queued, ``n_items``
        items are on their way through the pipelines."""
        if n_items <= 0:
            self.ready.append(token)
        else:
            self.outstanding[token] = self.outstanding.get(token, 0) + n_items

    def item_done(self, token: str) -> None:
        """One item of ``token`` left the item pipelines (stored in the batch, dropped or failed)."""
        left = self.outstanding.get(token)
        if left is None:  # an errback's item: errbacks do not pass spider middlewares
            self.ready.append(token)
        elif left <= 1:
            del self.outstanding[token]
            self.ready.append(token)
        else:
            self.outstanding[token] = left - 1

    def take_ready(self) -> list[str]:
        ready, self.ready = self.ready, []
        return ready

    def restore_ready(self, tokens: Iterable[str]) -> None:
        self.ready[:0] = list(tokens)

    def acknowledge(self, tokens: Iterable[str]) -> int:
        tokens = sorted(set(tokens))
        if not tokens:
            return 0
        done = self.server.hdel(self.inflight_key, *tokens)
        if done:
            self.server.hincrby(self.keys.stats, "acked", done)
        return done

    def count_stored(self, counts: Mapping[str, int]) -> None:
        counts = {k: int(v) for k, v in counts.items() if v}
        if counts:
            pipe = self.server.pipeline(transaction=False)
            for name, value in counts.items():
                pipe.hincrby(self.keys.stats, name, value)
            pipe.execute()

    def settle(self) -> None:
        """The engine is idle (nothing downloading, nothing in the pipelines): commit
        the storage batch and release every lease we still hold.  Leases left after a
        successful commit belong to requests that produced nothing to store (e.g. an
        ignored request); after a failed commit they are re-queued instead."""
        if self.pipeline is not None:
            try:
                self.pipeline.flush()
            except Exception:
                logger.exception("could not store the batch; our leases go back to the queue")
                self.store_failed = True
        self.outstanding.clear()
        self.ready.clear()
        if self.store_failed:
            n = self.requeue_own()
            if n:
                logger.warning("re-queued %d requests whose items could not be stored", n)
            return
        left = self.server.hlen(self.inflight_key)
        if left and self.server.delete(self.inflight_key):
            pipe = self.server.pipeline(transaction=False)
            pipe.hincrby(self.keys.stats, "acked", left)
            pipe.hincrby(self.keys.stats, "released_at_idle", left)
            pipe.execute()
            logger.debug("released %d leases at idle", left)

    def requeue_own(self) -> int:
        return int(self._requeue(keys=[self.inflight_key, self.keys.queue, self.keys.stats]))

    # -- the frontier ------------------------------------------------------------------------
    def frontier(self) -> dict[str, int]:
        """Queued and leased requests of the whole crawl, after re-queueing the leases
        of dead workers."""
        queued, inflight, alive, reclaimed, dead = self._frontier(
            keys=[self.keys.workers, self.keys.queue, self.keys.stats], args=[self.keys.base])
        if reclaimed or dead:
            logger.warning("re-queued %d requests leased by %d dead worker(s)", reclaimed, dead)
        return {"queued": int(queued), "inflight": int(inflight), "workers": int(alive),
                "reclaimed": int(reclaimed), "dead": int(dead)}


# ------------------------------------------------------------------------------------------
# Scrapy components
# ------------------------------------------------------------------------------------------


class LeasedScheduler(Scheduler):
    """scrapy-redis' scheduler (queue, dupefilter, persistence) with an atomic
    check-and-push and a leased pop (see the module documentation)."""

    tracker: LeaseTracker

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.tracker = LeaseTracker.of(crawler)
        return instance

    def open(self, spider):
        super().open(spider)
        self.tracker.register()
        logger.info("worker %s of crawl %s (queue %s: %d requests)", self.tracker.worker,
                    self.tracker.keys.base, self.queue.key, len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        if not self.tracker.push(request, self.df, self.queue):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.tracker.pop(self.queue)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class LeaseSpiderMiddleware:
    """Seeds once per crawl, and tells the tracker when a callback is finished.

    Requests of a callback's output pass straight through (the engine queues them
    in Redis synchronously); its items are held back until the output is exhausted
    and then released, so by the time an item is stored every request the same
    callback produced is already in the queue.
    """

    def __init__(self, crawler) -> None:
        self.tracker = LeaseTracker.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_start(self, start):
        if self.tracker.seeded():
            logger.info("crawl %s is already seeded: joining it", self.tracker.keys.base)
            return
        async for request_or_item in start:
            if isinstance(request_or_item, Request) and request_or_item.dont_filter:
                # dont_filter means "again in every run" (listings, revisits); within one
                # crawl id each start request is still admitted once, however many
                # workers seed at the same moment
                request_or_item = request_or_item.replace(dont_filter=False)
            yield request_or_item
        self.tracker.mark_seeded()  # every start request has been queued (or was seen)

    def process_spider_output(self, response, result, spider=None):
        token = _token_of(response)
        items = []
        for obj in result:
            if isinstance(obj, Request):
                obj.meta.pop(TOKEN, None)  # a child never inherits its parent's lease
                yield obj
            elif token is None:
                yield obj
            else:
                items.append(obj)
        if token is not None:
            self.tracker.output_done(token, len(items))
            yield from items

    async def process_spider_output_async(self, response, result, spider=None):
        token = _token_of(response)
        items = []
        async for obj in result:
            if isinstance(obj, Request):
                obj.meta.pop(TOKEN, None)
                yield obj
            elif token is None:
                yield obj
            else:
                items.append(obj)
        if token is not None:
            self.tracker.output_done(token, len(items))
            for obj in items:
                yield obj


class LeasedStoragePipeline(StoragePipeline):
    """The storage pipeline; after each commit it acknowledges the leases whose
    items that commit (or an earlier one) stored, and counts progress in Redis."""

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.tracker = LeaseTracker.of(crawler)
        self.tracker.pipeline = self

    def flush(self) -> None:
        ready = self.tracker.take_ready()
        before = Counter(self.counts)
        try:
            super().flush()
        except Exception:
            self.tracker.restore_ready(ready)
            self.tracker.store_failed = True
            raise
        if getattr(self, "error", None) is not None:
            # the archive could not be written (StoragePipeline records it and stops the
            # crawl): nothing is acknowledged, our leases go back to the queue at close
            self.tracker.restore_ready(ready)
            self.tracker.store_failed = True
            return
        self.tracker.acknowledge(ready)
        self.tracker.count_stored(Counter(self.counts) - before)


class DistributedCrawl:
    """Heartbeat, re-queueing of dead workers' leases, idle exit, lease settlement."""

    def __init__(self, crawler) -> None:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("WARTA_REDIS_URL is not set")
        self.crawler = crawler
        self.tracker = LeaseTracker.of(crawler)
        self.idle_close = crawler.settings.getfloat("MAX_IDLE_TIME_BEFORE_CLOSE", DEFAULT_IDLE_CLOSE_SECONDS)
        self.poll = max(0.05, crawler.settings.getfloat("WARTA_REDIS_POLL_SECONDS", DEFAULT_POLL_SECONDS))
        self.idle_since: float | None = None
        self.loop = None
        self.last_state: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(ext.item_done, signal=signal)
        return ext

    def spider_opened(self, spider) -> None:
        from twisted.internet.task import LoopingCall

        self.tracker.register()
        self.loop = LoopingCall(self.tick)
        self.loop.start(self.poll, now=False).addErrback(
            lambda failure: logger.error("heartbeat loop stopped: %s", failure.getErrorMessage()))

    def item_done(self, item=None, response=None, **kwargs) -> None:
        token = _token_of(response)
        if token is not None:
            self.tracker.item_done(token)

    def tick(self) -> None:
        """Every poll: stay alive, re-queue dead workers' leases, wake the engine
        (an idle engine only asks the scheduler every 5 s by itself)."""
        try:
            self.tracker.heartbeat()
            self.last_state = self.tracker.frontier()
        except Exception as exc:  # Redis unreachable: keep going, we retry next tick
            logger.warning("redis: %s", exc)
            return
        engine = getattr(self.crawler, "engine", None)
        slot = getattr(engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def spider_idle(self, spider) -> None:
        self.tracker.settle()
        state = self.last_state = self.tracker.frontier()
        if state["queued"] or state["inflight"]:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
            logger.info("frontier of %s is empty; closing in %.0fs unless work appears",
                        self.tracker.keys.base, self.idle_close)
        if now - self.idle_since < self.idle_close:
            raise DontCloseSpider
        logger.info("frontier empty for %.0fs: worker %s done", now - self.idle_since, self.tracker.worker)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            pipeline = self.tracker.pipeline
            clean = reason == "finished" and not self.tracker.store_failed and not getattr(pipeline, "error", None)
            if clean:
                left = self.tracker.server.hlen(self.tracker.inflight_key)
                if left:
                    self.tracker.server.delete(self.tracker.inflight_key)
                    self.tracker.server.hincrby(self.tracker.keys.stats, "acked", left)
            else:
                n = self.tracker.requeue_own()
                if n:
                    logger.warning("closing (%s): %d leased requests went back to the queue", reason, n)
            self.tracker.deregister()
        except Exception as exc:
            logger.warning("could not deregister worker %s: %s (its leases expire in %.0fs)",
                           self.tracker.worker, exc, self.tracker.lease_ms / 1000)


# ------------------------------------------------------------------------------------------
# status / reset (python -m crawler.distributed ...)
# ------------------------------------------------------------------------------------------


def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def crawl_status(server, keys: CrawlKeys) -> dict[str, Any]:
    """A snapshot of a crawl: queue, dupefilter, leases, workers, counters."""
    workers = []
    for w in sorted(_text(w) for w in server.smembers(keys.workers)):
        ttl = server.pttl(keys.alive(w))
        workers.append({"worker": w, "alive": ttl > 0, "lease_left_s": round(max(ttl, 0) / 1000, 1),
                        "inflight": server.hlen(keys.inflight(w))})
    seeded = server.get(keys.seeded)
    stats = {_text(k): int(v) for k, v in server.hgetall(keys.stats).items()}
    return {
        "crawl": keys.base,
        "seeded": json.loads(seeded) if seeded else None,
        "queued": server.zcard(keys.queue),
        "seen": server.scard(keys.dupefilter),
        "inflight": sum(w["inflight"] for w in workers),
        "workers": workers,
        "failed": server.llen(keys.failed),
        "stats": stats,
    }


def format_status(status: dict[str, Any]) -> str:
    s = status["stats"]
    seeded = status["seeded"]
    alive = [w for w in status["workers"] if w["alive"]]
    lines = [
        f"crawl      {status['crawl']}",
        f"seeded     {'yes, by ' + seeded['worker'] if seeded else 'not yet'}",
        f"queued     {status['queued']}",
        f"in flight  {status['inflight']}  ({len(alive)} live workers, "
        f"{len(status['workers']) - len(alive)} dead awaiting re-queue)",
        f"seen       {status['seen']}  (distinct requests admitted by the dupefilter)",
        f"stored     pages {s.get('pages_fetched', 0)}, articles new {s.get('articles_new', 0)}, "
        f"updated {s.get('articles_updated', 0)}, unchanged {s.get('articles_unchanged', 0)}, "
        f"http errors {s.get('http_errors', 0)}",
        f"requests   enqueued {s.get('enqueued', 0)}, dequeued {s.get('dequeued', 0)}, "
        f"acked {s.get('acked', 0)}, re-queued from dead workers {s.get('reclaimed', 0)}, "
        f"on shutdown {s.get('requeued', 0)}",
    ]
    if status["failed"]:
        lines.append(f"undecodable {status['failed']}")
    for w in status["workers"]:
        lines.append(f"  {w['worker']:<40} {'alive' if w['alive'] else 'DEAD '} "
                     f"lease {w['lease_left_s']:>5}s  in flight {w['inflight']}")
    done = seeded and not status["queued"] and not status["inflight"]
    lines.append("state      " + ("complete (frontier empty)" if done else "running" if seeded else "waiting for a worker"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.distributed",
                                     description="Inspect or remove a distributed Warta crawl in Redis.")
    parser.add_argument("command", choices=("status", "reset"))
    parser.add_argument("--redis", default=os.environ.get("WARTA_REDIS_URL"),
                        help="Redis URL [$WARTA_REDIS_URL]")
    parser.add_argument("--crawl-id", default=os.environ.get("WARTA_CRAWL_ID") or DEFAULT_CRAWL_ID,
                        help="[$WARTA_CRAWL_ID or default]")
    parser.add_argument("--prefix", default=os.environ.get("WARTA_REDIS_PREFIX") or DEFAULT_PREFIX,
                        help="[$WARTA_REDIS_PREFIX or warta:]")
    parser.add_argument("--spider", default="monitor")
    parser.add_argument("--json", action="store_true", help="status as JSON")
    parser.add_argument("--watch", type=float, metavar="SECONDS", help="repeat the status every SECONDS")
    args = parser.parse_args(argv)
    if not args.redis:
        parser.error("no Redis URL: set WARTA_REDIS_URL or pass --redis")
    server = _client(args.redis)
    keys = CrawlKeys(args.prefix, args.crawl_id, args.spider)
    if args.command == "reset":
        names = keys.all_keys(server)
        for start in range(0, len(names), 500):
            server.delete(*names[start : start + 500])
        print(f"deleted {len(names)} keys of {keys.base}")
        return 0
    while True:
        status = crawl_status(server, keys)
        print(json.dumps(status, sort_keys=True) if args.json else format_status(status), flush=True)
        if not args.watch:
            return 0
        time.sleep(args.watch)
        print()


if __name__ == "__main__":
    sys.exit(main())
