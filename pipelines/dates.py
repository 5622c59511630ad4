"""Dates on Indonesian news pages -> timezone-aware datetimes.

Public surface:

* :func:`parse_date` -- ``parse_date(text, *, now=None) -> datetime | None``.  Never raises;
  ``None`` for anything that is not a date.  Results always carry a fixed UTC offset:
  no zone shown -> WIB (+07:00); ``WIB`` +07:00, ``WITA`` +08:00, ``WIT`` +09:00 (any case);
  explicit ISO offsets (``Z``, ``+00:00``, ``+0700``) are kept as written, not converted.
  Day before month always (``02/11/2023`` is 2 November).  Relative strings ("2 jam yang
  lalu", "kemarin 19:00") are resolved against ``now`` (default: the current time in WIB).
* :func:`parse_date_raw` -- the same, returning ``(value, warning)`` where ``warning`` says
  why the value is missing (or what looked odd, e.g. a weekday that does not match).
* :func:`to_iso` -- ``2023-12-05T01:10:00+07:00`` (seconds, offset with a colon).
* :class:`DatesPipeline` -- fills ``published_at`` / ``updated_at`` from the ``*_raw`` strings.

Why a fast path: ``dateparser`` handles almost any wording, but costs ~0.25 ms per call
even with ``languages`` pinned, and 150 ms or more on some strings that are not dates
(it tries every parser before giving up); it also imports in ~0.3 s.  A crawl parses
two dates per page and listings carry dozens, so the common Indonesian shapes are
matched here by one precompiled regular expression (a few microseconds), and
``dateparser`` (lazily imported) is only the fallback for unusual wordings.  The
fallback is skipped for strings longer than :data:`FALLBACK_MAX_CHARS` and for strings
that have neither a relative word nor a month name with a four-digit year and a day
number, which bounds the time spent on garbage.  Input is whitespace-collapsed and capped at :data:`MAX_TEXT_CHARS`
before any regular expression runs, and no pattern nests unbounded quantifiers, so
adversarial input (100k characters of whitespace) is linear.

What is deliberately *not* a date: a bare year ("COPYRIGHT (c) 2016"), a bare number (an
epoch stamp), a date with a two-digit year ("05/11/15": the year would be invented),
a day and month without a year (except "Minggu (18/7)", where the weekday pins the year
near ``now``), impossible dates ("31 Februari 2023") and years outside 1900-2199.
A day word without a time ("kemarin", "hari ini") is a date only: midnight WIB, like
"5 Desember 2023".
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

__all__ = ["WIB", "WITA", "WIT", "parse_date", "parse_date_raw", "to_iso", "DatesPipeline"]

#: Western / Central / Eastern Indonesia Time: fixed offsets (isoformat gives "+07:00").
WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")

#: Inputs longer than this (before whitespace collapsing) are rejected outright.
MAX_INPUT_CHARS = 200_000
#: After collapsing whitespace, longer strings are not date strings.
MAX_TEXT_CHARS = 300
#: dateparser is not tried on longer strings.
FALLBACK_MAX_CHARS = 80
MIN_YEAR, MAX_YEAR = 1900, 2199

# ---------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "januari jan january",
        "februari pebruari feb peb febr february",
        "maret mar march",
        "april apr",
        "mei may",
        "juni jun june",
        "juli jul july",
        "agustus agu agt ags agst agus aug august",
        "september sep sept",
        "oktober okt oct october",
        "november nopember nov nop",
        "desember des dec december",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

_WEEKDAYS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "senin monday",
        "selasa tuesday",
        "rabu wednesday",
        "kamis thursday",
        "jumat jum'at friday",
        "sabtu saturday",
        "minggu ahad sunday",
    )
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _num

_ZONES = {"wib": WIB, "wita": WITA, "wit": WIT, "utc": timezone.utc, "gmt": timezone.utc}

_NUMWORDS = {
    "se": 1, "satu": 1, "a": 1, "an": 1, "one": 1, "dua": 2, "two": 2, "tiga": 3, "three": 3,
    "empat": 4, "four": 4, "lima": 5, "five": 5, "enam": 6, "six": 6, "tujuh": 7, "seven": 7,
    "delapan": 8, "eight": 8, "sembilan": 9, "nine": 9, "sepuluh": 10, "ten": 10,
    "sebelas": 11, "eleven": 11,
}  # fmt: skip

_UNITS = {}
for _unit, _names in (
    ("seconds", "detik dtk second seconds sec secs"),
    ("minutes", "menit mnt minute minutes min mins"),
    ("hours", "jam hour hours hr hrs"),
    ("days", "hari day days"),
    ("weeks", "minggu pekan week weeks"),
    ("months", "bulan bln month months"),
    ("years", "tahun thn year years"),
):
    for _name in _names.split():
        _UNITS[_name] = _unit


def _alt(words) -> str:
    """Regex alternation, longest first so 'desember' wins over 'des'."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# Applied before matching: dashes -> '-', curly quotes -> "'", invisible spaces -> ' '.
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u2018\u2019\u02bc\u0060\u00b4", "'"),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\x00", " "),
        "\uff1a": ":",
    }
)

# ---------------------------------------------------------------------------------------
# Fast-path patterns (text is already whitespace-collapsed and lower-cased)
# ---------------------------------------------------------------------------------------

_MON = _alt(_MONTHS)
_WD = _alt(_WEEKDAYS)
_ORD = r"(?:st|nd|rd|th)?"

_DATE = (
    # 2023-11-02, 2023/11/02 (year first: ISO and MySQL shapes)
    r"(?<!\d)(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})(?!\d)"
    # 02/11/2023, 5-12-2023, 05.11.2015 (day first, never US order)
    r"|(?<![\d/])(?P<nd>\d{1,2})(?P<nsep>[-/.])(?P<nm>\d{1,2})(?P=nsep)(?P<ny>\d{4})(?!\d)"
    # 5 Desember 2023, 04 Des 2023, 18-Jul-2021, 5th December 2023
    rf"|(?<!\d)(?P<ad>\d{{1,2}}){_ORD}[ ./-]{{0,3}}(?P<amon>{_MON})\.?(?![a-z])[ ,./-]{{0,3}}(?P<ay>\d{{4}})(?!\d)"
    # November 19, 2016 (named month first: unambiguous)
    rf"|(?<![a-z])(?P<bmon>{_MON})\.?[ ]?(?P<bd>\d{{1,2}}){_ORD}(?!\d)[ ,]{{1,3}}(?P<by>\d{{4}})(?!\d)"
)
# Between date and time: ", " " | " " - " " T" " at " " pukul " ...
_SEP = r"(?:\s?(?:[,|@/-]|t|at|pada|pukul|pkl\.?|jam)){0,3}\s?"
_TIME = (
    r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?(?!\d)"
    r"(?:\s?(?P<ampm>[ap])\.?m\.?(?![a-z]))?"
)
_OFFSET = r"(?:\s?(?P<off>z|[+-]\d{2}(?::?\d{2})?)(?![a-z0-9]))?"
_ABBR = (
    r"(?:\s?\(?(?P<abbr>wita|wib|wit|utc|gmt)(?![a-z])"
    r"(?:\s?(?P<aoff>[+-]\d{1,2}(?::?\d{2})?)(?!\d))?\)?)?"
)

_ABSOLUTE = re.compile(rf"(?:{_DATE})(?:{_SEP}{_TIME}{_OFFSET})?{_ABBR}")

_RELATIVE = re.compile(
    rf"(?<![a-z\d])(?P<n>\d{{1,4}}|{_alt(_NUMWORDS)})\s?(?P<u>{_alt(_UNITS)})(?![a-z])"
    r"\s?(?:(?:yang|yg)\s)?(?:lalu|ago)(?![a-z])"
)
_DAYWORD = re.compile(
    r"(?<![a-z])(?P<w>kemarin\slusa|kemarin|kmrn|yesterday|hari\sini|today)(?![a-z])"
    rf"(?:{_SEP}{_TIME})?{_ABBR}"
)
_JUSTNOW = re.compile(r"(?<![a-z])(?:baru\ssaja|barusan|just\snow)(?![a-z])")
_DAYWORD_OFFSET = {"hari ini": 0, "today": 0, "kemarin": 1, "kmrn": 1, "yesterday": 1, "kemarin lusa": 2}

# "Minggu (18/7)": a body reference without a year; the weekday pins the year near `now`.
_YEARLESS = re.compile(
    rf"(?<![a-z])(?P<wd>{_WD})(?![a-z])[ ,]{{0,3}}\(?\s?(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})(?![\d/])"
)
_WEEKDAY = re.compile(rf"(?<![a-z])(?:{_WD})(?![a-z])")

# Fallback gates and clean-up.
_REL_WORD = re.compile(
    r"(?<![a-z])(?:lalu|ago|kemarin|kmrn|yesterday|hari\sini|today|tadi|barusan)(?![a-z])"
)
_YEAR4 = re.compile(r"(?<!\d)(?:19|20|21)\d\d(?!\d)")
_MONTH_WORD = re.compile(rf"(?<![a-z])(?:{_MON})(?![a-z])")
_NUMBER = re.compile(r"\d+")
_LABEL_PREFIX = re.compile(
    r"^.*?(?<![a-z])(?:diperbarui|dipublikasikan|diterbitkan|dibuat|diposting|"
    r"diunggah|terbit|updated|update|published|posted|pada)(?![a-z])\s?:?"
)
_VIEWS = re.compile(r"\|?\s?[\d.,]+\s?(?:views?|kali dibaca|dibaca|x dilihat)(?![a-z])")
_FALLBACK_ZONE = re.compile(
    r"(?<![a-z])(?P<abbr>wita|wib|wit)(?![a-z])|(?<=\d)\s?(?P<off>z|[+-]\d{2}:?\d{2})(?![a-z0-9])"
)


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def parse_date(text: Any, *, now: datetime | None = None) -> datetime | None:
    """Parse a date string from an Indonesian news page; ``None`` if it is not a date.

    Never raises.  See the module docstring for the rules (zones, day-first, relative
    dates against ``now``, what is rejected).
    """
    return parse_date_raw(text, now=now)[0]


def parse_date_raw(text: Any, *, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """Like :func:`parse_date` but return ``(value, warning)``.

    ``warning`` is ``None`` on a clean parse; otherwise a short reason: why ``value`` is
    ``None`` ("no date found", "impossible date '31 februari 2023'", ...), or, with a value,
    what looked odd ("weekday 'senin' does not match 2023-12-05").  Never raises.
    """
    try:
        return _parse(text, now)
    except Exception as exc:  # pragma: no cover - last-resort guard for the contract
        return None, f"internal error: {type(exc).__name__}"


def to_iso(dt: datetime) -> str:
    """``2023-12-05T01:10:00+07:00``: seconds precision, offset with a colon (naive -> WIB)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=WIB)
    return dt.isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------
# Implementation
# ---------------------------------------------------------------------------------------


def _parse(text: Any, now: Any) -> tuple[datetime | None, str | None]:
    if isinstance(text, datetime):
        return (text if text.utcoffset() is not None else text.replace(tzinfo=WIB)), None
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_INPUT_CHARS:
            return None, f"too long ({len(text)} bytes)"
        text = bytes(text).decode("utf-8", "replace")
    elif not isinstance(text, str):
        return None, f"not a string: {type(text).__name__}"
    if len(text) > MAX_INPUT_CHARS:
        return None, f"too long ({len(text)} chars)"
    s = " ".join(text.translate(_TRANSLATE).split()).lower()
    if not s:
        return None, "empty"
    if len(s) > MAX_TEXT_CHARS:
        return None, f"too long for a date ({len(s)} chars)"

    m = _ABSOLUTE.search(s)
    if m is not None:
        return _absolute(m, s)
    m = _RELATIVE.search(s)
    if m is not None:
        return _relative(m, now)
    m = _DAYWORD.search(s)
    if m is not None:
        return _dayword(m, now)
    if _JUSTNOW.search(s) is not None:
        return _now(now), None
    m = _YEARLESS.search(s)
    if m is not None:
        return _yearless(m, now)
    return _fallback(s, now)


def _now(now: Any) -> datetime:
    """The reference time in WIB: ``now`` (naive = WIB) or the current time."""
    if isinstance(now, datetime):
        if now.utcoffset() is None:
            return now.replace(tzinfo=WIB)
        return now.astimezone(WIB)
    return datetime.now(WIB)


def _zone(m: re.Match) -> timezone:
    off = m.group("off") if "off" in m.re.groupindex else None
    if off:
        return _offset(off)
    abbr = m.group("abbr")
    if abbr:
        aoff = m.group("aoff")
        if aoff and abbr in ("utc", "gmt"):
            return _offset(aoff)
        return _ZONES[abbr]
    return WIB


def _offset(off: str) -> timezone:
    """'z', '+07', '+0700', '+07:00', '+7' -> timezone (ValueError when out of range)."""
    if off == "z":
        return timezone.utc
    sign = -1 if off[0] == "-" else 1
    digits = off[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if minutes >= 60:
        raise ValueError("bad offset minutes")
    delta = sign * timedelta(hours=hours, minutes=minutes)
    return timezone.utc if not delta else timezone(delta)


def _clock(m: re.Match) -> tuple[int, int, int, int]:
    """(hour, minute, second, microsecond) from the _TIME groups; (0,0,0,0) if absent."""
    hh = m.group("H")
    if hh is None:
        return 0, 0, 0, 0
    hour, minute = int(hh), int(m.group("M"))
    sec = m.group("S")
    frac = m.group("F")
    ampm = m.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for am/pm")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return hour, minute, int(sec) if sec else 0, int(frac[:6].ljust(6, "0")) if frac else 0


def _absolute(m: re.Match, s: str) -> tuple[datetime | None, str | None]:
    g = m.group
    if g("iy") is not None:
        year, month, day = int(g("iy")), int(g("im")), int(g("id"))
    elif g("ny") is not None:
        year, month, day = int(g("ny")), int(g("nm")), int(g("nd"))
    elif g("ay") is not None:
        year, month, day = int(g("ay")), _MONTHS[g("amon")], int(g("ad"))
    else:
        year, month, day = int(g("by")), _MONTHS[g("bmon")], int(g("bd"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None, f"year out of range in {m.group(0)!r}"
    try:
        dt = datetime(year, month, day, *_clock(m), tzinfo=_zone(m))
    except (ValueError, OverflowError):
        return None, f"impossible date {m.group(0)!r}"
    warning = None
    if m.start():
        names = _WEEKDAY.findall(s, 0, m.start())
        if names and _WEEKDAYS[names[-1]] != dt.weekday():
            warning = f"weekday {names[-1]!r} does not match {dt.date().isoformat()}"
    return dt, warning


def _shift_months(dt: datetime, months: int) -> datetime:
    index = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day in (dt.day, 30, 29, 28):  # clamp 31 Maret - 1 bulan -> 28/29 Februari
        try:
            return dt.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("cannot shift months")  # pragma: no cover


def _relative(m: re.Match, now: Any) -> tuple[datetime | None, str | None]:
    raw_n = m.group("n")
    n = _NUMWORDS[raw_n] if raw_n in _NUMWORDS else int(raw_n)
    unit = _UNITS[m.group("u")]
    base = _now(now)
    try:
        if unit == "months":
            dt = _shift_months(base, -n)
        elif unit == "years":
            dt = _shift_months(base, -12 * n)
        else:
            dt = base - timedelta(**{unit: n})
    except (ValueError, OverflowError):
        return None, f"relative date out of range {m.group(0)!r}"
    if dt.year < MIN_YEAR:
        return None, f"relative date out of range {m.group(0)!r}"
    return dt, None


def _dayword(m: re.Match, now: Any) -> tuple[datetime | None, str | None]:
    """'kemarin 19:00' -> yesterday 19:00; 'kemarin' alone -> yesterday 00:00 (date only)."""
    day = _now(now).date() - timedelta(days=_DAYWORD_OFFSET[m.group("w")])
    try:
        return datetime(day.year, day.month, day.day, *_clock(m), tzinfo=_zone(m)), None
    except (ValueError, OverflowError):
        return None, f"impossible time {m.group(0)!r}"


def _yearless(m: re.Match, now: Any) -> tuple[datetime | None, str | None]:
    """'Minggu (18/7)': the year whose 18 July is a Sunday, from a year before ``now`` to
    six months after it (at most one year in that window fits)."""
    base = _now(now)
    day, month, weekday = int(m.group("d")), int(m.group("m")), _WEEKDAYS[m.group("wd")]
    today = base.date()
    for year in (base.year, base.year - 1, base.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate.weekday() == weekday and -366 <= (candidate - today).days <= 183:
            return datetime(year, month, day, tzinfo=WIB), "year inferred from weekday and now"
    return None, f"no year near now fits {m.group(0)!r}"


def _fallback(s: str, now: Any) -> tuple[datetime | None, str | None]:
    if len(s) > FALLBACK_MAX_CHARS:
        return None, "no date found"
    relative = _REL_WORD.search(s) is not None
    if not relative and (
        _YEAR4.search(s) is None or _MONTH_WORD.search(s) is None or len(_NUMBER.findall(s)) < 2
    ):
        return None, "no date found"  # a date needs a month, a four-digit year and a day

    cleaned = _LABEL_PREFIX.sub("", s, count=1)
    cleaned = _VIEWS.sub(" ", cleaned).replace("|", " ")
    zone = None
    zm = _FALLBACK_ZONE.search(cleaned)
    if zm is not None:
        try:
            zone = _ZONES[zm.group("abbr")] if zm.group("abbr") else _offset(zm.group("off"))
        except ValueError:
            return None, "bad utc offset"
        cleaned = _FALLBACK_ZONE.sub(" ", cleaned)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return None, "no date found"

    settings: dict[str, Any] = {
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "Asia/Jakarta",
    }
    if relative:
        settings["RELATIVE_BASE"] = _now(now).replace(tzinfo=None)
        settings["PREFER_DATES_FROM"] = "past"
    else:
        settings["REQUIRE_PARTS"] = ["day", "month", "year"]
    try:
        import dateparser  # lazy: ~0.3 s to import

        dt = dateparser.parse(cleaned, languages=["id", "en"], settings=settings)
    except Exception as exc:  # dateparser has raised on odd input before
        return None, f"dateparser failed: {type(exc).__name__}"
    if dt is None:
        return None, "no date found"
    if not relative and str(dt.year) not in _YEAR4.findall(cleaned):
        return None, "no date found (dateparser invented the year)"
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        return None, "year out of range"
    # dateparser gives Asia/Jakarta wall time (zones were stripped above): re-attach ours.
    return dt.replace(tzinfo=zone or WIB), "parsed by dateparser fallback"


# ---------------------------------------------------------------------------------------
# Pipeline
# ---------------------------------------------------------------------------------------


class DatesPipeline:
    """Fill ``published_at`` / ``updated_at`` of ``item["article"]`` as ISO strings.

    For each of published/updated: a missing ``<x>_at`` is parsed from ``<x>_raw``; a
    string ``<x>_at`` (JSON-LD, meta tags) is re-parsed so that it carries an offset
    (no offset -> +07:00) and is written by :func:`to_iso`.  Relative raw strings
    ("2 jam yang lalu") are resolved against the article's ``fetched_at`` when present.
    When nothing parses, ``<x>_at`` stays ``None``, the raw string is kept and the warning
    ``"<x>_at: could not parse '<raw>'"`` is added to ``article["warnings"]`` once.
    """

    FIELDS = ("published", "updated")

    def process_item(self, item: Any, spider: Any = None) -> Any:
        article = item.get("article") if hasattr(item, "get") else None
        if not isinstance(article, dict):
            return item
        ref = self._reference_time(item, article)
        for field in self.FIELDS:
            self._fill(article, field, ref)
        return item

    @staticmethod
    def _reference_time(item: Any, article: dict) -> datetime | None:
        fetched = article.get("fetched_at")
        if not fetched:
            page = item.get("page")
            fetched = page.get("fetched_at") if isinstance(page, dict) else None
        return parse_date(fetched) if isinstance(fetched, str) else None

    @staticmethod
    def _fill(article: dict, field: str, ref: datetime | None) -> None:
        at_key, raw_key = f"{field}_at", f"{field}_raw"
        at, raw = article.get(at_key), article.get(raw_key)
        value: datetime | None = None
        failed: str | None = None
        if isinstance(at, datetime):
            value = parse_date(at)
        elif isinstance(at, str) and at.strip():
            value = parse_date(at, now=ref)
            if value is None:
                failed = at
        elif at is not None:
            failed = str(at)
        if value is None and isinstance(raw, str) and raw.strip():
            value = parse_date(raw, now=ref)
            if value is None:
                failed = raw
        if value is not None:
            article[at_key] = to_iso(value)
            return
        article[at_key] = None
        if failed is None:
            return
        if not (isinstance(raw, str) and raw.strip()):
            article[raw_key] = failed  # never lose the string we could not read
        shown = failed if len(failed) <= 200 else failed[:200] + "…"
        warning = f"{at_key}: could not parse '{shown}'"
        warnings = article.get("warnings")
        if not isinstance(warnings, list):
            warnings = article["warnings"] = list(warnings or [])
        if warning not in warnings:
            warnings.append(warning)
