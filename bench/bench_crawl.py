"""Crawl speed and memory: ``scrapy crawl monitor`` (the full pipeline) vs bare Scrapy.

The mirror (``python -m crawler.mirror``) runs in its own process, so neither its CPU
nor its memory is counted for a crawler.  Then, in the same run:

* **ours**: ``python -m scrapy crawl monitor -a base_url=MIRROR`` with the project
  settings -- discovery through the index listings, parse (in a worker process beside
  the reactor when two CPUs are usable, ``WARTA_PARSE_WORKERS=auto``), clean, dates,
  dedupe, and the SQLite archive with every raw page (a fresh database per run);
  the row's note gives both sides' CPU seconds, workers included;
* **peer**: bare Scrapy -- :class:`BareSpider` requesting exactly the URLs the full
  crawl fetched (read back from its ``pages`` table), doing nothing with the
  responses, no pipelines, Scrapy's default scheduler and duplicate filter, and the
  same download settings (concurrency 16/16 as the monitor spider uses on a loopback
  mirror, no delay, robots.txt, retries, User-Agent).

pages/s = responses / (spider open -> spider closed), taken from the crawl's own
stats (written by :class:`StatsDump`), so interpreter start-up does not count for
either side.  Rounds alternate bare / full; the best of each counts.

Peak RSS (the crawler process's ``VmHWM`` plus the peak RSS of its parse workers, never
the mirror's) for 1k, 5k, 20k and 40k articles: "flat" means that between the two largest crawls it grows by at most
:data:`FLAT_BYTES_PER_ARTICLE` per extra article (a per-URL structure -- a set of
fingerprints, a queue of pending requests, an LRU of keys -- costs 80-800 bytes per URL;
bounded caches, e.g. SQLite's 2 MB page cache per connection, are full by then).

    python -m bench.bench_crawl [--quick]
    python -m bench.bench_crawl --bare URLS_FILE --stats-file F   # the peer, as a child
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import scrapy

from bench.common import PYTHON, REPO, MirrorProcess, Row, child_env, format_table, run_child

#: peak-RSS growth allowed per extra article for "flat" (bytes), measured between the two
#: largest crawls.  Peak RSS varies by about +-1 MB between runs (+-70 B/article over
#: 15,000 articles), so this catches any per-URL structure of 128 B or more (a queue of
#: requests, a URL cache, an LRU of keys: 250-800 B); the smallest one -- Scrapy's set
#: of 20-byte fingerprints, ~90 B -- is why the duplicate filter lives on disk.
FLAT_BYTES_PER_ARTICLE = 128


def _size(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else f"{n:,}"


class StatsDump:
    """Scrapy extension: at spider close, write the crawl stats plus our own
    ``bench/seconds`` (spider open -> close) as JSON to ``BENCH_STATS_FILE``."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("BENCH_STATS_FILE")
        self.start = 0.0
        self.cpu_start = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider) -> None:
        self.start = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu_start = usage.ru_utime + usage.ru_stime

    def closed(self, spider, reason) -> None:
        if not self.path:
            return
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}
        stats["bench/seconds"] = time.perf_counter() - self.start
        usage = resource.getrusage(resource.RUSAGE_SELF)  # the crawler process alone
        stats["bench/cpu_seconds_self"] = round(usage.ru_utime + usage.ru_stime - self.cpu_start, 3)
        stats["bench/reason"] = reason
        Path(self.path).write_text(json.dumps(stats, default=str), encoding="utf-8")


class BareSpider(scrapy.Spider):
    """The peer: fetch the given URLs, do nothing with the responses."""

    name = "bare"

    def __init__(self, urls_file: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls_file = urls_file

    async def start(self):
        with open(self.urls_file, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield scrapy.Request(line.strip(), callback=self.parse)

    def parse(self, response):
        return None


def bare_settings(stats_file: str) -> dict[str, Any]:
    """Scrapy defaults plus the project's download settings, as the monitor spider
    runs them against a loopback mirror; no pipelines, default duplicate filter."""
    import crawler.settings as project

    settings = {name: getattr(project, name) for name in (
        "USER_AGENT", "ROBOTSTXT_OBEY", "COOKIES_ENABLED", "TELNETCONSOLE_ENABLED", "DOWNLOAD_TIMEOUT",
        "RETRY_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
        "REDIRECT_MAX_TIMES", "LOG_LEVEL", "LOGSTATS_INTERVAL") if hasattr(project, name)}
    settings.update({
        # what ArchiveSpider.from_crawler sets for a loopback base_url
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "EXTENSIONS": {"bench.bench_crawl.StatsDump": 500},
        "BENCH_STATS_FILE": stats_file,
    })
    return settings


def _bare_main(urls_file: str, stats_file: str) -> int:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(bare_settings(stats_file), install_root_handler=True)
    process.crawl(BareSpider, urls_file=urls_file)
    process.start()
    return 0


# -------------------------------------------------------------------------------------
# running both as child processes
# -------------------------------------------------------------------------------------


def full_crawl(mirror_url: str, db: Path, stats_file: Path, settings: dict[str, str] | None = None,
               args: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [PYTHON, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={mirror_url}",
           "-s", "LOG_LEVEL=INFO", "-s", f"EXTENSIONS={project_extensions_with_stats()}",
           "-s", f"BENCH_STATS_FILE={stats_file}"]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    env = child_env(SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=f"sqlite:///{db}")
    res = run_child(cmd, env=env)
    return _result(res, stats_file, "full crawl")


def project_extensions_with_stats() -> str:
    """The project's ``EXTENSIONS`` plus :class:`StatsDump`, as JSON for ``-s``
    (a ``-s EXTENSIONS=`` replaces the project's dict: the crawl must keep them all)."""
    import crawler.settings as project

    extensions = dict(getattr(project, "EXTENSIONS", None) or {})
    extensions["bench.bench_crawl.StatsDump"] = 500
    return json.dumps(extensions)


def bare_crawl(urls_file: Path, stats_file: Path) -> dict[str, Any]:
    cmd = [PYTHON, "-m", "bench.bench_crawl", "--bare", str(urls_file), "--stats-file", str(stats_file)]
    res = run_child(cmd, env=child_env())
    return _result(res, stats_file, "bare scrapy")


def _result(res, stats_file: Path, what: str) -> dict[str, Any]:
    if res.returncode != 0 or not stats_file.exists():
        raise RuntimeError(f"{what} failed (exit {res.returncode}): {res.stderr[-2000:]}")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    stats_file.unlink()
    pages = int(stats.get("downloader/response_count", 0))
    seconds = float(stats["bench/seconds"])
    # the crawl's memory is the crawler process plus its parse workers (crawler/parsepool.py)
    workers_mb = float(stats.get("warta/parse_workers_peak_rss_mb") or 0.0)
    return {"pages": pages, "seconds": round(seconds, 3), "pages_per_s": pages / seconds,
            "max_rss_mb": round(res.max_rss_mb + workers_mb, 1), "crawler_rss_mb": round(res.max_rss_mb, 1),
            "parse_workers": stats.get("warta/parse_workers"), "parse_workers_rss_mb": workers_mb,
            "wall_seconds": round(res.seconds, 2), "cpu_seconds": round(res.cpu_seconds, 2),
            "cpu_seconds_crawler": stats.get("bench/cpu_seconds_self"),
            "items": stats.get("item_scraped_count"), "articles_new": stats.get("warta/articles_new"),
            "reason": stats.get("bench/reason"), "log_tail": res.stderr[-1500:]}


def _article_urls(db: Path, out: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        urls = [u for (u,) in conn.execute("SELECT url FROM pages WHERE status = 200 ORDER BY id")]
    finally:
        conn.close()
    out.write_text("\n".join(urls) + "\n", encoding="utf-8")
    return len(urls)


def _check(result: dict[str, Any], n: int) -> dict[str, Any]:
    if result["articles_new"] != n:
        raise RuntimeError(f"full crawl stored {result['articles_new']} of {n} articles "
                           f"(finish reason {result['reason']}); log tail:\n{result['log_tail']}")
    return result


def speed(n: int, rounds: int, tmp: Path, settings: dict[str, str] | None = None,
          keep: Path | None = None) -> dict[str, Any]:
    """Full vs bare on a mirror of ``n`` articles: the best of ``rounds`` each
    (``keep``: where to keep the first crawl's archive, for the re-parse benchmark)."""
    urls = tmp / "urls.txt"
    stats = tmp / "stats.json"
    full_runs, bare_runs = [], []
    with MirrorProcess(n) as mirror:
        # a first full crawl gives the exact URL list and warms the mirror's cache
        first = full_crawl(mirror.url, tmp / "warm.sqlite", stats, settings)
        _check(first, n)
        _article_urls(tmp / "warm.sqlite", urls)
        for k in range(rounds):
            bare_runs.append(bare_crawl(urls, stats))
            db = tmp / f"full{k}.sqlite"
            full_runs.append(_check(full_crawl(mirror.url, db, stats, settings), n))
            for path in tmp.glob(f"full{k}.sqlite*"):
                path.unlink()
    if keep is not None and not keep.exists():
        shutil.move(str(tmp / "warm.sqlite"), str(keep))
    full = max(full_runs, key=lambda r: r["pages_per_s"])
    bare = max(bare_runs, key=lambda r: r["pages_per_s"])
    return {"full": full, "bare": bare, "full_runs": full_runs, "bare_runs": bare_runs, "warm": first}


def memory(sizes: list[int], tmp: Path, settings: dict[str, str] | None = None,
           known: dict[int, dict[str, Any]] | None = None) -> dict[int, dict[str, Any]]:
    """Peak RSS of a full crawl for each mirror size (``known``: results already measured)."""
    out: dict[int, dict[str, Any]] = dict(known or {})
    stats = tmp / "stats.json"
    for n in sizes:
        if n in out:
            continue
        with MirrorProcess(n) as mirror:
            db = tmp / f"rss{n}.sqlite"
            out[n] = _check(full_crawl(mirror.url, db, stats, settings), n)
            for path in tmp.glob(f"rss{n}.sqlite*"):
                path.unlink()
    return out


def run(quick: bool = False, workdir: Path | None = None, articles: int | None = None,
        sizes: list[int] | None = None, rounds: int | None = None,
        settings: dict[str, str] | None = None) -> dict[str, Any]:
    n = articles or (500 if quick else 5_000)
    sizes = sorted(sizes or ([200, n, 2_000] if quick else [1_000, n, 20_000, 40_000]))
    rounds = rounds or (1 if quick else 3)
    with tempfile.TemporaryDirectory(prefix="warta-bench-crawl-", dir=workdir) as tmp_name:
        tmp = Path(tmp_name)
        sp = speed(n, rounds, tmp, settings, keep=workdir / f"crawl-{n}.sqlite" if workdir else None)
        mem = memory(sizes, tmp, settings, known={n: sp["full"]})
    for result in [*sp["full_runs"], *sp["bare_runs"], sp["warm"], *mem.values()]:
        result.pop("log_tail", None)
    full, bare = sp["full"], sp["bare"]
    rows = [Row("crawl", f"`scrapy crawl monitor`, mirror of {n:,} articles ({full['pages']:,} responses)",
                full["pages_per_s"], bare["pages_per_s"], "pages/s", "bare Scrapy", 0.7,
                note=f"parse workers: {full.get('parse_workers') or 0}; CPU s per run (all processes): "
                     f"{full['cpu_seconds']:.1f} ours, {bare['cpu_seconds']:.1f} bare",
                extra={"full": full, "bare": bare, "full_runs": [r["pages_per_s"] for r in sp["full_runs"]],
                       "bare_runs": [r["pages_per_s"] for r in sp["bare_runs"]]})]
    lo, mid, hi = sizes[0], sizes[-2], sizes[-1]
    # the slope over the two largest crawls: bounded caches are full by then (SQLite's
    # page cache of the resume lookups fills up to 20k articles), so what is left is
    # memory that grows with the crawl
    slope = (mem[hi]["max_rss_mb"] - mem[mid]["max_rss_mb"]) * 1024 * 1024 / (hi - mid)
    flat = slope <= FLAT_BYTES_PER_ARTICLE
    rss = ", ".join(f"{_size(k)}: {mem[k]['max_rss_mb']:.0f} MB" for k in sizes)
    rows.append(Row("crawl: peak RSS", f"full crawl, {rss}", mem[hi]["max_rss_mb"], mem[lo]["max_rss_mb"], "MB",
                    f"at {lo:,} articles", None, ratio=mem[hi]["max_rss_mb"] / mem[lo]["max_rss_mb"],
                    status="pass" if flat else "FAIL",
                    target_text=f"flat (≤ {FLAT_BYTES_PER_ARTICLE} B/article)",
                    note=f"{slope:+.0f} B/article from {_size(mid)} to {_size(hi)}; "
                         f"{mem[hi]['max_rss_mb'] - mem[lo]['max_rss_mb']:+.1f} MB from {_size(lo)}",
                    extra={"sizes": {str(k): v for k, v in mem.items()}, "bytes_per_article": round(slope),
                           "growth_mb_from_smallest": round(mem[hi]["max_rss_mb"] - mem[lo]["max_rss_mb"], 1),
                           "settings": settings or {}}))
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bare", metavar="URLS_FILE", help="run the bare-Scrapy peer over these URLs (child mode)")
    ap.add_argument("--stats-file", help="with --bare: where to write the crawl stats")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy setting for the full crawl (e.g. the defaults before the speed work: "
                         "CONCURRENT_ITEMS=100 DUPEFILTER_CLASS=scrapy.dupefilters.RFPDupeFilter)")
    args = ap.parse_args(argv)
    if args.bare:
        return _bare_main(args.bare, args.stats_file or "")
    settings = dict(item.split("=", 1) for item in args.set)
    result = run(args.quick, settings=settings or None)
    print(format_table(result["rows"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
