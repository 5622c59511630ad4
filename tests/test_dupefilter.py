"""crawler.dupefilter.SQLiteDupeFilter: Scrapy's duplicate filter, disk-backed."""

from __future__ import annotations

import hashlib

import pytest
import scrapy
from scrapy.core.scheduler import Scheduler
from scrapy.utils.test import get_crawler

from crawler.dupefilter import JOBDIR_FILE, SQLiteDupeFilter


class _Spider(scrapy.Spider):
    name = "t"


def _fp(i: int) -> bytes:
    return hashlib.sha1(str(i).encode()).digest()


def test_new_then_seen_even_after_the_lru_forgot_it():
    df = SQLiteDupeFilter(cache_size=2)
    df.open()
    try:
        assert [df.fingerprint_seen(_fp(i)) for i in range(10)] == [False] * 10
        assert len(df._recent) == 2  # the in-memory part stays bounded
        assert all(df.fingerprint_seen(_fp(i)) for i in range(10))  # answered by SQLite
        assert len(df) == 10
    finally:
        df.close()


def test_requests_are_fingerprinted_like_scrapy_does():
    df = SQLiteDupeFilter()
    try:
        a = scrapy.Request("https://example.com/a?x=1&y=2")
        assert df.request_seen(a) is False
        assert df.request_seen(scrapy.Request("https://example.com/a?y=2&x=1")) is True  # canonical URL
        assert df.request_seen(scrapy.Request("https://example.com/a?x=1&y=2", method="POST")) is False
    finally:
        df.close()


def test_the_scheduler_filters_duplicates_and_counts_them(tmp_path):
    crawler = get_crawler(_Spider, {"DUPEFILTER_CLASS": "crawler.dupefilter.SQLiteDupeFilter",
                                    "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    crawler.spider = crawler._create_spider()
    scheduler = Scheduler.from_crawler(crawler)
    assert isinstance(scheduler.df, SQLiteDupeFilter)
    crawler.stats.open_spider()
    scheduler.open(crawler.spider)
    try:
        assert scheduler.enqueue_request(scrapy.Request("https://example.com/1")) is True
        assert scheduler.enqueue_request(scrapy.Request("https://example.com/1")) is False
        assert scheduler.enqueue_request(scrapy.Request("https://example.com/1", dont_filter=True)) is True
        assert crawler.stats.get_value("dupefilter/filtered") == 1
    finally:
        scheduler.close("finished")


def test_jobdir_keeps_fingerprints_for_a_resumed_job(tmp_path):
    settings = {"DUPEFILTER_CLASS": "crawler.dupefilter.SQLiteDupeFilter", "JOBDIR": str(tmp_path / "job")}
    first = SQLiteDupeFilter.from_crawler(get_crawler(_Spider, settings))
    first.open()
    assert first.request_seen(scrapy.Request("https://example.com/x")) is False
    first.close("shutdown")
    assert (tmp_path / "job" / JOBDIR_FILE).is_file()

    again = SQLiteDupeFilter.from_crawler(get_crawler(_Spider, settings))
    again.open()
    try:
        assert again.request_seen(scrapy.Request("https://example.com/x")) is True
        assert again.request_seen(scrapy.Request("https://example.com/y")) is False
    finally:
        again.close("finished")


def test_explicit_path_setting_wins(tmp_path):
    path = tmp_path / "seen.sqlite"
    df = SQLiteDupeFilter.from_crawler(get_crawler(_Spider, {"WARTA_DUPEFILTER_PATH": str(path),
                                                             "WARTA_DUPEFILTER_CACHE": "7"}))
    assert df.path == path and df.cache_size == 7
    df.open()
    df.fingerprint_seen(_fp(1))
    df.close()
    assert path.is_file()


def test_commits_in_batches_and_at_close(tmp_path):
    path = tmp_path / "seen.sqlite"
    df = SQLiteDupeFilter(path, commit_every=3, cache_size=0)
    for i in range(7):
        df.fingerprint_seen(_fp(i))
    import sqlite3

    # another connection sees what was committed so far (two batches of 3)
    assert sqlite3.connect(path).execute("select count(*) from seen").fetchone()[0] == 6
    df.close()
    assert sqlite3.connect(path).execute("select count(*) from seen").fetchone()[0] == 7
    df.close()  # closing twice is harmless


@pytest.mark.parametrize("n", [20_000])
def test_memory_is_bounded_by_the_lru_not_the_number_of_urls(n):
    df = SQLiteDupeFilter(cache_size=100, cache_kib=256)
    try:
        for i in range(n):
            df.fingerprint_seen(_fp(i))
        assert len(df._recent) == 100
        assert len(df) == n
    finally:
        df.close()
