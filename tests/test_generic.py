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


# -- body finder rules measured on ../shared/datasets/trafilatura (each a general rule) ---------------


def _finder_only(monkeypatch):
    from crawler.parsers.base import ArticlePage

    monkeypatch.setattr(ArticlePage, "library_body", lambda self: ([], [], None))


def test_layout_wrapper_with_furniture_word_is_not_furniture(monkeypatch):
    # "layout-article-with-sidebar" / "comments-enabled" on the wrappers of the whole article:
    # an ancestor that also holds the headline is page layout, not a sidebar or a comment thread
    _finder_only(monkeypatch)
    html = ("<html class='layout-article-with-sidebar'><body><main class='l-grid--article-sidebar'>"
            "<div class='comments-enabled'><h1>Judul Artikel Dengan Sidebar</h1>"
            f"<div class='isi'>{_para('Isi utama', 6)}</div></div></main>"
            "<aside class='sidebar'><p>Terpopuler hari ini</p></aside></body></html>")
    rec = parse_generic(html, "https://contoh.id/read/2024/01/02/7/sidebar")
    assert rec["field_sources"]["body"] == "largest-block"
    assert "Isi utama kalimat nomor 5" in rec["body"]


def test_comment_thread_marked_by_id_is_not_the_body(monkeypatch):
    _finder_only(monkeypatch)
    comments = "".join(f"<li id='comment-{i}'><p>Komentar pembaca nomor {i} yang panjang sekali, lebih panjang dari "
                       f"isi artikelnya sendiri, dan terus berlanjut tanpa henti sampai akhir.</p></li>" for i in range(12))
    for html in (  # the thread longer than the article / inside the article's own container
            f"<html><body><div id='content'><h1>Judul Berita Dengan Komentar</h1><div class='isi'>{_para('Isi utama', 3)}</div>"
            f"<ol id='commentlist'>{comments}</ol></div></body></html>",
            f"<html><body><h1>Judul Berita Dengan Komentar</h1><div class='isi'>{_para('Isi utama', 8)}"
            f"<ol id='commentlist'>{comments[:800]}</ol></div></body></html>"):
        rec = parse_generic(html, "https://contoh.id/read/2024/01/02/8/komentar")
        assert "Isi utama kalimat nomor 2" in rec["body"]
        assert "Komentar pembaca" not in rec["body"]


LEAD = "Pemerintah menaikkan harga beras medium mulai pekan depan untuk menekan inflasi di daerah."


def test_lead_between_headline_and_body_block_is_kept(monkeypatch):
    _finder_only(monkeypatch)
    html = ("<html><body><article><header><h1>Harga Beras Medium Naik Pekan Depan</h1>"
            f"<p class='intro'>{LEAD}</p><div class='byline'>Oleh Budi Santoso</div>"
            "<div>Kamis, 02/11/2023 21:34 WIB</div></header>"
            f"<div class='isi'>{_para('Isi utama', 6)}</div></article></body></html>")
    rec = parse_generic(html, "https://contoh.id/read/2023/11/02/1/beras")
    assert rec["body"].startswith(LEAD)
    assert "Budi Santoso" not in rec["body"] and "21:34" not in rec["body"]
    assert "Isi utama kalimat nomor 5" in rec["body"]


def test_caption_and_pull_quote_above_the_body_are_not_leads(monkeypatch):
    _finder_only(monkeypatch)
    caption = ("Petugas BMKG mengawasi sebaran abu vulkanik Gunung Rinjani di kantor BMKG Banyuwangi, Jawa Timur, "
               "Kamis (5/11). (ANTARA FOTO/Budi Setya)")
    quoted = "Isi utama kalimat nomor 2 yang cukup panjang untuk dihitung sebagai paragraf isi artikel."
    html = ("<html><body><div class='artikel'><h1>Penerbangan di Lombok Dibatalkan</h1>"
            f"<div id='image_news'><img src='/f.jpg'><div id='caption_news'>{caption}</div></div>"
            f"<div class='pullquote'>“{quoted}”</div>"
            f"<div class='isi'>{_para('Isi utama', 6)}</div></div></body></html>")
    rec = parse_generic(html, "https://contoh.id/read/2015/11/05/2/rinjani")
    assert "Petugas BMKG" not in rec["body"]
    assert rec["body"].count("Isi utama kalimat nomor 2") == 1
    assert rec["body"].startswith("Isi utama kalimat nomor 0")


def test_microdata_body_gets_its_lead():
    html = ("<html><body><div itemscope itemtype='https://schema.org/NewsArticle'><h1 itemprop='headline'>Judul Mikro</h1>"
            f"<p class='standfirst'>{LEAD}</p><div itemprop='articleBody'>{_para('Isi mikro', 4)}</div></div></body></html>")
    rec = parse_generic(html, "https://contoh.id/a/2")
    assert rec["field_sources"]["body"] == "microdata"
    assert rec["body"].startswith(LEAD)


def test_photo_boxes_post_meta_ratings_and_author_box_inside_the_body_are_dropped(monkeypatch):
    _finder_only(monkeypatch)
    body = (_para("Isi utama", 3)
            + "<div class='imginline'><img src='/a.png'><span>Abbildung: Vergleich der Schneehöhe auf dem Gletscher.</span></div>"
            + _para("Isi lanjutan", 3)
            + "<time datetime='2019-01-11'>11 Jan 2019</time>"
            + "<p class='postmetadata alt'>Der Beitrag wurde am Mittwoch veröffentlicht und unter Allgemein abgelegt.</p>"
            + "<span class='post-ratings'>War der Artikel nützlich? (95 Stimmen)</span>"
            + "<div class='author-box'><p>Über den Autor: schreibt seit 25 Jahren über Wein und noch viel mehr.</p></div>"
            + "<p>- Anzeige -</p>")
    html = f"<html><body><h1>Judul Artikel Berfoto</h1><div class='isi'>{body}</div></body></html>"
    rec = parse_generic(html, "https://contoh.id/read/2019/01/11/3/foto")
    for gone in ("Abbildung", "11 Jan 2019", "Der Beitrag wurde", "nützlich", "Über den Autor", "Anzeige"):
        assert gone not in rec["body"], gone
    assert "Isi lanjutan kalimat nomor 2" in rec["body"]


@pytest.mark.parametrize("para", ["- Anzeige -", "Werbung", "PUBLICIDAD", "— Advertisement —", "Sponsored"])
def test_ad_labels_in_other_languages_are_boilerplate(para):
    assert T.is_boilerplate(para)
    assert not T.is_boilerplate("Anzeige gegen Unbekannt erstattet: die Polizei ermittelt.")


def _short_article() -> str:
    return (f"<html><body><h1>Judul Artikel Pendek Sekali</h1><div class='isi'>{_para('Isi utama', 4)}</div>"
            "<ul class='daftar'>" + "".join(f"<li><a href='/read/{i}'>Berita terbaru nomor {i} hari ini</a></li>"
                                              for i in range(6)) + "</ul></body></html>")


def test_ensemble_takes_trafilaturas_text_when_the_finder_is_unsure(monkeypatch):
    from crawler.parsers.base import ArticlePage

    theirs = [f"Isi utama kalimat nomor {i} yang cukup panjang untuk dihitung sebagai paragraf isi artikel." for i in range(4)]
    theirs.insert(0, "Paragraf pembuka yang hanya ditemukan oleh trafilatura, cukup panjang untuk dihitung.")
    monkeypatch.setattr(ArticlePage, "library_body", lambda self: (list(theirs), list(theirs), "trafilatura"))
    rec = parse_generic(_short_article(), "https://contoh.id/read/2024/01/02/4/pendek")
    assert rec["field_sources"]["body"] == "trafilatura"
    assert rec["body"].startswith("Paragraf pembuka")


def test_ensemble_keeps_the_finder_when_trafilatura_adds_link_lists_or_nothing(monkeypatch):
    from crawler.parsers.base import ArticlePage

    ours = [f"Isi utama kalimat nomor {i} yang cukup panjang untuk dihitung sebagai paragraf isi artikel." for i in range(4)]
    links = [f"- Berita terbaru nomor {i} hari ini" for i in range(6)]
    for theirs in (ours + links, list(ours)):  # padded with the page's link list / the same text
        monkeypatch.setattr(ArticlePage, "library_body", lambda self, t=theirs: (list(t), list(t), "trafilatura"))
        rec = parse_generic(_short_article(), "https://contoh.id/read/2024/01/02/5/pendek")
        assert rec["field_sources"]["body"] == "largest-block"
        assert "Berita terbaru" not in rec["body"]


def test_long_block_holding_its_whole_article_skips_trafilatura(monkeypatch):
    from crawler.parsers.base import ArticlePage

    calls = []
    monkeypatch.setattr(ArticlePage, "library_body", lambda self: calls.append(1) or ([], [], None))
    html = f"<html><body><article><h1>Judul Artikel Panjang Sekali</h1><div class='isi'>{_para('Isi panjang', 60)}</div></article></body></html>"
    rec = parse_generic(html, "https://contoh.id/read/2024/01/02/6/panjang")
    assert rec["field_sources"]["body"] == "largest-block" and not calls
