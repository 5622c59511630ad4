"""Pure page parsers: ``html + url -> dict``.  No Scrapy, no network.

* :func:`parse_article` -- the article schema of :mod:`crawler.items`; never raises.
* :func:`parse_listing` -- items and next page of a listing page.
* :data:`SITE_PARSERS` -- domain -> page class; :func:`parser_for` picks one:
  by the URL's host, else (a mirror on 127.0.0.1, a proxy) by the host of the
  page's ``<link rel=canonical>`` / ``og:url``, else :class:`GenericPage`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from crawler.items import failed_article
from crawler.parsers.base import ArticlePage, ElementIndex, GenericPage, parse_html, select_one
from crawler.parsers.encoding import decode_html
from crawler.parsers.monitor import MonitorIndonesiaPage

__all__ = [
    "parse_article",
    "parse_listing",
    "parse_generic",
    "profile_for",
    "PROFILES",
    "parser_for",
    "register",
    "SITE_PARSERS",
    "ArticlePage",
    "GenericPage",
    "decode_html",
]

log = logging.getLogger(__name__)

#: domain (without www) -> page class (its ``VERSIONS`` pick the layout)
SITE_PARSERS: dict[str, type[ArticlePage]] = {}


def register(domain: str, page_class: type[ArticlePage]) -> None:
    SITE_PARSERS[domain.lower()] = page_class


register("monitorindonesia.com", MonitorIndonesiaPage)

# declarative site profiles (crawler/parsers/sites/<name>.py): every domain of
# every profile, newest layout first (the class's VERSIONS pick the layout)
from crawler.parsers.sites import PROFILES  # noqa: E402

for _profile in PROFILES.values():
    for _domain in _profile.domains:
        register(_domain, _profile.pages[0])


def profile_for(url: str):
    """The :class:`~crawler.parsers.profile.Profile` of this URL's host, or ``None``."""
    cls = _lookup(_host(url))
    return getattr(cls, "PROFILE", None) if cls is not None else None


def _host(url: Any) -> str:
    if not isinstance(url, str) or not url:
        return ""
    try:
        return (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _lookup(host: str) -> type[ArticlePage] | None:
    """Exact domain, then parent domains (www., m., amp. subdomains)."""
    while host:
        cls = SITE_PARSERS.get(host)
        if cls is not None:
            return cls
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
        if "." not in host:  # do not match a bare TLD
            return None
    return None


def parser_for(url: str, root: Any = None, index: ElementIndex | None = None) -> type[ArticlePage]:
    """The page class for this URL / document (layout version included)."""
    cls = _lookup(_host(url))
    if cls is None and root is not None:
        for css, attr in (("link[rel~=canonical]", "href"), ('meta[property="og:url"]', "content")):
            el = select_one(root, css)
            cls = _lookup(_host(el.get(attr) if el is not None else None))
            if cls is not None:
                break
    if cls is None:
        cls = GenericPage
    return cls.variant_for(root, url, index)


def _as_text(html: Any) -> str:
    if html is None:
        return ""
    if isinstance(html, (bytes, bytearray, memoryview)):
        return decode_html(bytes(html))
    return html if isinstance(html, str) else str(html)


def parse_article(html: str, url: str, *, fetched_at: str | None = None) -> dict[str, Any]:
    """Parse an article page into the schema dict.  Never raises: an internal
    error gives ``parse_error = "parser crashed: <ExcType>: <msg>"``."""
    try:
        root = parse_html(_as_text(html))
        index = ElementIndex(root) if root is not None else None
        page_class = parser_for(url, root, index)
        page = page_class(None, url, tree=root, fetched_at=fetched_at, index=index)
        return page.to_dict()
    except Exception as exc:  # the contract: never raise
        log.warning("parser crashed on %r: %r", url, exc)
        return failed_article(url, fetched_at, f"parser crashed: {type(exc).__name__}: {exc}")


def parse_generic(html: str, url: str, *, fetched_at: str | None = None) -> dict[str, Any]:
    """:func:`parse_article` with the generic extractor only (no site profile);
    used by the ``generic`` spider and the benchmark.  Never raises."""
    try:
        root = parse_html(_as_text(html))
        index = ElementIndex(root) if root is not None else None
        page = GenericPage(None, url, tree=root, fetched_at=fetched_at, index=index)
        return page.to_dict()
    except Exception as exc:
        return failed_article(url, fetched_at, f"parser crashed: {type(exc).__name__}: {exc}")


def parse_listing(html: str, url: str) -> dict[str, Any]:
    """``{"items": [{"url", "headline", "published_raw", "published_at"}], "next_url"}``
    with absolute URLs; an unparseable page gives no items."""
    try:
        root = parse_html(_as_text(html))
        return parser_for(url, root).listing_from_tree(root, url)
    except Exception as exc:
        log.warning("listing parser crashed on %r: %r", url, exc)
        return {"items": [], "next_url": None}
