"""Monitor Indonesia (monitorindonesia.com).

Article URL: ``/<section>/read/<YYYY>/<MM>/<id>/<slug>`` (see docs/architecture.md).

Two layouts, chosen by markup (fundus-style versions, newest first):

* ``monitor/1`` -- :class:`MonitorIndonesiaPage`, the current layout
  (``h1.read__title``, ``.read__content``, "Diperbarui …" in ``.read__time``);
  the reference page is ``fixtures/monitor/2023-12-05_updated_ri-china-baterai.html``.
* ``monitor/0`` -- :class:`MonitorIndonesiaPage2021`, the 2021 WordPress theme
  (``h1.entry-title``, ``.entry-content``, ``time.entry-date``, "Editor:" in the
  entry footer) still served for old articles; valid until the end of 2022.

Everything not listed here comes from :class:`~crawler.parsers.base.ArticlePage`.
"""

from __future__ import annotations

import re
from datetime import date

from crawler.parsers.base import ArticlePage

__all__ = ["MonitorIndonesiaPage", "MonitorIndonesiaPage2021", "ARTICLE_PATH_RE"]

ARTICLE_PATH_RE = re.compile(
    r"^/(?P<section>[a-z0-9][a-z0-9-]{0,40})/read/(?P<year>\d{4})/(?P<month>\d{2})/(?P<id>\d{1,12})/(?P<slug>[^/?#]+)/?$"
)


class MonitorIndonesiaPage(ArticlePage):
    """Current layout (2023-)."""

    NAME = "monitor"
    VERSION = 1
    SITE = "monitorindonesia.com"
    MARKER = "h1.read__title, div.read__content"
    VALID_UNTIL = None
    ARTICLE_PATH_RE = ARTICLE_PATH_RE

    SITE_HEADLINE = "h1.read__title"
    # the avatar link repeats the name: only the name link counts
    SITE_BYLINE = ".read__author a.read__author-name"
    SITE_EDITOR = ".read__editor"
    SITE_DATES = ".read__time"
    SITE_CAPTION = "figure.read__photo figcaption"
    SITE_IMAGE = "figure.read__photo img"
    SITE_BODY = "div.read__content"
    SITE_BODY_SKIP = ".baca-juga, .ads, .embed"
    SITE_TAGS = ".read__tags a[rel~=tag]"

    LISTING_ITEM = "article.latest__item"
    LISTING_LINK = "h2.latest__title a.latest__link[href]"
    LISTING_DATE = "time.latest__date"
    LISTING_NEXT = "nav.pagination a[rel~=next]"

    def is_placeholder_image(self, url: str) -> bool:
        # site defaults live under /assets/img/ (logo, share placeholder)
        return "/assets/img/" in url or super().is_placeholder_image(url)


class MonitorIndonesiaPage2021(MonitorIndonesiaPage):
    """2021 WordPress theme (custom permalinks already used the /read/ scheme)."""

    VERSION = 0
    MARKER = "h1.entry-title, div.entry-content"
    VALID_UNTIL = date(2022, 12, 31)

    SITE_HEADLINE = "h1.entry-title"
    SITE_BYLINE = ".entry-meta .author a"
    SITE_EDITOR = ".entry-footer .editor-name"
    SITE_DATES = ".entry-meta .posted-on time.entry-date"
    SITE_CAPTION = ".entry-content figure.wp-caption figcaption, .post-thumbnail figcaption"
    SITE_IMAGE = ".post-thumbnail img, .entry-content figure.wp-caption img"
    SITE_BODY = "div.entry-content"
    SITE_BODY_SKIP = ".sharedaddy, .jp-relatedposts, .code-block"
    SITE_TAGS = ".entry-footer .tags-links a[rel~=tag]"


MonitorIndonesiaPage.VERSIONS = (MonitorIndonesiaPage, MonitorIndonesiaPage2021)
