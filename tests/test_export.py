"""storage.export: CSV / JSONL export (round trip, formula injection, BOM, filters, streaming)."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import pytest

from crawler.items import PageItem, empty_article
from storage.export import EXPORT_COLUMNS, export_csv, export_jsonl, neutralize_formula
from storage.repository import Archive

SITE = "monitorindonesia.com"

TRICKY_BODY = (
    'Jakarta, MI - Menteri berkata: "Kita harus, dengan segala cara, mempercepat hilirisasi."\n\n'
    "Paragraf kedua; dengan titik koma, koma, dan emoji \U0001F1EE\U0001F1E9 \U0001F50B.\r\n"
    "Baris dengan CRLF di dalamnya.\n\n"
    "Rp 1.000.000 — 50% \u201ckutipan\u201d ‘tunggal’ café"
)


def item(i: int, *, site: str = SITE, section: str = "ekonomi",
         published_at: str | None = "2023-12-05T01:10:00+07:00", **fields) -> PageItem:
    url = f"https://{site}/{section}/read/2023/12/{i}/artikel-{i}"
    article = empty_article(url)
    article.update(
        canonical_url=url,
        site=site,
        site_article_id=str(i),
        section=section,
        headline=f"Judul artikel {i}",
        byline=["Rizky Amin", "Dewi Lestari"],
        editor="Ran",
        published_at=published_at,
        published_raw="Selasa, 05 Desember 2023 | 01:10 WIB",
        caption="Presiden Joko Widodo",
        caption_credit="Setpres",
        lead_image_url=f"https://img.{site}/{i}.jpg",
        body=f"Isi artikel {i}.",
        tags=["baterai", "china"],
        language="id",
        parser="monitor/1",
        fetched_at="2023-12-06T00:00:00+00:00",
        warnings=["updated_at: not shown on the page"],
    )
    article.update(fields)
    return PageItem(page={"url": url, "status": 200, "body": b"<html></html>", "kind": "article",
                          "fetched_at": "2023-12-06T00:00:00+00:00"}, article=article)


@pytest.fixture
def archive(tmp_path):
    archive = Archive(f"sqlite:///{tmp_path / 'warta.sqlite'}")
    yield archive
    archive.dispose()


def read_csv(data: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline=""), delimiter=delimiter))


def test_round_trip_through_csv_reader(db_url):
    archive = Archive(db_url)
    try:
        tricky = item(1, body=TRICKY_BODY, headline='Judul "dengan kutip", koma; dan titik koma',
                      dateline="Jakarta", tags=["energi baru", "hilirisasi"])
        archive.store_batch([tricky, item(2)])
        out = io.StringIO(newline="")
        assert export_csv(archive, out) == 2
        rows = read_csv(out.getvalue())
    finally:
        archive.dispose()
    assert rows[0] == list(EXPORT_COLUMNS)
    assert len(rows) == 3
    record = dict(zip(rows[0], rows[1]))
    assert record["body"] == TRICKY_BODY  # multi-line, CR LF, quotes, emoji: byte-exact
    assert record["headline"] == 'Judul "dengan kutip", koma; dan titik koma'
    assert record["byline"] == "Rizky Amin; Dewi Lestari"
    assert record["tags"] == "energi baru; hilirisasi"
    assert record["warnings"] == "updated_at: not shown on the page"
    assert record["published_at"] == "2023-12-05T01:10:00+07:00"
    assert record["fetched_at"] == "2023-12-06T00:00:00+00:00"
    assert record["canonical_url"] == f"https://{SITE}/ekonomi/read/2023/12/1/artikel-1"
    assert record["revision"] == "1"
    assert record["updated_at"] == "" and record["dateline"] == "Jakarta"
    assert len(record["content_hash"]) == 64


def test_line_endings_are_crlf(archive):
    archive.store_batch([item(1)])
    out = io.StringIO(newline="")
    export_csv(archive, out)
    lines = out.getvalue().split("\r\n")
    assert len(lines) == 3 and lines[-1] == ""


@pytest.mark.parametrize("dangerous", [
    "=HYPERLINK(\"http://evil.example\",\"klik\")",
    "+62 812 3456",
    "-5 persen",
    "@SUM(A1:A2)",
    "\tdengan tab",
    "\rdengan CR",
    "=1+1",
])
def test_formula_injection_is_neutralised(archive, dangerous):
    archive.store_batch([item(1, headline=dangerous, caption=dangerous, byline=[dangerous, "Aman"],
                              tags=[dangerous])])
    out = io.StringIO(newline="")
    export_csv(archive, out)
    record = dict(zip(*read_csv(out.getvalue())))
    assert record["headline"] == "'" + dangerous
    assert record["caption"] == "'" + dangerous
    assert record["byline"] == "'" + dangerous + "; Aman"
    assert record["tags"] == "'" + dangerous
    assert record["revision"] == "1"  # numbers are left alone


def test_harmless_cells_are_untouched():
    for text in ("Jakarta", "Rp 5.000", "50%", "A-B", "'quoted", "e=mc2", ""):
        assert neutralize_formula(text) == text


def test_jsonl_is_not_neutralised(archive):
    archive.store_batch([item(1, headline="=1+1", body=TRICKY_BODY)])
    out = io.StringIO()
    assert export_jsonl(archive, out) == 1
    record = json.loads(out.getvalue().splitlines()[0])
    assert record["headline"] == "=1+1"
    assert record["body"] == TRICKY_BODY
    assert record["byline"] == ["Rizky Amin", "Dewi Lestari"] and record["revision"] == 1
    assert list(record) == list(EXPORT_COLUMNS)
    assert "\U0001F50B" in out.getvalue()  # UTF-8, not \\u escapes


def test_bom_and_binary_streams(archive):
    archive.store_batch([item(1, headline="Kabar café \U0001F600")])
    plain = io.BytesIO()
    export_csv(archive, plain)
    assert not plain.getvalue().startswith(b"\xef\xbb\xbf")
    assert "Kabar café \U0001F600".encode("utf-8") in plain.getvalue()
    with_bom = io.BytesIO()
    export_csv(archive, with_bom, bom=True)
    assert with_bom.getvalue().startswith(b"\xef\xbb\xbf")
    assert with_bom.getvalue()[3:] == plain.getvalue()
    assert not with_bom.closed  # the caller's stream stays open
    decoded = with_bom.getvalue().decode("utf-8-sig")
    assert read_csv(decoded)[0] == list(EXPORT_COLUMNS)
    text = io.StringIO(newline="")
    export_csv(archive, text, bom=True)
    assert text.getvalue().startswith("\ufeff")


def test_binary_file_on_disk(archive, tmp_path):
    archive.store_batch([item(1, body=TRICKY_BODY)])
    path = tmp_path / "out.csv"
    with open(path, "wb") as fh:
        export_csv(archive, fh, bom=True)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert dict(zip(*rows))["body"] == TRICKY_BODY


def test_delimiter_and_columns(archive):
    archive.store_batch([item(1)])
    out = io.StringIO(newline="")
    export_csv(archive, out, delimiter=";", columns=["headline", "tags", "published_utc"])
    rows = read_csv(out.getvalue(), delimiter=";")
    assert rows == [["headline", "tags", "published_utc"], ["Judul artikel 1", "baterai; china", "2023-12-04T18:10:00+00:00"]]
    with pytest.raises(ValueError, match="unknown export column"):
        export_csv(archive, io.StringIO(), columns=["headline", "nope"])


def test_filters(archive):
    archive.store_batch([
        item(1, published_at="2023-12-04T23:59:00+07:00"),
        item(2, published_at="2023-12-05T00:00:00+07:00"),               # first minute of the 5th (WIB)
        item(3, published_at="2023-12-05T23:59:59+07:00"),               # last second of the 5th
        item(4, published_at="2023-12-05T23:30:00+08:00"),               # WITA: 22:30 WIB on the 5th
        item(5, published_at="2023-12-06T00:00:00+07:00"),
        item(6, section="politik", published_at="2023-12-05T10:00:00+07:00"),
        item(7, site="other.example", published_at="2023-12-05T10:00:00+07:00"),
        item(8, published_at=None, published_raw="kemarin"),
    ])

    def ids(**filters):
        out = io.StringIO(newline="")
        export_csv(archive, out, columns=["site_article_id"], **filters)
        return [row[0] for row in read_csv(out.getvalue())[1:]]

    assert ids() == ["1", "2", "6", "7", "4", "3", "5", "8"]  # by publication time, unknown last
    assert ids(since="2023-12-05", until="2023-12-05") == ["2", "6", "7", "4", "3"]
    assert ids(since="2023-12-05", until="2023-12-05", site="monitorindonesia.com") == ["2", "6", "4", "3"]
    assert ids(site="https://www.monitorindonesia.com/") == ["1", "2", "6", "4", "3", "5", "8"]
    assert ids(site="other.example") == ["7"]
    assert ids(section="Politik") == ["6"]
    assert ids(until="2023-12-04") == ["1"]
    assert ids(since="2023-12-06") == ["5"]
    assert ids(since="2023-12-05T10:00:00+07:00", until="2023-12-05T22:30:00+07:00") == ["6", "7"]
    jsonl = io.StringIO()
    assert export_jsonl(archive, jsonl, site=SITE, section="ekonomi", since="2023-12-05", until="2023-12-05") == 3


def test_empty_export_writes_header_only(archive):
    out = io.StringIO(newline="")
    assert export_csv(archive, out) == 0
    assert read_csv(out.getvalue()) == [list(EXPORT_COLUMNS)]


class _Sink(io.TextIOBase):
    """A text stream that keeps nothing (so only the exporter's memory is measured)."""

    def __init__(self) -> None:
        self.chars = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.chars += len(s)
        return len(s)


def test_export_memory_is_flat(archive):
    body = "Isi berita yang cukup panjang untuk diukur. " * 20
    batch = []
    for i in range(22_000):
        batch.append(item(i, site="small.example" if i < 2_000 else "big.example", body=body))
        if len(batch) == 2_000:
            archive.store_batch(batch)
            batch = []

    def peak(site: str, fn) -> tuple[int, int]:
        sink = _Sink()
        tracemalloc.start()
        try:
            rows = fn(archive, sink, site=site)
            return rows, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    for fn in (export_csv, export_jsonl):
        fn(archive, _Sink(), site="small.example")  # warm caches (compiled SQL etc.)
        small_rows, small_peak = peak("small.example", fn)
        big_rows, big_peak = peak("big.example", fn)
        assert (small_rows, big_rows) == (2_000, 20_000)
        # 10x the rows, (roughly) the same memory: rows are streamed, never collected
        assert big_peak < small_peak * 1.5 + 256 * 1024, (fn.__name__, small_peak, big_peak)
