"""``warta mirror``: a deterministic Monitor-Indonesia-shaped site served on loopback.

* :class:`crawler.mirror.site.MirrorSite` generates the site (articles with
  ground truth, listing pages, editions) from a seed.
* :class:`crawler.mirror.server.MirrorServer` serves it from a background
  thread (hit counting, ETag / Last-Modified / 304, gzip, live edition switch).
* :func:`main` is the command line: ``warta mirror --port 8123 --articles 500``.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from datetime import date

from .server import MirrorServer
from .site import MirrorSite

__all__ = ["MirrorSite", "MirrorServer", "main", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="warta mirror",
        description="Serve a deterministic Monitor-Indonesia-shaped site for offline crawling.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only unless --allow-public)")
    p.add_argument("--port", type=int, default=8123, help="port (0 = any free port)")
    p.add_argument("--articles", type=int, default=200, metavar="N", help="number of base articles")
    p.add_argument("--seed", type=int, default=1, help="generator seed")
    p.add_argument("--edition", type=int, default=0, metavar="K", help="site edition to serve first")
    p.add_argument("--base-date", type=date.fromisoformat, default=date(2023, 12, 5), metavar="YYYY-MM-DD",
                   help="date of the newest base article")
    p.add_argument("--delay", type=float, default=0.0, metavar="SECONDS", help="sleep before each response")
    p.add_argument("--no-gzip", action="store_true", help="never gzip responses")
    p.add_argument("--verbose", "-v", action="store_true", help="log every request to stderr")
    p.add_argument("--allow-public", action="store_true", help="allow binding a non-loopback address")
    return p


def _raise_interrupt(signum, frame):  # pragma: no cover - signal handler
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the mirror until Ctrl-C.  Returns a process exit code."""
    args = _build_parser().parse_args(argv)
    if not is_loopback(args.host) and not args.allow_public:
        print(f"warta mirror: refusing to bind non-loopback host {args.host!r} "
              "(pass --allow-public to do it anyway)", file=sys.stderr)
        return 2
    if args.articles < 1 or args.edition < 0:
        print("warta mirror: --articles must be >= 1 and --edition >= 0", file=sys.stderr)
        return 2
    site = MirrorSite(n_articles=args.articles, seed=args.seed, edition=args.edition, base_date=args.base_date)
    server = MirrorServer(site, host=args.host, port=args.port, delay=args.delay, gzip=not args.no_gzip,
                          verbose=args.verbose)
    try:
        import signal

        signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not in the main thread
        pass
    try:
        server.start()
    except OSError as exc:
        print(f"warta mirror: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Mirror of monitorindonesia.com: {len(site.articles)} articles (seed {args.seed}, "
          f"edition {site.edition}) at {server.url}", flush=True)
    print(f"  crawl it:  scrapy crawl monitor -a base_url={server.url}", flush=True)
    print(f"  stats:     {server.url}/__mirror/stats    edition: {server.url}/__mirror/edition?set=K", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped.", file=sys.stderr)
    finally:
        server.stop()
    return 0
