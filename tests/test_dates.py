"""Tests for pipelines.dates: the hand-written table, the shared id-dates dataset,
never-raise properties, bounded time on adversarial input, and DatesPipeline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.items import PageItem, empty_article
from pipelines import dates as dates_mod
from pipelines.dates import WIB, WIT, WITA, DatesPipeline, parse_date, parse_date_raw, to_iso

HERE = Path(__file__).resolve().parent
TABLE = HERE / "data" / "dates_table.tsv"
DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "id-dates.jsonl"
TABLE_NOW = datetime(2023, 12, 5, 10, 0, tzinfo=timezone(timedelta(hours=7)))


# ---------------------------------------------------------------------------------------
# The hand-written table
# ---------------------------------------------------------------------------------------


def load_table() -> list[tuple[str, str | None, datetime]]:
    rows = []
    for lineno, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        expected, now, text = line.split("\t", 2)
        rows.append(
            (
                text,
                None if expected == "None" else expected,
                TABLE_NOW if now == "-" else datetime.fromisoformat(now),
            )
        )
    return rows


TABLE_ROWS = load_table()


def test_table_is_big_enough_and_covers_the_brief():
    assert len(TABLE_ROWS) >= 100
    texts = {t for t, _, _ in TABLE_ROWS}
    for must in (
        "Diperbarui 5 Desember 2023 01:10 WIB",
        "Senin, 04 Des 2023 10:15 WIB",
        "Kompas.com - 02/11/2023, 21:34 WIB",
        "Jum'at, 03 Nov 2023 | 15.22 WITA",
        "20/1/2026 18:30",
        "Rabu, 6 Desember 2023 - 14:02 WIT",
        "Minggu, 18 Juli 2021 – 18:52 WIB",
        "2 jam yang lalu",
        "5 menit lalu",
        "kemarin 19:00",
        "hari ini 08:15",
        "2016-02-16T13:01:52+0700",
        "2015-11-05 T10:08:58Z",
        "2023-11-02 21:34:19",
        "Wednesday, 02 November 2016",
        "Jumat , 17 February 2017, 13:16 WIB",
        "Sabtu 08 Oct 2016",
        "5 Desember 2023",
        "Kamis, 05/11/2015 10:08 WIB",
        "COPYRIGHT © 2016",
    ):
        assert must in texts, must


@pytest.mark.parametrize(("text", "expected", "now"), TABLE_ROWS, ids=[r[0] for r in TABLE_ROWS])
def test_table(text, expected, now):
    result = parse_date(text, now=now)
    if expected is None:
        assert result is None
    else:
        assert result is not None, parse_date_raw(text, now=now)
        assert result.utcoffset() is not None
        assert to_iso(result) == expected


# ---------------------------------------------------------------------------------------
# The shared dataset (read at test time, never copied into the repo)
# ---------------------------------------------------------------------------------------

_EXPLICIT_ZONE = re.compile(r"\d(?:\s?z|[+-]\d\d:?\d\d)\s*$", re.I)


def dataset_params():
    if not DATASET.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared dataset missing: {DATASET}"))]
    params = []
    with DATASET.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                row = json.loads(line)
                params.append(pytest.param(row, id=f"{lineno}:{row['text']}"))
    return params


@pytest.mark.parametrize("row", dataset_params())
def test_shared_dataset(row):
    text = row["text"]
    if row.get("reference_time"):
        now = datetime.fromisoformat(row["reference_time"])
    elif row.get("role") == "body_reference":
        # No reference time in the file: body references are read against the page's
        # publication date, which is at or shortly after the referenced day.
        now = datetime.fromisoformat(row["expected_local"]).replace(tzinfo=WIB) + timedelta(days=1)
    else:
        # Absolute dates must not depend on now: use one far from every row.
        now = datetime(2030, 6, 1, 12, 0, tzinfo=WIB)
    expected_local = row.get("expected_local")
    result = parse_date(text, now=now)
    if row.get("role") == "trap" or expected_local is None:
        assert result is None
        return
    assert result is not None, parse_date_raw(text, now=now)
    assert result.strftime("%Y-%m-%dT%H:%M") == expected_local
    offset = result.isoformat()[-6:]
    if row.get("tz"):
        assert offset == row["tz"]
    elif not _EXPLICIT_ZONE.search(text):
        assert offset == "+07:00"  # no zone shown -> WIB
    if row.get("expected_wib"):
        assert result.astimezone(WIB).strftime("%Y-%m-%dT%H:%M") == row["expected_wib"]


# ---------------------------------------------------------------------------------------
# Zones, now, warnings, to_iso
# ---------------------------------------------------------------------------------------


def test_zone_offsets():
    assert parse_date("5 Desember 2023 10:00 WIB").utcoffset() == timedelta(hours=7)
    assert parse_date("5 Desember 2023 10:00 WITA").utcoffset() == timedelta(hours=8)
    assert parse_date("5 Desember 2023 10:00 WIT").utcoffset() == timedelta(hours=9)
    assert parse_date("5 desember 2023 10:00 wita").tzinfo == WITA
    assert parse_date("5 DESEMBER 2023 10:00 WIT").tzinfo == WIT
    assert parse_date("5 Desember 2023 10:00").tzinfo == timezone(timedelta(hours=7))
    utc = parse_date("2023-11-02T14:34:19+00:00")
    assert utc.utcoffset() == timedelta(0) and utc.hour == 14  # kept, not converted
    assert parse_date("2023-11-02T14:34:19+05:30").utcoffset() == timedelta(hours=5, minutes=30)
    assert parse_date("2023-11-02T14:34:19+25:00") is None


def test_default_now_is_current_time_in_wib():
    result = parse_date("2 jam yang lalu")
    expected = datetime.now(WIB) - timedelta(hours=2)
    assert result.utcoffset() == timedelta(hours=7)
    assert abs(result - expected) < timedelta(seconds=30)


def test_naive_now_is_taken_as_wib():
    assert to_iso(parse_date("1 jam lalu", now=datetime(2023, 12, 5, 10, 0))) == "2023-12-05T09:00:00+07:00"


def test_relative_yearless_needs_matching_weekday():
    now = datetime(2021, 7, 20, 9, 0, tzinfo=WIB)
    assert parse_date("Sabtu (18/7)", now=now) is None  # 18 July 2021 was a Sunday


def test_parse_date_raw_warnings():
    value, warning = parse_date_raw("31 Februari 2023")
    assert value is None and "impossible" in warning
    value, warning = parse_date_raw("Senin, 5 Desember 2023")  # a Tuesday
    assert value == datetime(2023, 12, 5, tzinfo=WIB) and "weekday" in warning
    value, warning = parse_date_raw("Selasa, 5 Desember 2023")
    assert value is not None and warning is None
    assert parse_date_raw(None) == (None, "not a string: NoneType")
    assert parse_date_raw("")[0] is None and parse_date_raw("   \n\t ")[0] is None


def test_to_iso():
    assert to_iso(datetime(2023, 12, 5, 1, 10)) == "2023-12-05T01:10:00+07:00"
    assert to_iso(datetime(2023, 12, 5, 1, 10, 0, 123456, tzinfo=timezone.utc)) == "2023-12-05T01:10:00+00:00"
    assert to_iso(datetime(2023, 12, 5, 1, 10, tzinfo=WITA)) == "2023-12-05T01:10:00+08:00"


def test_non_string_inputs():
    for value in (None, 0, 12345, 1.5, [], {}, object(), ("5 Desember 2023",), float("nan")):
        assert parse_date(value) is None
    assert parse_date(b"5 Desember 2023 01:10 WIB") == datetime(2023, 12, 5, 1, 10, tzinfo=WIB)
    assert parse_date(b"\xff\xfe\x00garbage") is None
    assert parse_date(datetime(2023, 12, 5, 1, 10)).tzinfo is not None


def test_odd_whitespace_and_dashes():
    assert to_iso(parse_date("Senin,\u00a004\u00a0Des\u00a02023\u200b 10:15\u2009WIB")) == "2023-12-04T10:15:00+07:00"
    assert to_iso(parse_date("\n\t Rabu, 6 Desember 2023 \u2014 14:02 WIT \n")) == "2023-12-06T14:02:00+09:00"


# ---------------------------------------------------------------------------------------
# Fallback and laziness
# ---------------------------------------------------------------------------------------


def test_dateparser_fallback_for_unusual_wording():
    value, warning = parse_date_raw("2023 Desember 5 WITA")
    assert to_iso(value) == "2023-12-05T00:00:00+08:00"
    assert "fallback" in warning


def test_fallback_is_skipped_for_garbage(monkeypatch):
    import dateparser

    calls = []
    monkeypatch.setattr(dateparser, "parse", lambda *a, **k: calls.append(a) or None)
    for text in (
        "x" * 79 + " 5",  # no month word
        "Desember " + "y" * 80 + " 2023",  # too long
        "COPYRIGHT © 2016",  # no month word
        "Juli",  # no year
        "tidak ada tanggal di sini sama sekali",
        "Senin, 04 Des 10:15",  # no four-digit year
        "Desember 2023",  # no day
    ):
        assert parse_date(text) is None
    assert calls == []
    parse_date("2023 Desember 5")  # month word + year + day: the fallback is consulted
    assert len(calls) == 1


def test_fallback_does_not_invent_years(monkeypatch):
    import dateparser

    monkeypatch.setattr(
        dateparser, "parse", lambda *a, **k: datetime(2019, 12, 5, tzinfo=WIB)
    )
    assert parse_date("Desember 2023 ke-5") is None


def test_fallback_exceptions_are_swallowed(monkeypatch):
    import dateparser

    def boom(*a, **k):
        raise RuntimeError("dateparser bug")

    monkeypatch.setattr(dateparser, "parse", boom)
    value, warning = parse_date_raw("2023 Desember 5")
    assert value is None and "dateparser failed" in warning


def test_dateparser_is_imported_lazily():
    code = (
        "import sys; from pipelines.dates import parse_date; "
        "assert parse_date('Senin, 04 Des 2023 10:15 WIB') is not None; "
        "assert parse_date('2 jam yang lalu') is not None; "
        "print('dateparser' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE.parent, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------
# Never raise, bounded time
# ---------------------------------------------------------------------------------------

_TOKENS = list("0123456789 /-.:,|()'+TZ") + [
    "WIB", "WITA", "WIT", "Des", "Desember", "Juli", "jam", "menit", "yang", "lalu", "kemarin",
    "Senin", "Minggu", "2023", "pukul", "hari ini", "ago", "PM", " ",
]
_DATEY = st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join)


def _check(result):
    assert result is None or (isinstance(result, datetime) and result.utcoffset() is not None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_on_text(text):
    _check(parse_date(text))
    _check(parse_date(text, now=TABLE_NOW))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_never_raises_on_binary_garbage(data):
    _check(parse_date(data.decode("utf-8", "replace")))
    _check(parse_date(data.decode("latin-1")))
    _check(parse_date(data))


@settings(max_examples=400, deadline=None)
@given(_DATEY)
def test_never_raises_on_date_like_text(text):
    value, warning = parse_date_raw(text, now=TABLE_NOW)
    _check(value)
    assert warning is None or isinstance(warning, str)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.text()), st.dictionaries(st.text(), st.text())))
def test_never_raises_on_other_types(value):
    assert parse_date(value) is None
    assert parse_date("5 menit lalu", now=value) is not None  # a bad `now` falls back to the clock


_ID_MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
              "September", "Oktober", "November", "Desember"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31)),
    st.sampled_from([("WIB", 7), ("WITA", 8), ("WIT", 9), ("", 7)]),
    st.sampled_from(["{d} {mon} {y} {H:02d}:{M:02d} {z}", "{dd}/{mm}/{y}, {H:02d}.{M:02d} {z}",
                     "Diperbarui {d} {mon} {y} - {H:02d}:{M:02d} {z}"]),
)
def test_round_trip_generated_dates(dt, zone, template):
    name, hours = zone
    text = template.format(d=dt.day, dd=f"{dt.day:02d}", mon=_ID_MONTHS[dt.month - 1], mm=f"{dt.month:02d}",
                           y=dt.year, H=dt.hour, M=dt.minute, z=name)
    expected = dt.replace(second=0, microsecond=0, tzinfo=timezone(timedelta(hours=hours)))
    result = parse_date(text)
    assert result == expected and result.utcoffset() == timedelta(hours=hours)


ADVERSARIAL = [
    " " * 100_000,
    "\t\n\r\x0b\x0c\u00a0" * 17_000,
    " " * 50_000 + "5 Desember 2023" + " " * 50_000,
    "1 " * 50_000,
    "1/" * 50_000,
    "2023-" * 20_000,
    "0" * 100_000,
    "5 Desember " * 10_000,
    "Des 2023 " * 11_000,
    "wib " * 25_000,
    "kemarin " * 12_500,
    "2 jam yang " * 10_000,
    "(" * 100_000,
    ", | - " * 16_000,
    "a" * 99_000 + " 5 Desember 2023",
    "x" * 10_000_000,
    # short strings (under the length cap) that stress the regular expressions
    "1 " * 149,
    "1/1/" * 74,
    "5 des " * 49,
    "12:" * 99,
    "2023 " * 59,
    "Desember " * 33,
    "diperbarui " * 7 + "x",
    "Desember 2023 " + "1 " * 30,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: f"{t[:12]!r}x{len(t)}")
def test_bounded_time_on_adversarial_input(text):
    parse_date("warm up 5 Desember 2023")
    start = time.perf_counter()
    result = parse_date(text, now=TABLE_NOW)
    elapsed = time.perf_counter() - start
    _check(result)
    assert elapsed < 0.25, elapsed


def test_whitespace_padded_date_still_parses():
    text = " " * 50_000 + "5 Desember 2023" + " " * 50_000
    assert parse_date(text) == datetime(2023, 12, 5, tzinfo=WIB)


# ---------------------------------------------------------------------------------------
# DatesPipeline
# ---------------------------------------------------------------------------------------


def make_item(**fields) -> PageItem:
    article = empty_article("https://monitorindonesia.com/ekonomi/read/2023/12/1/x")
    article.update(fields)
    return PageItem(page={"url": article["url"], "fetched_at": "2023-12-05T03:00:00+00:00"}, article=article)


def test_pipeline_parses_raw_strings():
    item = make_item(published_raw="Dipublikasikan 4 Desember 2023 20:00 WIB",
                     updated_raw="Diperbarui 5 Desember 2023 01:10 WITA")
    out = DatesPipeline().process_item(item, spider=None)
    assert out is item
    assert item["article"]["published_at"] == "2023-12-04T20:00:00+07:00"
    assert item["article"]["updated_at"] == "2023-12-05T01:10:00+08:00"
    assert item["article"]["warnings"] == []


def test_pipeline_keeps_raw_and_warns_once_when_unparseable():
    item = make_item(published_raw="Diperbarui beberapa saat lalu", updated_raw=None)
    pipeline = DatesPipeline()
    pipeline.process_item(item)
    pipeline.process_item(item)
    article = item["article"]
    assert article["published_at"] is None
    assert article["published_raw"] == "Diperbarui beberapa saat lalu"
    assert article["warnings"] == ["published_at: could not parse 'Diperbarui beberapa saat lalu'"]
    assert article["updated_at"] is None


def test_pipeline_adds_offset_to_naive_strings_and_keeps_explicit_ones():
    item = make_item(published_at="2023-12-05T01:10:00", updated_at="2023-11-02T14:34:19+00:00")
    DatesPipeline().process_item(item)
    assert item["article"]["published_at"] == "2023-12-05T01:10:00+07:00"
    assert item["article"]["updated_at"] == "2023-11-02T14:34:19+00:00"


def test_pipeline_relative_raw_uses_fetched_at():
    item = make_item(published_raw="2 jam yang lalu", fetched_at="2023-12-05T03:00:00+00:00")
    DatesPipeline().process_item(item)
    assert item["article"]["published_at"] == "2023-12-05T08:00:00+07:00"


def test_pipeline_bad_at_string_moves_to_raw():
    item = make_item(published_at="kapan-kapan")
    DatesPipeline().process_item(item)
    article = item["article"]
    assert article["published_at"] is None
    assert article["published_raw"] == "kapan-kapan"
    assert article["warnings"] == ["published_at: could not parse 'kapan-kapan'"]


def test_pipeline_leaves_non_articles_alone():
    item = PageItem(page={"url": "https://x/"}, article=None)
    assert DatesPipeline().process_item(item) is item
    assert item == {"page": {"url": "https://x/"}, "article": None}
    item = {"article": {"published_raw": "5 Desember 2023", "warnings": None}}
    DatesPipeline().process_item(item)
    assert item["article"]["published_at"] == "2023-12-05T00:00:00+07:00"


def test_module_surface_is_small():
    assert set(dates_mod.__all__) == {"WIB", "WITA", "WIT", "parse_date", "parse_date_raw", "to_iso", "DatesPipeline"}
    assert "fast path" in dates_mod.__doc__.lower()
