"""Parser health (issue 4): per-site fill rates per run, the layout alarm, exit code 5,
and `warta health` — tested with crafted crawl_runs history."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from crawler import exitcodes
from crawler.cli import main
from crawler.health import FIELDS, Alarm, HealthConfig, SiteTally, check, check_archive, health_rows, run_sites
from storage.repository import Archive

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"headline": 1.0, "byline": 0.95, "published_at": 1.0, "updated_at": 0.4, "caption": 0.8, "body": 1.0}


def figures(rates=None, articles=50, parse_errors=0):
    rates = dict(GOOD if rates is None else rates)
    pages = articles + parse_errors
    return {"articles": articles, "parse_errors": parse_errors,
            "parse_failure_rate": round(parse_errors / pages, 4) if pages else 0.0, "fill_rates": rates}


def add_run(archive, site="detik.com", rates=None, *, articles=50, parse_errors=0, status="ok",
            alarms=(), spider=None):
    run_id = archive.start_run(spider or site.split(".")[0], {}, site)
    fig = figures(rates, articles, parse_errors)
    stats = {"fill_rates": fig["fill_rates"], "sites": {site: fig},
             "parse_failure_rate": fig["parse_failure_rate"],
             "health": {"alarms": [Alarm(site, f, 0.0, 1.0, 3).as_dict() for f in alarms]}}
    archive.finish_run(run_id, status, {"pages_fetched": articles + parse_errors, "articles_new": articles,
                                        "parse_errors": parse_errors}, stats)
    return run_id


@pytest.fixture
def archive(tmp_path):
    archive = Archive(f"sqlite:///{tmp_path / 'warta.sqlite'}")
    yield archive
    archive.dispose()


# -- pure logic -----------------------------------------------------------------------------
def test_site_tally_rates_and_parse_failures():
    tally = SiteTally()
    for i in range(8):
        tally.add("detik.com", {"headline": "H", "byline": ["A"] if i < 6 else [], "published_at": "x",
                                "updated_at": None, "caption": "c", "body": "b"})
    tally.add("detik.com", {"parse_error": "not an article: no headline"})
    tally.add("detik.com", {"parse_error": "not an article: no headline"})
    tally.add("kompas.com", {"headline": "H", "body": "b"})
    tally.add("kompas.com", None)  # a listing page: not an article page
    sites = tally.sites()
    assert sites["detik.com"]["articles"] == 8
    assert sites["detik.com"]["parse_errors"] == 2
    assert sites["detik.com"]["parse_failure_rate"] == 0.2
    assert sites["detik.com"]["fill_rates"]["byline"] == 0.75
    assert sites["detik.com"]["fill_rates"]["updated_at"] == 0.0
    assert set(sites["detik.com"]["fill_rates"]) == set(FIELDS)
    assert sites["kompas.com"]["fill_rates"]["headline"] == 1.0
    assert tally.parse_failure_rate() == round(2 / 11, 4)


def history(n, rates=None, **kw):
    return [{"id": 100 - i, "status": "ok", "site": "detik.com",
             "stats": {"sites": {"detik.com": figures(rates, **kw)}}} for i in range(n)]


def test_a_field_falling_far_below_its_usual_rate_raises_the_alarm():
    current = {"detik.com": figures({**GOOD, "byline": 0.10})}
    alarms, skipped = check(current, history(5))
    assert skipped == {}
    assert [(a.site, a.field) for a in alarms] == [("detik.com", "byline")]
    assert alarms[0].message == "layout may have changed for detik.com: byline filled in 10% (usually 95%)"


def test_small_dips_and_optional_fields_do_not_alarm():
    # byline 95% -> 80% is within the allowed drop (30%); updated_at is not required
    current = {"detik.com": figures({**GOOD, "byline": 0.80, "updated_at": 0.0, "caption": 0.0})}
    alarms, _ = check(current, history(5))
    assert alarms == []


def test_required_fields_and_thresholds_come_from_settings():
    config = HealthConfig.from_settings({"WARTA_HEALTH_REQUIRED": "caption,updated_at",
                                         "WARTA_HEALTH_DROP": "0.1", "WARTA_HEALTH_MIN_RUNS": "2"})
    assert config.required == ["caption", "updated_at"] and config.drop == 0.1 and config.min_runs == 2
    current = {"detik.com": figures({**GOOD, "caption": 0.7})}  # 0.8 -> 0.7 is > 10% down
    alarms, _ = check(current, history(2), config)
    assert [a.field for a in alarms] == ["caption"]
    per_site = HealthConfig(required_sites={"detik.com": ["body"]})
    alarms, _ = check({"detik.com": figures({**GOOD, "byline": 0.0})}, history(5), per_site)
    assert alarms == []  # byline not required for this site


def test_too_little_history_or_too_few_articles_is_skipped_with_a_reason():
    current = {"detik.com": figures({**GOOD, "byline": 0.0})}
    alarms, skipped = check(current, history(2))
    assert alarms == [] and "2 earlier healthy runs" in skipped["detik.com"]
    alarms, skipped = check({"detik.com": figures({**GOOD, "byline": 0.0}, articles=4)}, history(5))
    assert alarms == [] and "4 article pages" in skipped["detik.com"]
    # small runs are not history either
    alarms, skipped = check(current, history(5, articles=3))
    assert alarms == [] and "0 earlier healthy runs" in skipped["detik.com"]


def test_failed_and_alarmed_runs_are_not_the_baseline():
    runs = history(5, {**GOOD, "byline": 0.0})
    for run in runs:
        run["stats"]["health"] = {"alarms": [{"site": "detik.com", "field": "byline"}]}
    runs += history(3)
    runs[-1]["status"] = "failed"
    # the usual rate comes from the healthy runs only: two of them (< MIN_RUNS 3)
    alarms, skipped = check({"detik.com": figures({**GOOD, "byline": 0.0})}, runs)
    assert alarms == [] and "2 earlier healthy runs" in skipped["detik.com"]
    runs += history(1)
    alarms, _ = check({"detik.com": figures({**GOOD, "byline": 0.0})}, runs)
    assert [a.field for a in alarms] == ["byline"]


def test_parse_failure_rise_raises_the_alarm():
    current = {"detik.com": figures(articles=20, parse_errors=30)}
    alarms, _ = check(current, history(4, parse_errors=1))
    assert [a.field for a in alarms] == ["parse_failures"]
    assert alarms[0].message == ("layout may have changed for detik.com: parse failures on 60% of article "
                                 "pages (usually 2%)")


def test_run_sites_reads_older_runs_without_a_breakdown():
    run = {"site": "monitorindonesia.com", "spider": "monitor", "articles_new": 9, "articles_unchanged": 1,
           "parse_errors": 0, "stats": {"fill_rates": GOOD}}
    assert run_sites(run) == {"monitorindonesia.com": {"articles": 10, "parse_errors": 0,
                                                       "parse_failure_rate": 0.0, "fill_rates": GOOD}}
    assert run_sites({"stats": None}) == {}


def test_check_archive_uses_the_stored_history(archive):
    for _ in range(3):
        add_run(archive, "detik.com")
    add_run(archive, "kompas.com", {**GOOD, "body": 1.0})
    run_id = archive.start_run("detik", {}, "detik.com")
    alarms, skipped = check_archive(archive, {"detik.com": figures({**GOOD, "headline": 0.2}),
                                              "kompas.com": figures({**GOOD, "body": 0.0})},
                                    run_id=run_id)
    assert [str(a) for a in alarms] == ["layout may have changed for detik.com: headline filled in 20% "
                                        "(usually 100%)"]
    assert "kompas.com" in skipped


# -- the store pipeline: stats, log line, exit code 5 ---------------------------------------------
class FakeStats:
    def __init__(self):
        self.values = {}

    def set_value(self, key, value):
        self.values[key] = value

    def inc_value(self, key, count=1):
        self.values[key] = self.values.get(key, 0) + count

    def get_value(self, key, default=None):
        return self.values.get(key, default)


def run_pipeline(db_url, site, articles, *, settings=None):
    from scrapy.settings import Settings

    from pipelines.store import StoragePipeline

    conf = Settings()
    conf.setmodule("crawler.settings")
    conf.set("WARTA_DATABASE_URL", db_url)
    for key, value in (settings or {}).items():
        conf.set(key, value)
    spider = SimpleNamespace(name=site.split(".")[0], site=site)
    crawler = SimpleNamespace(settings=conf, stats=FakeStats(), spider=spider)
    pipeline = StoragePipeline(crawler)
    pipeline.open_spider(spider)
    for i, article in enumerate(articles):
        url = f"https://{site}/berita/{i}"
        article = {"url": url, "canonical_url": url, "site": site, "site_article_id": str(i), **article}
        pipeline.process_item({"page": {"url": url, "status": 200, "body": b"<html/>", "kind": "article"},
                               "article": article}, spider)
    pipeline.close_spider(spider)
    pipeline.spider_closed(spider, "finished")
    return crawler.stats.values


def article(i, **fields):
    base = {"headline": f"Judul {i}", "byline": ["Rina"], "published_at": "2024-01-05T10:00:00+07:00",
            "updated_at": None, "caption": "Foto", "body": f"Isi {i}."}
    base.update(fields)
    return base


def test_pipeline_records_per_site_health_and_exits_5_on_an_alarm(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    with Archive(url) as archive:
        for _ in range(3):
            add_run(archive, "detik.com", {**GOOD, "byline": 1.0})
    broken = [article(i, byline=[]) for i in range(18)] + [article(18), article(19)]
    broken += [{"parse_error": "not an article: no headline"}]
    with caplog.at_level(logging.ERROR, logger="pipelines.store"):
        stats = run_pipeline(url, "detik.com", broken)
    assert stats["warta/exit_code"] == exitcodes.LAYOUT_ALARM == 5
    assert stats["warta/run_status"] == "ok"  # the run itself finished fine
    assert "layout may have changed for detik.com: byline filled in 10% (usually 100%)" in caplog.text
    with Archive(url, create=False) as archive:
        run = archive.get_run(stats["warta/run_id"])
    assert run["status"] == "ok"
    site = run["stats"]["sites"]["detik.com"]
    assert site["articles"] == 20 and site["parse_errors"] == 1
    assert site["parse_failure_rate"] == round(1 / 21, 4)
    assert site["fill_rates"]["byline"] == 0.1
    assert run["stats"]["parse_failure_rate"] == round(1 / 21, 4)
    assert [a["field"] for a in run["stats"]["health"]["alarms"]] == ["byline"]


def test_pipeline_healthy_run_exits_0_and_builds_history(tmp_path):
    url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    codes = [run_pipeline(url, "kompas.com", [article(i) for i in range(12)])["warta/exit_code"]
             for _ in range(4)]
    assert codes == [0, 0, 0, 0]
    with Archive(url, create=False) as archive:
        runs = archive.list_runs("kompas.com")
    assert len(runs) == 4
    assert "0 earlier healthy runs" in runs[-1]["stats"]["health"]["skipped"]["kompas.com"]
    assert runs[0]["stats"]["health"]["checked"] == ["kompas.com"]


# -- `warta health` ------------------------------------------------------------------------------
def test_warta_health_prints_the_table_per_site_and_run(archive, capsys):
    for _ in range(3):
        add_run(archive, "detik.com")
    add_run(archive, "detik.com", {**GOOD, "byline": 0.1}, alarms=["byline"])
    add_run(archive, "kompas.com")
    code = main(["health", "--db", archive.url])
    out = capsys.readouterr()
    assert code == 0
    assert "detik.com" in out.out and "kompas.com" in out.out
    assert re.search(r"#4\s+\S+ \S+\s+ok\s+50\s+0%\s+100%\s+10%", out.out)
    assert "usual" in out.out and "median of 3 runs" in out.out
    assert "ALARM run #4: layout may have changed for detik.com: byline filled in 0% (usually 100%)" in out.out
    assert "layout alarm in the latest run of: detik.com" in out.err
    assert main(["health", "--db", archive.url, "--check"]) == exitcodes.LAYOUT_ALARM
    assert main(["health", "--db", archive.url, "--check", "--site", "kompas.com"]) == 0
    capsys.readouterr()
    assert main(["health", "--db", archive.url, "--site", "kompas"]) == 0
    assert "detik.com" not in capsys.readouterr().out


def test_health_rows_flatten_runs(archive):
    add_run(archive, "detik.com", alarms=["body"])
    rows = health_rows(archive.list_runs())
    assert rows[0]["site"] == "detik.com" and rows[0]["articles"] == 50
    assert rows[0]["alarms"][0]["field"] == "body"


def test_warta_health_on_an_archive_without_runs(archive, capsys):
    assert main(["health", "--db", archive.url]) == 0
    assert "no crawl run has recorded parser health yet" in capsys.readouterr().out


# -- end to end: a real crawl of the mirror raises the alarm and exits 5 --------------------------------
@pytest.mark.e2e
def test_real_crawl_with_a_layout_alarm_exits_5(tmp_path):
    from crawler.mirror.server import MirrorServer
    from crawler.mirror.site import MirrorSite

    url = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    with Archive(url) as archive:  # the site usually showed "Diperbarui" on 90% of its articles
        for _ in range(3):
            add_run(archive, "monitorindonesia.com", {**GOOD, "updated_at": 0.9}, spider="monitor")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with MirrorServer(MirrorSite(n_articles=30, seed=3)) as server:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "monitor", "--db", url, "-a", f"base_url={server.url}",
             "-s", "WARTA_HEALTH_REQUIRED=headline,updated_at", "-s", "LOG_LEVEL=INFO"],
            capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert result.returncode == exitcodes.LAYOUT_ALARM, result.stderr[-3000:]
    assert re.search(r"ERROR: layout may have changed for monitorindonesia.com: updated_at filled in \d+% "
                     r"\(usually 90%\)", result.stderr)
    assert result.stderr.rstrip().splitlines()[-1].startswith("warta: layout alarm")
    assert "progress (final): 3" in result.stderr  # the crawl's periodic line, final edition
    with Archive(url, create=False) as archive:
        run = archive.list_runs(limit=1)[0]
    assert run["status"] == "ok" and run["stats"]["health"]["alarms"][0]["field"] == "updated_at"
