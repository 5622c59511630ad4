"""Clean text: the first pipeline, whatever parser produced the article.

Site parsers already normalise what they extract; this stage guarantees the
same for every source (generic parser, re-parses of old archives, future
sites), so that content hashes and exports never differ by invisible
characters:

* every string field NFC-normalised with whitespace collapsed as a browser
  shows it (``normalize_ws``); the body keeps its paragraphs, one blank line
  between them (``normalize_multiline``);
* list fields (byline, tags) without empty or repeated entries;
* body paragraphs that merely repeat the byline or the caption (templates that
  print the photo caption or the author's name again inside the body) dropped.
"""

from __future__ import annotations

from typing import Any

from crawler.items import ARTICLE_FIELDS, DICT_FIELDS, LIST_FIELDS
from crawler.parsers.text import normalize_multiline, normalize_ws

#: string fields that are a single line of text
LINE_FIELDS = tuple(
    name for name in ARTICLE_FIELDS
    if name not in LIST_FIELDS and name not in DICT_FIELDS and name != "body"
)


def dedupe(values: list[Any]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values or []:
        text = normalize_ws(str(value)) if value is not None else ""
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def clean_article(article: dict[str, Any]) -> dict[str, Any]:
    """Normalise ``article`` in place and return it."""
    for name in LINE_FIELDS:
        value = article.get(name)
        if isinstance(value, str):
            article[name] = normalize_ws(value) or None
    for name in ("byline", "tags"):
        article[name] = dedupe(article.get(name) or [])
    body = article.get("body")
    if isinstance(body, str):
        repeats = {s.casefold() for s in article["byline"]}
        for name in ("caption", "headline"):
            if article.get(name):
                repeats.add(article[name].casefold())
        caption, credit = article.get("caption"), article.get("caption_credit")
        if caption and credit:
            repeats.add(f"{caption} (foto: {credit})".casefold())
        paragraphs = [p for p in normalize_multiline(body).split("\n\n")
                      if p.casefold() not in repeats]
        article["body"] = "\n\n".join(paragraphs) or None
    return article


class CleanTextPipeline:
    """Scrapy pipeline: apply :func:`clean_article` to the article of a PageItem."""

    def process_item(self, item, spider=None):
        article = item.get("article")
        if article is not None and not article.get("parse_error"):
            clean_article(article)
        return item
