"""Export articles to CSV (spreadsheet-safe) and JSON Lines, streamed.

CSV format
==========

* Columns: :data:`EXPORT_COLUMNS`, in that fixed, documented order (the order of
  :data:`crawler.items.ARTICLE_FIELDS` minus the internal ``field_sources`` and
  ``parse_error``, plus ``revision``).  ``columns=`` selects a subset / another
  order; any ``articles`` column may be named (e.g. ``published_utc``).
* UTF-8; ``bom=True`` writes a byte order mark first (Excel on Windows needs it to
  read UTF-8).  Python's :mod:`csv` with ``QUOTE_MINIMAL`` and ``\\r\\n`` line ends
  (RFC 4180): a cell containing the delimiter, a quote, CR or LF is quoted, quotes
  doubled, so multi-line bodies round-trip through any CSV reader.
* List fields (``byline``, ``tags``, ``warnings``) are joined with ``"; "``;
  timestamps are ISO 8601 (``fetched_at`` in UTC; ``published_at`` / ``updated_at``
  exactly as parsed, with the site's offset); ``None`` is an empty cell.
* **Formula injection** (OWASP "CSV Injection"): a text cell that starts with
  ``=``, ``+``, ``-``, ``@``, TAB (0x09) or CR (0x0D) could be executed as a formula
  by Excel / LibreOffice / Google Sheets.  Such cells get a leading apostrophe
  (``'=1+1``), which spreadsheets display as text.  This also applies to, e.g., a
  headline starting with ``-``; numbers (``revision``) are never changed.  JSONL
  output is not modified (it is not opened by spreadsheets).

Filters: ``site`` (a domain; ``www.`` / scheme are ignored), ``section`` (case
insensitive), ``since`` / ``until`` on the publication time: ``'YYYY-MM-DD'`` days
are whole days in WIB (UTC+7), both ends inclusive; datetimes are used as given.

Rows are streamed from the database ``batch`` at a time (``yield_per``; a
server-side cursor on PostgreSQL): memory does not grow with the number of rows.
Output is ordered by publication time (unknown last), then id.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timezone
from typing import IO, Any

from storage.models import Article

__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_PREFIXES",
    "LIST_SEPARATOR",
    "available_columns",
    "export_csv",
    "export_excel_csv",
    "export_jsonl",
    "export_parquet",
    "neutralize_formula",
]

#: The documented CSV column order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "site",
    "site_article_id",
    "section",
    "headline",
    "byline",
    "editor",
    "published_at",
    "updated_at",
    "published_raw",
    "updated_raw",
    "dateline",
    "caption",
    "caption_credit",
    "lead_image_url",
    "tags",
    "language",
    "body",
    "fetched_at",
    "content_hash",
    "revision",
    "parser",
    "warnings",
)

#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "

_ARTICLE_COLUMNS = frozenset(c.key for c in Article.__table__.c)


#: leading characters an import may trim before it looks for a formula ("Trim spaces")
_INVISIBLE_LEAD = " \n\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"


def neutralize_formula(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would evaluate as a formula -- also when the
    formula character follows leading whitespace, which importers that trim cells
    (LibreOffice "Trim spaces", Google Sheets) would remove."""
    if text and (text.startswith(FORMULA_PREFIXES) or text.lstrip(_INVISIBLE_LEAD).startswith(FORMULA_PREFIXES)):
        return "'" + text
    return text


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        text = LIST_SEPARATOR.join("" if v is None else str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, (datetime, date)):
        text = value.isoformat()
    else:
        text = str(value)
    return neutralize_formula(text)


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _columns(columns: Sequence[str] | None) -> list[str]:
    cols = list(columns) if columns else list(EXPORT_COLUMNS)
    unknown = [c for c in cols if c not in _ARTICLE_COLUMNS]
    if unknown:
        raise ValueError(f"unknown export column(s): {', '.join(unknown)}")
    return cols


class _Text:
    """A text view of ``out`` (text or binary stream), detached again afterwards."""

    def __init__(self, out: IO) -> None:
        self.out = out
        self.wrapper: io.TextIOWrapper | None = None
        if not self._is_text(out):
            self.wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)

    @staticmethod
    def _is_text(out: IO) -> bool:
        if isinstance(out, io.TextIOBase):
            return True
        if isinstance(out, (io.RawIOBase, io.BufferedIOBase)):
            return False
        mode = getattr(out, "mode", None)
        if isinstance(mode, str):
            return "b" not in mode
        try:
            out.write("")
        except TypeError:
            return False
        return True

    @property
    def stream(self) -> IO[str]:
        return self.wrapper if self.wrapper is not None else self.out

    def close(self) -> None:
        if self.wrapper is not None:
            self.wrapper.flush()
            self.wrapper.detach()  # leave the caller's binary stream open
        elif hasattr(self.out, "flush"):
            self.out.flush()


def available_columns() -> list[str]:
    """Every column ``columns=`` accepts: the documented ones first, then the rest."""
    return list(EXPORT_COLUMNS) + sorted(c for c in _ARTICLE_COLUMNS if c not in EXPORT_COLUMNS)


def _rows(archive, cols: list[str], site, section, since, until, batch: int,
          progress: Any = None) -> Iterator[dict[str, Any]]:
    rows = archive.iter_articles(site, section, since, until, batch, columns=cols)
    if progress is None:
        return rows
    return _with_progress(rows, progress)


def _with_progress(rows: Iterator[dict[str, Any]], progress: Any, every: int = 500) -> Iterator[dict[str, Any]]:
    """Report ``progress(done)`` every ``every`` rows and at the end (see crawler.progress)."""
    from crawler.progress import report_progress

    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            report_progress(progress, done)
    report_progress(progress, done)


def _reporter(progress: Any):
    """``report(done)`` for ``progress`` (see crawler.progress); a no-op for ``None``."""
    if progress is None:
        return lambda done: None
    from crawler.progress import report_progress

    return lambda done: report_progress(progress, done)


def _utf8_writer(text: "_Text"):
    """A function writing UTF-8 bytes to ``text``'s stream: straight into the binary
    stream underneath where there is one (the caller's binary stream, or the buffer of
    a plain UTF-8 :class:`io.TextIOWrapper` -- opened with ``newline=""`` as for
    :mod:`csv`: its newline translation is bypassed), else decoded and written as text."""
    if text.wrapper is not None:
        text.wrapper.flush()
        if isinstance(text.out, io.RawIOBase):  # unbuffered: write() may write part of it
            raw = text.out

            def write_all(data: bytes) -> None:
                view = memoryview(data)
                while view:
                    written = raw.write(view)
                    if not written:  # None: a non-blocking stream that is not ready
                        raise BlockingIOError(f"export: could not write to {raw!r}")
                    view = view[written:]

            return write_all
        return text.out.write
    stream = text.stream
    if (type(stream).write is io.TextIOWrapper.write and os.linesep == "\n"
            and _is_utf8(getattr(stream, "encoding", None)) and hasattr(stream, "buffer")):
        stream.flush()
        return stream.buffer.write
    write = stream.write
    return lambda data: write(data.decode("utf-8"))


def _is_utf8(encoding: str | None) -> bool:
    try:
        return encoding is not None and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def export_csv(
    archive,
    out: IO,
    *,
    site: str | None = None,
    section: str | None = None,
    since: Any = None,
    until: Any = None,
    columns: Sequence[str] | None = None,
    bom: bool = False,
    delimiter: str = ",",
    batch: int = 1000,
    progress: Any = None,
) -> int:
    """Write articles of ``archive`` as CSV to ``out``; return the number of data rows.

    ``out`` is a text stream (open it with ``newline=""``) or a binary stream
    (UTF-8 is written).  See the module documentation for the format.
    """
    cols = _columns(columns)
    text = _Text(out)
    try:
        stream = text.stream
        if bom:
            stream.write("\ufeff")
        writer = csv.writer(stream, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(cols)
        count = 0
        chunks = _sqlite_csv_lines(archive, cols, site, section, since, until, batch, delimiter)
        if chunks is not None:  # the same bytes, several times faster (see _sqlite_csv_lines)
            report = _reporter(progress)
            write = _utf8_writer(text)
            try:
                for data, rows in chunks:
                    write(data)
                    count += rows
                    report(count)
            finally:
                chunks.close()  # the connection goes back to the pool also on errors
            report(count)
            return count
        for row in _rows(archive, cols, site, section, since, until, batch, progress):
            writer.writerow([_csv_cell(row[c]) for c in cols])
            count += 1
        return count
    finally:
        text.close()


# --- CSV fast path (SQLite) ---------------------------------------------------------
# Exactly the bytes of the general path (``csv.writer`` over ``_csv_cell(row[c])`` of
# ``iter_articles`` rows), several times faster on a large archive
# (bench/bench_export.py).  The general path is slow because of per-cell Python work
# (a function call, type tests and quoting for each of 24 cells of every row), and
# SQLite functions cost about as much per call as Python's, so neither side may do
# work per cell in the common case:
#
# * SQLite converts what has one fixed text form: a JSON list of plain strings as
#   Warta stores it (``["a", "b"]``) becomes ``a; b``, a stored UTC timestamp
#   becomes ISO 8601.  It joins each run of adjacent cells into one *segment*, cells
#   separated by the byte 0xFF, which never occurs in UTF-8 text, so the cells can
#   always be told apart again.  ``body`` (long, multi-line) is a segment of its own.
#   Rows arrive as bytes: no decoding, and no re-encoding on the way out.
# * Python looks at whole segments: one without ``"``, CR, LF or the delimiter needs
#   no quoting (a few ``memchr``) and its 0xFF become delimiters (``bytes.replace``);
#   one regular-expression scan for 0xFF followed by the first byte of a formula or
#   invisible lead character finds the cells that may need the apostrophe.  Only a
#   segment that needs quoting is split and quoted cell by cell (``QUOTE_MINIMAL``:
#   a cell containing the delimiter, ``"``, CR or LF is quoted, quotes doubled).
# * Rare rows go the exact per-cell way (the row is read again by id): a cell that
#   starts with a formula / invisible lead character, and anything SQLite leaves
#   unconverted (it writes a CR instead; also JSON with escapes or other item types,
#   recognised by a ``"`` or ``\`` left in the converted cell).
# * ``batch`` rows are fetched at a time and written as one chunk, straight into the
#   binary stream underneath where there is one.

_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
_SINGLE_CHAR_PREFIXES = all(len(p) == 1 for p in FORMULA_PREFIXES)
_INVISIBLE_SET = frozenset(_INVISIBLE_LEAD)
#: first characters that make a cell need a closer look (formula or invisible lead)
_SUSPECT_FIRST = _FORMULA_FIRST | _INVISIBLE_SET
#: their first UTF-8 bytes
_SUSPECT_LEAD = frozenset(c.encode()[0] for c in _SUSPECT_FIRST)


def _text_cell(value: Any) -> Any:
    """``_csv_cell`` for a text column (identical output, cheaper for ``str``)."""
    if value.__class__ is not str or not _SINGLE_CHAR_PREFIXES:
        return "" if value is None else _csv_cell(value)
    if value:
        first = value[0]
        if first in _FORMULA_FIRST or (first in _INVISIBLE_SET
                                       and value.lstrip(_INVISIBLE_LEAD).startswith(FORMULA_PREFIXES)):
            return "'" + value
    return value


def _json_cell(value: Any) -> Any:
    """``_csv_cell`` of a JSON column's decoded value, from the stored JSON text."""
    if value.__class__ is str:
        if value == "[]" or value == "null":
            return ""
        try:
            value = json.loads(value)
        except ValueError:
            return _text_cell(value)
        if value.__class__ is list:
            try:
                return _text_cell(LIST_SEPARATOR.join(value))  # the usual list of strings
            except TypeError:
                pass
    return "" if value is None else _csv_cell(value)


def _utc_cell(value: Any) -> Any:
    """``_csv_cell`` of a :class:`~storage.models.UTCDateTime` value (stored as naive UTC text)."""
    if value.__class__ is str:
        if len(value) == 26 and value[10] == " " and value[19] == ".":  # "YYYY-MM-DD HH:MM:SS.ffffff"
            # what isoformat() of the aware UTC datetime gives, without building it
            if value.endswith(".000000"):
                return f"{value[:10]}T{value[11:19]}+00:00"
            return f"{value[:10]}T{value[11:]}+00:00"
        try:
            value = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        except ValueError:
            return _text_cell(value)
    elif isinstance(value, datetime):
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return "" if value is None else _csv_cell(value)


def _quoted(converter, delimiter: str):
    """``converter`` followed by ``csv.writer``'s QUOTE_MINIMAL quoting of the cell."""

    def cell(value: Any) -> str:
        text = converter(value)
        if text.__class__ is not str:
            text = str(text)  # numbers: what csv.writer writes for them
        if '"' in text:
            return '"' + text.replace('"', '""') + '"'
        if delimiter in text or "\n" in text or "\r" in text:
            return '"' + text + '"'
        return text

    return cell


def _quoted_text(delimiter: str):
    """``_quoted(_text_cell, delimiter)`` in one call (most columns are text)."""
    formula_first, invisible, invisible_lead = _FORMULA_FIRST, _INVISIBLE_SET, _INVISIBLE_LEAD
    if not _SINGLE_CHAR_PREFIXES:  # pragma: no cover - FORMULA_PREFIXES are single characters
        return _quoted(_text_cell, delimiter)

    def cell(text: Any) -> str:
        if text.__class__ is not str:
            if text is None:
                return ""
            text = _csv_cell(text)
            if text.__class__ is not str:
                return str(text)
        if not text:
            return text
        first = text[0]
        if first in formula_first or (first in invisible and text.lstrip(invisible_lead).startswith(FORMULA_PREFIXES)):
            text = "'" + text
        if '"' in text:
            return '"' + text.replace('"', '""') + '"'
        if delimiter in text or "\n" in text or "\r" in text:
            return '"' + text + '"'
        return text

    return cell


#: the columns that get a segment of their own (long text that usually needs quoting)
_OWN_SEGMENT = frozenset({"body"})
#: what SQLite writes for a cell it does not convert (a CR: the row is redone in Python)
_SQL_REDO = "char(13)"
_FF = b"\xff"


def _sql_chars(chars: str) -> str:
    return "char(" + ",".join(str(ord(c)) for c in chars) + ")"


def _sql_json_list(col: str) -> str:
    """SQL for ``_json_cell`` of a JSON list of plain strings stored as ``["a", "b"]``:
    ``a; b``; NULL for SQL NULL, ``[]`` and ``null``; a CR for other forms.  Escapes
    (``\\``), other item types or separators leave a ``\\`` or ``"`` in the result,
    which the Python side treats like the CR."""
    return (f"CASE WHEN {col} GLOB '[[]\"*\"]' "
            f"THEN replace(substr({col}, 3, length({col}) - 4), '\", \"', {_sql_chars(LIST_SEPARATOR)}) "
            # "+": no numeric affinity (the JSON column's) for the comparison
            f"WHEN +{col} = '[]' OR {col} IS NULL OR +{col} = 'null' THEN NULL ELSE {_SQL_REDO} END")


def _sql_utc(col: str) -> str:
    """SQL for ``_utc_cell`` of the stored ``YYYY-MM-DD HH:MM:SS.ffffff``; a CR otherwise."""
    return (f"CASE WHEN {col} GLOB '?????????? ????????.000000' "
            f"THEN printf('%!.10sT%s+00:00', {col}, substr({col}, 12, 8)) "
            f"WHEN {col} GLOB '?????????? ????????.??????' "
            f"THEN printf('%!.10sT%s+00:00', {col}, substr({col}, 12)) "
            f"WHEN {col} IS NULL THEN NULL ELSE {_SQL_REDO} END")


def _sqlite_csv_lines(archive, cols: list[str], site, section, since, until, batch: int,
                      delimiter: str) -> Iterator[tuple[bytes, int]] | None:
    """``(UTF-8 CSV lines, number of rows)`` per ``batch`` rows, straight from SQLite, or
    ``None`` where the general path must be used (not a SQLite
    :class:`~storage.repository.Archive`, a one-column export, a delimiter that is
    not one printable ASCII character or TAB)."""
    if (getattr(archive, "dialect", None) != "sqlite" or not hasattr(archive, "article_query")
            or len(cols) < 2 or len(delimiter) != 1 or not (" " < delimiter < "\x7f" or delimiter == "\t")
            or delimiter == '"' or not _SINGLE_CHAR_PREFIXES):
        return None
    from sqlalchemy import JSON, literal_column

    from storage.models import UTCDateTime

    table = Article.__table__
    engine = archive.engine
    quote = engine.dialect.identifier_preparer.quote
    name = {c: f"{quote(table.name)}.{quote(c)}" for c in cols}
    # segments: (SQL of each cell, whether SQLite converted each cell, a column of its own)
    segments: list[tuple[list[str], list[bool], bool]] = []
    exact = []  # the per-cell converters of the exact path
    for c in cols:
        column_type = table.c[c].type
        if isinstance(column_type, JSON):
            sql, converted = _sql_json_list(name[c]), True
            exact.append(_quoted(_json_cell, delimiter))
        elif isinstance(column_type, UTCDateTime):
            sql, converted = _sql_utc(name[c]), True
            exact.append(_quoted(_utc_cell, delimiter))
        else:  # text, and numbers (never changed; a text value in them is treated as text)
            sql, converted = name[c], False
            exact.append(_quoted_text(delimiter))
        if c in _OWN_SEGMENT and not converted:
            segments.append(([sql], [False], True))
        elif segments and not segments[-1][2]:
            segments[-1][0].append(sql)
            segments[-1][1].append(converted)
        else:
            segments.append(([sql], [converted], False))

    def segment_sql(cells: list[str], converted: list[bool]) -> str:
        if converted == [False]:
            return f"CAST({cells[0]} AS BLOB)"  # NULL stays None
        if len(cells) == 1:
            return f"CAST(ifnull({cells[0]}, '') AS BLOB)"
        fmt = "ff".join(["2573"] * len(cells))  # "%s" 0xFF "%s" ... (0xFF: not valid UTF-8)
        return f"CAST(printf(CAST(X'{fmt}' AS TEXT), {', '.join(cells)}) AS BLOB)"

    # the filters (and their bound parameters) and the order are article_query's
    stmt = archive.article_query(site, section, since, until, cols).with_only_columns(
        table.c.id, *[literal_column(segment_sql(cells, flags)) for cells, flags, _ in segments],
        maintain_column_froms=True,
    )
    by_id = f"SELECT {', '.join(name[c] for c in cols)} FROM {quote(table.name)} WHERE {quote(table.name)}.id = ?"
    process = _row_processor([None if flags == [False] else tuple(flags) for _, flags, _ in segments],
                             delimiter.encode())
    return _csv_chunks(engine, stmt, by_id, exact, batch, delimiter, process)


def _suspect_char(data: bytes) -> bool:
    """Whether ``data`` (UTF-8) starts with a formula or invisible lead character."""
    return data[:4].decode("utf-8", "ignore")[:1] in _SUSPECT_FIRST


def _row_processor(kinds: list[tuple[bool, ...] | None], d: bytes):
    """``process(rows, append, redo)``: append the CSV bytes of the fetched ``rows``
    (``(id, segment, ...)``) and call ``redo(id)`` for the line of a row that must go
    the exact per-cell way.

    ``kinds``: per segment ``None`` for a single unconverted cell, else a tuple telling
    for each of its cells whether SQLite converted it.  The loop is generated for the
    segment layout (straight-line code per segment: no per-cell work and no inner
    loop in the common case); per segment:

    * with ``"``, CR, LF or the delimiter (or ``\\`` where a cell was converted): split
      at 0xFF and quoted cell by cell (:func:`cells`), which also checks each cell's
      first character and that converted cells came out clean;
    * otherwise, if its first byte or a byte after a 0xFF may start a formula /
      invisible lead character and :func:`suspect` confirms it: the exact way;
      else its 0xFF become delimiters.
    """
    D = d[0]
    FF, Q, QQ = _FF, b'"', b'""'
    lead = _SUSPECT_LEAD
    search = re.compile(re.escape(FF) + b"[" + b"".join(re.escape(bytes([b])) for b in sorted(lead)) + b"]").search

    def suspect(seg: bytes) -> bool:
        """Whether a cell of the 0xFF-separated ``seg`` starts with a suspect character."""
        return any(cell and cell[0] in lead and _suspect_char(cell) for cell in seg.split(FF))

    def cells(seg: bytes, converted: tuple[bool, ...]) -> bytes | None:
        """``seg`` quoted cell by cell, or ``None``: the row must go the exact way."""
        parts = seg.split(FF)
        for i, cell in enumerate(parts):
            if converted[i] and (34 in cell or 92 in cell or 13 in cell or 10 in cell):
                return None  # SQLite did not convert it
            if cell and cell[0] in lead and _suspect_char(cell):
                return None
            if 34 in cell:
                parts[i] = Q + cell.replace(Q, QQ) + Q
            elif 10 in cell or 13 in cell or D in cell:
                parts[i] = Q + cell + Q
        return d.join(parts)

    names = [f"s{i}" for i in range(len(kinds))]
    src = ["def process(rows, app, redo):",
           f"    for rid, {', '.join(names)}{',' if len(names) == 1 else ''} in rows:"]
    for i, (s, kind) in enumerate(zip(names, kinds)):  # checks (may send the row the exact way)
        if kind is None:
            src += [f"        if {s} and {s}[0] in lead and suspect_char({s}):",
                    "            app(redo(rid))",
                    "            continue"]
            continue
        test = f"34 in {s} or 10 in {s} or 13 in {s} or D in {s}" + (f" or 92 in {s}" if any(kind) else "")
        first = f"{s}[0] in lead" if len(kind) > 1 else f"{s} and {s}[0] in lead"
        src += [f"        if {test}:",
                f"            {s} = cells({s}, K{i})",
                f"            if {s} is None:",
                "                app(redo(rid))",
                "                continue",
                f"        elif ({first} or search({s}) is not None) and suspect({s}):",
                "            app(redo(rid))",
                "            continue",
                "        else:",
                f"            {s} = {s}.replace(FF, d)"]
    for i, (s, kind) in enumerate(zip(names, kinds)):  # output
        if i:
            src.append("        app(d)")
        if kind is None:
            src += [f"        if {s} is None:",
                    "            pass",
                    f"        elif 34 in {s}:",
                    f"            app(Q); app({s}.replace(Q, QQ)); app(Q)",
                    f"        elif 10 in {s} or 13 in {s} or D in {s}:",
                    f"            app(Q); app({s}); app(Q)",
                    "        else:",
                    f"            app({s})"]
        else:
            src.append(f"        app({s})")
    src.append("        app(CRLF)")
    namespace: dict[str, Any] = {"FF": FF, "Q": Q, "QQ": QQ, "CRLF": b"\r\n", "D": D, "d": d, "cells": cells,
                                 "lead": lead, "search": search, "suspect": suspect, "suspect_char": _suspect_char}
    namespace.update({f"K{i}": kind for i, kind in enumerate(kinds)})
    exec("\n".join(src), namespace)  # noqa: S102 - our own code, generated from the column layout
    return namespace["process"]


def _csv_chunks(engine, stmt, by_id: str, exact: list, batch: int, delimiter: str,
                process) -> Iterator[tuple[bytes, int]]:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        try:
            fetch = result.cursor.fetchmany  # the driver's rows: no result processing
            dbapi = conn.connection.dbapi_connection

            def redo(rid: int) -> bytes:
                """The exact per-cell line of the row with id ``rid`` (same read transaction)."""
                row = dbapi.execute(by_id, (rid,)).fetchone()
                return (delimiter.join([cell(value) for cell, value in zip(exact, row)]) + "\r\n").encode()

            while True:
                rows = fetch(batch)
                if not rows:
                    break
                out: list[bytes] = []
                process(rows, out.append, redo)
                yield b"".join(out), len(rows)
        finally:
            result.close()


def export_jsonl(
    archive,
    out: IO,
    *,
    site: str | None = None,
    section: str | None = None,
    since: Any = None,
    until: Any = None,
    columns: Sequence[str] | None = None,
    batch: int = 1000,
    progress: Any = None,
) -> int:
    """Write articles as JSON Lines (one UTF-8 object per line, lists kept as lists,
    timestamps ISO 8601); same filters and order as :func:`export_csv`."""
    cols = _columns(columns)
    text = _Text(out)
    try:
        stream = text.stream
        count = 0
        for row in _rows(archive, cols, site, section, since, until, batch, progress):
            stream.write(json.dumps({c: _json_value(row[c]) for c in cols}, ensure_ascii=False))
            stream.write("\n")
            count += 1
        return count
    finally:
        text.close()


def export_excel_csv(archive, out: IO, **kwargs: Any) -> int:
    """CSV that Excel opens correctly by double-click: UTF-8 with a BOM, ``;`` as the
    delimiter (Excel's list separator in Indonesian and most European locales) and
    CRLF line ends; otherwise :func:`export_csv`."""
    kwargs.setdefault("bom", True)
    kwargs.setdefault("delimiter", ";")
    return export_csv(archive, out, **kwargs)


#: JSON columns holding lists of strings (a Parquet ``list<string>``)
_LIST_COLUMNS = frozenset({"byline", "tags", "warnings"})


def _parquet_schema(cols: list[str]):
    import pyarrow as pa
    from sqlalchemy import JSON as SAJSON, Integer

    from storage.models import UTCDateTime

    fields = []
    for name in cols:
        col_type = Article.__table__.c[name].type
        if name in _LIST_COLUMNS:
            arrow = pa.list_(pa.string())
        elif isinstance(col_type, UTCDateTime):
            arrow = pa.timestamp("us", tz="UTC")
        elif isinstance(col_type, Integer):
            arrow = pa.int64()
        else:  # text, and JSON dicts (as JSON text)
            arrow = pa.string()
        if isinstance(col_type, SAJSON) and name not in _LIST_COLUMNS:
            arrow = pa.string()
        fields.append(pa.field(name, arrow))
    return pa.schema(fields)


def _parquet_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _LIST_COLUMNS:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        return [None if v is None else str(v) for v in value]
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def export_parquet(
    archive,
    path: Any,
    *,
    site: str | None = None,
    section: str | None = None,
    since: Any = None,
    until: Any = None,
    columns: Sequence[str] | None = None,
    batch: int = 1000,
    progress: Any = None,
    compression: str = "zstd",
) -> int:
    """Write articles to a Parquet file (needs ``pyarrow``: ``pip install 'warta[parquet]'``).

    Typed columns: lists (``byline``, ``tags``, ``warnings``) as ``list<string>``,
    instants (``fetched_at``, ``published_utc``, ...) as UTC timestamps, ``revision``
    as int64; ``published_at`` / ``updated_at`` stay ISO strings with the site's
    offset.  Written one row group per ``batch`` rows (memory stays flat); same
    filters and order as :func:`export_csv`.  Returns the number of rows.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("Parquet export needs pyarrow: pip install 'warta[parquet]'") from exc
    cols = _columns(columns)
    schema = _parquet_schema(cols)
    count = 0
    with pq.ParquetWriter(path, schema, compression=compression) as writer:
        chunk: dict[str, list[Any]] = {c: [] for c in cols}
        filled = 0
        for row in _rows(archive, cols, site, section, since, until, batch, progress):
            for c in cols:
                chunk[c].append(_parquet_value(c, row[c]))
            filled += 1
            count += 1
            if filled >= batch:
                writer.write_table(pa.Table.from_pydict(chunk, schema=schema))
                chunk = {c: [] for c in cols}
                filled = 0
        if filled or count == 0:
            writer.write_table(pa.Table.from_pydict(chunk, schema=schema))
    return count
