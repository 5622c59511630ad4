"""Bytes -> text for fetched pages.

Order (as a browser, WHATWG "encoding sniffing", via :func:`w3lib.encoding.html_to_unicode`):

1. a byte-order mark (it wins over any declaration, as in browsers);
2. the HTTP ``Content-Type`` charset;
3. ``<meta charset>`` / ``<meta http-equiv=Content-Type>`` / XML declaration;
4. detection with charset_normalizer (``auto_detect_fun``);
5. UTF-8.

Declarations are checked against the bytes, because Indonesian sites (and
their proxies) often lie: a page declared UTF-8 whose bytes are not valid
UTF-8 is re-detected, and a page declared latin-1 / windows-1252 / ASCII
whose non-ASCII bytes form valid UTF-8 is decoded as UTF-8 (random
windows-1252 text is practically never valid UTF-8).  ISO-8859-1 is read as
windows-1252, as browsers do (w3lib's translation table).
"""

from __future__ import annotations

import codecs

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
    to_unicode,
)

__all__ = ["decode_html", "detect_encoding"]

#: Single-byte Western encodings under which UTF-8 bytes would silently become mojibake.
_LATIN_FAMILY = frozenset({"cp1252", "latin_1", "iso8859_15", "ascii"})
#: Encodings a detector may reasonably return for Indonesian / Western pages;
#: anything else on a single-byte page is most likely a misdetection of cp1252.
_PLAUSIBLE = frozenset({"utf_8", "cp1252", "latin_1", "iso8859_15", "ascii", "utf_16", "utf_16_le", "utf_16_be", "utf_32"})


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)  # applies the WHATWG-ish translation table (latin-1 -> cp1252)
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name.replace("-", "_")
    except LookupError:
        return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(body: bytes) -> str | None:
    """``auto_detect_fun`` for :func:`html_to_unicode`: valid UTF-8 first, then
    charset_normalizer, with implausible single-byte guesses mapped to cp1252."""
    if _is_utf8(body):
        return "utf-8"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
        guess = _codec(best.encoding) if best is not None else None
    except Exception:  # detection is best-effort
        guess = None
    if guess in _PLAUSIBLE:
        return guess
    try:
        body.decode("cp1252")
    except UnicodeDecodeError:
        return guess or "utf-8"
    return "cp1252"


def decode_html(body: bytes | str | None, content_type: str | None = None) -> str:
    """Decode a fetched HTML body to text; never raises (undecodable bytes
    become U+FFFD)."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    body = bytes(body)
    if not body:
        return ""
    bom_enc, _bom = read_bom(body)
    if bom_enc is None:
        declared = _codec(http_content_type_encoding(content_type) or html_body_declared_encoding(body))
        if declared is not None:
            if declared == "utf_8" and not _is_utf8(body):
                # wrong declaration: re-detect, ignoring it
                return to_unicode(body, detect_encoding(body) or "utf-8")
            if declared in _LATIN_FAMILY and not body.isascii() and _is_utf8(body):
                return body.decode("utf-8")
    try:
        _enc, text = html_to_unicode(content_type, body, default_encoding="utf-8", auto_detect_fun=detect_encoding)
    except Exception:
        text = body.decode("utf-8", errors="replace")
    return text
