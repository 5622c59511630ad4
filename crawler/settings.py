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

# --- Pipelines: one per concern, in order -------------------------------------
ITEM_PIPELINES = {
    "pipelines.clean.CleanTextPipeline": 100,
    "pipelines.dates.DatesPipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StoragePipeline": 400,
}

LOG_LEVEL = os.environ.get("WARTA_LOG_LEVEL", "INFO")
LOGSTATS_INTERVAL = 30.0
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
