"""What a Warta crawl may request, and how it backs off: Scrapy downloader middlewares.

:class:`RequestGuardMiddleware` -- every request, wherever it comes from (a start URL,
a link in a listing or a sitemap, a redirect, a retry), is checked against one policy
(:func:`refusal`) before it is scheduled and again before it is downloaded:

* only ``http`` and ``https`` (never ``file:``, ``data:``, ``ftp:``, ``s3:``...; those
  download handlers are also switched off in :mod:`crawler.settings`);
* the host must be one of the spider's ``allowed_domains`` (or a subdomain), also for
  requests with ``dont_filter=True`` or ``allow_offsite``, which Scrapy's own
  ``OffsiteMiddleware`` lets through;
* no private, loopback, link-local or otherwise non-public address (``127.0.0.1``,
  ``10.0.0.8``, ``169.254.169.254``, ``[::1]``, ``localhost``, ``*.internal``, and the
  numeric spellings ``2130706433`` / ``0x7f.1`` / ``0177.0.0.1`` that resolvers
  accept), except the exact origin (host and port) of the spider's own ``base_url``
  / start URLs: our mirror runs on loopback, but a page of a live site that links to
  ``http://127.0.0.1:6379/`` is never followed.  ``WARTA_PRIVATE_HOSTS_ALLOWED``
  lists further hosts an operator trusts.

A refused link is dropped before it reaches the scheduler and logged (``refused
request to <url>: <reason>``).  A refused *redirect* (off-site, private address,
other scheme, a loop, too many hops) is not followed -- :class:`RedirectGuardMiddleware`
(``Location``, above ``RedirectMiddleware``) and :class:`MetaRefreshGuardMiddleware`
(``<meta http-equiv=refresh>``) -- and the 3xx response itself goes to the spider's
errback and is stored as a page row whose error says why.
Host names are checked as written; a public name whose DNS answer is a private
address is not detected (see docs/reliability.md).

:class:`BackoffRetryMiddleware` -- Scrapy's ``RetryMiddleware`` with waiting:

* ``Retry-After`` on 429 / 503 (seconds or an HTTP date) is honoured: the request is
  retried no sooner, and the whole host is paused until then (no other request is
  sent to it meanwhile).  A wait longer than ``WARTA_RETRY_AFTER_MAX`` seconds is not
  waited for: the request is given up (stored as an HTTP error) and the host paused
  for ``WARTA_RETRY_AFTER_MAX``.
* other retries (5xx, timeouts, connection resets) wait ``WARTA_RETRY_BACKOFF`` *
  2^(n-1) seconds (jittered, at most ``WARTA_RETRY_BACKOFF_MAX``).
* every retry is logged at INFO (``retrying <url> in 0.40 s (retry 1 of 3): 503 ...``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import re
import socket
import time
from collections import Counter
from datetime import timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Iterable
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, ResponseDataLossError
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from w3lib.url import safe_url_string

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_SCHEMES",
    "BackoffRetryMiddleware",
    "MetaRefreshGuardMiddleware",
    "RedirectGuardMiddleware",
    "RequestGuardMiddleware",
    "is_private_host",
    "parse_retry_after",
    "refusal",
]

ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: host names that resolve to the machine itself or to a private network by convention
_PRIVATE_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "broadcasthost"})
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
#: characters of a numeric IPv4 spelling that inet_aton() accepts (decimal, octal, hex, 1-4 parts)
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$")
#: meta key: why a request / redirect was refused (read by ArchiveSpider.on_error)
REFUSED_META = "warta_refused"


# ---------------------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------------------


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host string denotes literally (any spelling), or None for a name."""
    h = host.strip("[]")
    if "%" in h:  # IPv6 zone id: fe80::1%eth0
        h = h.split("%", 1)[0]
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(h):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(h))
        except (OSError, ValueError):
            return None
    return None


def _non_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and _non_public(embedded):
            return True
        # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
        if int(ip) >> 32 == 0 and int(ip) > 1:
            return _non_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return bool(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified or not ip.is_global
    )


def is_private_host(host: str | None) -> bool:
    """True for a host that is not a public internet address: loopback, private
    (RFC 1918, ULA), link-local (incl. 169.254.169.254 cloud metadata), reserved,
    ``localhost`` and ``*.localhost`` / ``*.local`` / ``*.internal`` names, in
    any spelling a resolver accepts (``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``)."""
    if not host:
        return False
    h = host.strip().lower().rstrip(".")
    if h in _PRIVATE_NAMES or h.endswith(_PRIVATE_SUFFIXES):
        return True
    ip = _ip_of(h)
    return ip is not None and _non_public(ip)


def _host_port(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    return parts.scheme.lower(), host, port


def _domain_ok(host: str, allowed: Iterable[str]) -> bool:
    for domain in allowed:
        d = (domain or "").strip().lower().rstrip(".")
        if d and (host == d or host.endswith("." + d)):
            return True
    return False


def refusal(
    url: str,
    *,
    allowed_domains: Iterable[str] | None = None,
    own_origins: Iterable[tuple[str, int | None]] = (),
    trusted_hosts: Iterable[str] = (),
) -> str | None:
    """Why ``url`` must not be requested, or ``None`` when it may be.

    ``allowed_domains``: the spider's domains (empty/None: any domain);
    ``own_origins``: ``(host, port)`` pairs of the spider's own origin (its
    ``base_url``), allowed even when private; ``trusted_hosts``: hosts allowed
    even when private (operator setting).
    """
    hp = _host_port(url)
    if hp is None:
        return "malformed URL"
    scheme, host, port = hp
    if scheme not in ALLOWED_SCHEMES:
        return f"scheme {scheme + ':' if scheme else '(none)'} is not followed (http/https only)"
    if not host:
        return "URL without a host"
    allowed = [d for d in (allowed_domains or []) if d]
    if allowed and not _domain_ok(host, allowed):
        return f"off-site host {host!r} (allowed: {', '.join(sorted(allowed))})"
    if is_private_host(host) and (host, port) not in set(own_origins) and host not in set(trusted_hosts):
        return f"private or loopback address {host!r} is not the spider's own origin"
    return None


def own_origins_of(spider: Any) -> set[tuple[str, int | None]]:
    """``(host, port)`` of the spider's ``base_url`` and start/sitemap URLs."""
    urls = [getattr(spider, "base_url", None)]
    for name in ("start_urls", "sitemap_urls"):
        value = getattr(spider, name, None)
        if isinstance(value, (list, tuple)):
            urls.extend(value)
    out: set[tuple[str, int | None]] = set()
    for url in urls:
        if isinstance(url, str) and url:
            hp = _host_port(url)
            if hp is not None and hp[1]:
                out.add((hp[1], hp[2]))
    return out


# ---------------------------------------------------------------------------------------
# the guard
# ---------------------------------------------------------------------------------------


class _Guard:
    """Shared state of the guard middlewares: the policy for this spider, logging, stats."""

    #: log at most this many refusals one by one; the rest are counted
    LOG_LIMIT = 50
    WHAT = "requests"

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.trusted = {h.strip().lower() for h in settings.getlist("WARTA_PRIVATE_HOSTS_ALLOWED") if h.strip()}
        self.max_redirects = settings.getint("REDIRECT_MAX_TIMES", 20)
        self.refused: Counter[str] = Counter()
        self.logged = 0

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def check(self, url: str, spider: Any = None) -> str | None:
        spider = spider or self.crawler.spider
        return refusal(
            url,
            allowed_domains=getattr(spider, "allowed_domains", None) or None,
            own_origins=own_origins_of(spider),
            trusted_hosts=self.trusted,
        )

    def _refuse(self, url: str, reason: str, what: str = "request") -> None:
        kind = reason.split(" ", 1)[0]
        self.refused[kind] += 1
        if self.stats is not None:
            self.stats.inc_value("warta/refused")
            self.stats.inc_value(f"warta/refused/{kind}")
        if self.logged < self.LOG_LIMIT:
            self.logged += 1
            logger.warning("refused %s to %s: %s", what, url[:300], reason)

    def spider_closed(self, spider, reason: str) -> None:
        if self.refused:
            total = sum(self.refused.values())
            detail = ", ".join(f"{k}: {n}" for k, n in sorted(self.refused.items()))
            logger.info("request guard: refused %d %s (%s)", total, self.WHAT, detail)


class RequestGuardMiddleware(_Guard):
    """Downloader middleware (register it below ``OffsiteMiddleware``'s 50, e.g. 40):
    refused requests are dropped when scheduled (``request_scheduled`` signal) and,
    as a backstop for requests that bypass the scheduler, before download."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        crawler.signals.connect(mw.request_scheduled, signal=signals.request_scheduled)
        return mw

    def request_scheduled(self, request, spider=None) -> None:
        reason = self.check(request.url, spider)
        if reason is not None:
            request.meta[REFUSED_META] = reason
            self._refuse(request.url, reason)
            raise IgnoreRequest(f"refused: {reason}")

    def process_request(self, request, spider=None):
        reason = self.check(request.url, spider)
        if reason is not None:
            if request.meta.get(REFUSED_META) != reason:
                self._refuse(request.url, reason)
            request.meta[REFUSED_META] = reason
            raise IgnoreRequest(f"refused: {reason}")
        return None


class RedirectGuardMiddleware(_Guard):
    """Downloader middleware registered above ``RedirectMiddleware`` (600), e.g. 650:
    a ``Location`` that is refused, loops back or exceeds ``REDIRECT_MAX_TIMES`` is
    not followed; the 3xx response goes to the spider's errback (``HttpError``) with
    the reason in ``request.meta["warta_refused"]``."""

    WHAT = "redirects"

    def redirect_refusal(self, request, target: str, spider: Any = None) -> str | None:
        reason = self.check(target, spider)
        if reason is not None:
            return reason
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target.split("#", 1)[0] in {u.split("#", 1)[0] for u in chain}:
            return "redirect loop (" + " -> ".join([*chain, target][-4:]) + ")"
        if len(chain) > self.max_redirects:
            return f"more than {self.max_redirects} redirects"
        return None

    def not_followed(self, request, target: str, reason: str, kind: str = "redirect"):
        request.meta["dont_redirect"] = True
        request.meta[REFUSED_META] = f"{kind} to {target[:300]} not followed: {reason}"
        self._refuse(target, reason, what=f"{kind} from {request.url[:300]}")

    def process_response(self, request, response, spider=None):
        if response.status not in REDIRECT_STATUSES or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        try:
            raw = location.decode("latin-1").strip()
            if raw.startswith("//"):
                raw = f"{urlparse_cached(request).scheme}:{raw}"
            target = urljoin(request.url, safe_url_string(raw))
        except ValueError:
            self.not_followed(request, repr(location[:200]), "malformed redirect target")
            return response
        reason = self.redirect_refusal(request, target, spider)
        if reason is not None:
            self.not_followed(request, target, reason)
        return response


class MetaRefreshGuardMiddleware(RedirectGuardMiddleware):
    """The same for ``<meta http-equiv=refresh>``: registered between
    ``HttpCompressionMiddleware`` (590) and ``MetaRefreshMiddleware`` (580), e.g. 585,
    so it sees the decoded page.  A refused refresh is not followed and the page
    itself goes to the spider (stored like any other page)."""

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.enabled = crawler.settings.getbool("METAREFRESH_ENABLED", True)
        self.ignore_tags = crawler.settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.maxdelay = crawler.settings.getint("METAREFRESH_MAXDELAY", 100)

    def process_response(self, request, response, spider=None):
        from scrapy.http import HtmlResponse
        from scrapy.utils.response import get_meta_refresh

        if (not self.enabled or request.meta.get("dont_redirect") or request.method == "HEAD"
                or not isinstance(response, HtmlResponse)):
            return response
        try:
            interval, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
        except Exception:  # an undecodable page: MetaRefreshMiddleware will not follow it either
            return response
        if not url or interval is None or interval >= self.maxdelay:
            return response
        reason = self.redirect_refusal(request, url, spider)
        if reason is not None:
            self.not_followed(request, url, reason, kind="meta refresh")
        return response


# ---------------------------------------------------------------------------------------
# retries with backoff and Retry-After
# ---------------------------------------------------------------------------------------


def parse_retry_after(value: str | bytes | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date),
    ``None`` when absent or unreadable; never negative."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(min(int(value), 10**7))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def _status_message(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return response_status_message(status)


async def _sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    from scrapy.utils.reactor import is_asyncio_reactor_installed

    if is_asyncio_reactor_installed():
        await asyncio.sleep(seconds)
        return
    from twisted.internet import reactor, task

    from scrapy.utils.defer import maybe_deferred_to_future

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


class BackoffRetryMiddleware(RetryMiddleware):
    """``RetryMiddleware`` that waits: exponential backoff, ``Retry-After`` honoured,
    hosts paused after 429/503 with ``Retry-After`` (see the module docstring)."""

    RETRY_AT = "warta_retry_at"

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("WARTA_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("WARTA_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("WARTA_RETRY_AFTER_MAX", 600.0)
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE", 0)
        #: host:port -> monotonic time before which nothing is sent to it
        self.paused_until: dict[str, float] = {}

    @staticmethod
    def _slot(request) -> str:
        parts = urlparse_cached(request)
        return f"{parts.hostname}:{parts.port or _DEFAULT_PORTS.get(parts.scheme, '')}"

    #: a waiting request checks this often whether the crawl is stopping
    POLL = 0.5

    def _stopping(self) -> bool:
        """The crawl is shutting down (Ctrl-C, or a pipeline closed it): waiting
        requests give up at once instead of holding the shutdown for minutes."""
        crawler = self.crawler
        try:
            engine = crawler.engine
        except (AttributeError, RuntimeError):  # not crawling yet
            return False
        if engine is None:
            return False
        if getattr(crawler, "crawling", True) is False:
            return True
        slot = getattr(engine, "_slot", None)
        return slot is not None and getattr(slot, "closing", None) is not None

    async def process_request(self, request, spider=None):
        now = time.monotonic()
        until = max(request.meta.get(self.RETRY_AT, 0.0), self.paused_until.get(self._slot(request), 0.0))
        while until > now:
            if self._stopping():
                raise IgnoreRequest("not retried: the crawl is stopping")
            await _sleep(min(until - now, self.POLL))
            now = time.monotonic()
            until = max(request.meta.get(self.RETRY_AT, 0.0), self.paused_until.get(self._slot(request), 0.0))
        return None

    def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        reason = _status_message(response.status)
        wait = None
        if response.status in (429, 503):
            wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is not None:
            slot = self._slot(request)
            pause = min(wait, self.retry_after_max)
            self.paused_until[slot] = max(self.paused_until.get(slot, 0.0), time.monotonic() + pause)
            logger.info("%s answered %s with Retry-After %.1f s: pausing requests to %s",
                        request.url, response.status, wait, slot)
            if wait > self.retry_after_max:
                logger.warning("giving up %s: the server asks to wait %.0f s, more than WARTA_RETRY_AFTER_MAX=%.0f s",
                               request.url, wait, self.retry_after_max)
                if self.crawler.stats:
                    self.crawler.stats.inc_value("warta/retry_after_too_long")
                return response
        return self._retry(request, reason, wait=wait) or response

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry", False):
            retry = self._retry(request, exception)
            if retry is not None:
                return retry
        # Scrapy raises some of these without a message: say what happened, for the page row
        if not str(exception):
            if isinstance(exception, DownloadCancelledError):
                maxsize = request.meta.get("download_maxsize", self.maxsize)
                raise DownloadCancelledError(
                    f"download cancelled while receiving the body (larger than DOWNLOAD_MAXSIZE={maxsize} B)"
                ) from exception
            if isinstance(exception, ResponseDataLossError):
                raise ResponseDataLossError(
                    "connection closed before the whole body arrived (data loss)"
                ) from exception
        return None

    def _retry(self, request, reason, wait: float | None = None):  # type: ignore[override]
        new = super()._retry(request, reason)
        if new is None:
            return None
        n = new.meta.get("retry_times", 1)
        if wait is None:
            wait = min(self.backoff_max, self.backoff * 2 ** (n - 1)) * random.uniform(0.75, 1.25)
        new.meta[self.RETRY_AT] = time.monotonic() + wait
        max_times = request.meta.get("max_retry_times", self.max_retry_times)
        text = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
        logger.info("retrying %s in %.2f s (retry %d of %d): %s", request.url, wait, n, max_times, text[:200])
        return new
