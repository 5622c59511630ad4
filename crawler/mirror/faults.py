"""A fault-injection mirror: a Monitor-Indonesia-shaped site whose pages misbehave.

``FaultServer`` (loopback only) serves one index page, ``/indeks``, listing one article
per fault case (plus a few healthy articles and, optionally, hostile links), in the
markup the real ``monitor`` spider reads; so ``scrapy crawl monitor -a base_url=...``
meets every fault through the same code path as a live crawl.  Articles come from
:class:`~crawler.mirror.site.MirrorSite` (with ground truth); each case decides how its
article's URL answers:

==================  ========================================================  ===========
case                what the server does                                      expected
==================  ========================================================  ===========
``healthy``         200, the article                                          article
``flaky-500``       500 twice, then 200                                       article
``flaky-502``       502 once, then 200                                        article
``flaky-503``       503 three times (no Retry-After), then 200                article
``rate-limited``    429 with ``Retry-After: <retry_after>`` once, then 200    article
``retry-date``      503 with an HTTP-date ``Retry-After`` once, then 200      article
``hang-once``       first request hangs past the download timeout, then 200   article
``hang``            every request hangs (no answer) until the client gives up error
``reset-once``      first answer reset mid-body (TCP RST), then 200           article
``reset``           every answer reset mid-body                               error
``truncated``       200 whose HTML stops mid-article (Content-Length honest)  article*
``cp1252``          ``charset=windows-1252`` header, cp1252 bytes, no meta    article
``latin1``          ``charset=iso-8859-1`` header, cp1252 bytes               article
``bom``             UTF-8 with a BOM, header says ``iso-8859-1``              article
``no-charset``      UTF-8 bytes, no charset anywhere                          article
``wrong-charset``   header says ``utf-8``, bytes are windows-1252             article
``oversize``        200 streamed without Content-Length, past DOWNLOAD_MAXSIZE error
``oversize-declared`` ``Content-Length`` far above DOWNLOAD_MAXSIZE           error
``gzip-bomb``       small gzip body inflating to ``bomb_bytes``               error
``redirect-loop``   302 A -> B -> A                                           error
``redirect-chain``  302 to ?hop=N+1 forever                                   error
``redirect-offsite`` 302 to ``http://localhost:<canary>/...``                 error
``redirect-private`` 302 to ``http://127.0.0.1:<canary>/...`` (other port)    error
``redirect-file``   302 to ``file:///etc/passwd``                             error
``robots``          disallowed in robots.txt (never requested)                refused
``soft-404``        200 with the site's "not found" page                      not article
``empty``           200 with an empty body                                    not article
==================  ========================================================  ===========

(*) the part before the cut.  ``hostile_links()`` are the extra index links: ``file:``,
``data:``, ``ftp:`` and loopback URLs aimed at the *canary*, a second server (also on
127.0.0.1) that counts every connection it receives: it must stay at zero.
``/sitemap.xml`` is a hostile sitemap (entity expansion, external entities, off-site
and private ``<loc>`` entries).

Everything is recorded per path: ``hits[path]`` and ``hit_times[path]`` (monotonic).
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Sequence
from urllib.parse import urlsplit

from . import is_loopback
from .site import CANONICAL_ORIGIN, MirrorSite

__all__ = ["CASES", "FaultServer", "CanaryServer", "Planned"]

#: case -> (what it does, expected outcome: "article" | "partial" | "error" | "refused" | "not-article")
CASES: dict[str, tuple[str, str]] = {
    "healthy": ("200 with the article", "article"),
    "flaky-500": ("500 twice, then 200", "article"),
    "flaky-502": ("502 once, then 200", "article"),
    "flaky-503": ("503 three times, then 200", "article"),
    "rate-limited": ("429 with Retry-After seconds once, then 200", "article"),
    "retry-date": ("503 with an HTTP-date Retry-After once, then 200", "article"),
    "hang-once": ("hangs past the download timeout once, then 200", "article"),
    "hang": ("hangs on every request", "error"),
    "reset-once": ("connection reset mid-body once, then 200", "article"),
    "reset": ("connection reset mid-body on every request", "error"),
    "truncated": ("200 whose HTML stops mid-article", "partial"),
    "cp1252": ("windows-1252 declared in the header, no meta", "article"),
    "latin1": ("iso-8859-1 declared, windows-1252 bytes", "article"),
    "bom": ("UTF-8 with BOM, header says iso-8859-1", "article"),
    "no-charset": ("UTF-8, no charset declared anywhere", "article"),
    "wrong-charset": ("header says utf-8, bytes are windows-1252", "article"),
    "oversize": ("streams past DOWNLOAD_MAXSIZE without Content-Length", "error"),
    "oversize-declared": ("Content-Length far above DOWNLOAD_MAXSIZE", "error"),
    "gzip-bomb": ("gzip body inflating far past DOWNLOAD_MAXSIZE", "error"),
    "redirect-loop": ("302 A -> B -> A", "error"),
    "redirect-chain": ("302 to a new URL forever", "error"),
    "redirect-offsite": ("302 to another host", "error"),
    "redirect-private": ("302 to another loopback port", "error"),
    "redirect-file": ("302 to file:///etc/passwd", "error"),
    "robots": ("disallowed by robots.txt", "refused"),
    "soft-404": ("200 with a 'page not found' page", "not-article"),
    "empty": ("200 with an empty body", "not-article"),
}

#: how many times a flaky case fails before it answers
FAILURES = {"flaky-500": (500, 2), "flaky-502": (502, 1), "flaky-503": (503, 3)}
CHARSET_CASES = ("cp1252", "latin1", "bom", "no-charset", "wrong-charset")


@dataclass
class Planned:
    """One fault case bound to one article of the mirror."""

    case: str
    path: str  # root-relative article path
    article: Any  # crawler.mirror.site.Article
    html: str  # the article page as the healthy mirror renders it

    @property
    def expected(self) -> str:
        return CASES[self.case][1]

    @property
    def canonical_url(self) -> str:
        return CANONICAL_ORIGIN + self.path

    @property
    def truth(self) -> dict[str, Any]:
        return self.article.truth


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: Any


class CanaryServer:
    """A loopback server that must never be contacted: counts connections and requests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback(host):
            raise ValueError("the canary binds loopback only")
        self.host, self.port = host, port
        self.connections = 0
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._httpd: _Server | None = None

    def start(self) -> "CanaryServer":
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                with canary._lock:
                    canary.connections += 1
                self.request.settimeout(2)
                super().setup()

            def do_GET(self) -> None:  # noqa: N802
                with canary._lock:
                    canary.requests.append(self.path)
                body = b"root:x:0:0:canary:/root:/bin/sh\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        httpd = _Server((self.host, self.port), Handler)
        httpd.owner = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                         name=f"canary:{self.port}").start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def total(self) -> int:
        with self._lock:
            return self.connections


class FaultServer:
    """The fault-injection mirror (see the module docstring).

    ``cases``: the fault cases to plan, one article each (default: all of
    :data:`CASES`); ``healthy``: how many extra healthy articles; ``retry_after``:
    seconds in the 429 answer; ``hang_seconds``: how long a hang lasts (longer than
    the crawler's DOWNLOAD_TIMEOUT); ``oversize_bytes`` / ``bomb_bytes``: sizes of the
    oversize stream and of the inflated gzip bomb.
    """

    def __init__(
        self,
        cases: Sequence[str] | None = None,
        *,
        healthy: int = 3,
        seed: int = 17,
        host: str = "127.0.0.1",
        port: int = 0,
        retry_after: int = 2,
        hang_seconds: float = 30.0,
        oversize_bytes: int = 3 * 1024 * 1024,
        bomb_bytes: int = 64 * 1024 * 1024,
        hostile: bool = True,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the fault mirror binds loopback only, not {host!r}")
        names = list(cases) if cases is not None else [c for c in CASES if c != "healthy"]
        unknown = [c for c in names if c not in CASES]
        if unknown:
            raise ValueError(f"unknown fault case(s): {unknown}")
        names += ["healthy"] * healthy
        self.host, self.port = host, port
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.oversize_bytes = oversize_bytes
        self.bomb_bytes = bomb_bytes
        self.hostile = hostile
        self.site = MirrorSite(n_articles=max(len(names) + 2, 8), seed=seed)
        self.plan: list[Planned] = []
        articles = self._pick_articles(len(names))
        for case, article in zip(names, articles):
            self.plan.append(Planned(case, article.path, article, self.site.render_article(article)))
        self.by_path = {p.path: p for p in self.plan}
        self.canary = CanaryServer(host)
        self.hits: Counter[str] = Counter()
        self.hit_times: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._bomb: bytes | None = None

    def _pick_articles(self, n: int) -> list[Any]:
        # articles whose page holds non-ASCII text first (the charset cases need some)
        scored = sorted(self.site.articles, key=lambda a: (not any(ord(c) > 127 for c in a.truth["body"] or ""), a.id))
        return scored[:n]

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> "FaultServer":
        self.canary.start()
        httpd = _Server((self.host, self.port), _Handler)
        httpd.owner = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                         name=f"faults:{self.port}").start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self.canary.stop()

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cases(self, name: str) -> list[Planned]:
        return [p for p in self.plan if p.case == name]

    def case(self, name: str) -> Planned:
        return self.cases(name)[0]

    # -- content ------------------------------------------------------------------------
    def hostile_links(self) -> list[str]:
        """Links a hostile page could carry; none of them may ever be requested."""
        c = self.canary.port
        return [
            "file:///etc/passwd",
            f"file://{self.host}/etc/passwd",
            "data:text/html,<h1 class=read__title>injected</h1>",
            f"ftp://{self.host}:{c}/nasional/read/2023/12/990001/ftp",
            f"http://{self.host}:{c}/nasional/read/2023/12/990002/other-loopback-port",
            f"http://localhost:{c}/nasional/read/2023/12/990003/localhost",
            f"http://2130706433:{c}/nasional/read/2023/12/990004/decimal-ip",
            f"http://0x7f.0.0.1:{c}/nasional/read/2023/12/990005/hex-ip",
            f"http://[::ffff:127.0.0.1]:{c}/nasional/read/2023/12/990006/mapped-ip",
            f"gopher://{self.host}:{c}/_x",
        ]

    def robots_txt(self) -> str:
        lines = ["User-agent: *", "Disallow: /search", "Disallow: /admin/"]
        lines += [f"Disallow: {p.path}" for p in self.cases("robots")]
        return "\n".join(lines) + "\n"

    def index_html(self) -> str:
        items = []
        links = [(p.path, p.article.truth["headline"], p.article.truth["published_at"]) for p in self.plan]
        if self.hostile:
            links += [(u, "Tautan berbahaya", None) for u in self.hostile_links()]
        for href, headline, published in links:
            date = f'<time class="latest__date" datetime="{published}">{published}</time>' if published else ""
            items.append(
                f'<article class="latest__item"><h2 class="latest__title">'
                f'<a class="latest__link" href="{_attr(href)}">{_attr(headline)}</a></h2>{date}</article>'
            )
        return (
            '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
            "<title>Indeks Berita Terkini - Monitor Indonesia</title>"
            f'<link rel="canonical" href="{CANONICAL_ORIGIN}/indeks"></head>'
            '<body class="page-indeks"><main><section class="latest">\n'
            + "\n".join(items)
            + "\n</section></main></body></html>\n"
        )

    def sitemap_xml(self) -> str:
        """A sitemap with internal entities (billion laughs), an external entity
        (a local file and a canary URL) and off-site / private / file: locations."""
        c = self.canary.port
        healthy = [p for p in self.plan if p.expected == "article"][:3]
        locs = [self.url + p.path for p in healthy]
        locs += [
            f"http://localhost:{c}/nasional/read/2023/12/990011/sitemap-offsite",
            f"http://{self.host}:{c}/nasional/read/2023/12/990012/sitemap-private",
            "file:///etc/passwd",
            f"{self.url}/nasional/read/2023/12/990013/&xxe;",
            f"{self.url}/nasional/read/2023/12/990014/&lol9;",
        ]
        entries = "\n".join(f"  <url><loc>{loc}</loc><lastmod>2023-12-05</lastmod></url>" for loc in locs)
        lol = ['<!ENTITY lol "lol">'] + [
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        ]
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<!DOCTYPE urlset [\n  " + "\n  ".join(lol) + "\n"
            '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
            f'  <!ENTITY canary SYSTEM "http://{self.host}:{c}/xxe">\n'
            "]>\n"
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}\n  <url><loc>{self.url}/x/&canary;</loc></url>\n</urlset>\n"
        )

    def bomb(self) -> bytes:
        if self._bomb is None:
            compressor = gzip.compress(b"\0" * self.bomb_bytes, compresslevel=9, mtime=0)
            self._bomb = compressor
        return self._bomb

    # -- bookkeeping --------------------------------------------------------------------
    def _hit(self, path: str) -> int:
        with self._lock:
            self.hits[path] += 1
            self.hit_times[path].append(time.monotonic())
            return self.hits[path]

    def hits_for(self, path: str) -> int:
        with self._lock:
            return sum(n for target, n in self.hits.items() if urlsplit(target).path == path)


def _attr(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_meta_charset(html: str) -> str:
    import re

    return re.sub(r"<meta\s+charset=[\"']?[\w-]+[\"']?\s*/?>", "", html, flags=re.IGNORECASE)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str | None = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _reset(self, body: bytes) -> None:
        """Headers promising the whole body, half of it, then a TCP reset."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _hang(self) -> None:
        self.server.owner._stopping.wait(self.server.owner.hang_seconds)
        self.close_connection = True

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        srv: FaultServer = self.server.owner
        parts = urlsplit(self.path)
        path = parts.path
        n = srv._hit(self.path)
        if path == "/robots.txt":
            return self._send(200, srv.robots_txt().encode(), "text/plain; charset=utf-8")
        if path in ("/", "/indeks"):
            return self._send(200, srv.index_html().encode("utf-8"))
        if path == "/sitemap.xml":
            return self._send(200, srv.sitemap_xml().encode("utf-8"), "application/xml")
        planned = srv.by_path.get(path)
        if planned is None:
            return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")
        n = srv.hits_for(path)
        html = planned.html
        body = html.encode("utf-8")
        case = planned.case
        if case in FAILURES:
            status, times = FAILURES[case]
            if n <= times:
                return self._send(status, f"<html><body><h1>{status}</h1></body></html>".encode())
        elif case == "rate-limited" and n == 1:
            return self._send(429, b"<html><body>Too Many Requests</body></html>",
                              headers={"Retry-After": str(srv.retry_after)})
        elif case == "retry-date" and n == 1:
            when = formatdate(time.time() + srv.retry_after + 1, usegmt=True)
            return self._send(503, b"<html><body>Service Unavailable</body></html>", headers={"Retry-After": when})
        elif case == "hang" or (case == "hang-once" and n == 1):
            return self._hang()
        elif case == "reset" or (case == "reset-once" and n == 1):
            return self._reset(body)
        elif case == "truncated":
            start = html.index('class="read__content')
            cut = html.index("</p>", html.index("</p>", start) + 4) + 4  # after the second paragraph
            return self._send(200, html[:cut].encode("utf-8"))
        elif case in CHARSET_CASES:
            return self._charset(case, html)
        elif case == "oversize":
            return self._stream_oversize(srv.oversize_bytes)
        elif case == "oversize-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            try:
                self.wfile.write(b"<html><body>" + b" " * 65536)
            except OSError:
                pass
            self.close_connection = True
            return None
        elif case == "gzip-bomb":
            return self._send(200, srv.bomb(), headers={"Content-Encoding": "gzip"})
        elif case == "redirect-loop":
            target = path if "loop" in parts.query else path + "?loop=1"
            return self._send(302, b"", headers={"Location": target})
        elif case == "redirect-chain":
            hop = int(parts.query.rpartition("=")[2] or 0) if parts.query.startswith("hop=") else 0
            return self._send(302, b"", headers={"Location": f"{path}?hop={hop + 1}"})
        elif case == "redirect-offsite":
            return self._send(302, b"", headers={"Location": f"http://localhost:{srv.canary.port}{path}"})
        elif case == "redirect-private":
            return self._send(302, b"", headers={"Location": f"http://{srv.host}:{srv.canary.port}{path}"})
        elif case == "redirect-file":
            return self._send(302, b"", headers={"Location": "file:///etc/passwd"})
        elif case == "soft-404":
            page = srv.site.respond("/halaman-yang-tidak-ada")
            return self._send(200, page.body)
        elif case == "empty":
            return self._send(200, b"")
        return self._send(200, body)

    def _charset(self, case: str, html: str) -> None:
        bare = _strip_meta_charset(html)
        if case == "cp1252":
            return self._send(200, bare.encode("cp1252"), "text/html; charset=windows-1252")
        if case == "latin1":
            return self._send(200, bare.encode("cp1252"), "text/html; charset=iso-8859-1")
        if case == "bom":
            return self._send(200, b"\xef\xbb\xbf" + bare.encode("utf-8"), "text/html; charset=iso-8859-1")
        if case == "no-charset":
            return self._send(200, bare.encode("utf-8"), "text/html")
        return self._send(200, bare.encode("cp1252"), "text/html; charset=utf-8")  # wrong-charset

    def _stream_oversize(self, total: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<p>" + b"Lorem ipsum dolor sit amet. " * 2300 + b"</p>\n"
        sent = 0
        try:
            self.wfile.write(b"%x\r\n<html><body>\r\n" % len(b"<html><body>"))
            while sent < total:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True
