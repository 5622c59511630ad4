"""ArticlePage: the page-object base class every site parser derives from.

In the style of fundus / web-poet: a page object is built from ``(html, url)``,
parses the document **once** with :mod:`lxml.html`, and exposes one method per
field (``headline()``, ``byline()``, ``published()``, ...).  Each method tries
the site's own markup first (the ``SITE_*`` CSS selectors a subclass sets, or
an overridden ``site_*`` method) and then the shared ``generic_*`` fallbacks:

* JSON-LD (``NewsArticle`` / ``Article`` / ``ReportageNewsArticle`` / ...,
  inside ``@graph`` or lists; malformed JSON is repaired or skipped);
* OpenGraph / ``article:*`` / ``meta[name=author]`` meta tags;
* ``<h1>``, ``<time datetime>``, ``<figure>/<figcaption>``;
* the largest block of paragraphs for the body.

The winner of every field is recorded in ``field_sources`` and every required
field that could not be found adds a warning, so a layout change shows up in
the data instead of failing silently.  :meth:`ArticlePage.to_dict` returns the
schema dict of :mod:`crawler.items`.

A page without a headline or body (listing page, 404, soft 404) gets
``parse_error`` set and only its identity fields filled.

Parser versions (fundus style): a site class lists its layouts in
``VERSIONS``, newest first; each has a ``MARKER`` selector that recognises its
markup and a ``VALID_UNTIL`` date used when no marker matches.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.items import ARTICLE_FIELDS, empty_article
from crawler.parsers import text as T
from pipelines.dates import parse_date_raw, to_iso
from pipelines.dedupe import canonicalize_url

__all__ = [
    "ArticlePage",
    "GenericPage",
    "DateValue",
    "parse_html",
    "block_paragraphs",
    "select",
    "select_one",
]

# ---------------------------------------------------------------------------
# parsing and selecting
# ---------------------------------------------------------------------------

_local = threading.local()


def _html_parser() -> etree.HTMLParser:
    # lxml parsers must not be shared between threads.  A plain etree parser
    # (not lxml.html's): its elements have no Python class lookup, which makes
    # walking the tree several times faster.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
        )
    return parser


def parse_html(html: str | bytes | None) -> Any:
    """Parse a document once; ``None`` for an empty or unparseable one.

    Text is handed to libxml2 as UTF-8 bytes with the encoding fixed, so an
    ``<?xml encoding=...?>`` or ``<meta charset>`` inside an already decoded
    string cannot make it decode a second time.
    """
    if html is None:
        return None
    if isinstance(html, str):
        data = html.encode("utf-8", "replace")
    else:
        from crawler.parsers.encoding import decode_html

        data = decode_html(bytes(html)).encode("utf-8", "replace")
    if not data.strip():
        return None
    try:
        root = etree.fromstring(data, _html_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return root


def _compiled(css: str) -> CSSSelector:
    # compiled once per thread (lxml XPath evaluators are not shared between threads)
    cache = getattr(_local, "css", None)
    if cache is None:
        cache = _local.css = {}
    selector = cache.get(css)
    if selector is None:
        if len(cache) > 2048:
            cache.clear()
        selector = cache[css] = CSSSelector(css)
    return selector


def select(root: Any, css: str | None) -> list:
    """All elements under ``root`` matching ``css`` (compiled once per selector)."""
    if root is None or not css:
        return []
    return _compiled(css)(root)


def select_one(root: Any, css: str | None) -> Any:
    found = select(root, css)
    return found[0] if found else None


_COMPOUND_RE = re.compile(
    r"(?P<tag>\*|[a-zA-Z][a-zA-Z0-9]*)?"
    r"(?P<parts>(?:\.[A-Za-z0-9_-]+|\[[A-Za-z_:-]+(?:~?=(?:\"[^\"\]]*\"|'[^'\]]*'|[A-Za-z0-9_-]+))?\])*)"
)
_CLASS_PART_RE = re.compile(r"\.([A-Za-z0-9_-]+)")
_ATTR_PART_RE = re.compile(r"\[([A-Za-z_:-]+)(?:(~?=)(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)))?\]")


@lru_cache(maxsize=1024)
def _plan(css: str) -> tuple | None:
    """A selector as groups of descendant chains of ``(tag, classes, attrs)``,
    or ``None`` when it uses more than tag / .class / [attr] / [attr=v] /
    [attr~=v] and the descendant combinator (then cssselect is used)."""
    groups = []
    for group in css.split(","):
        chain = []
        for token in group.split():
            m = _COMPOUND_RE.fullmatch(token)
            if m is None or not token:
                return None
            tag = (m.group("tag") or "").lower()
            classes = tuple(_CLASS_PART_RE.findall(m.group("parts")))
            attrs = tuple(
                (name, op, a or b or c) for name, op, a, b, c in _ATTR_PART_RE.findall(m.group("parts"))
            )
            if not classes and (not tag or tag == "*"):
                return None
            chain.append((tag if tag != "*" else "", classes, attrs))
        if not chain:
            return None
        groups.append(tuple(chain))
    return tuple(groups)


def _matches(el: Any, tag: str, classes: tuple, attrs: tuple) -> bool:
    if tag and el.tag != tag:
        return False
    if classes:
        cls = el.get("class")
        if not cls:
            return False
        tokens = cls.split()
        for c in classes:
            if c not in tokens:
                return False
    for name, op, value in attrs:
        actual = el.get(name)
        if actual is None:
            return False
        if op == "=" and actual != value:
            return False
        if op == "~=" and value not in actual.split():
            return False
    return True


class ElementIndex:
    """One pass over a document: elements by tag and by class token, and their
    document order.  Simple selectors (see :func:`_plan`) are answered from
    it, much faster than evaluating one XPath per selector over the tree."""

    __slots__ = ("root", "by_tag", "by_class", "_order")

    def __init__(self, root: Any):
        self.root = root
        by_tag: dict[str, list] = {}
        by_class: dict[str, list] = {}
        for el in root.iter():
            tag = el.tag
            if not isinstance(tag, str):
                continue
            lst = by_tag.get(tag)
            if lst is None:
                by_tag[tag] = [el]
            else:
                lst.append(el)
            cls = el.get("class")
            if cls:
                for token in set(cls.split()):
                    lst = by_class.get(token)
                    if lst is None:
                        by_class[token] = [el]
                    else:
                        lst.append(el)
        self.by_tag, self.by_class = by_tag, by_class
        self._order: dict[Any, int] | None = None

    def _position(self, el: Any) -> int:
        if self._order is None:
            self._order = {e: i for i, e in enumerate(self.root.iter())}
        return self._order.get(el, 0)

    def exists(self, css: str) -> bool:
        plan = _plan(css)
        if plan is None:
            return bool(select(self.root, css))
        return any(self._select_chain(chain, first=True) for chain in plan)

    def select(self, css: str) -> list:
        """Matches in document order."""
        plan = _plan(css)
        if plan is None:
            return select(self.root, css)
        results = [found for found in (self._select_chain(chain) for chain in plan) if found]
        if len(results) == 1:
            return results[0]
        if not results:
            return []
        merged = {id(el): el for found in results for el in found}
        return sorted(merged.values(), key=self._position)

    def _select_chain(self, chain: tuple, first: bool = False) -> list:
        found: list = []
        tag, classes, attrs = chain[-1]
        candidates = self.by_class.get(classes[0], ()) if classes else self.by_tag.get(tag, ())
        for el in candidates:
            if not _matches(el, tag, classes, attrs):
                continue
            node, ok = el, True
            for ctag, cclasses, cattrs in reversed(chain[:-1]):
                node = node.getparent()
                while node is not None and not _matches(node, ctag, cclasses, cattrs):
                    node = node.getparent()
                if node is None:
                    ok = False
                    break
            if ok:
                found.append(el)
                if first:
                    break
        return found


def _text(el: Any) -> str:
    if el is None:
        return ""
    try:
        return T.normalize_ws("".join(el.itertext()))
    except (ValueError, AttributeError, TypeError):
        return ""


#: Elements that start a new paragraph.
BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote section article header footer "
    "main aside nav table thead tbody tfoot tr td th pre address hr center details summary "
    "figure figcaption".split()
)
#: Never article text.
SKIP_TAGS = frozenset(
    "script style noscript iframe object embed video audio svg canvas form button input select "
    "textarea template figure figcaption img picture source nav aside footer ins map area "
    "link meta head title".split()
)
#: Class tokens of furniture inside an article container.
_SKIP_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:ads?|adsbygoogle|advert\w*|iklan|banner\w*|baca-?juga\w*|lihat-?juga\w*|bacajuga|"
    r"related\w*|terkait|share\w*|sharing|social\w*|comments?|komentar|promo\w*|newsletter|"
    r"twitter-tweet|instagram-media|tiktok-embed|fb-post|embed\w*|sisip\w*|linksisip|parallax\w*|"
    r"widget\w*|tags?|topik|follow\w*|caption\w*|video\w*|gallery|recommend\w*|popular|terpopuler)"
    r"(?=$|[\s_-])",
    re.IGNORECASE,
)
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def default_skip(el: Any) -> bool:
    """True for an element whose text is never article text."""
    tag = el.tag
    if not isinstance(tag, str):
        return True
    if tag in SKIP_TAGS:
        return True
    cls = el.get("class")
    if cls and _SKIP_CLASS_RE.search(cls[:300]):
        return True
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE_RE.search(style[:300]))


def block_paragraphs(root: Any, skip: Callable[[Any], bool] | None = None) -> list[str]:
    """Paragraph texts under ``root`` as a browser would lay them out: a new
    paragraph at every block element and ``<br>``, whitespace collapsed.
    ``skip(el)`` drops an element with its subtree (not its tail text).
    Iterative, so deeply nested garbage cannot hit the recursion limit."""
    if root is None:
        return []
    paras: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            text = T.normalize_ws("".join(buf))
            buf.clear()
            if text:
                paras.append(text)

    walker = etree.iterwalk(root, events=("start", "end"))
    skipping: Any = None
    for event, el in walker:
        if event == "start":
            if el is not root and (not isinstance(el.tag, str) or (skip is not None and skip(el))):
                walker.skip_subtree()
                skipping = el
                if el.tag in BLOCK_TAGS:
                    flush()
                continue
            tag = el.tag
            if tag in BLOCK_TAGS or tag == "br":
                flush()
            if el.text and tag != "br":
                buf.append(el.text)
        else:
            if el is skipping:
                skipping = None
            if el.tag in BLOCK_TAGS:
                flush()
            if el is not root and el.tail:
                buf.append(el.tail)
    flush()
    return paras


# ---------------------------------------------------------------------------
# JSON-LD
# ---------------------------------------------------------------------------

_ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
     "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting",
     "SocialMediaPosting", "Report", "LiveBlogPosting", "TechArticle", "ScholarlyArticle"}
)
_TRAILING_COMMA_RE = re.compile(r",\s*([\]}])")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_COMMENT_WRAP_RE = re.compile(r"^\s*(?:<!--|<!\[CDATA\[|//\s*<!\[CDATA\[)|(?:-->|\]\]>|//\s*\]\]>)\s*$")


def loads_lenient(text: str | None) -> Any:
    """``json.loads`` that tolerates what CMSes print: control characters in
    strings, trailing commas, HTML comment / CDATA wrappers, trailing junk.
    ``None`` when nothing can be read (also for JSON nested too deeply to decode)."""
    if not text or not text.strip():
        return None
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        pass
    cleaned = _COMMENT_WRAP_RE.sub("", text.strip())
    cleaned = _CONTROL_RE.sub(" ", cleaned)
    cleaned = _TRAILING_COMMA_RE.sub(r"\1", cleaned)
    try:
        return json.loads(cleaned, strict=False)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        pass
    try:  # "{...} junk" / two objects glued together: take the first
        value, _end = json.JSONDecoder(strict=False).raw_decode(cleaned.lstrip())
        return value
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        return None


def _flatten_jsonld(data: Any, out: list[dict], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            _flatten_jsonld(item, out, depth + 1)
    elif isinstance(data, dict):
        out.append(data)
        graph = data.get("@graph")
        if graph is not None:
            _flatten_jsonld(graph, out, depth + 1)


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.rsplit("/", 1)[-1]}
    if isinstance(t, list):
        return {x.rsplit("/", 1)[-1] for x in t if isinstance(x, str)}
    return set()


def _jsonld_names(value: Any) -> list[str]:
    """Person names from a JSON-LD ``author``: string, Person dict, or a list
    of them.  Organisations are not people."""
    out: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            if _types(item) & {"Organization", "NewsMediaOrganization", "Corporation"}:
                continue
            name = item.get("name")
            if isinstance(name, str):
                out.append(name)
    return out


def _jsonld_url(value: Any) -> str | None:
    """A URL from an ``image`` / ``thumbnailUrl`` value (string, ImageObject, list)."""
    if isinstance(value, list):
        for item in value:
            url = _jsonld_url(item)
            if url:
                return url
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("url", "contentUrl", "@id"):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
    return None


def _as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


_LINK_LIST_TAGS = frozenset({"ul", "ol", "table", "div", "section", "dl", "nav"})
_PARA_TAGS = frozenset({"p", "pre", "blockquote", "h2", "h3", "h4"})
_INLINE_TAGS = frozenset({"a", "b", "strong", "i", "em", "span", "font", "u", "small", "sup", "sub", "br", "abbr", "q", "mark"})


def _link_density(el: Any) -> float:
    total = links = 0
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        t = len((node.text or "").strip())
        total += t
        if node.tag == "a":
            links += len("".join(node.itertext()).strip())
        if node is not el:
            total += len((node.tail or "").strip())
    return links / total if total else 0.0


def best_blocks(root: Any, scores: dict | None = None) -> list:
    """Candidate body containers, best first (readability-style): every
    paragraph (a ``<p>``, or text sitting directly in a container between
    ``<br>``s) scores its non-link text length to its container and half of it
    to the container's parent (:func:`block_scores`); the score is then
    weighted by the container's link density."""
    if scores is None:
        scores = block_scores(root)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:8]
    weighted = [(el, score * (1.0 - _link_density(el))) for el, score in ranked]
    weighted.sort(key=lambda kv: kv[1], reverse=True)
    return [el for el, score in weighted if score >= 100]


def block_scores(root: Any) -> dict:
    """Unweighted paragraph-text score of every container (see :func:`best_blocks`)."""
    scores: dict[Any, float] = {}
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS:
            continue
        if tag in _PARA_TAGS:
            length = 0
            for node in el.iter():
                if node.tag == "a" or not isinstance(node.tag, str):
                    continue
                length += len((node.text or "").strip())
                if node is not el:
                    length += len((node.tail or "").strip()) if node.getparent() is not None else 0
            if length < 25:
                continue
            parent = el.getparent()
            if parent is None:
                continue
            scores[parent] = scores.get(parent, 0.0) + length
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0.0) + length / 2
        elif tag not in _INLINE_TAGS:
            # text directly inside a container (br-separated paragraphs)
            own = len((el.text or "").strip())
            for child in el:
                if isinstance(child.tag, str) and child.tag in _INLINE_TAGS and child.tag != "a":
                    own += len("".join(child.itertext()).strip())
                own += len((child.tail or "").strip())
            if own >= 80:
                scores[el] = scores.get(el, 0.0) + own
                parent = el.getparent()
                if parent is not None:
                    scores[parent] = scores.get(parent, 0.0) + own / 2
    return scores


# ---------------------------------------------------------------------------
# the page object
# ---------------------------------------------------------------------------


class DateValue(NamedTuple):
    raw: str | None
    at: str | None
    dt: datetime | None
    source: str | None


_NO_DATE = DateValue(None, None, None, None)

_UPDATED_LABEL_RE = re.compile(r"^(?:Diperbarui|Diupdate|Update|Updated|Dimutakhirkan|Terakhir diperbarui)\b", re.IGNORECASE)
_DATE_LABEL_SPLIT_RE = re.compile(
    r"(?=\b(?:Dipublikasikan|Diterbitkan|Terbit|Published|Diperbarui|Diupdate|Updated|Dimutakhirkan)\b)",
    re.IGNORECASE,
)
_DATE_CLASS_RE = re.compile(r"date|time|tanggal|waktu|publish|posted|jam|tgl", re.IGNORECASE)
_CLOCK_RE = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_WEEKDAY_DATE_RE = re.compile(
    r"(?:Senin|Selasa|Rabu|Kamis|Jum'?at|Sabtu|Minggu|Ahad|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"\s*,?\s*\d{1,2}[\s/.-]+\w+[\s/.-]+\d{4}\s*[,|-]?\s*(?:pukul\s*)?\d{1,2}[:.]\d{2}\b",
    re.IGNORECASE,
)
_SOFT_404_RE = re.compile(
    r"^(?:error\s*)?404\b|halaman\s+(?:yang\s+anda\s+cari\s+)?tidak\s+(?:dapat\s+)?ditemukan|"
    r"page\s+not\s+found|not\s+found\s*$|artikel\s+tidak\s+ditemukan|berita\s+tidak\s+ditemukan",
    re.IGNORECASE,
)
#: a file name whose words include logo / default / placeholder ... ("default-share.png",
#: "logo_43.png"), but not "hqdefault.jpg" (a YouTube thumbnail)
_PLACEHOLDER_IMAGE_RE = re.compile(
    r"/(?:[a-z0-9]+[-_])*(?:logo|default|placeholder|no-?image|noimage|blank|spacer|pixel)(?:[-_][a-z0-9]+)*"
    r"\.(?:png|jpe?g|gif|svg|webp)(?:$|[?#])",
    re.IGNORECASE,
)
#: Generic article-URL shapes for listing fallbacks when a site gives none.
GENERIC_ARTICLE_PATH_RE = re.compile(r"/(?:read|berita|news)/.*\d|/d-\d{5,}/|/\d{4}/\d{2}/\d{2}/[^/]+")


class ArticlePage:
    """Base page object.  Subclasses set ``SITE_*`` selectors (or override
    ``site_*`` methods) and inherit the generic fallbacks."""

    #: parser name and version -> "name/version" in the ``parser`` field
    NAME: ClassVar[str] = "generic"
    VERSION: ClassVar[int] = 1
    #: the site's domain without www; ``None``: take it from the URL
    SITE: ClassVar[str | None] = None
    #: layouts of this site, newest first (fundus style); empty: only this class
    VERSIONS: ClassVar[tuple[type[ArticlePage], ...]] = ()
    #: selector that recognises this layout's markup
    MARKER: ClassVar[str | None] = None
    #: last day this layout was served (used when no marker matches)
    VALID_UNTIL: ClassVar[date | None] = None
    DEFAULT_LANGUAGE: ClassVar[str] = "id"

    #: path regex of an article URL; named groups ``section`` / ``id`` / ``year`` / ``month``
    ARTICLE_PATH_RE: ClassVar[re.Pattern | None] = None

    SITE_HEADLINE: ClassVar[str | None] = None
    SITE_BYLINE: ClassVar[str | None] = None
    SITE_EDITOR: ClassVar[str | None] = None
    #: element(s) holding the visible date strings ("Diperbarui …", "Dipublikasikan …")
    SITE_DATES: ClassVar[str | None] = None
    SITE_CAPTION: ClassVar[str | None] = None
    SITE_CAPTION_CREDIT: ClassVar[str | None] = None
    SITE_IMAGE: ClassVar[str | None] = None
    SITE_BODY: ClassVar[str | None] = None
    #: extra selectors removed from the body container (on top of :func:`default_skip`)
    SITE_BODY_SKIP: ClassVar[str | None] = None
    SITE_TAGS: ClassVar[str | None] = None

    LISTING_ITEM: ClassVar[str | None] = None
    LISTING_LINK: ClassVar[str | None] = None
    LISTING_DATE: ClassVar[str | None] = None
    #: the item's title where the link wraps the whole card (title, section, date)
    LISTING_HEADLINE: ClassVar[str | None] = None
    LISTING_NEXT: ClassVar[str | None] = None

    #: fields whose absence adds a warning
    REQUIRED: ClassVar[tuple[str, ...]] = ("headline", "byline", "published_at", "body")

    def __init__(
        self,
        html: str | bytes | None,
        url: str,
        *,
        tree: Any = None,
        fetched_at: str | None = None,
        index: ElementIndex | None = None,
    ):
        self.url = url or ""
        self.fetched_at = fetched_at
        self.root = tree if tree is not None else parse_html(html)
        self.field_sources: dict[str, str] = {}
        self.warnings: list[str] = []
        self._memo: dict[Any, Any] = {}
        self._index = index if index is not None and index.root is self.root else None

    @property
    def index(self) -> ElementIndex | None:
        """The document's :class:`ElementIndex`, built on first use."""
        if self._index is None and self.root is not None:
            self._index = ElementIndex(self.root)
        return self._index

    # -- identity --------------------------------------------------------------

    @property
    def parser_name(self) -> str:
        return f"{self.NAME}/{self.VERSION}"

    @classmethod
    def variant_for(cls, root: Any, url: str, index: ElementIndex | None = None) -> type[ArticlePage]:
        """The layout class for this document: the first of ``VERSIONS`` whose
        ``MARKER`` matches, else the one valid at the URL's date, else ``cls``."""
        versions = cls.VERSIONS or (cls,)
        if root is not None:
            for version in versions:
                if version.MARKER and (index.exists(version.MARKER) if index is not None else select(root, version.MARKER)):
                    return version
        when = cls._date_from_url(url)
        if when is not None:
            for version in reversed(versions):  # oldest first
                if version.VALID_UNTIL is not None and when <= version.VALID_UNTIL:
                    return version
        return versions[0]

    @classmethod
    def _date_from_url(cls, url: str) -> date | None:
        m = cls._url_match(url)
        if m is None:
            return None
        groups = m.groupdict()
        try:
            year = int(groups["year"])
            return date(year + 2000 if year < 100 else year, int(groups["month"]), 1)  # "16/02/15" paths
        except (KeyError, TypeError, ValueError):
            return None

    @classmethod
    def _url_match(cls, url: str | None) -> re.Match | None:
        if not url or cls.ARTICLE_PATH_RE is None:
            return None
        try:
            path = urlsplit(url).path
        except ValueError:
            return None
        if path.startswith("/amp/"):
            path = path[4:]
        return cls.ARTICLE_PATH_RE.match(path)

    @classmethod
    def is_article_url(cls, url: str) -> bool:
        return cls._url_match(url) is not None

    # -- helpers -----------------------------------------------------------------

    def _source(self, field: str, source: str | None) -> None:
        if source:
            self.field_sources[field] = source

    def _pick(self, field: str, *candidates: tuple[str, Callable[[], Any]]) -> Any:
        """The first non-empty candidate value; records its source label."""
        for label, getter in candidates:
            value = getter()
            if value:
                self._source(field, label)
                return value
        return None

    def select(self, css: str | None) -> list:
        """``select`` on the document, memoised per selector."""
        if not css:
            return []
        key = ("select", css)
        found = self._memo.get(key)
        if found is None:
            index = self.index
            found = index.select(css) if index is not None else []
            self._memo[key] = found
        return found

    def select_one(self, css: str | None) -> Any:
        """The first match of the first selector group (comma-separated, in
        priority order) that matches anything: ``"div.artikel h1, h1"`` means
        the article's h1, else any h1 -- not the first h1 in the document."""
        if not css:
            return None
        key = ("one", css)
        if key in self._memo:
            return self._memo[key]
        found = None
        for group in (css.split(",") if "," in css else (css,)):
            hits = self.select(group.strip())
            if hits:
                found = hits[0]
                break
        self._memo[key] = found
        return found

    def site_text(self, css: str | None) -> str | None:
        el = self.select_one(css)
        if el is not None and el.tag == "meta":  # a profile may point at a meta tag
            return T.normalize_ws(el.get("content")) or None
        return _text(el) or None

    def absolute(self, href: str | None) -> str | None:
        if not href:
            return None
        href = href.strip()
        if not href or href.startswith(("data:", "javascript:")):
            return None
        try:
            return urljoin(self.url, href)
        except ValueError:
            return None

    @property
    def meta(self) -> dict[str, list[str]]:
        """``meta`` property/name/itemprop (lower case) -> contents, in page order."""
        meta = self._memo.get("meta")
        if meta is None:
            meta = {}
            if self.root is not None:
                for el in self.root.iter("meta"):
                    key = el.get("property") or el.get("name") or el.get("itemprop")
                    content = el.get("content")
                    if key and content is not None:
                        meta.setdefault(key.strip().lower(), []).append(content)
            self._memo["meta"] = meta
        return meta

    def meta_first(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                value = T.normalize_ws(value)
                if value:
                    return value
        return None

    @property
    def jsonld(self) -> list[dict]:
        """Every JSON-LD object on the page (``@graph`` and lists flattened)."""
        objs = self._memo.get("jsonld")
        if objs is None:
            objs = []
            if self.root is not None:
                for script in self.root.iter("script"):
                    if "ld+json" in (script.get("type") or "").lower():
                        _flatten_jsonld(loads_lenient(script.text), objs)
            self._memo["jsonld"] = objs
        return objs

    @property
    def jsonld_article(self) -> dict:
        """The first NewsArticle-like JSON-LD object, or ``{}``."""
        art = self._memo.get("jsonld_article")
        if art is None:
            art = next((o for o in self.jsonld if _types(o) & _ARTICLE_TYPES), {})
            self._memo["jsonld_article"] = art
        return art

    def _parse_date(self, raw: str | None) -> tuple[datetime | None, str | None]:
        if not raw:
            return None, None
        now = self._memo.get("now", False)
        if now is False:
            now = None
            if self.fetched_at:
                now, _w = parse_date_raw(self.fetched_at)
            self._memo["now"] = now
        return parse_date_raw(raw, now=now)

    # -- generic fallbacks ---------------------------------------------------------

    def generic_h1(self) -> str | None:
        if self.root is None:
            return None
        for h1 in self.root.iter("h1"):
            text = _text(h1)
            if text:
                return text
        return None

    def generic_title(self) -> str | None:
        if self.root is None:
            return None
        title = self.root.find(".//title")
        return _text(title) or None

    def microdata_element(self, prop: str) -> Any:
        """The first element with ``itemprop=prop`` (not a ``<meta>``), or ``None``."""
        key = ("microdata", prop)
        if key not in self._memo:
            found = None
            if self.root is not None:
                for el in self.root.iter():
                    if not isinstance(el.tag, str) or el.tag == "meta":
                        continue
                    ip = el.get("itemprop")
                    if ip and prop in ip.split():
                        found = el
                        break
            self._memo[key] = found
        return self._memo[key]

    def microdata_str(self, prop: str) -> str | None:
        """``itemprop=prop``: a ``<meta content>`` / ``datetime`` / ``content`` value or the text."""
        value = self.meta_first(prop.lower())
        if value:
            return value
        el = self.microdata_element(prop)
        if el is None:
            return None
        for attr in ("datetime", "content"):
            if el.get(attr):
                return T.normalize_ws(el.get(attr)) or None
        name = None
        for sub in el.iter():
            if isinstance(sub.tag, str) and sub.get("itemprop") == "name":
                name = _text(sub) or sub.get("content")
                break
        return name or _text(el) or None

    def generic_headline(self) -> tuple[str | None, str | None]:
        """JSON-LD headline, microdata headline, then the ``<h1>`` when the page
        title / og:title contains it (a title is the h1 plus the site name), then
        og:title without a site-name affix, then the first ``<h1>``."""
        value = self.generic_jsonld_str("headline") or self.generic_jsonld_str("name")
        if value:
            return value, "json-ld"
        value = self.microdata_str("headline")
        if value and len(value) < 400:
            return value, "microdata"
        og = self.meta_first("og:title", "twitter:title")
        title = self.generic_title()
        h1s = [] if self.root is None else [_text(h) for h in self.root.iter("h1")]
        h1s = [h for h in h1s if h]
        for h1 in h1s:
            for t in (og, title):
                if t and len(h1) >= 10 and h1.casefold() in t.casefold():
                    return h1, "h1"
        if og:
            return T.strip_site_affix(og), "og"
        if h1s:
            return h1s[0], "h1"
        if title:
            return T.strip_site_affix(title), "title"
        return None, None

    def generic_jsonld_str(self, key: str) -> str | None:
        return T.normalize_ws(_as_str(self.jsonld_article.get(key))) or None

    def generic_byline(self) -> tuple[list[str], str | None]:
        names = T.clean_byline(_jsonld_names(self.jsonld_article.get("author")))
        if names:
            return names, "json-ld"
        names = T.clean_byline(self.meta.get("author", []))
        if names:
            return names, "meta"
        el = self.microdata_element("author")
        if el is not None:
            names = T.clean_byline(self.microdata_str("author"))
            if names:
                return names, "microdata"
        return [], None

    def generic_machine_dates(self, kind: str) -> Iterable[tuple[str, str]]:
        """``(raw, source)`` candidates for ``kind`` ("published" / "updated")."""
        art = self.jsonld_article
        key = "datePublished" if kind == "published" else "dateModified"
        raw = _as_str(art.get(key))
        if raw and raw.strip():
            yield raw.strip(), "json-ld"
        keys = (
            ("article:published_time", "og:published_time", "datepublished", "publishdate", "pubdate")
            if kind == "published"
            else ("article:modified_time", "og:updated_time", "datemodified", "lastmod")
        )
        value = self.meta_first(*keys)
        if value:
            yield value, "meta"
        prop = "datePublished" if kind == "published" else "dateModified"
        el = self.microdata_element(prop)
        if el is not None:
            value = el.get("datetime") or el.get("content")
            if value and value.strip():
                yield value.strip(), "microdata"
        if self.root is not None:
            for el in self.root.iter("time"):
                dt_attr = el.get("datetime")
                if dt_attr and (el.get("itemprop") == prop or (kind == "published" and not el.get("itemprop"))):
                    yield dt_attr.strip(), "time"
                    break

    def generic_caption(self) -> str | None:
        if self.root is None:
            return None
        for cap in self.root.iter("figcaption"):
            if self._in_furniture(cap):
                continue
            text = _text(cap)
            if text:
                return text
        return None

    def generic_image(self) -> tuple[str | None, str | None]:
        og = self.meta_first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
        if og and not self.is_placeholder_image(og):
            return self.absolute(og), "og"
        img = _jsonld_url(self.jsonld_article.get("image")) or _jsonld_url(self.jsonld_article.get("thumbnailUrl"))
        if img and not self.is_placeholder_image(img):
            return self.absolute(img), "json-ld"
        if self.root is not None:
            for fig in self.root.iter("figure"):
                if self._in_furniture(fig):
                    continue
                src = self._img_src(fig.find(".//img"))
                if src and not self.is_placeholder_image(src):
                    return self.absolute(src), "figure"
        return None, None

    def generic_body(self) -> tuple[list[str], list[str], str | None]:
        """JSON-LD ``articleBody``, then a microdata ``itemprop=articleBody``
        container (each with the lead printed above it), then the densest text
        block with its neighbours and lead (:func:`best_blocks`).

        The block is an ensemble's first opinion: when the finder is not sure of
        it (:meth:`_finder_confident`), trafilatura's text (if installed) is taken
        instead unless it is padded with the page's link lists; trafilatura is also
        the last resort when no block is found.  Measured on
        ``../shared/datasets/trafilatura``: the finder alone keeps out more
        boilerplate, trafilatura alone finds more of the text; together they beat
        either, at ~1.4x trafilatura's speed.  Our Indonesian boilerplate rules
        apply to every source."""
        body = _as_str(self.jsonld_article.get("articleBody"))
        if body and body.strip():
            if _HTML_IN_TEXT_RE.search(body[:2000]):  # an articleBody of markup
                tree = parse_html(f"<div>{body}</div>")
                raw = block_paragraphs(tree, self.generic_skip) if tree is not None else []
            else:
                raw = T.normalize_multiline(body).split("\n\n")
            kept = [p for p in raw if not T.is_boilerplate(p)]
            size = sum(len(p) for p in kept)
            if size >= self.MIN_BLOCK_CHARS:
                block = self.generic_largest_block()
                if size < self.LIBRARY_CHECK_CHARS and sum(map(len, block[0])) > 1.3 * size:
                    return block  # a cut-down articleBody (a teaser, the first part): the page's own longer text wins
                lead = self._lead_of_declared_body(kept, block[0])
                return lead + kept, lead + raw, "json-ld"
            if kept:  # a short articleBody: a teaser unless the page holds no longer text
                block = self.generic_largest_block()
                if sum(map(len, block[0])) > sum(map(len, kept)):
                    return block
                return kept, raw, "json-ld"
        micro = self.microdata_element("articleBody")
        if micro is not None:
            raw = block_paragraphs(micro, self.generic_skip)
            kept = T.clean_paragraphs(raw)
            size = sum(len(p) for p in kept)
            if size >= self.MIN_BLOCK_CHARS:
                if size < self.LIBRARY_CHECK_CHARS and not self.looks_like_listing():
                    block = self.generic_largest_block()  # a microdata body that is one part of the text
                    if sum(map(len, block[0])) > 1.3 * size:
                        return block
                lead = self._lead_before(micro, kept)
                return lead + kept, lead + raw, "microdata"
        if self.looks_like_listing():
            return [], [], None
        found = self.generic_largest_block()
        if found[0]:
            if not self._finder_confident(found[0]):
                # ensemble: trafilatura's text when our finder is not sure of its block
                # (a short block, or article text around it left out), unless that
                # text is padded with link lists (related / latest-news lists, which
                # trafilatura keeps on Indonesian news pages and our finder drops)
                other = self.library_body()
                if (other[0] and _squeeze(other[0]) != _squeeze(found[0])
                        and self._link_paragraph_share(other[0]) <= self.LIBRARY_MAX_LINK_SHARE):
                    return other
            return found
        return self.library_body()

    #: a largest block shorter than this is checked against trafilatura's text
    LIBRARY_CHECK_CHARS: ClassVar[int] = 4000
    #: ... and so is one that leaves out more than this share of its article's text
    CONFIDENT_SCOPE_SHARE: ClassVar[float] = 0.95
    #: trafilatura's text is not used when more than this share of it is link text
    LIBRARY_MAX_LINK_SHARE: ClassVar[float] = 0.2

    def _finder_confident(self, kept: list[str]) -> bool:
        """Is the density finder's body trustworthy without a second opinion?  Its
        core block is long (:attr:`LIBRARY_CHECK_CHARS`) and the body holds nearly all
        the text of its article: the lowest ancestor of the block that also holds
        the headline ``<h1>`` (paragraphs of 25+ characters, furniture skipped)."""
        if self._memo.get("block_core_chars", 0) < self.LIBRARY_CHECK_CHARS:
            return False
        container = self._memo.get("block_container")
        if container is None:
            return False
        scope = container
        while scope is not None and scope.find(".//h1") is None:
            scope = scope.getparent()
        if scope is None or scope.tag in ("body", "html"):
            return False
        body = set(kept)
        total = inside = 0
        for para in block_paragraphs(scope, self.generic_skip):
            if len(para) < 25:
                continue
            total += len(para)
            if para in body:
                inside += len(para)
        return total > 0 and inside >= self.CONFIDENT_SCOPE_SHARE * total

    def _link_paragraph_share(self, paragraphs: list[str]) -> float:
        """Share of the text of ``paragraphs`` (from another extractor) in paragraphs
        that are mostly (60%+) the text of the page's links."""
        if self.root is None or not paragraphs:
            return 0.0
        anchors = {t for t in (_text(a) for a in self.index.by_tag.get("a", ())) if len(t) >= 3}
        if not anchors:
            return 0.0
        total = linked = 0
        for para in paragraphs:
            body = para.lstrip("-|• ").rstrip("| ")
            total += len(para)
            if not body or len(body) > 300:
                continue  # a long paragraph is prose, not a list item
            covered = sum(len(a) for a in anchors if len(a) <= len(body) and a in body)
            if covered >= 0.6 * len(body):
                linked += len(para)
        return linked / total if total else 0.0

    def looks_like_listing(self) -> bool:
        """A listing / index page rather than one article: no article markup
        (JSON-LD article, ``og:type=article``, microdata body) and several
        items of the site's listing markup, or four or more headings that link
        to other articles."""
        if self.root is None:
            return False
        if "listing" in self._memo:
            return self._memo["listing"]
        result = False
        og_type = (self.meta_first("og:type") or "").lower()
        if not self.jsonld_article and og_type != "article" and self.microdata_element("articleBody") is None:
            if self.LISTING_ITEM and len(self.select(self.LISTING_ITEM)) >= 3:
                result = True
            else:
                linked = 0
                for tag in ("h2", "h3", "h4"):
                    for h in self.index.by_tag.get(tag, ()):
                        a = h.find(".//a[@href]")
                        if a is not None and a.get("href") and GENERIC_ARTICLE_PATH_RE.search(a.get("href")):
                            linked += 1
                result = linked >= 4 and not self._dominant_block()
        self._memo["listing"] = result
        return result

    def _dominant_block(self) -> bool:
        """One container holds a long run of prose and none of the page's
        headings: an article page with linked headings in its sidebar /
        related lists, not a listing (whose items sit in the densest block)."""
        for container in best_blocks(self.root)[:1]:
            if any(h.find(".//a[@href]") is not None for h in container.iter("h2", "h3", "h4")):
                return False
            prose = sum(len(p) for p in block_paragraphs(container, self.generic_skip) if len(p) >= 80)
            return prose >= self.DOMINANT_BLOCK_CHARS
        return False

    #: prose in one heading-free container that makes a page an article, not a listing
    DOMINANT_BLOCK_CHARS: ClassVar[int] = 1500

    #: a largest block shorter than this is not an article body
    MIN_BLOCK_CHARS: ClassVar[int] = 200

    def generic_skip(self, el: Any) -> bool:
        """Skip predicate of the generic body: :meth:`body_skip` plus link lists
        (a block whose text is mostly links) and furniture classes."""
        if self.body_skip(el):
            return True
        tag = el.tag
        ident = el.get("id")
        if ident and _FURNITURE_ID_RE.search(ident[:100]):
            return True  # id="comments" / "comment-42" / "footer" / "newsletter-teaser"
        if tag == "time":
            parent = el.getparent()
            return parent is None or parent.tag not in ("p", "li", "td", "em", "strong", "b", "i", "a", "q")
        marks = el.get("class")
        if marks and _META_CLASS_RE.search(marks[:300]):
            return True  # post meta, bylines, ratings, author boxes, print / back links
        if tag in _LINK_LIST_TAGS:
            if marks and _FURNITURE_CLASS_RE.search(marks[:300]):
                return True
            if _link_density(el) > 0.6:
                return True
        if (tag in _PHOTO_BOX_TAGS and _text_shorter_than(el, self.PHOTO_BOX_MAX_CHARS)
                and el.find(".//img") is not None):
            return True  # a photo with its caption / credit ("div.imginline", "div.visual")
        return False

    #: a container holding an image and less text than this is a photo box
    PHOTO_BOX_MAX_CHARS: ClassVar[int] = 300

    def _lead_of_declared_body(self, kept: list[str], block: list[str]) -> list[str]:
        """The lead printed above a JSON-LD ``articleBody`` that leaves it out: the
        lead above the page's densest block when that block is the declared body's
        text (half or more of its long paragraphs are in it)."""
        container = self._memo.get("block_container")
        if container is None or not block:
            return []
        declared = "\n".join(kept)
        long_paras = [p for p in block if len(p) >= 80]
        if not long_paras or sum(p in declared for p in long_paras) < 0.5 * len(long_paras):
            return []
        return [p for p in self._lead_before(container, block) if p not in declared]

    def generic_largest_block(self) -> tuple[list[str], list[str], str | None]:
        found = self._memo.get("largest_block")
        if found is None:
            found = self._memo["largest_block"] = self._largest_block()
        return found

    def _largest_block(self) -> tuple[list[str], list[str], str | None]:
        if self.root is None:
            return [], [], None
        scores = block_scores(self.root)
        for container in best_blocks(self.root, scores)[:3]:
            if self._block_in_furniture(container):
                continue
            raw = block_paragraphs(container, self.generic_skip)
            kept = T.clean_paragraphs(raw)
            size = sum(len(p) for p in kept)
            if size >= self.MIN_BLOCK_CHARS:
                self._memo["block_core_chars"] = size
                self._memo["block_container"] = container
                raw, kept = self._merge_neighbours(container, raw, kept, size)
                lead = self._lead_before(container, kept)
                if lead:
                    raw, kept = lead + raw, lead + kept
                return kept, raw, "largest-block"
        return [], [], None

    #: how many levels above the densest block its siblings are merged in
    MERGE_LEVELS: ClassVar[int] = 3

    def _merge_neighbours(self, container: Any, raw: list[str], kept: list[str],
                          size: int) -> tuple[list[str], list[str]]:
        """The densest block plus the prose of its neighbours: siblings of the
        block (and of its parent, ...) that hold sentences rather than links or
        furniture -- a body split over several containers by ads, or paragraphs
        in sibling ``<div>``s.  Document order is kept."""
        before: list[tuple[list[str], list[str]]] = []
        after: list[tuple[list[str], list[str]]] = []
        node = container
        for _level in range(self.MERGE_LEVELS):
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            seen_node = False
            level_before: list[tuple[list[str], list[str]]] = []
            for sib in parent:
                if sib is node:
                    seen_node = True
                    continue
                found = self._neighbour_prose(sib, size)
                if found is not None:
                    (after if seen_node else level_before).append(found)
            before = level_before + before
            node = parent
        if not before and not after:
            return raw, kept
        parts = before + [(raw, kept)] + after
        return [p for r, _k in parts for p in r], [p for _r, k in parts for p in k]

    def _neighbour_prose(self, el: Any, size: int) -> tuple[list[str], list[str]] | None:
        tag = el.tag
        if not isinstance(tag, str) or tag in _HEADING_TAGS or self.generic_skip(el):
            return None
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if marks.strip() and _NEIGHBOUR_FURNITURE_RE.search(marks[:300]):
            return None
        if tag not in _PARA_TAGS and _link_density(el) > 0.25:
            return None
        raw = block_paragraphs(el, self.generic_skip)
        kept = T.clean_paragraphs(raw)
        prose = sum(len(p) for p in kept if len(p) >= 80 and _SENTENCE_END_RE.search(p[-3:]))
        if prose >= max(80, 0.05 * size) if tag == "p" else prose >= max(150, 0.1 * size):
            # only sentences: labels, headings and datelines of a neighbour are furniture as often as not
            kept = [p for p in kept if len(p) >= 80 or _SENTENCE_END_RE.search(p[-2:])]
            return kept, kept
        return None

    #: at most this much lead text is taken from between the headline and the body block
    LEAD_MAX_CHARS: ClassVar[int] = 1500

    def _lead_before(self, container: Any, kept: list[str]) -> list[str]:
        """The standfirst / lead printed between the headline ``<h1>`` and the body
        block ("p.lead", "div.intro", an ``<h2>`` subtitle, a paragraph in the
        article ``<header>``): short prose the density finder leaves out because it
        sits in a container of its own.  Taken when the ``<h1>`` precedes the block
        in the same article (a common ancestor close to the block), and only
        sentences: datelines, bylines, dates, captions and link lists are not leads."""
        index = self.index
        h1s = index.by_tag.get("h1", ()) if index is not None else ()
        if not h1s:
            return []
        ancestors = {id(a): depth for depth, a in enumerate(container.iterancestors(), 1)}
        # the last h1 before the block whose common ancestor with it is close
        headline = None
        for h1 in h1s:
            if index._position(h1) >= index._position(container):
                break
            headline = h1
        if (headline is None or any(a is container for a in headline.iterancestors())
                or any(a is headline for a in container.iterancestors())):
            return []
        common = next((a for a in headline.iterancestors() if id(a) in ancestors), None)
        if common is None or ancestors[id(common)] > self.LEAD_MAX_LEVELS or common.tag in ("body", "html"):
            return []
        # elements strictly between the headline and the block, in document order
        between: list[Any] = []
        node = headline
        while node is not None and node is not common:
            parent = node.getparent()
            if parent is None:
                return []
            if parent is common:
                break
            between.extend(sib for sib in node.itersiblings())
            node = parent
        branch_h = node
        tail: list[Any] = []
        node = container
        while node is not None and node is not common:
            parent = node.getparent()
            if parent is common:
                break
            tail[:0] = list(node.itersiblings(preceding=True))[::-1]
            node = parent
        branch_c = node
        middle = []
        started = False
        for sib in common:
            if sib is branch_c:
                break
            if started:
                middle.append(sib)
            if sib is branch_h:
                started = True
        have = set(kept)
        body_text = "\n".join(kept)
        headline_text = _text(headline)
        out: list[str] = []
        total = 0
        for el in between + middle + tail:
            if not isinstance(el.tag, str) or el.tag in ("h1", "hgroup") or self._lead_skip(el):
                continue
            if _link_density(el) > 0.25:
                continue
            for para in T.clean_paragraphs(block_paragraphs(el, self._lead_skip)):
                if para in have or para == headline_text or len(para) < 60 or (
                        len(para) < 120 and _CLOCK_RE.search(para)):
                    continue  # a date line, a label, a byline
                if not (_SENTENCE_END_RE.search(para[-2:]) or len(para) >= 150):
                    continue
                if para.strip(_QUOTE_TRIM)[:120] in body_text:
                    continue  # a pull quote repeating a sentence of the body
                out.append(para)
                total += len(para)
        if total > self.LEAD_MAX_CHARS:
            return []  # that much prose above the block is not a lead (a listing, another article)
        return out

    def _lead_skip(self, el: Any) -> bool:
        """Skip predicate above the body block: :meth:`generic_skip`, furniture and
        photo / caption boxes by class or id, and any small element holding an image
        (a photo with its caption)."""
        if self.generic_skip(el):
            return True
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if marks.strip() and (_NEIGHBOUR_FURNITURE_RE.search(marks[:300]) or _PHOTO_MARK_RE.search(marks[:300])):
            return True
        if el.tag in ("img", "picture"):
            return True
        return _text_shorter_than(el, 400) and el.find(".//img") is not None

    #: how far above the body block the headline's common ancestor with it may be
    LEAD_MAX_LEVELS: ClassVar[int] = 6

    #: trafilatura is skipped on documents with more elements than this: its cost
    #: (~0.1 ms per element) would block the crawl for minutes on a hostile 8 MB page
    #: of tiny elements; real article pages have a few thousand
    LIBRARY_MAX_ELEMENTS = 30_000

    def library_body(self) -> tuple[list[str], list[str], str | None]:
        """trafilatura's ``bare_extraction`` as the last resort (optional dependency)."""
        if self.root is None:
            return [], [], None
        if sum(len(els) for els in self.index.by_tag.values()) > self.LIBRARY_MAX_ELEMENTS:
            self.warnings.append(f"body: trafilatura not tried on a page of more than {self.LIBRARY_MAX_ELEMENTS} elements")
            return [], [], None
        try:
            from trafilatura import bare_extraction
        except ImportError:
            return [], [], None
        try:
            doc = bare_extraction(etree.tostring(self.root, encoding="unicode"), url=self.url or None,
                                  with_metadata=False, include_comments=False)
        except Exception:
            return [], [], None
        text = getattr(doc, "text", None) if not isinstance(doc, dict) else doc.get("text")
        if not text:
            return [], [], None
        raw = T.normalize_multiline(text).split("\n\n")
        kept = T.clean_paragraphs(raw)
        return (kept, raw, "trafilatura") if kept else ([], [], None)

    def generic_tags(self) -> tuple[list[str], str | None]:
        tags = self.meta.get("article:tag", [])
        if tags:
            return _dedupe(T.normalize_ws(t) for t in tags), "meta"
        kw = self.jsonld_article.get("keywords")
        if isinstance(kw, str):
            kw = kw.split(",")
        if isinstance(kw, list):
            out = _dedupe(T.normalize_ws(k) for k in kw if isinstance(k, str))
            if out:
                return out, "json-ld"
        return [], None

    @staticmethod
    def _furniture_node(node: Any, *, ids: bool = False) -> bool:
        """nav / aside / footer, or a furniture class (related, comments, ...); with
        ``ids`` also a furniture id ("comments", "comment-42", "footer", ...)."""
        if node.tag in ("nav", "aside", "footer"):
            return True
        cls = node.get("class")
        if cls and _FURNITURE_CLASS_RE.search(cls[:300]):
            return True
        ident = node.get("id") if ids else None
        return bool(ident and _FURNITURE_ID_RE.search(ident[:100]))

    def _in_furniture(self, el: Any, include_self: bool = False) -> bool:
        """Inside nav / aside / footer / related / comments (page furniture)?"""
        node = el if include_self else el.getparent()
        while node is not None:
            if self._furniture_node(node):
                return True
            node = node.getparent()
        return False

    def _block_in_furniture(self, container: Any) -> bool:
        """A candidate body block inside page furniture (comments, sidebar, related list)?
        Like :meth:`_in_furniture` (ids included), except that an ancestor which also
        holds an ``<h1>`` is a page-layout wrapper ("layout-with-sidebar",
        "comments-enabled", "article-widgets" on ``<html>`` / ``<main>``), not furniture:
        comment threads and sidebars never contain the page's headline."""
        node = container
        while node is not None:
            if self._furniture_node(node, ids=True) and (node is container or node.find(".//h1") is None):
                return True
            node = node.getparent()
        return False

    @staticmethod
    def _img_src(img: Any) -> str | None:
        if img is None:
            return None
        for attr in ("src", "data-src", "data-lazy-src", "data-original"):
            value = (img.get(attr) or "").strip()
            if value and not value.startswith("data:"):
                return value
        srcset = (img.get("srcset") or img.get("data-srcset") or "").strip()
        return srcset.split(",")[0].split()[0] if srcset else None

    def is_placeholder_image(self, url: str) -> bool:
        """A site default (logo, share placeholder) rather than an article photo."""
        return bool(_PLACEHOLDER_IMAGE_RE.search(url))

    def body_skip(self, el: Any) -> bool:
        """Skip predicate for body containers: :func:`default_skip` plus ``SITE_BODY_SKIP``."""
        if default_skip(el):
            return True
        extra = self._memo.get("body_skip_set")
        if extra is None:
            extra = set()
            container = self.select_one(self.SITE_BODY)
            if container is not None and self.SITE_BODY_SKIP:
                extra.update(select(container, self.SITE_BODY_SKIP))
            self._memo["body_skip_set"] = extra
        return el in extra

    # -- fields ------------------------------------------------------------------

    def headline(self) -> str | None:
        if "headline" in self._memo:
            return self._memo["headline"]
        value = self.site_text(self.SITE_HEADLINE)
        source = "site" if value else None
        if not value:
            value, source = self.generic_headline()
        self._source("headline", source)
        self._memo["headline"] = value
        return value

    def site_byline(self) -> list[str]:
        return T.clean_byline((el.get("content") or "") if el.tag == "meta" else _text(el)
                              for el in self.select(self.SITE_BYLINE))

    def byline(self) -> list[str]:
        names = self.site_byline()
        if names:
            self._source("byline", "site")
            return names
        names, source = self.generic_byline()
        self._source("byline", source)
        return names

    def _body_parts(self) -> tuple[list[str], list[str], str | None]:
        """``(kept paragraphs, raw paragraphs, source)``, computed once."""
        parts = self._memo.get("body")
        if parts is None:
            parts = self.site_body_parts()
            if not parts[0]:
                parts = self.generic_body()
            self._memo["body"] = parts
        return parts

    def site_body_parts(self) -> tuple[list[str], list[str], str | None]:
        container = self.select_one(self.SITE_BODY)
        if container is None:
            return [], [], None
        raw = block_paragraphs(container, self.body_skip)
        kept = [p for p in raw if not T.is_boilerplate(p)]
        if not kept and self.SITE_CAPTION:
            # a photo story: an empty text container and a gallery of captions
            captions = _dedupe(_text(el) for el in self.select(self.SITE_CAPTION))
            if len(captions) >= 2:
                return captions, captions, "site-captions"
        return kept, raw, "site"

    def body(self) -> str | None:
        kept, _raw, source = self._body_parts()
        if not kept:
            return None
        self._source("body", source)
        return "\n\n".join(kept)

    def editor(self) -> str | None:
        named = None
        el = self.select_one(self.SITE_EDITOR)
        if el is not None and el.tag != "meta":
            # "Pewarta: X<br>Editor: Y<br>COPYRIGHT …" (antaranews): the "Editor:" line
            named = next((n for n in map(T.editor_from_line, block_paragraphs(el)) if n), None)
        named = named or T.editor_from_line(self.site_text(self.SITE_EDITOR)) or self.site_text(self.SITE_EDITOR)
        if named:
            self._source("editor", "site")
            return named
        kept, raw, _source = self._body_parts()
        for line in raw:
            name = T.editor_from_line(line)
            if name:
                self._source("editor", "body")
                return name
        if kept:
            last = kept[-1]
            # "(vyp/kna)" printed as a paragraph of its own (detik)
            initials = T.trailing_initials(last) or (
                T.trailing_initials("." + last) if last.startswith("(") and len(last) <= 30 else None)
            if initials:
                self._source("editor", "body")
                return initials
        return None

    def dateline(self) -> str | None:
        kept, _raw, _source = self._body_parts()
        place = T.detect_dateline(kept[0]) if kept else None
        if place:
            self._source("dateline", "body")
        return place

    def visible_dates(self) -> dict[str, str]:
        """``{"published": raw, "updated": raw}`` from the ``SITE_DATES`` element(s):
        labelled strings split at their labels; an unlabelled date is the published one."""
        found = self._memo.get("visible_dates")
        if found is not None:
            return found
        found = {}
        for el in self.select(self.SITE_DATES):
            line = " ".join(block_paragraphs(el)) or _text(el)
            for segment in _DATE_LABEL_SPLIT_RE.split(line):
                segment = segment.strip(" |·•/,-–—")
                if not segment or not any(ch.isdigit() for ch in segment):
                    continue
                kind = "updated" if _UPDATED_LABEL_RE.match(segment) else "published"
                found.setdefault(kind, segment)
        self._memo["visible_dates"] = found
        return found

    def published(self) -> DateValue:
        cached = self._memo.get("published")
        if cached is None:
            cached = self._memo["published"] = self._resolve_date("published")
        return cached

    def updated(self) -> DateValue:
        cached = self._memo.get("updated")
        if cached is None:
            cached = self._memo["updated"] = self._resolve_date("updated")
        return cached

    def generic_visible_date(self) -> tuple[str | None, datetime | None]:
        """The first short visible date string with a clock time on the page:
        an element whose class / id says date / time / tanggal / waktu, or a
        ``<time>`` element's text.  Used to check machine dates and when a page
        has none."""
        if "visible_generic" in self._memo:
            return self._memo["visible_generic"]
        found: tuple[str | None, datetime | None] = (None, None)
        if self.root is not None:
            for el in self.root.iter():
                tag = el.tag
                if not isinstance(tag, str) or tag in ("script", "style", "meta", "head", "title", "body", "html"):
                    continue
                label = (el.get("class") or "") + " " + (el.get("id") or "")
                if tag != "time" and not _DATE_CLASS_RE.search(label[:200]):
                    continue
                if self._in_furniture(el):
                    continue
                text = _text(el)
                if not text or len(text) > 160 or not _CLOCK_RE.search(text):
                    continue
                for segment in _DATE_LABEL_SPLIT_RE.split(text):
                    segment = segment.strip(" |·•/,-–—")
                    if not segment or _UPDATED_LABEL_RE.match(segment) or not _CLOCK_RE.search(segment):
                        continue
                    dt, _w = self._parse_date(segment)
                    if dt is not None:
                        found = (segment, dt)
                        break
                if found[0]:
                    break
            if found[0] is None:
                found = self._weekday_date()
        self._memo["visible_generic"] = found
        return found

    def _weekday_date(self) -> tuple[str | None, datetime | None]:
        """A short text that is a whole weekday-led date with a clock time
        ("Kamis, 05 November 2015 11:52") in an element without a date-ish
        class (kapanlagi ``span.newsdetail-schedule-new``); outside furniture."""
        for el in self.root.iter():
            text = el.text
            if not text or len(text) > 90 or not isinstance(el.tag, str) or el.tag in ("script", "style", "title"):
                continue
            text = text.strip()
            if not _WEEKDAY_DATE_RE.match(text) or self._in_furniture(el):
                continue
            dt, _w = self._parse_date(text)
            if dt is not None:
                return text, dt
        return None, None

    def _check_zone(self, field: str, raw: str, dt: datetime, visible: datetime | None) -> datetime:
        """A machine date that claims UTC ("Z", "+00:00") but shows the visible
        local wall time (they differ by exactly the local UTC offset) is a local
        time with a wrong zone: read it in the visible zone and warn."""
        if visible is None or dt.utcoffset() is None or visible.utcoffset() is None:
            return dt
        offset = visible.utcoffset()
        if dt.utcoffset().total_seconds() != 0 or not offset:
            return dt
        if dt.replace(tzinfo=None, second=0, microsecond=0) == visible.replace(tzinfo=None, second=0, microsecond=0):
            fixed = dt.replace(tzinfo=visible.tzinfo)
            self.warnings.append(
                f"{field}: machine date '{raw}' claims UTC but shows the visible local time; read as {to_iso(fixed)}"
            )
            return fixed
        if dt == visible.replace(second=dt.second, microsecond=dt.microsecond):
            return dt.astimezone(visible.tzinfo)  # genuine UTC: shown in the local zone
        return dt

    def _resolve_date(self, kind: str) -> DateValue:
        """Visible site string first, then machine dates (checked against the
        visible time for a lying zone), then a generic visible date; a machine
        ``updated`` equal to the published time is not an update."""
        field = f"{kind}_at"
        visible = self.visible_dates().get(kind)
        failed: str | None = None
        if visible:
            dt, _warning = self._parse_date(visible)
            if dt is not None:
                self._source(field, "site")
                return DateValue(visible, to_iso(dt), dt, "site")
            failed = visible
        published = self.published() if kind == "updated" else None
        check = self.generic_visible_date()[1] if kind == "published" else None
        for raw, source in self.generic_machine_dates(kind):
            dt, _warning = self._parse_date(raw)
            if dt is None:
                continue
            if kind == "published":
                dt = self._check_zone(field, raw, dt, check)
            if published is not None and published.dt is not None and abs((dt - published.dt).total_seconds()) < 60:
                continue  # dateModified == datePublished (to the minute a page shows): never updated
            if failed:
                self.warnings.append(f"{field}: could not parse '{failed}'; used {source}")
            self._source(field, source)
            return DateValue(raw, to_iso(dt), dt, source)
        if kind == "published" and not failed:
            raw, dt = self.generic_visible_date()
            if dt is not None:
                self._source(field, "visible")
                return DateValue(raw, to_iso(dt), dt, "visible")
        if failed:
            self.warnings.append(f"{field}: could not parse '{failed}'")
            return DateValue(failed, None, None, None)
        return _NO_DATE

    def caption_and_credit(self) -> tuple[str | None, str | None]:
        cached = self._memo.get("caption")
        if cached is not None:
            return cached
        caption = credit = None
        source = None
        el = self.select_one(self.SITE_CAPTION)
        if el is not None:
            text = _text(el)
            credit_el = self.select_one(self.SITE_CAPTION_CREDIT)
            if credit_el is not None:
                credit = T.split_caption_credit(_text(credit_el))[1] or _text(credit_el).strip("() ") or None
                text = text.replace(_text(credit_el), "")
            cap, cred = T.split_caption_credit(text)
            caption, credit = cap, credit or cred
            source = "site" if (caption or credit) else None
        if source is None:
            cap, cred = T.split_caption_credit(self.generic_caption())
            if cap or cred:
                caption, credit, source = cap, cred, "figure"
        if caption:
            self._source("caption", source)
        if credit:
            self._source("caption_credit", source)
        cached = self._memo["caption"] = (caption, credit)
        return cached

    def caption(self) -> str | None:
        return self.caption_and_credit()[0]

    def caption_credit(self) -> str | None:
        return self.caption_and_credit()[1]

    def lead_image_url(self) -> str | None:
        if self.SITE_IMAGE:
            src = self._img_src(self.select_one(self.SITE_IMAGE))
            if src and not self.is_placeholder_image(src):
                self._source("lead_image_url", "site")
                return self.absolute(src)
        url, source = self.generic_image()
        self._source("lead_image_url", source)
        return url

    def tags(self) -> list[str]:
        if self.SITE_TAGS:
            tags = _dedupe(_text(el) for el in self.select(self.SITE_TAGS))
            if tags:
                self._source("tags", "site")
                return tags
        tags, source = self.generic_tags()
        self._source("tags", source)
        return tags

    def section(self) -> str | None:
        for url in (self.url, self._memo.get("canonical_url")):
            m = self._url_match(url)
            if m is not None and m.groupdict().get("section"):
                self._source("section", "url")
                return m.group("section").lower()
        value = self.meta_first("article:section")
        if value:
            self._source("section", "meta")
            return value.lower()
        value = self.generic_jsonld_str("articleSection")
        if value:
            self._source("section", "json-ld")
            return value.lower()
        return None

    def site_article_id(self) -> str | None:
        for url in (self.url, self._memo.get("canonical_url")):
            m = self._url_match(url)
            if m is not None and m.groupdict().get("id"):
                self._source("site_article_id", "url")
                return m.group("id")
        return None

    def canonical_url(self) -> str | None:
        if "canonical_url" in self._memo:
            return self._memo["canonical_url"]
        found, source = None, None
        if self.root is not None:
            for link in self.root.iter("link"):
                if "canonical" in (link.get("rel") or "").lower().split():
                    found = self.absolute(link.get("href"))
                    if found:
                        source = "link"
                        break
        if not found:
            og = self.meta_first("og:url")
            found = self.absolute(og) if og else None
            source = "og" if found else None
        if not found and self.url:
            found, source = self.url, "url"
        value = canonicalize_url(found) if found else None
        self._source("canonical_url", source if value else None)
        self._memo["canonical_url"] = value
        return value

    def language(self) -> str:
        """The declared language (``<html lang>``, JSON-LD, meta), unless it is ``en`` and
        the page's paragraphs are plainly Indonesian: CMS templates declare ``en`` on
        Indonesian text (kapanlagi 2015-16), which would mislabel every record."""
        declared = None
        if self.root is not None:
            declared = T.language_code(self.root.get("lang") or self.root.get("xml:lang"))
            source = "html-lang"
        if not declared:
            declared, source = T.language_code(_as_str(self.jsonld_article.get("inLanguage"))), "json-ld"
        if not declared:
            declared = T.language_code(self.meta_first("og:locale", "content-language", "language"))
            source = "meta"
        # only "en" is doubted: the mislabel seen is CMS templates' default "en" on
        # Indonesian text, and the check costs ~3% of a page's parse
        if declared == "en" and self.root is not None:
            sample: list[str] = []
            size = 0
            for p in self.root.iter("p"):
                sample.append(_text(p))
                size += len(sample[-1])
                if size > 4000:
                    break
            seen = T.id_or_en(" ".join(sample))
            if seen and seen != declared:
                self.warnings.append(f"language: page declares '{declared}' ({source}) but its text is '{seen}'")
                self._source("language", "text")
                return seen
        if declared:
            self._source("language", source)
            return declared
        self._source("language", "default")
        return self.DEFAULT_LANGUAGE

    def site(self) -> str | None:
        if self.SITE:
            return self.SITE
        for url in (self.canonical_url(), self.url):
            try:
                host = (urlsplit(url).hostname or "") if url else ""
            except ValueError:
                host = ""
            if host:
                return host[4:] if host.startswith("www.") else host
        return None

    # -- article or not ------------------------------------------------------------

    def not_article_reason(self) -> str | None:
        if self.root is None:
            return "not an article: empty document"
        if self.is_soft_404():
            return "not an article: page not found"
        if not self.headline():
            return "not an article: no headline"
        if not self.body():
            return "not an article: no body"
        return None

    def is_soft_404(self) -> bool:
        if self.select_one(self.SITE_BODY) is not None or self.jsonld_article:
            return False
        for text in (self.generic_h1(), self.generic_title()):
            if text and _SOFT_404_RE.search(text[:200]):
                return True
        return False

    # -- output ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        record = empty_article(self.url)
        record["parser"] = self.parser_name
        record["fetched_at"] = self.fetched_at
        record["canonical_url"] = self.canonical_url()
        record["site"] = self.site()
        record["language"] = self.language()
        reason = self.not_article_reason()
        if reason:
            record["parse_error"] = reason
            record["field_sources"] = {
                k: v for k, v in self.field_sources.items() if k in ("canonical_url", "language")
            }
            return record

        record["headline"] = self.headline()
        record["byline"] = self.byline()
        record["body"] = self.body()
        record["editor"] = self.editor()
        published, updated = self.published(), self.updated()
        record["published_at"], record["published_raw"] = published.at, published.raw
        record["updated_at"], record["updated_raw"] = updated.at, updated.raw
        if published.dt is not None and updated.dt is not None and updated.dt < published.dt:
            self.warnings.append("updated_at: earlier than published_at")
        record["dateline"] = self.dateline()
        record["caption"], record["caption_credit"] = self.caption_and_credit()
        record["lead_image_url"] = self.lead_image_url()
        record["tags"] = self.tags()
        record["section"] = self.section()
        record["site_article_id"] = self.site_article_id()

        for field in self.REQUIRED:
            if not record.get(field) and not (field == "published_at" and record.get("published_raw")):
                self.warnings.append(f"{field}: not found")
        order = list(ARTICLE_FIELDS)
        record["field_sources"] = dict(
            sorted(self.field_sources.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
        )
        record["warnings"] = list(dict.fromkeys(self.warnings))
        return record

    # -- listing pages -------------------------------------------------------------

    @classmethod
    def listing_from_tree(cls, root: Any, url: str) -> dict[str, Any]:
        """Items (newest first, as printed) and the next page of a listing page."""
        result: dict[str, Any] = {"items": [], "next_url": None}
        if root is None:
            return result
        page = cls(None, url, tree=root)
        items: list[dict[str, Any]] = []
        seen: dict[str, dict[str, Any]] = {}
        for item in select(root, cls.LISTING_ITEM):
            link = select_one(item, cls.LISTING_LINK) if cls.LISTING_LINK else item.find(".//a[@href]")
            href = page.absolute(link.get("href")) if link is not None else None
            if not href:
                continue
            href = href.split("#", 1)[0]
            if href in seen:
                continue
            raw = at = None
            time_el = select_one(item, cls.LISTING_DATE)
            if time_el is not None:  # machine time, a tooltip's absolute time, the visible text
                for candidate in (time_el.get("datetime"), time_el.get("title"), _text(time_el)):
                    if candidate and candidate.strip():
                        dt, _w = page._parse_date(candidate.strip())
                        if raw is None or dt is not None:
                            raw = T.normalize_ws(candidate)
                        if dt is not None:
                            at = to_iso(dt)
                            break
            title = select_one(item, cls.LISTING_HEADLINE) if cls.LISTING_HEADLINE else None
            entry = {"url": href, "published_raw": raw, "published_at": at,
                     "headline": (_text(title) if title is not None else None) or _text(link)
                     or T.normalize_ws(link.get("title")) or None}
            seen[href] = entry
            items.append(entry)
        if not items:
            pattern = cls.ARTICLE_PATH_RE
            for a in root.iter("a"):
                href = page.absolute(a.get("href"))
                if not href:
                    continue
                href = href.split("#", 1)[0]
                try:
                    path = urlsplit(href).path
                except ValueError:
                    continue
                ok = pattern.match(path) if pattern is not None else GENERIC_ARTICLE_PATH_RE.search(path)
                if not ok:
                    continue
                headline = _text(a) or T.normalize_ws(a.get("title")) or None
                if href in seen:
                    if not seen[href]["headline"] and headline:
                        seen[href]["headline"] = headline
                    continue
                entry = {"url": href, "headline": headline, "published_raw": None, "published_at": None}
                seen[href] = entry
                items.append(entry)
        result["items"] = items
        nxt = select_one(root, cls.LISTING_NEXT) if cls.LISTING_NEXT else None
        if nxt is None:
            found = root.xpath('//a[@href and contains(concat(" ", normalize-space(@rel), " "), " next ")]'
                               '|//link[@href and @rel="next"]')
            nxt = found[0] if found else None
        if nxt is not None:
            result["next_url"] = page.absolute(nxt.get("href"))
        return result


_FURNITURE_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:related\w*|terkait|comments?|komentar|popular|terpopuler|sidebar|widget\w*|"
    r"recommend\w*|footer|share\w*|baca-?juga\w*|ads?)(?=$|[\s_-])",
    re.IGNORECASE,
)


#: ids of page furniture (comment threads and single comments, footers, sidebars, ...)
_FURNITURE_ID_RE = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|kommentar\w*|komentar|respond|disqus\w*|footer|sidebar|"
    r"related\w*|terkait|newsletter\w*|share\w*|social\w*|author-?box)(?=$|[\s_\d-])",
    re.IGNORECASE,
)
#: class / id words of a container that is never part of the body next to it
_NEIGHBOUR_FURNITURE_RE = re.compile(
    r"comment|related|terkait|share|sharing|social|sidebar|widget|recommend|popular|footer|"
    r"author|bio\b|newsletter|subscri|nav|menu|breadcrumb|tags?\b|topik|promo|banner|iklan|\bads?\b|advert|"
    r"baca-?juga|lihat-?juga|read-?more|more-?stories|next|prev|pagination|caption|credit|copyright|disclaimer",
    re.IGNORECASE,
)
#: class words of article metadata and furniture printed inside a body container
_META_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:(?:post|entry|article)-?(?:meta\w*|footer|date|info|tags|rating\w*)|postmetadata|"
    r"byline\w*|dateline|metaline|timestamp|author-?(?:box|bio|info|profile|details|wrap)\w*|"
    r"about-?(?:the-?)?author|ratings?|star-?ratings?|breadcrumbs?|print-?(?:link|button)\w*|back-?link\w*)"
    r"(?=$|[\s_-])",
    re.IGNORECASE,
)
_QUOTE_TRIM = " .…\"'“”‘’«»„-–—"
_PHOTO_BOX_TAGS = frozenset({"div", "span", "table", "section", "center", "dl"})
#: class / id words of a photo box (its text is a caption)
_PHOTO_MARK_RE = re.compile(
    r"photo|foto|image|img|picture|gambar|media|gallery|galeri|thumb|figure|video", re.IGNORECASE
)
_HTML_IN_TEXT_RE = re.compile(r"<(?:p|br|div|strong|em|a|span|h[1-6])\b[^>]*>", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[.!?。”\"'»]")
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup"})


def _text_shorter_than(el: Any, limit: int) -> bool:
    """Is the text of ``el`` (about as :func:`_text` counts it: the indentation between
    elements left out) shorter than ``limit`` characters?  Stops reading at the
    limit, so it is cheap on a large container."""
    size = 0
    for piece in el.itertext():
        size += len(piece.strip())
        if size >= limit:
            return False
    return True


def _squeeze(paragraphs: list[str]) -> str:
    """Paragraphs as one string without whitespace (the same text split differently)."""
    return "".join("".join(paragraphs).split())


def _dedupe(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


class GenericPage(ArticlePage):
    """Any site: generic fallbacks only (JSON-LD, meta, h1, largest block)."""

    NAME = "generic"
    VERSION = 1
