"""`warta report -o report.html`: one self-contained HTML page about the archive.

Charts (plotly; plotly.js is embedded inline, so the file works offline and
can be mailed as it is):

* articles per day per site (publication day, site's local time);
* field fill rates over time — per crawl run (parser health, with a site
  selector) and per publication month (what the archive holds);
* top bylines and top sections;
* crawl runs: articles new / updated / unchanged and errors per run,
  with a table of the runs that failed, were interrupted or raised an alarm.

Install the extra first: ``pip install 'warta[report]'``.

The page records script errors in ``#warta-errors`` and sets
``data-charts-rendered`` on ``<body>`` to the number of rendered plots, which
lets a headless browser check it (tests/test_report.py).
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from crawler.health import FIELDS, health_rows

__all__ = ["collect", "build_html", "write_report"]

TOP = 20

#: one colour per field, stable across charts
FIELD_COLOURS = {
    "headline": "#1f77b4", "byline": "#ff7f0e", "published_at": "#2ca02c",
    "updated_at": "#9467bd", "caption": "#8c564b", "body": "#d62728",
}


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    return value


def collect(archive, *, site: str | None = None, since: Any = None, until: Any = None,
            runs: int = 200) -> dict[str, Any]:
    """Everything the report shows, as plain data."""
    from crawler.stats import collect as collect_stats

    stats = collect_stats(archive, site=site, since=since, until=until)
    run_rows = archive.list_runs(site, since=since, until=until, limit=runs)
    return {
        "stats": stats,
        "per_day": archive.article_counts("day", site, since, until),
        "fill_by_month": archive.fill_counts(site, since, until, fields=FIELDS, by="month"),
        "bylines": archive.top_values("byline", site, since, until, limit=TOP),
        "sections": archive.top_values("section", site, since, until, limit=TOP),
        "runs": list(reversed(run_rows)),  # oldest first for the charts
        "health": list(reversed(health_rows(run_rows, site=site))),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout = dict(
        title=dict(text=title, x=0.01, xanchor="left"),
        template="plotly_white",
        height=400,
        margin=dict(l=60, r=20, t=60, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    )
    layout.update(extra)
    return layout


def fig_articles_per_day(data: dict[str, Any]):
    import plotly.graph_objects as go

    series: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
    for site, day, n in data["per_day"]:
        if day:
            series[site][0].append(day)
            series[site][1].append(n)
    if not series:
        return None
    all_days = sorted({d for days, _ in series.values() for d in days})
    span = (datetime.fromisoformat(all_days[-1]) - datetime.fromisoformat(all_days[0])).days + 1
    fig = go.Figure()
    for site, (days, counts) in sorted(series.items()):
        hover = "%{x|%a %d %b %Y}: %{y} articles<extra>" + html.escape(site) + "</extra>"
        if span <= 400:  # a bar per day (days without articles show as gaps, not as a line)
            fig.add_trace(go.Bar(x=days, y=counts, name=site, hovertemplate=hover))
        else:
            fig.add_trace(go.Scatter(x=days, y=counts, name=site, mode="lines", hovertemplate=hover))
    fig.update_layout(**_layout("Articles per day per site (publication day)", barmode="stack",
                                bargap=0.15, yaxis_title="articles", xaxis_title=None, showlegend=True))
    fig.update_xaxes(type="date")
    return fig


def fig_fill_by_run(data: dict[str, Any]):
    """Fill rates per crawl run, one line per field; a menu selects the site."""
    import plotly.graph_objects as go

    rows = [r for r in data["health"] if r["fill_rates"]]
    if not rows:
        return None
    sites = sorted({r["site"] for r in rows})
    fig = go.Figure()
    visible_by_site = []
    for si, site in enumerate(sites):
        mine = [r for r in rows if r["site"] == site]
        x = [f"#{r['run']} {_iso(r['started_at'])[:10] if r['started_at'] else ''}" for r in mine]
        for field in FIELDS:
            fig.add_trace(go.Scatter(
                x=x, y=[r["fill_rates"].get(field) for r in mine], name=field,
                mode="lines+markers", line=dict(color=FIELD_COLOURS[field]), visible=si == 0,
                legendgroup=field,
                hovertemplate="run %{x}<br>" + field + ": %{y:.0%}<extra>" + html.escape(site) + "</extra>"))
        fail_x = [xx for xx, r in zip(x, mine)]
        fig.add_trace(go.Scatter(
            x=fail_x, y=[r["parse_failure_rate"] for r in mine], name="parse failures",
            mode="lines+markers", line=dict(color="#555", dash="dot"), visible=si == 0,
            hovertemplate="run %{x}<br>parse failures: %{y:.0%}<extra>" + html.escape(site) + "</extra>"))
        alarm_x = [xx for xx, r in zip(x, mine) if r["alarms"]]
        fig.add_trace(go.Scatter(
            x=alarm_x, y=[1.05] * len(alarm_x), name="layout alarm", mode="markers",
            marker=dict(symbol="x", size=12, color="#d62728"), visible=si == 0,
            text=["<br>".join(a["message"] for a in r["alarms"]) for r in mine if r["alarms"]],
            hovertemplate="%{text}<extra></extra>"))
        visible_by_site.append(len(FIELDS) + 2)
    total = sum(visible_by_site)
    buttons = []
    start = 0
    for site, n in zip(sites, visible_by_site):
        vis = [False] * total
        vis[start:start + n] = [True] * n
        start += n
        buttons.append(dict(label=site, method="update", args=[{"visible": vis}]))
    layout = _layout("Field fill rates per crawl run (parser health)", yaxis=dict(
        tickformat=".0%", range=[0, 1.1], title="share of parsed articles"), xaxis=dict(type="category"))
    if len(sites) > 1:
        layout["updatemenus"] = [dict(buttons=buttons, direction="down", x=0.0, xanchor="left",
                                      y=1.0, yanchor="bottom", showactive=True)]
        layout["title"]["x"] = 0.3
    else:
        layout["title"]["text"] += f" — {html.escape(sites[0])}"
    fig.update_layout(**layout)
    return fig


def fig_fill_by_month(data: dict[str, Any]):
    import plotly.graph_objects as go

    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in data["fill_by_month"]:
        if not row["period"]:
            continue
        month = totals[row["period"]]
        month["articles"] += row["articles"]
        for field in FIELDS:
            month[field] += row[field]
    if not totals:
        return None
    months = sorted(totals)
    fig = go.Figure()
    for field in FIELDS:
        fig.add_trace(go.Scatter(
            x=months, y=[totals[m][field] / totals[m]["articles"] if totals[m]["articles"] else None
                         for m in months],
            name=field, mode="lines+markers", line=dict(color=FIELD_COLOURS[field]),
            hovertemplate="%{x}<br>" + field + ": %{y:.0%}<extra></extra>"))
    fig.update_layout(**_layout("Field fill rates of stored articles per publication month",
                                yaxis=dict(tickformat=".0%", range=[0, 1.05])))
    fig.update_xaxes(type="category")
    return fig


def fig_top(values: list[tuple[str, int]], title: str, colour: str):
    import plotly.graph_objects as go

    if not values:
        return None
    names = [v for v, _ in values][::-1]
    counts = [c for _, c in values][::-1]
    fig = go.Figure(go.Bar(x=counts, y=names, orientation="h", marker_color=colour,
                           hovertemplate="%{y}: %{x} articles<extra></extra>"))
    fig.update_layout(**_layout(title, height=max(300, 60 + 22 * len(values)),
                                margin=dict(l=170, r=20, t=60, b=40), showlegend=False,
                                xaxis_title="articles"))
    return fig


def fig_runs(data: dict[str, Any]):
    import plotly.graph_objects as go

    runs = data["runs"]
    if not runs:
        return None
    x = [f"#{r['id']} {_iso(r['started_at'])[:10] if r['started_at'] else ''}" for r in runs]
    hover = [f"{r['spider']} · {r['status']}" for r in runs]
    fig = go.Figure()
    for key, name, colour in (("articles_new", "new", "#2ca02c"), ("articles_updated", "updated", "#1f77b4"),
                              ("articles_unchanged", "unchanged", "#c7c7c7")):
        fig.add_trace(go.Bar(x=x, y=[r[key] or 0 for r in runs], name=name, marker_color=colour,
                             customdata=hover,
                             hovertemplate="run %{x} (%{customdata})<br>" + name + ": %{y}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=[(r["parse_errors"] or 0) + (r["http_errors"] or 0) for r in runs],
                             name="errors (parse + HTTP)", mode="lines+markers", yaxis="y2",
                             line=dict(color="#d62728"),
                             hovertemplate="run %{x}<br>errors: %{y}<extra></extra>"))
    bad = [(xx, r) for xx, r in zip(x, runs) if r["status"] not in ("ok", "running")]
    if bad:
        fig.add_trace(go.Scatter(x=[xx for xx, _ in bad], y=[0] * len(bad), yaxis="y2", mode="markers",
                                 name="failed / interrupted", marker=dict(symbol="triangle-up", size=12,
                                                                          color="#000"),
                                 text=[f"{r['status']}: {r['error'] or ''}" for _, r in bad],
                                 hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(**_layout("Crawl runs: articles stored and errors", barmode="stack",
                                yaxis=dict(title="articles"),
                                yaxis2=dict(title="errors", overlaying="y", side="right", rangemode="tozero",
                                            showgrid=False),
                                xaxis=dict(type="category")))
    return fig


# --------------------------------------------------------------------------------------
# page
# --------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f5f6f8;
       color: #1d2330; }
header { background: #14325c; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .85; font-size: 14px; }
main { padding: 20px 28px 40px; max-width: 1400px; margin: auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 18px; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.card .n { font-size: 24px; font-weight: 600; }
.card .l { font-size: 13px; color: #5b6475; }
section.chart, section.box { background: #fff; border-radius: 8px; padding: 8px; margin-bottom: 18px;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section.box { padding: 12px 18px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e6e8ec; vertical-align: top; }
th { background: #f0f2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #b00020; font-weight: 600; }
.empty { color: #5b6475; padding: 14px; }
#warta-errors { background: #fde8e8; color: #8a1111; padding: 10px; white-space: pre-wrap; }
"""

_ERROR_HOOK = """
window.__wartaErrors = [];
window.addEventListener('error', function (e) {
  window.__wartaErrors.push(String(e.message || e));
  var el = document.getElementById('warta-errors');
  if (el) { el.textContent = 'Script error: ' + window.__wartaErrors.join('\\n'); el.hidden = false; }
});
"""

_RENDERED_HOOK = """
window.addEventListener('load', function () {
  setTimeout(function () {
    var n = 0;
    document.querySelectorAll('.js-plotly-plot').forEach(function (plot) {
      if (plot.querySelector('svg.main-svg')) { n += 1; }
    });
    document.body.setAttribute('data-charts-rendered', String(n));
  }, 0);
});
"""


def _fig_html(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _card(n: str, label: str) -> str:
    return f'<div class="card"><div class="n">{html.escape(n)}</div><div class="l">{html.escape(label)}</div></div>'


def _runs_table(data: dict[str, Any]) -> str:
    noteworthy = []
    alarms_by_run = defaultdict(list)
    for row in data["health"]:
        for alarm in row["alarms"]:
            alarms_by_run[row["run"]].append(alarm["message"])
    for r in reversed(data["runs"]):
        problems = []
        if r["status"] not in ("ok", "running"):
            problems.append(f"{r['status']}" + (f": {r['error']}" if r["error"] else ""))
        elif r["error"]:
            problems.append(r["error"])
        problems += alarms_by_run.get(r["id"], [])
        if not problems and (r["parse_errors"] or r["http_errors"]):
            problems.append(f"{r['parse_errors'] or 0:,} pages not parsed as articles, "
                            f"{r['http_errors'] or 0:,} HTTP / download errors")
        if r["parse_errors"] or r["http_errors"] or problems:
            noteworthy.append((r, problems))
    if not noteworthy:
        return '<p class="empty">No crawl run had errors, failures or layout alarms.</p>'
    head = ("<tr><th>run</th><th>spider</th><th>started (UTC)</th><th>status</th><th>pages</th>"
            "<th>parse errors</th><th>HTTP errors</th><th>what happened</th></tr>")
    body = []
    for r, problems in noteworthy[:100]:
        status_cls = "" if r["status"] == "ok" else ' class="bad"'
        body.append(
            f"<tr><td>#{r['id']}</td><td>{html.escape(str(r['spider']))}</td>"
            f"<td>{html.escape(str(_iso(r['started_at']) or ''))}</td>"
            f"<td{status_cls}>{html.escape(str(r['status']))}</td>"
            f"<td class=num>{r['pages_fetched'] or 0:,}</td><td class=num>{r['parse_errors'] or 0:,}</td>"
            f"<td class=num>{r['http_errors'] or 0:,}</td>"
            f"<td>{'<br>'.join(html.escape(str(p)) for p in problems)}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _sites_table(data: dict[str, Any]) -> str:
    sites = data["stats"]["sites"]
    if not sites:
        return '<p class="empty">No articles yet.</p>'
    head = "<tr><th>site</th><th>articles</th><th>oldest</th><th>newest</th>" + "".join(
        f"<th>{f}</th>" for f in FIELDS) + "</tr>"
    rows = []
    for s in sites:
        rates = "".join(
            f"<td class=num>{'-' if s['fill_rates'][f] is None else format(s['fill_rates'][f], '.0%')}</td>"
            for f in FIELDS)
        rows.append(f"<tr><td>{html.escape(s['site'])}</td><td class=num>{s['articles']:,}</td>"
                    f"<td>{html.escape(s['oldest'] or '-')}</td><td>{html.escape(s['newest'] or '-')}</td>"
                    f"{rates}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def build_html(data: dict[str, Any], *, title: str = "Warta archive report") -> str:
    """The whole page as one string (plotly.js inline)."""
    from plotly.offline import get_plotlyjs

    from crawler.stats import format_bytes

    stats = data["stats"]
    figures = [
        ("per-day", fig_articles_per_day(data), "No dated articles yet."),
        ("fill-runs", fig_fill_by_run(data), "No crawl run has recorded fill rates yet."),
        ("fill-months", fig_fill_by_month(data), "No dated articles yet."),
        ("bylines", fig_top(data["bylines"], f"Top {TOP} bylines", "#14325c"), "No bylines yet."),
        ("sections", fig_top(data["sections"], f"Top {TOP} sections", "#ff7f0e"), "No sections yet."),
        ("runs", fig_runs(data), "No crawl runs yet."),
    ]
    parts: dict[str, str] = {}
    for div_id, fig, empty in figures:
        parts[div_id] = (_fig_html(fig, f"chart-{div_id}") if fig is not None
                         else f'<p class="empty">{html.escape(empty)}</p>')
    n_charts = sum(1 for _, fig, _ in figures if fig is not None)
    flt = {k: v for k, v in stats["filters"].items() if v}
    subtitle = (f"{html.escape(stats['database'])} · generated {data['generated']}"
                + (" · " + html.escape(", ".join(f"{k}={v}" for k, v in flt.items())) if flt else ""))
    alarms = sum(len(r["alarms"]) for r in data["health"])
    cards = "".join([
        _card(f"{stats['articles']:,}", "articles"),
        _card(str(len(stats["sites"])), "sites"),
        _card(f"{stats['article_revisions']:,}", "revisions"),
        _card(f"{stats['pages']:,}", "pages fetched"),
        _card(str(len(data["runs"])), "crawl runs shown"),
        _card(str(alarms), "layout alarms"),
        _card(format_bytes(stats["database_bytes"]), "archive on disk"),
    ])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Warta">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
<script>{_ERROR_HOOK}</script>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body data-charts-expected="{n_charts}">
<header><h1>{html.escape(title)}</h1><p>{subtitle}</p></header>
<main>
<div id="warta-errors" hidden></div>
<div class="cards">{cards}</div>
<section class="box"><h2>Sites</h2>{_sites_table(data)}</section>
<section class="chart">{parts['per-day']}</section>
<section class="chart">{parts['fill-runs']}</section>
<section class="chart">{parts['fill-months']}</section>
<div class="grid2">
<section class="chart">{parts['bylines']}</section>
<section class="chart">{parts['sections']}</section>
</div>
<section class="chart">{parts['runs']}</section>
<section class="box"><h2>Crawl runs with errors, failures or alarms</h2>{_runs_table(data)}</section>
</main>
<script>{_RENDERED_HOOK}</script>
</body>
</html>
"""


def write_report(archive, path, *, site: str | None = None, since: Any = None, until: Any = None,
                 runs: int = 200) -> dict[str, Any]:
    """Write the report to ``path``; return ``{"path", "bytes", "charts", "articles"}``."""
    data = collect(archive, site=site, since=since, until=until, runs=runs)
    page = build_html(data)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    charts = int(page.split('data-charts-expected="', 1)[1].split('"', 1)[0])
    return {"path": str(path), "bytes": len(page.encode("utf-8")), "charts": charts,
            "articles": data["stats"]["articles"]}


def _json(data: Any) -> str:  # pragma: no cover - debugging aid
    return json.dumps(data, default=str, indent=2)
