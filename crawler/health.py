"""Parser health: per-site fill rates per run, and the layout-change alarm.

Sites change their markup without notice; the parser then quietly stops
finding bylines or dates.  Every crawl run therefore records, per site, how
many article pages it parsed, how many failed to parse, and the share of
parsed articles that had each field (:data:`FIELDS`).  The storage pipeline
keeps this in ``crawl_runs.stats``::

    {"fill_rates": {...all sites...}, "parse_failure_rate": 0.01,
     "sites": {"detik.com": {"articles": 120, "parse_errors": 1,
                             "parse_failure_rate": 0.0083,
                             "fill_rates": {"headline": 1.0, "byline": 0.97, ...}}},
     "health": {"alarms": [...], "checked": ["detik.com"], "skipped": {...}}}

At the end of a run, :func:`check` compares each site's rates with the site's
recent history: the median of its last ``WARTA_HEALTH_WINDOW`` healthy runs
(status ``ok``, at least ``WARTA_HEALTH_MIN_ARTICLES`` articles of that site,
no alarm for it).  With at least ``WARTA_HEALTH_MIN_RUNS`` such runs:

* a *required* field (``WARTA_HEALTH_REQUIRED``, per-site overrides in
  ``WARTA_HEALTH_REQUIRED_SITES``) whose rate is below ``usual × (1 − WARTA_HEALTH_DROP)``
  raises ``layout may have changed for SITE: FIELD filled in X% (usually Y%)``;
* a parse-failure rate more than ``WARTA_HEALTH_FAILURE_RISE`` (absolute) above
  the usual one raises ``layout may have changed for SITE: parse failures on X%
  of article pages (usually Y%)``.

The run keeps its status (``ok``) but exits with :data:`crawler.exitcodes.LAYOUT_ALARM`
(5) so cron mails a person.  Alarmed runs are left out of later baselines, so the
alarm repeats until the parser is fixed (or the field is no longer required).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

__all__ = [
    "FIELDS",
    "DEFAULTS",
    "Alarm",
    "HealthConfig",
    "SiteTally",
    "run_sites",
    "baseline",
    "check",
    "check_archive",
    "health_rows",
]

#: the fields whose fill rate is recorded per run and site
FIELDS: tuple[str, ...] = ("headline", "byline", "published_at", "updated_at", "caption", "body")

#: setting -> default (also declared in crawler/settings.py)
DEFAULTS: dict[str, Any] = {
    "WARTA_HEALTH_MIN_RUNS": 3,
    "WARTA_HEALTH_WINDOW": 10,
    "WARTA_HEALTH_DROP": 0.3,
    "WARTA_HEALTH_FAILURE_RISE": 0.2,
    "WARTA_HEALTH_MIN_ARTICLES": 10,
    "WARTA_HEALTH_REQUIRED": ["headline", "byline", "published_at", "body"],
    "WARTA_HEALTH_REQUIRED_SITES": {},
}

PARSE_FAILURES = "parse_failures"


@dataclass(frozen=True)
class Alarm:
    site: str
    #: a field name, or ``"parse_failures"``
    field: str
    rate: float
    usual: float
    runs: int

    @property
    def message(self) -> str:
        if self.field == PARSE_FAILURES:
            return (f"layout may have changed for {self.site}: parse failures on {self.rate:.0%} of "
                    f"article pages (usually {self.usual:.0%})")
        return (f"layout may have changed for {self.site}: {self.field} filled in {self.rate:.0%} "
                f"(usually {self.usual:.0%})")

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message}


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


@dataclass
class HealthConfig:
    min_runs: int = DEFAULTS["WARTA_HEALTH_MIN_RUNS"]
    window: int = DEFAULTS["WARTA_HEALTH_WINDOW"]
    drop: float = DEFAULTS["WARTA_HEALTH_DROP"]
    failure_rise: float = DEFAULTS["WARTA_HEALTH_FAILURE_RISE"]
    min_articles: int = DEFAULTS["WARTA_HEALTH_MIN_ARTICLES"]
    required: list[str] = field(default_factory=lambda: list(DEFAULTS["WARTA_HEALTH_REQUIRED"]))
    required_sites: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any = None) -> "HealthConfig":
        """From Scrapy settings, a plain mapping, or ``None`` (the defaults)."""
        def get(name: str) -> Any:
            if settings is None:
                return DEFAULTS[name]
            try:
                value = settings.get(name)
            except Exception:
                value = None
            return DEFAULTS[name] if value is None else value

        sites = get("WARTA_HEALTH_REQUIRED_SITES") or {}
        if isinstance(sites, str):
            import json

            sites = json.loads(sites) if sites.strip() else {}
        return cls(
            min_runs=int(get("WARTA_HEALTH_MIN_RUNS")),
            window=int(get("WARTA_HEALTH_WINDOW")),
            drop=float(get("WARTA_HEALTH_DROP")),
            failure_rise=float(get("WARTA_HEALTH_FAILURE_RISE")),
            min_articles=int(get("WARTA_HEALTH_MIN_ARTICLES")),
            required=_split(get("WARTA_HEALTH_REQUIRED")),
            required_sites={str(k): _split(v) for k, v in dict(sites).items()},
        )

    def required_for(self, site: str) -> list[str]:
        return self.required_sites.get(site, self.required)


class SiteTally:
    """Per-site counts collected while a run stores its items."""

    def __init__(self) -> None:
        self.parsed: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.filled: dict[str, Counter[str]] = {}

    def add(self, site: str | None, article: Mapping[str, Any] | None) -> None:
        """Count one article page (``article`` is the parser's dict)."""
        if article is None:
            return
        site = site or "unknown"
        if article.get("parse_error"):
            self.errors[site] += 1
            return
        self.parsed[site] += 1
        filled = self.filled.setdefault(site, Counter())
        for name in FIELDS:
            if article.get(name):
                filled[name] += 1

    def sites(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for site in sorted(set(self.parsed) | set(self.errors)):
            parsed, errors = self.parsed[site], self.errors[site]
            pages = parsed + errors
            filled = self.filled.get(site, Counter())
            out[site] = {
                "articles": parsed,
                "parse_errors": errors,
                "parse_failure_rate": round(errors / pages, 4) if pages else 0.0,
                "fill_rates": {f: round(filled[f] / parsed, 4) for f in FIELDS} if parsed else {},
            }
        return out

    def parse_failure_rate(self) -> float | None:
        pages = sum(self.parsed.values()) + sum(self.errors.values())
        return round(sum(self.errors.values()) / pages, 4) if pages else None


def run_sites(run: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-site health figures of a ``crawl_runs`` row (older runs without a
    ``sites`` breakdown count as one site: the run's own)."""
    stats = run.get("stats") or {}
    sites = stats.get("sites")
    if isinstance(sites, dict) and sites:
        return sites
    rates = stats.get("fill_rates") or {}
    if not rates:
        return {}
    parse_errors = int(run.get("parse_errors") or 0)
    articles = sum(int(run.get(k) or 0) for k in ("articles_new", "articles_updated", "articles_unchanged",
                                                  "duplicates_skipped"))
    pages = articles + parse_errors
    return {run.get("site") or run.get("spider") or "unknown": {
        "articles": articles,
        "parse_errors": parse_errors,
        "parse_failure_rate": round(parse_errors / pages, 4) if pages else 0.0,
        "fill_rates": rates,
    }}


def _alarmed(run: Mapping[str, Any], site: str) -> bool:
    for alarm in ((run.get("stats") or {}).get("health") or {}).get("alarms") or []:
        if isinstance(alarm, dict) and alarm.get("site") == site:
            return True
    return False


def baseline(history: Iterable[Mapping[str, Any]], site: str, config: HealthConfig) -> list[dict[str, Any]]:
    """The site's figures in its last ``config.window`` healthy runs (newest first).

    ``history`` is ``crawl_runs`` rows, newest first."""
    out = []
    for run in history:
        if run.get("status") != "ok" or _alarmed(run, site):
            continue
        figures = run_sites(run).get(site)
        if not figures or int(figures.get("articles") or 0) < config.min_articles:
            continue
        out.append(figures)
        if len(out) >= config.window:
            break
    return out


def check(current: Mapping[str, Mapping[str, Any]], history: list[Mapping[str, Any]],
          config: HealthConfig | None = None) -> tuple[list[Alarm], dict[str, str]]:
    """Compare this run's per-site figures with the history (runs, newest first).

    Returns ``(alarms, skipped)``; ``skipped`` says per site why it was not
    compared (too few articles in this run, too little history)."""
    config = config or HealthConfig()
    alarms: list[Alarm] = []
    skipped: dict[str, str] = {}
    for site, figures in sorted(current.items()):
        articles = int(figures.get("articles") or 0)
        errors = int(figures.get("parse_errors") or 0)
        if articles + errors < config.min_articles:
            skipped[site] = f"{articles + errors} article pages in this run (< {config.min_articles})"
            continue
        past = baseline(history, site, config)
        if len(past) < config.min_runs:
            skipped[site] = f"{len(past)} earlier healthy runs (< {config.min_runs})"
            continue
        usual_failures = statistics.median(float(p.get("parse_failure_rate") or 0.0) for p in past)
        failures = float(figures.get("parse_failure_rate") or 0.0)
        if failures > usual_failures + config.failure_rise:
            alarms.append(Alarm(site, PARSE_FAILURES, failures, usual_failures, len(past)))
        rates = figures.get("fill_rates") or {}
        if not articles:
            continue
        for name in config.required_for(site):
            values = [float((p.get("fill_rates") or {})[name]) for p in past
                      if name in (p.get("fill_rates") or {})]
            if len(values) < config.min_runs:
                continue
            usual = statistics.median(values)
            rate = float(rates.get(name) or 0.0)
            if usual > 0 and rate < usual * (1.0 - config.drop):
                alarms.append(Alarm(site, name, rate, usual, len(values)))
    return alarms, skipped


def check_archive(archive, current: Mapping[str, Mapping[str, Any]], config: HealthConfig | None = None,
                  *, run_id: int | None = None) -> tuple[list[Alarm], dict[str, str]]:
    """:func:`check` against the archive's ``crawl_runs`` before ``run_id``."""
    config = config or HealthConfig()
    history = archive.list_runs(statuses=["ok"], before_id=run_id, limit=max(200, config.window * 20))
    return check(current, history, config)


def health_rows(runs: Iterable[Mapping[str, Any]], site: str | None = None) -> list[dict[str, Any]]:
    """Flatten runs into one row per (run, site): the table of `warta health`."""
    rows = []
    for run in runs:
        alarms = [a for a in ((run.get("stats") or {}).get("health") or {}).get("alarms") or []
                  if isinstance(a, dict)]
        for name, figures in sorted(run_sites(run).items()):
            if site and name != site:
                continue
            rows.append({
                "run": run.get("id"),
                "spider": run.get("spider"),
                "started_at": run.get("started_at"),
                "status": run.get("status"),
                "site": name,
                "articles": int(figures.get("articles") or 0),
                "parse_errors": int(figures.get("parse_errors") or 0),
                "parse_failure_rate": figures.get("parse_failure_rate"),
                "fill_rates": dict(figures.get("fill_rates") or {}),
                "alarms": [a for a in alarms if a.get("site") == name],
            })
    return rows
