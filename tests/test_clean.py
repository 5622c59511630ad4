"""The clean-text pipeline: what every article looks like before it is hashed and stored."""

from crawler.items import PageItem, empty_article
from pipelines.clean import CleanTextPipeline, clean_article


def article(**fields):
    a = empty_article("https://monitorindonesia.com/ekonomi/read/2023/12/1/x")
    a.update(fields)
    return a


def test_nfc_and_whitespace_in_line_fields():
    a = clean_article(article(headline="  Kerja\u00a0Sama  RI\u200b-China\n", caption="Cafe\u0301  baru"))
    assert a["headline"] == "Kerja Sama RI-China"
    assert a["caption"] == "Café baru"  # NFC: one code point
    assert len(a["caption"]) == len("Café baru")


def test_body_keeps_paragraphs_and_collapses_spaces():
    a = clean_article(article(body="Jakarta, MI – RI dan  China.\n\n\n  Kedua   negara.  \n\nAkhir. (Ran)"))
    assert a["body"] == "Jakarta, MI – RI dan China.\n\nKedua negara.\n\nAkhir. (Ran)"


def test_repeated_byline_and_caption_paragraphs_dropped():
    a = clean_article(article(
        byline=["Rendy Bimantara", "rendy bimantara", " "],
        caption="Presiden meninjau pabrik", caption_credit="Setpres",
        body="Rendy Bimantara\n\nPresiden meninjau pabrik (Foto: Setpres)\n\nIsi berita.\n\nPresiden meninjau pabrik"))
    assert a["byline"] == ["Rendy Bimantara"]
    assert a["body"] == "Isi berita."


def test_empty_strings_become_null_and_tags_deduped():
    a = clean_article(article(editor="  ", tags=["China", "china", "Baterai"]))
    assert a["editor"] is None
    assert a["tags"] == ["China", "Baterai"]


def test_pipeline_leaves_parse_errors_and_pages_alone():
    broken = article(parse_error="not an article: no body", headline="  x  ")
    item = PageItem(page={"url": "u"}, article=broken)
    assert CleanTextPipeline().process_item(item)["article"]["headline"] == "  x  "
    assert CleanTextPipeline().process_item(PageItem(page={"url": "u"}, article=None))["article"] is None
