"""Benchmark: ``crawler.parsers.parse_article`` against trafilatura and newspaper4k.

Every dataset under ``../shared/datasets/<name>/index.jsonl`` (``html_path`` is
gzip-compressed HTML, ``expected`` the annotated values) is scored for every
extractor in the same run, on the same decoded HTML strings:

* ``warta``          -- ``parse_article`` (site profile when the host has one, else generic)
* ``warta-generic``  -- the generic path only (:func:`crawler.parsers.parse_generic`)
* ``trafilatura``    -- ``trafilatura.bare_extraction(html, url=..., with_metadata=True)``
* ``newspaper4k``    -- ``newspaper.Article(url).download(input_html=html).parse()``

Both peers come with the ``bench`` extra (``pip install -e '.[bench]'``); a peer that is not
installed is left out of the run and named under the table.

Scores (each over the pages annotated with that field; missing keys mean "not annotated"):

* ``headline``  exact match after whitespace normalisation;
* ``published`` right at the precision of the expected value: day when the expected value
  is a day, else the same instant to the minute (a day-only answer is wrong then);
* ``byline``    the same set of names (case-insensitive) as ``authors`` / ``author``;
* ``caption``   the extracted lead caption is one of the annotated captions (or contained in one);
* ``body_f1``   token F1 (multiset of lower-cased ``\\w+`` tokens) against ``body``;
* ``contains`` / ``excludes``: share of ``body_contains`` snippets found / ``body_excludes``
  snippets absent (whitespace-normalised substring test, as in trafilatura's evaluation).

Speed: pages per second of parsing only (HTML already decoded), one pass.

    python -m bench.bench_extract                     # all datasets, all extractors
    python -m bench.bench_extract --datasets id-news --only warta,trafilatura
    from bench.bench_extract import run               # -> dict, for ``python -m bench``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("WARTA_DATASETS", REPO.parent / "shared" / "datasets"))

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _ws(text: Any) -> str:
    return _WS.sub(" ", str(text)).strip() if text else ""


# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------


def load_dataset(folder: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Article pages of one dataset: ``{"id", "url", "html", "expected"}`` (listing pages skipped)."""
    pages = []
    index = folder / "index.jsonl"
    for line in index.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expected = row.get("expected") or {}
        if not any(k in expected for k in ("headline", "body", "body_contains", "published_at")):
            continue  # a listing page
        raw = gzip.decompress((folder / row["html_path"]).read_bytes())
        from crawler.parsers.encoding import decode_html

        pages.append({"id": row["id"], "url": row.get("url") or "", "html": decode_html(raw), "expected": expected})
        if limit and len(pages) >= limit:
            break
    return pages


def dataset_names() -> list[str]:
    if not DATASETS.is_dir():
        return []
    return sorted(p.name for p in DATASETS.iterdir() if (p / "index.jsonl").is_file())


# ---------------------------------------------------------------------------
# extractors: html, url -> {"headline", "published", "authors", "caption", "body"}
# ---------------------------------------------------------------------------


def _warta(html: str, url: str) -> dict[str, Any]:
    from crawler.parsers import parse_article

    rec = parse_article(html, url)
    return {"headline": rec["headline"], "published": rec["published_at"], "authors": rec["byline"],
            "caption": rec["caption"], "body": rec["body"], "parser": rec["parser"]}


def _warta_generic(html: str, url: str) -> dict[str, Any]:
    from crawler.parsers import parse_generic

    rec = parse_generic(html, url)
    return {"headline": rec["headline"], "published": rec["published_at"], "authors": rec["byline"],
            "caption": rec["caption"], "body": rec["body"], "parser": rec["parser"]}


def _trafilatura(html: str, url: str) -> dict[str, Any]:
    from trafilatura import bare_extraction

    doc = bare_extraction(html, url=url or None, with_metadata=True)
    if doc is None:
        return {}
    get = doc.get if isinstance(doc, dict) else (lambda k: getattr(doc, k, None))
    author = get("author")
    return {"headline": get("title"), "published": get("date"),
            "authors": [a.strip() for a in author.split(";")] if author else [],
            "caption": None, "body": get("text")}


def _newspaper4k(html: str, url: str) -> dict[str, Any]:
    import newspaper

    art = newspaper.Article(url or "http://example.invalid/", fetch_images=False, request_timeout=1)
    art.download(input_html=html)
    art.parse()
    pub = art.publish_date
    return {"headline": art.title, "published": pub.isoformat() if pub else None, "authors": list(art.authors or []),
            "caption": None, "body": art.text}


PEERS = ("trafilatura", "newspaper4k")


def missing_peers() -> list[str]:
    """Peers of the ``bench`` extra that are not installed (their columns are missing)."""
    have = available_extractors()
    return [name for name in PEERS if name not in have]


def available_extractors() -> dict[str, Callable[[str, str], dict[str, Any]]]:
    out: dict[str, Callable[[str, str], dict[str, Any]]] = {"warta": _warta, "warta-generic": _warta_generic}
    try:
        import trafilatura  # noqa: F401

        out["trafilatura"] = _trafilatura
    except ImportError:
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import newspaper  # noqa: F401
        out["newspaper4k"] = _newspaper4k
    except ImportError:
        pass
    return out


# ---------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------


def token_f1(got: str | None, want: str | None) -> float:
    a = Counter(_TOKEN.findall((got or "").casefold()))
    b = Counter(_TOKEN.findall((want or "").casefold()))
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def _to_dt(value: Any) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def date_right(got: Any, want: Any) -> bool:
    w, g = _to_dt(want), _to_dt(got)
    if w is None or g is None:
        return False
    if not isinstance(w, datetime):  # the expected value is a day
        return (g.date() if isinstance(g, datetime) else g) == w
    if not isinstance(g, datetime):
        return False  # the page shows a time; a day is not enough
    if (w.tzinfo is None) != (g.tzinfo is None):
        # a naive answer is read as the wall time the expected value shows
        g = g.replace(tzinfo=w.tzinfo) if g.tzinfo is None else g.astimezone(w.tzinfo).replace(tzinfo=None)
    return w.replace(second=0, microsecond=0) == g.replace(second=0, microsecond=0) if w.tzinfo is None else (
        w.astimezone(timezone.utc).replace(second=0, microsecond=0)
        == g.astimezone(timezone.utc).replace(second=0, microsecond=0)
    )


def _names(value: Any) -> set[str]:
    if not value:
        return set()
    items = value if isinstance(value, list) else re.split(r"\s*;\s*", str(value))
    return {_ws(v).casefold() for v in items if _ws(v)}


def score_page(got: dict[str, Any], expected: dict[str, Any]) -> dict[str, float]:
    s: dict[str, float] = {}
    if "headline" in expected:
        s["headline"] = float(_ws(got.get("headline")) == _ws(expected["headline"]))
    if expected.get("published_at"):
        s["published"] = float(date_right(got.get("published"), expected["published_at"]))
    want_authors = expected.get("authors", expected.get("author"))
    if want_authors:
        s["byline"] = float(_names(got.get("authors")) == _names(want_authors))
    captions = expected.get("captions") or ([expected["caption"]] if expected.get("caption") else [])
    if captions:
        cap = _ws(got.get("caption"))
        s["caption"] = float(bool(cap) and any(cap == _ws(c) or cap in _ws(c) for c in captions))
    if expected.get("body"):
        s["body_f1"] = token_f1(got.get("body"), expected["body"])
    body = _ws(got.get("body"))
    if expected.get("body_contains"):
        snippets = [_ws(x) for x in expected["body_contains"]]
        s["contains"] = sum(x in body for x in snippets) / len(snippets)
    if expected.get("body_excludes"):
        snippets = [_ws(x) for x in expected["body_excludes"]]
        s["excludes"] = sum(x not in body for x in snippets) / len(snippets)
    return s


METRICS = ("headline", "published", "byline", "caption", "body_f1", "contains", "excludes")


def evaluate(extract: Callable[[str, str], dict[str, Any]], pages: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, list[float]] = {m: [] for m in METRICS}
    per_page: dict[str, dict[str, float]] = {}
    errors = 0
    elapsed = 0.0
    for page in pages:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = extract(page["html"], page["url"]) or {}
        except Exception:  # a peer crashing on a page scores zero there
            got, errors = {}, errors + 1
        elapsed += time.perf_counter() - start
        s = score_page(got, page["expected"])
        per_page[page["id"]] = s
        for k, v in s.items():
            totals[k].append(v)
    result: dict[str, Any] = {m: (round(sum(v) / len(v), 4) if v else None) for m, v in totals.items()}
    result["n"] = {m: len(v) for m, v in totals.items() if v}
    result["pages"] = len(pages)
    result["errors"] = errors
    result["seconds"] = round(elapsed, 3)
    result["pages_per_s"] = round(len(pages) / elapsed, 1) if elapsed else None
    result["per_page"] = per_page
    return result


def run(datasets: list[str] | None = None, only: list[str] | None = None, limit: int | None = None,
        verbose: bool = False) -> dict[str, Any]:
    """``{dataset: {extractor: {metric: score, "pages_per_s": ...}}}`` plus ``"speed"``."""
    extractors = available_extractors()
    if only:
        extractors = {k: v for k, v in extractors.items() if k in only}
    out: dict[str, Any] = {}
    for name in datasets or dataset_names():
        pages = load_dataset(DATASETS / name, limit)
        if not pages:
            continue
        # warm every extractor (imports, compiled regexes) outside the timing
        for fn in extractors.values():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fn(pages[0]["html"], pages[0]["url"])
            except Exception:
                pass
        out[name] = {ex: evaluate(fn, pages) for ex, fn in extractors.items()}
        if verbose:
            out[name]["_pages"] = [p["id"] for p in pages]
    out["speed"] = _speed_summary(out)
    return out


def _speed_summary(results: dict[str, Any]) -> dict[str, Any]:
    """Profile-parser speed on id-news (the pages our profiles cover) and the generic path
    over everything, both relative to trafilatura on the same pages."""
    summary: dict[str, Any] = {}
    tot: dict[str, list[float]] = {}
    for name, by_ex in results.items():
        if not isinstance(by_ex, dict) or name == "speed":
            continue
        for ex, r in by_ex.items():
            if isinstance(r, dict) and r.get("seconds") is not None:
                acc = tot.setdefault(ex, [0, 0.0])
                acc[0] += r["pages"]
                acc[1] += r["seconds"]
    for ex, (n, secs) in tot.items():
        summary[f"{ex}_pages_per_s"] = round(n / secs, 1) if secs else None
    idn = results.get("id-news", {})
    if "warta" in idn and "trafilatura" in idn and idn["trafilatura"]["pages_per_s"]:
        summary["profile_vs_trafilatura_id_news"] = round(idn["warta"]["pages_per_s"] / idn["trafilatura"]["pages_per_s"], 2)
    if summary.get("warta-generic_pages_per_s") and summary.get("trafilatura_pages_per_s"):
        summary["generic_vs_trafilatura_all"] = round(
            summary["warta-generic_pages_per_s"] / summary["trafilatura_pages_per_s"], 2)
    return summary


def format_table(results: dict[str, Any]) -> str:
    cols = ("headline", "published", "byline", "caption", "body_f1", "contains", "excludes", "pages_per_s")
    lines = ["| dataset | extractor | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 2)]
    for name, by_ex in results.items():
        if name == "speed":
            continue
        for ex, r in by_ex.items():
            if not isinstance(r, dict):
                continue
            cells = []
            for c in cols:
                v = r.get(c)
                cells.append("–" if v is None else (f"{v:.3f}" if c != "pages_per_s" else f"{v:.0f}"))
            lines.append(f"| {name} ({r['pages']}) | {ex} | " + " | ".join(cells) + " |")
    speed = results.get("speed", {})
    if speed:
        lines.append("")
        lines.append("speed: " + ", ".join(f"{k}={v}" for k, v in speed.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", help="comma-separated dataset folders (default: all)")
    ap.add_argument("--only", help="comma-separated extractors (warta,warta-generic,trafilatura,newspaper4k)")
    ap.add_argument("--limit", type=int, help="at most N pages per dataset")
    ap.add_argument("--worst", type=int, default=0, help="list the N worst warta pages per dataset")
    ap.add_argument("--json", help="also write the full result here")
    args = ap.parse_args(argv)
    if not DATASETS.is_dir():
        print(f"no datasets at {DATASETS}", file=sys.stderr)
        return 1
    results = run(args.datasets.split(",") if args.datasets else None,
                  args.only.split(",") if args.only else None, args.limit)
    print(format_table(results))
    for name in missing_peers():
        print(f"\n{name}: not installed, left out of this run (pip install -e '.[bench]')")
    if args.worst:
        for name, by_ex in results.items():
            if name == "speed" or "warta" not in by_ex:
                continue
            pages = by_ex["warta"]["per_page"]
            key = "body_f1" if any("body_f1" in s for s in pages.values()) else "contains"
            worst = sorted(pages.items(), key=lambda kv: (kv[1].get(key, 1.0) + kv[1].get("headline", 1.0)
                                                           + kv[1].get("published", 1.0)))[: args.worst]
            print(f"\nworst warta pages in {name}:")
            for pid, s in worst:
                print(f"  {pid}: {s}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
