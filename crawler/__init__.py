"""Warta: an archive crawler for Indonesian news sites.

The flow is page -> parser -> pipelines -> storage -> export:

* :mod:`crawler.spiders` fetch pages (Scrapy),
* :mod:`crawler.parsers` turn ``html + url`` into an article dict (pure, no Scrapy),
* :mod:`pipelines` clean, normalise dates, dedupe and store (one module per concern),
* :mod:`storage` holds the SQLAlchemy models, the repository and the exporters.
"""

__version__ = "0.1.0"
