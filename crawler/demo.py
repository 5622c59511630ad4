"""`warta demo`: the whole flow on a machine with no network.

Starts the bundled mirror on 127.0.0.1, runs the real ``monitor`` spider
against it through ``scrapy crawl`` (the same code path as a live crawl),
exports the archive to CSV and prints what happened, including how the
archive compares with what the mirror actually published.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from crawler import exitcodes


def run_demo(out_dir: Path, *, articles: int = 120, seed: int = 1) -> int:
    from crawler.cli import scrapy_env
    from crawler.mirror.server import MirrorServer
    from crawler.mirror.site import MirrorSite
    from storage import export
    from storage.repository import Archive

    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = (out_dir / "warta.sqlite").resolve()
    db_url = f"sqlite:///{db_path}"
    site = MirrorSite(n_articles=articles, seed=seed)
    with MirrorServer(site) as server:
        print(f"mirror of monitorindonesia.com with {articles} articles at {server.url}")
        print(f"crawling it with: scrapy crawl monitor -a base_url={server.url}\n", flush=True)
        started = time.monotonic()
        cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-a", f"base_url={server.url}",
               "-s", "LOGSTATS_INTERVAL=5"]
        code = subprocess.call(cmd, env=scrapy_env(db_url), cwd=out_dir)
        elapsed = time.monotonic() - started
        hits = sum(server.hits.values())
    if code != 0:
        print(f"\nthe crawl failed (exit code {code}); see the log above", file=sys.stderr)
        return code

    archive = Archive(db_url, create=False)
    try:
        csv_path = out_dir / "articles.csv"
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            rows = export.export_csv(archive, fh)
        summary = archive.summary()
    finally:
        archive.dispose()

    truth = {a["canonical_url"] for a in site.articles}
    run = summary["last_run"] or {}
    print("\n== Warta demo ==")
    print(f"requests answered by the mirror : {hits}  ({elapsed:.1f} s)")
    print(f"pages fetched and stored raw    : {run.get('pages_fetched', 0)}")
    print(f"articles stored                 : {summary['articles']} "
          f"(the mirror published {len(truth)}; found {len(truth & summary['canonical_urls'])})")
    print(f"new / updated / unchanged       : {run.get('articles_new', 0)} / "
          f"{run.get('articles_updated', 0)} / {run.get('articles_unchanged', 0)}")
    print(f"duplicates skipped              : {run.get('duplicates_skipped', 0)}")
    print(f"parse errors / HTTP errors      : {run.get('parse_errors', 0)} / {run.get('http_errors', 0)}")
    rates = (run.get("stats") or {}).get("fill_rates", {})
    if rates:
        print("field fill rates                : " + ", ".join(
            f"{k} {v:.0%}" for k, v in rates.items()))
    print(f"archive                         : {db_path}")
    print(f"CSV export                      : {csv_path.resolve()} ({rows} rows)")
    db_arg = json.dumps(db_url)
    print("\nnext:")
    print(f"  warta stats --db {db_arg}                    # what the archive holds")
    print(f"  warta report --db {db_arg} -o report.html    # charts in one offline HTML file")
    print(f"  warta export --db {db_arg} --format excel -o articles-excel.csv")
    return exitcodes.OK
