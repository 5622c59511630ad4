"""decode_html: HTTP charset, BOM, <meta>, detection; wrong declarations."""

from __future__ import annotations

import pytest

from crawler.parsers import parse_article
from crawler.parsers.encoding import decode_html, detect_encoding

# Indonesian text with the characters that break: curly quotes, en dash, é, ©
TEXT = "“Kami pastikan stok cukup,” kata Hendra – Menteri à la café © 2023. " * 3


def doc(meta: str = "", text: str = TEXT) -> str:
    return f"<!DOCTYPE html><html><head>{meta}<title>Uji</title></head><body><p>{text}</p></body></html>"


def test_utf8_with_http_charset():
    body = doc().encode("utf-8")
    assert TEXT in decode_html(body, "text/html; charset=UTF-8")


def test_windows_1252_declared_in_http_header():
    body = doc().encode("cp1252")
    assert TEXT in decode_html(body, "text/html; charset=windows-1252")


def test_latin1_label_is_read_as_windows_1252():
    # browsers (and w3lib) treat iso-8859-1 as windows-1252: 0x93/0x94 are curly quotes
    body = doc('<meta charset="iso-8859-1">').encode("cp1252")
    assert TEXT in decode_html(body)
    assert TEXT in decode_html(body, "text/html; charset=ISO-8859-1")


def test_meta_http_equiv_declaration():
    body = doc('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">').encode("cp1252")
    assert TEXT in decode_html(body, "text/html")


def test_utf8_bom_without_declaration():
    body = b"\xef\xbb\xbf" + doc().encode("utf-8")
    text = decode_html(body)
    assert TEXT in text
    assert not text.startswith("\ufeff")


def test_bom_wins_over_a_wrong_http_charset():
    body = b"\xef\xbb\xbf" + doc().encode("utf-8")
    assert TEXT in decode_html(body, "text/html; charset=iso-8859-1")


def test_utf16_bom():
    body = "\ufeff".encode("utf-16-le") + doc().encode("utf-16-le")
    assert TEXT in decode_html(body)


def test_meta_says_utf8_but_bytes_are_windows_1252():
    body = doc('<meta charset="utf-8">').encode("cp1252")
    text = decode_html(body)
    assert TEXT in text
    assert "\ufffd" not in text


def test_http_says_latin1_but_bytes_are_utf8():
    # a common server default: mojibake ("â€œ") if the header were trusted
    body = doc().encode("utf-8")
    text = decode_html(body, "text/html; charset=ISO-8859-1")
    assert TEXT in text
    assert "â€" not in text


def test_http_says_utf8_but_bytes_are_windows_1252():
    body = doc().encode("cp1252")
    assert TEXT in decode_html(body, "text/html; charset=utf-8")


def test_no_declaration_windows_1252_is_detected():
    body = doc().encode("cp1252")
    assert TEXT in decode_html(body)


def test_no_declaration_utf8():
    assert TEXT in decode_html(doc().encode("utf-8"))


def test_ascii_only_and_empty():
    assert decode_html(b"") == ""
    assert decode_html(None) == ""
    assert decode_html(b"<p>halo</p>", "text/html; charset=us-ascii") == "<p>halo</p>"
    assert decode_html("sudah teks") == "sudah teks"


def test_unknown_charset_label_falls_back():
    body = doc().encode("utf-8")
    assert TEXT in decode_html(body, "text/html; charset=x-bogus-charset")


def test_undecodable_bytes_never_raise():
    text = decode_html(bytes(range(256)) * 10, "text/html; charset=utf-8")
    assert isinstance(text, str)


@pytest.mark.parametrize("body", [doc().encode("utf-8"), doc().encode("cp1252")])
def test_detect_encoding(body):
    assert detect_encoding(body) in ("utf-8", "cp1252")


def test_parse_article_accepts_bytes():
    html = (
        '<html lang="id"><head><meta charset="windows-1252"><title>x</title></head><body>'
        '<h1>Judul “Berita”</h1><div class="content">'
        + "".join(f"<p>Paragraf {i} “kutipan” – café dan seterusnya untuk mengisi panjang teks.</p>" for i in range(8))
        + "</div></body></html>"
    ).encode("cp1252")
    record = parse_article(html, "https://contoh.id/berita/123/judul")
    assert record["headline"] == "Judul “Berita”"
    assert "“kutipan” – café" in record["body"]
