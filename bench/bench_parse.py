"""Parse speed: pages/s of our parsers vs ``trafilatura.bare_extraction`` on the same pages.

* **site parsers**: ``crawler.parsers.parse_article`` on every article fixture
  (``fixtures/<site>/*.html`` whose ``.json`` is an article, not a listing), each parsed
  with the URL recorded in its ``.json`` so the site profile is chosen as in a crawl.
  Target >= 5x trafilatura.
* **generic extractor**: ``crawler.parsers.parse_generic`` on the pages of
  ``../shared/datasets`` (loaded by :mod:`bench.bench_extract` when present).  Target >= 1x.

HTML is decoded once up front; both sides parse the same ``str``.  Rounds are
interleaved (ours, peer, ours, peer...) and the best round of each counts.

    python -m bench.bench_parse [--quick]
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

from bench.common import REPO, Row, best, format_table, interleaved, pending

FIXTURES = REPO / "fixtures"


def fixture_pages() -> list[tuple[str, str, str]]:
    """``(name, html, url)`` of every article fixture (listing fixtures excluded)."""
    from crawler.parsers.encoding import decode_html

    pages = []
    for html_path in sorted(FIXTURES.glob("*/*.html")):
        meta_path = html_path.with_suffix(".json")
        if not meta_path.is_file():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if "listing" in meta or not meta.get("url"):
            continue
        pages.append((f"{html_path.parent.name}/{html_path.stem}", decode_html(html_path.read_bytes()), meta["url"]))
    return pages


def _trafilatura():
    from trafilatura import bare_extraction

    def extract(html: str, url: str) -> Any:
        return bare_extraction(html, url=url or None, with_metadata=True)

    return extract


def _time_pair(ours, theirs, pages: list[tuple[str, str, str]], repeat: int, ours_loops: int) -> tuple[float, float]:
    """Best seconds per pass over ``pages`` for ours and the peer (interleaved rounds)."""

    def run_ours() -> None:
        for _ in range(ours_loops):
            for _name, html, url in pages:
                ours(html, url)

    def run_theirs() -> None:
        for _name, html, url in pages:
            theirs(html, url)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _name, html, url in pages[:3]:  # warm both (imports, regex caches)
            ours(html, url)
            theirs(html, url)
        times = interleaved({"ours": run_ours, "peer": run_theirs}, repeat)
    return best(times["ours"]) / ours_loops, best(times["peer"])


def site_parsers_row(repeat: int) -> Row:
    from crawler.parsers import parse_article

    pages = fixture_pages()
    if not pages:
        return pending("parse: site parsers", "fixtures/*/ article pages", "no fixtures found")
    try:
        theirs = _trafilatura()
    except ImportError:
        return pending("parse: site parsers", f"{len(pages)} fixture pages",
                       "trafilatura not installed (pip install -e '.[bench]')", status="skipped", target=5)
    ours_s, peer_s = _time_pair(parse_article, theirs, pages, repeat, ours_loops=5)
    sites = sorted({name.split("/", 1)[0] for name, _, _ in pages})
    n = len(pages)
    return Row("parse: site parsers", f"{n} article fixture pages, {len(sites)} sites",
               n / ours_s, n / peer_s, "pages/s", "trafilatura", 5.0,
               extra={"pages": n, "sites": sites, "ours_ms_per_page": 1000 * ours_s / n,
                      "peer_ms_per_page": 1000 * peer_s / n})


def dataset_pages(limit: int | None) -> dict[str, list[tuple[str, str, str]]]:
    """``{dataset: [(id, html, url)]}`` of ../shared/datasets (article pages only)."""
    try:
        from bench import bench_extract as be
    except ImportError:  # pragma: no cover - bench_extract is part of the project
        return {}
    out = {}
    for name in be.dataset_names():
        pages = be.load_dataset(be.DATASETS / name, limit)
        if pages:
            out[name] = [(p["id"], p["html"], p["url"]) for p in pages]
    return out


def generic_row(repeat: int, limit: int | None) -> Row:
    from crawler.parsers import parse_generic

    by_dataset = dataset_pages(limit)
    pages = [p for ps in by_dataset.values() for p in ps]
    if not pages:
        return pending("parse: generic extractor", "../shared/datasets pages", "no datasets found",
                       status="skipped", target=1)
    try:
        theirs = _trafilatura()
    except ImportError:
        return pending("parse: generic extractor", f"{len(pages)} dataset pages",
                       "trafilatura not installed", status="skipped", target=1)
    ours_s, peer_s = _time_pair(parse_generic, theirs, pages, repeat, ours_loops=1)
    n = len(pages)
    counts = {k: len(v) for k, v in by_dataset.items()}
    return Row("parse: generic extractor", f"{n} pages of ../shared/datasets ({', '.join(f'{k} {v}' for k, v in counts.items())})",
               n / ours_s, n / peer_s, "pages/s", "trafilatura", 1.0,
               extra={"pages": counts, "ours_ms_per_page": 1000 * ours_s / n, "peer_ms_per_page": 1000 * peer_s / n})


def run(quick: bool = False) -> dict[str, Any]:
    repeat = 2 if quick else 5
    rows = [site_parsers_row(repeat), generic_row(1 if quick else 3, 15 if quick else None)]
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    print(format_table(run(args.quick)["rows"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
