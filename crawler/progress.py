"""Progress for long work: a bar on a terminal, quiet plain lines under cron.

Two pieces:

* :class:`Progress` — for exports, re-parses and WARC exports.  On a terminal
  (``stream.isatty()``) it redraws one line::

      export  [##########..........]  52%  26,000/50,000 rows  8,412 rows/s  ETA 0:03

  Anywhere else (cron, a pipe, a log file) it writes a plain line at most every
  ``interval`` seconds (default 30) and one closing line, so logs stay short::

      export: 26,000/50,000 rows (52%), 8,412 rows/s, ETA 0:03
      export: done, 50,000 rows in 5.9 s (8,474 rows/s)

* :class:`CrawlProgress` — a Scrapy extension (see ``EXTENSIONS`` in
  :mod:`crawler.settings`) that logs one line every ``WARTA_PROGRESS_INTERVAL``
  seconds (default 60; 0 disables it) while a spider runs::

      progress: 1,204 pages (96/min), articles 310 new / 12 updated / 877 unchanged, 5 errors

**The progress protocol** (what library functions such as ``storage.export``,
``crawler.reparse.reparse`` and ``crawler.warc.export_warc`` accept as
``progress=``): any object that is either

* *called* as ``progress(done, total=None)`` — ``done`` is the absolute number of
  units finished so far, ``total`` the expected number when known; or
* has ``update(n)`` (increment by ``n``; tqdm-compatible) and an optional
  settable ``total`` attribute.

:class:`Progress` supports both, so it can be handed to code written against
either convention.  ``None`` means no progress reporting.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import IO, Any

__all__ = ["Progress", "CrawlProgress", "format_duration", "format_count", "null_progress"]

logger = logging.getLogger(__name__)


def format_count(n: float) -> str:
    return f"{int(n):,}"


def format_duration(seconds: float | None) -> str:
    """``75`` -> ``'1:15'``, ``3725`` -> ``'1:02:05'``; unknown -> ``'?'``."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _rate(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:.1f}"


class Progress:
    """Progress of one job (see the module documentation).

    ``tty``: force the terminal (``True``) or the plain (``False``) style; by default
    the stream decides.  ``interval``: seconds between plain lines (``$WARTA_PROGRESS_INTERVAL``
    or 30); ``quiet``: print nothing at all.
    """

    BAR_WIDTH = 20

    def __init__(self, desc: str = "progress", *, total: int | None = None, unit: str = "rows",
                 stream: IO[str] | None = None, tty: bool | None = None,
                 interval: float | None = None, quiet: bool = False,
                 clock=time.monotonic) -> None:
        self.desc = desc
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        if tty is None:
            try:
                tty = bool(self.stream.isatty())
            except Exception:
                tty = False
        self.tty = tty
        if interval is None:
            try:
                interval = float(os.environ.get("WARTA_PROGRESS_INTERVAL", "30"))
            except ValueError:
                interval = 30.0
        self.interval = interval if not tty else 0.1
        self.quiet = quiet
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.closed = False
        self._last_draw = self.started
        self._drawn_width = 0

    # -- the two conventions -------------------------------------------------------------
    def __call__(self, done: int, total: int | None = None) -> None:
        """Absolute: ``done`` units finished so far (``total`` if now known)."""
        if total is not None:
            self.total = total
        self.done = done
        self._maybe_draw()

    def update(self, n: int = 1) -> None:
        """Increment by ``n`` (tqdm style)."""
        self.done += n
        self._maybe_draw()

    def set_total(self, total: int | None) -> None:
        self.total = total

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(ok=exc_type is None)

    # -- figures ------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started)

    @property
    def rate(self) -> float:
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if not self.total or self.done <= 0:
            return None
        rate = self.rate
        return max(0.0, (self.total - self.done) / rate) if rate > 0 else None

    def line(self) -> str:
        """The current state as one plain line (no bar)."""
        parts = [f"{self.desc}: {format_count(self.done)}"]
        if self.total:
            pct = min(100.0, 100.0 * self.done / self.total) if self.total else 0.0
            parts[0] += f"/{format_count(self.total)} {self.unit} ({pct:.0f}%)"
        else:
            parts[0] += f" {self.unit}"
        parts.append(f"{_rate(self.rate)} {self.unit}/s")
        if self.total:
            parts.append(f"ETA {format_duration(self.eta)}")
        return ", ".join(parts)

    def bar(self) -> str:
        """The current state as a terminal bar line."""
        if self.total:
            frac = min(1.0, self.done / self.total) if self.total else 0.0
            filled = int(frac * self.BAR_WIDTH)
            bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
            return (f"{self.desc}  [{bar}] {frac * 100:3.0f}%  {format_count(self.done)}/"
                    f"{format_count(self.total)} {self.unit}  {_rate(self.rate)} {self.unit}/s  "
                    f"ETA {format_duration(self.eta)}")
        return f"{self.desc}  {format_count(self.done)} {self.unit}  {_rate(self.rate)} {self.unit}/s  " \
               f"{format_duration(self.elapsed)}"

    # -- drawing ------------------------------------------------------------------------
    def _maybe_draw(self) -> None:
        if self.quiet or self.closed:
            return
        now = self.clock()
        if now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw()

    def _draw(self) -> None:
        if self.tty:
            text = self.bar()
            pad = max(0, self._drawn_width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._drawn_width = len(text)
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self, ok: bool = True) -> None:
        """Finish: the bar's last state (terminal) and one summary line."""
        if self.closed:
            return
        self.closed = True
        if self.quiet:
            return
        elapsed = self.elapsed
        word = "done" if ok else "stopped"
        summary = (f"{self.desc}: {word}, {format_count(self.done)} {self.unit} in {elapsed:.1f} s "
                   f"({_rate(self.rate)} {self.unit}/s)")
        if self.tty:
            self._draw()
            self.stream.write("\n")
        self.stream.write(summary + "\n")
        self.stream.flush()


class _NullProgress:
    total = None

    def __call__(self, done: int, total: int | None = None) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self, ok: bool = True) -> None:
        pass


#: a progress object that does nothing
null_progress = _NullProgress()


def report_progress(progress: Any, done: int, total: int | None = None) -> None:
    """Tell ``progress`` (either convention, or ``None``) that ``done`` units are finished."""
    if progress is None:
        return
    if isinstance(progress, Progress) or not hasattr(progress, "update"):
        progress(done, total)
        return
    if total is not None and hasattr(progress, "total"):
        try:
            progress.total = total
        except Exception:
            pass
    last = getattr(progress, "n", None)
    if last is None:
        last = getattr(progress, "_warta_done", 0)
        try:
            progress._warta_done = done
        except Exception:
            pass
    if done > last:
        progress.update(done - last)


# --------------------------------------------------------------------------------------
# Scrapy extension: a periodic crawl line
# --------------------------------------------------------------------------------------


class CrawlProgress:
    """Log a line every ``WARTA_PROGRESS_INTERVAL`` seconds with pages fetched,
    articles new / updated / unchanged, errors and the rate, and a last one when the
    spider closes.

    Counts come from the crawler stats: ``response_received_count`` (pages),
    ``warta/articles_*`` and ``warta/parse_errors`` (set by the storage pipeline as
    batches are written), ``downloader/exception_count`` and HTTP 4xx/5xx responses.
    """

    def __init__(self, stats, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.task = None
        self.started: float | None = None
        self.last_pages = 0
        self.last_time: float | None = None

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        interval = crawler.settings.getfloat("WARTA_PROGRESS_INTERVAL", 60.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler.stats, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        from twisted.internet import task

        self.started = self.last_time = time.monotonic()
        self.task = task.LoopingCall(self.log, spider)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log(spider, final=True)

    def figures(self) -> dict[str, int]:
        get = lambda key: int(self.stats.get_value(key, 0) or 0)  # noqa: E731
        http_errors = sum(
            int(v or 0) for k, v in (self.stats.get_stats() or {}).items()
            if k.startswith("downloader/response_status_count/") and k.rsplit("/", 1)[-1][:1] in ("4", "5")
        )
        return {
            "pages": get("response_received_count"),
            "new": get("warta/articles_new"),
            "updated": get("warta/articles_updated"),
            "unchanged": get("warta/articles_unchanged"),
            "parse_errors": get("warta/parse_errors"),
            "http_errors": http_errors,
            "download_errors": get("downloader/exception_count"),
        }

    def message(self, figures: dict[str, int], *, per_min: float, final: bool = False) -> str:
        errors = figures["parse_errors"] + figures["http_errors"] + figures["download_errors"]
        detail = []
        if figures["parse_errors"]:
            detail.append(f"{figures['parse_errors']} parse")
        if figures["http_errors"]:
            detail.append(f"{figures['http_errors']} HTTP")
        if figures["download_errors"]:
            detail.append(f"{figures['download_errors']} download")
        err = f"{errors:,} errors" + (f" ({', '.join(detail)})" if detail else "")
        head = "progress (final)" if final else "progress"
        return (f"{head}: {figures['pages']:,} pages ({per_min:,.0f}/min), articles "
                f"{figures['new']:,} new / {figures['updated']:,} updated / "
                f"{figures['unchanged']:,} unchanged, {err}")

    def log(self, spider, final: bool = False) -> None:
        now = time.monotonic()
        figures = self.figures()
        if final:
            elapsed = now - (self.started or now)
            per_min = figures["pages"] * 60.0 / elapsed if elapsed > 0 else 0.0
        else:
            elapsed = now - (self.last_time or now)
            per_min = (figures["pages"] - self.last_pages) * 60.0 / elapsed if elapsed > 0 else 0.0
        self.last_pages, self.last_time = figures["pages"], now
        logger.info(self.message(figures, per_min=per_min, final=final), extra={"spider": spider})
