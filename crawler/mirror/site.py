"""A deterministic, Monitor-Indonesia-shaped website, generated from a seed.

:class:`MirrorSite` generates article *metadata* eagerly (cheap: ids, times,
section, headline, authors, layout flags, one integer seed per article) and
renders body text and HTML on demand from each article's own seed, so a
20,000-article site is built in well under a second and a few MB.  Rendered
responses are cached (bounded LRU) per edition.

Every article page carries ``<link rel=canonical>`` / ``og:url`` on
``https://monitorindonesia.com`` (the mirror pretends to be a copy of the real
site) while every navigational link is root-relative, so a crawler started at
the mirror's URL stays on the mirror host.

Ground truth: :attr:`Article.truth` is a dict with the :data:`crawler.items.ARTICLE_FIELDS`
keys the page shows (``url`` is the root-relative path; join it with the
mirror's base URL to get what a crawler records).

Editions: edition 0 is the base site.  Edition ``k`` appends one update
paragraph per edition (and a later "Diperbarui" stamp) to every base article
whose index in ``MirrorSite(edition=0).articles`` satisfies ``index % 50 == 7``
and publishes ``5 * k`` newer articles (5 per edition, cumulative).  Every other
page of an article is byte-identical across editions (links inside article
pages only point at base articles), so only :meth:`MirrorSite.changed_in_edition`
paths get a new revision.
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import wordlists as W
from .templates import frag, page

__all__ = [
    "MirrorSite",
    "Article",
    "Response",
    "WIB",
    "CANONICAL_ORIGIN",
    "SITE_DOMAIN",
    "PAGE_SIZE",
    "ROBOTS_TXT",
    "slugify",
    "TRUTH_FIELDS",
]

WIB = timezone(timedelta(hours=7), "WIB")
CANONICAL_ORIGIN = "https://monitorindonesia.com"
SITE_DOMAIN = "monitorindonesia.com"
PAGE_SIZE = 20
FIRST_ID = 421000
IDS_PER_DAY = 50
MIN_SPAN_DAYS = 90
#: Every base article with ``index % EDITION_MODULUS == EDITION_REMAINDER`` changes in each edition.
EDITION_MODULUS = 50
EDITION_REMAINDER = 7
NEW_PER_EDITION = 5
#: Minutes between editions (modified articles get "Diperbarui T_end + k * EDITION_STEP").
EDITION_STEP = 360

ROBOTS_TXT = "User-agent: *\nDisallow: /search\nDisallow: /admin/\n"

LAYOUTS = ("ref", "twoline", "nojsonld")
#: The schema fields (crawler.items.ARTICLE_FIELDS) an article page shows: the ground-truth keys.
TRUTH_FIELDS: tuple[str, ...] = (
    "url", "canonical_url", "site", "site_article_id", "section", "headline", "byline", "editor",
    "published_at", "updated_at", "published_raw", "updated_raw", "dateline", "caption", "caption_credit",
    "lead_image_url", "body", "tags", "language",
)
_TRUTH_SET = frozenset(TRUTH_FIELDS)
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_ARTICLE_PATH_RE = re.compile(r"^/([a-z]+)/read/(\d{4})/(\d{2})/(\d+)/([a-z0-9-]+)$")
#: an article reached by its id alone (``/read/<id>``) or without its slug
#: (``/<section>/read/YYYY/MM/<id>``): answered with a 301 to the full URL, the way
#: news CMSs resolve short and truncated links (see MonitorSpider, ``-a ids=``)
_ID_ONLY_RE = re.compile(r"^(?:/read/(\d+)|/[a-z]+/read/\d{4}/\d{2}/(\d+))/?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT_RE = re.compile(r"^[1-9][0-9]{0,6}$")


# --------------------------------------------------------------------------- helpers

def slugify(text: str, max_len: int = 80) -> str:
    """Lower-case ASCII slug: ``"RI-China Tingkatkan"`` -> ``"ri-china-tingkatkan"``."""
    slug = _SLUG_RE.sub("-", text.lower()).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0]
    return slug or "berita"


def esc(text: str) -> str:
    """Escape text content (quotes stay literal, as CMS output usually has them)."""
    return _html.escape(text, quote=False)


def attr(text: str) -> str:
    """Escape an attribute value."""
    return _html.escape(text, quote=True)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def fmt_visible(dt: datetime) -> str:
    """``5 Desember 2023 01:10 WIB`` (the article page's time line)."""
    return f"{dt.day} {W.MONTHS[dt.month - 1]} {dt.year} {dt:%H:%M} WIB"


def fmt_listing(dt: datetime) -> str:
    """``Selasa, 05 Desember 2023 | 01:10 WIB`` (listing items)."""
    return f"{W.DAYS[dt.weekday()]}, {dt.day:02d} {W.MONTHS[dt.month - 1]} {dt.year} | {dt:%H:%M} WIB"


def fmt_header(d: date) -> str:
    """``Selasa, 05 Desember 2023`` (site header)."""
    return f"{W.DAYS[d.weekday()]}, {d.day:02d} {W.MONTHS[d.month - 1]} {d.year}"


def fmt_day(dt: datetime) -> str:
    """``4 Desember 2023`` (related-article dates)."""
    return f"{dt.day} {W.MONTHS[dt.month - 1]} {dt.year}"


def iso(dt: datetime | None) -> str | None:
    """``2023-12-05T01:10:00+07:00``."""
    return None if dt is None else dt.isoformat(timespec="seconds")


# --------------------------------------------------------------------------- articles

class Article(Mapping):
    """One generated article: cheap metadata; paragraphs and truth on demand.

    An article is also a read-only mapping of its ground truth
    (``a["headline"]``, ``a.get("body")``, ``dict(a)``): the keys are
    :data:`TRUTH_FIELDS`, computed on access (nothing is cached).
    Equality and hashing stay by identity.
    """

    __slots__ = (
        "index", "id", "section", "headline", "slug", "published", "updated", "authors",
        "editor", "dateline", "dash", "photo", "tags", "layout", "seed", "n_paragraphs",
        "revision", "edition_added", "_path",
    )

    def __init__(self, **kw: Any) -> None:
        self.revision = 0
        self.edition_added = 0
        self._path = None
        for k, v in kw.items():
            setattr(self, k, v)

    # identity -----------------------------------------------------------
    @property
    def path(self) -> str:
        """Root-relative article path ``/<section>/read/YYYY/MM/<id>/<slug>``."""
        p = self._path
        if p is None:
            p = self._path = (
                f"/{self.section}/read/{self.published.year:04d}/{self.published.month:02d}/{self.id}/{self.slug}"
            )
        return p

    @property
    def canonical_url(self) -> str:
        return CANONICAL_ORIGIN + self.path

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.published

    def clone(self, **changes: Any) -> "Article":
        a = Article(**{k: getattr(self, k) for k in self.__slots__ if k != "_path"})
        a._path = self._path
        for k, v in changes.items():
            setattr(a, k, v)
        return a

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Article {self.id} {self.path!r} rev={self.revision}>"

    # mapping of the ground truth ------------------------------------------
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __getitem__(self, key: str) -> Any:
        if key == "body":
            return self.body()
        if key not in _TRUTH_SET:
            raise KeyError(key)
        if key in ("published_raw", "updated_raw"):
            _, published_raw, updated_raw = self.time_lines()
            return published_raw if key == "published_raw" else updated_raw
        if key == "url":
            return self.path
        if key == "site":
            return SITE_DOMAIN
        if key == "site_article_id":
            return str(self.id)
        if key == "byline":
            return list(self.authors)
        if key == "tags":
            return list(self.tags)
        if key == "published_at":
            return iso(self.published)
        if key == "updated_at":
            return iso(self.updated)
        if key == "language":
            return "id"
        return getattr(self, key)

    def __iter__(self):
        return iter(TRUTH_FIELDS)

    def __len__(self) -> int:
        return len(TRUTH_FIELDS)

    # photo --------------------------------------------------------------
    @property
    def lead_image_url(self) -> str | None:
        if self.photo is None:
            return None
        return (
            f"{CANONICAL_ORIGIN}/storage/news/image/{self.published.year:04d}/{self.published.month:02d}/"
            f"{self.photo[3]}.jpg"
        )

    @property
    def caption(self) -> str | None:
        return None if self.photo is None else self.photo[1]

    @property
    def caption_credit(self) -> str | None:
        return None if self.photo is None else self.photo[2]

    @property
    def caption_printed(self) -> str | None:
        """The figcaption text as printed (caption plus credit shape)."""
        if self.photo is None or self.photo[1] is None:
            return None
        shape, caption, credit, _ = self.photo
        if shape == "foto":
            return f"{caption} (Foto: {credit})"
        if shape == "antara":
            return f"{caption} ({credit})"
        return caption

    # times --------------------------------------------------------------
    def time_lines(self) -> tuple[list[str], str | None, str | None]:
        """Visible ``.read__time`` lines, published_raw, updated_raw."""
        pub = fmt_visible(self.published)
        upd = fmt_visible(self.updated) if self.updated else None
        if self.layout == "ref":
            if upd:
                # Like the reference page: only "Diperbarui" is shown; the
                # published time is only in JSON-LD / article:published_time.
                return [f"Diperbarui {upd}"], iso(self.published), f"Diperbarui {upd}"
            return [f"Dipublikasikan {pub}"], f"Dipublikasikan {pub}", None
        lines = [f"Diterbitkan {pub}"]
        if upd:
            lines.append(f"Diperbarui {upd}")
        return lines, lines[0], (lines[1] if upd else None)

    # body ---------------------------------------------------------------
    def paragraphs(self) -> list[tuple[str, str]]:
        """Body paragraphs as ``(text, html)``: the text is what a reader sees."""
        rng = random.Random(self.seed)
        sec = self.section
        speakers = W.SPEAKERS[sec]
        topics = W.TOPICS[sec]
        pub = self.published
        ref_day = pub - timedelta(days=rng.randint(0, 1))
        day_ref = f"{W.DAYS[ref_day.weekday()]} ({ref_day.day}/{ref_day.month})"
        out: list[tuple[str, str]] = []
        tag_link_at = rng.randrange(1, self.n_paragraphs) if (self.tags and rng.random() < 0.3) else -1
        for i in range(self.n_paragraphs):
            sentences: list[str] = []
            if i == 0:
                s = rng.choice(speakers)
                sentences.append(
                    f"{_cap(s)} {rng.choice(W.VERBS_PAST)} bahwa {rng.choice(topics)} "
                    f"menjadi prioritas utama pada {rng.choice(W.PERIODS)}."
                )
                sentences.append(f"{_cap(rng.choice(W.CLAUSES))}.")
            else:
                kind = rng.random()
                if kind < 0.3:
                    q = rng.choice(W.QUOTES)
                    if rng.random() < 0.7:
                        sentences.append(f"“{q},” ujar {rng.choice(speakers)} di {rng.choice(W.PLACES)}, {day_ref}.")
                    else:
                        sentences.append(f"\"{q},\" kata {rng.choice(speakers)}.")
                elif kind < 0.55:
                    whole, frac = rng.randint(1, 12), rng.randint(0, 99)
                    sentences.append(
                        f"Sebagaimana diketahui, {rng.choice(topics)} tercatat tumbuh sebesar "
                        f"{whole},{frac:02d}% pada {rng.choice(W.PERIODS)}."
                    )
                    sentences.append(f"{_cap(rng.choice(W.CLAUSES))}.")
                else:
                    sentences.append(f"{rng.choice(W.OPENERS)}, {rng.choice(W.CLAUSES)}.")
                    sentences.append(
                        f"Hal ini berkaitan dengan {rng.choice(topics)} yang menjadi perhatian "
                        f"{rng.choice(speakers)}."
                    )
                    if rng.random() < 0.5:
                        sentences.append(f"Ia berharap {rng.choice(W.CLAUSES)}.")
            text = " ".join(sentences)
            html = esc(text)
            if i == tag_link_at:
                tag = self.tags[0]
                extra_text = f"Isu {tag} kembali menjadi sorotan."
                extra_html = f'Isu <a href="/tag/{slugify(tag)}">{esc(tag)}</a> kembali menjadi sorotan.'
                text = f"{text} {extra_text}"
                html = f"{html} {extra_html}"
            if i == 0 and self.dateline:
                text = f"{self.dateline}, MI {self.dash} {text}"
                html = f"<strong>{esc(self.dateline)}, MI</strong> {self.dash} {html}"
            out.append((text, html))
        for r in range(1, self.revision + 1):
            rr = random.Random(self.seed * 1009 + r)
            text = f"{rr.choice(W.UPDATE_LEADS)}, {rr.choice(W.CLAUSES)} (pembaruan ke-{r})."
            out.append((text, esc(text)))
        if self.editor:
            text, html = out[-1]
            out[-1] = (f"{text} ({self.editor})", f"{html} ({esc(self.editor)})")
        return out

    def body(self) -> str:
        return "\n\n".join(t for t, _ in self.paragraphs())

    def description(self) -> str:
        text = self.paragraphs()[0][0]
        if self.dateline:
            text = text.split(f" {self.dash} ", 1)[1]
        first = text.split(". ", 1)[0].rstrip(".") + "."
        return first[:200]

    # ground truth -------------------------------------------------------
    @property
    def truth(self) -> dict[str, Any]:
        """The schema fields this page shows (``url`` is the root-relative path)."""
        _, published_raw, updated_raw = self.time_lines()
        return {
            "url": self.path,
            "canonical_url": self.canonical_url,
            "site": SITE_DOMAIN,
            "site_article_id": str(self.id),
            "section": self.section,
            "headline": self.headline,
            "byline": list(self.authors),
            "editor": self.editor,
            "published_at": iso(self.published),
            "updated_at": iso(self.updated),
            "published_raw": published_raw,
            "updated_raw": updated_raw,
            "dateline": self.dateline,
            "caption": self.caption,
            "caption_credit": self.caption_credit,
            "lead_image_url": self.lead_image_url,
            "body": self.body(),
            "tags": list(self.tags),
            "language": "id",
        }


def _make_article(rng: random.Random, *, index: int, id_: int, published: datetime,
                  updated: datetime | None) -> Article:
    section = rng.choices(W.SECTIONS, weights=W.SECTION_WEIGHTS)[0]
    subject = rng.choice(W.HEAD_SUBJECTS[section])
    verb = rng.choice(W.HEAD_VERBS[section])
    obj = rng.choice(W.HEAD_OBJECTS[section])
    suffix = rng.choice(W.HEAD_SUFFIXES)
    headline = f"{subject} {verb} {obj}" + (f" {suffix}" if suffix else "")
    n_auth = 2 if rng.random() < 0.2 else 1
    authors = tuple(rng.sample(W.AUTHORS, n_auth))
    editor = rng.choice(W.EDITOR_INITIALS) if rng.random() < 0.75 else None
    if rng.random() < 0.9:
        dateline = rng.choice(W.CITIES)
        dash = "–" if rng.random() < 0.85 else "-"
    else:
        dateline, dash = None, "–"
    photo = None
    r = rng.random()
    if r < 0.88:
        cap = (
            f"{_cap(rng.choice(W.SPEAKERS[section]))} saat membahas {rng.choice(W.TOPICS[section])} "
            f"di {rng.choice(W.PLACES)}"
        )
        image = slugify(headline, 48)
        shape = rng.random()
        if shape < 0.30:
            photo = ("foto", cap, rng.choice(W.PHOTO_AGENCIES), image)
        elif shape < 0.55:
            photo = ("foto", cap, f"MI/{rng.choice(W.PHOTOGRAPHERS)}", image)
        elif shape < 0.75:
            photo = ("antara", cap, f"ANTARA/{rng.choice(W.ANTARA_PHOTOGRAPHERS)}", image)
        elif shape < 0.90:
            photo = ("plain", cap, None, image)
        else:
            photo = ("none", None, None, image)
    pool = W.TAGS[section]
    tags = tuple(rng.sample(pool, rng.randint(2, 4)))
    layout = rng.choices(LAYOUTS, weights=(50, 25, 25))[0]
    return Article(
        index=index, id=id_, section=section, headline=headline, slug=slugify(headline),
        published=published, updated=updated, authors=authors, editor=editor, dateline=dateline,
        dash=dash, photo=photo, tags=tags, layout=layout, seed=rng.getrandbits(48),
        n_paragraphs=rng.randint(4, 9),
    )


# --------------------------------------------------------------------------- responses

@dataclass
class Response:
    """A rendered response; ``etag`` is computed from the (identity) body."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None
    etag: str | None = None
    _gzip: bytes | None = field(default=None, repr=False)
    #: a redirect's target (root-relative), sent as ``Location``
    location: str | None = None

    def __post_init__(self) -> None:
        if self.etag is None and self.status == 200:
            self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:24] + '"'

    def gzipped(self) -> bytes:
        if self._gzip is None:
            import gzip

            self._gzip = gzip.compress(self.body, compresslevel=5, mtime=0)
        return self._gzip


class _LRU:
    """Thread-safe LRU of rendered responses bounded by total body bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._d: OrderedDict[Any, Response] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Response | None:
        with self._lock:
            r = self._d.get(key)
            if r is not None:
                self._d.move_to_end(key)
            return r

    def put(self, key: Any, resp: Response) -> None:
        with self._lock:
            if key in self._d:
                return
            self._d[key] = resp
            self.size += len(resp.body)
            while self.size > self.max_bytes and len(self._d) > 1:
                _, old = self._d.popitem(last=False)
                self.size -= len(old.body)

    def __len__(self) -> int:
        return len(self._d)


# --------------------------------------------------------------------------- editions

class _View:
    """The site as it is in one edition: article list and lazily built indexes."""

    def __init__(self, site: "MirrorSite", edition: int) -> None:
        self.site = site
        self.edition = edition
        base = site._base
        articles = list(base)
        for i in range(EDITION_REMAINDER, len(base), EDITION_MODULUS):
            if edition:
                articles[i] = base[i].clone(revision=edition, updated=site._edition_time(edition))
        added: list[Article] = []
        for k in range(1, edition + 1):
            added.extend(site._edition_articles(k))
        added.reverse()  # newest first
        self.articles: list[Article] = added + articles
        self.by_id: dict[int, Article] = {a.id: a for a in self.articles}
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str], list[Article]] | None = None
        self._dates: dict[date, list[Article]] | None = None

    def index(self, kind: str, key: str) -> list[Article] | None:
        """Articles of section / tag / author ``key`` newest first (None if unknown)."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    idx: dict[tuple[str, str], list[Article]] = {}
                    for a in self.articles:
                        idx.setdefault(("section", a.section), []).append(a)
                        for t in a.tags:
                            idx.setdefault(("tag", slugify(t)), []).append(a)
                        for au in a.authors:
                            idx.setdefault(("penulis", slugify(au)), []).append(a)
                    self._index = idx
        if kind == "section" and key in W.SECTIONS:
            return self._index.get((kind, key), [])
        return self._index.get((kind, key))

    def by_date(self, d: date) -> list[Article]:
        if self._dates is None:
            with self._lock:
                if self._dates is None:
                    dates: dict[date, list[Article]] = {}
                    for a in self.articles:
                        dates.setdefault(a.published.date(), []).append(a)
                    self._dates = dates
        return self._dates.get(d, [])


# --------------------------------------------------------------------------- the site

class MirrorSite:
    """A deterministic Monitor-Indonesia-shaped site.

    ``articles`` (current edition) is newest first; ``article_by_path(path)``
    looks one up; ``respond(target)`` renders any request target to a
    :class:`Response`.  ``edition`` may be changed at any time (thread-safe
    swap), see :meth:`set_edition`.
    """

    def __init__(self, n_articles: int = 200, seed: int = 1, edition: int = 0,
                 base_date: date = date(2023, 12, 5), *, cache_bytes: int = 64 * 1024 * 1024) -> None:
        if n_articles < 1:
            raise ValueError("n_articles must be >= 1")
        if edition < 0:
            raise ValueError("edition must be >= 0")
        self.n_articles = n_articles
        self.seed = seed
        self.base_date = base_date
        self._cache = _LRU(cache_bytes)
        self._views: dict[int, _View] = {}
        self._views_lock = threading.Lock()
        self._edition_cache: dict[int, list[Article]] = {}
        self._generate()
        self._view = self.view(edition)

    # generation -------------------------------------------------------
    def _generate(self) -> None:
        rng = random.Random(f"warta-mirror:{self.seed}")
        n = self.n_articles
        span_minutes = max(MIN_SPAN_DAYS * 1440, n * 1440 // IDS_PER_DAY)
        mean_gap = max(2, span_minutes // n)
        end = datetime.combine(self.base_date, time(20, 0), WIB) + timedelta(minutes=rng.randint(0, 179))
        # minutes before `end`, newest first
        offsets = [0]
        for _ in range(n - 1):
            offsets.append(offsets[-1] + rng.randint(max(1, mean_gap // 4), max(2, mean_gap * 7 // 4)))
        # ids increase with time at ~IDS_PER_DAY
        ids = [0] * n
        cur = FIRST_ID
        ids[n - 1] = cur
        for i in range(n - 2, -1, -1):
            gap = offsets[i + 1] - offsets[i]
            cur += max(1, int(gap * IDS_PER_DAY / 1440 + rng.random()))
            ids[i] = cur
        self.end_time = end
        base: list[Article] = []
        for i in range(n):
            published = end - timedelta(minutes=offsets[i])
            updated = None
            if rng.random() < 0.3:
                cand = published + timedelta(minutes=rng.randint(10, 2 * 1440))
                if cand > end:
                    cand = end
                if cand > published:
                    updated = cand
            base.append(_make_article(rng, index=i, id_=ids[i], published=published, updated=updated))
        self._base = base
        self._base_by_section: dict[str, list[Article]] = {}
        for a in base:
            self._base_by_section.setdefault(a.section, []).append(a)
        self._section_pos = {a.id: i for s in self._base_by_section.values() for i, a in enumerate(s)}

    def _edition_time(self, k: int) -> datetime:
        return self.end_time + timedelta(minutes=k * EDITION_STEP)

    def _edition_articles(self, k: int) -> list[Article]:
        """The NEW_PER_EDITION articles published in edition ``k``, oldest first."""
        got = self._edition_cache.get(k)
        if got is None:
            rng = random.Random(f"warta-mirror:{self.seed}:edition:{k}")
            last_id = self._base[0].id + (k - 1) * NEW_PER_EDITION * 3
            start = self._edition_time(k - 1)
            got = []
            for m in range(1, NEW_PER_EDITION + 1):
                last_id += rng.randint(1, 3)
                published = start + timedelta(minutes=m * 50 + rng.randint(0, 20))
                a = _make_article(rng, index=-1, id_=last_id, published=published, updated=None)
                a.edition_added = k
                got.append(a)
            self._edition_cache[k] = got
        return got

    # editions ---------------------------------------------------------
    def view(self, edition: int) -> _View:
        v = self._views.get(edition)
        if v is None:
            with self._views_lock:
                v = self._views.get(edition)
                if v is None:
                    v = self._views[edition] = _View(self, edition)
        return v

    @property
    def edition(self) -> int:
        return self._view.edition

    @edition.setter
    def edition(self, k: int) -> None:
        self.set_edition(k)

    def set_edition(self, k: int) -> None:
        """Switch the live edition (atomic for concurrent requests)."""
        if k < 0:
            raise ValueError("edition must be >= 0")
        self._view = self.view(k)

    def changed_in_edition(self, k: int) -> list[str]:
        """Article paths whose page differs between edition ``k - 1`` and ``k``.

        For ``k == 0`` every base article path.  For ``k >= 1`` the base
        articles with ``index % 50 == 7`` (a new paragraph and a later
        "Diperbarui") plus the 5 articles first published in edition ``k``.
        """
        if k == 0:
            return [a.path for a in self._base]
        modified = [self._base[i].path for i in range(EDITION_REMAINDER, len(self._base), EDITION_MODULUS)]
        added = [a.path for a in reversed(self._edition_articles(k))]
        return added + modified

    # lookups ----------------------------------------------------------
    @property
    def articles(self) -> list[Article]:
        """All articles of the current edition, newest first."""
        return self._view.articles

    def article_by_path(self, path: str, edition: int | None = None) -> Article | None:
        """The article at ``path`` (root-relative or absolute URL), or None."""
        if "://" in path:
            path = urlsplit(path).path
        m = _ARTICLE_PATH_RE.match(path)
        if not m:
            return None
        v = self._view if edition is None else self.view(edition)
        a = v.by_id.get(int(m.group(4)))
        if a is None or a.path != path:
            return None
        return a

    def truth(self, path: str, base_url: str | None = None) -> dict[str, Any] | None:
        """Ground truth for ``path``; ``url`` made absolute against ``base_url`` if given."""
        a = self.article_by_path(path)
        if a is None:
            return None
        t = a.truth
        if base_url:
            t["url"] = base_url.rstrip("/") + t["url"]
        return t

    def listing_paths(self, edition: int | None = None) -> list[str]:
        """Targets of every /indeks page (``/indeks``, ``/indeks?page=2``...)."""
        v = self._view if edition is None else self.view(edition)
        pages = max(1, -(-len(v.articles) // PAGE_SIZE))
        return ["/indeks"] + [f"/indeks?page={p}" for p in range(2, pages + 1)]

    # request handling ---------------------------------------------------
    def respond(self, target: str, edition: int | None = None) -> Response:
        """Render request target (path + optional query) to a :class:`Response`."""
        v = self._view if edition is None else self.view(edition)
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        query = parts.query
        if path == "/robots.txt":
            return Response(200, ROBOTS_TXT.encode(), "text/plain; charset=utf-8")
        m = _ID_ONLY_RE.match(path)
        if m:
            a = v.by_id.get(int(m.group(1) or m.group(2)))
            if a is None:
                return self._not_found(v)
            body = f'<html><body>Moved to <a href="{attr(a.path)}">{esc(a.path)}</a></body></html>'
            return Response(301, body.encode("utf-8"), location=a.path)
        m = _ARTICLE_PATH_RE.match(path)
        if m:
            a = v.by_id.get(int(m.group(4)))
            if a is None or a.path != path:
                return self._not_found(v)
            key = ("a", a.id, a.revision)
            r = self._cache.get(key)
            if r is None:
                r = Response(200, self.render_article(a).encode("utf-8"), last_modified=a.last_modified)
                self._cache.put(key, r)
            return r
        try:
            params = _parse_query(query)
        except ValueError:
            return self._not_found(v)
        page_no = params.get("page", "1")
        if not _INT_RE.match(page_no):
            return self._not_found(v)
        page_no_i = int(page_no)
        segs = path.strip("/").split("/") if path != "/" else []
        spec: tuple[str, str] | None = None
        if path == "/" and not params:
            spec = ("home", "")
        elif path == "/indeks" and set(params) <= {"page", "date"}:
            if "date" in params:
                d = params["date"]
                if not _DATE_RE.match(d):
                    return self._not_found(v)
                try:
                    date.fromisoformat(d)
                except ValueError:
                    return self._not_found(v)
                spec = ("date", d)
            else:
                spec = ("indeks", "")
        elif len(segs) == 1 and segs[0] in W.SECTIONS and path == f"/{segs[0]}" and set(params) <= {"page"}:
            spec = ("section", segs[0])
        elif len(segs) == 2 and segs[0] in ("tag", "penulis") and set(params) <= {"page"}:
            spec = (segs[0], segs[1])
        if spec is None:
            return self._not_found(v)
        key = ("l", v.edition, spec, page_no_i)
        r = self._cache.get(key)
        if r is None:
            r = self._render_listing(v, spec, page_no_i)
            self._cache.put(key, r)
        return r

    def _not_found(self, v: _View) -> Response:
        key = ("404",)
        r = self._cache.get(key)
        if r is None:
            main = page("error404").substitute(popular=self._popular_html(self._site_popular()))
            body = self._layout(
                title="Halaman Tidak Ditemukan - Monitor Indonesia",
                head='<meta name="robots" content="noindex">\n',
                gtag_extra="", jsonld="", body_class="page-404", header_date=fmt_header(self.base_date),
                active=None, ticker="", main=main, year=self.base_date.year,
            )
            r = Response(404, body.encode("utf-8"))
            self._cache.put(key, r)
        return r

    # rendering: shared --------------------------------------------------
    def _layout(self, *, title: str, head: str, gtag_extra: str, jsonld: str, body_class: str,
                header_date: str, active: str | None, ticker: str, main: str, year: int) -> str:
        nav = [frag("nav_item", href="/", title="Home")]
        for s in W.SECTIONS:
            name = "nav_item_active" if s == active else "nav_item"
            nav.append(frag(name, href=f"/{s}", title=W.SECTION_TITLES[s]))
        nav.append(frag("nav_item_active" if active == "indeks" else "nav_item", href="/indeks", title="Indeks"))
        return page("layout").substitute(
            title=esc(title), head=head, gtag_extra=gtag_extra, jsonld=jsonld, body_class=body_class,
            header_date=header_date, nav_items="".join(nav), ticker=ticker, main=main, year=year,
        )

    def _ticker(self, items: Iterable[Article]) -> str:
        lis = "".join(frag("ticker_item", href=a.path, title=esc(a.headline)) for a in items)
        return frag("ticker", items=lis) if lis else ""

    def _popular_html(self, items: Iterable[Article]) -> str:
        lis = "".join(frag("popular_item", href=a.path, title=esc(a.headline)) for a in items)
        return frag("popular", items=lis) if lis else ""

    def _site_popular(self) -> list[Article]:
        rng = random.Random(f"warta-mirror:{self.seed}:popular")
        pool = self._base[: min(len(self._base), 200)]
        return rng.sample(pool, min(5, len(pool)))

    # rendering: article -------------------------------------------------
    def _older_same_section(self, a: Article, rng: random.Random, k: int) -> list[Article]:
        sec = self._base_by_section.get(a.section, [])
        start = self._section_pos[a.id] + 1 if a.edition_added == 0 else 0
        pool = sec[start:start + 30]
        return rng.sample(pool, min(k, len(pool)))

    def _older_any(self, a: Article, rng: random.Random, k: int) -> list[Article]:
        start = a.index + 1 if a.edition_added == 0 else 0
        pool = self._base[start:start + 60]
        return rng.sample(pool, min(k, len(pool)))

    def _random_base(self, a: Article, rng: random.Random, k: int, pool_size: int | None = None) -> list[Article]:
        pool = self._base if pool_size is None else self._base[:pool_size]
        out: list[Article] = []
        seen = {a.id}
        tries = 0
        while len(out) < k and tries < 4 * k + 8 and len(pool) > 1:
            b = pool[rng.randrange(len(pool))]
            tries += 1
            if b.id not in seen:
                seen.add(b.id)
                out.append(b)
        return out

    def _jsonld(self, a: Article) -> str:
        sec_title = W.SECTION_TITLES[a.section]
        article: dict[str, Any] = {
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": a.canonical_url},
            "headline": a.headline,
        }
        if a.photo is not None:
            article["image"] = {"@type": "ImageObject", "url": a.lead_image_url, "width": 1200, "height": 675}
        article["datePublished"] = iso(a.published)
        article["dateModified"] = iso(a.last_modified)
        article["author"] = [
            {"@type": "Person", "name": n, "url": f"{CANONICAL_ORIGIN}/penulis/{slugify(n)}"} for n in a.authors
        ]
        article["publisher"] = {"@id": f"{CANONICAL_ORIGIN}/#organization"}
        article["articleSection"] = sec_title
        article["keywords"] = ", ".join(a.tags)
        article["inLanguage"] = "id-ID"
        graph = {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "Organization",
                    "@id": f"{CANONICAL_ORIGIN}/#organization",
                    "name": "Monitor Indonesia",
                    "url": f"{CANONICAL_ORIGIN}/",
                    "logo": {"@type": "ImageObject", "url": f"{CANONICAL_ORIGIN}/assets/img/logo.png"},
                },
                {
                    "@type": "BreadcrumbList",
                    "itemListElement": [
                        {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{CANONICAL_ORIGIN}/"},
                        {"@type": "ListItem", "position": 2, "name": sec_title,
                         "item": f"{CANONICAL_ORIGIN}/{a.section}"},
                    ],
                },
                article,
            ],
        }
        text = json.dumps(graph, ensure_ascii=False, indent=2).replace("</", "<\\/")
        return frag("jsonld", json=text)

    def render_article(self, a: Article) -> str:
        """The full HTML of article ``a`` (pure function of the article)."""
        rng = random.Random(a.seed ^ 0x5EED5EED)
        sec_title = W.SECTION_TITLES[a.section]
        lines, _, _ = a.time_lines()
        paras = a.paragraphs()
        n_base = a.n_paragraphs

        # head ----------------------------------------------------------
        og_image = f'<meta property="og:image" content="{attr(a.lead_image_url)}">\n' if a.photo else ""
        meta: list[str] = []
        if a.layout != "nojsonld":
            meta.append(f'<meta property="article:published_time" content="{iso(a.published)}">\n')
            if a.updated:
                meta.append(f'<meta property="article:modified_time" content="{iso(a.updated)}">\n')
        meta.append(f'<meta property="article:section" content="{sec_title}">\n')
        meta.extend(f'<meta property="article:tag" content="{attr(t)}">\n' for t in a.tags[:2])
        description = a.description()
        head = frag(
            "article_head", description=attr(description), keywords=attr(", ".join(a.tags)),
            author=attr(", ".join(a.authors)), canonical=attr(a.canonical_url),
            amp=attr(f"{CANONICAL_ORIGIN}/amp{a.path}"), og_title=attr(a.headline), og_image=og_image,
            article_meta="".join(meta),
        )
        jsonld = self._jsonld(a) if a.layout != "nojsonld" else ""
        gtag_extra = f', {{"content_id": "{a.id}", "content_section": "{a.section}"}}'

        # header info ---------------------------------------------------
        if len(a.authors) > 1 and rng.random() < 0.5:
            authors = frag("author", pair="".join(
                frag("author_pair", slug=slugify(n), name=attr(n)) for n in a.authors))
        else:
            authors = "".join(
                frag("author", pair=frag("author_pair", slug=slugify(n), name=attr(n))) for n in a.authors)
        time_html = "<br>\n            ".join(esc(x) for x in lines)
        share_url = quote(f"{CANONICAL_ORIGIN}/{a.section}/read/{a.published:%Y/%m}/{a.id}", safe="")
        share_text = quote(" ".join(a.headline.split()[:2]), safe="")

        # photo ---------------------------------------------------------
        photo = ""
        if a.photo is not None:
            if a.photo[0] == "none":
                photo = frag("photo_nocaption", src=attr(a.lead_image_url), alt=attr(a.headline))
            else:
                printed = a.caption_printed or ""
                photo = frag("photo", src=attr(a.lead_image_url), alt=attr(printed), caption=esc(printed))

        # content -------------------------------------------------------
        box_after = 2 if n_base >= 4 and rng.random() < 0.4 else -1
        ads_after = [i for i in (3, 6) if i < n_base and rng.random() < 0.6]
        baca_para_after = rng.randrange(1, n_base) if rng.random() < 0.35 else -1
        tweet_after = rng.randrange(1, n_base) if rng.random() < 0.12 else -1
        blocks: list[str] = []
        ad_n = 0
        for i, (_, html) in enumerate(paras):
            blocks.append(frag("paragraph", html=html))
            after = i + 1
            if after > n_base:
                continue
            if after == box_after:
                items = self._older_any(a, rng, 2)
                if items:
                    blocks.append(frag("baca_juga_box", items="".join(
                        frag("baca_juga_item", href=b.path, title=esc(b.headline)) for b in items)))
            if after in ads_after and after < len(paras):
                ad_n += 1
                blocks.append(frag("ads_inline", n=ad_n))
            if after == tweet_after and after < len(paras):
                name, handle = rng.choice(W.TWEET_ACCOUNTS)
                status_id = 1731000000000000000 + rng.randrange(10**15)
                tweet_text = f"{_cap(rng.choice(W.CLAUSES))}. #{a.section.capitalize()}"
                blocks.append(frag(
                    "tweet", text=esc(tweet_text), name=esc(name), handle=handle, status_id=status_id,
                    date=f"{W.MONTHS[a.published.month - 1]} {a.published.day}, {a.published.year}",
                ))
            if after == baca_para_after and after < len(paras):
                items = self._older_same_section(a, rng, 1) or self._older_any(a, rng, 1)
                if items:
                    blocks.append(frag("baca_juga_paragraph", href=items[0].path, title=esc(items[0].headline)))
        tags = frag("tags", items="".join(frag("tag_item", slug=slugify(t), name=esc(t)) for t in a.tags))

        related_items = self._older_same_section(a, rng, 3)
        related = frag("related", items="".join(
            frag("related_item", href=b.path, title=esc(b.headline), date=fmt_day(b.published))
            for b in related_items)) if related_items else ""
        n_comments = rng.randint(0, 3)
        comments = frag("comments", count=n_comments, items="".join(
            frag("comment_item", name=esc(rng.choice(W.COMMENT_NAMES)), text=esc(rng.choice(W.COMMENTS)))
            for _ in range(n_comments)))
        popular = self._popular_html(self._random_base(a, rng, 3))
        ticker = self._ticker(self._random_base(a, rng, 2, pool_size=50))

        main = page("article").substitute(
            section=a.section, section_title=sec_title, id=a.id, headline=esc(a.headline), authors=authors,
            time=time_html, share_url=share_url, share_text=share_text, photo=photo, content="".join(blocks),
            tags=tags, related=related, comments=comments, popular=popular,
        )
        return self._layout(
            title=f"{a.headline} - Monitor Indonesia", head=head, gtag_extra=gtag_extra, jsonld=jsonld,
            body_class="page-read", header_date=fmt_header(a.published.date()), active=a.section,
            ticker=ticker, main=main, year=a.published.year,
        )

    # rendering: listings ----------------------------------------------
    def _render_listing(self, v: _View, spec: tuple[str, str], page_no: int) -> Response:
        kind, key = spec
        active: str | None = None
        crumbs: list[tuple[str, str]] = []
        if kind == "home":
            items_all = v.articles
            base_href, sep = "/", "?"
            heading, title = "Berita Terkini", "Monitor Indonesia - Berita Terkini Hari Ini"
        elif kind == "indeks":
            items_all = v.articles
            base_href, sep = "/indeks", "?"
            heading, title, active = "Indeks Berita", "Indeks Berita - Monitor Indonesia", "indeks"
            crumbs = [("/indeks", "Indeks")]
        elif kind == "date":
            d = date.fromisoformat(key)
            items_all = v.by_date(d)
            base_href, sep = f"/indeks?date={key}", "&"
            day = fmt_header(d)
            heading, title, active = f"Indeks Berita {day}", f"Indeks Berita {day} - Monitor Indonesia", "indeks"
            crumbs = [("/indeks", "Indeks"), (base_href, day)]
        elif kind == "section":
            items_all = v.index("section", key) or []
            base_href, sep = f"/{key}", "?"
            heading = W.SECTION_TITLES[key]
            title, active = f"Berita {heading} Terkini - Monitor Indonesia", key
            crumbs = [(base_href, heading)]
        else:  # tag / penulis
            found = v.index(kind, key)
            if not found:
                return self._not_found(v)
            items_all = found
            base_href, sep = f"/{kind}/{key}", "?"
            if kind == "tag":
                name = next(t for t in found[0].tags if slugify(t) == key)
                heading = f"Topik: {name}"
            else:
                name = next(n for n in found[0].authors if slugify(n) == key)
                heading = f"Penulis: {name}"
            title = f"{heading} - Monitor Indonesia"
            crumbs = [(base_href, name)]
        if kind == "home":
            if page_no != 1:
                return self._not_found(v)
            pages = 1
        else:
            pages = max(1, -(-len(items_all) // PAGE_SIZE))
            if page_no > pages:
                return self._not_found(v)
        items = items_all[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]

        def href(p: int) -> str:
            return base_href if p == 1 else f"{base_href}{sep}page={p}"

        lis: list[str] = []
        for a in items:
            img = a.lead_image_url or f"{CANONICAL_ORIGIN}/assets/img/no-image.jpg"
            lis.append(frag(
                "latest_item", href=a.path, img=attr(img), alt=attr(a.headline), section=a.section,
                section_title=W.SECTION_TITLES[a.section], headline=esc(a.headline), iso=iso(a.published),
                date_text=fmt_listing(a.published),
            ))
        if not lis:
            lis.append(frag("latest_empty"))
        if kind == "home":
            lis.append(frag("latest_more", href="/indeks"))
            pagination = ""
        elif pages > 1:
            links = []
            if page_no > 1:
                links.append(frag("pagination_prev", href=attr(href(page_no - 1))))
            links.append(frag("pagination_current", page=page_no, pages=pages))
            if page_no < pages:
                links.append(frag("pagination_next", href=attr(href(page_no + 1))))
            pagination = frag("pagination", links="".join(links))
        else:
            pagination = ""
        breadcrumb = "".join(frag("breadcrumb_item", href=attr(h), title=esc(t)) for h, t in crumbs)
        main = page("listing").substitute(
            breadcrumb=breadcrumb, heading=esc(heading), items="".join(lis), pagination=pagination,
            popular=self._popular_html(self._site_popular()),
        )
        canonical = CANONICAL_ORIGIN + href(page_no)
        if kind == "home":
            canonical = CANONICAL_ORIGIN + "/"
        head = frag(
            "listing_head", description=attr(f"{heading} - berita terbaru Monitor Indonesia"),
            canonical=attr(canonical), og_title=attr(title),
        )
        body = self._layout(
            title=title, head=head, gtag_extra="", jsonld="", body_class=f"page-{kind}",
            header_date=fmt_header(self.base_date), active=active,
            ticker=self._ticker(v.articles[:2]), main=main, year=self.base_date.year,
        )
        lm = max((a.last_modified for a in items), default=None)
        return Response(200, body.encode("utf-8"), last_modified=lm)


def _parse_query(query: str) -> dict[str, str]:
    """Single-valued query parameters; repeated or blank-named ones are an error."""
    if not query:
        return {}
    parsed = parse_qs(query, keep_blank_values=True, strict_parsing=False)
    out: dict[str, str] = {}
    for k, vals in parsed.items():
        if len(vals) != 1:
            raise ValueError(k)
        out[k] = vals[0]
    return out

