"""End-to-end fixtures: run the real weir binary on loopback with real files.

Environment (set by `make e2e`):
  WEIR_BIN        absolute path of the weir binary (default: build/release/weir
                  under the repository root)
  WEIR_SANITIZER  '' | 'address,undefined' | 'thread' (only used to widen
                  timeouts; every run checks stderr for sanitizer reports)

A sanitizer report makes weir exit non-zero (halt_on_error=1 in the
environment), so every helper asserts a clean exit code and also scans stderr
for the report headers, so that a report fails the test that caused it.
"""

import http.client
import json
import os
import re
import signal
import socket
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WEIR_BIN = os.environ.get("WEIR_BIN") or str(REPO_ROOT / "build" / "release" / "weir")
SANITIZER = os.environ.get("WEIR_SANITIZER", "")
TESTDATA = REPO_ROOT.parent / "shared" / "testdata"

# Everything is polled every POLL seconds up to DEADLINE seconds, so a passing
# run stays fast and a slow (sanitized) run still passes.
POLL = 0.05
DEADLINE = 30.0
EXIT_TIMEOUT = 30.0
RUN_TIMEOUT = 120.0 if SANITIZER else 30.0

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "WARNING: ThreadSanitizer",
    "ThreadSanitizer: ",
)

LISTEN_RE = re.compile(r"weir: info: http: listening on http://127\.0\.0\.1:(\d+)/")


def assert_no_sanitizer_report(text, what="weir"):
    for marker in SANITIZER_MARKERS:
        assert marker not in text, f"{what}: sanitizer report in stderr:\n{text}"


def yq(s):
    """A YAML single-quoted scalar holding s verbatim."""
    return "'" + str(s).replace("'", "''") + "'"


def yq_one_or_list(v):
    """One str/Path as a quoted scalar; a list or tuple as a flow sequence."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yq(x) for x in v) + "]"
    return yq(v)



def scan_config(path, rules, max_line=None, workers=2, batch_size=None):
    """Write a config with only rules and tuning (for `weir scan`) to path."""
    lines = ["listen: 127.0.0.1:0", "rules:"]
    for r in rules:
        lines.append(f"  - name: {r['name']}")
        lines.append(f"    match: {yq(r['match'])}")
        if r.get("caseless"):
            lines.append("    caseless: true")
    tuning = [f"workers: {workers}"]
    if max_line:
        tuning.append(f"max_line: {max_line}")
    if batch_size:
        tuning.append(f"batch_size: {batch_size}")
    lines.append("tuning: {" + ", ".join(tuning) + "}")
    path.write_text("\n".join(lines) + "\n")
    return path

def strict_json(raw, what="response"):
    """Parse bytes as strict JSON: valid UTF-8, no NaN/Infinity."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        pytest.fail(f"{what} is not valid UTF-8 ({e}): {raw[:300]!r}")

    def bad_constant(name):
        raise ValueError(f"non-standard JSON constant {name}")

    try:
        return json.loads(text, parse_constant=bad_constant)
    except ValueError as e:
        pytest.fail(f"{what} is not valid JSON ({e}): {text[:500]!r}")


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout  # bytes
        self.stderr = stderr  # str

    def json(self):
        return strict_json(self.stdout, "weir stdout")


def unused_port(kind=socket.SOCK_STREAM, hosts=("127.0.0.1",)):
    """A port that kind can bind on every one of hosts now, picked at random
    below the kernel's ephemeral range (32768-60999 here): a port the kernel
    handed out with bind(0) and that was then closed is the next one it
    gives an outgoing connection, so a test's own clients (or another suite
    on the machine) could take it before weir binds it."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32768)
        socks = []
        try:
            for h in hosts:
                s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET, kind)
                socks.append(s)
                s.bind((h, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.fail(f"no port free on all of {hosts}")


def run_weir(*args, input=None, timeout=RUN_TIMEOUT):
    """Run a one-shot weir command (check, scan); returns a Result.
    Fails the test on a sanitizer report."""
    p = subprocess.run(
        [WEIR_BIN, *map(str, args)],
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
    )
    err = p.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(err, f"weir {' '.join(map(str, args))}")
    return Result(p.returncode, p.stdout, err)


def poll(fn, timeout=DEADLINE, interval=POLL):
    """Call fn() until it returns a true value or timeout passes; returns the
    last value (true or not), so the caller's assert can show it."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


class Daemon:
    """One `weir serve` process (stdout and stderr go to one file). Owned by
    the `weir` fixture, which stops it and checks its exit."""

    def __init__(self, cfg_path, stderr_path, prefix=()):
        self.cfg_path = Path(cfg_path)
        self.stderr_path = Path(stderr_path)
        self._errf = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [*prefix, WEIR_BIN, "serve", "-c", str(self.cfg_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._errf,
            stderr=self._errf,
        )
        self.port = None
        self.returncode = None
        self.killed = False

    def wait_ready(self):
        """Wait for the 'listening on' line (port 0 picks a free port) and
        for the first snapshot."""
        m = poll(lambda: self.proc.poll() is not None or LISTEN_RE.search(self.stderr()))
        if self.proc.poll() is not None:
            pytest.fail(f"weir exited with {self.proc.returncode} before listening:\n{self.stderr()}")
        assert m, f"no 'listening on' line within {DEADLINE}s:\n{self.stderr()}"
        self.port = int(LISTEN_RE.search(self.stderr()).group(1))
        self._wait_first_snapshot()

    def _wait_first_snapshot(self):
        """The server listens before the first tick has published a
        snapshot; until then the snapshot route answers 503 (JSON error)."""

        def ready():
            status, headers, body = self.get("/api/v1/snapshot")
            if status == 200:
                return True
            assert status == 503, (status, body)
            assert body["error"]["status"] == 503, body
            return False

        assert poll(ready), f"no snapshot within {DEADLINE}s:\n{self.stderr()}"

        def started():
            # /readyz: 503 until the pipeline runs and reload is wired
            status, _, body = self.get("/readyz")
            assert status in (200, 503), (status, body)
            return status == 200

        assert poll(started), f"not ready within {DEADLINE}s:\n{self.stderr()}"

    def stderr(self):
        return self.stderr_path.read_bytes().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=DEADLINE):
        """Wait until stderr matches the regex pattern; returns the match."""
        rx = re.compile(pattern)
        m = poll(lambda: rx.search(self.stderr()), timeout)
        assert m, f"log line /{pattern}/ not seen within {timeout}s:\n{self.stderr()}"
        return m

    def request(self, path, method="GET", body=None, timeout=DEADLINE, headers=None):
        """One HTTP request; returns (status, headers dict lower-cased, raw body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            raw = r.read()
            headers = {k.lower(): v for k, v in r.getheaders()}
            return r.status, headers, raw
        finally:
            conn.close()

    def get(self, path, method="GET"):
        """Returns (status, headers, parsed JSON body)."""
        status, headers, raw = self.request(path, method)
        return status, headers, strict_json(raw, f"{method} {path}")

    def snapshot(self):
        status, _, body = self.get("/api/v1/snapshot")
        assert status == 200, body
        return body

    def poll_snapshot(self, pred, timeout=DEADLINE):
        """Poll the snapshot until pred(snap) is true; returns the last one."""
        last = {}

        def step():
            last["s"] = self.snapshot()
            return pred(last["s"])

        poll(step, timeout)
        return last["s"]

    def sources(self):
        """GET /api/v1/sources: the list of sources."""
        status, _, body = self.get("/api/v1/sources")
        assert status == 200, body
        assert set(body) >= {"time", "sources"}, body
        return body["sources"]

    def source(self, name):
        """One source of GET /api/v1/sources, by name."""
        by_name = {s["name"]: s for s in self.sources()}
        assert name in by_name, f"no source {name!r} in {sorted(by_name)}"
        return by_name[name]

    def poll_sources(self, pred, timeout=DEADLINE):
        """Poll GET /api/v1/sources until pred(sources list) is true;
        returns the last list."""
        last = {}

        def step():
            last["s"] = self.sources()
            return pred(last["s"])

        poll(step, timeout)
        return last["s"]

    def hold_snapshot(self, pred, seconds=1.5):
        """Assert pred(snap) on every snapshot for `seconds` (a count that
        is right must stay right: nothing arrives late or twice)."""
        end = time.monotonic() + seconds
        while True:
            snap = self.snapshot()
            assert pred(snap), f"changed while holding: {snap}"
            if time.monotonic() >= end:
                return snap
            time.sleep(0.1)

    def kill9(self):
        """SIGKILL (a crash: no checkpoint, no clean shutdown) and wait. The
        teardown then only checks stderr for sanitizer reports."""
        assert self.returncode is None, "already stopped"
        self.killed = True
        self.proc.send_signal(signal.SIGKILL)
        self.returncode = self.proc.wait(EXIT_TIMEOUT)
        self._errf.close()
        assert self.returncode == -signal.SIGKILL, \
            f"weir exited with {self.returncode} before the kill:\n{self.stderr()}"
        assert_no_sanitizer_report(self.stderr())

    def stop(self, sig=signal.SIGTERM):
        """Signal, wait, and assert a clean exit (0, 'stopped cleanly', no
        sanitizer report). Returns stderr. After kill9() it only checks for
        sanitizer reports."""
        if self.killed:
            err = self.stderr()
            assert_no_sanitizer_report(err)
            return err
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.returncode = self.proc.wait(EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._errf.close()
                pytest.fail(f"weir did not exit within {EXIT_TIMEOUT}s of {sig!r}:\n{self.stderr()}")
            self._errf.close()
        err = self.stderr()
        assert_no_sanitizer_report(err)
        assert self.returncode == 0, f"weir exited with {self.returncode}:\n{err}"
        assert "stopped cleanly" in err, err
        return err


class Weir:
    """Factory behind the `weir` fixture: writes configs into tmp_path and
    starts daemons; every daemon started is stopped and checked at teardown.
    weir.start(cfg_path) may be called again on the same config once the
    previous daemon has stopped (or been killed): the new daemon shares the
    state directory (tmp_path/state) and logs to its own weirN.stderr."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.daemons = []

    def config(self, *, sources=(), rules=(), windows=("10s", "1m", "5m"), tick_ms=100,
               workers=2, batch_size=None, max_line=None, max_files=None,
               checkpoint_interval=None, http=None, name="weir.yaml"):
        """Write a config; sources are dicts (name, path, start, exclude,
        flush_after), rules dicts (name, match, caseless). A source's path
        and exclude are one str/Path or a list of them. http, if given, is
        the `http:` mapping's YAML text (e.g. "{unauthenticated_writes:
        true}"). Returns its path."""
        lines = [
            "listen: 127.0.0.1:0",
            f"state_dir: {yq(self.tmp_path / 'state')}",
            f"windows: [{', '.join(windows)}]",
        ]
        if checkpoint_interval:
            lines.append(f"checkpoint_interval: {checkpoint_interval}")
        if http:
            lines.append(f"http: {http}")
        if sources:
            lines.append("sources:")
            for s in sources:
                lines.append(f"  - name: {yq(s['name'])}")
                if "listen" in s:  # a syslog receiver
                    lines.append("    type: syslog")
                    lines.append(f"    listen: {yq_one_or_list(s['listen'])}")
                    continue
                lines.append("    type: file")
                lines.append(f"    path: {yq_one_or_list(s['path'])}")
                if s.get("exclude") is not None:
                    lines.append(f"    exclude: {yq_one_or_list(s['exclude'])}")
                lines.append(f"    start: {s.get('start', 'beginning')}")
                if s.get("flush_after"):
                    lines.append(f"    flush_after: {s['flush_after']}")
        if rules:
            lines.append("rules:")
            for r in rules:
                lines.append(f"  - name: {r['name']}")
                lines.append(f"    match: {yq(r['match'])}")
                if r.get("caseless"):
                    lines.append("    caseless: true")
        tuning = f"workers: {workers}, tick_ms: {tick_ms}"
        if batch_size:
            tuning += f", batch_size: {batch_size}"
        if max_line:
            tuning += f", max_line: {max_line}"
        if max_files:
            tuning += f", max_files: {max_files}"
        lines.append(f"tuning: {{{tuning}}}")
        text = "\n".join(lines) + "\n"
        path = self.tmp_path / name
        path.write_text(text)
        return path

    def start(self, cfg_path=None, prefix=(), **config):
        """prefix: a command weir runs under (e.g. setpriv to drop root)."""
        if cfg_path is None:
            cfg_path = self.config(**config)
        n = len(self.daemons)
        d = Daemon(cfg_path, self.tmp_path / f"weir{n}.stderr", prefix)
        self.daemons.append(d)  # registered first: teardown stops it whatever happens
        d.wait_ready()
        return d


@pytest.fixture
def weir(tmp_path):
    w = Weir(tmp_path)
    try:
        yield w
    finally:
        # Kill the rest even if one stop fails, then report the first failure.
        failure = None
        for d in w.daemons:
            try:
                d.stop()
            except BaseException as e:  # noqa: B902 - re-raised below
                failure = failure or e
                if d.proc.poll() is None:
                    d.proc.kill()
                    d.proc.wait()
        if failure:
            raise failure


@pytest.fixture(scope="session")
def testdata():
    """The shared acceptance data (../shared/testdata beside the repo)."""
    if not (TESTDATA / "SOURCES.md").is_file():
        pytest.fail(
            f"shared test data not found at {TESTDATA} (expected ../shared/testdata "
            "relative to the repository root); the conformance tests need it"
        )
    return TESTDATA


def records_of(data):
    """Split bytes into records the way weir should: at LF, with a CR right
    before the LF dropped; a last line without LF is still a record (kept as
    is: the tests never end a file in a bare CR)."""
    lines = data.split(b"\n")
    last = lines.pop()  # b"" when data ends in LF
    recs = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    if last:
        recs.append(last)
    return recs


def expected_counts(records, rules, max_line=None):
    """Per rule name: how many records its regex matches (Python re, bytes).
    rules: dicts with name, match, caseless."""
    out = {}
    for r in rules:
        rx = re.compile(r["match"].encode(), re.IGNORECASE if r.get("caseless") else 0)
        out[r["name"]] = sum(
            1 for rec in records if rx.search(rec if max_line is None else rec[:max_line])
        )
    return out


def totals(snap):
    """{rule name: total} of a snapshot."""
    return {r["name"]: r["total"] for r in snap["rules"]}


def file_paths(src):
    """The paths of the files a source (of /api/v1/sources) tails now."""
    return sorted(f["path"] for f in src["files"])


class Appender(threading.Thread):
    """A writer thread: appends batches of whole, numbered lines (one write
    per batch, O_APPEND) to its files with small random pauses, until
    stop(). Everything written is kept in self.chunks.

    reopen=True makes it behave like a daemon told by logrotate's
    postrotate: it keeps its descriptor and, every ~30 ms, reopens the path
    if the path now names another inode (if the path is missing it keeps
    the old descriptor and looks again later; it never creates the file).
    gate(), if given, is called before each write (to pause the writer)."""

    WORDS = ("ok", "ERROR timeout", "done 7", "warn disk", "user=root 7", "error")

    def __init__(self, paths, seed, batch=(1, 40), pause=(0.001, 0.01), reopen=False, gate=None):
        super().__init__(daemon=True)
        self.paths = [os.fsencode(p) for p in paths]
        self.rng = random.Random(seed)
        self.batch, self.pause, self.reopen, self.gate = batch, pause, reopen, gate
        self.chunks = []
        self.lines = 0
        self.reopens = 0
        self.error = None
        self._stop_ev = threading.Event()

    def _open(self, p):
        return os.open(p, os.O_WRONLY | os.O_APPEND)

    def run(self):
        fds = {}
        try:
            fds = {p: self._open(p) for p in self.paths}
            last_check = time.monotonic()
            seq = 0
            while not self._stop_ev.is_set():
                if self.gate:
                    self.gate()
                if self.reopen and time.monotonic() - last_check > 0.03:
                    last_check = time.monotonic()
                    for p in self.paths:
                        try:
                            st = os.stat(p)
                        except FileNotFoundError:
                            continue
                        if st.st_ino != os.fstat(fds[p]).st_ino:
                            try:
                                fd = self._open(p)
                            except FileNotFoundError:
                                continue
                            os.close(fds[p])
                            fds[p] = fd
                            self.reopens += 1
                p = self.rng.choice(self.paths)
                n = self.rng.randint(*self.batch)
                data = b"".join(
                    b"w %08d %s\n" % (seq + i, self.rng.choice(self.WORDS).encode())
                    for i in range(n))
                seq += n
                assert os.write(fds[p], data) == len(data)
                self.chunks.append(data)
                self.lines += n
                time.sleep(self.rng.uniform(*self.pause))
        except BaseException as e:  # noqa: B902 - reported by stop()
            self.error = e
        finally:
            for fd in fds.values():
                os.close(fd)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._stop_ev.set()   # whatever happened, the thread ends with the test
        self.join(30)

    def stop(self):
        """Stop, join, and re-raise an error of the thread. Returns all the
        bytes written (in write order)."""
        self._stop_ev.set()
        self.join(30)
        assert not self.is_alive(), "writer did not stop"
        if self.error:
            raise self.error
        return b"".join(self.chunks)


def with_source_keys(cfg_path, name, **keys):
    """Add keys to source `name` of a config written by Weir.config (for keys
    it has no parameter for, e.g. a syslog source's max_connections and
    idle_timeout). Values are written as given (plain YAML scalars).
    Returns cfg_path."""
    text = Path(cfg_path).read_text()
    head = f"  - name: {yq(name)}\n"
    at = text.index(head) + len(head)
    extra = "".join(f"    {k}: {v}\n" for k, v in keys.items())
    Path(cfg_path).write_text(text[:at] + extra + text[at:])
    return cfg_path
