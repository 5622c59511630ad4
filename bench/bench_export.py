"""Export speed and memory: ``storage.export.export_csv`` vs the ``sqlite3`` shell's CSV.

Both export the same columns (:data:`storage.export.EXPORT_COLUMNS`) of every
article, in the same order (publication time, unknown last, then id), from the
same archive file to a file:

* **ours**: a child process running ``export_csv(Archive(db), fh)`` -- what
  ``warta export --format csv`` does (lists joined, formula-injection guard,
  timestamps as ISO, UTF-8);
* **peer**: ``sqlite3 -csv -header DB "SELECT <columns> FROM articles ORDER BY ..."``,
  the SQLite command-line shell's own CSV output (JSON lists left as JSON text, no
  formula guard).

Times, interleaved, best of the rounds: for the peer the wall time of the whole
``sqlite3`` process (its start-up takes milliseconds); for ours the wall time of the
export inside the child, from opening the archive (``Archive(...)`` with its schema
check) to the closed file -- *not* the Python interpreter's start-up and imports
(SQLAlchemy, ...), a constant 0.4-1 s the C shell does not have, which at 100,000
rows would otherwise be a quarter of our time and make the rows/s figure depend on
the archive size.  Whole-process wall times of both sides are kept in the row
(``extra``, and the note gives our whole-process rows/s and ratio).  Memory: the
peak RSS of our whole export process for the full archive against the same export
of an archive a tenth of its size; flat means the growth stays under :data:`FLAT_MB`.

The archives are built through ``Archive.store_batch`` from the items of
:mod:`bench.bench_store` (``--workdir`` keeps them between runs).

    python -m bench.bench_export [--quick] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, Row, child_env, format_table, run_child

#: allowed peak-RSS growth from the small to the large export (MB)
FLAT_MB = 8.0


def ensure_archive(workdir: Path, n: int) -> Path:
    """``workdir/archive-N.sqlite`` with ``n`` articles (built once, then reused)."""
    from bench.bench_store import build_archive

    path = workdir / f"archive-{n}.sqlite"
    done = workdir / f"archive-{n}.done"
    if not done.exists():
        for old in workdir.glob(f"archive-{n}.sqlite*"):
            old.unlink()
        build_archive(path, n)
        done.write_text("ok")
    return path


def peer_sql() -> str:
    from storage.export import EXPORT_COLUMNS

    return (f"SELECT {', '.join(EXPORT_COLUMNS)} FROM articles "
            "ORDER BY published_utc ASC NULLS LAST, id ASC")


def ours(db: Path, out: Path) -> dict[str, Any]:
    res = run_child([PYTHON, "-m", "bench.bench_export", "--child", str(db), str(out)], env=child_env())
    if res.returncode != 0:
        raise RuntimeError(f"export failed: {res.stderr[-2000:]}")
    info = json.loads(res.stdout.strip().splitlines()[-1])
    return {"seconds": res.seconds, "export_seconds": info["seconds"], "rows": info["rows"],
            "max_rss_mb": round(res.max_rss_mb, 1), "bytes": out.stat().st_size}


def peer(sqlite3_cli: str, db: Path, out: Path) -> dict[str, Any]:
    res = run_child([sqlite3_cli, "-csv", "-header", str(db), peer_sql()], stdout_path=out)
    if res.returncode != 0:
        raise RuntimeError(f"sqlite3 export failed: {res.stderr[-2000:]}")
    return {"seconds": res.seconds, "max_rss_mb": round(res.max_rss_mb, 1), "bytes": out.stat().st_size}


def _child(db: str, out: str) -> int:
    from storage.export import export_csv
    from storage.repository import Archive

    start = time.perf_counter()
    archive = Archive(f"sqlite:///{db}", create=False)
    try:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            rows = export_csv(archive, fh)
    finally:
        archive.dispose()
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start}))
    return 0


def run(quick: bool = False, workdir: Path | None = None, articles: int | None = None,
        rounds: int | None = None) -> dict[str, Any]:
    n = articles or (5_000 if quick else 100_000)
    small = max(1, n // 10)
    rounds = rounds or (1 if quick else 3)
    cli = shutil.which("sqlite3")
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="warta-bench-export-")
        workdir = Path(own_tmp.name)
    try:
        big_db, small_db = ensure_archive(workdir, n), ensure_archive(workdir, small)
        out = workdir / "export.csv"
        ours_runs, peer_runs = [], []
        for _ in range(rounds):
            ours_runs.append(ours(big_db, out))
            if cli:
                peer_runs.append(peer(cli, big_db, out))
        small_run = ours(small_db, out)
        out.unlink(missing_ok=True)
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()
    best_ours = min(ours_runs, key=lambda r: r["export_seconds"])
    best_process = min(r["seconds"] for r in ours_runs)  # whole process, start-up included
    rows_out = best_ours["rows"]
    if rows_out != n:
        raise RuntimeError(f"export wrote {rows_out} rows, expected {n}")
    rows = []
    workload = f"{n:,} articles, {len(__import__('storage.export', fromlist=['x']).EXPORT_COLUMNS)} columns to a CSV file"
    runs = {"ours_export_runs_s": [round(r["export_seconds"], 2) for r in ours_runs],
            "ours_process_runs_s": [round(r["seconds"], 2) for r in ours_runs]}
    if cli:
        best_peer = min(peer_runs, key=lambda r: r["seconds"])
        process_ratio = best_peer["seconds"] / best_process
        rows.append(Row("export", workload, n / best_ours["export_seconds"], n / best_peer["seconds"], "rows/s",
                        "sqlite3 -csv", 0.5,
                        note=(f"whole process incl. Python start-up and imports: {n / best_process:,.0f} rows/s "
                              f"({process_ratio:.2f}×)"),
                        extra={"ours": best_ours, "peer": best_peer, **runs,
                               "peer_runs_s": [round(r["seconds"], 2) for r in peer_runs],
                               "ours_process_rows_per_s": round(n / best_process, 1),
                               "process_ratio": round(process_ratio, 4)}))
    else:
        rows.append(Row("export", workload, n / best_ours["export_seconds"], None, "rows/s",
                        "sqlite3 CLI not installed", 0.5, status="skipped",
                        note="sqlite3 command-line shell not found (apt-get install -y sqlite3)",
                        extra={"ours": best_ours, **runs}))
    growth = best_ours["max_rss_mb"] - small_run["max_rss_mb"]
    rows.append(Row("export: peak RSS", f"export of {small:,} vs {n:,} articles", best_ours["max_rss_mb"],
                    small_run["max_rss_mb"], "MB", f"at {small:,}", None,
                    ratio=best_ours["max_rss_mb"] / small_run["max_rss_mb"],
                    status="pass" if growth <= FLAT_MB else "FAIL", target_text=f"flat (≤ +{FLAT_MB:g} MB)",
                    note=f"{growth:+.1f} MB for {n - small:,} more rows",
                    extra={"small": small_run, "big": best_ours, "growth_mb": round(growth, 1)}))
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workdir", type=Path, help="keep the generated archives here between runs")
    ap.add_argument("--child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(*args.child)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    result = run(args.quick, args.workdir)
    print(format_table(result["rows"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
