"""Declarative site profiles: one :class:`Profile` per site, nothing else to write.

A profile module lives in :mod:`crawler.parsers.sites` and defines ``PROFILE``;
the package imports every module there, builds the page classes
(:class:`~crawler.parsers.base.ArticlePage` subclasses, one per layout version)
and registers them by domain, and :mod:`crawler.spiders.profiles` builds one
spider per profile.  Adding a site = ``crawler/parsers/sites/<name>.py`` +
``fixtures/<name>/`` (at least one article page and its hand-checked JSON).

What a profile holds:

* ``domains`` (subdomains match), ``base_url``, ``article_path`` (regex on the
  URL path with named groups ``id`` and optionally ``section`` / ``year`` / ``month``);
* ``layouts``: selectors per field, newest first; each picked by its ``marker``
  selector, or by the page date (``valid_until``) when no marker matches;
* ``listing``: selectors of the site's index page (items, link, date, next);
* ``discovery``: index URL templates with ``{page}`` (and ``{date}`` formatted
  with ``date_format``), sitemap and RSS URLs;
* ``pagination``: in-article paging -- ``"all"`` (fetch ``url + all_query``,
  kompas ``?page=all``) or ``"follow"`` (fetch the pages linked by
  ``page_links`` and join their bodies: tribunnews ``?page=N``, detik multi-page);
* ``date_shapes`` / ``dateline`` / ``credit``: the conventions seen on the site,
  as documentation and test data (the shared date parser reads them all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.parsers.base import ArticlePage, parse_html, select

__all__ = ["Layout", "Listing", "Discovery", "Pagination", "Profile", "build_page_classes", "page_links"]


@dataclass(frozen=True)
class Layout:
    version: int
    marker: str | None = None
    valid_until: date | None = None
    headline: str | None = None
    byline: str | None = None
    editor: str | None = None
    dates: str | None = None
    caption: str | None = None
    caption_credit: str | None = None
    image: str | None = None
    body: str | None = None
    body_skip: str | None = None
    tags: str | None = None


@dataclass(frozen=True)
class Listing:
    item: str | None = None
    link: str | None = None
    date: str | None = None
    #: the title inside the item, where ``link`` wraps the whole card
    headline: str | None = None
    next: str | None = None


@dataclass(frozen=True)
class Discovery:
    #: latest-first index pages; ``{page}`` is 1, 2, ... and ``{offset}`` is 0,
    #: ``page_size``, 2 * ``page_size``, ... (sites that page by item offset)
    index: tuple[str, ...] = ()
    #: per-day index pages; ``{page}`` and ``{date}`` (formatted with ``date_format``)
    dated_index: str | None = None
    date_format: str = "%Y-%m-%d"
    sitemaps: tuple[str, ...] = ()
    rss: tuple[str, ...] = ()
    max_pages: int = 50
    #: items per index page, for ``{offset}`` templates
    page_size: int = 20


@dataclass(frozen=True)
class Pagination:
    mode: str | None = None  # None | "all" | "follow"
    all_query: str = "page=all"
    #: selector of the links to the article's other pages ("follow")
    page_links: str | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    domains: tuple[str, ...]
    base_url: str
    article_path: str
    layouts: tuple[Layout, ...]
    listing: Listing = field(default_factory=Listing)
    discovery: Discovery = field(default_factory=Discovery)
    pagination: Pagination = field(default_factory=Pagination)
    date_shapes: tuple[str, ...] = ()
    dateline: str | None = None
    credit: str | None = None
    #: page classes (filled by :func:`build_page_classes`)
    pages: tuple[type[ArticlePage], ...] = ()

    @property
    def article_re(self) -> re.Pattern:
        return re.compile(self.article_path)

    def article_id(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        host = (parts.hostname or "").lower()
        if not any(host == d or host.endswith("." + d) for d in self.domains):
            return None
        m = self.article_re.match(parts.path)
        return m.group("id") if m else None


def build_page_classes(profile: Profile) -> tuple[type[ArticlePage], ...]:
    """One ArticlePage subclass per layout, newest first (``VERSIONS``)."""
    classes: list[type[ArticlePage]] = []
    pattern = profile.article_re
    camel = "".join(part.capitalize() for part in re.split(r"[^a-z0-9]+", profile.name) if part)
    for layout in profile.layouts:
        attrs: dict[str, Any] = {
            "__module__": f"crawler.parsers.sites.{profile.name}",
            "__doc__": f"{profile.name} layout v{layout.version} (generated from its profile).",
            "NAME": profile.name,
            "VERSION": layout.version,
            "SITE": profile.domains[0],
            "MARKER": layout.marker,
            "VALID_UNTIL": layout.valid_until,
            "ARTICLE_PATH_RE": pattern,
            "PROFILE": profile,
            "SITE_HEADLINE": layout.headline,
            "SITE_BYLINE": layout.byline,
            "SITE_EDITOR": layout.editor,
            "SITE_DATES": layout.dates,
            "SITE_CAPTION": layout.caption,
            "SITE_CAPTION_CREDIT": layout.caption_credit,
            "SITE_IMAGE": layout.image,
            "SITE_BODY": layout.body,
            "SITE_BODY_SKIP": layout.body_skip,
            "SITE_TAGS": layout.tags,
            "LISTING_ITEM": profile.listing.item,
            "LISTING_LINK": profile.listing.link,
            "LISTING_DATE": profile.listing.date,
            "LISTING_HEADLINE": profile.listing.headline,
            "LISTING_NEXT": profile.listing.next,
        }
        classes.append(type(f"{camel}PageV{layout.version}", (ArticlePage,), attrs))
    versions = tuple(classes)
    for cls in versions:
        cls.VERSIONS = versions
    return versions


def page_links(html: str, url: str, profile: Profile) -> list[str]:
    """The article's other pages (``pagination.mode == "follow"``), in order,
    absolute, without the page itself; ``[]`` when there are none."""
    sel = profile.pagination.page_links
    if profile.pagination.mode != "follow" or not sel:
        return []
    root = parse_html(html)
    if root is None:
        return []
    base = url.split("#", 1)[0]
    out: list[str] = []
    for a in select(root, sel):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#")):
            continue
        if set((a.get("class") or "").split()) & {"active", "current", "selected"}:
            continue
        full = urljoin(url, href).split("#", 1)[0]
        if re.sub(r"[?&]page=1$", "", full) == base:
            continue
        if full != base and full not in out and "page=all" not in full:
            out.append(full)
    return out
