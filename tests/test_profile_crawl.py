"""Every generated profile spider crawls our own fixture pages served on 127.0.0.1.

One case per profile in ``crawler.parsers.sites.PROFILES`` and discovery source
(``index`` / ``sitemap`` / ``rss``) for which the site has a *listing fixture* --
the default source must have one, so a new profile is covered as soon as it exists:

* ``index``: ``fixtures/<site>/NAME.html`` + ``NAME.json`` with ``{"url", "listing"}``
  (as ``tests/test_fixtures.py`` reads them), served as the first page of the
  profile's index (or today's day index);
* ``rss``: ``NAME.xml`` + ``NAME.json`` with ``{"url", "listing"}`` (the feed's items);
* ``sitemap``: ``sitemap/NAME.xml`` + ``NAME.json`` with ``{"url", "sitemap": read_sitemap(...)}``
  (in a sub-folder: an ``.xml`` fixture beside the pages is a feed), the one whose ``url`` is
  the profile's sitemap served there, the others at their URL.

The listing must link (absolute URLs on the real domain, as the sites do) to one of
the site's article fixtures: that page is served as it is; every other article it
lists is served as a copy of it with that item's URL and headline.  With
``-a base_url`` on the loopback server the spider must rebase those links and never
leave it.  Each case runs three crawls of the same spider on one archive:

1. a full run: the article is stored with the headline and publication time of its
   fixture JSON, every listed article is stored, no request leaves the server, no
   URL is fetched twice;
2. ``mode=incremental`` over the unchanged server: no article page is fetched again
   except the conditional revisits, answered by a 304 (sites served with ETag /
   Last-Modified, every other site) or the same body (the rest): no new page row,
   no new revision; an index walk stops after its first page;
3. one new article on the listing (feed, sitemap): ``mode=incremental`` fetches
   exactly that one.

Two scenarios test what cron users rely on: a run that dies after storing part of
the new articles does not make the next incremental run skip the rest (and
``WARTA_INCREMENTAL_STOP_PAGES``, ``CLOSESPIDER_ITEMCOUNT``); sitemap ``lastmod``.

All crawls run in *one* subprocess (this file run as a script: Scrapy needs a fresh
reactor; one process is ~1.5 s of start-up instead of one per crawl), with the
server in a thread of that process; it reports what the server saw and what each
run stored as JSON, and the tests below assert on that.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import traceback
from collections import Counter
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
if str(ROOT) not in sys.path:  # run as a script by the module fixture below
    sys.path.insert(0, str(ROOT))

from crawler.parsers.sites import PROFILES  # noqa: E402

pytestmark = pytest.mark.e2e


# ---------------------------------------------------------------------------------------
# fixtures of a site
# ---------------------------------------------------------------------------------------

def default_source(name: str) -> str:
    d = PROFILES[name].discovery
    return "index" if (d.index or d.dated_index) else ("sitemap" if d.sitemaps else "rss")


def sources(name: str) -> list[str]:
    d = PROFILES[name].discovery
    return [s for s, has in (("index", d.index or d.dated_index), ("sitemap", d.sitemaps), ("rss", d.rss)) if has]


def load_fixtures(name: str) -> list[tuple[Path, dict]]:
    """``(page path, expected JSON)`` of every fixture of a site (``.html`` or ``.xml``)."""
    out = []
    site = FIXTURES / name
    for json_path in sorted(site.glob("*.json")) + sorted(site.glob("sitemap/*.json")):
        for ext in (".html", ".xml"):
            page = json_path.with_suffix(ext)
            if page.exists():
                out.append((page, json.loads(json_path.read_text(encoding="utf-8"))))
                break
    return out


def listing_fixtures(name: str, source: str) -> list[tuple[Path, dict]]:
    """The site's listing fixtures for ``source`` (see the module docstring)."""
    found = []
    for page, data in load_fixtures(name):
        if source == "sitemap" and "sitemap" in data:
            found.append((page, data))
        elif source == "index" and "listing" in data and page.suffix == ".html":
            found.append((page, data))
        elif source == "rss" and "listing" in data and page.suffix == ".xml":
            found.append((page, data))
    return found


def cases() -> list[str]:
    out = []
    for name in PROFILES:
        for source in sources(name):
            if source == default_source(name) or listing_fixtures(name, source):
                out.append(f"{name}:{source}")
    return out


CASES = cases()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---------------------------------------------------------------------------------------
# the site served on 127.0.0.1 (runs in the driver process)
# ---------------------------------------------------------------------------------------

ROBOTS = b"User-agent: *\nAllow: /\n"
LAST_MODIFIED = "Wed, 01 Nov 2023 00:00:00 GMT"


class FixtureSite:
    """What the server answers: ``docs`` (path?query -> (bytes, content type)),
    ``articles`` (path -> html bytes; any query on such a path gets the page too, as
    ``?page=all`` does on kompas), ETag / Last-Modified on article pages when
    ``validators``; every request is appended to ``hits``."""

    def __init__(self, validators: bool) -> None:
        self.docs: dict[str, tuple[bytes, str]] = {}
        self.articles: dict[str, bytes] = {}
        self.validators = validators
        self.hits: list[dict] = []
        self.lock = threading.Lock()

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        conditional = bool(headers.get("If-None-Match") or headers.get("If-Modified-Since"))
        if path == "/robots.txt":
            status, out, body = 200, {"Content-Type": "text/plain"}, ROBOTS
        elif path in self.docs:
            body, ctype = self.docs[path]
            status, out = 200, {"Content-Type": ctype}
        elif path.split("?", 1)[0] in self.articles:
            body = self.articles[path.split("?", 1)[0]]
            status, out = 200, {"Content-Type": "text/html; charset=utf-8"}
            if self.validators:
                etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
                out.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
                if headers.get("If-None-Match") == etag:
                    status, body = 304, b""
        else:
            status, out = 404, {"Content-Type": "text/html; charset=utf-8"}
            body = b"<html><body><h1>404</h1><p>Halaman tidak ditemukan</p></body></html>"
        with self.lock:
            self.hits.append({"path": path, "status": status, "conditional": conditional})
        return status, out, body


class FixtureServer:
    def __init__(self) -> None:
        self.site = FixtureSite(validators=False)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                status, headers, body = outer.site.answer(self.path, self.headers)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- building pages ------------------------------------------------------------------------

def copy_article(html: bytes, ref: dict, url: str, headline: str | None) -> bytes:
    """The reference article page as another article: its URL (canonical, og:url) and
    headline replaced."""
    import html as htmllib

    text = html.decode("utf-8").replace(ref["url"], url)
    if headline:
        text = text.replace(ref["headline"], headline)
        if htmllib.escape(ref["headline"]) != ref["headline"]:
            text = text.replace(htmllib.escape(ref["headline"]), htmllib.escape(headline))
    return text.encode("utf-8")


def other_id_url(profile, url: str, taken: set[str]) -> str:
    """``url`` with another article id of the same shape (the profile's ``id`` group)."""
    import re

    parts = urlsplit(url)
    m = profile.article_re.match(parts.path)
    assert m and m.group("id"), f"{url} does not match the {profile.name} article path"
    old = m.group("id")
    tries = []
    digits = re.search(r"(\d+)$", old)
    if digits:
        n = digits.group(1)
        tries += [old[: digits.start()] + str(int(n) + k).zfill(len(n)) for k in (1, 2, 3, 7)]
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    if old[-1].lower() in alphabet:
        i = alphabet.index(old[-1].lower())
        tries += [old[:-1] + alphabet[(i + k) % len(alphabet)] for k in (1, 2, 3, 9)]
    tries += [old + "-2", old + "2"]
    for new_id in tries:
        path = parts.path[: m.start("id")] + new_id + parts.path[m.end("id"):]
        candidate = parts._replace(path=path).geturl()
        if profile.article_re.match(path) and path not in taken:
            return candidate
    raise AssertionError(f"cannot derive another article URL from {url}")


def listing_with_items(html: bytes, profile, page_url: str, items: list[dict],
                       next_url: str | None | bool = False) -> bytes:
    """The listing page ``html`` showing ``items`` (``{"url", "headline"}``) instead of
    its own, each a copy of its first item (link and text changed); ``next_url``: the
    next-page link's new target (``None``: no next page; ``False``: left alone)."""
    import lxml.html

    from crawler.parsers.base import parse_html, select

    root = parse_html(html.decode("utf-8"))
    found = select(root, profile.listing.item) if profile.listing.item else []
    assert found, f"{profile.name}: the listing fixture has no {profile.listing.item!r} item"
    template = copy.deepcopy(found[0])
    anchor = found[0]
    for it in items:
        clone = copy.deepcopy(template)
        links = select(clone, profile.listing.link) if profile.listing.link else clone.xpath(".//a[@href]")
        link = links[0]
        link.set("href", it["url"])
        for child in list(link):
            link.remove(child)
        link.text = it["headline"]
        anchor.addprevious(clone)
    for old in found:
        old.getparent().remove(old)
    if next_url is not False:
        nexts = (select(root, profile.listing.next) if profile.listing.next else []) or root.xpath(
            '//a[@href and contains(concat(" ", normalize-space(@rel), " "), " next ")]')
        for a in nexts:
            if next_url is None:
                a.getparent().remove(a)
            else:
                a.set("href", next_url)
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="utf-8")


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def xml_with_new_entry(data: bytes, url: str, headline: str, when: datetime) -> bytes:
    """A feed (``item``) or url set (``url``) with a copy of its first entry, for
    ``url``, put first."""
    from lxml import etree

    root = etree.fromstring(data)
    entries = [el for el in root.iter() if _local(el.tag) in ("item", "entry")] or [
        el for el in root if _local(el.tag) == "url"]  # not the <url> of an RSS <image>
    entry = entries[0]
    clone = copy.deepcopy(entry)
    for el in clone.iter():
        name = _local(el.tag)
        if name in ("link", "guid", "loc"):
            el.text = url
        elif name == "title":
            el.text = headline
        elif name == "pubDate":
            el.text = when.strftime("%a, %d %b %Y %H:%M:%S %z")
        elif name in ("lastmod", "publication_date", "published", "updated"):
            el.text = when.isoformat(timespec="seconds")
    entry.addprevious(clone)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def xml_set_lastmod(data: bytes, loc_path: str, when: datetime) -> bytes:
    """A sitemap index / url set with the ``lastmod`` of the entry whose ``loc`` has
    this path set to ``when``."""
    from lxml import etree

    root = etree.fromstring(data)
    for el in root:
        loc = next((c for c in el if _local(c.tag) == "loc"), None)
        if loc is not None and path_of(loc.text.strip()) == loc_path:
            lastmod = next((c for c in el if _local(c.tag) == "lastmod"), None)
            if lastmod is None:
                lastmod = etree.SubElement(el, loc.tag.replace("loc", "lastmod"))
            lastmod.text = when.isoformat(timespec="seconds")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


class SiteCase:
    """A profile's fixture site: the listing (feed / sitemaps) and its articles."""

    def __init__(self, name: str, source: str, base: str, validators: bool) -> None:
        from crawler.spiders.profiles import SPIDERS

        self.name, self.source, self.base = name, source, base
        self.profile = PROFILES[name]
        args = {"base_url": base} if source == default_source(name) else {"base_url": base, "source": source}
        self.args = args
        self.spider = SPIDERS[name](**args)
        self.site = FixtureSite(validators)
        listings = listing_fixtures(name, source)
        assert listings, (f"{name}: no {source} listing fixture in fixtures/{name}/ (see "
                          f"tests/test_profile_crawl.py: NAME.html/.xml + NAME.json)")
        start = self.spider.start_urls_for()
        self.start_path = path_of(start[0][0])
        articles: list[dict] = []  # {"url", "headline"} in listing order
        self.sitemap_paths: dict[str, str] = {}  # served path -> fixture file
        if source == "sitemap":
            tops = [(p, d) for p, d in listings if path_of(self.spider.rebase(d["url"])) == self.start_path]
            assert tops, f"{name}: no sitemap fixture for {self.profile.discovery.sitemaps[0]}"
            for page, data in listings:
                served = self.start_path if (page, data) == tops[0] else path_of(self.spider.rebase(data["url"]))
                self.site.docs[served] = (page.read_bytes(), "application/xml")
                self.sitemap_paths[served] = page.name
                articles += [{"url": u["url"], "headline": None} for u in data["sitemap"]["urls"]]
        else:
            page, data = listings[0]
            ctype = "text/html; charset=utf-8" if source == "index" else "application/rss+xml; charset=utf-8"
            self.site.docs[self.start_path] = (page.read_bytes(), ctype)
            self.listing_page, self.listing_json = page, data
            articles = [{"url": it["url"], "headline": it["headline"]} for it in data["listing"]["items"]]
        self.listed = [a for a in articles if self.spider.is_article(a["url"])]
        assert self.listed, f"{name}: the {source} fixture lists no article of the profile"
        by_path = {}
        for page, data in load_fixtures(name):
            if "listing" not in data and "sitemap" not in data and data.get("headline"):
                by_path[urlsplit(data["url"]).path] = (page, data)
        linked = [by_path[urlsplit(a["url"]).path] for a in self.listed if urlsplit(a["url"]).path in by_path]
        assert linked, f"{name}: the {source} fixture must link to one of the site's article fixtures"
        self.ref_page, self.ref = linked[0]
        ref_html = self.ref_page.read_bytes()
        paths = [urlsplit(a["url"]).path for a in self.listed]
        assert len(set(paths)) == len(paths), f"{name}: two listed articles share a path: {paths}"
        for a in self.listed:
            path = urlsplit(a["url"]).path
            if path in by_path:
                self.site.articles[path] = by_path[path][0].read_bytes()
            else:
                self.site.articles[path] = copy_article(ref_html, self.ref, a["url"], a["headline"])
        self.new_url = other_id_url(self.profile, self.ref["url"], set(paths))
        self.new_headline = "Terkini: " + self.ref["headline"]

    def add_new_article(self, when: datetime) -> None:
        """Publish one new article (a copy of the reference with another id) at the top
        of the listing / feed / url set."""
        new_path = urlsplit(self.new_url).path
        self.site.articles[new_path] = copy_article(self.ref_page.read_bytes(), self.ref, self.new_url,
                                                    self.new_headline)
        if self.source == "index":
            body, ctype = self.site.docs[self.start_path]
            items = [{"url": self.new_url, "headline": self.new_headline}] + [
                {"url": it["url"], "headline": it["headline"]} for it in self.listing_json["listing"]["items"]]
            self.site.docs[self.start_path] = (listing_with_items(body, self.profile, self.listing_json["url"], items),
                                               ctype)
        elif self.source == "rss":
            body, ctype = self.site.docs[self.start_path]
            self.site.docs[self.start_path] = (xml_with_new_entry(body, self.new_url, self.new_headline, when), ctype)
        else:  # the url set that lists the reference gets the entry, its index a new lastmod
            ref_path = urlsplit(self.ref["url"]).path
            for served, (body, ctype) in list(self.site.docs.items()):
                if any(path_of(u) == ref_path or urlsplit(u).path == ref_path for u in _locs(body)):
                    self.site.docs[served] = (xml_with_new_entry(body, self.new_url, self.new_headline, when), ctype)
                    for other, (obody, octype) in list(self.site.docs.items()):
                        if other != served:
                            self.site.docs[other] = (xml_set_lastmod(obody, served, when), octype)


def _locs(data: bytes) -> list[str]:
    from lxml import etree

    root = etree.fromstring(data)
    return [el.text.strip() for el in root.iter() if _local(el.tag) == "loc" and el.text]


# ---------------------------------------------------------------------------------------
# the driver: every crawl in one process, one reactor
# ---------------------------------------------------------------------------------------

class Harness:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.server = FixtureServer()
        self.base = self.server.url

    def db(self, label: str) -> str:
        return str(self.tmp / f"{label.replace(':', '-')}.sqlite")

    async def crawl(self, spider: str, db: str, args: dict, settings: dict | None = None,
                    label: str = "") -> dict:
        import logging

        from scrapy import signals
        from scrapy.crawler import CrawlerRunner
        from scrapy.utils.project import get_project_settings

        from crawler.spiders.profiles import SPIDERS

        logging.getLogger("warta.test").info("=== %s %s %s", label, spider, args)
        conf = get_project_settings()
        conf.setdict({"WARTA_DATABASE_URL": f"sqlite:///{db}", "RETRY_ENABLED": False, "LOG_LEVEL": "INFO",
                      "WARTA_PROGRESS_INTERVAL": 0, "WARTA_REVISIT_MIN_INTERVAL": 0, "LOGSTATS_INTERVAL": 0,
                      **(settings or {})}, priority="cmdline")
        runner = CrawlerRunner(conf)
        crawler = runner.create_crawler(SPIDERS[spider])
        requests: list[dict] = []

        def scheduled(request, spider):
            requests.append({"url": request.url, "kind": request.meta.get("kind"),
                             "revisit": "warta_revisit" in request.meta,
                             "conditional": bool(request.headers.get("If-None-Match")
                                                 or request.headers.get("If-Modified-Since"))})

        crawler.signals.connect(scheduled, signal=signals.request_scheduled)
        site = self.server.site
        with site.lock:
            site.hits.clear()
        await runner.crawl(crawler, **args)
        with site.lock:
            hits = list(site.hits)
        return {"args": args, "exit_code": crawler.stats.get_value("warta/exit_code"),
                "requests": requests, "hits": hits, **snapshot(db)}


def snapshot(db: str) -> dict:
    """What the archive holds after a run."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        run = dict(con.execute("select * from crawl_runs order by id desc limit 1").fetchone())
        run["stats"] = json.loads(run["stats"]) if run.get("stats") else None
        run["args"] = json.loads(run["args"]) if run.get("args") else None
        articles = [dict(r) for r in con.execute(
            "select id, site, url, canonical_url, headline, published_at, revision, last_seen_at from articles order by id")]
        pages = [dict(r) for r in con.execute("select id, url, kind, status, article_id from pages order by id")]
        revisions = con.execute("select count(*) from article_revisions").fetchone()[0]
    finally:
        con.close()
    for key in ("started_at", "finished_at"):
        run[key] = str(run[key]) if run.get(key) is not None else None
    return {"run": run, "articles": articles, "pages": pages, "revisions": revisions}


async def run_case(h: Harness, case: str) -> dict:
    name, source = case.split(":")
    validators = CASES.index(case) % 2 == 0
    site = SiteCase(name, source, h.base, validators)
    h.server.site = site.site
    db = h.db(case)
    out = {"base": h.base, "validators": validators, "reference": site.ref, "new_url": site.new_url,
           "new_headline": site.new_headline, "listed": [a["url"] for a in site.listed],
           "start_path": site.start_path, "source": source, "phases": []}
    out["phases"].append(await h.crawl(name, db, site.args, label=f"{case} full"))
    incremental = {**site.args, "mode": "incremental"}
    out["phases"].append(await h.crawl(name, db, incremental, label=f"{case} incremental"))
    site.add_new_article(datetime.now(timezone.utc).replace(microsecond=0))
    out["phases"].append(await h.crawl(name, db, incremental, label=f"{case} new article"))
    return out


KILLED_SITE = "antaranews"


async def run_killed(h: Harness) -> dict:
    """Four new articles over two index pages; a run dies after storing page 1's three
    (any subset is possible); the next incremental run must still find the fourth."""
    site = SiteCase(KILLED_SITE, "index", h.base, validators=True)
    h.server.site = site.site
    profile, db = site.profile, h.db("killed")
    out: dict = {"phases": []}
    out["phases"].append(await h.crawl(KILLED_SITE, db, site.args, label="killed: full"))
    # the site publishes four articles: page 1 = n1..n3, page 2 = n4 + the old page 1
    ref_html = site.ref_page.read_bytes()
    old = [{"url": it["url"], "headline": it["headline"]} for it in site.listing_json["listing"]["items"]]
    taken = {urlsplit(a["url"]).path for a in old}
    new = []
    for k in range(4):
        url = other_id_url(profile, site.ref["url"] if not new else new[-1]["url"], taken)
        taken.add(urlsplit(url).path)
        new.append({"url": url, "headline": f"Berita baru nomor {k + 1} dari Maluku"})
        site.site.articles[urlsplit(url).path] = copy_article(ref_html, site.ref, url, new[-1]["headline"])
    listing = site.site.docs[site.start_path][0]
    page2_url = profile.discovery.index[0].format(page=2)
    site.site.docs[site.start_path] = (listing_with_items(listing, profile, "", new[:3], page2_url),
                                       "text/html; charset=utf-8")
    site.site.docs[path_of(page2_url)] = (listing_with_items(listing, profile, "", new[3:] + old, None),
                                          "text/html; charset=utf-8")
    out["new"] = [a["url"] for a in new]
    # a run that stores page 1's three articles and then dies: run it with a budget of
    # three articles, then make its crawl_runs row look like a kill -9 left it
    incremental = {**site.args, "mode": "incremental"}
    out["phases"].append(await h.crawl(KILLED_SITE, db, {**incremental, "max_articles": "3"}, label="killed: dies"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    con = sqlite3.connect(db)
    with con:
        con.execute("update crawl_runs set status='running', finished_at=null, stats=null, pid=? "
                    "where id=(select max(id) from crawl_runs)", (int(dead.stdout),))
    con.close()
    out["phases"].append(await h.crawl(KILLED_SITE, db, incremental, label="killed: next incremental"))
    out["phases"].append(await h.crawl(KILLED_SITE, db, incremental, {"WARTA_INCREMENTAL_STOP_PAGES": 2},
                                       label="killed: stop pages 2"))
    out["phases"].append(await h.crawl(KILLED_SITE, db, incremental, {"CLOSESPIDER_ITEMCOUNT": 1},
                                       label="killed: closespider"))
    out["phases"].append(await h.crawl(KILLED_SITE, db, incremental, label="killed: after closespider"))
    return out


SITEMAP_SITE = "kumparan"


async def run_sitemap(h: Harness) -> dict:
    """lastmod: child sitemaps not changed since the last complete incremental run are
    not read; stored entries are refetched (conditionally) only when their lastmod is
    newer than our last fetch; revisits off (``WARTA_REVISIT_DAYS=0``)."""
    site = SiteCase(SITEMAP_SITE, "sitemap", h.base, validators=True)
    h.server.site = site.site
    db = h.db("sitemap")
    quiet = {"WARTA_REVISIT_DAYS": 0}
    incremental = {**site.args, "mode": "incremental"}
    out: dict = {"phases": [], "sitemaps": sorted(site.sitemap_paths), "start_path": site.start_path}
    out["phases"].append(await h.crawl(SITEMAP_SITE, db, site.args, quiet, label="sitemap: full"))
    out["phases"].append(await h.crawl(SITEMAP_SITE, db, incremental, quiet, label="sitemap: incremental"))
    out["phases"].append(await h.crawl(SITEMAP_SITE, db, incremental, quiet, label="sitemap: unchanged"))
    # the reference article is edited; another entry of the same child sitemap gets a new
    # lastmod for nothing; the index says that child changed, the other child did not
    when = datetime.now(timezone.utc).replace(microsecond=0)
    ref_path = urlsplit(site.ref["url"]).path
    other = next(urlsplit(u).path for u in (a["url"] for a in site.listed) if urlsplit(u).path != ref_path)
    html = site.site.articles[ref_path].decode("utf-8")
    site.site.articles[ref_path] = html.replace("</p>", "</p>\n<p>Pembaruan: Kemenparekraf juga menargetkan "
                                                "pergerakan wisatawan nusantara 1,4 miliar perjalanan.</p>", 1).encode()
    changed = []
    for served, (body, ctype) in list(site.site.docs.items()):
        if ref_path in [path_of(u) for u in _locs(body)]:
            for p in (ref_path, other):
                body = xml_set_lastmod(body, p, when)
            site.site.docs[served] = (body, ctype)
            changed.append(served)
    index_body, index_type = site.site.docs[site.start_path]
    for served in changed:
        index_body = xml_set_lastmod(index_body, served, when)
    site.site.docs[site.start_path] = (index_body, index_type)
    out["changed"] = changed
    out["edited"], out["touched"] = ref_path, other
    out["phases"].append(await h.crawl(SITEMAP_SITE, db, incremental, quiet, label="sitemap: lastmod"))
    return out


SCENARIOS = {"killed": run_killed, "sitemap": run_sitemap}


def drive(out_path: Path, tmp: Path, wanted: list[str]) -> None:
    """Run the ``wanted`` scenarios (``case:<name>:<source>``, ``killed``, ``sitemap``)."""
    import logging

    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import defer, reactor
    from twisted.python.failure import Failure

    logging.basicConfig(filename=str(tmp / "crawl.log"), level=logging.INFO,
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    results: dict[str, dict] = {}

    async def main() -> None:
        h = Harness(tmp)
        try:
            for scenario in wanted:
                try:
                    if scenario.startswith("case:"):
                        results[scenario] = await run_case(h, scenario[len("case:"):])
                    else:
                        results[scenario] = await SCENARIOS[scenario](h)
                except Exception:
                    results[scenario] = {"error": traceback.format_exc()}
                out_path.write_text(json.dumps(results, default=str), encoding="utf-8")
        finally:
            h.server.close()

    def stop(outcome):
        if isinstance(outcome, Failure):
            results["*"] = {"error": outcome.getTraceback()}
        reactor.stop()

    reactor.callWhenRunning(lambda: defer.ensureDeferred(main()).addBoth(stop))
    reactor.run()
    out_path.write_text(json.dumps(results, default=str), encoding="utf-8")


# ---------------------------------------------------------------------------------------
# pytest side
# ---------------------------------------------------------------------------------------

def _scenario_of(item) -> str | None:
    if Path(str(item.path)) != Path(__file__):
        return None
    case = getattr(item, "callspec", None) and item.callspec.params.get("case")
    if case:
        return f"case:{case}"
    return {"test_a_killed_run_does_not_make_the_next_incremental_run_skip_anything": "killed",
            "test_sitemap_lastmod_decides_what_an_incremental_run_fetches_again": "sitemap"}.get(item.originalname)


@pytest.fixture(scope="module")
def crawled(request, tmp_path_factory):
    """All the crawls the selected tests need, in one subprocess."""
    wanted = []
    for item in request.session.items:
        scenario = _scenario_of(item)
        if scenario and scenario not in wanted:
            wanted.append(scenario)
    tmp = tmp_path_factory.mktemp("profile-crawl")
    out = tmp / "results.json"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(ROOT),
               WARTA_PROGRESS_INTERVAL="0")
    env.pop("WARTA_REDIS_URL", None)  # single-process crawls, whatever the caller's shell says
    proc = subprocess.run([sys.executable, __file__, str(out), str(tmp), *wanted], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=600)
    log = tmp / "crawl.log"
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {"results": results, "returncode": proc.returncode, "stderr": proc.stderr[-3000:],
            "log": log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""}


def result(crawled, scenario: str) -> dict:
    got = crawled["results"].get(scenario)
    if got is None:
        pytest.fail(f"{scenario}: the crawl driver reported nothing (exit {crawled['returncode']}):\n"
                    f"{crawled['stderr']}\n{crawled['log'][-3000:]}")
    if "error" in got:
        pytest.fail(f"{scenario}: {got['error']}\n--- log tail ---\n{_log_tail(crawled, scenario)}")
    return got


def _log_tail(crawled, scenario: str, size: int = 4000) -> str:
    log = crawled["log"]
    label = scenario.split(":", 1)[-1]
    at = log.find(f"=== {label}")
    return log[at: at + size] if at >= 0 else log[-size:]


def article_requests(phase: dict, *, revisits: bool) -> list[str]:
    return [r["url"] for r in phase["requests"] if r["kind"] == "article" and r["revisit"] == revisits]


def fetched_twice(phase: dict) -> dict[str, int]:
    return {p: n for p, n in Counter(hit["path"] for hit in phase["hits"]).items() if n > 1}


def canonical(url: str) -> str:
    from pipelines.dedupe import canonicalize_url

    return canonicalize_url(url)


@pytest.mark.parametrize("case", CASES)
def test_profile_spider_full_then_incremental_runs(crawled, case):
    got = result(crawled, f"case:{case}")
    base, ref = got["base"], got["reference"]
    full, again, new = got["phases"]
    why = f"{case}: see the log:\n{_log_tail(crawled, case)}"

    # 1. full run: the listed articles, the reference with its fixture's values
    assert full["exit_code"] == 0 and full["run"]["status"] == "ok", why
    stored = {canonical(a["canonical_url"]): a for a in full["articles"]}
    mine = stored.get(canonical(ref["canonical_url"] or ref["url"]))
    assert mine is not None, f"{case}: {ref['url']} not stored; articles: {list(stored)}\n{why}"
    assert (mine["headline"], mine["published_at"]) == (ref["headline"], ref["published_at"])
    assert mine["site"] == PROFILES[case.split(":")[0]].domains[0]
    assert len(full["articles"]) == len(got["listed"]), why
    assert all(r["url"].startswith(base + "/") for r in full["requests"]), [r["url"] for r in full["requests"]]
    assert all(p["url"].startswith(base + "/") for p in full["pages"])
    assert not fetched_twice(full), why
    assert full["run"]["stats"]["coverage"]["walks"], f"{case}: the full run claims no walk\n{why}"

    # 2. incremental, nothing changed: only listings and conditional revisits
    assert again["exit_code"] == 0 and again["run"]["status"] == "ok", why
    assert article_requests(again, revisits=False) == [], why
    revisits = article_requests(again, revisits=True)
    assert revisits and len(revisits) == len(set(revisits)), why
    assert (again["run"]["articles_new"], again["run"]["articles_updated"]) == (0, 0)
    assert again["revisions"] == full["revisions"] and len(again["articles"]) == len(full["articles"])
    assert [p for p in again["pages"] if p["kind"] == "article"] == [p for p in full["pages"] if p["kind"] == "article"]
    counts = again["run"]["stats"].get("counts") or {}
    if got["validators"]:
        assert all(r["conditional"] for r in again["requests"] if r["revisit"]), why
        assert counts.get("not_modified") == len(revisits), why
    else:
        assert again["run"]["articles_unchanged"] == len(revisits), why
    assert not fetched_twice(again), why
    if got["source"] == "index":  # the walk stops at its first page: nothing new there
        listings = [r["url"] for r in again["requests"] if r["kind"] == "listing"]
        assert [path_of(u) for u in listings] == [got["start_path"]], why

    # 3. incremental, one new article: fetched, and only it
    assert new["exit_code"] == 0 and new["run"]["status"] == "ok", why
    fetched = article_requests(new, revisits=False)
    assert [urlsplit(u).path for u in fetched] == [urlsplit(got["new_url"]).path], why
    assert new["run"]["articles_new"] == 1 and new["run"]["articles_updated"] == 0, why
    added = [a for a in new["articles"] if canonical(a["canonical_url"]) == canonical(got["new_url"])]
    assert [a["headline"] for a in added] == [got["new_headline"]], why
    assert new["revisions"] == full["revisions"] + 1
    assert all(a["revision"] == 1 for a in new["articles"])
    assert not fetched_twice(new), why
    assert all(r["url"].startswith(base + "/") for r in again["requests"] + new["requests"])


def test_every_profile_is_crawl_tested():
    assert {c.split(":")[0] for c in CASES} == set(PROFILES)
    assert all(f"{name}:{default_source(name)}" in CASES for name in PROFILES)


def test_sitemap_fixtures_match_their_json():
    """``fixtures/<site>/sitemap/NAME.xml``: read as their JSON says; one of them is the
    profile's sitemap, the others are listed by it, every entry is an article of the site."""
    from crawler.spiders.discovery import read_sitemap

    found = sorted(FIXTURES.glob("*/sitemap/*.xml"))
    assert found
    for xml in found:
        expected = json.loads(xml.with_suffix(".json").read_text(encoding="utf-8"))
        assert read_sitemap(xml.read_bytes()) == expected["sitemap"], xml.name
        profile = PROFILES[xml.parent.parent.name]
        assert all(profile.article_id(u["url"]) for u in expected["sitemap"]["urls"]), xml.name
    for site in {xml.parent.parent.name for xml in found}:
        docs = [d for _p, d in listing_fixtures(site, "sitemap")]
        tops = [d for d in docs if d["url"] in PROFILES[site].discovery.sitemaps]
        assert tops, f"{site}: no fixture for the profile's sitemap"
        listed = {c["url"] for d in tops for c in d["sitemap"]["sitemaps"]}
        assert {d["url"] for d in docs} - {d["url"] for d in tops} <= listed


def test_a_killed_run_does_not_make_the_next_incremental_run_skip_anything(crawled):
    got = result(crawled, "killed")
    full, dies, nxt, two, closespider, after = got["phases"]
    why = f"see the log:\n{_log_tail(crawled, 'killed')}"
    n1, n2, n3, n4 = (urlsplit(u).path for u in got["new"])
    assert full["run"]["status"] == "ok" and dies["exit_code"] == 0, why
    # the dying run stored exactly page 1's three articles, page 2 was never read
    assert sorted(urlsplit(u).path for u in article_requests(dies, revisits=False)) == sorted([n1, n2, n3]), why
    # the next run: page 1 holds nothing new, yet the walk goes on to page 2 (the last
    # complete walk's head is there) and fetches n4 -- and only n4
    assert nxt["run"]["status"] == "ok", why
    # (page 2 shows n4, new: the walk goes on to page 3, past the end of the index)
    assert [path_of(r["url"]) for r in nxt["requests"] if r["kind"] == "listing"] == [
        "/terkini?page=1", "/terkini?page=2", "/terkini?page=3"], why
    assert [urlsplit(u).path for u in article_requests(nxt, revisits=False)] == [n4], why
    assert {urlsplit(a["url"]).path for a in nxt["articles"]} >= {n1, n2, n3, n4}
    assert nxt["run"]["stats"]["coverage"]["walks"], why
    # WARTA_INCREMENTAL_STOP_PAGES=2: one more quiet page before the walk stops
    assert [path_of(r["url"]) for r in two["requests"] if r["kind"] == "listing"] == ["/terkini?page=1",
                                                                                      "/terkini?page=2"], why
    assert article_requests(two, revisits=False) == []
    # a run closed early by CLOSESPIDER_ITEMCOUNT ends "ok" but claims nothing
    assert closespider["run"]["status"] == "ok" and closespider["run"]["stats"]["finish_reason"] == "closespider_itemcount"
    assert "coverage" not in closespider["run"]["stats"], why
    assert [path_of(r["url"]) for r in after["requests"] if r["kind"] == "listing"] == ["/terkini?page=1"], why
    for phase in got["phases"]:
        assert not fetched_twice(phase), why
    pages = Counter(urlsplit(p["url"]).path for p in after["pages"] if p["kind"] == "article")
    assert all(n == 1 for n in pages.values()), pages  # no article page stored twice over all runs


def test_sitemap_lastmod_decides_what_an_incremental_run_fetches_again(crawled):
    got = result(crawled, "sitemap")
    full, first, unchanged, lastmod = got["phases"]
    why = f"see the log:\n{_log_tail(crawled, 'sitemap')}"
    children = [p for p in got["sitemaps"] if p != got["start_path"]]
    assert children, "the kumparan sitemap fixture is an index with child sitemaps"

    def read(phase):
        return {path_of(r["url"]) for r in phase["requests"] if r["kind"] == "listing"}

    assert full["run"]["status"] == "ok" and read(full) == set(got["sitemaps"]), why
    # the first incremental run reads every child (no incremental run checked them yet) ...
    assert read(first) == set(got["sitemaps"]) and article_requests(first, revisits=True) == [], why
    assert first["run"]["stats"]["coverage"]["walks"], why
    # ... the next one only the index: the children's lastmod is older than that run
    assert read(unchanged) == {got["start_path"]}, why
    assert unchanged["requests"] == [r for r in unchanged["requests"] if r["kind"] == "listing"], why
    # new lastmods: that child is read again (not the other), the two entries are
    # refetched conditionally, nothing else
    assert read(lastmod) == {got["start_path"], *got["changed"]} and len(got["changed"]) == 1, why
    refetched = sorted(urlsplit(u).path for u in article_requests(lastmod, revisits=True))
    assert refetched == sorted([got["edited"], got["touched"]]), why
    assert article_requests(lastmod, revisits=False) == [], why
    assert all(r["conditional"] for r in lastmod["requests"] if r["revisit"])
    revs = {urlsplit(a["url"]).path: a["revision"] for a in lastmod["articles"]}
    assert revs[got["edited"]] == 2 and revs[got["touched"]] == 1, revs
    assert (lastmod["run"]["articles_updated"], lastmod["run"]["stats"]["counts"]["not_modified"]) == (1, 1), why


if __name__ == "__main__":  # the crawl driver, run by the ``crawled`` fixture
    drive(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
