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


# --- the SQLite fast path writes exactly the general path's bytes -----------------------------

from storage import export as export_module  # noqa: E402

#: cell values that exercise quoting, the formula guard (also behind invisible lead
#: characters, and harmless look-alikes) and UTF-8
TRICKY = [
    "", "plain", 'with "quotes"', "comma, here", "semi; colon", "tab\there", "line\nbreak", "cr\rhere",
    "crlf\r\nhere", "pipe | here", "back\\slash", "'quoted", "=", "-", "@", "+", " ", "\u00a0",
    "=1+1", "+62 812", "-5 persen", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "\n=1", "\u00a0@x", "\ufeff=1",
    "\u200b+1", "\u3000-1", "\u2028=x", " \u2000\t=x", "\u2000 tanpa formula", "\u201ckutipan\u201d di awal",
    "\u2013 pisah", "\u00bfqu\u00e9?", "\U0001F600 emoji", "e=mc2", "A-B", "50%", "\x1c=sep", "\x0b@vt",
]
#: lists as stored in the JSON columns: plain strings, empty items, escapes, other types
TRICKY_LISTS = [
    [], ["a"], ["a", "b"], ["", "x"], ["x", ""], ["a, b", 'c "d"'], ["semi; colon", "x"], ["back\\slash"],
    ["line\nbreak"], ["a\u0001b"], ["=x", "y"], ["y", "=x"], [" =x"], ["\u2000@x"], ["\u201cq\u201d"],
    ["[x]", "]"], [1, 2], [None, "x"], [["nested"]], [True], ["\u00e9t\u00e9", "\U0001F600"],
]


def tricky_items() -> list:
    items = []
    for i, text in enumerate(TRICKY, 1):
        lists = TRICKY_LISTS[i % len(TRICKY_LISTS)]
        items.append(item(i, headline=text, caption=text, body=text or None, dateline=text, editor=text,
                          published_raw=text, caption_credit=text, byline=lists, tags=[text],
                          warnings=TRICKY_LISTS[(i * 7) % len(TRICKY_LISTS)],
                          fetched_at=f"2023-12-06T00:00:{i % 60:02d}.{i * 7919 % 1000000:06d}+00:00" if i % 3
                          else "2023-12-06T07:00:00+07:00"))
    for j, lists in enumerate(TRICKY_LISTS, len(items) + 1):
        items.append(item(j, byline=lists, tags=lists, warnings=lists, updated_at=None, lead_image_url=None))
    return items


def _general_csv(archive, **kwargs) -> bytes:
    fast = export_module._sqlite_csv_lines
    export_module._sqlite_csv_lines = lambda *args, **kw: None
    try:
        out = io.BytesIO()
        export_csv(archive, out, **kwargs)
        return out.getvalue()
    finally:
        export_module._sqlite_csv_lines = fast


def _fast_csv(archive, **kwargs) -> bytes:
    out = io.BytesIO()
    export_csv(archive, out, **kwargs)
    return out.getvalue()


COLUMN_SETS = [
    None,
    ["body", "headline"],
    ["headline", "byline"],
    ["tags", "body", "fetched_at", "revision", "id", "published_utc", "first_seen_at", "warnings"],
    ["byline", "tags"],
    ["field_sources", "body", "site_article_id"],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|", "-"])
def test_fast_path_is_byte_identical_to_the_general_path(archive, delimiter):
    archive.store_batch(tricky_items())
    for columns in COLUMN_SETS:
        cols = list(columns or EXPORT_COLUMNS)
        assert export_module._sqlite_csv_lines(archive, cols, None, None, None, None, 100, delimiter) is not None
        kwargs = dict(columns=columns, delimiter=delimiter, batch=7)
        fast, general = _fast_csv(archive, **kwargs), _general_csv(archive, **kwargs)
        assert fast.decode("utf-8").splitlines() == general.decode("utf-8").splitlines(), (columns, delimiter)
        assert fast == general
        assert len(read_csv(fast.decode("utf-8"), delimiter=delimiter)) == len(TRICKY) + len(TRICKY_LISTS) + 1


def test_fast_path_neutralises_every_dangerous_prefix(archive):
    """Every formula character and every invisible lead character before one, in every
    text and list column, through the fast path."""
    prefixes = list(export_module.FORMULA_PREFIXES) + [
        lead + formula for lead in export_module._INVISIBLE_LEAD for formula in ("=", "@", "\t")]
    columns = ("headline", "editor", "published_raw", "dateline", "caption", "caption_credit", "body", "section",
               "updated_raw", "language", "parser", "url")
    items = [item(i, **{c: f"{p}x" for c in columns}, byline=[f"{p}x", "Aman"], tags=[f"{p}x"],
                  warnings=[f"{p}x"]) for i, p in enumerate(prefixes, 1)]
    archive.store_batch(items)
    data = _fast_csv(archive)
    assert data == _general_csv(archive)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert len(rows) == len(prefixes)
    for row in rows:
        for column in columns + ("byline", "tags", "warnings"):
            assert row[column].startswith("'"), (column, row[column])
            assert neutralize_formula(row[column][1:]) == row[column]


def test_fast_path_streams_and_stored_oddities(archive, tmp_path):
    """Text, binary, unbuffered and non-UTF-8 streams; values not written by Warta
    (JSON in other layouts, invalid JSON, text in a number column, odd timestamps)."""
    from sqlalchemy import text

    archive.store_batch(tricky_items()[:12])
    with archive.engine.begin() as conn:
        for i, (tags, fetched, revision) in enumerate([
            ('["a","b"]', "2023-12-06 03:00:00", "=1"), (' ["a", "b"]', "2023-12-06 03:00:00.5", "abc"),
            ('["a", "b"] ', None, "-2"), ('{"k": "=v"}', "2023-12-06 03:00:00.000000", "7"),
            ('"=just text"', "2023-12-06 03:00:00.000001", 3), ("[1.5, 2]", "2023-12-06T03:00:00", 4),
        ], 1):
            conn.execute(text("UPDATE articles SET tags = :t, fetched_at = :f, revision = :r "
                              "WHERE site_article_id = :i"), {"t": tags, "f": fetched, "r": revision, "i": str(i)})
    expected = _general_csv(archive, bom=True)
    assert _fast_csv(archive, bom=True) == expected
    as_text = io.StringIO(newline="")
    export_csv(archive, as_text, bom=True)
    assert as_text.getvalue().encode("utf-8") == expected
    for name, kwargs in (("text.csv", dict(mode="w", encoding="utf-8", newline="")),
                         ("binary.csv", dict(mode="wb")), ("raw.csv", dict(mode="wb", buffering=0))):
        with open(tmp_path / name, **kwargs) as fh:
            export_csv(archive, fh, bom=True)
        assert (tmp_path / name).read_bytes() == expected, name
    with open(tmp_path / "latin.csv", "w", encoding="utf-16", newline="") as fh:
        export_csv(archive, fh, bom=True)
    assert (tmp_path / "latin.csv").read_bytes().decode("utf-16").encode("utf-8") == expected
    # invalid JSON (the general path cannot read it at all): exported as the stored text
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE articles SET tags = :t WHERE site_article_id = '1'"), {"t": "=not json"})
    rows = read_csv(_fast_csv(archive).decode("utf-8"))
    assert dict(zip(rows[0], rows[1]))["tags"] == "'=not json"


def test_fast_path_reports_progress_and_counts(archive):
    archive.store_batch([item(i) for i in range(1, 26)])
    seen = []
    assert export_csv(archive, io.StringIO(newline=""), batch=10,
                      progress=lambda done, total=None: seen.append(done)) == 25
    assert seen[-1] == 25 and seen == sorted(seen)


@pytest.mark.services
def test_sqlite_and_postgresql_exports_agree(tmp_path, pg_url):
    """SQLite (fast path) and PostgreSQL (general path): the same bytes."""
    exports = []
    for url in (f"sqlite:///{tmp_path / 'agree.sqlite'}", pg_url):
        with Archive(url) as archive:
            archive.store_batch(tricky_items())
            exports.append([_fast_csv(archive, delimiter=d, columns=c) for d in (",", ";")
                            for c in (None, ["tags", "body", "fetched_at", "revision"])])
    assert exports[0] == exports[1]
