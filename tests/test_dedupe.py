"""pipelines.dedupe: canonical URLs, content hashes, in-run duplicates."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.items import PageItem, empty_article
from pipelines.dedupe import HASH_FIELDS, DedupePipeline, canonicalize_url, content_hash

BASE = "https://monitorindonesia.com/ekonomi/read/2023/12/123/ri-china-baterai"


@pytest.mark.parametrize(
    "url, expected",
    [
        (BASE, BASE),
        ("HTTPS://WWW.MonitorIndonesia.COM/ekonomi/read/2023/12/123/ri-china-baterai", BASE),
        ("https://monitorindonesia.com:443/ekonomi/read/2023/12/123/ri-china-baterai", BASE),
        ("http://monitorindonesia.com:80/a", "http://monitorindonesia.com/a"),
        ("http://127.0.0.1:8000/ekonomi/read/2023/12/1/x", "http://127.0.0.1:8000/ekonomi/read/2023/12/1/x"),
        (BASE + "#comments", BASE),
        (BASE + "?utm_source=fb&utm_medium=social&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3", BASE),
        (BASE + "?page=2&utm_campaign=x", BASE + "?page=2"),
        (BASE + "?b=2&a=1", BASE + "?a=1&b=2"),
        (BASE + "?UTM_Source=x", BASE),
        # AMP variants
        (BASE + "/amp", BASE),
        (BASE + "/amp/", BASE),
        ("https://monitorindonesia.com/amp/ekonomi/read/2023/12/123/ri-china-baterai", BASE),
        (BASE + "?amp", BASE),
        (BASE + "?amp=1", BASE),
        (BASE + ".amp", BASE),
        ("https://amp.monitorindonesia.com/ekonomi/read/2023/12/123/ri-china-baterai", BASE),
        ("https://www.amp.monitorindonesia.com/amp/ekonomi/read/2023/12/123/ri-china-baterai.amp?amp=1#x", BASE),
        # things that stay
        ("https://monitorindonesia.com", "https://monitorindonesia.com/"),
        ("https://monitorindonesia.com/Ekonomi/Read", "https://monitorindonesia.com/Ekonomi/Read"),
        ("https://monitorindonesia.com/example-amp-story", "https://monitorindonesia.com/example-amp-story"),
        ("https://www.com/", "https://www.com/"),
        ("https://monitorindonesia.com:8443/x", "https://monitorindonesia.com:8443/x"),
        ("https://monitorindonesia.com/a?q=a%20b&x", "https://monitorindonesia.com/a?q=a%20b&x"),
        ("  https://monitorindonesia.com/a  ", "https://monitorindonesia.com/a"),
        ("", ""),
    ],
)
def test_canonicalize_table(url, expected):
    assert canonicalize_url(url) == expected


def test_canonicalize_keeps_https_and_http():
    assert canonicalize_url("https://monitorindonesia.com/a").startswith("https://")
    assert canonicalize_url("http://monitorindonesia.com/a").startswith("http://")


def test_canonicalize_never_raises_on_bad_input():
    for bad in ("http://[::1", "http://host:99999999/", "http://host:abc/", "::::", "%%%"):
        assert isinstance(canonicalize_url(bad), str)


_segment = st.sampled_from(["amp", "AMP", "read", "2023", "12", "123", "slug", "slug.amp", "a.amp.amp", "", "x%20y", "."])
_param = st.sampled_from(
    ["utm_source=x", "utm_medium=", "fbclid=1", "gclid=2", "mc_cid=3", "amp", "amp=1", "page=2", "a=1", "b=", "q=a+b", "Z=9", "=", "x"]
)
_host = st.sampled_from(
    ["monitorindonesia.com", "WWW.monitorindonesia.com", "amp.monitorindonesia.com", "www.amp.www.example.co.id",
     "www.com", "amp.com", "127.0.0.1", "[::1]", "localhost", "Example.COM."]
)


@st.composite
def urls(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "Http"]))
    host = draw(_host)
    port = draw(st.sampled_from(["", ":80", ":443", ":8000"]))
    path = "/".join(draw(st.lists(_segment, max_size=6)))
    if draw(st.booleans()):
        path += "/"
    query = "&".join(draw(st.lists(_param, max_size=5)))
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    return f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "") + fragment


@settings(max_examples=500, deadline=None)
@given(urls())
def test_canonicalize_idempotent(url):
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "#" not in once
    assert "utm_" not in once and "fbclid" not in once
    assert "/amp/" not in once.lower() and not once.lower().endswith("/amp")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_canonicalize_idempotent_on_arbitrary_text(text):
    once = canonicalize_url(text)
    assert canonicalize_url(once) == once


@settings(max_examples=200, deadline=None)
@given(urls(), st.permutations(["a=1", "b=2", "c=3"]))
def test_canonicalize_query_order_irrelevant(url, params):
    base = url.split("?")[0].split("#")[0]
    assert canonicalize_url(base + "?" + "&".join(params)) == canonicalize_url(base + "?a=1&b=2&c=3")


# -- content hash -------------------------------------------------------------------------


def _article(**kw):
    article = empty_article(BASE)
    article.update(
        canonical_url=BASE,
        site="monitorindonesia.com",
        site_article_id="123",
        headline="RI dan China teken kerja sama baterai",
        byline=["Rizky Amin"],
        published_at="2023-12-05T01:10:00+07:00",
        body="Jakarta, MI - Pemerintah Indonesia ...\n\nParagraf kedua.",
        tags=["baterai", "china"],
        fetched_at="2023-12-06T00:00:00+00:00",
    )
    article.update(kw)
    return article


def test_content_hash_is_stable_and_known():
    a = _article()
    h = content_hash(a)
    assert len(h) == 64 and int(h, 16) >= 0
    assert content_hash(dict(reversed(list(a.items())))) == h  # key order irrelevant
    assert content_hash(_article()) == h


def test_content_hash_golden_value():
    # Changing HASH_FIELDS or the serialisation re-revisions every stored article:
    # this golden value makes such a change deliberate.
    article = {name: None for name in HASH_FIELDS}
    article.update(headline="Judul", body="Isi", byline=["A"], tags=["t"])
    assert content_hash(article) == "bc6e2f594c75e1815bc8187396f07686ca2b44acdc7440b451db056889c372e8"


@pytest.mark.parametrize("field", ["published_at", "fetched_at", "warnings", "field_sources", "parser", "url",
                                   "published_raw", "canonical_url"])
def test_content_hash_ignores_non_content_fields(field):
    a = _article()
    b = _article(**{field: ["changed"] if field == "warnings" else ({"x": "y"} if field == "field_sources" else "changed")})
    assert content_hash(a) == content_hash(b)


@pytest.mark.parametrize("field, value", [
    ("headline", "Judul baru"), ("byline", ["Orang Lain"]), ("updated_at", "2023-12-05T08:00:00+07:00"),
    ("body", "Isi yang diperbarui."), ("caption", "Keterangan"), ("caption_credit", "Setpres"),
    ("lead_image_url", "https://img.example/x.jpg"), ("tags", ["baterai"]), ("editor", "Ran"),
])
def test_content_hash_changes_with_content(field, value):
    assert content_hash(_article()) != content_hash(_article(**{field: value}))


def test_content_hash_empty_equivalents():
    assert content_hash(_article(tags=[])) == content_hash(_article(tags=None))
    a = _article()
    del a["caption"]
    assert content_hash(a) == content_hash(_article(caption=None))


# -- pipeline -------------------------------------------------------------------------------


class _Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1, start=0):
        self.values[key] = self.values.get(key, start) + count


class _Crawler:
    def __init__(self):
        self.stats = _Stats()


class _Spider:
    def __init__(self):
        self.crawler = _Crawler()


def _item(url=BASE + "?utm_source=x", **kw):
    return PageItem(page={"url": url, "status": 200, "body": b"<html>"}, article=_article(url=url, canonical_url=None, **kw))


def test_pipeline_sets_canonical_and_hash_and_flags_duplicates():
    spider = _Spider()
    pipe = DedupePipeline()
    first = pipe.process_item(_item(), spider)
    assert first["article"]["canonical_url"] == BASE
    assert first["article"]["content_hash"] == content_hash(first["article"])
    assert first["page"]["url_key"] == BASE
    assert not first.get("duplicate")

    again = pipe.process_item(_item(BASE + "/amp"), spider)  # same article via AMP URL
    assert again["duplicate"] is True
    assert again["page"]["url"].endswith("/amp")  # the page itself is kept as fetched
    changed = pipe.process_item(_item(body="Berubah."), spider)
    assert not changed.get("duplicate")  # new content: the database decides
    assert pipe.stats["warta/duplicates_skipped"] == 1
    assert spider.crawler.stats.values == {"warta/duplicates_skipped": 1}


def test_pipeline_leaves_non_articles_and_parse_errors_alone():
    pipe = DedupePipeline()
    listing = PageItem(page={"url": "https://monitorindonesia.com/indeks?page=2"}, article=None)
    assert pipe.process_item(listing) is listing and "duplicate" not in listing
    bad = PageItem(page={"url": BASE}, article=_article(parse_error="not an article: no headline"))
    pipe.process_item(bad)
    pipe.process_item(bad)
    assert "duplicate" not in bad


def test_pipeline_memory_is_bounded():
    pipe = DedupePipeline(max_keys=10)
    for i in range(100):
        pipe.process_item(_item(f"https://monitorindonesia.com/x/read/2023/12/{i}/s"))
    assert len(pipe._seen) == 10
    # an evicted key is no longer a duplicate in memory (the database still dedupes)
    assert not pipe.process_item(_item("https://monitorindonesia.com/x/read/2023/12/0/s")).get("duplicate")
    assert pipe.process_item(_item("https://monitorindonesia.com/x/read/2023/12/99/s")).get("duplicate")


def test_pipeline_from_crawler_uses_settings_and_stats():
    class Settings:
        def getint(self, name, default):
            return {"WARTA_DEDUPE_MAX_KEYS": 5}.get(name, default)

    crawler = _Crawler()
    crawler.settings = Settings()
    pipe = DedupePipeline.from_crawler(crawler)
    assert pipe.max_keys == 5
    pipe.process_item(_item())
    pipe.process_item(_item())  # no spider argument (Scrapy >= 2.13 style)
    assert crawler.stats.values["warta/duplicates_skipped"] == 1
