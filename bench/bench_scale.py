"""Benchmark: a distributed crawl (PostgreSQL + Redis) with 1, 2 and 3 workers, and the
unit costs behind the capacity plan in docs/scale-out.md.

Every run crawls the same mirror (its own process) with N real ``scrapy crawl monitor``
workers sharing one Redis frontier, into a fresh PostgreSQL database.  Reported per run:

* articles/s from the first article request reaching the mirror to the last article
  committed in PostgreSQL (process start-up, ~2 s of imports, and the idle exit are
  excluded and shown separately);
* CPU seconds spent by the workers, the mirror, PostgreSQL and Redis during the run,
  and how busy the machine was (so the bottleneck can be read off);

and once, the unit costs: Redis bytes per dupefilter fingerprint and per queued request
(``MEMORY USAGE`` on 20,000 real entries), PostgreSQL bytes per stored page / article /
revision (table and index sizes after the 3-worker crawl).

    python -m bench.bench_scale               # 3,000-article mirror
    python -m bench.bench_scale --quick       # 600 articles
    from bench.bench_scale import run         # -> dict ({"rows": [Row...], ...})

Needs PostgreSQL (``WARTA_TEST_PG_HOST/PORT/DB/USERS`` as in tests/conftest.py, default
127.0.0.1:5432, database ``test``, users postgres/root, trust auth) and Redis
(``WARTA_TEST_REDIS_URL``, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, Row, format_table, machine

PG_HOST = os.environ.get("WARTA_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("WARTA_TEST_PG_PORT", "5432"))
PG_ADMIN_DB = os.environ.get("WARTA_TEST_PG_DB", "test")
PG_USERS = [u for u in os.environ.get("WARTA_TEST_PG_USERS", "postgres,root").split(",") if u]
REDIS_URL = os.environ.get("WARTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TICKS = os.sysconf("SC_CLK_TCK")


# -- services ---------------------------------------------------------------------------------


def _pg_admin():
    import psycopg

    last: Exception | None = None
    for user in PG_USERS:
        try:
            return psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_ADMIN_DB, user=user,
                                   autocommit=True, connect_timeout=3), user
        except psycopg.Error as exc:
            last = exc
    raise RuntimeError(f"PostgreSQL unreachable on {PG_HOST}:{PG_PORT}: {last}")


class PgDatabase:
    """A throwaway database; ``url`` is its SQLAlchemy URL."""

    def __enter__(self) -> "PgDatabase":
        self.admin, user = _pg_admin()
        self.name = f"warta_bench_{uuid.uuid4().hex[:10]}"
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{self.name}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    client.ping()
    return client


def _drop_prefix(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


class Mirror:
    """``python -m crawler.mirror`` in its own process (its CPU is not the workers').

    (Its stdout goes to a file: the mirror keeps printing after the URL line, so a
    pipe that is closed early would kill it with EPIPE.)"""

    def __init__(self, articles: int, seed: int = 5, delay: float = 0.0) -> None:
        self.articles, self.seed, self.delay, self.url = articles, seed, delay, ""

    def __enter__(self) -> "Mirror":
        self.out = tempfile.TemporaryFile("w+")
        cmd = [PYTHON, "-m", "crawler.mirror", "--host", "127.0.0.1", "--port", "0",
               "--articles", str(self.articles), "--seed", str(self.seed), "--delay", str(self.delay)]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not self.url:
            self.out.seek(0)
            m = re.search(r"http://127\.0\.0\.1:\d+", self.out.read())
            if m:
                self.url = m.group(0)
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the mirror did not start")
            else:
                time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


# -- CPU accounting (Linux /proc) ---------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


class ServiceCpu:
    """CPU seconds used by the processes named ``names`` (e.g. PostgreSQL backends, which
    come and go with connections: sampled during the run, per pid)."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.base = self._read()
        self.last = dict(self.base)

    def _read(self) -> dict[int, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    comm = (entry / "comm").read_text().strip()
                except OSError:
                    continue
                if comm.startswith(self.names):
                    found[int(entry.name)] = _proc_cpu(int(entry.name))
        return found

    def sample(self) -> None:
        for pid, cpu in self._read().items():
            if cpu:
                self.last[pid] = max(cpu, self.last.get(pid, 0.0))

    def seconds(self) -> float:
        return sum(cpu - self.base.get(pid, 0.0) for pid, cpu in self.last.items())


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts) - idle) / TICKS, sum(parts) / TICKS


# -- one crawl ----------------------------------------------------------------------------------


def _article_hits(mirror_url: str) -> int:
    with urllib.request.urlopen(mirror_url + "/__mirror/stats", timeout=10) as resp:
        stats = json.load(resp)
    return sum(n for path, n in stats["paths"].items() if "/read/" in path)


def crawl(mirror: Mirror, n_workers: int, articles: int, *, spider_args: tuple[str, ...] = (),
          keep_db: bool = False) -> dict[str, Any]:
    """Crawl ``mirror`` with ``n_workers`` workers into a fresh PostgreSQL database."""
    from sqlalchemy import create_engine, text

    client = _redis()
    prefix = f"warta-bench-{uuid.uuid4().hex[:8]}:"
    urllib.request.urlopen(mirror.url + "/__mirror/stats?reset=1", timeout=10).read()
    with PgDatabase() as db, tempfile.TemporaryDirectory(prefix="warta-bench-scale-") as tmp:
        from storage.migrations import upgrade

        upgrade(db.url)  # schema first, so that start-up is the same for every run
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARTA_")}
        env.update(SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(REPO),
                   WARTA_DATABASE_URL=db.url, WARTA_REDIS_URL=REDIS_URL, WARTA_REDIS_PREFIX=prefix,
                   WARTA_CRAWL_ID="bench", WARTA_IDLE_CLOSE_SECONDS="2", WARTA_REDIS_POLL_SECONDS="0.5",
                   WARTA_PROGRESS_INTERVAL="0")
        cmd = [PYTHON, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={mirror.url}", "-s", "LOG_LEVEL=INFO"]
        for arg in spider_args:
            cmd += ["-a", arg]
        engine = create_engine(db.url)
        mirror_cpu0 = _proc_cpu(mirror.proc.pid)
        services = {"postgres": ServiceCpu("postgres"), "redis": ServiceCpu("redis-server")}
        last_sample = 0.0
        busy0, total0 = _machine_busy()
        start = time.perf_counter()
        procs, logs = [], []
        for i in range(n_workers):
            log = open(Path(tmp) / f"worker{i}.log", "wb")
            logs.append(log)
            procs.append(subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=log, stderr=subprocess.STDOUT))
        first_hit = all_stored = None
        usage: dict[int, Any] = {}
        codes: dict[int, int] = {}
        with engine.connect() as conn:
            while len(codes) < n_workers:
                now = time.perf_counter()
                if first_hit is None and _article_hits(mirror.url) > 0:
                    first_hit = now
                if first_hit is not None and all_stored is None:
                    if conn.execute(text("select count(*) from articles")).scalar_one() >= articles:
                        all_stored = now
                    conn.commit()
                for proc in procs:
                    if proc.pid not in codes:
                        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                        if pid:
                            codes[pid] = os.waitstatus_to_exitcode(status)
                            usage[pid] = ru
                if now - last_sample > 0.5:
                    for service in services.values():
                        service.sample()
                    last_sample = now
                if now - start > 1800:
                    for proc in procs:
                        proc.kill()
                    raise RuntimeError("crawl did not finish in 30 minutes")
                time.sleep(0.1)
        end = time.perf_counter()
        busy1, total1 = _machine_busy()
        cpu = {"workers": sum(ru.ru_utime + ru.ru_stime for ru in usage.values()),
               "mirror": _proc_cpu(mirror.proc.pid) - mirror_cpu0}
        for name, service in services.items():
            service.sample()
            cpu[name] = service.seconds()
        for log in logs:
            log.close()
        if any(code != 0 for code in codes.values()) or all_stored is None:
            detail = "\n".join((Path(tmp) / f"worker{i}.log").read_text(errors="replace")[-2000:]
                               for i in range(n_workers))
            raise RuntimeError(f"crawl failed: exit codes {codes}\n{detail}")
        with engine.connect() as conn:
            stored = conn.execute(text("select count(*), count(distinct canonical_url) from articles")).one()
            per_worker = [r[0] for r in conn.execute(text("select articles_new from crawl_runs order by id"))]
            sizes = _pg_sizes(conn) if keep_db else None
        engine.dispose()
        status = {k.decode(): int(v) for k, v in client.hgetall(f"{prefix}bench:monitor:stats").items()}
        _drop_prefix(client, prefix)
    if tuple(stored) != (articles, articles):
        raise RuntimeError(f"expected {articles} distinct articles, got {tuple(stored)}")
    crawl_s = all_stored - first_hit
    wall = end - start
    return {
        "workers": n_workers,
        "articles": articles,
        "articles_per_s": round(articles / crawl_s, 1),
        "crawl_seconds": round(crawl_s, 2),
        "startup_seconds": round(first_hit - start, 2),
        "wall_seconds": round(wall, 2),
        "articles_per_worker": per_worker,
        "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
        "machine_busy": round((busy1 - busy0) / (total1 - total0), 3) if total1 > total0 else None,
        "redis_stats": status,
        "pg_sizes": sizes,
    }


def _pg_sizes(conn) -> dict[str, Any]:
    """Bytes per row of each table: heap + TOAST, and its indexes."""
    from sqlalchemy import text

    out: dict[str, Any] = {}
    for table in ("pages", "articles", "article_revisions", "crawl_runs"):
        rows = conn.execute(text(f"select count(*) from {table}")).scalar_one()
        total = conn.execute(text(f"select pg_total_relation_size('{table}')")).scalar_one()
        indexes = conn.execute(text(f"select pg_indexes_size('{table}')")).scalar_one()
        index_list = [r[0] for r in conn.execute(text(
            "select indexname from pg_indexes where tablename = :t order by indexname"), {"t": table})]
        out[table] = {"rows": rows, "total_bytes": total, "index_bytes": indexes,
                      "bytes_per_row": round(total / rows) if rows else None,
                      "index_bytes_per_row": round(indexes / rows) if rows else None,
                      "indexes": index_list}
    out["avg_body_gz_bytes"] = round(conn.execute(text(
        "select avg(octet_length(body_gz)) from pages where kind = 'article'")).scalar_one() or 0)
    out["avg_article_body_chars"] = round(conn.execute(text(
        "select avg(length(body)) from articles")).scalar_one() or 0)
    return out


# -- Redis unit costs -------------------------------------------------------------------------------


def redis_unit_costs(n: int = 20_000) -> dict[str, Any]:
    """Bytes per dupefilter fingerprint and per queued article request, measured with
    ``MEMORY USAGE`` on ``n`` real entries (scrapy-redis' own encoding)."""
    import scrapy
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from crawler.spiders.monitor import MonitorSpider

    client = _redis()
    prefix = f"warta-bench-{uuid.uuid4().hex[:8]}:"
    spider = MonitorSpider(base_url="https://monitorindonesia.com")
    queue = PriorityQueue(client, spider, prefix + "requests")
    df = RFPDupeFilter(client, prefix + "dupefilter")
    try:
        pipe = client.pipeline(transaction=False)
        sizes = []
        for i in range(n):
            url = f"https://monitorindonesia.com/ekonomi/read/2023/12/{400000 + i}/ri-china-tingkatkan-kerja-sama-pembuatan-baterai-litium-{i}"
            request = scrapy.Request(url, callback=spider.parse_article_page, errback=spider.on_error,
                                     meta={"kind": "article", "depth": 2})
            data = queue._encode_request(request)
            sizes.append(len(data))
            pipe.execute_command("ZADD", queue.key, -request.priority, data)
            pipe.sadd(df.key, df.request_fingerprint(request))
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        q_bytes = client.memory_usage(queue.key, samples=0)
        df_bytes = client.memory_usage(df.key, samples=0)
        info = client.info("memory")
        return {
            "entries": n,
            "queue_bytes_per_request": round(q_bytes / n, 1),
            "serialized_request_bytes": round(sum(sizes) / n, 1),
            "dupefilter_bytes_per_fingerprint": round(df_bytes / n, 1),
            "allocator_fragmentation_ratio": info.get("mem_fragmentation_ratio"),
            "redis_version": client.info("server").get("redis_version"),
        }
    finally:
        _drop_prefix(client, prefix)


# -- entry points -------------------------------------------------------------------------------------


#: (name, mirror latency in seconds, discovery) -- "index": the site-wide index, one page after
#: the other (rel=next); "days": one index per publication day (-a since/until), in parallel
SERIES = (
    ("no latency, index walk", 0.0, "index"),
    ("200 ms latency, day indexes", 0.2, "days"),
)


def run(quick: bool = False, articles: int | None = None, workers: tuple[int, ...] = (1, 2, 3),
        series: tuple[tuple[str, float, str], ...] = SERIES) -> dict[str, Any]:
    from crawler.mirror.site import MirrorSite

    n = articles or (600 if quick else 3_000)
    days = sorted(a["published_at"][:10] for a in MirrorSite(n_articles=n, seed=5).articles)
    runs, rows = [], []
    for name, delay, discovery in series:
        args = (f"since={days[0]}", f"until={days[-1]}") if discovery == "days" else ()
        with Mirror(articles=n, seed=5, delay=delay) as mirror:
            group = [dict(crawl(mirror, k, n, spider_args=args, keep_db=(k == max(workers) and not runs)),
                          series=name) for k in workers]
        base = next((r["articles_per_s"] for r in group if r["workers"] == 1), None)
        rows += [Row("scale", f"{n:,} articles, {name}: {r['workers']} worker(s)", r["articles_per_s"], base,
                     "articles/s", "1 worker", None, extra={k: v for k, v in r.items() if k != "pg_sizes"})
                 for r in group]
        runs += group
    return {"rows": rows, "runs": runs, "redis": redis_unit_costs(2_000 if quick else 20_000),
            "postgres": next((r["pg_sizes"] for r in runs if r["pg_sizes"]), None), "machine": machine()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="600 articles")
    ap.add_argument("--articles", type=int)
    ap.add_argument("--workers", default="1,2,3", help="comma-separated worker counts [1,2,3]")
    ap.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = ap.parse_args(argv)
    result = run(args.quick, args.articles, tuple(int(x) for x in args.workers.split(",")))
    if args.json:
        print(json.dumps({**result, "rows": [r.as_dict() for r in result["rows"]]}, indent=2, default=str))
        return 0
    print(format_table(result["rows"]))
    for r in result["runs"]:
        cpu = r["cpu_seconds"]
        print(f"{r['series']}, {r['workers']} worker(s): {r['articles_per_s']} articles/s over {r['crawl_seconds']} s "
              f"(start-up {r['startup_seconds']} s, wall {r['wall_seconds']} s); per worker {r['articles_per_worker']}; "
              f"CPU s: workers {cpu['workers']}, mirror {cpu['mirror']}, postgres {cpu['postgres']}, "
              f"redis {cpu['redis']}; machine busy {r['machine_busy']:.0%} of {os.cpu_count()} cores")
    print("redis:", json.dumps(result["redis"]))
    print("postgres:", json.dumps(result["postgres"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
