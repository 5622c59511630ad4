"""Serve a :class:`~crawler.mirror.site.MirrorSite` on loopback in a background thread.

::

    with MirrorServer(MirrorSite(n_articles=200)) as srv:
        urllib.request.urlopen(srv.url + "/indeks")
        srv.hits["/indeks"]  # -> 1

Besides the site's pages the server answers two control endpoints (never
counted as hits):

* ``/__mirror/stats`` -> JSON ``{"total", "paths": {target: count}, "edition",
  "articles"}``; ``?reset=1`` zeroes the counters after reading them.
* ``/__mirror/edition?set=K`` switches the live edition (JSON reply).

An article is also reachable by its id alone, ``/read/<id>`` (or without its
slug, ``/<section>/read/YYYY/MM/<id>``): a 301 to its full URL (unknown id: 404).

Hits are counted per request target as sent (path plus query string), for
every method, including 304 and 404 answers.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .site import MirrorSite, Response

__all__ = ["MirrorServer"]

CONTROL_PREFIX = "/__mirror/"
GZIP_ETAG_SUFFIX = "-gz"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    mirror: "MirrorServer"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _Server

    # -- plumbing -------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.mirror.verbose:
            sys.stderr.write("mirror %s - %s\n" % (self.address_string(), format % args))

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:  # a 304 never has a body; no Content-Length to mislead clients
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    # -- requests -------------------------------------------------------
    def _serve(self, head: bool) -> None:
        mirror = self.server.mirror
        target = self.path
        if target.startswith(CONTROL_PREFIX):
            self._control(target, head)
            return
        mirror._count(target)
        if mirror.delay:
            time.sleep(mirror.delay)
        try:
            resp = mirror.site.respond(target)
        except Exception as exc:  # pragma: no cover - a bug in the generator
            body = f"internal error: {exc!r}".encode()
            self._send(500, body, {"Content-Type": "text/plain; charset=utf-8"}, head)
            return
        headers = {"Content-Type": resp.content_type, "Vary": "Accept-Encoding"}
        if resp.location:  # a redirect (an article reached by its id alone)
            headers["Location"] = resp.location
        use_gzip = (mirror.gzip and len(resp.body) > 256
                    and "gzip" in (self.headers.get("Accept-Encoding") or "").lower())
        if resp.status == 200:
            if resp.etag:
                # a different representation gets its own validator
                headers["ETag"] = resp.etag[:-1] + GZIP_ETAG_SUFFIX + '"' if use_gzip else resp.etag
            if resp.last_modified is not None:
                headers["Last-Modified"] = format_datetime(resp.last_modified.astimezone(timezone.utc), usegmt=True)
            # revalidate every time: editions can change a page at any moment
            headers["Cache-Control"] = "no-cache"
            if self._not_modified(resp):
                headers.pop("Content-Type", None)
                self._send(304, b"", headers, head=True)
                return
        body = resp.body
        if use_gzip:
            body = resp.gzipped()
            headers["Content-Encoding"] = "gzip"
        self._send(resp.status, body, headers, head)

    def _not_modified(self, resp: Response) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            if not resp.etag:
                return False
            tags = {t.strip().removeprefix("W/").replace(GZIP_ETAG_SUFFIX + '"', '"') for t in inm.split(",")}
            return "*" in tags or resp.etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims and resp.last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since is None:
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)
            return resp.last_modified.replace(microsecond=0) <= since
        return False

    def _control(self, target: str, head: bool) -> None:
        mirror = self.server.mirror
        parts = urlsplit(target)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        status, payload = 200, {}
        if parts.path == CONTROL_PREFIX + "stats":
            payload = mirror.stats(reset=params.get("reset") in ("1", "true", "yes"))
        elif parts.path == CONTROL_PREFIX + "edition":
            if "set" in params:
                try:
                    k = int(params["set"])
                    mirror.site.set_edition(k)
                except ValueError:
                    status = 400
            payload = {"edition": mirror.site.edition, "articles": len(mirror.site.articles)}
            if status == 400:
                payload["error"] = "set must be an integer >= 0"
        else:
            status, payload = 404, {"error": "unknown control endpoint"}
        body = json.dumps(payload, sort_keys=True).encode("utf-8")
        self._send(status, body, {"Content-Type": "application/json", "Cache-Control": "no-store"}, head)


class MirrorServer:
    """A :class:`MirrorSite` served by a ``ThreadingHTTPServer`` in a background thread.

    ``port=0`` picks a free port; ``url`` is ``http://HOST:PORT`` once started.
    ``delay`` (seconds) is slept before answering every page request; ``gzip``
    enables ``Content-Encoding: gzip`` for clients that accept it; ``verbose``
    logs every request to stderr.
    """

    def __init__(self, site: MirrorSite, host: str = "127.0.0.1", port: int = 0, *, delay: float = 0.0,
                 gzip: bool = True, verbose: bool = False) -> None:
        self.site = site
        self.host = host
        self.port = port
        self.delay = delay
        self.gzip = gzip
        self.verbose = verbose
        self._hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------
    def start(self) -> "MirrorServer":
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.mirror = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name=f"mirror:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def serve_forever(self) -> None:
        """Start (if needed) and block until KeyboardInterrupt, then stop."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> "MirrorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # info --------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def hits(self) -> Counter[str]:
        """The live ``Counter`` of requests per target (path + query string as sent).

        Handlers increment it under a lock; ``server.hits.clear()`` resets it.
        Take ``dict(server.hits)`` for a snapshot while a crawl is running.
        """
        return self._hits

    @property
    def total_hits(self) -> int:
        with self._hits_lock:
            return sum(self._hits.values())

    def reset_hits(self) -> None:
        with self._hits_lock:
            self._hits.clear()

    def stats(self, reset: bool = False) -> dict[str, Any]:
        with self._hits_lock:
            paths = dict(self._hits)
            if reset:
                self._hits.clear()
        return {
            "total": sum(paths.values()),
            "paths": paths,
            "edition": self.site.edition,
            "articles": len(self.site.articles),
        }

    def _count(self, target: str) -> None:
        with self._hits_lock:
            self._hits[target] += 1
