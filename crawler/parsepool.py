"""Article parsing beside the reactor, in worker processes.

Scrapy runs every callback on the reactor thread: while a page is parsed (lxml
tree, extraction, dates: about 1 ms for a site parser, tens of ms for the generic
extractor) no response is read and no request is sent.  Parsers are pure
(``html + url -> dict``, :mod:`crawler.parsers`), so that work can move to another
process; the callback awaits the result and the reactor keeps the downloads
going.  On two cores this is what keeps the full pipeline close to bare Scrapy's
pages/s (``python -m bench --only crawl``); with one usable CPU nothing is gained
and parsing stays inline.

Settings:

* ``WARTA_PARSE_WORKERS`` -- worker processes; ``auto`` (default): one per usable
  CPU beyond the first, at most :data:`AUTO_MAX_WORKERS`; ``0``: parse inline, on
  the reactor thread (the same functions, the same records).
* ``WARTA_PARSE_TIMEOUT`` -- seconds one page may take in a worker.  A page over
  it is stored with ``parse_error = "parser timed out after N s"`` (its raw page is
  kept; ``warta reparse`` can try again) and that worker is replaced: an inline
  parser caught in a pathological page could not be stopped at all.

Nothing is lost when a worker dies (a crash in libxml2, the OOM killer, a stray
``kill``): the pages it held are parsed again in a fresh worker, once; a page that
kills a worker twice is stored with ``parse_error = "parser process died ..."``.
Workers ignore SIGINT/SIGTERM -- Ctrl-C and ``kill`` of the process group go to
the crawl, which shuts down gracefully and still parses what it fetched -- and
exit when the crawl closes their stdin, however the crawl ended.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: it feeds its workers from
two helper threads that take the GIL for every page (measured: twice the
reactor-side cost per page of this module's pipes, which the event loop reads
itself), and its ``spawn`` workers re-import the ``__main__`` script -- a user's
own crawl script without an ``if __name__ == "__main__"`` guard would start again
inside the worker.  Here a worker is ``python -m crawler.parsepool``, talking
length-prefixed pickles over its stdin/stdout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
from collections import deque
from typing import Any, Callable

from crawler.items import failed_article

logger = logging.getLogger(__name__)

__all__ = ["ParsePool", "AUTO_MAX_WORKERS", "peak_rss_kib", "usable_cpus", "worker_count"]

#: ``auto`` never starts more workers than this: one reactor feeds about one
#: worker with site parsers (bench: the reactor, not parsing, is then the limit);
#: more only pay off for the generic extractor, at ~35 MB each.
AUTO_MAX_WORKERS = 4

_HEAD = struct.Struct("<I")
#: pages in one worker's pipe at once (see _Worker)
PIPELINE = 3
#: the worker's first frame: "parsers loaded"
_READY = "ready"


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers and
    ``taskset`` narrow; ``os.cpu_count()`` counts the whole machine)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(value: Any) -> int:
    """``WARTA_PARSE_WORKERS`` as a number (``auto``: usable CPUs - 1, capped)."""
    text = str(value if value is not None else "auto").strip().lower()
    if text in ("", "auto"):
        return max(0, min(usable_cpus() - 1, AUTO_MAX_WORKERS))
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"WARTA_PARSE_WORKERS must be 'auto' or a number >= 0, not {value!r}")
    return count


def _asyncio_loop_available() -> bool:
    """Whether Scrapy callbacks run on an asyncio loop (the default reactor)."""
    try:
        from scrapy.utils.asyncio import is_asyncio_available
    except ImportError:  # Scrapy < 2.14
        from scrapy.utils.reactor import is_asyncio_reactor_installed as is_asyncio_available
    try:
        return is_asyncio_available()
    except RuntimeError:  # no reactor at all
        return False


def _frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEAD.pack(len(data)) + data


def peak_rss_kib(pid: int) -> int:
    """The peak RSS (``VmHWM``, KiB) of a live process since its exec; 0 where
    ``/proc`` cannot tell (another OS, a process already reaped)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class WorkerDied(Exception):
    """The worker holding a page exited before answering."""


class TimedOut(Exception):
    """The worker spent longer than the timeout on this page (it is killed)."""


class _Inline(Exception):
    """The workers could not start: parse this page inline."""


class _Job:
    """One page's call and the future of its answer."""

    __slots__ = ("call", "done", "alone")

    def __init__(self, call: tuple, alone: bool = False) -> None:
        self.call = call
        self.done: asyncio.Future = asyncio.get_running_loop().create_future()
        #: a page that was on a worker when it died goes to a worker by itself,
        #: so a page that kills workers cannot take an innocent one down twice
        self.alone = alone


class _Worker:
    """One ``python -m crawler.parsepool`` process and the pages sent to it, in order.

    Up to :data:`PIPELINE` pages are in its pipe at once, so it never idles while
    the reactor is busy with other work between two answers.  It parses them one
    by one, in order; the page at the head is the one being parsed, and the
    timeout runs for it alone, from the moment it became the head (the answer
    to the page before it), so a page is never timed out for the queue before it.
    """

    def __init__(self, on_change: Callable[[], None], timeout: float) -> None:
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler.parsepool"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, close_fds=True)
        #: called when this worker can take a page again or has died (the pool dispatches)
        self.on_change = on_change
        self.timeout = timeout
        self.jobs: deque[_Job] = deque()
        self.dead = False
        #: the worker said it has loaded the parsers (see main())
        self.ready = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._writer: asyncio.WriteTransport | None = None
        self._reader_task: asyncio.Task | None = None
        self._connecting: asyncio.Future | None = None

    @property
    def free(self) -> int:
        """How many more pages it can take now."""
        if self._writer is None or self.dead or any(job.alone for job in self.jobs):
            return 0
        return PIPELINE - len(self.jobs)

    async def connect(self) -> None:
        """Attach the pipes to the running event loop (once)."""
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        await asyncio.shield(self._connecting)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self.proc.stdout)
        if self.dead or self.proc.stdin.closed:  # closed by the pool meanwhile
            raise WorkerDied("closed before its pipes were attached")
        self._writer, _ = await loop.connect_write_pipe(asyncio.Protocol, self.proc.stdin)
        self._reader_task = asyncio.ensure_future(self._read(reader))

    def _arm(self) -> None:
        """(Re)start the timeout for the page now at the head."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.jobs and not self.dead:
            self._watchdog = asyncio.get_running_loop().call_later(self.timeout, self._timed_out)

    def _timed_out(self) -> None:
        self._watchdog = None
        if self.jobs and not self.jobs[0].done.done():
            self.jobs.popleft().done.set_exception(TimedOut())
        self.kill()  # the pages behind it get WorkerDied (EOF) and go to a new worker

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                (size,) = _HEAD.unpack(await reader.readexactly(_HEAD.size))
                ok, value = pickle.loads(await reader.readexactly(size))
                if ok and isinstance(value, str) and value == _READY:
                    self.ready = True
                    continue
                job = self.jobs.popleft() if self.jobs else None
                self._arm()
                if job is not None and not job.done.done():
                    if ok:
                        job.done.set_result(value)
                    else:
                        job.done.set_exception(RuntimeError(value))
                self.on_change()  # the next waiting page goes out on this same turn
        except (asyncio.IncompleteReadError, ConnectionError, OSError, pickle.UnpicklingError, struct.error):
            pass
        finally:
            self.dead = True
            self._arm()  # cancels the watchdog
            code = self.proc.poll()
            jobs, self.jobs = self.jobs, deque()
            for job in jobs:
                if not job.done.done():
                    job.done.set_exception(WorkerDied(f"exit code {code}" if code is not None else "pipe closed"))
            self.on_change()

    def send(self, job: _Job) -> None:
        assert self._writer is not None and not self.dead
        self.jobs.append(job)
        self._writer.write(_frame(job.call))
        if len(self.jobs) == 1:
            self._arm()

    def peak_rss_kb(self) -> int:
        return peak_rss_kib(self.proc.pid)

    def kill(self) -> None:
        self.dead = True
        try:
            self.proc.kill()
        except OSError:
            pass

    def close(self, wait: float = 10.0) -> None:
        """Close stdin (the worker exits after its last page) and reap it.

        Synchronous on purpose (it runs from the spider's ``closed``): the
        transport's own close() would release the pipe only on a later turn of
        the event loop, which this wait would block; it stops watching the pipe
        at once, so closing the file right after it is safe (the transport's
        later close of the same file object is a no-op)."""
        self.dead = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._writer is not None:
            self._writer.close()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait()
        if self._reader_task is not None:
            self._reader_task.cancel()


class ParsePool:
    """Runs a pure parse function (``func(html, url, fetched_at=...) -> article
    dict``) in worker processes, or inline when there are none; see the module
    docstring."""

    def __init__(self, workers: int = 0, timeout: float = 120.0) -> None:
        self.workers = workers
        self.timeout = timeout
        self.stats: Any = None
        self._crawler: Any = None
        self._pool: list[_Worker] = []
        self._waiting: deque[_Job] = deque()
        #: sum over the workers of their peak RSS (kB): what the crawl's memory adds
        self.peak_rss_kb = 0
        self._retired_rss_kb = 0
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler) -> "ParsePool":
        settings = crawler.settings
        workers = worker_count(settings.get("WARTA_PARSE_WORKERS", "auto"))
        pool = cls(workers, settings.getfloat("WARTA_PARSE_TIMEOUT", 120.0))
        pool._crawler = crawler  # its stats exist from spider_opened on: see start()
        return pool

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """At spider_opened: start the workers now (they load the parsers while
        the first pages download), not at the first article."""
        if self._crawler is not None and self.stats is None:
            if self.workers and not _asyncio_loop_available():
                logger.info("WARTA_PARSE_WORKERS: the workers need the asyncio reactor; parsing inline")
                self.workers = 0
            self.stats = self._crawler.stats
            if self.stats is not None:
                self.stats.set_value("warta/parse_workers", self.workers)
        self._spawn()

    def close(self) -> None:
        """After the last callback: stop the workers, record their peak RSS."""
        self.closed = True
        live = sum(w.peak_rss_kb() for w in self._pool if not w.dead)
        self.peak_rss_kb = max(self.peak_rss_kb, live + self._retired_rss_kb)
        for worker in self._pool:
            worker.close()
        self._pool = []
        self._dispatch()  # nothing should wait now; if anything does, it parses inline
        if self.stats is not None and self.workers:
            self.stats.set_value("warta/parse_workers_peak_rss_mb", round(self.peak_rss_kb / 1024, 1))

    def _spawn(self) -> None:
        while not self.closed and sum(1 for w in self._pool if not w.dead) < self.workers:
            self._pool.append(_Worker(self._dispatch, self.timeout))

    async def _connect_all(self) -> None:
        if self.closed:
            return
        self._spawn()
        for worker in list(self._pool):
            if not worker.dead:
                try:
                    await worker.connect()
                except (OSError, ValueError, WorkerDied) as exc:  # exited at once, or closed meanwhile
                    logger.warning("parse worker %s: could not attach its pipes: %s", worker.proc.pid, exc)
                    worker.kill()
        self._dispatch()

    def _dispatch(self) -> None:
        """Replace dead workers; send waiting pages to the least busy live ones
        (first come, first served), or back to inline parsing when workers
        cannot start."""
        for worker in [w for w in self._pool if w.dead and not w.jobs]:
            self._retire(worker)
        if not self.workers or self.closed:
            while self._waiting:
                job = self._waiting.popleft()
                if not job.done.done():
                    job.done.set_exception(_Inline())
            return
        while self._waiting:
            worker = max(self._pool, key=lambda w: w.free, default=None)
            need = PIPELINE if self._waiting[0].alone else 1
            if worker is None or worker.free < need:
                return
            worker.send(self._waiting.popleft())

    def _retire(self, worker: _Worker) -> None:
        """Take a dead worker out and start its replacement."""
        if worker not in self._pool:
            return
        self._pool.remove(worker)
        self._retired_rss_kb = max(self._retired_rss_kb, worker.peak_rss_kb())
        try:
            worker.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            worker.kill()
        if not worker.ready and self.workers:
            # it died before loading the parsers (a broken environment, not a page):
            # new ones would fail the same way, page after page
            logger.error("parse worker exited with code %s before it was ready; parsing inline from now on",
                         worker.proc.returncode)
            self.workers = 0
            self._dispatch()
            return
        if self.stats is not None:
            self.stats.inc_value("warta/parse_worker_restarts")
        if not self.closed:
            asyncio.ensure_future(self._connect_all())

    # -- parsing -------------------------------------------------------------------
    def help_inline(self) -> bool:
        """Parse one waiting page here, in this process, if there is one the workers
        have not taken yet (the newest: workers take the oldest).  For batch callers
        (``warta reparse``) whose own process would otherwise only wait; never a page
        retried after a worker died (it might kill this process too)."""
        if not self._waiting or self._waiting[-1].alone:
            return False
        job = self._waiting.pop()
        func, args, kwargs = job.call
        try:
            job.done.set_result(func(*args, **kwargs))
        except Exception as exc:  # as a worker reports it
            job.done.set_exception(RuntimeError(f"{type(exc).__name__}: {exc}"[:500]))
        return True

    async def run(self, func: Callable[..., dict[str, Any]], html: str, url: str,
                  fetched_at: str | None = None) -> dict[str, Any]:
        """``func(html, url, fetched_at=...)``, in a worker when there are any.
        Never raises for the page's sake: a timeout or a dead worker gives an
        article record with ``parse_error``."""
        call = (func, (html, url), {"fetched_at": fetched_at})
        for attempt in (1, 2):
            if not self.workers or self.closed:
                return func(html, url, fetched_at=fetched_at)
            job = _Job(call, alone=attempt > 1)
            if attempt == 1:
                self._waiting.append(job)
            else:  # it was on a worker that died: ahead of the pages that came later
                self._waiting.appendleft(job)
            await self._connect_all()
            try:
                return await job.done
            except _Inline:
                return func(html, url, fetched_at=fetched_at)
            except asyncio.CancelledError:
                if job in self._waiting:
                    self._waiting.remove(job)
                raise
            except TimedOut:
                if self.stats is not None:
                    self.stats.inc_value("warta/parse_timeouts")
                logger.warning("%s: parser timed out after %g s; its worker is replaced", url, self.timeout)
                return failed_article(url, fetched_at, f"parser timed out after {self.timeout:g} s")
            except WorkerDied as exc:
                logger.warning("%s: parse worker died (%s)%s", url, exc,
                               "; parsing it again in a new one" if attempt == 1 else "")
            except RuntimeError as exc:  # raised inside the worker (the parsers never should)
                return failed_article(url, fetched_at, f"parser crashed: {exc}")
        return failed_article(url, fetched_at, "parser process died twice while parsing this page")


# -------------------------------------------------------------------------------------
# the worker process: python -m crawler.parsepool
# -------------------------------------------------------------------------------------


def _serve(inp, out) -> int:
    """Answer ``(func, args, kwargs)`` frames with ``(ok, value)`` until EOF."""
    while True:
        head = inp.read(_HEAD.size)
        if len(head) < _HEAD.size:
            return 0
        (size,) = _HEAD.unpack(head)
        func, args, kwargs = pickle.loads(inp.read(size))
        try:
            answer = _frame((True, func(*args, **kwargs)))
        except Exception as exc:  # noqa: BLE001 -- reported to the crawl, never fatal here
            answer = _frame((False, f"{type(exc).__name__}: {exc}"[:500]))
        try:
            out.write(answer)
            out.flush()
        except (BrokenPipeError, OSError):  # the crawl is gone
            return 0


def main() -> int:
    # The crawl decides when to stop: a terminal's Ctrl-C (sent to the whole
    # process group) or a kill of the group must not take the parser away from
    # the graceful shutdown that still parses and stores the pages in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="parse worker %(process)d: %(name)s: %(message)s")
    import crawler.parsers  # noqa: F401 -- loaded before the first page arrives

    # frames travel on the real stdin/stdout; anything a parser prints goes to stderr
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    out.write(_frame((True, _READY)))
    out.flush()
    return _serve(inp, out)


if __name__ == "__main__":
    raise SystemExit(main())
