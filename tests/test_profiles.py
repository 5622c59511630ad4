"""Site profiles: fixtures per profile, URL regex -> id, registry by host, spiders, discovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.parsers import PROFILES, parse_article, parser_for, profile_for
from crawler.parsers.base import GenericPage
from crawler.parsers.profile import page_links
from crawler.spiders.discovery import join_pages, parse_feed, parse_sitemap
from crawler.spiders.generic import looks_like_article, same_host_links

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"

SITES = ["detik", "kompas", "tempo", "cnnindonesia", "cnbcindonesia", "antaranews", "liputan6", "tribunnews",
         "okezone", "republika", "mediaindonesia", "sindonews", "suara", "kumparan", "jpnn"]

#: (profile, url, site_article_id)
URLS = [
    ("detik", "https://health.detik.com/berita-detikhealth/d-7016543/menkes-imbau", "7016543"),
    ("detik", "http://inet.detik.com/read/2015/11/05/100026/3062623/323/google-umbar", "3062623"),
    ("kompas", "https://megapolitan.kompas.com/read/2023/11/02/213419026/banjir-rob", "213419026"),
    ("tempo", "https://nasional.tempo.co/read/1300123/judul-berita", "1300123"),
    ("cnnindonesia", "https://www.cnnindonesia.com/ekonomi/20200624185815-78-517083/judul", "517083"),
    ("cnbcindonesia", "https://www.cnbcindonesia.com/news/20240725070249-4-557428/judul", "557428"),
    ("antaranews", "https://www.antaranews.com/berita/527615/29-penerbangan", "527615"),
    ("liputan6", "https://www.liputan6.com/news/read/4635012/judul-berita", "4635012"),
    ("tribunnews", "https://www.tribunnews.com/nasional/2020/05/04/ratusan-pemudik", "2020/05/04/ratusan-pemudik"),
    ("okezone", "https://news.okezone.com/read/2017/02/17/337/1620345/judul", "1620345"),
    ("republika", "https://www.republika.co.id/berita/s3k1x2430/judul-berita", "s3k1x2430"),
    ("mediaindonesia", "https://mediaindonesia.com/politik-dan-hukum/823456/judul", "823456"),
    ("sindonews", "https://nasional.sindonews.com/read/1154321/13/judul-berita-1476179831", "1154321"),
    ("suara", "https://www.suara.com/news/2023/11/02/213419/judul-berita", "213419"),
    ("kumparan", "https://kumparan.com/kumparannews/judul-berita-21abcDEFghiJKLmnoPQR", "21abcDEFghiJKLmnoPQR"),
    ("jpnn", "https://www.jpnn.com/news/kamrussamad-minta-pemerintah", "kamrussamad-minta-pemerintah"),
]


def test_all_fifteen_profiles_exist():
    assert set(SITES) <= set(PROFILES)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_is_complete(name):
    p = PROFILES[name]
    assert p.domains and p.base_url.startswith("https://") and p.layouts and p.pages
    assert p.discovery.index or p.discovery.dated_index or p.discovery.sitemaps or p.discovery.rss
    assert "id" in p.article_re.groupindex
    assert [c.VERSION for c in p.pages] == [layout.version for layout in p.layouts]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_has_fixtures(name):
    pages = sorted((FIXTURES / name).glob("*.html"))
    assert pages, f"fixtures/{name}/ has no page"
    kinds = []
    for html in pages:
        assert html.with_suffix(".json").exists()
        kinds.append("listing" if "listing" in json.loads(html.with_suffix(".json").read_text(encoding="utf-8")) else "article")
    assert "article" in kinds, f"fixtures/{name}/ needs at least one article page"


def test_listing_fixtures_for_index_spiders():
    with_listing = {p.parent.name for p in FIXTURES.glob("*/*.json")
                    if "listing" in json.loads(p.read_text(encoding="utf-8"))}
    assert len(with_listing & {n for n, p in PROFILES.items() if p.discovery.index}) >= 3


@pytest.mark.parametrize("url,version", [
    ("http://inet.detik.com/read/2015/11/05/100026/3062623/323/x", "detik/1"),
    ("http://regional.kompas.com/read/2015/11/04/21040031/X.Y", "kompas/1"),
    ("http://www.republika.co.id/berita/nasional/umum/16/02/23/o2zwha283-x", "republika/1"),
    ("http://celebrity.okezone.com/read/2017/02/17/33/1620900/x", "okezone/1"),
])
def test_old_layout_chosen_by_url_date_when_markup_is_unknown(url, version):
    body = "".join(f"<p>Kalimat isi berita lama nomor {i} yang cukup panjang untuk paragraf.</p>" for i in range(5))
    rec = parse_article(f"<html><body><h1>Judul Berita Lama Sekali</h1><div>{body}</div></body></html>", url)
    assert rec["parser"] == version


def test_old_templates_by_markup():
    # 2015-16 shapes documented in indonesian-sites.md "Old templates"
    detik = ("<html><body><div class='content_detail'><h1>Judul Detik Lama</h1><div class='author'><strong>Fino</strong> - detikinet</div>"
             "<div class='date'>Kamis, 05/11/2015 10:08 WIB</div><div class='text_detail'><strong>Jakarta</strong> - "
             + "Isi berita detik lama yang cukup panjang. " * 8 + "</div></div><h1>Judul Lain</h1></body></html>")
    rec = parse_article(detik, "https://inet.detik.com/read/2015/11/05/100026/3062623/323/x")
    assert (rec["parser"], rec["headline"], rec["published_at"]) == ("detik/1", "Judul Detik Lama", "2015-11-05T10:08:00+07:00")
    repub = ("<html><body><h1>Logo</h1><div class='wrap-title'><div class='date-detail'></div><div class='h5'>Judul Ihram</div>"
             "<div class='date-detail'>Jumat , 17 February 2017, 13:16 WIB</div></div><div class='teaser'><p>"
             + "Isi berita ihram yang cukup panjang. " * 8 + "</p></div></body></html>")
    rec = parse_article(repub, "http://www.republika.co.id/berita/jurnal-haji/berita-jurnal-haji/17/02/17/oli9fp396-x")
    assert (rec["parser"], rec["headline"], rec["published_at"]) == ("republika/1", "Judul Ihram", "2017-02-17T13:16:00+07:00")


@pytest.mark.parametrize("name,url,article_id", URLS, ids=[f"{u[0]}-{i}" for i, u in enumerate(URLS)])
def test_url_regex_and_id(name, url, article_id):
    profile = PROFILES[name]
    assert profile.article_id(url) == article_id
    assert profile_for(url) is profile
    assert parser_for(url).PROFILE is profile


def test_non_article_urls_are_rejected():
    assert PROFILES["detik"].article_id("https://news.detik.com/indeks?page=2") is None
    assert PROFILES["kompas"].article_id("https://indeks.kompas.com/?page=1") is None
    assert PROFILES["kompas"].article_id("https://evil.example/read/2023/11/02/213419026/x") is None


def test_registry_picks_profile_by_host_and_subdomain():
    assert parser_for("https://m.detik.com/news/d-1234567/x").NAME == "detik"
    assert parser_for("https://amp.kompas.com/read/2023/11/02/213419026/x").NAME == "kompas"
    assert parser_for("https://example.org/berita/1/x") is GenericPage
    assert parser_for("https://monitorindonesia.com/ekonomi/read/2023/12/1/x").NAME == "monitor"


def test_layout_versions_by_markup():
    old = "<html><body><div class='jdl'><h1>Judul lama</h1><div class='date'>Kamis, 05/11/2015 10:08 WIB</div></div></body></html>"
    new = "<html><body><h1 class='detail__title'>Judul baru</h1></body></html>"
    assert parse_article(old, "https://news.detik.com/berita/d-1234567/x")["parser"] == "detik/1"
    assert parse_article(new, "https://news.detik.com/berita/d-1234567/x")["parser"] == "detik/2"


def test_tribunnews_page_links_and_join():
    html = (FIXTURES / "tribunnews" / "2020-05-04_paged_pemudik-diputar-balik.html").read_text(encoding="utf-8")
    url = "https://www.tribunnews.com/nasional/2020/05/04/ratusan-pemudik-diputar-balik-di-tol-cikampek"
    links = page_links(html, url, PROFILES["tribunnews"])
    assert links == [url + "?page=2"]
    joined = join_pages({"body": "a\n\nb", "warnings": []}, [{"body": "b\n\nc"}])
    assert joined["body"] == "a\n\nb\n\nc" and joined["warnings"]


def test_sitemap_parsing_index_urlset_news_and_no_entities():
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://x.id/sitemap-1.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index)["sitemaps"] == ["https://x.id/sitemap-1.xml"]
    urlset = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://x.id/berita/1/a</loc><news:news><news:publication_date>2023-12-05T01:10:00+07:00</news:publication_date></news:news></url>
      <url><loc>https://x.id/berita/2/b</loc><lastmod>2023-12-04</lastmod></url></urlset>"""
    urls = parse_sitemap(urlset)["urls"]
    assert [u["url"] for u in urls] == ["https://x.id/berita/1/a", "https://x.id/berita/2/b"]
    assert urls[0]["published"].startswith("2023-12-05") and urls[1]["lastmod"] == "2023-12-04"
    bomb = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
      <!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>https://x.id/&b;&x;</loc></url></urlset>"""
    out = parse_sitemap(bomb)
    assert all("root:" not in u["url"] and "aaaaaaaaaa" not in u["url"] for u in out["urls"])
    assert parse_sitemap(b"not xml") == {"sitemaps": [], "urls": []}


def test_feed_parsing():
    rss = b"""<rss><channel><item><title>A</title><link>https://x.id/a</link><pubDate>Tue, 05 Dec 2023 01:10:00 +0700</pubDate></item></channel></rss>"""
    assert parse_feed(rss) == [{"url": "https://x.id/a", "headline": "A", "published": "Tue, 05 Dec 2023 01:10:00 +0700"}]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>B</title><link href="https://x.id/b"/></entry></feed>"""
    assert parse_feed(atom)[0]["url"] == "https://x.id/b"


def test_generic_spider_link_filter():
    html = """<a href="/berita/123/judul-berita">a</a><a href="/tentang">b</a><a href="https://other.id/berita/1/x">c</a>
              <a href="/2023/12/05/harga-cabai-naik-tajam">d</a><a href="/img/foto-besar-sekali-ya.jpg">e</a>"""
    links = same_host_links(html, "https://contoh.id/")
    assert "https://other.id/berita/1/x" not in links
    arts = [u for u in links if looks_like_article(u)]
    assert arts == ["https://contoh.id/berita/123/judul-berita", "https://contoh.id/2023/12/05/harga-cabai-naik-tajam"]


def test_profile_spider_discovery_urls():
    from crawler.spiders.profiles import SPIDERS

    spider = SPIDERS["detik"](since="2024-10-03", until="2024-10-04")
    urls = [u for u, _k, _m in spider.start_urls_for()]
    assert urls == ["https://news.detik.com/indeks?page=1&date=10/04/2024", "https://news.detik.com/indeks?page=1&date=10/03/2024"]
    kompas = SPIDERS["kompas"]()
    assert kompas.article_url("https://x.kompas.com/read/2023/11/02/213419026/x") .endswith("?page=all")
    assert SPIDERS["kumparan"]().source == "sitemap"
    mirror = SPIDERS["tempo"](base_url="http://127.0.0.1:8000")
    assert mirror.start_urls_for()[0][0] == "http://127.0.0.1:8000/indeks?page=1"
    # sindonews pages its index by item offset (/index/0, /index/20, ...), not page number
    sindo = SPIDERS["sindonews"]()
    template = sindo.profile.discovery.index[0]
    assert [sindo.index_url(template, p) for p in (1, 2, 3)] == [
        "https://index.sindonews.com/index/0", "https://index.sindonews.com/index/20",
        "https://index.sindonews.com/index/40"]


def test_scrapy_list_shows_every_profile_spider():
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    names = set(out.stdout.split())
    assert {"monitor", "generic", *SITES} <= names


# ---------------------------------------------------------------------------
# kapanlagi / viva (added with their profiles)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,url,article_id", [
    ("kapanlagi", "http://www.kapanlagi.com/showbiz/film/indonesia/brandon-salim-makin-dekat-82f43b.html", "82f43b"),
    ("kapanlagi", "http://musik.kapanlagi.com/berita/bikin-gaduh-kota-rumah-penyanyi-ini-digrebek-polisi-c1994d.html", "c1994d"),
    ("kapanlagi", "https://www.kapanlagi.com/korea/sinopsis-drama-hwarang-beserta-daftar-pemain-52ba0c.html", "52ba0c"),
    ("viva", "http://life.viva.co.id/showbiz/read/736460-taylor-swift-standing-ovation", "736460"),
    ("viva", "http://politik.news.viva.co.id/news/read/736458-soal-din-minimi", "736458"),
    ("viva", "https://www.viva.co.id/berita/nasional/1485778-terkuak-awal-mula", "1485778"),
    ("viva", "https://www.viva.co.id/otomotif/mobil/1234562-judul-artikel-slug", "1234562"),
    ("viva", "https://www.viva.co.id/berita/1234561-judul-artikel-slug", "1234561"),
])
def test_kapanlagi_viva_url_regex_and_id(name, url, article_id):
    profile = PROFILES[name]
    assert profile.article_id(url) == article_id
    assert profile_for(url) is profile and parser_for(url).PROFILE is profile


@pytest.mark.parametrize("name,url", [
    ("kapanlagi", "http://www.kapanlagi.com/ragam/tag-populer/film_indonesia_2015.html"),
    ("kapanlagi", "http://www.kapanlagi.com/foto/berita-foto/indonesia/sahabat-dekat-manisnya-valerie.html"),
    ("kapanlagi", "https://www.kapanlagi.com/feed/"),
    ("viva", "https://www.viva.co.id/indeks?page=2"),
    ("viva", "https://www.viva.co.id/berita/nasional"),
])
def test_kapanlagi_viva_non_article_urls(name, url):
    assert PROFILES[name].article_id(url) is None


def test_kapanlagi_viva_sections():
    assert PROFILES["viva"].article_re.match("/berita/nasional/1485778-x").group("section") == "nasional"
    assert PROFILES["viva"].article_re.match("/showbiz/read/736460-x").group("section") == "showbiz"
    assert PROFILES["kapanlagi"].article_re.match("/showbiz/selebriti/x-1b2294.html").group("section") == "showbiz"


def test_kapanlagi_viva_layouts_by_markup():
    text = "".join(f"<p>Kalimat isi berita nomor {i} yang cukup panjang untuk satu paragraf.</p>" for i in range(5))
    www = ("<html><body><h1 class='entertainment-newsdetail-title-new'>Judul Lama KapanLagi</h1>"
           "<span class='newsdetail-schedule-new'>Kamis, 05 November 2015 11:52</span>"
           f"<div class='entertainment-detail-news'>{text}<h2>Jangan Lewatkan!</h2>"
           "<a href='/showbiz/x-123abc.html' target='_blank'>Tautan lain</a></div></body></html>")
    rec = parse_article(www, "http://www.kapanlagi.com/showbiz/film/indonesia/judul-lama-82f43b.html")
    assert (rec["parser"], rec["headline"], rec["published_at"]) == ("kapanlagi/1", "Judul Lama KapanLagi", "2015-11-05T11:52:00+07:00")
    assert "Jangan" not in rec["body"] and "Tautan" not in rec["body"]
    musik = ("<html><body><h1 class='v7-music-newsdetail-title'>Judul Musik Lama</h1>"
             "<span class='v7-music-newsdetail-schedule'>Selasa, 23 Februari 2016 11:22</span>"
             f"<div class='v7-music-detail-news'>{text}</div></body></html>")
    rec = parse_article(musik, "http://musik.kapanlagi.com/berita/judul-musik-lama-c1994d.html")
    assert (rec["parser"], rec["headline"], rec["published_at"]) == ("kapanlagi/1", "Judul Musik Lama", "2016-02-23T11:22:00+07:00")
    current = f"<html><body><h1>Judul Baru KapanLagi Hari Ini</h1><div class='body-paragraph clearfix'>{text}</div></body></html>"
    assert parse_article(current, "https://www.kapanlagi.com/showbiz/judul-baru-7d2e41.html")["parser"] == "kapanlagi/2"
    old_viva = ("<html><body><article class='article-detail'><div class='title'><h1>Judul Viva Lama</h1></div>"
                "<div class='date'>Selasa, 16 Februari 2016 | 13:01 WIB</div><div class='author'>Oleh : <b>Maya Sofia</b></div>"
                f"<div id='article-content'><span itemprop='articleBody'>{text}</span></div></article></body></html>")
    rec = parse_article(old_viva, "http://life.viva.co.id/showbiz/read/736460-judul-viva-lama")
    assert (rec["parser"], rec["byline"], rec["published_at"]) == ("viva/1", ["Maya Sofia"], "2016-02-16T13:01:00+07:00")
    new_viva = (f"<html><body><h1 class='main-content-title'>Judul Viva Baru</h1><div class='main-content-detail'>{text}"
                "<div class='recommended-article'><p>Baca Juga : Artikel lain yang direkomendasikan redaksi</p></div></div></body></html>")
    rec = parse_article(new_viva, "https://www.viva.co.id/berita/nasional/1834567-judul-viva-baru")
    assert rec["parser"] == "viva/2" and "direkomendasikan" not in rec["body"]


def test_viva_2016_index_and_spiders():
    from crawler.parsers import parse_listing
    from crawler.spiders.profiles import SPIDERS

    index = ("<html><body><ul class='indexlist'><li><a href='http://life.viva.co.id/style/read/736450-desain-tas'>"
             "<div class='upperdeck'><span class='channel'>Vivalife</span> Selasa, 16 Februari 2016 12:55</div>"
             "<div class='title'>Desain Tas</div></a></li></ul></body></html>")
    [item] = parse_listing(index, "http://www.viva.co.id/indeks")["items"]
    assert (item["url"], item["published_at"]) == ("http://life.viva.co.id/style/read/736450-desain-tas", "2016-02-16T12:55:00+07:00")
    kapanlagi = SPIDERS["kapanlagi"]()
    assert kapanlagi.source == "rss" and [u for u, _k, _m in kapanlagi.start_urls_for()] == ["https://www.kapanlagi.com/feed/"]
    viva = SPIDERS["viva"]()
    assert viva.source == "index" and viva.start_urls_for()[0][0] == "https://www.viva.co.id/indeks?page=1"
    assert viva.article_url("https://www.viva.co.id/berita/nasional/1834567-x").endswith("?page=all")


def test_feed_fixtures_match_their_json():
    """RSS listing fixtures (``fixtures/<site>/NAME.xml`` + ``NAME.json``, for the sites discovered by
    feed): the feed reader's items, in the listing-fixture layout, and every link is an article of the site."""
    from pipelines.dates import parse_date, to_iso

    feeds = sorted(FIXTURES.glob("*/*.xml"))
    assert feeds
    for xml in feeds:
        expected = json.loads(xml.with_suffix(".json").read_text(encoding="utf-8"))
        items = [{"url": it["url"], "headline": it["headline"], "published_raw": it["published"],
                  "published_at": to_iso(parse_date(it["published"])) if it["published"] else None}
                 for it in parse_feed(xml.read_bytes())]
        assert {"items": items, "next_url": None} == expected["listing"], xml.name
        profile = PROFILES[xml.parent.name]
        assert expected["url"] in profile.discovery.rss
        assert all(profile.article_id(it["url"]) for it in items)


def test_kapanlagi_2015_lang_en_is_indonesian():
    text = "".join(f"<p>Aktris muda itu mengaku senang bisa bermain di film yang ke-{i} bersama teman lamanya.</p>"
                   for i in range(5))
    page = (f"<html xmlns='http://www.w3.org/1999/xhtml' xml:lang='en' lang='en'><body>"
            f"<h1 class='entertainment-newsdetail-title-new'>Judul Berita KapanLagi</h1>"
            f"<div class='entertainment-detail-news'>{text}</div></body></html>")
    record = parse_article(page, "http://www.kapanlagi.com/showbiz/film/judul-82f43b.html")
    assert record["language"] == "id" and record["field_sources"]["language"] == "text"
    assert "language: page declares 'en' (html-lang) but its text is 'id'" in record["warnings"]
    # a declaration the text agrees with, or too little text to tell, is kept
    english = page.replace(text, "<p>The young actress said she was happy to work with her old friends on the film, "
                                 "and that the shoot in the mountains was the hardest of her career.</p>" * 3)
    assert parse_article(english, "http://www.kapanlagi.com/showbiz/film/judul-82f43b.html")["language"] == "en"
    short = page.replace(text, "<p>Aktris muda itu senang.</p>")
    assert parse_article(short, "http://www.kapanlagi.com/showbiz/film/judul-82f43b.html")["language"] == "en"


def test_listing_date_prefers_the_tooltips_absolute_time_over_relative_text():
    """detik prints "2 jam yang lalu" with the absolute time in ``title``: a listing
    date must not depend on when the page is parsed."""
    from crawler.parsers import parse_listing

    html = """<html><body><div class="list-content">
      <article class="list-content__item"><h3 class="media__title">
        <a href="https://news.detik.com/berita/d-7012345/menkes-imbau-vaksinasi">Menkes imbau vaksinasi</a></h3>
        <div class="media__date"><span title="Kamis, 02 Nov 2023 14:30 WIB">2 jam yang lalu</span></div>
      </article></div></body></html>"""
    items = parse_listing(html, "https://news.detik.com/indeks?page=1")["items"]
    assert [(i["headline"], i["published_at"], i["published_raw"]) for i in items] == [
        ("Menkes imbau vaksinasi", "2023-11-02T14:30:00+07:00", "Kamis, 02 Nov 2023 14:30 WIB")]
