"""The `warta` command: one entry point for analysts.

Each sub-command is a thin layer over a library function, so everything the
CLI does can also be done (and is tested) from Python.  Every command that
reads the archive takes the same options: ``--db URL``, ``--site DOMAIN``,
``--since YYYY-MM-DD``, ``--until YYYY-MM-DD``.

Errors are one line a person can act on (a bad date, an unknown site, an
unreachable database, a missing table, a locked archive); ``--debug`` shows the
traceback.  Exit codes: :mod:`crawler.exitcodes`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from crawler import __version__, exitcodes

DEFAULT_DB = "sqlite:///warta.sqlite"

COMMANDS_HELP = """\
commands:
  demo       crawl the bundled offline mirror end to end (no network)
  crawl      crawl a site into the archive (polite defaults; for cron)
  mirror     serve the offline Monitor Indonesia mirror on 127.0.0.1
  export     export articles: CSV, Excel-friendly CSV, JSON Lines, Parquet
  reparse    re-run the current parsers over stored pages (no network)
  stats      what the archive holds: articles per site and month, fill rates, size
  health     parser health per site and run (field fill rates, layout alarms)
  report     a self-contained HTML report with charts
  parse      parse one saved HTML page and print the article as JSON
  fixtures   record / review / update parser fixtures
  db         create or upgrade the archive schema
  archive    raw archive tools: export stored pages as WARC
  bench      benchmarks (parsers vs trafilatura, dates vs dateparser)
"""

EPILOG = """\
examples:
  warta demo                                       crawl the offline mirror into ./demo/
  warta crawl monitor --since 2023-12-01           crawl the live site (polite defaults)
  warta crawl --site detik.com --since 2024-01-01  choose the spider by its site
  warta export --format excel --site monitorindonesia.com -o articles.csv
  warta export --format parquet --columns url,headline,published_at -o articles.parquet
  warta stats --site monitorindonesia.com
  warta health --site monitorindonesia.com
  warta report -o report.html
  warta reparse --site monitorindonesia.com --since 2023-01-01
  warta archive export --warc pages.warc.gz --site monitorindonesia.com
  warta db upgrade --db postgresql+psycopg://user@host/warta

common options: --db URL (default $WARTA_DATABASE_URL or sqlite:///warta.sqlite),
  --site DOMAIN, --since YYYY-MM-DD, --until YYYY-MM-DD (publication days, WIB, inclusive)

exit codes: 0 ok, 1 failure, 2 usage error, 3 interrupted, 4 archive lock held,
  5 layout alarm (a site's layout may have changed; see `warta health`)

`warta COMMAND --help` explains each command.  Docs: docs/quickstart.md
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


# -- argument checks and friendly errors ------------------------------------------------------
def mask_url(url: str) -> str:
    """Hide the password (and secret query parameters) of a database URL."""
    from storage.repository import mask_database_url

    return mask_database_url(url)


def check_day(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    from datetime import date

    try:
        date.fromisoformat(value)
        if len(value) != 10:
            raise ValueError
    except ValueError:
        raise UserError(f"{option} {value!r}: expected a date like 2023-12-31",
                        exitcodes.USAGE) from None
    return value


def check_range(args: argparse.Namespace) -> tuple[str | None, str | None]:
    since = check_day(getattr(args, "since", None), "--since")
    until = check_day(getattr(args, "until", None), "--until")
    if since and until and since > until:
        raise UserError(f"--since {since} is after --until {until}", exitcodes.USAGE)
    return since, until


def check_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError:
        raise UserError("--db is not a database URL; expected e.g. sqlite:///warta.sqlite or "
                        "postgresql+psycopg://user@host/warta", exitcodes.USAGE) from None


def explain(exc: BaseException, url: str | None = None) -> UserError | None:
    """A one-line :class:`UserError` for database problems a person can fix."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    where = mask_url(url) if url else "the archive"
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, NoSuchModuleError) or (isinstance(exc, ModuleNotFoundError) and url):
        return UserError(f"no database driver for {where} ({exc}); for PostgreSQL: "
                         "pip install 'warta[scale]'")
    if isinstance(exc, ArgumentError) and url:
        return UserError("--db is not a database URL; expected e.g. sqlite:///warta.sqlite",
                         exitcodes.USAGE)
    try:
        from storage.repository import ArchiveError
    except ImportError:  # pragma: no cover
        ArchiveError = ()  # type: ignore[assignment]
    if ArchiveError and isinstance(exc, ArchiveError):
        return UserError(f"{where}: {exc}")
    if isinstance(exc, DBAPIError):
        orig = getattr(exc, "orig", None)
        text = (str(orig or exc).strip().splitlines() or [type(exc).__name__])[0]
        low = text.lower()
        if "database is locked" in low or "database is busy" in low or "lock not available" in low:
            return UserError(f"the archive {where} is locked by another process (a running crawl or "
                             "migration?); try again later, or wait longer with --wait SECONDS",
                             exitcodes.LOCKED)
        if "no such table" in low or ("relation" in low and "does not exist" in low) or "undefinedtable" in low:
            table = low.split("no such table:", 1)[1].strip() if "no such table:" in low else ""
            return UserError(f"the archive {where} has no table {table or '(missing table)'}: "
                             f"run `warta db upgrade --db {where}` to create or upgrade its schema")
        if "unable to open database file" in low:
            return UserError(f"cannot open the SQLite archive {where}: does its directory exist "
                             "and is it writable?")
        if any(s in low for s in ("could not connect", "connection refused", "connection failed",
                                  "could not translate host", "name or service not known",
                                  "timeout expired", "no route to host", "password authentication",
                                  "does not exist")):
            return UserError(f"cannot reach the database {where}: {text} "
                             "(check --db / $WARTA_DATABASE_URL and that the server is running)")
        if getattr(exc, "connection_invalidated", False) or "server closed the connection" in low:
            return UserError(f"lost the connection to the database {where}: {text}")
    return None


def open_archive(db: str | None, *, wait: float = 30.0):
    """The archive at ``--db`` (it must exist and be at the current schema)."""
    from storage.repository import Archive

    url = database_url(db)
    check_url(url)
    try:
        return Archive(url, create=False, busy_timeout=wait, retry_timeout=wait)
    except Exception as exc:
        friendly = explain(exc, url)
        if friendly is not None:
            raise friendly from exc
        raise UserError(f"cannot open the archive {mask_url(url)}: {exc}") from exc


def check_site(archive, site: str | None) -> str | None:
    """The archive's name for ``site`` (``www.``/scheme ignored; ``detik`` -> ``detik.com``
    when unique), or a one-line error listing the sites it holds."""
    if not site:
        return None
    from storage.repository import normalize_site

    wanted = normalize_site(site)
    known = archive.sites()
    if wanted in known:
        return wanted
    short = [s for s in known if s.split(".")[0] == wanted]
    if len(short) == 1:
        return short[0]
    if not known:
        raise UserError(f"unknown site {site!r}: the archive {archive.safe_url} holds no sites yet "
                        "(crawl one first: `warta crawl monitor`, or try `warta demo`)", exitcodes.USAGE)
    import difflib

    close = difflib.get_close_matches(wanted or "", known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    listed = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
    raise UserError(f"unknown site {site!r}{hint}; the archive holds: {listed}", exitcodes.USAGE)


def archive_and_filters(args: argparse.Namespace):
    since, until = check_range(args)
    archive = open_archive(args.db, wait=getattr(args, "wait", 30.0))
    try:
        site = check_site(archive, getattr(args, "site", None))
    except Exception:
        archive.dispose()
        raise
    return archive, site, since, until


def make_progress(desc: str, unit: str, args: argparse.Namespace, *, total: int | None = None):
    from crawler.progress import Progress

    return Progress(desc, total=total, unit=unit, quiet=getattr(args, "quiet", False))


def print_summary(summary: Any, *, indent: str = "") -> None:
    """Print a result dict: scalars as ``key: value``, dicts as nested blocks."""
    if not isinstance(summary, dict):
        print(f"{indent}{summary}")
        return
    width = max((len(str(k)) for k in summary), default=0)
    for key, value in summary.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:" + ("" if value else " (none)"))
            print_summary(value, indent=indent + "  ")
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], dict):
            print(f"{indent}{key}:")
            for entry in value:
                print(f"{indent}  - " + ", ".join(f"{k}={v}" for k, v in entry.items()))
        else:
            if isinstance(value, float):
                value = f"{value:,.4g}"
            elif isinstance(value, int) and not isinstance(value, bool):
                value = f"{value:,}"
            print(f"{indent}{str(key).ljust(width)} : {value}")


# -- sub-commands ------------------------------------------------------------------------
def spider_index() -> dict[str, str]:
    """``{spider name: its site}`` for every spider Scrapy finds (empty if loading fails)."""
    try:
        from scrapy.settings import Settings
        from scrapy.spiderloader import SpiderLoader

        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        settings.set("SPIDER_LOADER_WARN_ONLY", True)
        loader = SpiderLoader.from_settings(settings)
        out = {}
        for name in loader.list():
            cls = loader.load(name)
            out[name] = str(getattr(cls, "site", "") or "")
        return out
    except Exception:
        return {}


def resolve_spider(name: str | None, site: str | None) -> str:
    from storage.repository import normalize_site

    spiders = spider_index()
    if not name and not site:
        raise UserError("give a spider or a site: `warta crawl monitor` or `warta crawl --site detik.com` "
                        f"(spiders: {', '.join(sorted(spiders)) or 'see `scrapy list`'})", exitcodes.USAGE)
    if not spiders:  # cannot list them: let Scrapy decide
        return name or str(site)
    if name and name in spiders:
        return name
    wanted = normalize_site(site or name)
    for spider, spider_site in sorted(spiders.items()):
        if spider_site and normalize_site(spider_site) == wanted:
            return spider
    for spider, spider_site in sorted(spiders.items()):
        if spider_site and wanted and normalize_site(spider_site).split(".")[0] == wanted:
            return spider
    what = f"site {site!r}" if site else f"spider or site {name!r}"
    listed = ", ".join(f"{n} ({s})" if s else n for n, s in sorted(spiders.items()))
    hint = ""
    if site or (name and "." in name):
        hint = f"; for any other news site: warta crawl generic -a start_url=https://{wanted}/"
    raise UserError(f"unknown {what}; known spiders: {listed}{hint}", exitcodes.USAGE)


def check_crawl_lock(url: str, spider: str, site: str | None) -> None:
    """Refuse early (exit 4) when a live run holds this spider's archive lock."""
    from datetime import datetime, timezone

    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        path = Path(u.database)
        if not path.exists():
            if not path.parent.exists():
                raise UserError(f"cannot create the archive {mask_url(url)}: directory {path.parent} "
                                "does not exist")
            return  # the crawl creates it
    from storage.repository import Archive, ArchiveError

    try:
        archive = Archive(url, create=False, busy_timeout=5, retry_timeout=5)
    except ArchiveError:
        return  # no archive yet / older schema: the crawl creates or upgrades it
    except Exception as exc:
        friendly = explain(exc, url)
        if friendly is not None:
            raise friendly from exc
        raise
    try:
        locks = archive.list_locks()
    finally:
        archive.dispose()
    names = {spider, site or ""} - {""}
    now = datetime.now(timezone.utc)
    for lock in locks:
        parts = set(str(lock["name"]).replace("/", ":").split(":"))
        if not parts & names:
            continue
        fresh = lock.get("heartbeat_at") is not None and (now - lock["heartbeat_at"]).total_seconds() < 600
        if lock["alive"] is True or (lock["alive"] is None and fresh):
            since = lock["acquired_at"].strftime("%Y-%m-%d %H:%M UTC") if lock.get("acquired_at") else "?"
            raise UserError(
                f"another `{spider}` crawl holds the archive lock {lock['name']!r} (run {lock['run_id']}, "
                f"pid {lock['pid']} on {lock['hostname']}, since {since}); it is still running — "
                "try again when it has finished", exitcodes.LOCKED)


CRAWL_EXIT_HINTS = {
    exitcodes.FAILURE: "the crawl failed; see the log above (`warta health` and `warta stats` show the runs)",
    exitcodes.INTERRUPTED: "the crawl was interrupted; run the same command again to resume",
    exitcodes.LOCKED: "another run holds the archive lock for this spider (overlapping cron jobs?); "
                      "nothing was crawled",
    exitcodes.LAYOUT_ALARM: "layout alarm: a site's layout may have changed (see the 'layout may have "
                            "changed' lines above and `warta health`)",
}


def cmd_crawl(args: argparse.Namespace) -> int:
    """Run a spider through Scrapy (same as `scrapy crawl`, from any directory)."""
    since, until = check_range(args)
    url = database_url(args.db)
    check_url(url)
    spider = resolve_spider(args.spider, args.site)
    check_crawl_lock(url, spider, args.site)
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in (("since", since), ("until", until), ("max_articles", args.max_articles)):
        if value is not None:
            cmd += ["-a", f"{name}={value}"]
    for pair in args.a or []:
        cmd += ["-a", pair]
    for pair in args.s or []:
        cmd += ["-s", pair]
    code = subprocess.call(cmd, env=scrapy_env(url))
    if code in CRAWL_EXIT_HINTS:
        print(f"warta: {CRAWL_EXIT_HINTS[code]} (exit code {code})", file=sys.stderr)
    return code


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse a saved page with the pure parser and print the article as JSON."""
    from crawler.parsers import parse_article
    from crawler.parsers.encoding import decode_html

    path = Path(args.file)
    if not path.exists():
        raise UserError(f"{path}: no such file", exitcodes.USAGE)
    data = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        data = gzip.decompress(data)
    article = parse_article(decode_html(data), args.url)
    json.dump(article, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return exitcodes.OK


EXPORT_FORMATS = ("csv", "excel", "jsonl", "parquet")


def parse_columns(value: str | None) -> list[str] | None:
    if not value:
        return None
    from storage.export import available_columns

    columns = [c.strip() for c in value.split(",") if c.strip()]
    known = available_columns()
    unknown = [c for c in columns if c not in known]
    if unknown:
        import difflib

        hints = [f"{c} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(c, known, n=1)) else c
                 for c in unknown]
        raise UserError(f"--columns: unknown column(s) {', '.join(hints)}; available: {', '.join(known)}",
                        exitcodes.USAGE)
    if not columns:
        raise UserError("--columns: give at least one column name", exitcodes.USAGE)
    return columns


def cmd_export(args: argparse.Namespace) -> int:
    """Stream articles to CSV, Excel-friendly CSV, JSON Lines or Parquet."""
    from storage import export

    columns = parse_columns(args.columns)
    out_path = args.output
    if args.format == "parquet":
        if out_path == "-":
            raise UserError("--format parquet needs a file: -o articles.parquet", exitcodes.USAGE)
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UserError("--format parquet needs pyarrow: pip install 'warta[parquet]'") from None
    if out_path != "-" and not Path(out_path).resolve().parent.exists():
        raise UserError(f"-o {out_path}: directory {Path(out_path).resolve().parent} does not exist",
                        exitcodes.USAGE)
    archive, site, since, until = archive_and_filters(args)
    try:
        filters = dict(site=site, section=args.section, since=since, until=until, columns=columns)
        show = not (out_path == "-" and sys.stdout.isatty() and sys.stderr.isatty())
        total = archive.count_articles(site, args.section, since, until)
        progress = make_progress("export", "rows", args, total=total) if show else None
        ok = False
        try:
            rows = _export(export, archive, args, out_path, filters, progress)
            ok = True
        finally:
            if progress is not None:
                progress.close(ok=ok)
    finally:
        archive.dispose()
    print(f"exported {rows:,} articles to {out_path} ({args.format})", file=sys.stderr)
    return exitcodes.OK


def _export(export, archive, args, out_path: str, filters: dict, progress) -> int:
    if args.format == "parquet":
        return export.export_parquet(archive, out_path, progress=progress, **filters)
    if args.format in ("csv", "excel"):
        delimiter = args.delimiter if args.delimiter is not None else (";" if args.format == "excel" else ",")
        if len(delimiter) != 1:
            raise UserError(f"--delimiter {delimiter!r}: give one character, e.g. ';'", exitcodes.USAGE)
        bom = args.bom or args.format == "excel"

        def write(stream):
            return export.export_csv(archive, stream, bom=bom, delimiter=delimiter, progress=progress, **filters)
    else:
        def write(stream):
            return export.export_jsonl(archive, stream, progress=progress, **filters)
    if out_path == "-":
        return write(sys.stdout)
    newline = "" if args.format in ("csv", "excel") else "\n"
    with open(out_path, "w", encoding="utf-8", newline=newline) as stream:
        return write(stream)


def cmd_reparse(args: argparse.Namespace) -> int:
    """Re-run the current parsers over stored pages; print what changed per field."""
    try:
        from crawler.reparse import reparse
    except ImportError as exc:
        raise UserError(f"`warta reparse` is not available in this installation ({exc})") from exc
    return run_over_archive(args, "reparse", reparse)


def run_over_archive(args: argparse.Namespace, name: str, work: Callable[..., dict]) -> int:
    """Run ``work(archive, site=, since=, until=, progress=)`` over the filtered archive
    with a progress display, then print its summary."""
    archive, site, since, until = archive_and_filters(args)
    try:
        progress = make_progress(name, "pages", args)
        ok = False
        try:
            summary = work(archive, site=site, since=since, until=until, progress=progress)
            ok = True
        finally:
            progress.close(ok=ok)
    finally:
        archive.dispose()
    print_summary(summary or {})
    return exitcodes.OK


def cmd_archive(args: argparse.Namespace) -> int:
    """`warta archive export --warc FILE`: stored pages as a standard WARC file."""
    try:
        from crawler.warc import export_warc
    except ImportError as exc:
        raise UserError(f"`warta archive export` is not available in this installation ({exc})") from exc
    target = Path(args.warc)
    if not target.resolve().parent.exists():
        raise UserError(f"--warc {target}: directory {target.resolve().parent} does not exist", exitcodes.USAGE)
    return run_over_archive(args, "warc", lambda archive, **kw: export_warc(archive, str(target), **kw))


def cmd_stats(args: argparse.Namespace) -> int:
    """Articles per site and month, fill rates, oldest/newest, archive size."""
    from crawler import stats

    archive, site, since, until = archive_and_filters(args)
    try:
        data = stats.collect(archive, site=site, since=since, until=until)
    finally:
        archive.dispose()
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(stats.render(data, months=args.months))
    return exitcodes.OK


def cmd_health(args: argparse.Namespace) -> int:
    """Per site and run: parse failures and field fill rates, with layout alarms."""
    from crawler.health import FIELDS, HealthConfig, baseline, health_rows

    archive, site, since, until = archive_and_filters(args)
    try:
        runs = archive.list_runs(site, since=since, until=until, limit=max(args.runs, 1) * 20)
        history = archive.list_runs(statuses=["ok"], limit=2000)
    finally:
        archive.dispose()
    config = HealthConfig.from_settings(_scrapy_settings())
    rows = health_rows(runs, site=site)
    if not rows:
        print("no crawl run has recorded parser health yet"
              + (f" for {site}" if site else "") + ": crawl first (`warta crawl ...`)")
        return exitcodes.OK
    by_site: dict[str, list[dict]] = {}
    for row in rows:
        by_site.setdefault(row["site"], []).append(row)
    short = {"published_at": "published", "updated_at": "updated"}
    alarmed_latest = []
    for name in sorted(by_site):
        mine = list(reversed(by_site[name][: args.runs]))  # oldest first
        print(f"\n{name}")
        header = ["run", "started (UTC)", "status", "articles", "parse-fail"] + [short.get(f, f) for f in FIELDS]
        table = []
        for r in mine:
            started = r["started_at"].strftime("%Y-%m-%d %H:%M") if r["started_at"] else "-"
            rates = [("-" if r["fill_rates"].get(f) is None else f"{r['fill_rates'][f]:.0%}") for f in FIELDS]
            fail = r["parse_failure_rate"]
            table.append([f"#{r['run']}", started, str(r["status"]), f"{r['articles']:,}",
                          "-" if fail is None else f"{fail:.0%}", *rates])
        past = baseline(history, name, config)
        if past:
            import statistics

            usual = []
            for f in FIELDS:
                values = [p["fill_rates"][f] for p in past if f in (p.get("fill_rates") or {})]
                usual.append(f"{statistics.median(values):.0%}" if values else "-")
            fails = [float(p.get("parse_failure_rate") or 0) for p in past]
            table.append(["usual", f"median of {len(past)} runs", "", "",
                          f"{statistics.median(fails):.0%}", *usual])
        widths = [max(len(header[i]), *(len(row[i]) for row in table)) for i in range(len(header))]
        print("  " + "  ".join(h.ljust(widths[i]) if i < 3 else h.rjust(widths[i]) for i, h in enumerate(header)))
        for row in table:
            print("  " + "  ".join(c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]) for i, c in enumerate(row)))
        for r in mine:
            for alarm in r["alarms"]:
                print(f"  ALARM run #{r['run']}: {alarm['message']}")
        latest = by_site[name][0]
        if latest["alarms"]:
            alarmed_latest.append(name)
        required = config.required_for(name)
        print(f"  required: {', '.join(required)}; alarm below usual × {1 - config.drop:.0%} "
              f"after {config.min_runs} healthy runs of ≥ {config.min_articles} articles")
    if alarmed_latest:
        print(f"\nlayout alarm in the latest run of: {', '.join(alarmed_latest)}", file=sys.stderr)
        if args.check:
            return exitcodes.LAYOUT_ALARM
    return exitcodes.OK


def _scrapy_settings():
    try:
        from scrapy.settings import Settings

        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
        return settings
    except Exception:  # pragma: no cover
        return None


def cmd_report(args: argparse.Namespace) -> int:
    """A self-contained HTML report with charts."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        raise UserError("`warta report` needs plotly: pip install 'warta[report]'") from None
    from crawler.report import write_report

    target = Path(args.output)
    if not target.resolve().parent.exists():
        raise UserError(f"-o {target}: directory {target.resolve().parent} does not exist", exitcodes.USAGE)
    archive, site, since, until = archive_and_filters(args)
    try:
        result = write_report(archive, target, site=site, since=since, until=until, runs=args.runs)
    finally:
        archive.dispose()
    print(f"wrote {target} ({result['bytes'] / 1e6:.1f} MB, {result['charts']} charts, "
          f"{result['articles']:,} articles); open it in any browser, it works offline")
    return exitcodes.OK


def cmd_mirror(argv: list[str]) -> int:
    from crawler.mirror import main as mirror_main

    return mirror_main(argv) or exitcodes.OK


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo import run_demo

    return run_demo(Path(args.dir), articles=args.articles, seed=args.seed)


def cmd_db(args: argparse.Namespace) -> int:
    from storage import migrations
    from storage.repository import create_archive_engine

    url = database_url(args.db)
    check_url(url)
    engine = create_archive_engine(url, busy_timeout=args.wait)
    try:
        before = migrations.current(engine)
        if args.action == "status":
            head = migrations.head()
            state = "up to date" if before == head else f"needs `warta db upgrade` (this Warta: {head})"
            print(f"database {mask_url(url)} is at schema {before or 'none (empty)'}: {state}")
            return exitcodes.OK if before == head else exitcodes.FAILURE
        migrations.upgrade(engine)
    except Exception as exc:
        friendly = explain(exc, url)
        if friendly is not None:
            raise friendly from exc
        raise
    finally:
        engine.dispose()
    print(f"database {mask_url(url)} is at the latest schema"
          + (" (created)" if before is None else ""))
    return exitcodes.OK


def cmd_fixtures(argv: list[str]) -> int:
    from crawler import fixturetool

    return fixturetool.main(argv) or exitcodes.OK


def cmd_bench(argv: list[str]) -> int:
    try:
        from bench.__main__ import main as bench_main
    except ImportError as exc:
        raise UserError(f"`warta bench` is not available in this installation ({exc}); "
                        "install the extra: pip install -e '.[bench]'") from exc
    return bench_main(argv) or exitcodes.OK


#: sub-commands with their own argument parser: `warta NAME ...` is handed over as is
PASSTHROUGH: dict[str, Callable[[list[str]], int]] = {
    "mirror": cmd_mirror,
    "fixtures": cmd_fixtures,
    "bench": cmd_bench,
}


# -- the parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warta", usage="warta [--debug] COMMAND [options]   (warta COMMAND --help)",
        description="Warta: an archive crawler for Indonesian news.\n\n" + COMMANDS_HELP,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"warta {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)

    def add(name: str, func: Callable, help_: str, examples: str = "") -> argparse.ArgumentParser:
        p = sub.add_parser(name, description=help_, prog=f"warta {name}",
                           epilog=("examples:\n" + examples) if examples else None,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show full tracebacks on errors")
        return p

    def common(p: argparse.ArgumentParser, *, site: bool = True, dates: bool = True,
               dates_help: str = "publication day") -> None:
        p.add_argument("--db", metavar="URL",
                       help="archive database URL (default: $WARTA_DATABASE_URL or sqlite:///warta.sqlite)")
        if site:
            p.add_argument("--site", metavar="DOMAIN", help="only this site, e.g. monitorindonesia.com")
        if dates:
            p.add_argument("--since", metavar="YYYY-MM-DD", help=f"first {dates_help} (WIB, inclusive)")
            p.add_argument("--until", metavar="YYYY-MM-DD", help=f"last {dates_help} (WIB, inclusive)")
        p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                       help="how long to wait for a locked archive (default 30)")

    p = add("demo", cmd_demo, "crawl the bundled offline mirror end to end (no network)",
            "  warta demo\n  warta demo --dir /tmp/demo --articles 300\n")
    p.add_argument("--dir", default="demo", help="where to write warta.sqlite and articles.csv")
    p.add_argument("--articles", type=int, default=120, help="articles on the mirror")
    p.add_argument("--seed", type=int, default=1)

    p = add("crawl", cmd_crawl, "crawl a site into the archive (polite defaults; exit codes for cron)",
            "  warta crawl monitor\n"
            "  warta crawl monitor --since 2023-12-01 --until 2023-12-31\n"
            "  warta crawl --site detik.com --max-articles 50\n"
            "  warta crawl generic -a start_url=https://example.co.id/\n"
            "  warta crawl monitor -a base_url=http://127.0.0.1:8123 -s LOG_LEVEL=WARNING\n")
    p.add_argument("spider", nargs="?", help="spider name (`scrapy list`) or the site's domain")
    common(p, site=True, dates=True)
    p.add_argument("--max-articles", type=int, metavar="N", help="stop after N article pages")
    p.add_argument("-a", action="append", metavar="NAME=VALUE", help="spider argument (repeatable)")
    p.add_argument("-s", action="append", metavar="NAME=VALUE", help="Scrapy setting (repeatable)")

    p = add("export", cmd_export, "export articles: CSV, Excel-friendly CSV, JSON Lines or Parquet",
            "  warta export -o articles.csv\n"
            "  warta export --format excel -o for-excel.csv          (UTF-8 BOM, ';')\n"
            "  warta export --format jsonl --site monitorindonesia.com --since 2023-12-01 -o dec.jsonl\n"
            "  warta export --format parquet -o articles.parquet     (needs warta[parquet])\n"
            "  warta export --columns url,headline,byline,published_at -o - | head\n")
    common(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="csv",
                   help="csv (default), excel (CSV with BOM and ';'), jsonl, parquet")
    p.add_argument("--section", help="only this section, e.g. ekonomi")
    p.add_argument("--columns", metavar="A,B,...", help="columns to export, in this order (default: all)")
    p.add_argument("--bom", action="store_true", help="CSV: write a UTF-8 BOM (Excel)")
    p.add_argument("--delimiter", default=None, help="CSV delimiter (default ',', excel: ';')")
    p.add_argument("-o", "--output", default="-", help="file, or - for stdout (default)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    p = add("reparse", cmd_reparse, "re-run the current parsers over stored pages (no network)",
            "  warta reparse --site monitorindonesia.com\n  warta reparse --since 2023-01-01 --until 2023-06-30\n")
    common(p, dates_help="fetch day")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    p = add("stats", cmd_stats, "what the archive holds: articles per site and month, fill rates, size",
            "  warta stats\n  warta stats --site monitorindonesia.com --since 2023-01-01\n  warta stats --json\n")
    common(p)
    p.add_argument("--months", type=int, default=24, help="months shown per site (0: all; default 24)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")

    p = add("health", cmd_health, "parser health per site and run: fill rates, parse failures, layout alarms",
            "  warta health\n  warta health --site monitorindonesia.com --runs 30\n"
            "  warta health --check      exit 5 when a site's latest run raised a layout alarm\n")
    common(p, dates_help="run day")
    p.add_argument("--runs", type=int, default=10, help="latest runs shown per site (default 10)")
    p.add_argument("--check", action="store_true", help="exit 5 if the latest run of a site raised an alarm")

    p = add("report", cmd_report, "write a self-contained HTML report with charts (works offline)",
            "  warta report -o report.html\n  warta report --site monitorindonesia.com --since 2023-01-01 -o mi.html\n")
    common(p)
    p.add_argument("-o", "--output", default="report.html", help="HTML file to write (default report.html)")
    p.add_argument("--runs", type=int, default=200, help="latest crawl runs shown (default 200)")

    p = add("parse", cmd_parse, "parse one saved HTML page and print the article as JSON",
            "  warta parse page.html --url https://monitorindonesia.com/ekonomi/read/2023/12/421873/x\n")
    p.add_argument("file")
    p.add_argument("--url", required=True, help="the URL the page was fetched from")

    sub.add_parser("mirror", add_help=False)

    p = add("db", cmd_db, "create or upgrade the archive schema",
            "  warta db upgrade\n  warta db upgrade --db postgresql+psycopg://user@host/warta\n  warta db status\n")
    p.add_argument("action", choices=("upgrade", "status"))
    common(p, site=False, dates=False)

    sub.add_parser("fixtures", add_help=False)

    p = add("archive", cmd_archive, "raw archive tools: export stored pages as a WARC file",
            "  warta archive export --warc pages.warc.gz\n"
            "  warta archive export --warc mi-2023.warc.gz --site monitorindonesia.com --since 2023-01-01\n")
    p.add_argument("action", choices=("export",))
    p.add_argument("--warc", required=True, metavar="FILE", help="WARC file to write (.warc.gz compresses)")
    common(p, dates_help="fetch day")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    sub.add_parser("bench", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    first = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if first is not None and argv[first] in PASSTHROUGH and all(a == "--debug" for a in argv[:first]):
        try:
            return int(PASSTHROUGH[argv[first]](argv[first + 1:]) or 0)
        except UserError as exc:
            if debug:
                raise
            print(f"warta: {exc}", file=sys.stderr)
            return exc.code
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return exitcodes.USAGE
    debug = debug or getattr(args, "debug", False)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("warta: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:  # `warta export -o - | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:  # pragma: no cover
            pass
        return exitcodes.OK
    except Exception as exc:
        if debug:
            raise
        friendly = explain(exc, database_url(getattr(args, "db", None)) if hasattr(args, "db") else None)
        if friendly is not None:
            print(f"warta: {friendly}", file=sys.stderr)
            return friendly.code
        print(f"warta: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return exitcodes.FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
