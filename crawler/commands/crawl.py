"""`scrapy crawl` whose exit code reflects how the archive run ended.

Scrapy's own command exits 0 even when a run finished with errors or was
refused because another run holds the archive lock; cron needs a non-zero,
distinct code (see :mod:`crawler.exitcodes`).  The storage pipeline records
the code in the crawler stats as ``warta/exit_code``; we surface it here.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args, opts):  # Scrapy API
        if len(args) != 1:
            raise UsageError("give exactly one spider name (see `scrapy list`)")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats is not None:
            self.exitcode = int(crawler.stats.get_value("warta/exit_code", 0) or 0)
