"""Parser fixtures: record, review and update ``fixtures/<site>/NAME.json``.

Each fixture is a page we wrote ourselves, ``NAME.html``, beside ``NAME.json``
holding what the parser must return for it:

* an article page: every schema field (:data:`crawler.items.ARTICLE_FIELDS`),
  ``url`` being the URL the page is parsed with; ``fetched_at`` and
  ``content_hash`` stay ``null`` (they depend on the run);
* a listing page: ``{"url": ..., "listing": {"items": [...], "next_url": ...}}``.

Workflow (fundus / web-poet style): write the expected JSON by hand from what
the page shows; :func:`record` only drafts it from the current parser for a
person to review, and refuses to overwrite an existing expectation unless
asked.  :func:`review` re-parses every fixture and reports field by field
what differs from the stored JSON; ``update=True`` rewrites the JSON with the
current output (after a deliberate parser change).

``main(argv)`` is the command line (``warta fixtures record|review|update``)::

    python -m crawler.fixturetool record fixtures/monitor/NAME.html --url URL [--force] [--kind article|listing]
    python -m crawler.fixturetool review [fixtures/monitor ...]
    python -m crawler.fixturetool update [fixtures/monitor ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.items import ARTICLE_FIELDS
from crawler.parsers import parse_article, parse_listing, parser_for
from crawler.parsers.base import parse_html

__all__ = ["FieldDiff", "record", "review", "expected_output", "actual_output", "diff_fixture", "main"]

#: Repository default: every site folder under ``fixtures/``.
FIXTURES_ROOT = Path(__file__).resolve().parent.parent / "fixtures"
#: Fields that depend on the run, not on the page: compared as null.
RUNTIME_FIELDS = ("fetched_at", "content_hash")


@dataclass(frozen=True)
class FieldDiff:
    """One field of one fixture that differs from the stored expectation."""

    fixture: str
    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        if isinstance(self.expected, dict) and isinstance(self.actual, dict):
            keys = sorted(set(self.expected) | set(self.actual))
            parts = [
                f"{k}: {_short(self.expected.get(k, '<missing>'), 60)} -> {_short(self.actual.get(k, '<missing>'), 60)}"
                for k in keys
                if self.expected.get(k, "<missing>") != self.actual.get(k, "<missing>")
            ]
            return f"{self.fixture}: {self.field}: " + "; ".join(parts)
        if isinstance(self.expected, str) and isinstance(self.actual, str) and len(self.expected) > 160:
            at = next((i for i, (a, b) in enumerate(zip(self.expected, self.actual)) if a != b), min(len(self.expected), len(self.actual)))
            lo = max(0, at - 40)
            return (
                f"{self.fixture}: {self.field}: differs at character {at}: "
                f"expected …{_short(self.expected[lo:at + 60])}, got …{_short(self.actual[lo:at + 60])}"
            )
        return f"{self.fixture}: {self.field}: expected {_short(self.expected)}, got {_short(self.actual)}"


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_html(html_path: Path) -> str:
    return html_path.read_text(encoding="utf-8")


def _guess_kind(html: str, url: str) -> str:
    """"listing" for a non-article whose URL is not an article URL, else "article"."""
    root = parse_html(html)
    page_class = parser_for(url, root)
    if page_class.is_article_url(url):
        return "article"
    if parse_article(html, url)["parse_error"] and parse_listing(html, url)["items"]:
        return "listing"
    return "article"


def actual_output(html: str, url: str, kind: str) -> dict[str, Any]:
    """What the parser returns for a fixture, in the JSON layout of the fixture."""
    if kind == "listing":
        return {"url": url, "listing": parse_listing(html, url)}
    record = parse_article(html, url)
    for field in RUNTIME_FIELDS:
        record[field] = None
    return {name: record.get(name) for name in ARTICLE_FIELDS}


def expected_output(json_path: Path) -> dict[str, Any]:
    return json.loads(json_path.read_text(encoding="utf-8"))


def _kind_of(expected: dict[str, Any]) -> str:
    return "listing" if "listing" in expected else "article"


def diff_fixture(html_path: Path, json_path: Path | None = None) -> list[FieldDiff]:
    """Field-by-field differences between the parser output and the JSON.

    Listing fixtures are compared per item (``listing.items[3].url``) and
    ``listing.next_url``; article fixtures per schema field (a key missing
    from the JSON counts as a difference, so the JSON must list every field).
    """
    html_path = Path(html_path)
    json_path = Path(json_path) if json_path else html_path.with_suffix(".json")
    name = html_path.stem
    expected = expected_output(json_path)
    url = expected.get("url")
    if not url:
        return [FieldDiff(name, "url", None, "(the fixture JSON needs a top-level url)")]
    actual = actual_output(_read_html(html_path), url, _kind_of(expected))
    diffs: list[FieldDiff] = []
    if _kind_of(expected) == "listing":
        exp, act = expected.get("listing") or {}, actual["listing"]
        exp_items, act_items = exp.get("items", []), act.get("items", [])
        for i in range(max(len(exp_items), len(act_items))):
            e = exp_items[i] if i < len(exp_items) else None
            a = act_items[i] if i < len(act_items) else None
            if e is None or a is None:
                diffs.append(FieldDiff(name, f"listing.items[{i}]", e, a))
                continue
            for key in sorted(set(e) | set(a)):
                if e.get(key, "<missing>") != a.get(key, "<missing>"):
                    diffs.append(FieldDiff(name, f"listing.items[{i}].{key}", e.get(key, "<missing>"), a.get(key, "<missing>")))
        if exp.get("next_url", "<missing>") != act.get("next_url"):
            diffs.append(FieldDiff(name, "listing.next_url", exp.get("next_url", "<missing>"), act.get("next_url")))
        return diffs
    for field in ARTICLE_FIELDS:
        e = expected.get(field, "<missing>")
        a = actual.get(field)
        if e != a:
            diffs.append(FieldDiff(name, field, e, a))
    extra = sorted(set(expected) - set(ARTICLE_FIELDS))
    for field in extra:
        diffs.append(FieldDiff(name, field, expected[field], "<not a schema field>"))
    return diffs


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def record(html_path: str | Path, url: str, *, overwrite: bool = False, kind: str | None = None) -> Path:
    """Write ``NAME.json`` beside ``NAME.html`` from the current parser output,
    for a person to review.  Refuses to replace an existing expectation unless
    ``overwrite=True`` (raises :class:`FileExistsError`)."""
    html_path = Path(html_path)
    json_path = html_path.with_suffix(".json")
    if json_path.exists() and not overwrite:
        raise FileExistsError(f"{json_path} exists; review it by hand or pass overwrite=True (--force)")
    html = _read_html(html_path)
    kind = kind or _guess_kind(html, url)
    _write_json(json_path, actual_output(html, url, kind))
    return json_path


def fixture_pairs(site_dir: str | Path) -> list[tuple[Path, Path]]:
    """``(NAME.html, NAME.json)`` pairs of one site folder, sorted by name."""
    site_dir = Path(site_dir)
    return [(html, html.with_suffix(".json")) for html in sorted(site_dir.glob("*.html"))]


def review(site_dir: str | Path, *, update: bool = False) -> list[FieldDiff]:
    """Parse every fixture of ``site_dir`` and report what changed against the
    stored JSON.  A page without JSON is reported (field ``"*"``).  With
    ``update=True`` the JSON of every changed fixture is rewritten from the
    current output (missing JSON is not created: use :func:`record`)."""
    diffs: list[FieldDiff] = []
    for html_path, json_path in fixture_pairs(site_dir):
        if not json_path.exists():
            diffs.append(FieldDiff(html_path.stem, "*", "<NAME.json>", "missing: run record"))
            continue
        found = diff_fixture(html_path, json_path)
        diffs.extend(found)
        if update and found:
            expected = expected_output(json_path)
            _write_json(json_path, actual_output(_read_html(html_path), expected["url"], _kind_of(expected)))
    return diffs


def _site_dirs(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    return sorted(p for p in FIXTURES_ROOT.iterdir() if p.is_dir())


def main(argv: list[str] | None = None) -> int:
    """``record`` / ``review`` / ``update``; exit status 1 when review finds differences."""
    parser = argparse.ArgumentParser(prog="warta fixtures", description="Record and review parser fixtures.")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="draft NAME.json beside NAME.html from the current parser")
    rec.add_argument("html", help="path to NAME.html")
    rec.add_argument("--url", help="URL the page is parsed with (default: its <link rel=canonical>)")
    rec.add_argument("--kind", choices=("article", "listing"), default=None)
    rec.add_argument("--force", action="store_true", help="overwrite an existing NAME.json")
    for name, helptext in (("review", "show field differences"), ("update", "rewrite changed NAME.json files")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("dirs", nargs="*", help="site folders (default: every folder under fixtures/)")
    args = parser.parse_args(argv)

    if args.command == "record":
        url = args.url
        if not url:
            from crawler.parsers.base import select_one

            link = select_one(parse_html(_read_html(Path(args.html))), "link[rel~=canonical]")
            url = link.get("href") if link is not None else None
            if not url:
                parser.error("--url is required: the page has no <link rel=canonical>")
        try:
            path = record(args.html, url, overwrite=args.force, kind=args.kind)
        except FileExistsError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(f"wrote {path}: review every field by hand before committing")
        return 0

    update = args.command == "update"
    total = 0
    for site_dir in _site_dirs(args.dirs):
        diffs = review(site_dir, update=update)
        total += len(diffs)
        for diff in diffs:
            print(diff)
        verb = "updated" if update else "differ"
        print(f"{site_dir}: {len({d.fixture for d in diffs})} fixture(s) {verb}, {len(diffs)} field(s)")
    return 1 if total and not update else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
