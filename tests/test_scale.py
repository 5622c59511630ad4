"""Scale-out (issue 5): PostgreSQL + a distributed crawl over Redis (scrapy-redis).

The crawl tests run real ``scrapy crawl monitor`` worker processes against the
local mirror, with the archive in a throwaway PostgreSQL database and the
frontier under a throwaway Redis key prefix (``pg_url`` / ``redis_url`` fixtures:
skipped when the services are unreachable, failures under ``CI=true``).
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite

ROOT = Path(__file__).resolve().parents[1]
N_ARTICLES = 600
SEED = 11


# -- helpers ----------------------------------------------------------------------------------


def worker_env(db_url: str, redis_url=None, crawl_id: str = "", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARTA_")}
    env.update(SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(ROOT),
               WARTA_DATABASE_URL=db_url, WARTA_PROGRESS_INTERVAL="0")
    if redis_url is not None:
        env.update(WARTA_REDIS_URL=str(redis_url), WARTA_REDIS_PREFIX=redis_url.prefix,
                   WARTA_CRAWL_ID=crawl_id, WARTA_IDLE_CLOSE_SECONDS="2",
                   WARTA_REDIS_POLL_SECONDS="0.5", WARTA_LEASE_SECONDS="30")
    env.update(extra)
    return env


def start_worker(env: dict[str, str], base_url: str, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={base_url}",
           "-s", "LOG_LEVEL=INFO"]
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_all(procs: list[subprocess.Popen], logs: list[Path], timeout: float = 180) -> list[int]:
    deadline = time.monotonic() + timeout
    codes = []
    for proc, log in zip(procs, logs):
        try:
            codes.append(proc.wait(timeout=max(1.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            pytest.fail(f"worker did not finish in {timeout}s:\n{tail(log)}")
    return codes


def tail(log: Path, n: int = 4000) -> str:
    return log.read_text(errors="replace")[-n:]


def crawl_keys(redis_url, crawl_id: str):
    from crawler.distributed import CrawlKeys

    return CrawlKeys(redis_url.prefix, crawl_id, "monitor")


def redis_client(redis_url):
    import redis

    return redis.Redis.from_url(str(redis_url))


def article_hits(server: MirrorServer) -> Counter[str]:
    return Counter({p: n for p, n in server.hits.items() if "/read/" in p})


def archive_facts(db_url: str) -> dict:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            facts = {
                "articles": conn.execute(text("select count(*) from articles")).scalar_one(),
                "distinct_urls": conn.execute(text("select count(distinct canonical_url) from articles")).scalar_one(),
                "distinct_ids": conn.execute(text(
                    "select count(distinct site || ':' || site_article_id) from articles")).scalar_one(),
                "revisions": conn.execute(text("select count(*) from article_revisions")).scalar_one(),
                "max_revision": conn.execute(text("select max(revision) from articles")).scalar_one(),
                "urls": {r[0] for r in conn.execute(text("select canonical_url from articles"))},
                "runs": [tuple(r) for r in conn.execute(text(
                    "select status, articles_new from crawl_runs order by id"))],
            }
    finally:
        engine.dispose()
    return facts


def export(db_url: str) -> str:
    from storage.export import EXPORT_COLUMNS, export_csv
    from storage.repository import Archive

    # fetched_at is the wall-clock time of each fetch: two crawls never share it.
    columns = [c for c in EXPORT_COLUMNS if c != "fetched_at"]
    out = io.StringIO(newline="")
    with Archive(db_url, create=False) as archive:
        export_csv(archive, out, columns=columns)
    return out.getvalue()


@pytest.fixture(scope="module")
def site():
    return MirrorSite(n_articles=N_ARTICLES, seed=SEED)


@pytest.fixture
def mirror(site):
    with MirrorServer(site) as server:
        yield server


# -- settings ---------------------------------------------------------------------------------


def _settings_probe(env: dict[str, str]) -> dict:
    code = (
        "import json, sys\n"
        "from scrapy.utils.project import get_project_settings\n"
        "s = get_project_settings()\n"
        "print(json.dumps({'scheduler': s.get('SCHEDULER'), 'dupefilter': s.get('DUPEFILTER_CLASS'),"
        " 'persist': s.getbool('SCHEDULER_PERSIST'), 'queue_key': s.get('SCHEDULER_QUEUE_KEY'),"
        " 'pipelines': s.getdict('ITEM_PIPELINES'), 'extensions': s.getdict('EXTENSIONS'),"
        " 'idle': s.getfloat('MAX_IDLE_TIME_BEFORE_CLOSE'),"
        " 'redis_imported': 'redis' in sys.modules or 'scrapy_redis' in sys.modules}))\n"
    )
    import json

    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_settings_switch_only_with_redis_url(tmp_path):
    plain = _settings_probe(worker_env(f"sqlite:///{tmp_path / 'x.sqlite'}"))
    assert plain["redis_imported"] is False  # a plain SQLite run never imports redis
    assert "scrapy_redis" not in str(plain["scheduler"])
    assert "pipelines.store.StoragePipeline" in plain["pipelines"]

    env = worker_env(f"sqlite:///{tmp_path / 'x.sqlite'}", WARTA_REDIS_URL="redis://127.0.0.1:6379/0",
                     WARTA_CRAWL_ID="c42", WARTA_IDLE_CLOSE_SECONDS="7")
    dist = _settings_probe(env)
    assert dist["scheduler"] == "crawler.distributed.LeasedScheduler"
    assert dist["dupefilter"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert dist["persist"] is True and dist["idle"] == 7.0
    assert dist["queue_key"] == "warta:c42:%(spider)s:requests"
    assert "pipelines.store.StoragePipeline" not in dist["pipelines"]
    assert dist["pipelines"]["crawler.distributed.LeasedStoragePipeline"] == 400
    assert "crawler.distributed.DistributedCrawl" in dist["extensions"]
    # the other components stay
    assert set(plain["extensions"]) <= set(dist["extensions"])
    assert {k for k in plain["pipelines"] if "store" not in k} <= set(dist["pipelines"])


# -- leases, against the real Redis (no Scrapy engine) -----------------------------------------


@pytest.fixture
def leases(redis_url):
    """``make()`` -> (tracker, queue, dupefilter) of a fresh worker, all on one crawl."""
    import scrapy
    from scrapy.utils.test import get_crawler
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from crawler.distributed import LeaseTracker, distributed_settings

    class Monitor(scrapy.Spider):
        name = "monitor"

        def parse_listing(self, response):  # pragma: no cover - never called
            pass

    settings = distributed_settings({"WARTA_REDIS_URL": str(redis_url), "WARTA_REDIS_PREFIX": redis_url.prefix,
                                     "WARTA_CRAWL_ID": "unit", "WARTA_LEASE_SECONDS": "1"}, {})
    spider = Monitor()

    def make():
        tracker = LeaseTracker(get_crawler(Monitor, settings))
        return (tracker, PriorityQueue(tracker.server, spider, tracker.keys.queue),
                RFPDupeFilter(tracker.server, tracker.keys.dupefilter))

    make.spider = spider
    return make


@pytest.mark.services
def test_leases_are_requeued_when_a_worker_dies(leases):
    import scrapy

    from crawler.distributed import TOKEN

    spider = leases.spider
    a, queue, df = leases()
    b, _, _ = leases()
    listing = scrapy.Request("http://127.0.0.1:1/indeks", callback=spider.parse_listing, priority=10)
    article = scrapy.Request("http://127.0.0.1:1/x/read/2023/12/1/a")
    assert a.push(listing, df, queue) and a.push(article, df, queue)
    assert not b.push(scrapy.Request("http://127.0.0.1:1/indeks"), df, queue)  # seen: one admission
    assert a.frontier()["queued"] == 2

    got = a.pop(queue)  # the listing first (priority)
    assert got.url.endswith("/indeks") and got.callback == spider.parse_listing and got.meta[TOKEN]
    state = b.frontier()
    assert (state["queued"], state["inflight"], state["workers"]) == (1, 1, 1)

    # a retry of the leased request releases the lease in the same step as it is queued
    retry = got.replace(dont_filter=True)
    assert a.push(retry, df, queue)
    assert a.server.hlen(a.inflight_key) == 0
    again = a.pop(queue)
    assert again.url == got.url and TOKEN in again.meta

    # worker a dies (its alive key expires): b re-queues its lease, exactly once
    a.server.delete(a.keys.alive(a.worker))
    state = b.frontier()
    assert state["reclaimed"] == 1 and state["dead"] == 1 and state["queued"] == 2
    assert b.frontier()["reclaimed"] == 0
    first, second = b.pop(queue), b.pop(queue)
    assert first.url == got.url and second.url == article.url and b.pop(queue) is None

    # acknowledged after the commit: the frontier is empty, the crawl is complete
    b.output_done(first.meta[TOKEN], 1)
    b.output_done(second.meta[TOKEN], 0)
    assert b.take_ready() == [second.meta[TOKEN]]  # the listing still has an item on its way
    b.item_done(first.meta[TOKEN])
    assert b.acknowledge(b.take_ready() + [second.meta[TOKEN]]) == 2
    assert b.frontier() == {"queued": 0, "inflight": 0, "workers": 1, "reclaimed": 0, "dead": 0}
    stats = {k.decode(): int(v) for k, v in b.server.hgetall(b.keys.stats).items()}
    assert stats["enqueued"] == 3 and stats["filtered"] == 1 and stats["reclaimed"] == 1


@pytest.mark.services
def test_idle_settlement_releases_or_requeues(leases):
    import scrapy

    w, queue, df = leases()
    for i in range(3):
        w.push(scrapy.Request(f"http://127.0.0.1:1/x/read/2023/12/{i}/a"), df, queue)
    w.pop(queue), w.pop(queue)
    w.settle()  # idle, everything committed: leases of requests that stored nothing are released
    assert w.frontier()["inflight"] == 0 and w.frontier()["queued"] == 1
    w.pop(queue)
    w.store_failed = True  # a batch could not be written: the request goes back, not away
    w.settle()
    assert w.frontier()["queued"] == 1 and w.frontier()["inflight"] == 0
    stats = {k.decode(): int(v) for k, v in w.server.hgetall(w.keys.stats).items()}
    assert stats["released_at_idle"] == 2 and stats["requeued"] == 1


# -- real worker processes ----------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.e2e
def test_three_workers_crawl_into_postgres_once_and_export_like_sqlite(site, mirror, pg_url, redis_url,
                                                                       tmp_path):
    from crawler.distributed import crawl_status

    env = worker_env(pg_url, redis_url, "three")
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    procs = [start_worker(env, mirror.url, log) for log in logs]
    codes = wait_all(procs, logs)
    assert codes == [0, 0, 0], "\n".join(tail(log) for log in logs)

    facts = archive_facts(pg_url)
    truth = {a["canonical_url"] for a in site.articles}
    assert facts["articles"] == facts["distinct_urls"] == facts["distinct_ids"] == N_ARTICLES
    assert facts["urls"] == truth
    assert facts["revisions"] == N_ARTICLES and facts["max_revision"] == 1
    assert len(facts["runs"]) == 3 and all(status == "ok" for status, _ in facts["runs"])
    assert sum(new for _, new in facts["runs"]) == N_ARTICLES  # each article created by exactly one worker

    # no URL fetched twice across the workers (robots.txt is per worker)
    hits = {p: n for p, n in mirror.hits.items() if not p.startswith("/robots.txt")}
    assert set(hits.values()) == {1}, {p: n for p, n in hits.items() if n > 1}
    assert len(article_hits(mirror)) == N_ARTICLES

    status = crawl_status(redis_client(redis_url), crawl_keys(redis_url, "three"))
    assert status["queued"] == 0 and status["inflight"] == 0 and status["workers"] == []
    assert status["seeded"] is not None
    stats = status["stats"]
    assert stats["dequeued"] == stats["enqueued"] == stats["acked"] == len(hits)
    assert stats["articles_new"] == N_ARTICLES and stats.get("reclaimed", 0) == 0
    # leases are released by the commits, not wholesale at the end
    assert stats.get("released_at_idle", 0) < len(hits) // 10

    # the same site crawled by one plain worker (no Redis) into SQLite exports the same CSV
    sqlite_url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    plain = start_worker(worker_env(sqlite_url), mirror.url, tmp_path / "sqlite.log")
    assert wait_all([plain], [tmp_path / "sqlite.log"]) == [0], tail(tmp_path / "sqlite.log")
    pg_csv, sqlite_csv = export(pg_url), export(sqlite_url)
    assert len(list(csv.reader(io.StringIO(pg_csv)))) == N_ARTICLES + 1
    assert pg_csv == sqlite_csv


@pytest.mark.services
@pytest.mark.e2e
def test_a_worker_killed_midway_loses_nothing(site, mirror, pg_url, redis_url, tmp_path):
    from crawler.distributed import crawl_status

    # a short lease so that the dead worker's requests come back quickly
    env = worker_env(pg_url, redis_url, "kill", WARTA_LEASE_SECONDS="4")
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    client = redis_client(redis_url)
    keys = crawl_keys(redis_url, "kill")

    def victim_leases() -> int:
        return sum(client.hlen(k) for k in client.scan_iter(match=f"{keys.base}inflight:*:{victim.pid}:*"))

    # worker 0 starts alone and seeds the crawl, so it has work from the start: a worker
    # that joins a crawl whose queue the others keep drained (discovery-bound, as on
    # this fast mirror) may find it empty at every poll and finish without a lease
    victim = start_worker(env, mirror.url, logs[0])
    deadline = time.monotonic() + 120
    while not victim_leases():
        assert time.monotonic() < deadline, "worker 0 never held a lease:\n" + tail(logs[0])
        assert victim.poll() is None, "worker 0 finished before it held a lease:\n" + tail(logs[0])
        time.sleep(0.02)
    procs = [victim] + [start_worker(env, mirror.url, log) for log in logs[1:]]

    # kill worker 0 with SIGKILL while it holds leases, a quarter of the way in
    while True:
        assert time.monotonic() < deadline, "worker 0 never held a lease:\n" + tail(logs[0])
        assert victim.poll() is None, "worker 0 finished before it could be killed:\n" + tail(logs[0])
        if victim_leases() and sum(article_hits(mirror).values()) >= N_ARTICLES // 4:
            break
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(30) == -signal.SIGKILL

    codes = wait_all(procs[1:], logs[1:])
    assert codes == [0, 0], "\n".join(tail(log) for log in logs[1:])

    facts = archive_facts(pg_url)
    assert facts["articles"] == facts["distinct_urls"] == facts["distinct_ids"] == N_ARTICLES
    assert facts["urls"] == {a["canonical_url"] for a in site.articles}
    assert facts["revisions"] == N_ARTICLES and facts["max_revision"] == 1  # a re-fetch is "unchanged"

    status = crawl_status(client, keys)
    stats = status["stats"]
    assert status["queued"] == 0 and status["inflight"] == 0 and status["workers"] == []
    assert stats["reclaimed"] >= 1  # the dead worker's leases went back to the queue
    hits = article_hits(mirror)
    assert len(hits) == N_ARTICLES
    refetched = [p for p, n in hits.items() if n > 1]
    print(f"killed worker: {stats['reclaimed']} leases re-queued, {len(refetched)} articles fetched twice; {stats}")
    # only what the dead worker held can have been fetched twice, and only twice
    assert max(hits.values()) <= 2 and len(refetched) <= stats["reclaimed"]
