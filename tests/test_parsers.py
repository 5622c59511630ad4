"""Targeted parser tests: text rules, fallbacks, parser choice, robustness."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.items import ARTICLE_FIELDS
from crawler.parsers import SITE_PARSERS, parse_article, parse_listing, parser_for
from crawler.parsers import text as T
from crawler.parsers.base import ArticlePage, ElementIndex, GenericPage, block_paragraphs, loads_lenient, parse_html, select
from crawler.parsers.monitor import MonitorIndonesiaPage, MonitorIndonesiaPage2021

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "monitor"
REFERENCE = FIXTURES / "2023-12-05_updated_ri-china-baterai.html"
REF_PATH = "/ekonomi/read/2023/12/421873/ri-china-tingkatkan-kerja-sama-pembuatan-baterai-litium"
REF_URL = "https://monitorindonesia.com" + REF_PATH


def ref_html() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def monitor_page(*, author="", time_html="", figure="", content="", head="", url=None) -> tuple[str, str]:
    """A minimal page in the current Monitor layout."""
    html = f"""<!DOCTYPE html><html lang="id"><head><title>Uji</title>{head}</head><body>
<article class="read"><header class="read__header"><h1 class="read__title">Judul Uji Coba</h1>
<div class="read__info"><div class="read__author">{author}</div>{time_html}</div></header>
{figure}<div class="read__content">{content}</div></article></body></html>"""
    return html, url or REF_URL


# ---------------------------------------------------------------------------
# text helpers
# ---------------------------------------------------------------------------


def test_normalize_ws_collapses_and_nfc():
    assert T.normalize_ws("  Hubungan \u00a0 kerja\tsama\n\n erat ") == "Hubungan kerja sama erat"
    assert T.normalize_ws("Cafe\u0301 kopi\u200b") == "Café kopi"
    assert T.normalize_ws(None) == ""


@pytest.mark.parametrize(
    "text, caption, credit",
    [
        ("Presiden meninjau pabrik (Foto: Setpres)", "Presiden meninjau pabrik", "Setpres"),
        ("Presiden meninjau pabrik Foto: Setpres", "Presiden meninjau pabrik", "Setpres"),
        ("Warga antre di stasiun (ANTARA/Hafidz Mubarak A)", "Warga antre di stasiun", "ANTARA/Hafidz Mubarak A"),
        ("Gedung KPK (Dok. Humas KPK)", "Gedung KPK", "Dok. Humas KPK"),
        ("Petugas memeriksa(MI/Ramdani)", "Petugas memeriksa", "MI/Ramdani"),
        ("Ilustrasi (Foto: Antara/Aprillio Akbar).", "Ilustrasi", "Antara/Aprillio Akbar"),
        ("Depresi berat, waspada diabetes! (Foto: Usnews)", "Depresi berat, waspada diabetes!", "Usnews"),
        ("Banjir Kamis (7/12/2023) (Foto: MI/Rizky)", "Banjir Kamis (7/12/2023)", "MI/Rizky"),
        # not credits: stay in the caption
        ("Gedung Merah Putih Komisi Pemberantasan Korupsi (KPK)", "Gedung Merah Putih Komisi Pemberantasan Korupsi (KPK)", None),
        ("Banjir Senin (4/12)", "Banjir Senin (4/12)", None),
        ("Suasana rapat paripurna DPR", "Suasana rapat paripurna DPR", None),
        ("", None, None),
    ],
)
def test_split_caption_credit(text, caption, credit):
    assert T.split_caption_credit(text) == (caption, credit)


@pytest.mark.parametrize(
    "raw, names",
    [
        (["Rendy Bimantara", "Rendy Bimantara"], ["Rendy Bimantara"]),
        ("Penulis: Rendy Bimantara", ["Rendy Bimantara"]),
        ("Reporter: Rizky Pratama | Penulis: Dewi Lestari", ["Rizky Pratama", "Dewi Lestari"]),
        (["Reporter: Rizky Pratama", "Penulis: Dewi Lestari"], ["Rizky Pratama", "Dewi Lestari"]),
        ("Rizky Pratama | Kompas.com", ["Rizky Pratama"]),
        ("Oleh Yusuf Maulana", ["Yusuf Maulana"]),
        ("Fino Yurio Kristo - detikinet", ["Fino Yurio Kristo"]),
        ("Rizky Pratama dan Dewi Lestari", ["Rizky Pratama", "Dewi Lestari"]),
        ("Rizky Pratama, Dewi Lestari", ["Rizky Pratama", "Dewi Lestari"]),
        ("Dr. Budi Santoso, S.H., M.Si", ["Dr. Budi Santoso"]),
        (["Andi", "andi", "ANDI"], ["Andi"]),
        ("Rendy Bimantara Diperbarui 5 Desember 2023 01:10 WIB", ["Rendy Bimantara"]),
        ("Dan Brown", ["Dan Brown"]),
        (None, []),
    ],
)
def test_clean_byline(raw, names):
    assert T.clean_byline(raw) == names


@pytest.mark.parametrize(
    "lead, place",
    [
        ("Jakarta, MI – RI dan China makin erat", "Jakarta"),
        ("JAKARTA, KOMPAS.com - Presiden Joko Widodo", "Jakarta"),
        ("Jakarta (ANTARA) - Jumlah penumpang", "Jakarta"),
        ("Liputan6.com, Jakarta - Harga emas", "Jakarta"),
        ("REPUBLIKA.CO.ID, JAKARTA -- Pemerintah", "Jakarta"),
        ("TEMPO.CO, Jakarta - Menteri", "Jakarta"),
        ("Jakarta, CNN Indonesia -- Polisi", "Jakarta"),
        ("BANDA ACEH, KOMPAS.com - Banjir", "Banda Aceh"),
        ("SEMARANG, MI – Banjir rob", "Semarang"),
        ("Jakarta - Polisi menangkap", "Jakarta"),
        ("TRIBUNNEWS.COM - Presiden", None),
        ("Hilirisasi nikel kerap disebut sebagai jalan pintas — mulai dari feronikel", None),
        ("Menurut saya – ini keliru", None),
        ("", None),
    ],
)
def test_detect_dateline(lead, place):
    assert T.detect_dateline(lead) == place


@pytest.mark.parametrize(
    "last, editor",
    [
        ("saling menguntungkan kedua belah pihak. (Ran)", "Ran"),
        ("kata dia. (boy/jpnn)", "boy"),
        ("ujar dia.(vyp/kna)", "vyp/kna"),
        ("di Jakarta. (fea/fea)", "fea"),
        ("ujarnya.” (ray)", "ray"),
        ("Komisi Pemberantasan Korupsi (KPK)", None),
        ("dikutip Senin (4/12).", None),
        ("", None),
    ],
)
def test_trailing_initials(last, editor):
    assert T.trailing_initials(last) == editor


@pytest.mark.parametrize(
    "para",
    [
        "Baca juga: Ekspor Baterai Naik",
        "Baca Juga:",
        "BACA JUGA: x",
        "Baca: Harga Emas",
        "Lihat juga: video",
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE WITH CONTENT",
        'Simak Video "Sorak Suporter"',
        "Yuk, simak juga video ini!",
        "[Gambas:Video 20detik]",
        "Ikuti Monitor Indonesia di Google News dan WhatsApp Channel",
        "Follow Berita Okezone di WhatsApp Channel",
        "Topik: baterai, China",
        "Editor: Ranti",
        "Bagikan",
        "Bagikan artikel ini",
    ],
)
def test_boilerplate_paragraphs(para):
    assert T.is_boilerplate(para)


@pytest.mark.parametrize(
    "para",
    [
        "Bacaan Alquran itu dilombakan di Jakarta.",
        "Simak pula pendapat para ahli yang berbeda.",
        "Editornya menolak berkomentar.",
        "Pembaruan: pada Rabu (6/12), KPK menjadwalkan ulang pemeriksaan.",
    ],
)
def test_not_boilerplate(para):
    assert not T.is_boilerplate(para)


@pytest.mark.parametrize(
    "func",
    [T.normalize_ws, T.split_caption_credit, T.clean_byline, T.detect_dateline, T.trailing_initials, T.is_boilerplate, T.editor_from_line],
)
@pytest.mark.parametrize(
    "evil",
    [
        "(" * 50_000 + "x",
        "a" * 100_000 + "(",
        " -" * 50_000,
        "Foto:" * 20_000,
        "Baca juga " * 20_000,
        "Jakarta, " * 20_000 + "MI – x",
        "(" + "a/" * 30_000 + ")",
        "ikuti " + "x " * 50_000 + "whatsapp",
        "Penulis: " * 20_000,
    ],
)
def test_text_regexes_do_not_backtrack(func, evil):
    start = time.perf_counter()
    func(evil)
    assert time.perf_counter() - start < 0.5


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_text_helpers_never_raise(text):
    T.split_caption_credit(text)
    T.clean_byline(text)
    T.detect_dateline(text)
    T.trailing_initials(text)
    T.is_boilerplate(text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' aph1divclassread__contentscript{}[]:,-–()Diperbarui0123456789")), max_size=600))
def test_parse_article_never_raises_on_random_markup(html):
    record = parse_article(html, REF_URL)
    assert list(record) == list(ARTICLE_FIELDS)
    assert not (record["parse_error"] or "").startswith("parser crashed"), record["parse_error"]


def test_language_code():
    assert T.language_code("id-ID") == "id"
    assert T.language_code("in") == "id"
    assert T.language_code("en_US") == "en"
    assert T.language_code("") is None


# ---------------------------------------------------------------------------
# page fields
# ---------------------------------------------------------------------------


def test_byline_printed_twice_is_listed_once():
    author = (
        '<a class="read__author-avatar" href="/penulis/a"><span>Rendy Bimantara</span></a>'
        '<a class="read__author-name" href="/penulis/a">Rendy Bimantara</a>'
        '<a class="read__author-name" href="/penulis/a">Rendy  Bimantara</a>'
    )
    html, url = monitor_page(author=author, content="<p>Jakarta, MI – Isi berita yang cukup panjang.</p>")
    assert parse_article(html, url)["byline"] == ["Rendy Bimantara"]


def test_reference_byline_ignores_avatar_and_caption_not_repeated():
    record = parse_article(ref_html(), REF_URL)
    assert record["byline"] == ["Rendy Bimantara"]
    caption = "Presiden Joko Widodo meninjau pabrik mobil listrik milik PT HLI Green Power"
    # the caption is also printed in the img alt and title: it appears once, without the credit
    assert record["caption"] == caption
    assert record["caption_credit"] == "Setpres"
    assert caption not in record["body"]


def test_baca_juga_ads_and_embeds_are_not_body():
    record = parse_article(ref_html(), REF_URL)
    body = record["body"]
    for junk in ("Baca", "ADVERTISEMENT", "SCROLL TO CONTINUE", "Kemenperin Dorong Hilirisasi", "Ekspor Baterai Kendaraan",
                 "Topik", "Bagikan", "Google News", "Komentar", "Semoga kerja sama", "Terpopuler", "Copyright"):
        assert junk not in body, junk
    assert body.count("\n\n") == 7
    assert "hubungan kerja sama" in body  # double space collapsed


def test_embeds_fixture_drops_tweet_and_instagram():
    html = (FIXTURES / "2023-12-11_embeds_warganet-soroti-tilang-elektronik.html").read_text(encoding="utf-8")
    url = "https://monitorindonesia.com/nasional/read/2023/12/422180/warganet-soroti-tilang-elektronik-di-jalan-tol"
    body = parse_article(html, url)["body"]
    for junk in ("speedometer", "pic.twitter.com", "@rudisantoso_", "Instagram", "Cara Cek Tilang", "ETLE Nasional Diperluas", "Google News"):
        assert junk not in body, junk


def test_dateline_and_initials_stay_in_body():
    record = parse_article(ref_html(), REF_URL)
    assert record["dateline"] == "Jakarta"
    assert record["editor"] == "Ran"
    assert record["body"].startswith("Jakarta, MI – RI dan China")
    assert record["body"].endswith("kedua belah pihak. (Ran)")


def test_two_visible_dates_in_one_element():
    html, url = monitor_page(
        author='<a class="read__author-name">A</a>',
        time_html='<div class="read__time">Dipublikasikan Senin, 04 Des 2023 21:47 WIB<br>Diperbarui 5 Desember 2023 01:10 WIB</div>',
        content="<p>Jakarta, MI – Isi.</p>",
    )
    record = parse_article(html, url)
    assert record["published_raw"] == "Dipublikasikan Senin, 04 Des 2023 21:47 WIB"
    assert record["published_at"] == "2023-12-04T21:47:00+07:00"
    assert record["updated_raw"] == "Diperbarui 5 Desember 2023 01:10 WIB"
    assert record["updated_at"] == "2023-12-05T01:10:00+07:00"
    assert record["field_sources"]["published_at"] == "site"


def test_unparseable_visible_date_keeps_raw_and_warns():
    html, url = monitor_page(
        author='<a class="read__author-name">A</a>',
        time_html='<div class="read__time">Dipublikasikan Senin, 32 Des 2023 10:15 WIB</div>',
        content="<p>Isi berita.</p>",
    )
    record = parse_article(html, url)
    assert record["published_raw"] == "Dipublikasikan Senin, 32 Des 2023 10:15 WIB"
    assert record["published_at"] is None
    assert record["warnings"] == ["published_at: could not parse 'Dipublikasikan Senin, 32 Des 2023 10:15 WIB'"]
    assert record["parse_error"] is None


def test_unparseable_visible_date_falls_back_to_json_ld_with_warning():
    head = '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-12-04T10:15:00+07:00"}</script>'
    html, url = monitor_page(
        author='<a class="read__author-name">A</a>',
        time_html='<div class="read__time">Dipublikasikan 32 Des 2023</div>',
        content="<p>Isi berita.</p>",
        head=head,
    )
    record = parse_article(html, url)
    assert record["published_at"] == "2023-12-04T10:15:00+07:00"
    assert record["published_raw"] == "2023-12-04T10:15:00+07:00"
    assert record["field_sources"]["published_at"] == "json-ld"
    assert record["warnings"] == ["published_at: could not parse 'Dipublikasikan 32 Des 2023'; used json-ld"]


def test_missing_required_fields_warn():
    html, url = monitor_page(content="<p>Isi berita tanpa penulis dan tanggal.</p>")
    record = parse_article(html, url)
    assert record["parse_error"] is None
    assert record["warnings"] == ["byline: not found", "published_at: not found"]


def test_url_fields_amp_and_tracking():
    amp = "https://www.monitorindonesia.com/amp" + REF_PATH + "?utm_source=wa&fbclid=abc#komentar"
    html = ref_html().replace('<link rel="canonical"', '<link rel="x-canonical"').replace('property="og:url"', 'property="og:x"')
    record = parse_article(html, amp)
    assert record["canonical_url"] == REF_URL
    assert record["field_sources"]["canonical_url"] == "url"
    assert record["site_article_id"] == "421873"
    assert record["section"] == "ekonomi"
    assert record["parser"] == "monitor/1"


def test_fetched_at_passed_through():
    record = parse_article(ref_html(), REF_URL, fetched_at="2023-12-05T00:00:00+00:00")
    assert record["fetched_at"] == "2023-12-05T00:00:00+00:00"
    assert record["content_hash"] is None


# ---------------------------------------------------------------------------
# parser choice
# ---------------------------------------------------------------------------


def test_parser_chosen_via_canonical_on_a_mirror():
    record = parse_article(ref_html(), "http://127.0.0.1:8123" + REF_PATH)
    assert record["parser"] == "monitor/1"
    assert record["site"] == "monitorindonesia.com"
    assert record["canonical_url"] == REF_URL
    assert record["url"] == "http://127.0.0.1:8123" + REF_PATH
    assert record["byline"] == ["Rendy Bimantara"]
    assert record["site_article_id"] == "421873"


def test_parser_chosen_via_og_url_when_no_canonical():
    html = ref_html().replace('<link rel="canonical"', '<link rel="x-canonical"')
    record = parse_article(html, "http://127.0.0.1:8123/x")
    assert record["parser"] == "monitor/1"
    assert record["canonical_url"] == REF_URL
    assert record["field_sources"]["canonical_url"] == "og"
    assert record["site_article_id"] == "421873"  # from the canonical URL


def test_parser_by_host_variants():
    assert parser_for("https://www.monitorindonesia.com" + REF_PATH) is MonitorIndonesiaPage
    assert parser_for("https://m.monitorindonesia.com" + REF_PATH) is MonitorIndonesiaPage
    assert parser_for("https://monitorindonesia.com.evil.example/x") is GenericPage
    assert parser_for("https://example.com/x") is GenericPage
    assert parser_for("not a url") is GenericPage
    assert "monitorindonesia.com" in SITE_PARSERS


def test_layout_version_by_markup_and_by_date():
    legacy = FIXTURES / "2021-03-15_legacy-2021_banjir-rob-genangi-pantura-semarang.html"
    root = parse_html(legacy.read_text(encoding="utf-8"))
    assert parser_for("https://monitorindonesia.com/nasional/read/2021/03/1/x", root) is MonitorIndonesiaPage2021
    assert parser_for(REF_URL, parse_html(ref_html())) is MonitorIndonesiaPage
    # no marker matches: the layout valid at the URL's month
    bare = parse_html("<html><body><p>x</p></body></html>")
    assert parser_for("https://monitorindonesia.com/nasional/read/2021/03/1/x", bare) is MonitorIndonesiaPage2021
    assert parser_for("https://monitorindonesia.com/nasional/read/2023/03/1/x", bare) is MonitorIndonesiaPage
    assert MonitorIndonesiaPage2021(None, REF_URL).parser_name == "monitor/0"


def test_generic_fallback_on_minimal_json_ld_graph_page():
    html = """<html><head><title>Kabar</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Kabar Contoh"},
  {"@type": ["ReportageNewsArticle"], "headline": "Sungai Meluap di Hulu",
   "datePublished": "2024-01-02T08:00:00+07:00", "dateModified": "2024-01-02T09:30:00+07:00",
   "author": [{"@type": "Person", "name": "Sari Dewi"}, {"@type": "Organization", "name": "Kabar Contoh"}],
   "image": ["https://contoh.id/img/sungai.jpg"], "articleSection": "Daerah",
   "keywords": "banjir, sungai", "inLanguage": "id-ID",
   "articleBody": "Sungai meluap setelah hujan deras.\\nWarga mengungsi ke balai desa. (sd)",},
]}
</script></head><body><div>menu</div></body></html>"""
    record = parse_article(html, "https://contoh.id/berita/1/sungai")
    assert record["parser"] == "generic/1"
    assert record["site"] == "contoh.id"
    assert record["headline"] == "Sungai Meluap di Hulu"
    assert record["byline"] == ["Sari Dewi"]
    assert record["published_at"] == "2024-01-02T08:00:00+07:00"
    assert record["updated_at"] == "2024-01-02T09:30:00+07:00"
    assert record["body"] == "Sungai meluap setelah hujan deras.\n\nWarga mengungsi ke balai desa. (sd)"
    assert record["editor"] == "sd"
    assert record["tags"] == ["banjir", "sungai"]
    assert record["section"] == "daerah"
    assert record["lead_image_url"] == "https://contoh.id/img/sungai.jpg"
    assert record["language"] == "id"
    assert record["field_sources"]["headline"] == "json-ld"
    assert record["field_sources"]["body"] == "json-ld"
    assert record["parse_error"] is None


def test_generic_largest_block_and_meta_fallbacks():
    paras = "".join(f"<p>Paragraf ke-{i} berisi kalimat yang cukup panjang untuk dihitung sebagai isi.</p>" for i in range(6))
    html = f"""<html lang="id"><head><meta property="og:title" content="Judul dari OG">
<meta name="author" content="Penulis: Budi Santoso">
<meta property="article:published_time" content="2024-02-01T10:00:00+07:00">
<meta property="og:image" content="/img/foto.jpg"></head>
<body><nav><p>Beranda Politik Ekonomi</p></nav><h1>Judul dari H1</h1>
<div class="konten">{paras}<p>Baca juga: Berita lain</p><div class="share"><p>Bagikan ke teman</p></div></div>
<aside><p>Terpopuler hari ini</p></aside></body></html>"""
    record = parse_article(html, "https://contoh.id/berita/2/judul")
    assert record["headline"] == "Judul dari OG"
    assert record["byline"] == ["Budi Santoso"]
    assert record["published_at"] == "2024-02-01T10:00:00+07:00"
    assert record["field_sources"]["published_at"] == "meta"
    assert record["lead_image_url"] == "https://contoh.id/img/foto.jpg"
    assert record["field_sources"]["body"] == "largest-block"
    assert record["body"].count("\n\n") == 5
    assert "Baca juga" not in record["body"] and "Bagikan" not in record["body"]


def test_malformed_json_ld_is_tolerated():
    assert loads_lenient('{"a": [1, 2,], }') == {"a": [1, 2]}
    assert loads_lenient('<!-- {"a": 1} -->') == {"a": 1}
    assert loads_lenient('{"a": "line\nbreak"}') == {"a": "line\nbreak"}
    assert loads_lenient('{"a": 1} trailing junk') == {"a": 1}
    assert loads_lenient("{not json") is None
    assert loads_lenient("") is None
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    html, url = monitor_page(head=head, author='<a class="read__author-name">A</a>', content="<p>Isi.</p>")
    assert parse_article(html, url)["headline"] == "Judul Uji Coba"


# ---------------------------------------------------------------------------
# non-articles and robustness
# ---------------------------------------------------------------------------


def assert_schema(record):
    assert list(record) == list(ARTICLE_FIELDS)
    json.dumps(record)  # JSON-serialisable


@pytest.mark.parametrize(
    "name, url, error",
    [
        ("2023-12-05_listing-indeks_page-2.html", "https://monitorindonesia.com/indeks?page=2", "not an article: no body"),
        ("2023-12-05_listing-section_hukum-page-5.html", "https://monitorindonesia.com/hukum?page=5", "not an article: no body"),
        ("2023-12-05_soft-404_halaman-tidak-ditemukan.html", "https://monitorindonesia.com/ekonomi/read/2023/12/9/x", "not an article: page not found"),
    ],
)
def test_non_article_pages(name, url, error):
    record = parse_article((FIXTURES / name).read_text(encoding="utf-8"), url)
    assert_schema(record)
    assert record["parse_error"] == error
    assert record["headline"] is None and record["body"] is None


def test_404_without_site_markup_on_other_site():
    html = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><p>nginx</p></body></html>"
    record = parse_article(html, "https://contoh.id/berita/1/x")
    assert record["parse_error"] == "not an article: page not found"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        None,
        b"",
        b"\x00\x01\x02\xff\xfe",
        "<",
        "<html>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><h1>x</h1></body></html>",
        "\ud800 lone surrogate <h1>x</h1>",
        "<div>" * 20_000 + "teks" + "</div>" * 20_000,
        "<p>" + "kata " * 500_000 + "</p>",
        '<script type="application/ld+json">' + "[" * 5000 + "</script>",
        '<html><head><link rel="canonical" href="http://[::1"></head><body><h1>x</h1></body></html>',
        "<html><body><table><tr><td><p>a<td>b</table><h1>Judul</h1><p>" + "x" * 300 + "</p>",
        12345,
    ],
)
def test_never_raises(html):
    record = parse_article(html, "https://monitorindonesia.com" + REF_PATH)
    assert_schema(record)
    assert record["parse_error"] is None or record["parse_error"].startswith("not an article") or record["parse_error"].startswith("parser crashed")


@pytest.mark.parametrize("url", ["", None, "::::", "http://[::1", "https://", 42])
def test_never_raises_on_bad_urls(url):
    record = parse_article(ref_html(), url)
    assert_schema(record)


def test_huge_input_is_fast_enough():
    html = ref_html().replace("<p>Adapun", "<p>" + "kata panjang " * 200_000 + "</p><p>Adapun")
    start = time.perf_counter()
    record = parse_article(html, REF_URL)
    assert time.perf_counter() - start < 10
    assert_schema(record)


def test_internal_error_becomes_parse_error(monkeypatch):
    def boom(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(MonitorIndonesiaPage, "headline", boom)
    record = parse_article(ref_html(), REF_URL, fetched_at="2023-12-05T00:00:00Z")
    assert_schema(record)
    assert record["parse_error"] == "parser crashed: RuntimeError: boom"
    assert record["url"] == REF_URL
    assert record["fetched_at"] == "2023-12-05T00:00:00Z"


# ---------------------------------------------------------------------------
# listings
# ---------------------------------------------------------------------------


def test_listing_fallback_to_article_links():
    html = """<html><body>
<a href="/ekonomi/read/2023/12/1/satu">Satu</a>
<a href="/ekonomi/read/2023/12/1/satu#komentar"><img alt=""></a>
<a href="https://monitorindonesia.com/hukum/read/2023/12/2/dua" title="Dua"></a>
<a href="/tag/china">China</a><a href="/indeks?page=3" rel="next">Berikutnya</a>
</body></html>"""
    # unknown host and no canonical: the generic article-URL shapes, resolved on the mirror
    listing = parse_listing(html, "http://127.0.0.1:8123/indeks?page=2")
    assert [i["url"] for i in listing["items"]] == [
        "http://127.0.0.1:8123/ekonomi/read/2023/12/1/satu",
        "https://monitorindonesia.com/hukum/read/2023/12/2/dua",
    ]
    listing = parse_listing(html, "https://monitorindonesia.com/indeks?page=2")
    assert listing == {
        "items": [
            {"url": "https://monitorindonesia.com/ekonomi/read/2023/12/1/satu", "headline": "Satu", "published_raw": None, "published_at": None},
            {"url": "https://monitorindonesia.com/hukum/read/2023/12/2/dua", "headline": "Dua", "published_raw": None, "published_at": None},
        ],
        "next_url": "https://monitorindonesia.com/indeks?page=3",
    }


def test_listing_on_mirror_resolves_against_mirror():
    html = (FIXTURES / "2023-12-05_listing-section_hukum-page-5.html").read_text(encoding="utf-8")
    listing = parse_listing(html, "http://127.0.0.1:8123/hukum?page=5")
    urls = [item["url"] for item in listing["items"]]
    assert urls[0] == "http://127.0.0.1:8123/hukum/read/2023/11/419204/mk-tolak-gugatan-batas-usia-pimpinan-kpk"
    assert len(urls) == 4


@pytest.mark.parametrize("html", ["", None, "<<<", b"\xff"])
def test_listing_never_raises(html):
    assert parse_listing(html, "https://monitorindonesia.com/indeks") == {"items": [], "next_url": None}


# ---------------------------------------------------------------------------
# internals
# ---------------------------------------------------------------------------


SELECTORS = sorted(
    {
        css
        for cls in (MonitorIndonesiaPage, MonitorIndonesiaPage2021)
        for css in (cls.MARKER, cls.SITE_HEADLINE, cls.SITE_BYLINE, cls.SITE_EDITOR, cls.SITE_DATES, cls.SITE_CAPTION,
                    cls.SITE_IMAGE, cls.SITE_BODY, cls.SITE_TAGS, cls.LISTING_ITEM, cls.LISTING_NEXT)
        if css
    }
    | {"a[rel~=tag]", "figure", "h1", "link[rel~=canonical]", "div.ads.ads--inline", "p.comments__text"}
)


@pytest.mark.parametrize("page", sorted(FIXTURES.glob("*.html")), ids=lambda p: p.stem)
def test_element_index_matches_cssselect(page):
    root = parse_html(page.read_text(encoding="utf-8"))
    index = ElementIndex(root)
    for css in SELECTORS:
        assert index.select(css) == select(root, css), css


def test_block_paragraphs_layout():
    root = parse_html("<div>a<p>b <span>c</span></p>d<br>e<script>x</script>f<div class='ads'>AD</div>g</div>")
    from crawler.parsers.base import default_skip

    assert block_paragraphs(root.find(".//div"), default_skip) == ["a", "b c", "d", "ef", "g"]


def test_page_object_api():
    page = MonitorIndonesiaPage(ref_html(), REF_URL)
    assert isinstance(page, ArticlePage)
    assert page.headline() == "RI-China Tingkatkan Kerja Sama Pembuatan Baterai Litium"
    assert page.published().at == "2023-12-04T21:47:00+07:00"
    assert page.updated().raw == "Diperbarui 5 Desember 2023 01:10 WIB"
    assert page.tags() == ["baterai litium", "China", "Kemenperin"]
    assert page.field_sources["headline"] == "site"
    assert page.to_dict()["parser"] == "monitor/1"
