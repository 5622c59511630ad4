"""The `warta` command line: help, exit codes, one-line errors, exports, stats,
and the commands that delegate to other modules (reparse, archive export, bench)."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crawler import exitcodes
from crawler.cli import UserError, main, resolve_spider
from crawler.items import PageItem, empty_article
from storage.repository import Archive

ROOT = Path(__file__).resolve().parents[1]
SITE = "monitorindonesia.com"
COMMANDS = ("crawl", "demo", "mirror", "export", "reparse", "stats", "health", "report", "fixtures",
            "db", "archive", "bench", "parse")
UNREACHABLE = "postgresql+psycopg://warta@127.0.0.1:1/warta"


def item(i: int, *, site: str = SITE, day: int = 5, month: int = 12, **fields) -> PageItem:
    url = f"https://{site}/ekonomi/read/2023/{month:02d}/{i}/artikel-{i}"
    article = empty_article(url)
    article.update(canonical_url=url, site=site, site_article_id=str(i), section="ekonomi",
                   headline=f"Judul artikel {i}", byline=["Rizky Amin"], editor="Ran",
                   published_at=f"2023-{month:02d}-{day:02d}T01:10:00+07:00", caption="Foto",
                   body=f"Isi artikel {i}.\n\nParagraf kedua.", tags=["baterai"], language="id",
                   parser="monitor/1", fetched_at="2023-12-06T00:00:00+00:00")
    article.update(fields)
    html = f"<html><head><title>Judul artikel {i}</title></head><body><h1>Judul artikel {i}</h1></body></html>"
    return PageItem(page={"url": url, "status": 200, "body": html.encode(), "kind": "article",
                          "fetched_at": "2023-12-06T00:00:00+00:00"}, article=article)


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    with Archive(url) as archive:
        archive.store_batch([item(1), item(2, day=6, byline=[]), item(3, month=11, day=20,
                                                                       headline="=HYPERLINK(1)"),
                             item(4, site="detik.com", day=7)])
    return url


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("warta: ")
    return lines[0]


# -- help and exit codes ---------------------------------------------------------------------
def test_help_lists_every_command_with_examples_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    listed = [line.split()[0] for line in text.split("commands:", 1)[1].split("\n\n", 1)[0].splitlines()
              if line.strip()]
    assert sorted(listed) == sorted(COMMANDS)
    assert "examples:" in text
    for name in COMMANDS:
        assert f"warta {name}" in text or name in ("parse", "fixtures", "mirror", "bench", "demo"), name
    assert ("exit codes: 0 ok, 1 failure, 2 usage error, 3 interrupted, 4 archive lock held,\n"
            "  5 layout alarm") in text
    assert "--db URL" in text and "--site DOMAIN" in text and "--since YYYY-MM-DD" in text


@pytest.mark.parametrize("command", ["crawl", "export", "reparse", "stats", "health", "report", "db",
                                     "archive", "demo", "parse"])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: warta {command}")
    assert "examples:" in text


@pytest.mark.parametrize("command", ["export", "reparse", "stats", "health", "report", "archive"])
def test_common_options_are_the_same_everywhere(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    for option in ("--db URL", "--site DOMAIN", "--since YYYY-MM-DD", "--until YYYY-MM-DD"):
        assert option in text, (command, option)


def test_exit_codes():
    assert (exitcodes.OK, exitcodes.FAILURE, exitcodes.USAGE, exitcodes.INTERRUPTED, exitcodes.LOCKED,
            exitcodes.LAYOUT_ALARM) == (0, 1, 2, 3, 4, 5)


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run([], capsys)
    assert code == exitcodes.USAGE and "commands:" in out


# -- errors a person can act on -----------------------------------------------------------------------
def test_bad_date(db, capsys):
    code, _, err = run(["export", "--db", db, "--since", "2023-02-30"], capsys)
    assert code == exitcodes.USAGE
    assert one_line_error(err) == "warta: --since '2023-02-30': expected a date like 2023-12-31"
    code, _, err = run(["stats", "--db", db, "--until", "5/12/2023"], capsys)
    assert code == exitcodes.USAGE and "--until '5/12/2023'" in one_line_error(err)
    code, _, err = run(["stats", "--db", db, "--since", "2023-12-31", "--until", "2023-01-01"], capsys)
    assert code == exitcodes.USAGE and "is after --until" in one_line_error(err)


def test_unknown_site(db, capsys):
    code, _, err = run(["export", "--db", db, "--site", "monitorindonesa.com", "-o", "-"], capsys)
    assert code == exitcodes.USAGE
    line = one_line_error(err)
    assert "unknown site 'monitorindonesa.com' (did you mean monitorindonesia.com?)" in line
    assert "the archive holds: detik.com, monitorindonesia.com" in line
    # www., a scheme, or the bare name are accepted
    for spelling in ("www.monitorindonesia.com", "https://monitorindonesia.com/", "monitorindonesia"):
        code, out, _ = run(["export", "--db", db, "--site", spelling, "--columns", "site", "-o", "-"], capsys)
        assert code == 0 and out.split() == ["site"] + [SITE] * 3


def test_unknown_spider_or_site_for_crawl(capsys):
    code, _, err = run(["crawl", "nosuchspider"], capsys)
    assert code == exitcodes.USAGE
    line = one_line_error(err)
    assert "unknown spider or site 'nosuchspider'" in line and "monitor (monitorindonesia.com)" in line
    code, _, err = run(["crawl", "--site", "example.org"], capsys)
    assert code == exitcodes.USAGE and "generic -a start_url=https://example.org/" in one_line_error(err)


def test_spiders_are_found_by_name_or_site():
    assert resolve_spider("monitor", None) == "monitor"
    assert resolve_spider(None, "https://www.monitorindonesia.com/") == "monitor"
    assert resolve_spider("monitorindonesia.com", None) == "monitor"
    with pytest.raises(UserError):
        resolve_spider(None, None)


def test_unreachable_database(capsys):
    code, _, err = run(["stats", "--db", UNREACHABLE], capsys)
    assert code == exitcodes.FAILURE
    line = one_line_error(err)
    assert line.startswith(f"warta: cannot reach the database {UNREACHABLE}")
    assert "check --db" in line


def test_not_a_database_url(capsys):
    code, _, err = run(["export", "--db", "warta.sqlite"], capsys)
    assert code == exitcodes.USAGE and "is not a database URL" in one_line_error(err)


def test_missing_archive_and_missing_table_suggest_db_upgrade(tmp_path, db, capsys):
    code, _, err = run(["stats", "--db", f"sqlite:///{tmp_path / 'nothing.sqlite'}"], capsys)
    assert code == exitcodes.FAILURE and "run `warta db upgrade`" in one_line_error(err)
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    code, _, err = run(["export", "--db", f"sqlite:///{empty}"], capsys)
    assert code == exitcodes.FAILURE and "run `warta db upgrade`" in one_line_error(err)
    # a table dropped behind Warta's back
    con = sqlite3.connect(db.removeprefix("sqlite:///"))
    con.execute("DROP TABLE article_revisions")
    con.commit()
    con.close()
    code, _, err = run(["stats", "--db", db], capsys)
    assert code == exitcodes.FAILURE
    line = one_line_error(err)
    assert "has no table article_revisions" in line and "warta db upgrade" in line


def test_locked_archive_crawl_lock_held(db, capsys):
    with Archive(db) as archive:
        run_id = archive.start_run("monitor", {}, SITE)
        assert archive.acquire_lock("crawl:monitor", run_id)  # held by this (live) process
    code, _, err = run(["crawl", "monitor", "--db", db], capsys)
    assert code == exitcodes.LOCKED
    line = one_line_error(err)
    assert "another `monitor` crawl holds the archive lock 'crawl:monitor'" in line
    assert f"pid {os.getpid()} on {socket.gethostname()}" in line


def test_locked_archive_database_lock(tmp_path, capsys):
    path = tmp_path / "busy.sqlite"
    locked, release = threading.Event(), threading.Event()

    def hold():
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        con.execute("CREATE TABLE t (x)")
        locked.set()
        release.wait(30)
        con.execute("ROLLBACK")
        con.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10)
        code, _, err = run(["db", "upgrade", "--db", f"sqlite:///{path}", "--wait", "0.5"], capsys)
    finally:
        release.set()
        thread.join()
    assert code == exitcodes.LOCKED
    assert "is locked by another process" in one_line_error(err)
    code, out, _ = run(["db", "upgrade", "--db", f"sqlite:///{path}"], capsys)
    assert code == 0 and "latest schema" in out


def test_debug_shows_the_traceback(db, capsys):
    with pytest.raises(UserError):
        main(["--debug", "stats", "--db", db, "--since", "nope"])
    with pytest.raises(UserError):
        main(["stats", "--debug", "--db", UNREACHABLE])


def test_errors_from_a_real_process_are_one_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "crawler.cli", "export", "--db", UNREACHABLE, "-o", str(tmp_path / "x.csv")]
    plain = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert plain.returncode == 1
    one_line_error(plain.stderr)
    debug = subprocess.run(cmd[:3] + ["--debug"] + cmd[3:], capture_output=True, text=True, timeout=60, env=env)
    assert debug.returncode != 0 and "Traceback (most recent call last)" in debug.stderr


# -- exports ----------------------------------------------------------------------------------------
def test_export_csv_to_a_file_with_progress_lines(db, tmp_path, capsys):
    out = tmp_path / "a.csv"
    code, _, err = run(["export", "--db", db, "-o", str(out)], capsys)
    assert code == 0
    assert "export: done, 4 rows" in err and f"exported 4 articles to {out} (csv)" in err
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["site_article_id"] for r in rows] == ["3", "1", "2", "4"]
    assert rows[0]["headline"] == "'=HYPERLINK(1)"  # formula made inert
    assert rows[1]["body"] == "Isi artikel 1.\n\nParagraf kedua."


def test_export_excel_friendly_csv(db, tmp_path, capsys):
    out = tmp_path / "excel.csv"
    assert main(["export", "--db", db, "--format", "excel", "--site", SITE, "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err.strip().splitlines() == [f"exported 3 articles to {out} (excel)"]
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfurl;canonical_url;site;")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == 4 and rows[1][2] == SITE


def test_export_csv_options_bom_and_delimiter(db, capsys):
    assert main(["export", "--db", db, "--bom", "--delimiter", "\t", "--columns", "site_article_id,site"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeffsite_article_id\tsite\r\n3\tmonitorindonesia.com")


def test_export_jsonl_with_columns_and_filters(db, capsys):
    code, out, _ = run(["export", "--db", db, "--format", "jsonl", "--columns", "headline,byline,published_at",
                        "--since", "2023-12-01", "--until", "2023-12-06"], capsys)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [
        {"headline": "Judul artikel 1", "byline": ["Rizky Amin"], "published_at": "2023-12-05T01:10:00+07:00"},
        {"headline": "Judul artikel 2", "byline": [], "published_at": "2023-12-06T01:10:00+07:00"},
    ]


def test_export_parquet(db, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow not installed (pip install 'warta[parquet]')")
    out = tmp_path / "a.parquet"
    code, _, err = run(["export", "--db", db, "--format", "parquet", "-o", str(out),
                        "--columns", "url,headline,byline,tags,published_utc,revision,field_sources"], capsys)
    assert code == 0, err
    table = pq.read_table(out)
    assert table.num_rows == 4
    assert str(table.schema.field("byline").type) == "list<element: string>"
    assert str(table.schema.field("published_utc").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("revision").type) == "int64"
    first = table.slice(1, 1).to_pylist()[0]
    assert first["byline"] == ["Rizky Amin"] and first["revision"] == 1
    assert first["published_utc"].isoformat() == "2023-12-04T18:10:00+00:00"
    # the full default column set works too
    assert main(["export", "--db", db, "--format", "parquet", "-o", str(tmp_path / "all.parquet"), "-q"]) == 0
    assert pq.read_table(tmp_path / "all.parquet").num_rows == 4


def test_export_parquet_needs_a_file(db, capsys):
    code, _, err = run(["export", "--db", db, "--format", "parquet"], capsys)
    assert code == exitcodes.USAGE and "needs a file" in one_line_error(err)


def test_export_columns_are_validated(db, capsys):
    code, _, err = run(["export", "--db", db, "--columns", "url,headlin,nope"], capsys)
    assert code == exitcodes.USAGE
    line = one_line_error(err)
    assert "unknown column(s) headlin (did you mean headline?), nope" in line
    assert "available: url, canonical_url," in line


def test_export_to_a_missing_directory(db, tmp_path, capsys):
    code, _, err = run(["export", "--db", db, "-o", str(tmp_path / "no" / "x.csv")], capsys)
    assert code == exitcodes.USAGE and "does not exist" in one_line_error(err)


# -- stats --------------------------------------------------------------------------------------------
def test_stats(db, capsys):
    code, out, _ = run(["stats", "--db", db], capsys)
    assert code == 0
    assert "4 articles in 2 site(s)" in out
    assert "on disk" in out and "raw pages" in out
    row = next(line for line in out.splitlines() if line.startswith("monitorindonesia.com ") and "UTC" in line)
    assert row.split()[1:3] == ["3", "3"]  # articles, revisions
    assert "2023-11-19 18:10 UTC" in row  # oldest (20 Nov 01:10 WIB)
    assert "2023-12-05 18:10 UTC" in row  # newest
    months = out.split("Articles per month", 1)[1]
    assert [line.split()[:2] for line in months.splitlines() if line.startswith("  2023")] == [
        ["2023-12", "1"], ["2023-11", "1"], ["2023-12", "2"]]  # detik.com, then monitorindonesia.com
    lines = [line for line in out.splitlines() if line.startswith("monitorindonesia.com") and "%" in line]
    assert lines and lines[0].split()[1:] == ["100%", "67%", "100%", "0%", "100%", "100%"]


def test_stats_json_and_filters(db, capsys):
    code, out, _ = run(["stats", "--db", db, "--json", "--site", "detik.com"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["articles"] == 1 and [s["site"] for s in data["sites"]] == ["detik.com"]
    assert data["per_month"] == {"detik.com": {"2023-12": 1}}
    assert data["sites"][0]["fill_rates"]["headline"] == 1.0
    assert data["database_bytes"] > 0 and data["raw_gzip_bytes"] > 0


def test_stats_on_an_empty_archive(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    code, out, _ = run(["stats", "--db", url], capsys)
    assert code == 0 and "no articles yet" in out


def test_db_status(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    code, out, _ = run(["db", "status", "--db", url], capsys)
    assert code == 0 and "up to date" in out


# -- commands that delegate to other modules -----------------------------------------------------------
def test_reparse(db, capsys):
    pytest.importorskip("crawler.reparse", reason="crawler/reparse.py (archive crawling) not there yet")
    code, out, err = run(["reparse", "--db", db, "--site", SITE], capsys)
    assert code == 0, err
    assert out.strip()  # the per-field summary
    assert "reparse: done" in err


def test_reparse_bad_date_before_anything_runs(db, capsys):
    code, _, err = run(["reparse", "--db", db, "--since", "kemarin"], capsys)
    assert code in (exitcodes.USAGE, exitcodes.FAILURE)
    one_line_error(err)


def test_archive_export_warc(db, tmp_path, capsys):
    pytest.importorskip("crawler.warc", reason="crawler/warc.py (archive crawling) not there yet")
    target = tmp_path / "pages.warc.gz"
    code, out, err = run(["archive", "export", "--warc", str(target), "--db", db, "--site", SITE], capsys)
    assert code == 0, err
    assert target.exists() and target.stat().st_size > 0
    assert "warc: done" in err


def test_bench_is_handed_over(capsys):
    pytest.importorskip("bench.__main__", reason="bench/__main__.py (benchmarks) not there yet")
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0


# -- crawl through the CLI (end to end against the mirror) -------------------------------------------------
@pytest.mark.e2e
def test_crawl_with_common_options(tmp_path):
    from crawler.mirror.server import MirrorServer
    from crawler.mirror.site import MirrorSite

    url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with MirrorServer(MirrorSite(n_articles=40, seed=5)) as server:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--site", SITE, "--db", url,
             "--max-articles", "5", "-a", f"base_url={server.url}"],
            capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with Archive(url, create=False) as archive:
        runs = archive.list_runs()
        assert archive.count("articles") == 5
    assert runs[0]["args"]["max_articles"] == "5"
    assert "progress (final)" in result.stderr


# -- docs ------------------------------------------------------------------------------------------------
DOCS = ("quickstart.md", "crawling.md", "cron.md", "schema.md", "fixtures.md", "adding-a-site.md",
        "troubleshooting.md", "analysing.md")


def test_docs_exist_and_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("## The two commands") < readme.index("## The `warta` command")
    for name in DOCS + ("scale-out.md",):
        assert f"(docs/{name})" in readme, name
    for name in DOCS:
        assert (ROOT / "docs" / name).stat().st_size > 1000, name


def test_schema_doc_covers_every_field_and_column():
    from crawler.items import ARTICLE_FIELDS
    from storage.models import Base

    doc = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    for name in ARTICLE_FIELDS:
        assert f"`{name}`" in doc, name
    for table in Base.metadata.sorted_tables:
        assert f"`{table.name}`" in doc, table.name
        for column in table.columns:
            assert f"`{column.name}`" in doc or column.name in ARTICLE_FIELDS, (table.name, column.name)


def test_docs_document_the_exit_codes():
    cron = (ROOT / "docs" / "cron.md").read_text(encoding="utf-8")
    for code in range(6):
        assert f"| {code} |" in cron
