"""Text helpers shared by every site parser.

Everything here works on plain strings (no lxml), so it is cheap to test and
reused by :mod:`crawler.parsers.base` and every site module; site parsers must
not grow private copies of these rules.

All regular expressions are anchored and use bounded repetitions or character
classes that cannot overlap, so none of them can backtrack catastrophically;
inputs are additionally capped (``_HEAD`` / ``_TAIL``) where only the start or
the end of a paragraph matters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "normalize_ws",
    "normalize_multiline",
    "split_caption_credit",
    "clean_byline",
    "detect_dateline",
    "trailing_initials",
    "editor_from_line",
    "is_boilerplate",
    "clean_paragraphs",
    "language_code",
]

# ---------------------------------------------------------------------------
# whitespace
# ---------------------------------------------------------------------------

#: Every run of whitespace (incl. NBSP, narrow NBSP, ideographic space, tabs,
#: newlines) becomes one space, as a browser renders it.
_WS_RE = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
#: Zero-width characters that only break words invisibly.
_INVISIBLE_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize_ws(text: str | None) -> str:
    """NFC-normalise and collapse whitespace inside one paragraph / field."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.split())
    text = _INVISIBLE_RE.sub("", text)
    text = _WS_RE.sub(" ", text).strip()
    return unicodedata.normalize("NFC", text)


def normalize_multiline(text: str | None) -> str:
    """Normalise a multi-paragraph text: paragraphs (blank-line separated, or
    one per line) are kept, each collapsed with :func:`normalize_ws`, and
    joined by one blank line."""
    if not text:
        return ""
    paras = (normalize_ws(p) for p in re.split(r"\r?\n", text))
    return "\n\n".join(p for p in paras if p)


# ---------------------------------------------------------------------------
# captions and photo credits
# ---------------------------------------------------------------------------

_CREDIT_LABEL = r"(?:Foto|FOTO|foto|Photo|PHOTO|Sumber foto|Sumber Foto|Kredit|Credit)"
#: "… (Foto: X)" / "… (ANTARA/X)" / "…(MI/X)" / "… (Dok. X)": one trailing group
#: without nested parentheses.
_TRAILING_PAREN_RE = re.compile(r"(?P<space>\s*)\((?P<inner>[^()]{1,160})\)\s*\.?\s*$")
#: "… Foto: X" at the end, outside parentheses.
_TRAILING_LABEL_RE = re.compile(
    r"(?:^|[\s.,;|/–—-])\s*" + _CREDIT_LABEL + r"\s*:\s*(?P<credit>[^():]{1,120})$"
)
_LABEL_INSIDE_RE = re.compile(r"^" + _CREDIT_LABEL + r"\s*[:/]\s*")
#: Agencies / sources that mark a parenthesis as a credit on their own.
_CREDIT_WORDS_RE = re.compile(
    r"^(?:ANTARA|Antara|REUTERS|Reuters|AFP|AP|EPA|Getty Images|Getty|Shutterstock|"
    r"Istimewa|Ist\.?|Dok\.?|Dokumentasi|Tangkapan layar|Tangkapan Layar|Screenshot|"
    r"Humas|Setpres|BPMI|Net|Internet|Repro|Ilustrasi)\b"
)


def _looks_like_credit(inner: str, glued: bool) -> bool:
    inner = inner.strip()
    if not inner or inner.isdigit():
        return False
    if _LABEL_INSIDE_RE.match(inner) or _CREDIT_WORDS_RE.match(inner):
        return True
    if "/" in inner and not re.fullmatch(r"[\d/ .-]+", inner):
        return True  # "MI/Ramdani", "ANTARA/Hafidz Mubarak A"
    # "caption(credit)" printed with no space before "(": mediaindonesia style
    return glued and len(inner) > 1 and not inner.isupper()


def split_caption_credit(text: str | None) -> tuple[str | None, str | None]:
    """Split a photo caption into ``(caption, credit)``.

    Handles "caption (Foto: X)", "caption Foto: X", "caption (ANTARA/X)",
    "caption (Dok. X)" and "caption(X)" with no space.  The credit keeps what
    identifies the source ("ANTARA/X", "Dok. X") and drops only a "Foto:"
    label.  A trailing parenthesis that is not a credit ("(KPK)") stays in
    the caption.
    """
    text = normalize_ws(text)
    if not text:
        return None, None
    m = _TRAILING_PAREN_RE.search(text)
    if m and _looks_like_credit(m.group("inner"), glued=not m.group("space")):
        caption = text[: m.start()].rstrip(" ,.;:-–—")
        credit = _LABEL_INSIDE_RE.sub("", m.group("inner").strip()).strip()
        return (caption or None), (credit or None)
    m = _TRAILING_LABEL_RE.search(text[-200:])
    if m:
        start = len(text) - len(text[-200:]) + m.start()
        caption = text[:start].rstrip(" ,.;:-–—|/")
        credit = m.group("credit").strip().rstrip(".")
        return (caption or None), (credit or None)
    m = _TRAILING_AGENCY_RE.search(text[-160:])
    if m:  # "… di Karawang. TEMPO/Rizki Pratama" (tempo), "… FOTO/Dok SINDOnews" (sindonews)
        start = len(text) - len(text[-160:]) + m.start()
        caption = text[:start].rstrip(" ,.;:-–—|/")
        return (caption or None), _LABEL_INSIDE_RE.sub("", m.group("credit").strip()).rstrip(".") or None
    m = _COPYRIGHT_CREDIT_RE.search(text[-200:])
    if m:  # "Brandon Salim/©KapanLagi.com®/M. Akrom Sukarya", "… © Instagram.com/akun" (kapanlagi)
        start = len(text) - len(text[-200:]) + m.start()
        caption = text[:start].rstrip(" ,.;:-–—|/")
        credit = m.group("credit").replace("®", "").strip(" /")
        return (caption or None), (credit or None)
    return text, None


#: a "©" credit closing the caption, after a slash or a space: "…/©KapanLagi.com®/Name", "… © Twitter.com"
_COPYRIGHT_CREDIT_RE = re.compile(r"\s*/?\s*©\s*(?P<credit>[^©]{1,160})$")


#: an unbracketed "AGENCY/Name" credit after the caption's last sentence
_TRAILING_AGENCY_RE = re.compile(
    r"(?<=[.!?])\s+(?:Image\s*:\s*)?(?P<credit>(?:[A-Z]{2,}(?: [A-Z]{2,})?|Dok\.?)/[A-Za-z0-9][^/()]{1,60})$"
)


# ---------------------------------------------------------------------------
# bylines
# ---------------------------------------------------------------------------

_BYLINE_LABEL_RE = re.compile(
    r"^(?:(?:Penulis|Reporter|Editor|Redaktur|Pewarta|Kontributor|Jurnalis|Author|Oleh|"
    r"Ditulis oleh|Dilaporkan oleh|By|Rep(?=\s*:))\b\s*[:\-–]?\s*)+",
    re.IGNORECASE,
)
#: " - detikNews", " | Kompas.com", " - Monitor Indonesia"
_DESK_SUFFIX_RE = re.compile(
    r"\s+[-–|]\s*(?:detik\w{0,20}|\w{0,20}\.(?:com|co\.id|id)|Monitor Indonesia|Tim Redaksi)\s*$",
    re.IGNORECASE,
)
#: republika's "Rep: Reporter/ Red: Editor": the editor part of a byline line
_RED_PART_RE = re.compile(r"\s*[/|]?\s*\bRed\s*:.*$")
#: Text that leaked into a byline from the date line next to it.
_BYLINE_DATE_RE = re.compile(r"\s*[|,-]?\s*\b(?:Diperbarui|Dipublikasikan|Diterbitkan|Updated)\b.*$", re.IGNORECASE)
_BYLINE_SPLIT_RE = re.compile(r"\s*[,;|]\s*|\s+(?:dan|and|&)\s+")
#: Academic/professional suffixes that follow a comma: "S.H.", "M.Si", "Ph.D".
_DEGREE_RE = re.compile(r"^(?:[A-Z][a-zA-Z]{0,3}\.){1,3}(?:[A-Z][a-zA-Z]{0,3}\.?)?$|^M\.[A-Za-z]{1,4}$")


def clean_byline(raw: str | Iterable[str] | None) -> list[str]:
    """Names from one or more byline strings, without labels or desk suffixes,
    split on "dan" / "," / "&", deduplicated in printed order (case-insensitive)."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    names: list[str] = []
    seen: set[str] = set()
    for item in items:
        text = normalize_ws(item)
        if not text:
            continue
        text = _BYLINE_DATE_RE.sub("", text)
        text = _RED_PART_RE.sub("", text)  # republika "Rep: X/ Red: Y": Y is the editor
        for part in _BYLINE_SPLIT_RE.split(text):
            part = _BYLINE_LABEL_RE.sub("", part.strip())
            part = _DESK_SUFFIX_RE.sub("", part).strip(" .:-–|/")
            if not part or len(part) > 80 or _DEGREE_RE.match(part) or _is_media(part):
                continue
            key = part.casefold()
            if key not in seen:
                seen.add(key)
                names.append(part)
    return names


# ---------------------------------------------------------------------------
# dateline
# ---------------------------------------------------------------------------

_HEAD = 120
#: The separator after a dateline: "-", "--", "–", "—" surrounded by spaces
#: (the space before may be missing after a closing parenthesis).
_DATELINE_SEP_RE = re.compile(r"\s?(?:--?|–|—)\s")
#: Outlet names printed next to the place ("Jakarta, MI", "Liputan6.com, Jakarta").
_DOMAINISH_RE = re.compile(r"\.(?:com|co|id|net|org|tv)\b", re.IGNORECASE)
_KNOWN_MEDIA = frozenset(
    {"MI", "MONITOR", "MONITOR INDONESIA", "ANTARA", "ANTARA NEWS", "CNN INDONESIA", "CNBC INDONESIA",
     "INILAHCOM", "VIVA", "RMOL", "TEMPO", "KOMPAS", "REPUBLIKA", "OKEZONE", "SINDONEWS", "TRIBUNNEWS"}
)
_PLACE_RE = re.compile(r"^[A-Za-z][A-Za-z'.]{1,30}(?: [A-Za-z][A-Za-z'.]{0,30}){0,3}$")
_CAPITALISED_RE = re.compile(r"^[A-Z][A-Za-z'.]{1,30}(?: [A-Z][A-Za-z'.]{0,30}){0,2}$")
_AGENCY_PAREN_RE = re.compile(r"^(?P<place>[^()]{2,60}?)\s*\((?:ANTARA|Antara|ANTARA News)\)$")


def _is_media(text: str) -> bool:
    return bool(_DOMAINISH_RE.search(text)) or text.upper() in _KNOWN_MEDIA


def _is_place(text: str) -> bool:
    return bool(_PLACE_RE.match(text)) and not _is_media(text)


def _title_place(place: str) -> str:
    words = []
    for word in place.split(" "):
        if word.isupper() and len(word) > 1:
            word = word.capitalize()
        words.append(word)
    return " ".join(words)


def detect_dateline(first_paragraph: str | None) -> str | None:
    """The place of a dateline at the start of the body, title-cased.

    "Jakarta, MI – …", "JAKARTA, KOMPAS.com - …", "Jakarta (ANTARA) - …",
    "Liputan6.com, Jakarta - …", "REPUBLIKA.CO.ID, JAKARTA -- …",
    "Jakarta - …" -> "Jakarta".  "TRIBUNNEWS.COM - …" (no place) and ordinary
    sentences -> ``None``.
    """
    if not first_paragraph:
        return None
    head = normalize_ws(first_paragraph[:_HEAD])
    m = _DATELINE_SEP_RE.search(head)
    if not m or m.start() > 70:
        return None
    lead = head[: m.start()].strip().rstrip(",")
    if not lead:
        return None
    am = _AGENCY_PAREN_RE.match(lead)
    if am:
        place = am.group("place").strip()
        return _title_place(place) if _is_place(place) else None
    parts = [p.strip() for p in lead.split(",")]
    if len(parts) == 1:
        # "Jakarta - …" (detik) / "JAKARTA - …": only a capitalised place name
        return _title_place(lead) if _CAPITALISED_RE.match(lead) and not _is_media(lead) else None
    if len(parts) != 2:
        return None
    first, second = parts
    if _is_media(second) and _is_place(first):
        return _title_place(first)
    if _is_media(first) and _is_place(second):
        return _title_place(second)
    return None


# ---------------------------------------------------------------------------
# editor
# ---------------------------------------------------------------------------

_TAIL = 80
#: "… pihak. (Ran)" / "…,” katanya. (boy/jpnn)" / "(fea/fea)": initials in
#: parentheses closing the last paragraph, right after the end of a sentence.
_INITIALS_RE = re.compile(
    r"[.!?\"”’'»)]\s*\((?P<ini>[A-Za-z]{1,6}(?:/[A-Za-z0-9.]{1,12}){0,3})\)\s*$"
)
_MEDIA_SUFFIXES = frozenset({"kpl", "jpnn", "ant", "antara", "mi", "kompas", "detik", "jpg", "jpc", "jp", "rmol", "rmol.id"})
_EDITOR_LINE_RE = re.compile(
    r"^(?:Editor|Redaktur|Penyunting)\s*(?:&\s*Reporter\s*)?:\s*(?P<name>[^|:]{2,80})$", re.IGNORECASE
)


def trailing_initials(last_paragraph: str | None) -> str | None:
    """Editor initials closing the body: "(Ran)" -> "Ran"; "(boy/jpnn)" -> "boy"
    (the outlet's own suffix is dropped); "(vyp/kna)" -> "vyp/kna"; "(fea/fea)" -> "fea"."""
    if not last_paragraph:
        return None
    tail = last_paragraph[-_TAIL:].rstrip()
    m = _INITIALS_RE.search(tail)
    if not m:
        return None
    parts: list[str] = []
    for part in m.group("ini").split("/"):
        if part.lower() in _MEDIA_SUFFIXES or part in parts:
            continue
        parts.append(part)
    return "/".join(parts) or None


def editor_from_line(line: str | None) -> str | None:
    """A named editor from an "Editor: Name" line, else ``None``."""
    line = normalize_ws(line)
    m = _EDITOR_LINE_RE.match(line) or _RED_EDITOR_RE.search(line)
    return m.group("name").strip(" .") if m else None


#: "Rep: Fuji Eka Permana/ Red: Ani Nursalikah" (republika)
_RED_EDITOR_RE = re.compile(r"(?:^|[/|]\s*)Red\s*:\s*(?P<name>[^|:/]{2,80})$")


# ---------------------------------------------------------------------------
# boilerplate paragraphs
# ---------------------------------------------------------------------------

_BOILERPLATE_RES = [
    # related links
    re.compile(r"^(?:baca|lihat|simak|cek)(?:\s+(?:juga|pula))?\s*(?::|$)", re.IGNORECASE),
    re.compile(r"^(?:artikel|berita)\s+terkait\s*:?", re.IGNORECASE),
    re.compile(r"^(?:pilihan editor|baca berita lainnya|jangan lewatkan|berita rekomendasi|more stories)\s*(?::|$)", re.IGNORECASE),
    # ad labels
    re.compile(r"^[-–—\s]*(?:advertisement|advertising|iklan|anzeige|werbung|publicidad|publicité|pubblicità|sponsored|"
               r"scroll to continue with content|scroll to resume content)[-–—\s]*$", re.IGNORECASE),
    # video plugs
    re.compile(r"^(?:yuk,?\s+)?(?:simak|saksikan|tonton)(?:\s+juga)?\s+video\b", re.IGNORECASE),
    re.compile(r"^\[gambas:[^\]]{0,80}\]$", re.IGNORECASE),
    # follow / WhatsApp / Google News / Telegram plugs
    re.compile(
        r"^(?:ikuti|follow|simak|dapatkan|cek|gabung|bergabung|join|klik|telusuri)\b.{0,160}"
        r"\b(?:whatsapp|google news|telegram|channel|saluran|instagram|tiktok|youtube|twitter|facebook|berita .{0,40}lainnya|update berita)",
        re.IGNORECASE,
    ),
    # labels
    re.compile(r"^(?:topik|tag|tags|kata kunci|editor|redaktur|penulis|reporter|pewarta|penyunting)\s*:", re.IGNORECASE),
    re.compile(r"^(?:bagikan|share|salin tautan|copy link)(?:\s+(?:artikel ini|berita ini|this article))?\s*:?$", re.IGNORECASE),
    re.compile(r"^(?:halaman selanjutnya|selanjutnya|next page)\s*:?$", re.IGNORECASE),
    # copyright and page furniture lines
    re.compile(r"^(?:copyright|hak cipta)\s*(?:©|\(c\)|&copy;)?", re.IGNORECASE),
    re.compile(r"^(?:\d{1,3}(?:[.,]\d{3})*\s+)?(?:views|dilihat|kali dibaca)$", re.IGNORECASE),
    re.compile(r"^(?:loading|memuat)\.{0,3}$", re.IGNORECASE),
    re.compile(r"^\* ?untuk mengetahui kebenaran informasi yang beredar", re.IGNORECASE),
]


def is_boilerplate(paragraph: str) -> bool:
    """True for a paragraph that is page furniture rather than article text."""
    text = paragraph.strip()
    if not text:
        return True
    head = text[:240]
    return any(rx.match(head) for rx in _BOILERPLATE_RES)


_AFFIX_SEP_RE = re.compile(r"\s+[|\-–—:»]\s+|\s*[|»]\s*|^[^:]{2,30}\.(?:com|co\.id|id|net)\s*:\s*")


def strip_site_affix(title: str | None) -> str:
    """"Headline - Kompas.com" / "Headline | Tempo" / "KapanLagi.com: Headline" -> "Headline":
    the longest part when a title is split at its separators."""
    title = normalize_ws(title)
    if not title:
        return ""
    m = re.match(r"^[^:]{2,30}\.(?:com|co\.id|id|net)\s*:\s*(.+)$", title)
    if m:
        return m.group(1)
    parts = re.split(r"\s+[|–—]\s+|\s+-\s+|\s*\|\s*", title)
    if len(parts) > 1:
        best = max(parts, key=len)
        if len(best) >= 15:
            return best
    return title


def clean_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Article paragraphs: boilerplate dropped (:func:`is_boilerplate`) and a
    paragraph repeated right after itself kept once."""
    out: list[str] = []
    for para in paragraphs:
        if is_boilerplate(para):
            continue
        if out and out[-1] == para:
            continue
        out.append(para)
    return out


# ---------------------------------------------------------------------------
# language
# ---------------------------------------------------------------------------

#: very frequent words that only one of the two languages uses (Indonesian news pages
#: sometimes declare ``lang="en"``: kapanlagi 2015-16, many CMS defaults)
_ID_WORDS = frozenset("yang dan di dengan untuk ini itu dari dalam tidak akan pada juga ke karena oleh "
                      "sudah bisa ada saat mereka kami kata tersebut".split())
_EN_WORDS = frozenset("the and of to in is that for with was on as are be by this from at have has "
                      "not but were which".split())
_WORD_RE = re.compile(r"[a-z]+")


def id_or_en(text: str, *, min_words: int = 8, margin: float = 3.0) -> str | None:
    """"id" or "en" when ``text`` is clearly in that language (its frequent words
    outnumber the other's ``margin`` times, at least ``min_words`` of them), else None."""
    words = _WORD_RE.findall(text[:4000].lower())
    ind = sum(w in _ID_WORDS for w in words)
    eng = sum(w in _EN_WORDS for w in words)
    if ind >= min_words and ind >= margin * eng:
        return "id"
    if eng >= min_words and eng >= margin * ind:
        return "en"
    return None


def language_code(value: str | None) -> str | None:
    """Primary BCP-47 subtag, lower case: "id-ID" -> "id"; legacy "in" -> "id"."""
    value = normalize_ws(value)
    if not value:
        return None
    primary = re.split(r"[-_]", value, maxsplit=1)[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", primary):
        return None
    return "id" if primary in ("in", "ind") else primary
