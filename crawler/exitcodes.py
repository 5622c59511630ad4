"""Process exit codes shared by `warta` and `scrapy crawl` (documented in the README).

Cron mails a person when a job exits non-zero; distinct codes tell them why.
"""

OK = 0
#: a crawl or command ran and finished with errors (run status "failed")
FAILURE = 1
#: bad command-line arguments (argparse also uses 2)
USAGE = 2
#: the crawl was interrupted (SIGTERM / Ctrl-C / kill) before it finished
INTERRUPTED = 3
#: another run of the same spider holds the archive lock (cron overlap)
LOCKED = 4
#: a parser-health alarm fired: a site's layout may have changed
LAYOUT_ALARM = 5
