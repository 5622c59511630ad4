"""Benchmark: ``pipelines.dates.parse_date`` against ``dateparser.parse(s, languages=['id'])``.

Both are timed over the same hand-written table (``tests/data/dates_table.tsv``), warmed
first, best of several repetitions.  Agreement is judged against the table's expected
values: for that pass both are given the table's ``now`` (dateparser via
``RELATIVE_BASE``) so relative strings are comparable; a naive dateparser result is read
as WIB wall time.

    python -m bench.bench_dates          # prints a table
    from bench.bench_dates import run    # -> dict, for an aggregate ``python -m bench``
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pipelines.dates import WIB, parse_date

TABLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "dates_table.tsv"
TABLE_NOW = datetime(2023, 12, 5, 10, 0, tzinfo=timezone(timedelta(hours=7)))


def load_table(path: Path = TABLE) -> list[tuple[str, datetime | None, datetime]]:
    """(text, expected aware datetime or None, now) for every row of the table."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected, now, text = line.split("\t", 2)
        rows.append(
            (
                text,
                None if expected == "None" else datetime.fromisoformat(expected),
                TABLE_NOW if now == "-" else datetime.fromisoformat(now),
            )
        )
    return rows


def _best_time(fn, texts: list[str], repeat: int, loops: int) -> float:
    """Best wall time of ``loops`` passes over ``texts``, over ``repeat`` repetitions."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            for text in texts:
                fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    # aware datetimes compare as instants; the table is written to the second
    return a.replace(microsecond=0) == b.replace(microsecond=0)


def _dateparser_for_agreement(dateparser, text: str, now: datetime) -> datetime | None:
    try:
        value = dateparser.parse(
            text, languages=["id"], settings={"RELATIVE_BASE": now.astimezone(WIB).replace(tzinfo=None)}
        )
    except Exception:  # a crash counts as "no answer"
        return None
    if value is not None and value.utcoffset() is None:
        value = value.replace(tzinfo=WIB)
    return value


def run(repeat: int = 5, loops: int | None = None) -> dict[str, Any]:
    """Time both parsers and compare their answers; return the figures as a dict."""
    import dateparser

    rows = load_table()
    texts = [text for text, _, _ in rows]

    def theirs(text: str):
        return dateparser.parse(text, languages=["id"])

    for text in texts:  # warm both (imports, regex caches, dateparser's locale loading)
        parse_date(text)
        theirs(text)

    ours_loops = loops or 50
    ours_s = _best_time(parse_date, texts, repeat, ours_loops) / ours_loops
    theirs_s = _best_time(theirs, texts, repeat, 1)

    agree = both_right = ours_only = 0
    dp_only: list[dict[str, str | None]] = []
    both_wrong: list[dict[str, str | None]] = []
    for text, expected, now in rows:
        ours = parse_date(text, now=now)
        dp = _dateparser_for_agreement(dateparser, text, now)
        ours_ok, dp_ok = _same(ours, expected), _same(dp, expected)
        agree += _same(ours, dp)
        if ours_ok and dp_ok:
            both_right += 1
        elif ours_ok:
            ours_only += 1
        else:
            entry = {
                "text": text,
                "expected": expected and expected.isoformat(),
                "ours": ours and ours.isoformat(),
                "dateparser": dp and dp.isoformat(),
            }
            (dp_only if dp_ok else both_wrong).append(entry)

    n = len(texts)
    return {
        "strings": n,
        "repeat": repeat,
        "ours_calls_per_s": n / ours_s,
        "dateparser_calls_per_s": n / theirs_s,
        "ours_us_per_call": ours_s / n * 1e6,
        "dateparser_us_per_call": theirs_s / n * 1e6,
        "speedup": theirs_s / ours_s,
        "same_answer": agree,
        "both_right": both_right,
        "ours_right_dateparser_wrong": ours_only,
        "dateparser_right_ours_wrong": dp_only,
        "both_wrong": both_wrong,
    }


def main() -> None:
    r = run()
    print(f"dates: {r['strings']} strings from {TABLE.name}, best of {r['repeat']}")
    print(f"{'parser':<34}{'calls/s':>12}{'us/call':>10}")
    print(f"{'pipelines.dates.parse_date':<34}{r['ours_calls_per_s']:>12,.0f}{r['ours_us_per_call']:>10.1f}")
    print(f"{'dateparser.parse(languages=[id])':<34}{r['dateparser_calls_per_s']:>12,.0f}{r['dateparser_us_per_call']:>10.1f}")
    print(f"speedup: {r['speedup']:.1f}x")
    print(
        f"agreement: same answer on {r['same_answer']}/{r['strings']}; both right {r['both_right']}, "
        f"only ours right {r['ours_right_dateparser_wrong']}, "
        f"only dateparser right {len(r['dateparser_right_ours_wrong'])}, both wrong {len(r['both_wrong'])}"
    )
    for title, entries in (("dateparser right, ours wrong", r["dateparser_right_ours_wrong"]),
                           ("both wrong", r["both_wrong"])):
        if entries:
            print(f"{title}:")
            for e in entries:
                print(f"  {e['text']!r}: expected {e['expected']}, ours {e['ours']}, dateparser {e['dateparser']}")


if __name__ == "__main__":
    main()
