"""crawler.progress: terminal bar vs quiet plain lines, both progress conventions,
and the crawl's periodic line (Scrapy extension)."""

from __future__ import annotations

import io
import logging

import pytest

from crawler.progress import CrawlProgress, Progress, format_duration, report_progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_format_duration():
    assert format_duration(5) == "0:05"
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "?"


def test_plain_lines_are_periodic_and_quiet():
    clock, out = Clock(), io.StringIO()
    progress = Progress("export", total=10_000, unit="rows", stream=out, clock=clock, interval=30)
    assert progress.tty is False
    for i in range(1, 101):  # 100 updates within 10 s: no line yet
        clock.now += 0.1
        progress(i * 10)
    assert out.getvalue() == ""
    clock.now += 25  # 35 s since start
    progress(5_000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("export: 5,000/10,000 rows (50%)")
    assert "rows/s" in lines[0] and "ETA " in lines[0]
    clock.now += 35
    progress(10_000)
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "\r" not in out.getvalue()
    assert lines[-1].startswith("export: done, 10,000 rows in 70.0 s")


def test_terminal_bar_redraws_one_line_with_rate_and_eta():
    clock, out = Clock(), TTY()
    progress = Progress("reparse", total=200, unit="pages", stream=out, clock=clock)
    assert progress.tty is True
    clock.now += 1
    progress.update(50)  # 50 pages/s, 150 left -> ETA 0:03
    text = out.getvalue()
    assert text.startswith("\rreparse  [#####...............]  25%  50/200 pages  50 pages/s  ETA 0:03")
    clock.now += 1
    progress.update(50)
    assert out.getvalue().count("\r") == 2 and "\n" not in out.getvalue()
    progress.close()
    assert out.getvalue().endswith("reparse: done, 100 pages in 2.0 s (50 pages/s)\n")


def test_unknown_total_shows_count_and_rate():
    clock, out = Clock(), io.StringIO()
    progress = Progress("warc", unit="pages", stream=out, clock=clock, interval=1)
    clock.now += 2
    progress(40)
    assert out.getvalue().strip() == "warc: 40 pages, 20 pages/s"


def test_quiet_prints_nothing():
    out = io.StringIO()
    with Progress("x", total=3, stream=out, quiet=True) as progress:
        progress.update(3)
    assert out.getvalue() == ""


def test_context_manager_reports_a_stopped_job():
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        with Progress("export", stream=out, interval=999) as progress:
            progress.update(5)
            raise RuntimeError("boom")
    assert "export: stopped, 5 rows" in out.getvalue()


def test_report_progress_handles_both_conventions():
    seen = []
    report_progress(lambda done, total=None: seen.append((done, total)), 10, 100)
    assert seen == [(10, 100)]

    class TqdmLike:
        def __init__(self):
            self.n = 0
            self.total = None

        def update(self, n):
            self.n += n

    bar = TqdmLike()
    report_progress(bar, 10, 50)
    report_progress(bar, 25)
    assert bar.n == 25 and bar.total == 50
    report_progress(None, 5)  # no-op

    mine = Progress("x", stream=io.StringIO(), interval=999)
    report_progress(mine, 7, 9)
    assert (mine.done, mine.total) == (7, 9)


class FakeStats:
    def __init__(self, values):
        self.values = values

    def get_value(self, key, default=None):
        return self.values.get(key, default)

    def get_stats(self):
        return self.values


def test_crawl_progress_line(caplog):
    stats = FakeStats({
        "response_received_count": 120,
        "warta/articles_new": 80, "warta/articles_updated": 3, "warta/articles_unchanged": 20,
        "warta/parse_errors": 2,
        "downloader/response_status_count/200": 115,
        "downloader/response_status_count/404": 4,
        "downloader/response_status_count/503": 1,
        "downloader/exception_count": 1,
    })
    ext = CrawlProgress(stats, interval=60)
    ext.started = ext.last_time = 0.0
    figures = ext.figures()
    assert figures["http_errors"] == 5
    line = ext.message(figures, per_min=240)
    assert line == ("progress: 120 pages (240/min), articles 80 new / 3 updated / 20 unchanged, "
                    "8 errors (2 parse, 5 HTTP, 1 download)")
    with caplog.at_level(logging.INFO, logger="crawler.progress"):
        ext.log(spider=None, final=True)
    assert "progress (final): 120 pages" in caplog.text


def test_crawl_progress_is_enabled_in_settings():
    from crawler import settings

    assert "crawler.progress.CrawlProgress" in settings.EXTENSIONS
    assert settings.WARTA_PROGRESS_INTERVAL > 0
