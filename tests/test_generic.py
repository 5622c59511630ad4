"""Generic extraction: JSON-LD variants, microdata, lying "Z" dates, boilerplate, garbage."""

from __future__ import annotations

import json

import pytest

from crawler.parsers import parse_article, parse_generic
from crawler.parsers import text as T

BODY = "".join(f"<p>Kalimat isi berita nomor {i} yang cukup panjang untuk dihitung sebagai paragraf artikel.</p>"
               for i in range(5))


def page(head: str = "", body: str = BODY) -> str:
    return f"<html lang='id'><head>{head}</head><body><nav><a href='/'>Beranda</a></nav><div class='isi'>{body}</div></body></html>"


def ld(obj) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


@pytest.mark.parametrize("obj", [
    {"@type": "NewsArticle", "headline": "Judul A", "datePublished": "2024-01-02T08:00:00+07:00"},
    {"@type": "ReportageNewsArticle", "headline": "Judul A", "datePublished": "2024-01-02T08:00:00+07:00"},
    {"@graph": [{"@type": "WebPage"}, {"@type": ["Article"], "headline": "Judul A",
                                       "datePublished": "2024-01-02T08:00:00+07:00"}]},
    [{"@type": "BreadcrumbList"}, {"@type": "Article", "headline": "Judul A", "datePublished": "2024-01-02T08:00:00+07:00"}],
])
def test_json_ld_variants(obj):
    rec = parse_generic(page(ld(obj)), "https://contoh.id/berita/1/judul-a")
    assert rec["headline"] == "Judul A"
    assert rec["published_at"] == "2024-01-02T08:00:00+07:00"
    assert rec["field_sources"]["headline"] == "json-ld"


def test_microdata_fields():
    html = """<html><body><div itemscope itemtype="https://schema.org/NewsArticle">
      <h2 itemprop="headline">Judul Mikrodata</h2>
      <span itemprop="author" itemscope><span itemprop="name">Budi Santoso</span></span>
      <meta itemprop="datePublished" content="2016-02-23T14:49:30+07:00">
      <div itemprop="articleBody">Paragraf pertama berita ini cukup panjang untuk dianggap isi artikel yang sebenarnya.<br><br>
      Paragraf kedua juga cukup panjang sehingga total teks melewati batas minimum dua ratus karakter.<br><br>
      Baca juga: Berita lain<br><br>Paragraf ketiga menutup berita. (ran)</div></div></body></html>"""
    rec = parse_generic(html, "https://contoh.id/a/1")
    assert rec["headline"] == "Judul Mikrodata"
    assert rec["byline"] == ["Budi Santoso"]
    assert rec["published_at"] == "2016-02-23T14:49:30+07:00"
    assert rec["field_sources"]["body"] == "microdata"
    assert "Baca juga" not in rec["body"]
    assert rec["editor"] == "ran"


def test_opengraph_and_h1_in_title():
    head = ('<title>Harga Cabai Naik Tajam - Kabar.com</title><meta property="og:title" content="Harga Cabai Naik Tajam - Kabar.com">'
            '<meta property="article:published_time" content="2023-12-05T09:10:00+07:00">'
            '<meta property="article:tag" content="harga"><meta property="og:image" content="/img/cabai.jpg">')
    rec = parse_generic(page(head, "<h1>Harga Cabai Naik Tajam</h1>" + BODY), "https://kabar.com/read/2023/12/05/1/cabai")
    assert rec["headline"] == "Harga Cabai Naik Tajam"
    assert rec["field_sources"]["headline"] == "h1"
    assert rec["tags"] == ["harga"]
    assert rec["lead_image_url"] == "https://kabar.com/img/cabai.jpg"


def test_og_title_site_affix_stripped():
    assert T.strip_site_affix("Harga Cabai Naik Tajam di Pasar Induk | Kabar Kita") == "Harga Cabai Naik Tajam di Pasar Induk"
    assert T.strip_site_affix("KapanLagi.com: Brandon Salim Makin Dekat") == "Brandon Salim Makin Dekat"


def test_lying_z_is_read_as_visible_local_time():
    # detik 2015: meta pubdate carries a bogus Z on a WIB wall time
    head = '<meta name="pubdate" content="2015-11-05 T10:08:58Z">'
    body = '<h1>Google Umbar Kelemahan Galaxy S6 Edge</h1><div class="date">Kamis, 05/11/2015 10:08 WIB</div>' + BODY
    rec = parse_generic(page(head, body), "https://inet.detik.com/read/2015/11/05/100026/3062623/323/x")
    assert rec["published_at"] == "2015-11-05T10:08:58+07:00"
    assert any("claims UTC" in w for w in rec["warnings"])


def test_real_utc_is_kept_as_the_same_instant():
    # kompas: article:published_time is genuine UTC
    head = '<meta property="article:published_time" content="2023-11-02T14:34:19+00:00">'
    body = '<h1>Banjir Rob Rendam Permukiman</h1><div class="read__time">Kompas.com - 02/11/2023, 21:34 WIB</div>' + BODY
    rec = parse_generic(page(head, body), "https://example.org/a/b-c-d-e")
    assert rec["published_at"] == "2023-11-02T21:34:19+07:00"
    assert not any("claims UTC" in w for w in rec["warnings"])


def test_visible_date_used_when_no_machine_date():
    body = '<span class="tanggal">Selasa, 23 Februari 2016 | 14:11 WIB</span>' + BODY
    rec = parse_generic(page("<title>x</title>", "<h1>Judul Berita Cukup Panjang</h1>" + body), "https://contoh.id/x")
    assert rec["published_at"] == "2016-02-23T14:11:00+07:00"
    assert rec["field_sources"]["published_at"] == "visible"


@pytest.mark.parametrize("para", [
    "Baca juga: Harga cabai naik", "ADVERTISEMENT", "SCROLL TO CONTINUE WITH CONTENT",
    'Simak Video "Menkes Imbau Vaksinasi"', "[Gambas:Video 20detik]", "[Gambas:Video CNN]",
    "Ikuti berita terkini dari kami di Google News", "Follow WhatsApp Channel Okezone untuk update berita",
    "Cek berita dan artikel yg lain di Google News dan WhatsApp channel mediaindonesia.com",
    "Yuk, Simak Juga Video ini!", "COPYRIGHT © ANTARA 2015",
])
def test_indonesian_boilerplate(para):
    assert T.is_boilerplate(para)
    assert T.clean_paragraphs(["Isi berita.", para]) == ["Isi berita."]


def test_boilerplate_removed_from_generic_body_and_initials_become_editor():
    body = ("<article>" + BODY + "<p>ADVERTISEMENT</p><p>Baca juga: lain</p><p>[Gambas:Video 20detik]</p>"
            "<p>Kalimat terakhir berita ini. (vyp/kna)</p></article>")
    rec = parse_generic(page("<title>t</title>", "<h1>Judul Berita Generik Panjang</h1>" + body), "https://contoh.id/berita/9/x")
    assert "ADVERTISEMENT" not in rec["body"] and "Gambas" not in rec["body"] and "Baca juga" not in rec["body"]
    assert rec["editor"] == "vyp/kna"


def test_listing_page_is_not_an_article():
    items = "".join(f"<div class='item'><h3><a href='/berita/{i}/judul-{i}'>Judul {i}</a></h3><p>Ringkasan berita nomor {i} yang cukup panjang untuk teks.</p></div>" for i in range(8))
    rec = parse_generic(f"<html><body><h1>Indeks Berita</h1>{items}</body></html>", "https://contoh.id/indeks")
    assert rec["parse_error"]


@pytest.mark.parametrize("html", ["", "<", "<html>", "\x00\x01", "<script type='application/ld+json'>{bad</script>",
                                  "<meta name=pubdate content='9999-99-99T99:99Z'>" + "<p>x</p>" * 50,
                                  "<div>" * 3000 + "teks" + "</div>" * 3000, b"\xff\xfe\x00garbage"])
def test_never_raises_on_garbage(html):
    for fn in (parse_generic, parse_article):
        rec = fn(html, "https://contoh.id/berita/1/x")
        assert isinstance(rec, dict) and "headline" in rec


def _para(words: str, n: int) -> str:
    return "".join(f"<p>{words} kalimat nomor {i} yang cukup panjang untuk dihitung sebagai paragraf isi artikel.</p>"
                   for i in range(n))


def test_body_split_by_ad_merges_sibling_blocks_but_not_comments(monkeypatch):
    from crawler.parsers.base import ArticlePage

    monkeypatch.setattr(ArticlePage, "library_body", lambda self: ([], [], None))  # our finder alone
    html = ("<html><body><div class='post'><h1>Judul Berita Terbelah</h1>"
            f"<div class='content-part'><div class='txt'>{_para('Bagian pertama', 8)}</div></div>"
            "<div class='iklan-slot'><a href='/x'>Pasang iklan</a></div>"
            f"<div class='content-part'><div class='txt'>{_para('Bagian kedua', 3)}</div></div>"
            f"<div class='comment-list'>{_para('Komentar pembaca', 3)}</div>"
            "</div></body></html>")
    rec = parse_generic(html, "https://contoh.id/read/2024/01/02/1/terbelah")
    assert "Bagian pertama kalimat nomor 0" in rec["body"]
    assert "Bagian kedua kalimat nomor 2" in rec["body"]
    assert rec["body"].index("Bagian pertama") < rec["body"].index("Bagian kedua")
    assert "Komentar pembaca" not in rec["body"]


def test_article_with_linked_headings_in_sidebar_is_not_a_listing():
    sidebar = "".join(f"<h3><a href='/read/2024/01/0{i}/{i}/lain'>Berita lain {i}</a></h3>" for i in range(1, 6))
    html = (f"<html><body><h1>Judul Artikel Panjang</h1><div class='isi'>{_para('Isi utama', 20)}</div>"
            f"<div class='kolom'>{sidebar}</div></body></html>")
    rec = parse_generic(html, "https://contoh.id/read/2024/01/02/9/artikel")
    assert rec["parse_error"] is None
    assert "Isi utama kalimat nomor 19" in rec["body"]


def test_json_ld_article_body_of_html_markup_and_teaser():
    body_html = "<p><strong>Oleh Redaksi</strong></p>" + _para("Isi markup", 4)
    rec = parse_generic(page(ld({"@type": "NewsArticle", "headline": "Judul", "articleBody": body_html})),
                        "https://contoh.id/berita/1/judul")
    assert "<p>" not in rec["body"] and "Isi markup kalimat nomor 3" in rec["body"]
    teaser = "Kalimat isi berita nomor 0 yang cukup panjang untuk dihitung sebagai paragraf artikel. " * 3
    rec = parse_generic(page(ld({"@type": "NewsArticle", "headline": "Judul", "articleBody": teaser}),
                             BODY + BODY.replace("Kalimat", "Lanjutan")),
                        "https://contoh.id/berita/1/judul")
    assert "Lanjutan isi berita nomor 4" in rec["body"]
