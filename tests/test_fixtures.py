"""Every fixture page parses to exactly what its hand-written NAME.json says.

One test per fixture (``fixtures/<site>/NAME.html`` + ``NAME.json``); a failure
lists every field that differs.  The fixture tool itself (record / review /
update) is tested on copies in ``tmp_path``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crawler.fixturetool import FieldDiff, diff_fixture, main, record, review
from crawler.items import ARTICLE_FIELDS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAGES = sorted(FIXTURES.glob("*/*.html"))
REFERENCE = FIXTURES / "monitor" / "2023-12-05_updated_ri-china-baterai.html"
LISTING = FIXTURES / "monitor" / "2023-12-05_listing-indeks_page-2.html"


def test_fixtures_exist():
    assert len(PAGES) >= 16
    assert REFERENCE in PAGES


@pytest.mark.parametrize("html_path", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_fixture_matches_expected_json(html_path: Path):
    json_path = html_path.with_suffix(".json")
    assert json_path.exists(), f"{json_path.name} is missing: write it by hand (or draft it with record)"
    expected = json.loads(json_path.read_text(encoding="utf-8"))
    assert expected.get("url"), "the fixture JSON needs a top-level url"
    if "listing" not in expected:
        missing = [f for f in ARTICLE_FIELDS if f not in expected]
        assert not missing, f"NAME.json must hold every schema field; missing {missing}"
        assert expected["fetched_at"] is None and expected["content_hash"] is None
    diffs = diff_fixture(html_path, json_path)
    assert not diffs, "fields differ from the stored expectation:\n  " + "\n  ".join(map(str, diffs))


def test_fixture_names_are_dated():
    for page in PAGES:
        date, variant, slug = page.stem.split("_", 2)
        assert len(date) == 10 and date[4] == "-" and date[7] == "-", page.name
        assert variant and slug, page.name


def test_reference_page_expectations_from_the_issue():
    expected = json.loads(REFERENCE.with_suffix(".json").read_text(encoding="utf-8"))
    assert expected["byline"] == ["Rendy Bimantara"]
    assert expected["updated_at"] == "2023-12-05T01:10:00+07:00"
    assert expected["updated_raw"] == "Diperbarui 5 Desember 2023 01:10 WIB"
    assert expected["caption"] == "Presiden Joko Widodo meninjau pabrik mobil listrik milik PT HLI Green Power"
    assert expected["caption_credit"] == "Setpres"
    assert expected["dateline"] == "Jakarta"
    assert expected["editor"] == "Ran"
    assert expected["body"].startswith("Jakarta, MI – RI dan China")
    assert expected["body"].endswith("kedua belah pihak. (Ran)")


# ---------------------------------------------------------------------------
# record / review / update
# ---------------------------------------------------------------------------

URL = "https://monitorindonesia.com/ekonomi/read/2023/12/421873/ri-china-tingkatkan-kerja-sama-pembuatan-baterai-litium"


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    target = tmp_path / "monitor"
    target.mkdir()
    shutil.copy(REFERENCE, target / REFERENCE.name)
    return target


def test_record_writes_json_and_refuses_to_overwrite(site_dir: Path):
    html = site_dir / REFERENCE.name
    path = record(html, URL)
    assert path == html.with_suffix(".json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == list(ARTICLE_FIELDS)
    assert data["url"] == URL and data["fetched_at"] is None and data["content_hash"] is None
    with pytest.raises(FileExistsError):
        record(html, URL)
    path.write_text("{}", encoding="utf-8")
    record(html, URL, overwrite=True)
    assert json.loads(path.read_text(encoding="utf-8"))["headline"]


def test_review_detects_a_changed_expectation_and_update_rewrites(site_dir: Path):
    html = site_dir / REFERENCE.name
    json_path = record(html, URL)
    assert review(site_dir) == []

    data = json.loads(json_path.read_text(encoding="utf-8"))
    data["headline"] = "Judul lama"
    data["byline"] = ["Orang Lain"]
    json_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    diffs = review(site_dir)
    assert {d.field for d in diffs} == {"headline", "byline"}
    headline = next(d for d in diffs if d.field == "headline")
    assert headline == FieldDiff(html.stem, "headline", "Judul lama", "RI-China Tingkatkan Kerja Sama Pembuatan Baterai Litium")
    assert "Judul lama" in str(headline)

    assert review(site_dir, update=True)  # reports what it rewrote
    assert review(site_dir) == []


def test_review_reports_missing_json_and_missing_fields(site_dir: Path):
    html = site_dir / REFERENCE.name
    diffs = review(site_dir)
    assert [(d.fixture, d.field) for d in diffs] == [(html.stem, "*")]
    json_path = record(html, URL)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    del data["tags"]
    json_path.write_text(json.dumps(data), encoding="utf-8")
    assert [d.field for d in review(site_dir)] == ["tags"]


def test_record_listing_page(tmp_path: Path):
    shutil.copy(LISTING, tmp_path / LISTING.name)
    path = record(tmp_path / LISTING.name, "https://monitorindonesia.com/indeks?page=2")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"url", "listing"}
    assert data["listing"]["next_url"] == "https://monitorindonesia.com/indeks?page=3"
    assert review(tmp_path) == []
    data["listing"]["items"][0]["headline"] = "x"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert [d.field for d in review(tmp_path)] == ["listing.items[0].headline"]


def test_main_review_and_update_exit_codes(site_dir: Path, capsys):
    html = site_dir / REFERENCE.name
    assert main(["record", str(html)]) == 0  # URL from <link rel=canonical>
    assert main(["record", str(html)]) == 1  # refuses to overwrite
    assert main(["review", str(site_dir)]) == 0
    json_path = html.with_suffix(".json")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    data["editor"] = "Xyz"
    json_path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["review", str(site_dir)]) == 1
    assert "editor" in capsys.readouterr().out
    assert main(["update", str(site_dir)]) == 0
    assert main(["review", str(site_dir)]) == 0
