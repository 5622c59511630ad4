"""Two runs of the same spider on the same archive never overlap (cron overlap).

* a second run while the first holds the lock exits at once with exit code 4
  (crawler.exitcodes.LOCKED) and a message naming the holder, fetching nothing;
* a lock left by a killed process (pid gone on this host, or heartbeat too old) is
  taken over, and the dead run's row is closed as ``interrupted``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from crawler import exitcodes
from crawler.mirror.server import MirrorServer
from crawler.mirror.site import MirrorSite
from storage.repository import Archive, utcnow

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


def command(db_url: str, base_url: str, *args: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", WARTA_DATABASE_URL=db_url,
               PYTHONPATH=str(ROOT), WARTA_PROGRESS_INTERVAL="0")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "monitor", "-s", "LOG_LEVEL=INFO",
           "-s", "WARTA_BATCH_SIZE=5", "-a", f"base_url={base_url}", *args]
    return cmd, env


def dead_pid() -> int:
    """A pid that existed on this host and is gone now."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_concurrent_run_is_refused_with_exit_code_4(tmp_path):
    site = MirrorSite(n_articles=40, seed=9)
    db = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    with MirrorServer(site, delay=0.5) as server:
        # one request at a time: the first run takes > 20 s
        cmd, env = command(db, server.url, "-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:  # wait until the first run holds the lock
                assert first.poll() is None, first.stderr.read()[-3000:]
                assert time.monotonic() < deadline
                try:
                    with Archive(db) as archive:
                        if archive.get_lock("crawl:monitor"):
                            break
                except Exception:
                    pass
                time.sleep(0.1)
            cmd2, env2 = command(db, server.url, "-a", "max_articles=3")
            started = time.monotonic()
            second = subprocess.run(cmd2, cwd=ROOT, env=env2, capture_output=True, text=True, timeout=120)
            took = time.monotonic() - started
            assert first.poll() is None, "the first run must still be crawling"
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGTERM)  # a graceful stop: status interrupted, exit code 3
            first_rc = first.wait(timeout=60)
            first.stderr.close()
    assert second.returncode == exitcodes.LOCKED, second.stderr[-3000:]
    assert "holds the archive lock" in second.stderr and "exit code 4" in second.stderr
    assert took < 60
    # the refused run did not send a single request (not even robots.txt)
    assert "'downloader/request_count'" not in second.stderr
    assert first_rc == exitcodes.INTERRUPTED
    with Archive(db) as archive:
        runs = {r["id"]: r for r in archive.recent_runs("monitor")}
        assert archive.get_lock("crawl:monitor") is None  # released by the first run at exit
    refused = [r for r in runs.values() if r["args"].get("max_articles") == "3"]
    assert len(refused) == 1
    assert refused[0]["status"] == "failed" and "refused" in refused[0]["error"]
    assert refused[0]["pages_fetched"] == 0
    holder = [r for r in runs.values() if r["id"] != refused[0]["id"]]
    assert [r["status"] for r in holder] == ["interrupted"]


def test_stale_lock_of_a_killed_process_is_taken_over(tmp_path):
    site = MirrorSite(n_articles=12, seed=2)
    db = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    with Archive(db) as archive:
        ghost = archive.start_run("monitor", {"base_url": "http://elsewhere"}, "monitorindonesia.com")
        pid = dead_pid()
        assert archive.acquire_lock("crawl:monitor", ghost)
        # pretend the lock was taken by that (now dead) process on this host
        from sqlalchemy import update

        from storage.models import CrawlRun, RunLock

        with archive.engine.begin() as conn:
            conn.execute(update(RunLock.__table__).values(pid=pid))
            conn.execute(update(CrawlRun.__table__).where(CrawlRun.__table__.c.id == ghost).values(pid=pid))
    with MirrorServer(site) as server:
        cmd, env = command(db, server.url)
        result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "taking over stale lock" in result.stderr
    with Archive(db) as archive:
        runs = {r["id"]: r for r in archive.recent_runs("monitor")}
        assert runs[ghost]["status"] == "interrupted" and "taken over" in runs[ghost]["error"]
        assert archive.count("articles") == 12
        assert archive.get_lock("crawl:monitor") is None


def test_lock_with_an_old_heartbeat_on_another_host_is_stale(tmp_path):
    db = f"sqlite:///{tmp_path / 'warta.sqlite'}"
    with Archive(db) as archive:
        assert archive.acquire_lock("crawl:x", 1)
        from sqlalchemy import update

        from storage.models import RunLock

        with archive.engine.begin() as conn:
            conn.execute(update(RunLock.__table__).values(hostname="elsewhere", pid=1,
                                                          heartbeat_at=utcnow() - timedelta(seconds=50)))
        assert not archive.acquire_lock("crawl:x", 2, stale_after=300)  # alive as far as we can tell
        assert archive.acquire_lock("crawl:x", 2, stale_after=30)  # its heartbeat is too old
        assert archive.get_lock("crawl:x")["hostname"] == socket.gethostname()


def test_locked_reason_maps_to_exit_code_4():
    from pipelines.store import StoragePipeline

    assert StoragePipeline.run_status("locked", None) == ("failed", exitcodes.LOCKED)
    assert StoragePipeline.run_status("finished", None) == ("ok", exitcodes.OK)
