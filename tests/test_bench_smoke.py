"""The benchmark code runs and returns the right shape, on tiny sizes.

No timing assertions: the figures are only meaningful at full size (``python -m bench``).
"""

from __future__ import annotations

import json
import shutil

import pytest

from bench.common import Row, format_table

STATUSES = {"pass", "FAIL", "info", "pending", "skipped"}


def check_rows(rows, names):
    assert [r.name for r in rows] == names
    for r in rows:
        assert isinstance(r, Row)
        assert r.status in STATUSES, r
        if r.status in ("pass", "FAIL", "info"):
            assert r.ours and r.ours > 0 and r.peer and r.peer > 0, r
            assert r.ratio and r.ratio > 0
        d = r.as_dict()
        json.dumps(d, default=str)
        assert {"name", "workload", "ours", "peer", "ratio", "target", "status", "unit"} <= set(d)
    table = format_table(rows)
    assert table.splitlines()[0].startswith("| benchmark | workload | ours | peer")
    assert len(table.splitlines()) == len(rows) + 2


def test_row_ratio_and_status():
    assert Row("x", "w", 10.0, 2.0, "u", "p", 5.0).status == "pass"
    assert Row("x", "w", 10.0, 4.0, "u", "p", 5.0).status == "FAIL"
    assert Row("x", "w", 10.0, 4.0, "u", "p", None).status == "info"
    assert Row("x", "w", None, None, "", "", 1.0).status == "pending"
    assert Row("x", "w", 3.0, 2.0, "u", "p", 1.0).ratio == 1.5


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")


def test_parse_bench():
    pytest.importorskip("trafilatura")
    from bench import bench_parse

    rows = bench_parse.run(quick=True)["rows"]
    check_rows(rows, ["parse: site parsers", "parse: generic extractor"])
    assert rows[0].extra["pages"] >= 10


def test_store_bench(workdir):
    from bench import bench_store

    rows = bench_store.run(articles=60, batch=25, workdir=workdir)["rows"]
    check_rows(rows, ["store", "store: database only"])
    assert rows[0].extra["articles"] == 60


def test_export_bench(workdir):
    from bench import bench_export

    rows = bench_export.run(articles=40, rounds=1, workdir=workdir)["rows"]
    check_rows(rows, ["export", "export: peak RSS"])
    if shutil.which("sqlite3") is None:
        assert rows[0].status == "skipped"


@pytest.mark.slow
def test_crawl_and_reparse_bench(workdir):
    from bench import bench_crawl, bench_reparse

    rows = bench_crawl.run(articles=30, sizes=[15, 30], rounds=1, workdir=workdir)["rows"]
    check_rows(rows, ["crawl", "crawl: peak RSS"])
    assert rows[0].extra["full"]["articles_new"] == 30
    assert rows[0].extra["bare"]["pages"] >= rows[0].extra["full"]["pages"] - 1
    # the crawl's archive is kept in the workdir and re-parsed
    assert (workdir / "crawl-30.sqlite").is_file()
    rows = bench_reparse.run(articles=30, rounds=1, workdir=workdir)["rows"]
    check_rows(rows, ["re-parse"])


def test_main_writes_json(tmp_path):
    from bench.__main__ import main

    out = tmp_path / "r.json"
    assert main(["--quick", "--only", "dates", "--json", str(out), "--workdir", str(tmp_path / "w")]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["quick"] is True and doc["machine"]["cpus"]
    assert [r["name"] for r in doc["rows"]] == ["dates"]
    assert doc["rows"][0]["status"] in ("pass", "FAIL")


# --- the speed work keeps results identical ------------------------------------------------


def _tricky_items():
    from crawler.items import PageItem, empty_article

    cells = ["=1+1", "+62 812", "-5", "@sum", "\t=x", "\r=x", " \u00a0=cmd", "\u200b@x", "  plain",
             'kutip "dalam", koma', "titik;koma", "baris\nbaru", "crlf\r\nline", "tab\tdi", "pipa|x",
             "", "café \u2014 \U0001F50B", "'sudah", None]
    items = []
    for i, text in enumerate(cells, 1):
        url = f"https://monitorindonesia.com/ekonomi/read/2023/12/{i}/a-{i}"
        a = empty_article(url)
        a.update(canonical_url=url, site="monitorindonesia.com", site_article_id=str(i), section=text,
                 headline=text or f"judul {i}", byline=[text or "x", "Dewi"] if text else [], editor=text,
                 published_at=None if i % 5 == 0 else f"2023-12-{i % 28 + 1:02d}T01:10:00+07:00",
                 body=f"{text}\n\nparagraf {i}, \"kedua\"" if text else None, tags=[text] if text else [],
                 caption=text, language="id", parser="monitor/1", dateline=text,
                 fetched_at=f"2023-12-06T00:00:{i % 60:02d}.{i * 1000:06d}+00:00" if i % 2 else
                 "2023-12-06T00:00:00+00:00",
                 warnings=[text, 3, 2.5, True, None] if text else [], field_sources={"headline": text, "n": i})
        items.append(PageItem(page={"url": url, "status": 200, "body": b"<html></html>", "kind": "article",
                                    "fetched_at": "2023-12-06T00:00:00+00:00"}, article=a))
    return items


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_export_csv_fast_path_writes_the_same_bytes(tmp_path, monkeypatch, delimiter):
    import io

    from storage import export
    from storage.repository import Archive

    archive = Archive(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        archive.store_batch(_tricky_items())
        every = export.available_columns() if hasattr(export, "available_columns") else list(export.EXPORT_COLUMNS)
        for columns in (None, every, ["headline", "revision"]):
            for kwargs in ({}, {"bom": True}, {"section": "ekonomi"}, {"since": "2023-12-03", "until": "2023-12-20"}):
                fast = io.StringIO(newline="")
                n_fast = export.export_csv(archive, fast, columns=columns, delimiter=delimiter, **kwargs)
                with monkeypatch.context() as m:
                    m.setattr(export, "_sqlite_csv_lines", lambda *a, **k: None)
                    slow = io.StringIO(newline="")
                    n_slow = export.export_csv(archive, slow, columns=columns, delimiter=delimiter, **kwargs)
                assert n_fast == n_slow
                assert fast.getvalue() == slow.getvalue(), (columns, kwargs)
    finally:
        archive.dispose()


def test_export_csv_fast_path_quotes_like_csv_writer():
    import csv
    import io

    from hypothesis import given, settings, strategies as st

    from storage import export

    alphabet = st.sampled_from(list(',;|\t"\'\r\n =+-@ab\u00a0\u200b\u3000é\U0001F50B'))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.text(alphabet, max_size=8), min_size=2, max_size=5), st.sampled_from([",", ";", "\t", "|"]))
    def check(cells, delimiter):
        ref = io.StringIO(newline="")
        csv.writer(ref, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerow(
            [export._csv_cell(c) for c in cells])
        cell = export._quoted_text(delimiter)
        assert delimiter.join(cell(c) for c in cells) + "\r\n" == ref.getvalue()

    check()


def test_readme_table_is_rewritten_between_markers_only(tmp_path):
    from bench.__main__ import README_END, README_START, write_readme

    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\nbefore\n{README_START}\nold table\n{README_END}\nafter ü\n", encoding="utf-8")
    row = Row("export", "100 rows", 50.0, 100.0, "rows/s", "sqlite3 -csv", 0.5,
              extra={"bench": "export", "measured_at": "2026-11-28T21:00:00+00:00"})
    write_readme({"rows": [row.as_dict()], "machine": {"cpus": 2}}, readme)
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text.startswith("# T\n\nbefore\n") and text.endswith(f"{README_END}\nafter ü\n")
    assert "measured: export 2026-11-28" in text
    assert "| export | 100 rows | 50.0 rows/s | 100 rows/s sqlite3 -csv | 0.50× | ≥ 0.5× | pass |" in text
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        write_readme({"rows": []}, readme)
