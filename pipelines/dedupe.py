"""URL canonicalisation, content hashing and in-run de-duplication.

Two different questions, answered in two different places:

* *Is this the same page as one we already saw in this process?*  The
  :class:`DedupePipeline` keeps a bounded LRU of ``(canonical_url, content_hash)``
  and flags exact repeats (``item["duplicate"] = True``) so the article is not
  written twice.  The page itself is still stored: every response gets a row.
* *Is this article new, unchanged or a new revision?*  Decided by the **database**
  (``storage.repository.Archive.store_batch``), never by process memory, so that
  several workers and several runs agree.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, OrderedDict
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = [
    "HASH_FIELDS",
    "DedupePipeline",
    "canonicalize_url",
    "content_hash",
]

#: Query parameters that never change the content: analytics and click ids.
_TRACKING_EXACT = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "amp"})
_TRACKING_PREFIXES = ("utm_", "mc_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_PREFIXES = ("www.", "amp.")


def canonicalize_url(url: str) -> str:
    """Return the canonical form of ``url`` (idempotent, never raises).

    * scheme and host lower-cased, ``www.`` and ``amp.`` host prefixes dropped
      (only while a dotted name remains, so ``www.com`` stays), trailing dot dropped;
    * default ports (``:80`` for http, ``:443`` for https) dropped, others kept;
    * the scheme is kept as given (``https`` stays ``https``, ``http`` stays ``http``:
      a local mirror is plain http);
    * AMP variants map to the normal page: an ``amp`` path segment
      (``/amp/...``, ``.../slug/amp``), a ``.amp`` suffix of the last segment, the
      ``amp`` query parameter (``?amp``, ``?amp=1``), the ``amp.`` subdomain;
    * ``utm_*``, ``mc_*``, ``fbclid``, ``gclid`` (and similar click ids) removed;
      the remaining query parameters sorted (raw text kept, no re-encoding);
    * fragment dropped; an empty path becomes ``/``.

    Path case and percent-encoding are left alone (paths are case-sensitive).
    """
    if not isinstance(url, str):
        return url
    return _canonicalize(url)


# bounded small: the same URL is canonicalised a few times within one batch (spider,
# dedupe, store); a large cache only makes a crawl's memory grow with its size
@lru_cache(maxsize=4096)
def _canonicalize(url: str) -> str:
    # One pass is normally a fixed point; a few more make odd input (whitespace left
    # in front of a removed fragment, nested AMP markers...) idempotent as well.
    result = _canonicalize_once(url)
    for _ in range(4):
        again = _canonicalize_once(result)
        if again == result:
            break
        result = again
    return result


def _canonicalize_once(url: str) -> str:
    raw = url.strip()
    if not raw:
        return raw
    try:
        parts = urlsplit(raw)
        scheme = parts.scheme.lower()
        netloc = _netloc(parts, scheme)
    except ValueError:
        return raw
    path = _path(parts.path)
    if not path and netloc:
        path = "/"
    elif not netloc and path.startswith("//"):
        # "http:////x" would otherwise re-parse with "x" as the host
        path = "/" + path.lstrip("/")
    query = _query(parts.query)
    return urlunsplit((scheme, netloc, path, query, "")).strip()


def _netloc(parts, scheme: str) -> str:
    netloc = parts.netloc
    if not netloc:
        return ""
    userinfo = netloc.rpartition("@")[0]
    host = parts.hostname or ""
    port = parts.port  # raises ValueError on a bad port -> caller returns url as is
    host = host.rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            rest = host[len(prefix):]
            if host.startswith(prefix) and "." in rest.strip("."):
                host = rest
                changed = True
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    return f"{userinfo}@{host}" if userinfo else host


def _path(path: str) -> str:
    # Repeat until nothing changes: this makes the transformation idempotent even
    # for pathological input such as "/slug.amp.amp" or "/amp/amp/".
    while True:
        new = _path_once(path)
        if new == path:
            return path
        path = new


def _path_once(path: str) -> str:
    if not path or "amp" not in path.lower():
        return path
    segments = path.split("/")
    # index of the last non-empty segment
    last = max((i for i, s in enumerate(segments) if s), default=-1)
    if last >= 0 and segments[last].lower().endswith(".amp"):
        segments[last] = segments[last][: -len(".amp")]
    kept = [s for s in segments if s.lower() != "amp"]
    if len(kept) != len(segments):
        removed_last = last >= 0 and segments[last].lower() == "amp"
        new = "/".join(kept)
        if removed_last:
            new = new.rstrip("/")
        if path.startswith("/") and not new.startswith("/"):
            new = "/" + new
        return new
    return "/".join(segments)


def _query(query: str) -> str:
    if not query:
        return ""
    kept = []
    for part in query.split("&"):
        if not part:
            continue
        key = unquote_plus(part.split("=", 1)[0]).strip().lower()
        if key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(part)
    kept.sort()
    return "&".join(kept)


#: The fields that define a revision of an article.
#:
#: Not included, on purpose:
#:
#: * ``published_at`` (and the ``*_raw`` strings): the publication time of an article
#:   does not change when it is edited; a parser fix that reads it differently (e.g. a
#:   time-zone correction) must not create a spurious revision for every article.
#:   ``updated_at`` *is* included: it is the site's own signal that it edited the page.
#: * ``fetched_at``: changes on every fetch, so every fetch would be a "revision".
#: * ``warnings``, ``field_sources``, ``parser``, ``parse_error``: extraction metadata
#:   describing our parser, not the article; they change with parser versions.
#: * ``url`` / ``canonical_url`` / ``site`` / ``site_article_id`` / ``section``: these
#:   identify the article (they are the lookup key), they are not its content.
#: * ``dateline`` / ``language``: derived from the body (dateline) or constant.
HASH_FIELDS = (
    "headline",
    "byline",
    "updated_at",
    "body",
    "caption",
    "caption_credit",
    "lead_image_url",
    "tags",
    "editor",
)


def content_hash(article: dict[str, Any]) -> str:
    """sha256 (hex) over a stable JSON of :data:`HASH_FIELDS`.

    Stable: keys sorted, compact separators, UTF-8 (``ensure_ascii=False``); a
    missing field hashes like ``None``, and an empty list like ``None`` too, so a
    parser that starts emitting ``[]`` instead of ``null`` does not create
    revisions.  List order is kept (byline / tag order is content).
    """
    payload = {}
    for name in HASH_FIELDS:
        value = article.get(name)
        if value in ([], (), "", {}):
            value = None
        elif isinstance(value, tuple):
            value = list(value)
        payload[name] = value
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class DedupePipeline:
    """Scrapy pipeline: canonical URL + content hash, in-run exact duplicates flagged.

    ``item`` is a :class:`crawler.items.PageItem` (``{"page": {...}, "article": dict | None}``).
    For an article it sets ``article["canonical_url"]`` and ``article["content_hash"]``;
    when the same ``(canonical_url, content_hash)`` was already seen in this process
    it sets ``item["duplicate"] = True`` and counts ``warta/duplicates_skipped``.  The
    item is always returned (never dropped): the page is still stored.

    Memory is bounded: an LRU of at most ``max_keys`` keys
    (setting ``WARTA_DEDUPE_MAX_KEYS``, default 100 000).
    """

    STATS_KEY = "warta/duplicates_skipped"

    def __init__(self, max_keys: int = 100_000, crawler_stats: Any = None) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.max_keys = max_keys
        self.crawler_stats = crawler_stats
        self.stats: Counter[str] = Counter()
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler) -> "DedupePipeline":
        max_keys = crawler.settings.getint("WARTA_DEDUPE_MAX_KEYS", 100_000)
        return cls(max_keys=max_keys, crawler_stats=getattr(crawler, "stats", None))

    def process_item(self, item, spider=None):
        page = item.get("page")
        if isinstance(page, dict) and page.get("url") and not page.get("url_key"):
            page["url_key"] = canonicalize_url(page["url"])
        article = item.get("article")
        if not article:
            return item
        source = article.get("canonical_url") or article.get("url")
        if source:
            article["canonical_url"] = canonicalize_url(source)
        article["content_hash"] = content_hash(article)
        if article.get("parse_error") or not article.get("canonical_url"):
            return item
        key = (article["canonical_url"], article["content_hash"])
        if key in self._seen:
            self._seen.move_to_end(key)
            item["duplicate"] = True
            self._count(spider)
        else:
            self._seen[key] = None
            if len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
        return item

    def _count(self, spider) -> None:
        self.stats[self.STATS_KEY] += 1
        stats = self.crawler_stats
        if stats is None and spider is not None:
            stats = getattr(getattr(spider, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(self.STATS_KEY)
