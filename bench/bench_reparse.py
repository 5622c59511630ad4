"""Re-parse speed: ``crawler.reparse.reparse`` over a stored archive.

The archive is what a real crawl stores: ``scrapy crawl monitor`` over a mirror of
N articles (the crawl benchmark's archive when it ran in the same ``python -m bench``,
else one crawl made here).  ``reparse(archive)`` reads every article with its page,
decompresses and decodes it, parses, cleans, dates, hashes and compares it with the
stored row (and writes revisions where something changed: nothing here, the parser
did not change).

There is no outside peer for re-parsing a Warta archive; the row compares it with
its ceiling measured in the same run: ``parse_article`` alone over the same pages,
already decoded in memory, inline.  ``reparse`` parses in worker processes
(``WARTA_PARSE_WORKERS=auto``, as ``warta reparse`` does); the inline figure
(``WARTA_PARSE_WORKERS=0``) is in the row's note.

    python -m bench.bench_reparse [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Row, format_table, interleaved, pending


def crawl_archive(workdir: Path, n: int) -> Path:
    """``workdir/crawl-N.sqlite``: kept by the crawl benchmark, or crawled here."""
    path = workdir / f"crawl-{n}.sqlite"
    if path.exists():
        return path
    from bench.bench_crawl import full_crawl
    from bench.common import MirrorProcess

    tmp = workdir / f"crawl-{n}.partial.sqlite"
    with MirrorProcess(n) as mirror:
        res = full_crawl(mirror.url, tmp, workdir / "stats.json")
    if res["articles_new"] != n:
        raise RuntimeError(f"crawl stored {res['articles_new']} of {n} articles")
    tmp.rename(path)
    return path


def _pages(db: Path) -> list[tuple[str, str]]:
    """(html, url) of the article pages, decoded (the parse-only ceiling's input)."""
    import gzip

    from crawler.parsers.encoding import decode_html

    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT p.body_gz, p.url, p.content_type FROM pages p JOIN articles a "
                            "ON a.id = p.article_id WHERE p.status = 200 ORDER BY p.id").fetchall()
    finally:
        conn.close()
    return [(decode_html(gzip.decompress(body), ctype), url) for body, url, ctype in rows]


def run(quick: bool = False, workdir: Path | None = None, articles: int | None = None,
        rounds: int | None = None) -> dict[str, Any]:
    try:
        from crawler.reparse import reparse
    except ImportError:
        return {"rows": [pending("re-parse", "reparse over the stored archive",
                                 "crawler.reparse not available yet")]}
    from crawler.parsepool import worker_count
    from crawler.parsers import parse_article
    from storage.repository import Archive

    n = articles or (500 if quick else 5_000)
    rounds = rounds or (1 if quick else 2)
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="warta-bench-reparse-")
        workdir = Path(own_tmp.name)
    try:
        source = crawl_archive(workdir, n)
        pages = _pages(source)
        copy = workdir / "reparse.sqlite"
        summaries: list[dict[str, Any]] = []

        def run_reparse(workers: str = "auto") -> None:
            for old in workdir.glob("reparse.sqlite*"):
                old.unlink()
            shutil.copyfile(source, copy)
            archive = Archive(f"sqlite:///{copy}")
            try:
                start = time.perf_counter()
                summary = reparse(archive, workers=workers)
                summary["bench_seconds"] = time.perf_counter() - start
                summaries.append(summary)
            finally:
                archive.dispose()

        def run_parse() -> None:
            for html, url in pages:
                parse_article(html, url)

        run_parse()  # warm-up: imports, regex caches
        times: dict[str, list[float]] = {"reparse": [], "reparse_inline": [], "parse": []}
        for _ in range(rounds):
            run_reparse("auto")
            times["reparse"].append(summaries[-1]["bench_seconds"])
            run_reparse("0")
            times["reparse_inline"].append(summaries[-1]["bench_seconds"])
            times["parse"].append(interleaved({"parse": run_parse}, 1)["parse"][0])
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()
    done = summaries[-1]
    checked = done.get("articles", 0)
    if checked != n:
        raise RuntimeError(f"reparse checked {checked} articles, expected {n}: {done}")
    ours_s, peer_s = min(times["reparse"]), min(times["parse"])
    return {"rows": [Row("re-parse", f"`reparse()` over a crawled archive of {n:,} articles (no changes to write)",
                         checked / ours_s, len(pages) / peer_s, "pages/s", "parse_article only", None,
                         target_text="– (info)",
                         note=f"parse workers: {worker_count('auto')}; inline (WARTA_PARSE_WORKERS=0): "
                              f"{checked / min(times['reparse_inline']):,.0f} pages/s",
                         extra={"summary": {k: v for k, v in done.items() if k not in ("fields", "parsers")},
                                "reparse_runs_s": [round(t, 2) for t in times["reparse"]],
                                "reparse_inline_runs_s": [round(t, 2) for t in times["reparse_inline"]],
                                "parse_runs_s": [round(t, 2) for t in times["parse"]]})]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    print(format_table(run(args.quick, args.workdir)["rows"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
