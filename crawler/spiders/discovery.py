"""Discovery helpers shared by the profile spiders and ``generic``: sitemaps
(``urlset`` / ``sitemapindex``, gzip or plain) and RSS/Atom feeds, parsed with
an XML parser that never expands entities nor touches the network; and the
in-article pagination join.  Pure functions over strings/bytes: testable
without Scrapy or a network."""

from __future__ import annotations

import gzip
from typing import Any

from lxml import etree

__all__ = ["read_sitemap", "parse_sitemap", "parse_feed", "join_pages", "MAX_XML_BYTES"]

#: a sitemap larger than this (after gunzip) is refused (the protocol caps at 50 MB)
MAX_XML_BYTES = 60 * 1024 * 1024


def _xml_root(data: bytes | str) -> Any:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=__import__("io").BytesIO(data)) as fh:
                data = fh.read(MAX_XML_BYTES + 1)
        except (OSError, EOFError):
            return None
    if len(data) > MAX_XML_BYTES:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             recover=True, remove_comments=True)
    try:
        return etree.fromstring(data.strip(), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(el: Any, name: str) -> str | None:
    for child in el:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def read_sitemap(data: bytes | str) -> dict[str, list]:
    """``{"sitemaps": [{"url", "lastmod"}], "urls": [{"url", "lastmod", "published"}]}``:
    the child sitemaps of a ``sitemapindex`` or the entries of a ``urlset``, with their
    ``lastmod`` (raw text, or ``None``); news-sitemap ``<news:publication_date>`` goes
    to ``published``."""
    out: dict[str, list] = {"sitemaps": [], "urls": []}
    root = _xml_root(data)
    if root is None:
        return out
    kind = _local(root.tag)
    for el in root:
        name = _local(el.tag)
        if kind == "sitemapindex" and name == "sitemap":
            loc = _child_text(el, "loc")
            if loc:
                out["sitemaps"].append({"url": loc, "lastmod": _child_text(el, "lastmod")})
        elif kind == "urlset" and name == "url":
            loc = _child_text(el, "loc")
            if not loc:
                continue
            published = None
            for sub in el.iter():
                if _local(sub.tag) == "publication_date" and (sub.text or "").strip():
                    published = sub.text.strip()
                    break
            out["urls"].append({"url": loc, "lastmod": _child_text(el, "lastmod"), "published": published})
    return out


def parse_sitemap(data: bytes | str) -> dict[str, list]:
    """:func:`read_sitemap` with the child sitemaps as bare URLs:
    ``{"sitemaps": [url, ...], "urls": [{"url", "lastmod", "published"}]}``."""
    doc = read_sitemap(data)
    return {"sitemaps": [child["url"] for child in doc["sitemaps"]], "urls": doc["urls"]}


def parse_feed(data: bytes | str) -> list[dict[str, Any]]:
    """RSS 2.0 / Atom items: ``[{"url", "headline", "published"}]`` in feed order."""
    root = _xml_root(data)
    if root is None:
        return []
    items = []
    for el in root.iter():
        name = _local(el.tag)
        if name not in ("item", "entry"):
            continue
        link = _child_text(el, "link")
        if not link:
            for child in el:
                if _local(child.tag) == "link" and child.get("href"):
                    link = child.get("href").strip()
                    break
        if not link:
            link = _child_text(el, "guid")
        if not link:
            continue
        published = _child_text(el, "pubdate") or _child_text(el, "published") or _child_text(el, "updated")
        items.append({"url": link, "headline": _child_text(el, "title"), "published": published})
    return items


def join_pages(first: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    """The article of a multi-page story: page 1's record with the bodies of the
    following pages appended (in order, a paragraph already present skipped)."""
    article = dict(first)
    paras = (article.get("body") or "").split("\n\n") if article.get("body") else []
    seen = set(paras)
    for other in others:
        for para in (other.get("body") or "").split("\n\n"):
            if para and para not in seen:
                seen.add(para)
                paras.append(para)
    article["body"] = "\n\n".join(paras) or None
    if others:
        article["warnings"] = list(article.get("warnings") or []) + [f"body: joined from {1 + len(others)} pages"]
    return article
