"""Shared helpers of the benchmarks: result rows, timing, child processes, the mirror.

Every figure is a ratio against a peer measured in the same run on the same machine
(machines are shared and noisy): each benchmark times ours and the peer interleaved,
repeats, and keeps the best (or the median where the best would flatter one side).
"""

from __future__ import annotations

import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawler.parsepool import peak_rss_kib

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclass
class Row:
    """One line of the table: ``ours`` and ``peer`` in ``unit`` (higher is better), the
    ratio ``ours / peer`` and whether it meets ``target`` (``ratio >= target``).

    ``status`` is ``pass`` / ``FAIL`` / ``info`` (no target) / ``pending`` / ``skipped``.
    """

    name: str
    workload: str
    ours: float | None
    peer: float | None
    unit: str
    peer_name: str
    target: float | None
    note: str = ""
    status: str = ""
    #: how the target reads in the table when it is not "ratio >= target"
    target_text: str = ""
    ratio: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours is not None and self.peer:
            self.ratio = self.ours / self.peer
        if not self.status:
            if self.ratio is None:
                self.status = "pending"
            elif self.target is None:
                self.status = "info"
            else:
                self.status = "pass" if self.ratio >= self.target else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("ours", "peer", "ratio"):
            if isinstance(d[key], float):
                d[key] = round(d[key], 4 if key == "ratio" else 2)
        return d


def pending(name: str, workload: str, note: str, *, status: str = "pending", target: float | None = None) -> Row:
    return Row(name, workload, None, None, "", "", target, note=note, status=status)


# ---------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------


def interleaved(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each ``fns`` value, ``repeat`` rounds, interleaved (A B A B ...)
    so that a burst of load from other processes hits both sides alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return times


def best(values: Sequence[float]) -> float:
    return min(values)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# ---------------------------------------------------------------------------------
# child processes: wall time and peak RSS of exactly that process
# ---------------------------------------------------------------------------------


@dataclass
class ChildResult:
    returncode: int
    seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0


def run_child(cmd: Sequence[str], *, cwd: Path | str = REPO, env: dict[str, str] | None = None,
              timeout: float = 1800.0, stdout_path: Path | None = None) -> ChildResult:
    """Run ``cmd``; its wall time and peak RSS (``wait4`` rusage of that child only,
    so the mirror or other processes never count).  ``stdout_path``: write the
    child's standard output there instead of capturing it."""
    with (open(stdout_path, "w+b") if stdout_path else tempfile.TemporaryFile("w+")) as out, \
            tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=str(cwd), env=env, stdout=out, stderr=err)
        deadline = start + timeout
        hwm_kib = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            hwm_kib = max(hwm_kib, peak_rss_kib(proc.pid))
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # VmHWM (the peak RSS of the program since its exec) read while it runs: it only
        # grows, so the last reading is the peak.  Not ru_maxrss: Linux carries the
        # parent's RSS at fork over into the child's ru_maxrss.
        rss_kib = hwm_kib or usage.ru_maxrss
        return ChildResult(proc.returncode, seconds, rss_kib / 1024,
                           "" if stdout_path else out.read(), err.read(),
                           usage.ru_utime + usage.ru_stime)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # the benchmarks measure the default (SQLite, one process): never a scrapy-redis worker
    env.pop("WARTA_REDIS_URL", None)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------
# the mirror, in its own process (its CPU and memory are not the crawler's)
# ---------------------------------------------------------------------------------


class MirrorProcess:
    """``python -m crawler.mirror --port 0 --articles N`` on 127.0.0.1; ``url`` once started."""

    def __init__(self, articles: int, seed: int = 1) -> None:
        self.articles = articles
        self.seed = seed
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> "MirrorProcess":
        cmd = [PYTHON, "-m", "crawler.mirror", "--host", "127.0.0.1", "--port", "0",
               "--articles", str(self.articles), "--seed", str(self.seed)]
        # its output goes to a file (a pipe we stopped reading would break the mirror)
        self._out = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(cmd, cwd=str(REPO), env=child_env(), stdout=self._out,
                                     stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.proc.poll() is None:
            self._out.seek(0)
            m = re.search(r"http://127\.0\.0\.1:\d+", self._out.read())
            if m:
                self.url = m.group(0)
                break
            time.sleep(0.05)
        if not self.url:
            self.__exit__()
            raise RuntimeError("the mirror did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        out = getattr(self, "_out", None)
        if out is not None:
            out.close()
            self._out = None


# ---------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import sqlite3

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "sqlite": sqlite3.sqlite_version,
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table (readable in a terminal too)."""
    head = ("benchmark", "workload", "ours", "peer (same run)", "ratio", "target", "result")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        unit = f" {r.unit}" if r.unit else ""
        ours = f"{_fmt(r.ours)}{unit}" if r.ours is not None else "–"
        peer = f"{_fmt(r.peer)}{unit} {r.peer_name}" if r.peer is not None else (r.peer_name or "–")
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "–"
        target = r.target_text or (f"≥ {r.target:g}×" if r.target is not None else "–")
        result = r.status + (f" ({r.note})" if r.note else "")
        lines.append(f"| {r.name} | {r.workload} | {ours} | {peer} | {ratio} | {target} | {result} |")
    return "\n".join(lines)
