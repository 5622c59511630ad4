"""The article schema: the one definition every part of Warta agrees on.

A parser returns a plain, JSON-serialisable ``dict`` with exactly the keys of
:data:`ARTICLE_FIELDS` (see :func:`empty_article`).  Raw strings and parsed
values sit side by side (``published_raw`` next to ``published_at``), in the
spirit of zyte-common-items, so that a date that could not be parsed is never
lost: the raw string stays and a warning says why the parsed value is missing.

Dates are ISO 8601 strings with the site's UTC offset
(``2023-12-05T01:10:00+07:00``), never naive.

The spider wraps every fetched response in a :class:`PageItem` (raw bytes and
headers, plus the parsed article or the parse error), so that the storage
pipeline can keep every page, including the ones that are not articles.
"""

from __future__ import annotations

from typing import Any

#: Field name -> one-line meaning.  Order is the documented export order.
ARTICLE_FIELDS: dict[str, str] = {
    "url": "URL the page was fetched from (after redirects)",
    "canonical_url": "canonical URL: <link rel=canonical> or og:url, normalised (no utm_*, fbclid, fragment, AMP)",
    "site": "site domain without www, e.g. monitorindonesia.com",
    "site_article_id": "the site's own article id taken from the URL (string of digits), or null",
    "section": "site section / rubric, lower case as in the URL, e.g. ekonomi",
    "headline": "article headline as printed",
    "byline": "list of person names, deduplicated, without labels (Penulis:/Editor:) or desk suffixes",
    "editor": "editor: trailing initials '(Ran)' -> 'Ran', or a named editor",
    "published_at": "publication time, ISO 8601 with offset (+07:00 WIB, +08:00 WITA, +09:00 WIT)",
    "updated_at": "last update time ('Diperbarui ...'), ISO 8601 with offset, or null",
    "published_raw": "the exact string the published time was read from",
    "updated_raw": "the exact string the updated time was read from",
    "dateline": "place in the lead, e.g. 'Jakarta' from 'Jakarta, MI -'",
    "caption": "lead photo caption without the credit",
    "caption_credit": "photo credit, e.g. 'Setpres' from '(Foto: Setpres)'",
    "lead_image_url": "absolute URL of the lead image",
    "body": "plain text, paragraphs separated by one blank line, boilerplate removed",
    "tags": "list of topic tags",
    "language": "BCP-47 language code, e.g. 'id'",
    "fetched_at": "when the page was fetched, ISO 8601 UTC",
    "content_hash": "sha256 over the fields that define a revision (see pipelines.dedupe)",
    "parser": "name/version of the parser that produced this record, e.g. 'monitor/1'",
    "field_sources": "field -> where the value came from ('site', 'json-ld', 'og', 'h1', ...)",
    "warnings": "list of 'field: what could not be extracted and why'",
    "parse_error": "null for an article; otherwise why this page is not an article",
}

#: Fields whose value is a list.
LIST_FIELDS = frozenset({"byline", "tags", "warnings"})
#: Fields whose value is a dict.
DICT_FIELDS = frozenset({"field_sources"})


def empty_article(url: str = "") -> dict[str, Any]:
    """Return a record with every schema key present and empty."""
    article: dict[str, Any] = {}
    for name in ARTICLE_FIELDS:
        if name in LIST_FIELDS:
            article[name] = []
        elif name in DICT_FIELDS:
            article[name] = {}
        else:
            article[name] = None
    article["url"] = url or None
    return article


def failed_article(url: str, fetched_at: str | None, error: str) -> dict[str, Any]:
    """The record of a page the parser could not handle: empty fields and the
    reason in ``parse_error`` (the page itself is stored all the same)."""
    article = empty_article(url if isinstance(url, str) else "")
    article["fetched_at"] = fetched_at
    article["parse_error"] = error[:500]
    return article


class PageItem(dict):
    """What the spider yields for every response it receives.

    Keys:

    * ``page``: ``{"url", "status", "headers" (dict str -> str), "body" (bytes),
      "fetched_at" (ISO UTC), "kind" ("article" | "listing" | "robots" | "other"),
      "request_headers" (dict), "encoding"}``
    * ``article``: the parser's dict for article pages, else ``None``.

    A plain ``dict`` subclass so Scrapy accepts it as an item without extra
    adapters and pipelines can treat it as a mapping.
    """
