"""`warta stats`: what the archive holds, in one screen.

:func:`collect` gathers the figures (a JSON-serialisable dict, also printed by
``warta stats --json``); :func:`render` formats them as plain text:
articles per site with the oldest and newest publication, field fill rates per
site, articles per month per site, the archive's size and its last crawl run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawler.health import FIELDS

__all__ = ["collect", "render", "format_bytes", "percent"]


def format_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def percent(part: int | float, whole: int | float) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "-"


def _when(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value


def collect(archive, *, site: str | None = None, since: Any = None, until: Any = None) -> dict[str, Any]:
    """Every figure of `warta stats` (JSON-serialisable)."""
    extent = archive.article_extent(site, since, until)
    fills = archive.fill_counts(site, since, until, fields=FIELDS)
    months = archive.article_counts("month", site, since, until)
    last = archive.list_runs(site, limit=1)
    size = archive.storage_size()
    counts = archive.counts(site)
    sites = []
    fill_by_site = {row["site"]: row for row in fills}
    for row in extent:
        fill = fill_by_site.get(row["site"], {})
        n = row["articles"]
        sites.append({
            "site": row["site"],
            "articles": n,
            "revisions": row["revisions"],
            "oldest": _when(row["oldest"]),
            "newest": _when(row["newest"]),
            "last_seen": _when(row["last_seen"]),
            "fill_rates": {f: round(fill.get(f, 0) / n, 4) if n else None for f in FIELDS},
        })
    per_month: dict[str, dict[str, int]] = {}
    for s, month, n in months:
        per_month.setdefault(s, {})[month or "unknown"] = n
    run = last[0] if last else None
    return {
        "database": archive.safe_url,
        "filters": {"site": site, "since": since, "until": until},
        "articles": sum(s["articles"] for s in sites),
        "pages": counts["pages"],
        "article_revisions": counts["article_revisions"],
        "database_bytes": size["database_bytes"],
        "raw_gzip_bytes": size["raw_gzip_bytes"],
        "sites": sites,
        "per_month": per_month,
        "last_run": None if run is None else {
            "id": run["id"], "spider": run["spider"], "status": run["status"],
            "started_at": _when(run["started_at"]), "finished_at": _when(run["finished_at"]),
            "pages_fetched": run["pages_fetched"], "articles_new": run["articles_new"],
            "articles_updated": run["articles_updated"], "error": run["error"],
        },
    }


def _table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                         for i, c in enumerate(cells)).rstrip()

    return [fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


def render(data: dict[str, Any], *, months: int = 24) -> str:
    """Plain-text rendering of :func:`collect`'s dict (``months``: most recent months
    shown per site; 0 = all)."""
    out: list[str] = []
    size = format_bytes(data["database_bytes"])
    out.append(f"archive   {data['database']}  ({size} on disk; raw pages "
               f"{format_bytes(data['raw_gzip_bytes'])} gzip)")
    out.append(f"contents  {data['articles']:,} articles in {len(data['sites'])} site(s), "
               f"{data['article_revisions']:,} revisions, {data['pages']:,} pages fetched")
    run = data["last_run"]
    if run:
        line = (f"last run  #{run['id']} {run['spider']} {run['status']}, started {run['started_at']}, "
                f"{run['pages_fetched']:,} pages, {run['articles_new']:,} new / "
                f"{run['articles_updated']:,} updated")
        if run.get("error"):
            line += f" — {run['error']}"
        out.append(line)
    flt = {k: v for k, v in data["filters"].items() if v}
    if flt:
        out.append("filters   " + ", ".join(f"{k}={v}" for k, v in flt.items()))
    if not data["sites"]:
        out.append("\nno articles yet: crawl first (`warta crawl monitor`, or `warta demo`)")
        return "\n".join(out)

    out.append("\nArticles per site (publication time)")
    rows = [[s["site"], f"{s['articles']:,}", f"{s['revisions']:,}", s["oldest"] or "-", s["newest"] or "-"]
            for s in data["sites"]]
    out += _table(["site", "articles", "revisions", "oldest", "newest"], rows, right={1, 2})

    out.append("\nField fill rates (share of stored articles with the field)")
    rows = [[s["site"]] + ["-" if s["fill_rates"][f] is None else f"{s['fill_rates'][f]:.0%}" for f in FIELDS]
            for s in data["sites"]]
    out += _table(["site", *FIELDS], rows, right=set(range(1, len(FIELDS) + 1)))

    out.append("\nArticles per month (site's local time)")
    for s in data["sites"]:
        series = data["per_month"].get(s["site"], {})
        keys = sorted(series)
        hidden = 0
        if months and len(keys) > months:
            hidden = len(keys) - months
            keys = keys[-months:]
        peak = max((series[k] for k in keys), default=0)
        out.append(f"{s['site']}")
        for k in keys:
            bar = "#" * max(1, round(30 * series[k] / peak)) if peak and series[k] else ""
            out.append(f"  {k:<8} {series[k]:>8,}  {bar}")
        if hidden:
            out.append(f"  ({hidden} earlier months not shown: --months 0 shows all)")
    return "\n".join(out)
