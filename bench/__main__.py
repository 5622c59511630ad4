"""``python -m bench``: every benchmark, one table, one JSON file.

    python -m bench                      # full sizes (about 15-25 minutes on 2 cores)
    python -m bench --quick              # small sizes, a few minutes: a smoke run
    python -m bench --only store,export  # some of: parse dates crawl store export reparse
    python -m bench --json PATH          # default bench/results/latest.json
    python -m bench --workdir DIR        # keep generated archives (reused by later runs)
    python -m bench --readme             # also rewrite the README's table from the JSON

Each row: the workload, our figure, the peer's figure from the same run, the ratio,
the target and pass/FAIL.  With ``--only`` the rows of the other benchmarks already in
the JSON file are kept (each row records when it was measured).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from bench.common import REPO, Row, format_table, machine, pending

BENCHES = ("parse", "dates", "crawl", "store", "export", "reparse")
DEFAULT_JSON = REPO / "bench" / "results" / "latest.json"
README = REPO / "README.md"
README_START, README_END = "<!-- bench:table -->", "<!-- /bench:table -->"


def readme_table(doc: dict[str, Any]) -> str:
    """The README's block: when each benchmark ran, the command, and the table of every row
    in the results JSON (rows of one benchmark always come from one run)."""
    rows = [Row(**{k: v for k, v in r.items()}) for r in doc.get("rows", [])]
    runs: dict[str, str] = {}
    for r in rows:
        runs.setdefault(r.extra.get("bench", "?"), str(r.extra.get("measured_at", "?"))[:10])
    when = ", ".join(f"{name} {day}" for name, day in runs.items())
    return (f"Latest results (`bench/results/latest.json`; measured: {when}; "
            f"machine: {doc.get('machine', {}).get('cpus', '?')} CPUs):\n\n{format_table(rows)}")


def write_readme(doc: dict[str, Any], path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: markers {README_START} ... {README_END} not found")
    path.write_text(text[:start + len(README_START)] + "\n" + readme_table(doc) + "\n" + text[end:],
                    encoding="utf-8")


def dates_rows(quick: bool, workdir: Path) -> dict[str, Any]:
    from bench.bench_dates import run

    r = run(repeat=3 if quick else 5, loops=10 if quick else None)
    dp_only = r["dateparser_right_ours_wrong"]
    ok = r["speedup"] >= 20 and not dp_only
    return {"rows": [Row(
        "dates", f"parse_date on the {r['strings']}-string date table", r["ours_calls_per_s"],
        r["dateparser_calls_per_s"], "calls/s", "dateparser.parse(languages=['id'])", 20.0,
        status="pass" if ok else "FAIL",
        note=(f"same answer where dateparser is right: {r['both_right']}/{r['both_right'] + len(dp_only)}; "
              f"ours right where dateparser is wrong: {r['ours_right_dateparser_wrong']}"),
        extra={k: v for k, v in r.items() if k not in ("both_wrong",)},
    )]}


def _runner(name: str) -> Callable[[bool, Path], dict[str, Any]]:
    if name == "dates":
        return dates_rows
    if name == "parse":
        from bench import bench_parse

        return lambda quick, workdir: bench_parse.run(quick)
    module = __import__(f"bench.bench_{name}", fromlist=["run"])
    return lambda quick, workdir: module.run(quick, workdir=workdir)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run, not the published figures)")
    ap.add_argument("--only", help=f"comma-separated subset of: {' '.join(BENCHES)}")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the results (JSON)")
    ap.add_argument("--workdir", type=Path, help="keep generated archives here (default: a temporary directory)")
    ap.add_argument("--readme", action="store_true",
                    help=f"rewrite the table between the {README_START!r} / {README_END!r} markers of README.md "
                         "from the JSON (all rows, each with its own run's date)")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    names = [n for n in BENCHES if n in names]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)} (choose from {', '.join(BENCHES)})")

    tmp = None
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        workdir = args.workdir
    else:
        tmp = tempfile.TemporaryDirectory(prefix="warta-bench-")
        workdir = Path(tmp.name)

    rows: list[Row] = []
    seconds: dict[str, float] = {}
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        for name in names:
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            try:
                result = _runner(name)(args.quick, workdir)
            except Exception as exc:  # one broken benchmark must not hide the others
                import traceback

                traceback.print_exc()
                result = {"rows": [pending(name, "", f"error: {type(exc).__name__}: {exc}"[:200], status="error")]}
            seconds[name] = round(time.perf_counter() - start, 1)
            for row in result["rows"]:
                row.extra["bench"] = name
                row.extra["measured_at"] = stamp
                rows.append(row)
            print(f"[bench] {name}: {seconds[name]} s", file=sys.stderr, flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()

    print(format_table(rows))
    command = "python -m bench" + ("".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])))
    doc: dict[str, Any] = {
        "command": command,
        "generated_at": stamp,
        "quick": args.quick,
        "machine": machine(),
        "seconds": seconds,
        "rows": [r.as_dict() for r in rows],
    }
    if args.only and args.json.exists():
        try:
            old = json.loads(args.json.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        kept = [r for r in old.get("rows", []) if r.get("extra", {}).get("bench") not in names]
        order = {n: i for i, n in enumerate(BENCHES)}
        doc["rows"] = sorted(kept + doc["rows"], key=lambda r: order.get(r.get("extra", {}).get("bench"), 99))
        doc["seconds"] = {**old.get("seconds", {}), **seconds}
        doc["runs"] = old.get("runs") or [{"command": old.get("command"), "generated_at": old.get("generated_at")}]
    doc.setdefault("runs", [])
    doc["runs"].append({"command": command, "generated_at": stamp, "benchmarks": names})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.json}", file=sys.stderr)
    if args.readme:
        write_readme(doc)
        print(f"written: {README} (table)", file=sys.stderr)
    failed = [r for r in rows if r.status in ("FAIL", "error")]
    return 1 if any(r.status == "error" for r in failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
