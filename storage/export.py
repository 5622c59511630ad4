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

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import IO, Any

from storage.models import Article

__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_PREFIXES",
    "LIST_SEPARATOR",
    "export_csv",
    "export_jsonl",
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


def neutralize_formula(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would evaluate as a formula."""
    if text and text.startswith(FORMULA_PREFIXES):
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


def _rows(archive, cols: list[str], site, section, since, until, batch: int) -> Iterator[dict[str, Any]]:
    return archive.iter_articles(site, section, since, until, batch, columns=cols)


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
        for row in _rows(archive, cols, site, section, since, until, batch):
            writer.writerow([_csv_cell(row[c]) for c in cols])
            count += 1
        return count
    finally:
        text.close()


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
) -> int:
    """Write articles as JSON Lines (one UTF-8 object per line, lists kept as lists,
    timestamps ISO 8601); same filters and order as :func:`export_csv`."""
    cols = _columns(columns)
    text = _Text(out)
    try:
        stream = text.stream
        count = 0
        for row in _rows(archive, cols, site, section, since, until, batch):
            stream.write(json.dumps({c: _json_value(row[c]) for c in cols}, ensure_ascii=False))
            stream.write("\n")
            count += 1
        return count
    finally:
        text.close()
