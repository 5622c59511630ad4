"""`warta report`: a self-contained HTML page with plotly charts, checked in headless Chromium.

Chromium is Debian's ``chromium`` package (scripts/test.sh installs it under CI=true).
Without it the browser tests are skipped with the reason — except under CI=true,
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("plotly", reason="plotly not installed (pip install 'warta[report]')")

from crawler.cli import main  # noqa: E402
from crawler.health import Alarm  # noqa: E402
from crawler.items import PageItem, empty_article  # noqa: E402
from crawler.report import build_html, collect, write_report  # noqa: E402
from storage.repository import Archive  # noqa: E402

SITES = ("monitorindonesia.com", "detik.com", "kompas.com")
AUTHORS = ["Rendy Bimantara", "Dewi Lestari", "Rizky Amin", "Siti Nurhaliza", "Agus Salim",
           "</script><script>document.title='pwned'</script>"]
SECTIONS = ["ekonomi", "politik", "hukum", "olahraga", "megapolitan"]
RATES = {"headline": 1.0, "byline": 0.96, "published_at": 1.0, "updated_at": 0.35, "caption": 0.8, "body": 1.0}


def build_archive(url: str) -> None:
    items = []
    start = date(2023, 11, 1)
    n = 0
    for s_index, site in enumerate(SITES):
        for day in range(40):
            for k in range((day * 7 + s_index * 3) % 4 + s_index):
                n += 1
                d = start + timedelta(days=day)
                link = f"https://{site}/{SECTIONS[n % 5]}/read/{n}"
                a = empty_article(link)
                a.update(canonical_url=link, site=site, site_article_id=str(n), section=SECTIONS[(n * 3) % 5],
                         headline=f"Berita {n}", byline=[AUTHORS[(n + k) % len(AUTHORS)]] if n % 9 else [],
                         published_at=f"{d.isoformat()}T{8 + k:02d}:15:00+07:00",
                         updated_at=f"{d.isoformat()}T{9 + k:02d}:00:00+07:00" if n % 3 == 0 else None,
                         caption="Foto" if n % 5 else None, body=f"Isi berita {n}.", language="id")
                items.append(PageItem(page={"url": link, "status": 200, "body": b"<html></html>",
                                            "kind": "article"}, article=a))
    with Archive(url) as archive:
        archive.store_batch(items)
        for i in range(8):  # crawl runs: healthy history, one alarm, one failure
            for site in SITES:
                rates = dict(RATES)
                alarms = []
                if site == "detik.com" and i == 6:
                    rates["byline"] = 0.05
                    alarms = [Alarm(site, "byline", 0.05, 0.96, 5).as_dict()]
                run_id = archive.start_run(site.split(".")[0], {}, site)
                failed = site == "kompas.com" and i == 4
                figures = {"articles": 40 + i, "parse_errors": i % 3,
                           "parse_failure_rate": round((i % 3) / (40 + i + i % 3), 4), "fill_rates": rates}
                archive.finish_run(
                    run_id, "failed" if failed else "ok",
                    {"pages_fetched": 60 + i, "articles_new": 30 + i, "articles_updated": 3,
                     "articles_unchanged": 7, "parse_errors": i % 3, "http_errors": 1 if failed else 0},
                    {"fill_rates": rates, "sites": {site: figures}, "health": {"alarms": alarms}},
                    error="archive write failed: OperationalError: disk I/O error" if failed else None)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{tmp / 'warta.sqlite'}"
    build_archive(url)
    target = tmp / "report.html"
    assert main(["report", "--db", url, "-o", str(target)]) == 0
    return target


# -- the HTML itself --------------------------------------------------------------------------------
def test_report_is_self_contained(report):
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # plotly.js is inline: no script, stylesheet or font is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    assert "plotly.js v" in page or "Plotly" in page[:6_000_000]
    assert len(page) > 1_000_000  # the library itself
    for div in ("chart-per-day", "chart-fill-runs", "chart-fill-months", "chart-bylines", "chart-sections",
                "chart-runs"):
        assert f'id="{div}"' in page
    assert 'data-charts-expected="6"' in page
    # untrusted text from pages is escaped, never markup
    assert "<script>document.title='pwned'</script>" not in page


def test_report_content(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    build_archive(url)
    with Archive(url, create=False) as archive:
        data = collect(archive)
    assert {s for s, _, _ in data["per_day"]} == set(SITES)
    assert data["bylines"][0][1] >= data["bylines"][-1][1]
    assert {name for name, _ in data["sections"]} == set(SECTIONS)
    assert len(data["runs"]) == 24
    page = build_html(data)
    assert "layout may have changed for detik.com: byline filled in 5% (usually 96%)" in page
    assert "archive write failed: OperationalError: disk I/O error" in page


def test_report_on_an_empty_archive(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    with Archive(url) as archive:
        result = write_report(archive, tmp_path / "r.html")
    assert result["charts"] == 0 and result["articles"] == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No crawl runs yet." in page and "No dated articles yet." in page


def test_report_site_and_date_filters(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    build_archive(url)
    target = tmp_path / "d.html"
    assert main(["report", "--db", url, "--site", "detik", "--since", "2023-11-10", "--until", "2023-11-20",
                 "-o", str(target)]) == 0
    assert "wrote" in capsys.readouterr().out
    page = target.read_text(encoding="utf-8")
    assert "site=detik.com" in page and "since=2023-11-10" in page
    assert "monitorindonesia.com" not in page.split("<main>", 1)[1].split("<script", 1)[0]


# -- rendered in headless Chromium -----------------------------------------------------------------------
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("headless Chromium is missing under CI=true (scripts/test.sh installs Debian's chromium)",
                    pytrace=False)
    pytest.skip("headless Chromium not installed: apt-get install chromium")


def run_chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=15000", *extra, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line and re.search(r"Uncaught|Error|error", line)]


def visible_text(dom: str) -> str:
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(dom)
    for node in tree.xpath("//script|//style"):
        node.drop_tree()
    return tree.text_content()


def test_report_renders_in_headless_chromium(report, tmp_path):
    result = run_chromium(report, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert console_errors(result.stderr) == []
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-charts-expected="6"' in body
    assert 'data-charts-rendered="6"' in body, "not every chart rendered an SVG"
    # each plot div holds rendered SVG with marks (bars / lines / points)
    assert dom.count('class="main-svg"') >= 6
    for div in ("chart-per-day", "chart-fill-runs", "chart-fill-months", "chart-bylines", "chart-sections",
                "chart-runs"):
        start = dom.index(f'id="{div}"')
        chunk = dom[start:start + 200_000]
        assert "main-svg" in chunk and re.search(r'class="(point|trace bars|scatterlayer|bars)', chunk), div
    text = visible_text(dom)
    assert "Script error" not in text
    assert "Error" not in text.replace("errors", "").replace("HTTP / download", "").replace(
        "OperationalError", "")
    assert "<title>Warta archive report</title>" in dom  # no injected script ran
    assert "Articles per day per site" in dom and "Top 20 bylines" in dom


def test_report_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    result = run_chromium(report, tmp_path, "--window-size=1400,3200", f"--screenshot={shot}",
                          "--hide-scrollbars")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_errors(result.stderr) == []
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000
    keep = os.environ.get("WARTA_REPORT_SCREENSHOT")
    if keep:  # a person can look at it
        shutil.copy(shot, keep)


def test_console_errors_are_detected(tmp_path):
    """The browser check itself works: a page that throws is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>throw new Error('boom')</script></body></html>")
    result = run_chromium(page, tmp_path, "--dump-dom")
    assert any("boom" in line for line in console_errors(result.stderr))
