"""Scrapy settings for Warta.

Components are wired here, in order; everything Warta-specific is a
``WARTA_*`` setting that can be overridden with ``-s NAME=VALUE`` or the
environment variable of the same name.
"""

import os

BOT_NAME = "warta"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# Our own `crawl` command (exit codes that reflect the run status).
COMMANDS_MODULE = "crawler.commands"

# --- Warta -----------------------------------------------------------------
#: SQLAlchemy URL of the archive (SQLite file by default; PostgreSQL works the same).
WARTA_DATABASE_URL = os.environ.get("WARTA_DATABASE_URL", "sqlite:///warta.sqlite")
#: Who to contact about this crawler; goes into the User-Agent. Set it to your address.
WARTA_CONTACT = os.environ.get("WARTA_CONTACT", "+https://github.com/warta-archive/warta")
#: Items written per transaction, and the longest an item waits in the batch (seconds).
WARTA_BATCH_SIZE = int(os.environ.get("WARTA_BATCH_SIZE", "50"))
WARTA_BATCH_SECONDS = float(os.environ.get("WARTA_BATCH_SECONDS", "5"))
#: Relax politeness (no delay, more concurrency) when the base URL is a loopback mirror.
WARTA_FAST_LOOPBACK = True

# --- Archive crawling: incremental runs, resume, run lock (docs/archive.md) -------
#: mode=incremental revisits the articles published in the last N days (conditional
#: requests; a 304 or the same body costs no write); 0 turns revisits off
WARTA_REVISIT_DAYS = float(os.environ.get("WARTA_REVISIT_DAYS", "2"))
#: an article checked less than this many minutes ago is not revisited (restarts)
WARTA_REVISIT_MIN_INTERVAL = float(os.environ.get("WARTA_REVISIT_MIN_INTERVAL", "30"))
#: profile spiders, mode=incremental: an index walk that reached the last complete walk stops
#: after this many consecutive listing pages without an article the archive does not hold
WARTA_INCREMENTAL_STOP_PAGES = int(os.environ.get("WARTA_INCREMENTAL_STOP_PAGES", "1"))
#: a restarted run answers the listing pages its interrupted predecessor stored from the archive
WARTA_RESUME_REPLAY = os.environ.get("WARTA_RESUME_REPLAY", "1") not in ("0", "false", "no")
#: ... only listing pages fetched in the last N hours (older ones are fetched again; 0: any age)
WARTA_RESUME_REPLAY_HOURS = float(os.environ.get("WARTA_RESUME_REPLAY_HOURS", "24"))
#: one run per spider per archive (crawler/runlock.py); heartbeat and takeover, seconds
WARTA_LOCK = os.environ.get("WARTA_LOCK", "1") not in ("0", "false", "no")
WARTA_LOCK_HEARTBEAT = float(os.environ.get("WARTA_LOCK_HEARTBEAT", "30"))
WARTA_LOCK_STALE = float(os.environ.get("WARTA_LOCK_STALE", "300"))
#: write WARC files during the crawl into this directory (crawler/warc.py); empty: off
WARTA_WARC_DIR = os.environ.get("WARTA_WARC_DIR", "")

# --- Parser health (crawler/health.py): the layout-change alarm -----------------
#: earlier healthy runs of a site needed before its fill rates are compared
WARTA_HEALTH_MIN_RUNS = int(os.environ.get("WARTA_HEALTH_MIN_RUNS", "3"))
#: how many recent healthy runs make the site's usual rate (their median)
WARTA_HEALTH_WINDOW = int(os.environ.get("WARTA_HEALTH_WINDOW", "10"))
#: alarm when a required field's rate < usual * (1 - DROP)
WARTA_HEALTH_DROP = float(os.environ.get("WARTA_HEALTH_DROP", "0.3"))
#: alarm when the parse-failure rate > usual + FAILURE_RISE (absolute)
WARTA_HEALTH_FAILURE_RISE = float(os.environ.get("WARTA_HEALTH_FAILURE_RISE", "0.2"))
#: runs with fewer article pages of a site are neither checked nor used as history
WARTA_HEALTH_MIN_ARTICLES = int(os.environ.get("WARTA_HEALTH_MIN_ARTICLES", "10"))
#: fields that must keep their usual fill rate (comma-separated in the environment)
WARTA_HEALTH_REQUIRED = os.environ.get("WARTA_HEALTH_REQUIRED", "headline,byline,published_at,body").split(",")
#: per-site overrides of the required list, e.g. {"kumparan.com": ["headline", "body"]}
WARTA_HEALTH_REQUIRED_SITES: dict = {}
#: seconds between the crawl's progress lines (crawler.progress.CrawlProgress; 0: off)
WARTA_PROGRESS_INTERVAL = float(os.environ.get("WARTA_PROGRESS_INTERVAL", "60"))

# --- Politeness (live sites) -------------------------------------------------
from crawler import __version__ as _version  # noqa: E402

USER_AGENT = f"Warta/{_version} (news archive crawler for research; {WARTA_CONTACT})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Bounded bodies: a page over 8 MiB is an error, not an article; warn at 2 MiB.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Never follow links to file://, data: or other schemes; offsite requests are dropped.
REDIRECT_MAX_TIMES = 5

# --- Request safety and retries (crawler/safety.py, docs/reliability.md) ------
# Only http(s), only the spider's allowed domains (also for dont_filter requests and
# redirects), no private/loopback address except the spider's own base_url origin.
DOWNLOADER_MIDDLEWARES = {
    "crawler.safety.RequestGuardMiddleware": 40,
    "crawler.safety.RedirectGuardMiddleware": 650,
    "crawler.safety.MetaRefreshGuardMiddleware": 585,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.safety.BackoffRetryMiddleware": 550,
    # the payload as received, before HttpCompressionMiddleware (590) decodes it
    "crawler.middlewares.WireCaptureMiddleware": 595,
    # a resumed run answers its predecessor's stored listing pages from the archive
    "crawler.middlewares.ListingReplayMiddleware": 60,
}
# No handler for anything but http(s): a file:// or data: URL can never be fetched.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
#: private/loopback hosts an operator trusts besides the spider's own origin
WARTA_PRIVATE_HOSTS_ALLOWED: list = []
#: retry backoff: first wait (seconds, doubled per retry, jittered) and its cap
WARTA_RETRY_BACKOFF = float(os.environ.get("WARTA_RETRY_BACKOFF", "1.0"))
WARTA_RETRY_BACKOFF_MAX = 60.0
#: the longest Retry-After we wait for; longer ones give the request up for this run
WARTA_RETRY_AFTER_MAX = 600.0
#: SQLite: seconds one write waits for a lock before it is logged and retried (with
#: backoff) -- an analyst's open transaction is waited for, visibly, never lost
WARTA_DB_BUSY_TIMEOUT = float(os.environ.get("WARTA_DB_BUSY_TIMEOUT", "5"))
#: total seconds a batch keeps retrying a locked database before the run fails
WARTA_DB_RETRY_TIMEOUT = float(os.environ.get("WARTA_DB_RETRY_TIMEOUT", "600"))

# --- Pipelines: one per concern, in order -------------------------------------
ITEM_PIPELINES = {
    "pipelines.clean.CleanTextPipeline": 100,
    "pipelines.dates.DatesPipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StoragePipeline": 400,
}

# --- Throughput and memory (measured by `python -m bench`, the crawl rows) -------
#: Scrapy starts CONCURRENT_ITEMS asyncio tasks per response (default 100); our
#: pipelines are synchronous, so a few suffice: ~15% more pages/s, 20% less CPU.
CONCURRENT_ITEMS = 8
#: Request fingerprints in a SQLite file with a small LRU (crawler/dupefilter.py)
#: instead of a set in memory: memory stays flat on backfills of any size, at no
#: measurable cost in pages/s.  (The distributed mode below replaces it by Redis.)
DUPEFILTER_CLASS = "crawler.dupefilter.SQLiteDupeFilter"
#: in-run duplicate keys the dedupe pipeline keeps in memory; beyond them the
#: archive decides (a repeat is then stored as "unchanged", never twice)
WARTA_DEDUPE_MAX_KEYS = int(os.environ.get("WARTA_DEDUPE_MAX_KEYS", "4096"))
#: requests queued in the scheduler above which the next listing page waits behind the
#: articles (spiders/base.py listing_priority): flat memory when discovery outruns fetching
WARTA_DISCOVERY_BACKLOG = int(os.environ.get("WARTA_DISCOVERY_BACKLOG", "500"))
#: article pages are parsed in worker processes beside the reactor (crawler/parsepool.py):
#: "auto" = one per usable CPU beyond the first (at most 4), "0" = inline
WARTA_PARSE_WORKERS = os.environ.get("WARTA_PARSE_WORKERS", "auto")
#: seconds one page may take in a parse worker; over it, the page is stored with
#: parse_error "parser timed out" and its worker is replaced
WARTA_PARSE_TIMEOUT = float(os.environ.get("WARTA_PARSE_TIMEOUT", "120"))

LOG_LEVEL = os.environ.get("WARTA_LOG_LEVEL", "INFO")
LOGSTATS_INTERVAL = 30.0
# A periodic line: pages, articles new/updated/unchanged, errors, rate.
EXTENSIONS = {
    "crawler.progress.CrawlProgress": 500,
    # one run per spider per archive: a second one exits with code 4 (crawler/runlock.py)
    "crawler.runlock.RunLockExtension": 100,
    # WARTA_WARC_DIR: WARC files written during the crawl (crawler/warc.py)
    "crawler.warc.WarcWriterExtension": 510,
}
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# --- Scale-out: distributed crawl over Redis (crawler/distributed.py, docs/scale-out.md) ---
# Only with WARTA_REDIS_URL in the environment: the scrapy-redis scheduler and dupefilter
# (keys "<WARTA_REDIS_PREFIX><WARTA_CRAWL_ID>:<spider>:*"), leases, idle exit.  Unset, none
# of this applies and redis is never imported.  Keep this block last: it extends
# ITEM_PIPELINES, EXTENSIONS and SPIDER_MIDDLEWARES as defined above.
WARTA_REDIS_URL = os.environ.get("WARTA_REDIS_URL", "")
if WARTA_REDIS_URL:
    from crawler.distributed import distributed_settings as _distributed_settings  # noqa: E402

    globals().update(_distributed_settings(os.environ, globals()))
# --- end scale-out ---------------------------------------------------------------
