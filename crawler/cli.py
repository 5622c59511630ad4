"""The `warta` command: one entry point for analysts.

Each sub-command is a thin layer over a library function, so everything the
CLI does can also be done (and is tested) from Python.  Errors are one line a
person can act on; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence

from crawler import __version__, exitcodes

DEFAULT_DB = "sqlite:///warta.sqlite"

EPILOG = """\
examples:
  warta demo                               crawl the bundled offline mirror into ./demo/
  warta crawl monitor -a since=2023-12-01  crawl the live site (polite defaults)
  warta export --format csv --site monitorindonesia.com --since 2023-12-01 -o articles.csv
  warta parse page.html --url https://monitorindonesia.com/ekonomi/read/2023/12/421873/x
  warta mirror --port 8123                 serve the offline mirror for your own crawls

exit codes: 0 ok, 1 failure, 2 usage error, 3 interrupted, 4 archive lock held, 5 layout alarm
"""


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code attached."""

    def __init__(self, message: str, code: int = exitcodes.FAILURE) -> None:
        super().__init__(message)
        self.code = code


def database_url(arg: str | None) -> str:
    return arg or os.environ.get("WARTA_DATABASE_URL") or DEFAULT_DB


def scrapy_env(db: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if db:
        env["WARTA_DATABASE_URL"] = db
    return env


# -- sub-commands ------------------------------------------------------------------------
def cmd_crawl(args: argparse.Namespace) -> int:
    """Run a spider through Scrapy (same as `scrapy crawl`, from any directory)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", args.spider]
    for pair in args.a or []:
        cmd += ["-a", pair]
    for pair in args.s or []:
        cmd += ["-s", pair]
    return subprocess.call(cmd, env=scrapy_env(database_url(args.db)))


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse a saved page with the pure parser and print the article as JSON."""
    from crawler.parsers import parse_article
    from crawler.parsers.encoding import decode_html

    path = Path(args.file)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    data = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        data = gzip.decompress(data)
    article = parse_article(decode_html(data), args.url)
    json.dump(article, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return exitcodes.OK


def cmd_export(args: argparse.Namespace) -> int:
    """Stream articles to CSV or JSON Lines."""
    from storage import export

    archive = open_archive(args.db)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    filters = dict(site=args.site, section=args.section, since=check_day(args.since, "--since"),
                   until=check_day(args.until, "--until"), columns=columns)
    out_path = args.output
    try:
        if args.format == "csv":
            if out_path == "-":
                stream = sys.stdout
                rows = export.export_csv(archive, stream, bom=args.bom, delimiter=args.delimiter,
                                         **filters)
            else:
                with open(out_path, "w", encoding="utf-8", newline="") as stream:
                    rows = export.export_csv(archive, stream, bom=args.bom,
                                             delimiter=args.delimiter, **filters)
        else:
            if out_path == "-":
                rows = export.export_jsonl(archive, sys.stdout, **filters)
            else:
                with open(out_path, "w", encoding="utf-8", newline="\n") as stream:
                    rows = export.export_jsonl(archive, stream, **filters)
    finally:
        archive.dispose()
    print(f"exported {rows} articles to {out_path}", file=sys.stderr)
    return exitcodes.OK


def cmd_mirror(argv: list[str]) -> int:
    from crawler.mirror import main as mirror_main

    return mirror_main(argv) or exitcodes.OK


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo import run_demo

    return run_demo(Path(args.dir), articles=args.articles, seed=args.seed)


def cmd_db(args: argparse.Namespace) -> int:
    from storage.migrations import upgrade

    url = database_url(args.db)
    upgrade(url)
    print(f"database {mask_url(url)} is at the latest schema")
    return exitcodes.OK


def cmd_fixtures(argv: list[str]) -> int:
    from crawler import fixturetool

    return fixturetool.main(argv) or exitcodes.OK


#: sub-commands with their own argument parser: `warta NAME ...` is handed over as is
PASSTHROUGH: dict[str, Callable[[list[str]], int]] = {
    "mirror": cmd_mirror,
    "fixtures": cmd_fixtures,
}


# -- helpers --------------------------------------------------------------------------------
def mask_url(url: str) -> str:
    """Hide the password of a database URL (never log secrets)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"


def check_day(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r}: expected a date like 2023-12-31",
                        exitcodes.USAGE) from None
    return value


def open_archive(db: str | None):
    from storage.repository import Archive

    url = database_url(db)
    try:
        return Archive(url, create=False)
    except Exception as exc:
        raise UserError(f"cannot open the archive {mask_url(url)}: {exc}. "
                        f"Run `warta db upgrade --db URL` to create it.") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warta", description="Warta: an archive crawler for Indonesian news.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"warta {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "crawl the bundled offline mirror end to end (no network)")
    p.add_argument("--dir", default="demo", help="where to write warta.sqlite and articles.csv")
    p.add_argument("--articles", type=int, default=120, help="articles on the mirror")
    p.add_argument("--seed", type=int, default=1)

    p = add("crawl", cmd_crawl, "run a spider (e.g. `warta crawl monitor -a since=2023-12-01`)")
    p.add_argument("spider")
    p.add_argument("-a", action="append", metavar="NAME=VALUE", help="spider argument")
    p.add_argument("-s", action="append", metavar="NAME=VALUE", help="Scrapy setting")
    p.add_argument("--db", help="archive database URL (default: $WARTA_DATABASE_URL or ./warta.sqlite)")

    p = add("export", cmd_export, "export articles as CSV or JSON Lines")
    p.add_argument("--db")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.add_argument("--site", help="domain, e.g. monitorindonesia.com")
    p.add_argument("--section")
    p.add_argument("--since", help="first publication day, YYYY-MM-DD (WIB)")
    p.add_argument("--until", help="last publication day, YYYY-MM-DD (WIB)")
    p.add_argument("--columns", help="comma-separated column list (default: all, fixed order)")
    p.add_argument("--bom", action="store_true", help="write a UTF-8 BOM (Excel)")
    p.add_argument("--delimiter", default=",", help="CSV delimiter, e.g. ';' for Excel in id-ID")
    p.add_argument("-o", "--output", default="-", help="file, or - for stdout")

    p = add("parse", cmd_parse, "parse a saved HTML page and print the article as JSON")
    p.add_argument("file")
    p.add_argument("--url", required=True, help="the URL the page was fetched from")

    sub.add_parser("mirror", help="serve the offline Monitor Indonesia mirror on 127.0.0.1 "
                   "(`warta mirror --help`)", add_help=False)

    p = add("db", cmd_db, "create or upgrade the archive schema (`warta db upgrade`)")
    p.add_argument("action", choices=("upgrade",))
    p.add_argument("--db")

    sub.add_parser("fixtures", help="record / review parser fixtures (`warta fixtures --help`)",
                   add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASSTHROUGH:
        return int(PASSTHROUGH[argv[0]](argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return exitcodes.USAGE
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        if args.debug:
            raise
        print(f"warta: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("warta: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(f"warta: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return exitcodes.FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
