#!/usr/bin/python3
"""soak.py - weir under every kind of load at once, for a bounded time.

    SOAK_SECONDS=600 WEIR_BIN=build/release/weir tests/soak/soak.py

One `weir serve` (restarted after every kill -9 on the same config and
state_dir) gets all of this at once, on tmpfs (SOAK_DIR, /dev/shm) and
127.0.0.1 only:

  files    writer processes append numbered lines ("soak-file k=KIND w=NN
           s=SEQ ...": writer and sequence number, so the total is known
           exactly) to one file per rotation kind, each rotated every few
           seconds: rename-create and copytruncate by the real logrotate,
           delete-recreate and a re-pointed symlink by this script. Old
           rotated files are removed once weir has read them and a checkpoint
           has recorded it.
  syslog   rounds of a paced UDP flood and a TCP flood (syslog_send), and a
           TCP sender that mixes octet counting with LF, CRLF and NUL
           trailers, cut into random chunks. Each round checks the
           listeners' accounting.
  abuse    TCP syslog clients that connect and never send, or send part of a
           frame and stall; HTTP clients that send their request a byte a
           second; SSE clients that never read.
  HTTP     client threads cycling through snapshot, metrics, sources, stats,
           rules, series and top; one SSE client that reads.
  reloads  SIGHUP or POST /api/v1/reload every few seconds, alternating two
           rule sets that both hold the counting rules.
  kill -9  every SOAK_SECONDS/10 s (at least twice), then a restart.

Then it stops the load, waits until weir has caught up and checks that the
counting rule's total equals the lines written (none lost, none twice,
across every kill and rotation), that a clean restart counts nothing again,
that RSS and open descriptors stayed bounded within and across process
lifetimes, that no daemon's stderr holds a sanitizer report, and that every
daemon not killed on purpose exits 0 at SIGTERM. It prints a table of
figures. Knobs and the reading of the output: tests/soak/README.md.

Exit status: 0 every check held; 1 a check failed (each says why); 2 a setup
problem (missing binary, bad knob); 130 interrupted. Nothing it started
outlives it. Standard library only.
"""

import ctypes
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PROG = "soak.py"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ALL_KINDS = ("rename", "copytruncate", "delete", "symlink")
ALL_LOADS = ("files", "udp", "tcp", "stall", "http", "sse", "slowhttp", "reload", "kill")


class Setup(Exception):
    """The environment, a knob or a missing tool: exit 2."""


# --- knobs -------------------------------------------------------------------


def env(name, default, conv=str):
    v = os.environ.get(name)
    v = default if v is None or v == "" else v
    try:
        return conv(v)
    except ValueError:
        print(f"{PROG}: {name}={v!r} is not valid", file=sys.stderr)
        sys.exit(2)


def names_of(allowed):
    def conv(v):
        out = [x.strip() for x in v.split(",") if x.strip()]
        if any(x not in allowed for x in out):
            raise ValueError(v)
        return out
    return conv


def positive(conv):
    def f(v):
        x = conv(v)
        if x <= 0:
            raise ValueError(v)
        return x
    return f


SECONDS = env("SOAK_SECONDS", "600", positive(float))
WEIR_BIN = env("WEIR_BIN", os.path.join(ROOT, "build/release/weir"))
SENDER = env("SOAK_SENDER", os.path.join(ROOT, "build/release/bench/syslog_send"))
LOGROTATE = env("SOAK_LOGROTATE", shutil.which("logrotate") or "/usr/sbin/logrotate")
BASE_DIR = env("SOAK_DIR", "/dev/shm")
LOADS = env("SOAK_LOADS", ",".join(ALL_LOADS), names_of(ALL_LOADS))
KINDS = env("SOAK_ROTATE_KINDS", ",".join(ALL_KINDS), names_of(ALL_KINDS))
if "files" not in LOADS:
    KINDS = []
FILE_RATE = env("SOAK_FILE_RATE", "20000", positive(int))     # lines/s, all writers
WRITERS = env("SOAK_WRITERS", "2", positive(int))             # per rotation kind
ROTATE_S = env("SOAK_ROTATE_EVERY", "3", positive(float))
# kill -9 every SOAK_SECONDS/10 s; at least twice a run whatever the knob says
KILL_S = min(env("SOAK_KILL_EVERY", str(SECONDS / 10), positive(float)), SECONDS / 3)
RELOAD_S = env("SOAK_RELOAD_EVERY", "4", positive(float))
UDP_RATE = env("SOAK_UDP_RATE", "20000", positive(int))       # datagrams/s in a round
UDP_BURST_S = env("SOAK_UDP_BURST", "2", positive(float))     # seconds of UDP per round
TCP_COUNT = env("SOAK_TCP_COUNT", "100000", positive(int))    # syslog_send frames per round
MIX_COUNT = env("SOAK_TCP_MIXED", "3000", positive(int))      # mixed-framing frames per round
HTTP_CLIENTS = env("SOAK_HTTP_CLIENTS", "3", int)
SSE_IDLE = env("SOAK_SSE_IDLE", "8", int)
SLOW_HTTP = env("SOAK_SLOW_HTTP", "2", int)
STALL_CONNS = env("SOAK_STALL_CONNS", "16", int)
COPYTRUNCATE_WAIT = env("SOAK_COPYTRUNCATE_WAIT", "0") == "1"
WARMUP_S = env("SOAK_WARMUP", "10", float)
RSS_PCT = env("SOAK_RSS_MARGIN_PCT", "25", float)
RSS_MB = env("SOAK_RSS_MARGIN_MB", "20", float)
FD_MARGIN = env("SOAK_FD_MARGIN", "64", int)
SANITIZER = env("WEIR_SANITIZER", "address" if "address" in WEIR_BIN else
                "thread" if "thread" in WEIR_BIN else "")
SLOW = 3 if SANITIZER else 1                  # timeouts stretch under sanitizers
KEEP = env("SOAK_KEEP", "")                   # 1: keep the work dir, 0: never, "": on failure
HTTP_TIMEOUT = 15.0 * SLOW                    # a request slower than this is a failure
START_S = 60.0 * SLOW                         # start-up until /readyz
CATCHUP_S = env("SOAK_CATCHUP", str(120 * SLOW), positive(float))
CHECKPOINT_S = 1                              # checkpoint_interval
SAMPLE_S = 2.0                                # RSS / fd sampling period
RULE_FILE = "file_all"

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "LeakSanitizer",
                     "runtime error:", "WARNING: ThreadSanitizer", "ThreadSanitizer: ")
LISTEN_RE = re.compile(r"http: listening on http://127\.0\.0\.1:(\d+)/")


def say(*a):
    print(*a, flush=True)


def yq(s):
    return "'" + str(s).replace("'", "''") + "'"


# --- failures, children ------------------------------------------------------

_fail_lock = threading.Lock()
FAILS = []      # (check, message): a check on weir failed
ERRORS = []     # a load thread of this script broke: the run means nothing
STOP = threading.Event()          # the load threads end
KILL_PENDING = threading.Event()  # the killer waits: start no new syslog round
ROUND_LOCK = threading.Lock()     # held by a syslog round, and by a kill -9


def fail(check, msg):
    """Record a failed check; the first ten of each kind are printed as
    they happen, all are counted in the summary."""
    with _fail_lock:
        FAILS.append((check, msg))
        n = sum(1 for c, _ in FAILS if c == check)
    if n <= 10:
        say(f"FAIL [{check}] {msg}")
    elif n == 11:
        say(f"FAIL [{check}] ... (more of these are only counted)")


EVENTS = []     # (seconds since the start, what): rotations, kills, starts
T0 = time.monotonic()


def event(what):
    EVENTS.append((time.monotonic() - T0, what))


_libc = ctypes.CDLL(None, use_errno=True)
_children = []
_child_lock = threading.Lock()


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the thread that forked us


def spawn(argv, **kw):
    """Popen for a child that dies with its parent thread and that kill_all()
    kills. Weir itself is only spawned from the main thread, which lives to
    the end."""
    p = subprocess.Popen(argv, preexec_fn=_die_with_parent, **kw)
    with _child_lock:
        _children.append(p)
    return p


def reap(p):
    with _child_lock:
        if p in _children:
            _children.remove(p)


def kill_all():
    with _child_lock:
        kids = list(_children)
        _children.clear()
    for p in kids:
        if p.poll() is None:
            p.kill()
    for p in kids:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass


def tail(path, n=25):
    try:
        text = open(path, "rb").read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join("    | " + x for x in text.splitlines()[-n:])


def proc_rss_fds(pid):
    """(VmRSS in KiB, open descriptors) of pid, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))
        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration, ValueError):
        return None


def softnet_drops():
    """The kernel's backlog drops over all CPUs (/proc/net/softnet_stat,
    column 2): loopback datagrams lost before any socket, which no receiver
    can count. Shown as evidence when UDP accounting does not add up."""
    try:
        return sum(int(ln.split()[1], 16) for ln in open("/proc/net/softnet_stat"))
    except (OSError, ValueError, IndexError):
        return 0


def free_ports(n):
    """n ports free for both TCP and UDP on 127.0.0.1, below the ephemeral
    range: weir must bind them again after every kill -9, and a port of
    that range may meanwhile be the local end of some connection."""
    try:
        low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    out = []
    for _ in range(1000):
        port = rng.randrange(max(1024, low - 20000), low)
        if port in out:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                t.bind(("127.0.0.1", port))
                u.bind(("127.0.0.1", port))
        except OSError:
            continue
        out.append(port)
        if len(out) == n:
            return out
    raise Setup(f"no {n} free ports below {low}")


# --- the work directory and weir's config -------------------------------------

WORK = None
PORTS = {}


def kind_dir(kind):
    return os.path.join(WORK, "logs", kind)


def live_path(kind):
    return os.path.join(kind_dir(kind), "current" if kind == "symlink" else "app.log")


def source_name(kind):
    return f"f_{kind}"


def config_text(variant):
    """weir.yaml: the file sources of KINDS, three syslog sources and the
    rules of variant 0 or 1. Both variants hold the counting rules (file_all,
    one per kind, udp_all, tcp_all) unchanged, so a reload keeps their
    totals; they differ in the rules around them."""
    ln = ["listen: 127.0.0.1:0",
          f"state_dir: {yq(os.path.join(WORK, 'state'))}",
          f"checkpoint_interval: {CHECKPOINT_S}s",
          "windows: [10s, 1m, 5m, 15m, 1h]",
          "http:",
          f"  token_file: {yq(os.path.join(WORK, 'token'))}",
          "sources:"]
    paths = {
        # app.log.1, .2, ... stay in the glob: a rename is followed by identity.
        "rename": [f"path: {yq(os.path.join(kind_dir('rename'), 'app.log*'))}"],
        # copytruncate's copies (app.log.1, ...) hold lines weir read from
        # app.log: they are excluded, as users configure it.
        "copytruncate": [f"path: {yq(os.path.join(kind_dir('copytruncate'), '*'))}",
                         "exclude: ['*.[0-9]', '*.gz']"],
        "delete": [f"path: {yq(live_path('delete'))}"],
        # a literal path that is a symlink; log.N it left is drained
        "symlink": [f"path: {yq(live_path('symlink'))}"],
    }
    for k in KINDS:
        ln.append(f"  - name: {source_name(k)}")
        ln += ["    " + x for x in paths[k]]
    ln += ["  - name: udp", "    type: syslog", f"    listen: udp://127.0.0.1:{PORTS['udp']}",
           "  - name: tcp", "    type: syslog", f"    listen: tcp://127.0.0.1:{PORTS['tcp']}",
           "  - name: stall", "    type: syslog", f"    listen: tcp://127.0.0.1:{PORTS['stall']}",
           "    idle_timeout: 5s", "    max_connections: 256"]
    ln += ["rules:", f"  - name: {RULE_FILE}", "    match: '^soak-file '"]
    # Per kind, counted per rotation epoch too: with fewer epochs than
    # top_k the Space-Saving counts are exact (error 0), so a lost or
    # double-counted epoch can be named.
    for k in ALL_KINDS:
        ln += [f"  - name: file_{k}", f"    match: '^soak-file k={k} e=(?<epoch>[0-9]+) '",
               "    top: epoch", "    top_k: 1000"]
    ln += ["  - name: udp_all", "    where: {source: udp}",
           "  - name: tcp_all", "    where: {source: tcp}",
           "  - name: stall_all", "    where: {source: stall}"]
    if variant == 0:
        ln += ["  - name: file_top",
               "    match: '^soak-file k=(?<kind>[a-z]+) e=[0-9]+ w=(?<writer>[0-9]+) '",
               "    top: kind", "    distinct: writer",
               "  - name: auth", "    match: 'sshd|sudo'"]
    else:
        ln += ["  - name: file_top",
               "    match: '^soak-file k=(?<kind>[a-z]+) e=[0-9]+ w=(?<writer>[0-9]+) '",
               "    top: writer", "    top_k: 20", "    distinct: kind",
               "  - name: errors", "    match: 'error|fail|timeout'", "    caseless: true"]
    return "\n".join(ln) + "\n"


def write_config(variant):
    cfg = os.path.join(WORK, "weir.yaml")
    tmp = cfg + ".tmp"
    with open(tmp, "w") as f:
        f.write(config_text(variant))
    os.replace(tmp, cfg)   # weir never reads half a file
    return cfg


# --- weir: one process lifetime at a time -----------------------------------


class Life:
    """One `weir serve` process: from its start to its kill -9 or SIGTERM."""

    def __init__(self, gen, proc, errpath, errf):
        self.gen, self.proc, self.pid = gen, proc, proc.pid
        self.errpath, self.errf = errpath, errf
        self.port = None
        self.t0 = time.monotonic()
        self.t_ready = None
        self.t_end = None
        self.ready = False
        self.dying = False      # set before any signal that ends it on purpose
        self.end = None         # "kill -9", "SIGTERM", "died"
        self.rc = None
        self.samples = []       # (monotonic, rss KiB, fds)


class Weir:
    """The current weir. lock is held while it starts or stops, and by a
    reload, so signals only reach a process that is ready. gen counts the
    lifetimes; clients tag requests with it."""

    def __init__(self):
        self.lock = threading.RLock()
        self.life = None
        self.lives = []
        self.gen = 0

    def port_of(self):
        life = self.life
        if life and life.ready and not life.dying:
            return life.gen, life.port
        return self.gen, None

    def still(self, gen):
        """Whether lifetime gen is up and was not ended on purpose: an error
        on one of its requests is then weir's."""
        life = self.life
        return bool(life and life.gen == gen and life.ready and not life.dying
                    and life.proc.poll() is None)

    def start(self):
        """Start a new lifetime and wait until it is ready. StartFailed (the
        process killed, the lifetime ended) if it is not."""
        with self.lock:
            try:
                return self._start()
            except StartFailed as e:
                life = e.life
                life.dying = True
                if life.proc.poll() is None:
                    life.proc.kill()
                self._ended(life, "no start", life.proc.wait())
                raise

    def _start(self):
        with self.lock:
            self.gen += 1
            errpath = os.path.join(WORK, f"weir{self.gen}.stderr")
            errf = open(errpath, "wb")
            proc = spawn([WEIR_BIN, "serve", "-c", os.path.join(WORK, "weir.yaml")],
                         stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
            life = Life(self.gen, proc, errpath, errf)
            self.lives.append(life)
            self.life = life
            end = time.monotonic() + START_S
            while life.port is None:
                if proc.poll() is not None:
                    raise StartFailed(life, f"weir exited with {proc.returncode} at start")
                m = LISTEN_RE.search(open(errpath, "rb").read().decode("utf-8", "replace"))
                if m:
                    life.port = int(m.group(1))
                elif time.monotonic() > end:
                    raise StartFailed(life, f"no 'http: listening' within {START_S:.0f} s")
                else:
                    time.sleep(0.02)
            while True:
                if proc.poll() is not None:
                    raise StartFailed(life, f"weir exited with {proc.returncode} at start")
                try:
                    st, _, _ = http_once(life.port, "/readyz", timeout=5)
                    st2, _, _ = http_once(life.port, "/api/v1/snapshot", timeout=5)
                    if st == 200 and st2 == 200:
                        break
                except (OSError, http.client.HTTPException):
                    pass
                if time.monotonic() > end:
                    raise StartFailed(life, f"not ready within {START_S:.0f} s")
                time.sleep(0.05)
            life.t_ready = time.monotonic()
            life.ready = True
            event(f"weir #{life.gen} ready (pid {life.pid})")
            return life

    def _ended(self, life, how, rc):
        life.rc, life.end, life.t_end = rc, how, time.monotonic()
        life.errf.close()
        reap(life.proc)
        if self.life is life:
            self.life = None

    def kill9(self):
        with self.lock:
            life = self.life
            life.dying = True
            event(f"kill -9 weir #{life.gen}")
            life.proc.send_signal(signal.SIGKILL)
            self._ended(life, "kill -9", life.proc.wait(30))
            return life

    def sigterm(self):
        """SIGTERM and wait; returns the exit status (None: it hung, killed)."""
        with self.lock:
            life = self.life
            life.dying = True
            life.proc.send_signal(signal.SIGTERM)
            try:
                rc = life.proc.wait(60 * SLOW)
            except subprocess.TimeoutExpired:
                life.proc.kill()
                life.proc.wait()
                rc = None
            self._ended(life, "SIGTERM", rc)
            return life

    def died(self):
        """The current process ended without being asked to: record it."""
        with self.lock:
            life = self.life
            self._ended(life, "died", life.proc.wait())
            return life


class StartFailed(Exception):
    def __init__(self, life, msg):
        super().__init__(msg)
        self.life = life


W = Weir()


def http_once(port, path, method="GET", body=None, headers=None, timeout=HTTP_TIMEOUT):
    """One request on a fresh connection: (status, headers, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r, r.read()
    finally:
        c.close()


class Down(Exception):
    """weir is not up (restarting): not a failure."""


class Api:
    """A keep-alive client of the current weir, one per thread."""

    def __init__(self, timeout=HTTP_TIMEOUT):
        self.conn, self.gen, self.timeout = None, None, timeout

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, path, method="GET", body=None, headers=None):
        """(gen, status, response, body); Down when weir is not up."""
        g, port = W.port_of()
        if port is None:
            raise Down()
        if g != self.gen:
            self.close()
            self.gen = g
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
        except BaseException:
            self.close()
            raise
        if r.will_close:
            self.close()
        return g, r.status, r, data

    def json(self, path):
        g, st, _, data = self.request(path)
        if st != 200:
            raise http.client.HTTPException(f"GET {path}: HTTP {st}: {data[:200]!r}")
        return g, json.loads(data)


# --- what weir says: polled by the monitor ------------------------------------


class View:
    """One look at weir: GET /api/v1/sources, then GET /api/v1/snapshot."""

    def __init__(self, gen, sources, snap):
        self.gen = gen
        self.t = time.monotonic()
        self.sources = {s["name"]: s for s in sources["sources"]}
        self.files = {name: {f["inode"]: f for f in s.get("files", [])}
                      for name, s in self.sources.items()}
        self.ckpt = snap["ingest"]["checkpoints"]
        self.totals = {r["name"]: r["total"] for r in snap["rules"]}


def look(api):
    g, src = api.json("/api/v1/sources")
    g2, snap = api.json("/api/v1/snapshot")
    if g2 != g:
        raise Down()
    return View(g, src, snap)


class Loop(threading.Thread):
    """A load thread: body() runs until STOP; an exception in it is an error
    of this script (ERRORS), not a failure of weir."""

    def __init__(self, name):
        super().__init__(name=name, daemon=True)

    def run(self):
        try:
            self.body()
        except BaseException as e:  # noqa: B902 - reported at the end
            import traceback
            with _fail_lock:
                ERRORS.append(f"{self.name}: {e!r}\n{traceback.format_exc()}")
            say(f"{PROG}: thread {self.name} broke: {e!r}")


class Monitor(Loop):
    """Polls weir twice a second; the rotators decide from its views when a
    file is safe to remove. seen[gen] holds the (source, inode) pairs weir
    listed in lifetime gen."""

    def __init__(self):
        super().__init__("monitor")
        self.view = None
        self.seen = {}
        self.polls = 0
        self.max_lag = 0

    def body(self):
        api = Api()
        while not STOP.wait(0.5):
            try:
                g, port = W.port_of()
                v = look(api)
            except Down:
                continue
            except (OSError, http.client.HTTPException, ValueError) as e:
                if W.still(g):
                    fail("http", f"monitor: GET /api/v1/sources or /snapshot failed: {e!r}")
                continue
            s = self.seen.setdefault(v.gen, set())
            for name, files in v.files.items():
                for ino, f in files.items():
                    s.add((name, ino))
                    try:
                        st = os.stat(f["path"])
                    except OSError:
                        continue
                    if st.st_ino == ino:
                        self.max_lag = max(self.max_lag, st.st_size - f["offset"])
            self.view = v
            self.polls += 1


MON = Monitor()


# --- file writers (processes) and rotators (threads) --------------------------


def writer_main(w, kind, path, rate, lock, gen, ack, written, stop, err, report):
    """One writer process: appends batches of numbered lines to path, one
    write(2) per batch with O_APPEND, under lock (a rotator holds it to pause
    the writer); reopens path when gen changes (the rotator's "postrotate").
    Each line names its kind, the rotation epoch it was written in (gen),
    the writer and its sequence number. written is the count of lines
    written, updated after every write; at the end the count per epoch goes
    to the JSON file report."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rng = random.Random(7919 * (w + 1))
    filler = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 =") for _ in range(4096))
    fd, cur, seq = -1, None, 0
    epochs = {}
    t0 = time.monotonic()
    try:
        while not stop.is_set():
            n = rng.randint(1, 64)
            parts = []
            for i in range(n):
                a = rng.randrange(0, 3900)
                parts.append(b"%010d %s\n" % (seq + i, filler[a:a + rng.randrange(0, 160)]))
            with lock:
                g = gen.value
                if g != cur:
                    nfd = os.open(path, os.O_WRONLY | os.O_APPEND)
                    if fd >= 0:
                        os.close(fd)
                    fd, cur = nfd, g
                    ack.value = g
                    prefix = b"soak-file k=%s e=%d w=%02d s=" % (kind.encode(), g, w)
                data = prefix + prefix.join(parts)
                k = os.write(fd, data)
                if k != len(data):
                    raise OSError(f"short write: {k} of {len(data)} bytes")
                seq += n
                written.value = seq
                epochs[g] = epochs.get(g, 0) + n
            now = time.monotonic()
            due = t0 + seq / rate
            if due > now:
                stop.wait(min(due - now, 0.5))
            elif now - due > 1.0:
                t0 = now - seq / rate   # paused by a rotator: no burst to catch up
    except BaseException as e:  # noqa: B902 - the parent reports it
        err.value = repr(e).encode()[:250]
    finally:
        if fd >= 0:
            os.close(fd)
        with open(report, "w") as f:
            json.dump(epochs, f)


class Writer:
    def __init__(self, ctx, w, kind, rate, gen, stop):
        self.w, self.kind = w, kind
        self.lock = ctx.Lock()
        self.ack = ctx.Value("q", -1, lock=False)
        self.written = ctx.Value("q", 0, lock=False)
        self.err = ctx.Array("c", 256, lock=False)
        self.report = os.path.join(WORK, f"writer{w}.json")
        self.proc = ctx.Process(target=writer_main, name=f"writer{w}", daemon=True,
                                args=(w, kind, live_path(kind), rate, self.lock, gen, self.ack,
                                      self.written, stop, self.err, self.report))

    def epochs(self):
        """{epoch: lines written in it}, once the writer has ended."""
        try:
            return {int(k): v for k, v in json.load(open(self.report)).items()}
        except (OSError, ValueError):
            return {}


class Retired:
    """A rotated file that its writers may still append to until they have all
    reopened (ack >= gen); then weir must finish it before it is removed."""

    def __init__(self, ino, gen):
        self.ino, self.gen, self.mark = ino, gen, None


class Rotator(Loop):
    """Rotates one kind's file every ROTATE_S seconds (with jitter) and
    removes what weir has finished. Lines in a file removed before weir has
    read them are legitimately lost, and so are lines past the last
    checkpoint of a file removed before a crash: so a file is removed only
    once GET /api/v1/sources shows its offset == size (or weir closed it after
    draining it) and three checkpoints later in the same process."""

    def __init__(self, kind, writers, gen):
        super().__init__(f"rotate-{kind}")
        self.kind, self.writers, self.gen = kind, writers, gen
        self.dir = kind_dir(kind)
        self.src = source_name(kind)
        self.retired = []
        self.rotations = 0
        self.skipped = 0
        self.removed = 0
        self.behind_lines = 0       # copytruncate: lines weir had not read at the truncate (at most)
        self.behind_events = 0
        self.serial = 0
        self.lr_conf = self.lr_state = None
        if kind in ("rename", "copytruncate"):
            lr = os.path.join(WORK, "logrotate", kind)
            os.makedirs(lr)
            self.lr_conf = os.path.join(lr, "logrotate.conf")
            self.lr_state = os.path.join(lr, "status")
            how = ("rotate 1000\n    create 0644" if kind == "rename" else
                   "rotate 2\n    copytruncate")
            with open(self.lr_conf, "w") as f:
                f.write(f"{live_path(kind)} {{\n    {how}\n    nocompress\n    missingok\n"
                        "    notifempty\n}\n")
            os.chmod(self.lr_conf, 0o644)

    # the writers' pause
    def hold(self):
        got = []
        for wr in self.writers:
            if not wr.lock.acquire(timeout=30):
                for x in got:
                    x.lock.release()
                raise RuntimeError(f"writer {wr.w} held its lock for 30 s")
            got.append(wr)
        return got

    def release(self, got):
        for wr in got:
            wr.lock.release()

    def logrotate(self):
        p = spawn([LOGROTATE, "-f", "-s", self.lr_state, self.lr_conf],
                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = p.communicate(timeout=60)
        reap(p)
        if p.returncode != 0:
            raise RuntimeError(f"logrotate failed ({p.returncode}): {out.decode(errors='replace')}")

    def body(self):
        while not STOP.wait(ROTATE_S * random.uniform(0.6, 1.4)):
            self.reap()
            getattr(self, "rotate_" + self.kind)()
        self.reap()

    def bump(self, what):
        self.gen.value += 1
        event(f"{self.kind}: {what}; epoch {self.gen.value} begins")
        return self.gen.value

    def rotate_rename(self):
        old = os.stat(live_path("rename")).st_ino
        if os.stat(live_path("rename")).st_size == 0:
            return
        self.logrotate()              # app.log -> app.log.1 (.1 -> .2 ...), new app.log
        self.retired.append(Retired(old, self.bump("logrotate (create)")))  # postrotate: reopen
        self.rotations += 1

    def rotate_copytruncate(self):
        got = self.hold()   # nothing is written between the copy and the truncate
        try:
            path = live_path("copytruncate")
            st = os.stat(path)
            if st.st_size == 0:
                return
            # SOAK_COPYTRUNCATE_WAIT=1 (diagnosis): truncate only what weir
            # has read and checkpointed, as for a delete.
            if COPYTRUNCATE_WAIT and not self.wait_read(st.st_ino, 30 * SLOW, checkpoints=3)[0]:
                self.skipped += 1
                return
            v = MON.view
            f = v and v.files.get(self.src, {}).get(st.st_ino)
            behind = ""
            if f and f["offset"] < st.st_size:
                # What weir had not read a moment ago (the view is up to a
                # tick old, so this is an upper bound): the truncate takes it
                # out of app.log; it is only in the copy, app.log.1.
                with open(path, "rb") as fh:
                    fh.seek(f["offset"])
                    n = fh.read(st.st_size - f["offset"]).count(b"\n")
                self.behind_lines += n
                self.behind_events += 1
                behind = f", weir behind by at most {n:,} lines"
            self.logrotate()
            self.rotations += 1
            self.bump(f"logrotate (copytruncate) at {st.st_size:,} bytes{behind}")
        finally:
            self.release(got)

    def wait_seen(self, ino, timeout, checkpoints=1):
        """Until MON shows weir has file ino (of this kind's source) open,
        and then `checkpoints` more checkpoints in the same process (so the
        checkpoint names it). (True, None) or (False, why)."""
        t_from = time.monotonic()
        end = t_from + timeout
        mark = None
        while time.monotonic() < end:
            if STOP.is_set():
                return False, "stopping"
            v = MON.view
            if v is None or v.t < t_from:
                time.sleep(0.1)
                continue
            if mark and mark[0] != v.gen:
                mark = None      # restarted: look again
            if mark is None and v.files.get(self.src, {}).get(ino):
                mark = (v.gen, v.ckpt)
            if mark and v.ckpt >= mark[1] + checkpoints:
                return True, None
            time.sleep(0.1)
        return False, "timeout"

    def wait_read(self, ino, timeout, checkpoints=0):
        """Until MON shows file ino (of this kind's source) read to its
        current size, and then `checkpoints` more checkpoints in the same
        process. (True, None) or (False, why)."""
        t_from = time.monotonic()
        end = t_from + timeout
        mark = None
        while time.monotonic() < end:
            if STOP.is_set():
                return False, "stopping"
            v = MON.view
            if v is None or v.t < t_from:
                time.sleep(0.1)
                continue
            if mark and mark[0] != v.gen:
                mark = None      # restarted: weir resumes from its checkpoint; look again
            if mark is None:
                f = v.files.get(self.src, {}).get(ino)
                try:
                    size = self._size(ino)
                except OSError:
                    return False, "gone"
                if f and f["offset"] == f["size"] == size:
                    mark = (v.gen, v.ckpt)
            if mark and v.ckpt >= mark[1] + checkpoints:
                return True, None
            time.sleep(0.1)
        return False, "timeout"

    def _size(self, ino):
        for e in os.scandir(self.dir):
            st = e.stat(follow_symlinks=False)
            if st.st_ino == ino:
                return st.st_size
        raise FileNotFoundError(ino)

    def rotate_delete(self):
        got = self.hold()
        try:
            path = live_path("delete")
            st = os.stat(path)
            if st.st_size == 0:
                return
            # Deleting a file loses whatever weir has not read (and, after a
            # crash, whatever its last checkpoint does not cover): wait for
            # offset == size and three checkpoints, writers paused.
            ok, why = self.wait_read(st.st_ino, 30 * SLOW, checkpoints=3)
            if not ok:
                self.skipped += 1
                return
            os.unlink(path)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            self.bump("deleted and created app.log")
            self.rotations += 1
        finally:
            self.release(got)

    def rotate_symlink(self):
        cur = live_path("symlink")
        old = os.stat(cur).st_ino
        if os.stat(cur).st_size == 0:
            return
        # weir follows the targets of a symlink it has seen: a target that
        # was current only while weir was down (re-pointed twice in the
        # downtime) is outside the glob and never read (CONFIG.md, "Files
        # and rotation"). So, as users' rotation cannot wait on weir but
        # this test must not count that documented loss, re-point only once
        # weir has the current target open and has checkpointed it.
        ok, why = self.wait_seen(old, 30 * SLOW, checkpoints=1)
        if not ok:
            self.skipped += 1
            return
        self.serial += 1
        name = f"log.{self.serial}"
        os.close(os.open(os.path.join(self.dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o644))
        tmp = os.path.join(self.dir, ".current.tmp")
        os.symlink(name, tmp)
        os.replace(tmp, cur)          # current -> log.N+1, atomically
        self.retired.append(Retired(old, self.bump(f"current -> {name}")))
        self.rotations += 1

    def reap(self):
        """Remove the retired files weir has finished."""
        v = MON.view
        if v is None:
            return
        keep = []
        for r in self.retired:
            if any(wr.ack.value < r.gen for wr in self.writers):
                keep.append(r)       # a writer may still append to it
                continue
            path = None
            for e in os.scandir(self.dir):
                st = e.stat(follow_symlinks=False)
                if st.st_ino == r.ino and not e.is_symlink():
                    path, size = e.path, st.st_size
                    break
            if path is None:
                continue
            if r.mark and r.mark[0] != v.gen:
                r.mark = None
            if r.mark is None:
                f = v.files.get(self.src, {}).get(r.ino)
                if f and f["offset"] == f["size"] == size:
                    r.mark = (v.gen, v.ckpt)
                elif f is None and (self.src, r.ino) in MON.seen.get(v.gen, ()):
                    r.mark = (v.gen, v.ckpt)      # drained and closed
            if r.mark and r.mark[0] == v.gen and v.ckpt >= r.mark[1] + 3:
                event(f"{self.kind}: removed {os.path.basename(path)} (inode {r.ino})")
                os.unlink(path)
                self.removed += 1
                continue
            keep.append(r)
        self.retired = keep


# --- syslog: rounds with exact accounting, and stalled clients ----------------


def mixed_frames(rnd, n, rng):
    """n syslog frames, each framed at random: octet counting, or an LF, CRLF
    or NUL trailer (RFC 6587, told apart at each message); about 5% start
    with an invalid octet count (a leading zero, ten or eleven digits) and
    end in LF: docs/CONFIG.md says each is one framing error and its line
    one record. Returns (bytes, frames with an invalid count)."""
    out, bad = [], 0
    for i in range(n):
        msg = b"<134>Nov 21 07:00:00 soak tcpmix[%d]: soak-tcp round=%d n=%d %s" % (
            rnd, rnd, i, b"x" * rng.randrange(0, 200))
        how = rng.randrange(20)
        if how < 5:
            out.append(b"%d %s" % (len(msg), msg))
        elif how == 5:
            out.append(rng.choice((b"0%d " % len(msg), b"1234567890 ", b"98765432101 "))
                       + msg + b"\n")
            bad += 1
        else:
            out.append(msg + (b"\n", b"\r\n", b"\0")[how % 3])
    return b"".join(out), bad


class Syslog(Loop):
    """Rounds, each inside one lifetime (a kill -9 waits for the round):
    syslog_send floods UDP (paced) and TCP (as fast as weir takes it) while
    this thread sends mixed-framing TCP; then it settles the accounting:

      UDP: sent == received + dropped_full + dropped_kernel (listener
           counters, deltas over the round; received counts only datagrams
           kept, see ingest/listen.c; markers flush the SO_RXQ_OVFL count),
           and udp_all grew by received (each datagram kept counted once);
      TCP: received == sent and tcp_all grew by sent (lossless: backpressure),
           framing_errors grew by the frames sent with an invalid count."""

    def __init__(self):
        super().__init__("syslog")
        self.rounds = 0
        self.udp = dict(sent=0, received=0, dropped_kernel=0, dropped_full=0, counted=0, marks=0)
        self.tcp = dict(sent=0, received=0, counted=0, mixed=0, bad=0, framing_errors=0)
        self.rng = random.Random(42)

    def body(self):
        while not STOP.is_set():
            if KILL_PENDING.is_set() or W.port_of()[1] is None:
                time.sleep(0.1)
                continue
            with ROUND_LOCK:
                if STOP.is_set():
                    break
                self.round()
            STOP.wait(0.5)

    @staticmethod
    def listener(v, name):
        return v.sources[name]["listeners"][0]

    def round(self):
        api = Api()
        try:
            base = look(api)
        except (Down, OSError, http.client.HTTPException, ValueError):
            return
        g = base.gen
        rnd = self.rounds + 1
        procs = []
        if "udp" in LOADS:
            procs.append(("udp", spawn([SENDER, "--udp", f"127.0.0.1:{PORTS['udp']}",
                                        "--count", str(int(UDP_RATE * UDP_BURST_S)),
                                        "--rate", str(UDP_RATE), "--seed", str(rnd)],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        mixed = bad = 0
        if "tcp" in LOADS:
            procs.append(("tcp", spawn([SENDER, "--tcp", f"127.0.0.1:{PORTS['tcp']}",
                                        "--count", str(TCP_COUNT), "--conns", "2",
                                        "--seed", str(rnd)],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
            data, bad = mixed_frames(rnd, MIX_COUNT, self.rng)
            try:
                with socket.create_connection(("127.0.0.1", PORTS["tcp"]), timeout=HTTP_TIMEOUT) as s:
                    i = 0
                    while i < len(data):
                        k = self.rng.choice((1, 7, 100, 1000, 4096, 65536))
                        s.sendall(data[i:i + k])
                        i += k
                    s.shutdown(socket.SHUT_WR)
                mixed = MIX_COUNT
            except OSError as e:
                if W.still(g):
                    fail("tcp", f"round {rnd}: mixed-framing sender: {e!r}")
                mixed = None
        sent = {}
        for what, p in procs:
            try:
                out, err = p.communicate(timeout=120 * SLOW)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            reap(p)
            try:
                sent[what] = json.loads(out.decode().strip().splitlines()[-1])["sent"]
            except (ValueError, IndexError, KeyError):
                sent[what] = None
            if p.returncode != 0 and W.still(g):
                fail(what, f"round {rnd}: syslog_send --{what} exited {p.returncode}: "
                     f"{err.decode(errors='replace').strip()[:300]} {out[-300:]!r}")
        if not W.still(g) or mixed is None or any(x is None for x in sent.values()):
            return   # weir died meanwhile: the main loop reports it
        self.rounds = rnd
        if "udp" in sent:
            self.settle_udp(api, base, g, rnd, sent["udp"])
        if "tcp" in sent:
            self.settle_tcp(api, base, g, rnd, sent["tcp"] + mixed, mixed, bad)

    def wait_view(self, api, g, pred, timeout, progress=None):
        """Look until pred(view), timeout, or (given progress(view)) no
        progress for 10 s; the last view (None if weir went)."""
        end = time.monotonic() + timeout
        v, last, since = None, None, time.monotonic()
        while True:
            try:
                v = look(api)
            except (Down, OSError, http.client.HTTPException, ValueError):
                v = None
            if v is None or v.gen != g:
                return None
            now = time.monotonic()
            if pred(v) or now > end:
                return v
            if progress:
                p = progress(v)
                if p != last:
                    last, since = p, now
                elif now - since > 10 * SLOW:
                    return v
            time.sleep(0.2)

    def settle_udp(self, api, base, g, rnd, sent):
        b = self.listener(base, "udp")
        sn0 = softnet_drops()
        marks = 0
        dst = ("127.0.0.1", PORTS["udp"])
        # SO_RXQ_OVFL reports a kernel drop with the next datagram received:
        # send markers until received + dropped_full + dropped_kernel covers every one sent.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            end = time.monotonic() + 10 * SLOW
            while True:
                s.sendto(b"<134>Nov 21 07:00:00 soak marker: soak-udp-marker %d" % marks, dst)
                marks += 1
                v = self.wait_view(api, g, lambda v: self.udp_seen(v, b) >= sent + marks, 2)
                if v is None:
                    return
                if self.udp_seen(v, b) >= sent + marks or time.monotonic() > end:
                    break
        total = sent + marks
        lst = self.listener(v, "udp")
        d = {k: lst[k] - b[k] for k in ("received", "dropped_kernel", "dropped_full")}
        want = d["received"]
        v = self.wait_view(api, g, lambda v: v.totals["udp_all"] - base.totals["udp_all"] >= want,
                           10 * SLOW)
        if v is None:
            return
        counted = v.totals["udp_all"] - base.totals["udp_all"]
        for k in d:
            self.udp[k] += d[k]
        self.udp["sent"] += total
        self.udp["marks"] += marks
        self.udp["counted"] += counted
        if d["received"] + d["dropped_full"] + d["dropped_kernel"] != total:
            fail("udp", f"round {rnd}: sent {total:,} (incl. {marks} markers) != received "
                 f"{d['received']:,} + dropped_full {d['dropped_full']:,} + dropped_kernel "
                 f"{d['dropped_kernel']:,} (kernel backlog drops meanwhile, "
                 f"system-wide: {softnet_drops() - sn0:,})")
        if counted != want:
            fail("udp", f"round {rnd}: udp_all grew by {counted:,}, but weir kept "
                 f"{want:,} datagrams (received; dropped_full {d['dropped_full']:,} not kept)")

    @staticmethod
    def udp_seen(v, b):
        lst = v.sources["udp"]["listeners"][0]
        return sum(lst[k] - b[k] for k in ("received", "dropped_full", "dropped_kernel"))

    def settle_tcp(self, api, base, g, rnd, sent, mixed, bad):
        b = self.listener(base, "tcp")
        v = self.wait_view(api, g, lambda v: (
            self.listener(v, "tcp")["received"] - b["received"] >= sent
            and v.totals["tcp_all"] - base.totals["tcp_all"] >= sent), 120 * SLOW,
            lambda v: (self.listener(v, "tcp")["received"], v.totals["tcp_all"]))
        if v is None:
            return
        lst = self.listener(v, "tcp")
        got = lst["received"] - b["received"]
        counted = v.totals["tcp_all"] - base.totals["tcp_all"]
        ferr = lst["framing_errors"] - b["framing_errors"]
        self.tcp["sent"] += sent
        self.tcp["received"] += got
        self.tcp["counted"] += counted
        self.tcp["mixed"] += mixed
        self.tcp["bad"] += bad
        self.tcp["framing_errors"] += ferr
        if got != sent or counted != sent:
            fail("tcp", f"round {rnd}: sent {sent:,} frames ({mixed:,} of them mixed framing, "
                 f"{bad} with an invalid octet count), listener received {got:,} (diff "
                 f"{got - sent:+,}), tcp_all grew by {counted:,} (diff {counted - sent:+,}); "
                 f"framing_errors +{ferr}, truncated +{lst['truncated'] - b['truncated']}, "
                 f"resets +{lst['resets'] - b['resets']}")
        elif ferr != bad:
            fail("tcp", f"round {rnd}: framing_errors grew by {ferr}, {bad} frames had an "
                 "invalid octet count")


class Stall(Loop):
    """TCP syslog clients on the stall listener that connect and never send,
    or send part of a frame (octet-counted or not) and stall. At most
    STALL_CONNS at once; two are replaced every 5 s; weir's idle_timeout (5 s)
    closes the silent ones."""

    PARTS = (None, b"300 <13>Nov 21 07:00:00 soak stall: soak-stall octet partial",
             b"<13>Nov 21 07:00:00 soak stall: soak-stall no trailer yet")

    def __init__(self):
        super().__init__("stall")
        self.opened = 0
        self.closed_by_weir = 0
        self.conns = []
        self.gen = None

    def body(self):
        last_churn = time.monotonic()
        k = 0
        while not STOP.wait(0.5):
            g, port = W.port_of()
            if port is None or g != self.gen:
                for s, _ in self.conns:
                    s.close()
                self.conns, self.gen = [], g
                if port is None:
                    continue
            # closed by weir (idle_timeout)?
            rd = [s for s, _ in self.conns]
            if rd:
                r, _, _ = select.select(rd, [], [], 0)
                for s in r:
                    try:
                        gone = s.recv(4096) == b""
                    except OSError:
                        gone = True
                    if gone:
                        s.close()
                        self.conns = [c for c in self.conns if c[0] is not s]
                        self.closed_by_weir += 1
            if time.monotonic() - last_churn > 5 and self.conns:
                last_churn = time.monotonic()
                for s, _ in self.conns[:2]:
                    s.close()
                self.conns = self.conns[2:]
            while len(self.conns) < STALL_CONNS:
                part = self.PARTS[k % len(self.PARTS)]
                k += 1
                try:
                    s = socket.create_connection(("127.0.0.1", PORTS["stall"]), timeout=2)
                    if part:
                        s.sendall(part)
                except OSError:
                    break
                self.conns.append((s, part))
                self.opened += 1
        for s, _ in self.conns:
            s.close()


# --- HTTP: hammer, SSE, slow clients, reloads ----------------------------------

HAMMER_PATHS = (
    ("/api/v1/snapshot", {}), ("/api/v1/snapshot", {"Accept-Encoding": "gzip"}),
    ("/metrics", {}), ("/metrics", {"Accept-Encoding": "gzip"}),
    ("/api/v1/sources", {}), ("/api/v1/stats", {}), ("/api/v1/rules", {}),
    (f"/api/v1/series/{RULE_FILE}?range=5m&step=10s", {}),
    ("/api/v1/series/tcp_all?range=1h", {}),
    ("/api/v1/top/file_top?window=1m", {}), ("/api/v1/top/file_top?window=5m&k=3", {}),
    (f"/api/v1/rules/{RULE_FILE}?window=1m", {}), ("/healthz", {}), ("/readyz", {}),
)


class Hammer(Loop):
    """Requests back to back (5 ms apart) over a keep-alive connection; some
    with If-None-Match. Every answer must be 200 (or 304) within
    HTTP_TIMEOUT while weir is up."""

    def __init__(self, i):
        super().__init__(f"http{i}")
        self.rng = random.Random(i)
        self.ok = 0
        self.max_s = 0.0
        self.etags = {}

    def body(self):
        api = Api()
        while not STOP.wait(0.005):
            path, hdr = self.rng.choice(HAMMER_PATHS)
            hdr = dict(hdr)
            if path in self.etags and self.rng.random() < 0.3:
                hdr["If-None-Match"] = self.etags[path]
            g = W.port_of()[0]
            t = time.monotonic()
            try:
                g, st, r, _ = api.request(path, headers=hdr)
            except Down:
                time.sleep(0.1)
                continue
            except (OSError, http.client.HTTPException) as e:
                if W.still(g):
                    fail("http", f"GET {path}: {e!r} after {time.monotonic() - t:.1f} s "
                         f"(weir up, pid {W.life.pid})")
                    time.sleep(1)
                continue
            dt = time.monotonic() - t
            if W.still(g):
                self.max_s = max(self.max_s, dt)
                if st not in (200, 304) and not (path == "/readyz" and st == 503):
                    fail("http", f"GET {path}: HTTP {st}")
                else:
                    self.ok += 1
                if r.getheader("ETag"):
                    self.etags[path] = r.getheader("ETag")


class SseIdle(Loop):
    """SSE clients that never read (tiny receive buffers), SSE_IDLE at once,
    two replaced every 15 s."""

    def __init__(self):
        super().__init__("sse-idle")
        self.opened = 0
        self.conns = []
        self.gen = None

    def body(self):
        last = time.monotonic()
        while not STOP.wait(0.5):
            g, port = W.port_of()
            if port is None or g != self.gen:
                for s in self.conns:
                    s.close()
                self.conns, self.gen = [], g
                if port is None:
                    continue
            if time.monotonic() - last > 15 and self.conns:
                last = time.monotonic()
                for s in self.conns[:2]:
                    s.close()
                self.conns = self.conns[2:]
            while len(self.conns) < SSE_IDLE:
                try:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    s.settimeout(2)
                    s.connect(("127.0.0.1", port))
                    s.sendall(b"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Accept: text/event-stream\r\n\r\n")
                except OSError:
                    s.close()
                    break
                self.conns.append(s)
                self.opened += 1
        for s in self.conns:
            s.close()


class SseReader(Loop):
    """One SSE client that reads: it must get an event (or keep-alive) at
    least every HTTP_TIMEOUT seconds while weir is up, whatever the clients
    that never read do."""

    def __init__(self):
        super().__init__("sse-reader")
        self.events = 0
        self.connects = 0
        self.max_gap = 0.0

    def body(self):
        while not STOP.is_set():
            g, port = W.port_of()
            if port is None:
                time.sleep(0.1)
                continue
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                time.sleep(0.2)
                continue
            self.connects += 1
            try:
                s.sendall(b"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                s.settimeout(0.5)
                last = time.monotonic()
                buf = b""
                while not STOP.is_set():
                    try:
                        b = s.recv(65536)
                    except socket.timeout:
                        b = None
                    now = time.monotonic()
                    if b == b"":
                        break
                    if b:
                        both = buf + b
                        n = sum(both.count(p) - buf.count(p) for p in (b"\nevent: ",
                                                                        b"\n: keep-alive"))
                        buf = both[-16:]
                        if n:
                            self.events += n
                            last = now
                    if not W.still(g):
                        break
                    gap = now - last
                    self.max_gap = max(self.max_gap, gap)
                    if gap > HTTP_TIMEOUT:
                        fail("http", f"SSE reader: no event for {gap:.0f} s (weir up, pid "
                             f"{W.life.pid})")
                        break
            except OSError as e:
                if W.still(g):
                    fail("http", f"SSE reader: {e!r}")
            finally:
                s.close()


class SlowHttp(Loop):
    """A client that sends its request line and headers a byte a second, then
    waits up to HTTP_TIMEOUT for the answer; again and again."""

    REQ = b"GET /healthz HTTP/1.0\r\n\r\n"

    def __init__(self, i):
        super().__init__(f"slow-http{i}")
        self.started = self.answered = self.cut = self.killed = 0

    def body(self):
        while not STOP.is_set():
            g, port = W.port_of()
            if port is None:
                time.sleep(0.2)
                continue
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                time.sleep(0.2)
                continue
            self.started += 1
            try:
                for i in range(len(self.REQ)):
                    if STOP.wait(1.0) or not W.still(g):
                        raise Down()
                    s.sendall(self.REQ[i:i + 1])
                s.settimeout(HTTP_TIMEOUT)
                if re.match(rb"HTTP/1\.[01] 200 ", s.recv(64)):
                    self.answered += 1
                else:
                    self.cut += 1
            except Down:
                self.killed += 1  # a kill -9 (or the end) came first
            except OSError:
                if W.still(g):
                    self.cut += 1     # weir closed it: counted, not a failure
                else:
                    self.killed += 1
            finally:
                s.close()


class Reloader(Loop):
    """Every RELOAD_S: rewrite weir.yaml with the other rule set, then SIGHUP
    or POST /api/v1/reload (bearer token), in turn."""

    def __init__(self, token):
        super().__init__("reload")
        self.token = token
        self.variant = 0
        self.sighup = 0
        self.post = 0
        self.post_ok = 0

    def body(self):
        api = Api(timeout=60 * SLOW)
        n = 0
        while not STOP.wait(RELOAD_S):
            if KILL_PENDING.is_set() or not W.lock.acquire(timeout=1):
                continue
            try:
                life = W.life
                if life is None or not life.ready or life.dying:
                    continue
                self.variant ^= 1
                write_config(self.variant)
                n += 1
                if n % 2:
                    os.kill(life.pid, signal.SIGHUP)
                    self.sighup += 1
                    continue
                self.post += 1
                try:
                    g, st, _, data = api.request("/api/v1/reload", "POST", b"",
                                                 {"Authorization": f"Bearer {self.token}"})
                except (Down, OSError, http.client.HTTPException) as e:
                    if W.still(life.gen):
                        fail("reload", f"POST /api/v1/reload: {e!r}")
                    continue
                if st == 200:
                    self.post_ok += 1
                else:
                    fail("reload", f"POST /api/v1/reload: HTTP {st}: {data[:300]!r}")
            finally:
                W.lock.release()


# --- the end: catching up, checks, figures -------------------------------------


def file_sources():
    return [source_name(k) for k in KINDS]


def catch_up(api, want_total, what):
    """Wait (at most CATCHUP_S) until every file of every file source is read
    to its size, the files on disk agree, and the counting rule's total has
    not moved for 3 s. Returns the last view (or None) and whether it caught
    up."""
    end = time.monotonic() + CATCHUP_S
    prev, since, v = None, time.monotonic(), None
    while True:
        try:
            v = look(api)
        except (Down, OSError, http.client.HTTPException, ValueError) as e:
            fail("catch-up", f"{what}: cannot read the API: {e!r}")
            return None, False
        done = True
        for name in file_sources():
            for f in v.files.get(name, {}).values():
                try:
                    size = os.stat(f["path"]).st_size if os.stat(f["path"]).st_ino == f["inode"] \
                        else f["size"]
                except OSError:
                    size = f["size"]
                if f["offset"] != f["size"] or f["size"] != size or f["state"] == "draining":
                    done = False
        tot = v.totals.get(RULE_FILE)
        now = time.monotonic()
        if tot != prev or not done:
            prev, since = tot, now
        elif now - since >= 3 and (tot == want_total or now - since >= 6):
            return v, True
        if now > end:
            lag = {name: [(f["path"], f["state"], f["offset"], f["size"])
                          for f in v.files.get(name, {}).values() if f["offset"] != f["size"]]
                   for name in file_sources()}
            fail("catch-up", f"{what}: weir did not catch up within {CATCHUP_S:.0f} s "
                 f"({RULE_FILE} {tot}, want {want_total}); files behind: {lag}")
            return v, False
        time.sleep(0.5)


def not_tailed(v):
    """Files on disk that weir's paths name but that it does not list (a
    hint when lines are missing): each live file, and every app.log* of
    the rename kind."""
    out = []
    for k in KINDS:
        listed = set(v.files.get(source_name(k), {}))
        paths = [live_path(k)]
        if k == "rename":
            paths = [e.path for e in os.scandir(kind_dir(k)) if e.name.startswith("app.log")]
        for p in paths:
            try:
                st = os.stat(p)
            except OSError:
                continue
            if st.st_ino not in listed and st.st_size:
                out.append(f"{p} (inode {st.st_ino}, {st.st_size:,} bytes)")
    return out


def check_bounded(lives):
    """RSS and fds: within each lifetime long enough (after WARMUP_S, the max
    of the last third vs the max of the first third), and across lifetimes
    (each one's steady max: the last third of them vs the first third)."""
    rows = []
    steady = []
    mb = RSS_MB * 1024
    for life in lives:
        if not life.samples:
            continue
        s = [x for x in life.samples if x[0] - life.t_ready >= WARMUP_S]
        steady.append((life, max(x[1] for x in (s or life.samples)),
                       max(x[2] for x in (s or life.samples))))
        if len(s) >= 6:
            n = len(s) // 3
            r1, r3 = max(x[1] for x in s[:n]), max(x[1] for x in s[-n:])
            f1, f3 = max(x[2] for x in s[:n]), max(x[2] for x in s[-n:])
            rows.append((life.gen, r1, r3, f1, f3))
            if r3 > r1 * (1 + RSS_PCT / 100) + mb:
                fail("rss", f"weir #{life.gen} (pid {life.pid}): RSS grew from {r1 / 1024:.1f} MiB "
                     f"(max, first third) to {r3 / 1024:.1f} MiB (max, last third); margin "
                     f"{RSS_PCT:.0f}% + {RSS_MB:.0f} MB")
            if f3 > f1 + FD_MARGIN:
                fail("fds", f"weir #{life.gen} (pid {life.pid}): open fds grew from {f1} "
                     f"(first third) to {f3} (last third); margin +{FD_MARGIN}")
    if len(steady) >= 3:
        n = len(steady) // 3
        r1 = max(x[1] for x in steady[:n])
        r3 = max(x[1] for x in steady[-n:])
        f1 = max(x[2] for x in steady[:n])
        f3 = max(x[2] for x in steady[-n:])
        if r3 > r1 * (1 + RSS_PCT / 100) + mb:
            fail("rss", f"across lifetimes: steady RSS grew from {r1 / 1024:.1f} MiB (first "
                 f"third of the lifetimes) to {r3 / 1024:.1f} MiB (last third)")
        if f3 > f1 + FD_MARGIN:
            fail("fds", f"across lifetimes: open fds grew from {f1} (first third of the "
                 f"lifetimes) to {f3} (last third)")
        rows.append(("across", r1, r3, f1, f3))
    return rows


def sanitizer_reports(lives):
    for life in lives:
        try:
            text = open(life.errpath, "rb").read().decode("utf-8", "replace")
        except OSError:
            continue
        for m in SANITIZER_MARKERS:
            at = text.find(m)
            if at >= 0:
                lo = text.rfind("\n", 0, max(0, at - 200)) + 1
                fail("sanitizer", f"weir #{life.gen} (pid {life.pid}, {life.end}): {m!r} in "
                     f"{life.errpath}:\n{text[lo:lo + 3000]}")
                break


def stderr_warnings(lives, limit=12):
    """weir's warnings and errors (not info), for the evidence."""
    out = []
    for life in lives:
        try:
            for ln in open(life.errpath, "rb").read().decode("utf-8", "replace").splitlines():
                if " weir: warn" in ln or " weir: error" in ln:
                    out.append(f"#{life.gen}: {ln}")
        except OSError:
            pass
    return out[:limit], len(out)


# --- main --------------------------------------------------------------------


def setup():
    global WORK
    if not os.access(WEIR_BIN, os.X_OK):
        raise Setup(f"no weir binary at {WEIR_BIN} (make; or set WEIR_BIN)")
    if ("udp" in LOADS or "tcp" in LOADS) and not os.access(SENDER, os.X_OK):
        raise Setup(f"no syslog sender at {SENDER} (make build/release/bench/syslog_send; "
                    "or set SOAK_SENDER)")
    if any(k in KINDS for k in ("rename", "copytruncate")) and not os.access(LOGROTATE, os.X_OK):
        raise Setup(f"no logrotate at {LOGROTATE} (scripts/deps.sh test installs it)")
    if not os.path.isdir(BASE_DIR) or not os.access(BASE_DIR, os.W_OK):
        raise Setup(f"{BASE_DIR} is not a writable directory")
    WORK = tempfile.mkdtemp(prefix="weir-soak.", dir=BASE_DIR)
    os.makedirs(os.path.join(WORK, "state"))
    token = "soak-" + os.urandom(12).hex()
    with open(os.path.join(WORK, "token"), "w") as f:
        f.write(token + "\n")
    PORTS["udp"], PORTS["tcp"], PORTS["stall"] = free_ports(3)
    for k in KINDS:
        os.makedirs(kind_dir(k))
        if k == "symlink":
            open(os.path.join(kind_dir(k), "log.0"), "wb").close()
            os.symlink("log.0", live_path(k))
        else:
            open(live_path(k), "wb").close()
    write_config(0)
    return token


def run():
    token = setup()
    ctx = mp.get_context("fork")
    say(f"weir soak: {SECONDS:.0f} s, {WEIR_BIN}" + (f" ({SANITIZER})" if SANITIZER else ""))
    say(f"  load: {','.join(LOADS)}; rotations: {','.join(KINDS) or 'none'} every ~{ROTATE_S:g} s; "
        f"files {FILE_RATE:,} lines/s by {WRITERS * len(KINDS)} writers; kill -9 every "
        f"{KILL_S:.0f} s; reload every {RELOAD_S:g} s")
    say(f"  work dir {WORK}; syslog udp:{PORTS['udp']} tcp:{PORTS['tcp']} stall:{PORTS['stall']}")

    # Writers fork before any thread starts.
    wstop = ctx.Event()
    writers, gens = [], {}
    rate = FILE_RATE / max(1, WRITERS * len(KINDS))
    for k in KINDS:
        gens[k] = ctx.Value("q", 0, lock=False)
        for _ in range(WRITERS):
            writers.append(Writer(ctx, len(writers), k, rate, gens[k], wstop))
    for wr in writers:
        wr.proc.start()

    t_start = time.monotonic()
    try:
        W.start()
    except StartFailed as e:
        raise Setup(f"weir did not start: {e}\n{tail(e.life.errpath)}")
    threads = [MON]
    rotators = [Rotator(k, [wr for wr in writers if wr.kind == k], gens[k]) for k in KINDS]
    threads += rotators
    sysl = Syslog() if ("udp" in LOADS or "tcp" in LOADS) else None
    stall = Stall() if "stall" in LOADS and STALL_CONNS > 0 else None
    hammers = [Hammer(i) for i in range(HTTP_CLIENTS)] if "http" in LOADS else []
    sse = SseIdle() if "sse" in LOADS and SSE_IDLE > 0 else None
    reader = SseReader() if "sse" in LOADS else None
    slow = [SlowHttp(i) for i in range(SLOW_HTTP)] if "slowhttp" in LOADS else []
    reloader = Reloader(token) if "reload" in LOADS else None
    threads += [t for t in (sysl, stall, sse, reader, reloader) if t] + hammers + slow
    for t in threads:
        t.start()

    kills, crashes = 0, 0
    t_load_end = t_start + SECONDS
    next_kill = t_start + KILL_S if "kill" in LOADS else float("inf")
    next_sample = next_report = time.monotonic()
    while time.monotonic() < t_load_end and not ERRORS:
        now = time.monotonic()
        life = W.life
        if life and life.proc.poll() is not None and not life.dying:
            dead = W.died()
            crashes += 1
            fail("crash", f"weir #{dead.gen} (pid {dead.pid}) exited by itself with "
                 f"{dead.rc}:\n{tail(dead.errpath)}")
            if crashes >= 3 or not restart():
                break
            continue
        if now >= next_sample and life and life.ready:
            x = proc_rss_fds(life.pid)
            if x:
                life.samples.append((now, x[0], x[1]))
            next_sample = now + SAMPLE_S
        if now >= next_kill:
            next_kill += KILL_S
            if now < t_load_end - 1:
                dead = W.life
                if not restart(kill=True):
                    break
                kills += 1
                say(f"  {now - t_start:5.0f} s  kill -9 weir #{dead.gen} (pid {dead.pid}, "
                    f"up {dead.t_end - dead.t0:.0f} s); restarted as #{W.gen}")
        if now >= next_report:
            next_report = now + max(10.0, SECONDS / 20)
            v = MON.view
            wrote = sum(wr.written.value for wr in writers)
            say(f"  {now - t_start:5.0f} s  written {wrote:,}, counted "
                f"{(v.totals.get(RULE_FILE, 0) if v else 0):,}, rotations "
                f"{sum(r.rotations for r in rotators)}, kills {kills}, syslog rounds "
                f"{sysl.rounds if sysl else 0}, http ok {sum(h.ok for h in hammers):,}")
        time.sleep(0.1)
    t_load = time.monotonic() - t_start

    # Stop the load: rotators first (they may hold writers' locks), then writers.
    STOP.set()
    for t in threads:
        t.join(120 * SLOW)
        if t.is_alive():
            ERRORS.append(f"thread {t.name} did not stop")
    wstop.set()
    for wr in writers:
        wr.proc.join(30)
        if wr.proc.is_alive():
            wr.proc.kill()
            ERRORS.append(f"writer {wr.w} did not stop")
        if wr.err.value:
            ERRORS.append(f"writer {wr.w}: {wr.err.value.decode(errors='replace')}")
    written = {k: sum(wr.written.value for wr in writers if wr.kind == k) for k in KINDS}
    total_written = sum(written.values())
    if ERRORS:
        return report_errors()
    if W.life is None and not restart():
        return finish(None)

    # Catch up, count, stop cleanly, restart, count again, stop cleanly.
    api = Api()
    say(f"  {time.monotonic() - t_start:5.0f} s  load stopped; waiting for weir to catch up")
    v, _ = catch_up(api, total_written, "after the load")
    counted = {k: (v.totals.get(f"file_{k}") if v else None) for k in KINDS}
    total_counted = v.totals.get(RULE_FILE) if v else None
    if v and total_counted != total_written:
        fail("files", f"{RULE_FILE} counted {total_counted:,} lines, the writers wrote "
             f"{total_written:,}: difference {total_counted - total_written:+,}")
    for k in KINDS:
        if v and counted[k] != written[k]:
            fail("files", f"k={k}: counted {counted[k]:,}, written {written[k]:,}: "
                 f"difference {counted[k] - written[k]:+,}")
    missing = not_tailed(v) if v else []
    end_sources = v.sources if v else {}
    by_epoch = counted_by_epoch(api) if v else {}
    api.close()
    restart_total = None
    if W.life is None or W.life.proc.poll() is not None:
        fail("exit", "weir was not running at the end")
        return finish(None)
    check_exit(W.sigterm())
    try:
        if total_counted is None:
            raise StartFailed(None, "skipped: nothing to compare with")
        W.start()
        v2, _ = catch_up(api, total_counted, "after a clean restart")
        restart_total = v2.totals.get(RULE_FILE) if v2 else None
        if v2 and restart_total != total_counted:
            fail("files", f"after a clean restart {RULE_FILE} is {restart_total:,}, before it "
                 f"was {total_counted:,}: difference {restart_total - total_counted:+,}")
        api.close()
        check_exit(W.sigterm())
    except StartFailed as e:
        if e.life:
            fail("start", f"restart after the clean stop: {e}\n{tail(e.life.errpath)}")
    t_all = time.monotonic() - t_start
    return finish(dict(t_load=t_load, t_all=t_all, written=written, counted=counted,
                       total_written=total_written, total_counted=total_counted,
                       restart_total=restart_total, kills=kills, crashes=crashes,
                       rotators=rotators, sysl=sysl, stall=stall, hammers=hammers, sse=sse,
                       reader=reader, slow=slow, reloader=reloader, missing=missing,
                       end_sources=end_sources, writers=len(writers), by_epoch=by_epoch,
                       written_by_epoch={k: merge_epochs(wr.epochs() for wr in writers
                                                         if wr.kind == k) for k in KINDS}))


def restart(kill=False):
    """(kill -9 and) start weir again, between syslog rounds. False if it
    did not come up (a failure) or a round would not end (an error)."""
    KILL_PENDING.set()
    try:
        if not ROUND_LOCK.acquire(timeout=300 * SLOW):
            ERRORS.append("a syslog round held its lock for 300 s")
            return False
        try:
            if kill:
                W.kill9()
            W.start()
            return True
        except StartFailed as e:
            fail("start", f"weir #{e.life.gen}: {e}\n{tail(e.life.errpath)}")
            return False
        finally:
            ROUND_LOCK.release()
    finally:
        KILL_PENDING.clear()


def merge_epochs(dicts):
    out = {}
    for d in dicts:
        for e, n in d.items():
            out[e] = out.get(e, 0) + n
    return out


def counted_by_epoch(api):
    """{kind: ({epoch: count}, bound)} from each file_KIND rule's since-start
    top (exact while bound is 0)."""
    out = {}
    for k in KINDS:
        try:
            _, r = api.json(f"/api/v1/rules/file_{k}")
        except (Down, OSError, http.client.HTTPException, ValueError):
            continue
        top = r.get("top") or {}
        out[k] = ({int(i["value"]): i["count"] for i in top.get("items", [])},
                  top.get("bound", 0))
    return out


def evidence(f):
    """For each kind whose count is off: the epochs that differ, what happened
    during them, and what weir logged about that kind's files."""
    for k in KINDS:
        c, w = f["counted"].get(k), f["written"].get(k)
        if c is None or c == w:
            continue
        counts, bound = f["by_epoch"].get(k, ({}, None))
        wrote = f["written_by_epoch"].get(k, {})
        say(f"\nevidence for k={k} (counted {c:,}, written {w:,}, difference {c - w:+,}):")
        if bound:
            say(f"  (per-epoch counts are approximate: Space-Saving bound {bound})")
        starts = {}
        for t, what in EVENTS:
            m = re.match(rf"{k}: .*; epoch (\d+) begins", what)
            if m:
                starts[int(m.group(1))] = t
        bad = [(e, wrote.get(e, 0), counts.get(e, 0)) for e in sorted(set(wrote) | set(counts))
               if wrote.get(e, 0) != counts.get(e, 0)]
        for e, n_w, n_c in bad[:8]:
            t0 = starts.get(e, 0.0)
            t1 = starts.get(e + 1, float("inf"))
            say(f"  epoch {e}: written {n_w:,}, counted {n_c:,} ({n_c - n_w:+,}); "
                f"{t0:.1f} s to {t1:.1f} s; the epoch and the 2 s after it:")
            for t, what in EVENTS:
                if t0 - 0.05 <= t <= t1 + 2 and (what.startswith(("kill", "weir"))
                                                  or what.startswith(k + ":")):
                    say(f"    {t:7.1f} s  {what}")
        if len(bad) > 8:
            say(f"  ... {len(bad) - 8} more epochs differ")
        net = sum(n_c - n_w for _, n_w, n_c in bad)
        say(f"  {len(bad)} epochs differ: {sum(1 for x in bad if x[2] > x[1])} over-counted, "
            f"{sum(1 for x in bad if x[2] < x[1])} under-counted, net {net:+,}")
        # What weir said about this kind's files, but for the routine
        # "shrank ... reading from 0" of every copytruncate: where each
        # lifetime resumed, re-reads, and its warnings.
        hints = []
        for life in W.lives:
            try:
                text = open(life.errpath, "rb").read().decode("utf-8", "replace")
            except OSError:
                continue
            for ln in text.splitlines():
                if kind_dir(k) in ln and " shrank to " not in ln and re.search(
                        r"from offset [1-9]|reuses|from 0|lost|skip|gone|cannot|error|warn", ln):
                    hints.append(f"#{life.gen}: {ln}")
        if hints:
            say(f"  weir's log about {k}/ (routine truncations left out; {len(hints)} lines, "
                f"the first 16):")
            for h in hints[:16]:
                say("    " + h[:300])


def check_exit(life):
    err = open(life.errpath, "rb").read().decode("utf-8", "replace")
    if life.rc != 0:
        fail("exit", f"weir #{life.gen} (pid {life.pid}) exited with {life.rc} at SIGTERM "
             f"(want 0):\n{tail(life.errpath)}")
    elif "stopped cleanly" not in err:
        fail("exit", f"weir #{life.gen}: no 'stopped cleanly' in its stderr:\n{tail(life.errpath)}")


def report_errors():
    say(f"\n{PROG}: the soak itself broke (not a verdict on weir):")
    for e in ERRORS:
        say("  " + e)
    for c, m in FAILS:
        say(f"  (and failed check [{c}] {m.splitlines()[0][:300]})")
    return 2


def finish(fig):
    lives = W.lives
    sanitizer_reports(lives)
    rows = check_bounded(lives)
    if fig:
        table(fig, rows)
        evidence(fig)
    warns, nwarn = stderr_warnings(lives)
    if warns:
        say(f"\nweir's warnings and errors ({nwarn} in all, first {len(warns)}):")
        for w in warns:
            say("  " + w[:300])
    say("")
    if FAILS:
        say(f"soak: FAIL - {len(FAILS)} failed check(s):")
        for c, m in FAILS:
            say(f"  [{c}] {m.splitlines()[0][:400]}")
        return 1
    say(f"soak: PASS - {fig['total_written']:,} lines written and counted once, "
        f"{fig['kills']} kill -9s, bounded RSS and fds, clean exits")
    return 0


def table(f, rows):
    def line(k, v):
        say(f"  {k:<26} {v}")

    rot = {r.kind: r for r in f["rotators"]}
    say("\nsoak figures" + (f" ({SANITIZER})" if SANITIZER else " (release)"))
    line("duration", f"{f['t_load']:.0f} s of load, {f['t_all']:.0f} s in all")
    line("file lines written", f"{f['total_written']:,} ({f['writers']} writers)")
    tc = f["total_counted"]
    line("file lines counted", f"{tc:,} (difference {tc - f['total_written']:+,})"
         if tc is not None else "unknown")
    for k in KINDS:
        c = f["counted"][k]
        line(f"  k={k}", f"written {f['written'][k]:,}, counted {c:,} "
             f"(difference {c - f['written'][k]:+,})" if c is not None else "unknown")
    if f["restart_total"] is not None:
        line("after a clean restart", f"{f['restart_total']:,}")
    line("restarts", f"{f['kills']} after kill -9, {f['crashes']} after a crash")
    line("rotations", ", ".join(
        f"{k} {r.rotations}" + (f" ({r.skipped} skipped)" if r.skipped else "")
        for k, r in rot.items()) or "none")
    line("rotated files removed", ", ".join(f"{k} {r.removed}" for k, r in rot.items()
                                           if k in ("rename", "symlink")) or "none")
    if "copytruncate" in rot:
        r = rot["copytruncate"]
        line("copytruncate while behind", f"{r.behind_events} times, at most "
             f"{r.behind_lines:,} lines only in the copy")
    rl = f["reloader"]
    if rl:
        confirmed = sum(open(l.errpath, "rb").read().count(b"SIGHUP: reloading")
                        for l in W.lives)
        line("reloads", f"{rl.sighup} SIGHUP ({confirmed} logged), {rl.post} POST "
             f"({rl.post_ok} answered 200)")
    s = f["sysl"]
    if s:
        u, t = s.udp, s.tcp
        line("syslog rounds", f"{s.rounds}")
        line("UDP", f"sent {u['sent']:,} (incl. {u['marks']} markers), received "
             f"{u['received']:,}, dropped_kernel {u['dropped_kernel']:,}, dropped_full "
             f"{u['dropped_full']:,}, counted {u['counted']:,}")
        line("TCP", f"sent {t['sent']:,} ({t['mixed']:,} mixed framing, {t['bad']:,} with an "
             f"invalid octet count), received {t['received']:,}, counted {t['counted']:,}, "
             f"framing_errors {t['framing_errors']:,}")
    if f["stall"]:
        line("stalled TCP clients", f"{f['stall'].opened} opened ({STALL_CONNS} at once), "
             f"{f['stall'].closed_by_weir} closed by weir")
    hs = f["hammers"]
    if hs:
        line("HTTP requests served", f"{sum(h.ok for h in hs):,} by {len(hs)} clients, slowest "
             f"{max(h.max_s for h in hs):.2f} s; monitor polls {MON.polls:,}")
    if f["sse"]:
        line("SSE clients", f"{f['sse'].opened} that never read ({SSE_IDLE} at once); reader: "
             f"{f['reader'].events:,} events over {f['reader'].connects} connections, longest "
             f"gap {f['reader'].max_gap:.1f} s")
    if f["slow"]:
        sl = f["slow"]
        line("slow HTTP clients", f"{sum(x.started for x in sl)} started, "
             f"{sum(x.answered for x in sl)} answered, {sum(x.cut for x in sl)} closed by weir, "
             f"{sum(x.killed for x in sl)} cut short by a kill -9 or the end")
    line("largest lag seen", f"{MON.max_lag:,} bytes")
    say("  per lifetime: #  pid      up s  end       exit  RSS MiB min-max   fds min-max")
    for l in W.lives:
        up = (l.t_end or time.monotonic()) - l.t0
        rss = (f"{min(x[1] for x in l.samples) / 1024:7.1f}-{max(x[1] for x in l.samples) / 1024:<7.1f}"
               if l.samples else "      -        ")
        fds = (f"{min(x[2] for x in l.samples)}-{max(x[2] for x in l.samples)}"
               if l.samples else "-")
        say(f"               {l.gen:<2} {l.pid:<8} {up:5.0f}  {l.end or '-':<9} "
            f"{'-' if l.rc is None else l.rc:<5} {rss}  {fds}")
    for r in rows:
        say(f"  bounded {('#' + str(r[0])) if r[0] != 'across' else 'across lifetimes':<17} RSS max "
            f"{r[1] / 1024:.1f} -> {r[2] / 1024:.1f} MiB, fds max {r[3]} -> {r[4]} "
            f"(first third -> last third)")
    if f["missing"]:
        say("  on disk, not tailed: " + "; ".join(f["missing"][:10]))
    for name in file_sources():
        s = f["end_sources"].get(name)
        if s:
            line(f"weir {name}", f"lines {s['lines']:,}, rotations {s['rotations']}, "
                 f"truncations {s['truncations']}, files_closed {s['files_closed']}, "
                 f"errors {s['errors']}, files_open {s['files_open']}")
    exits = [str(l.rc) for l in W.lives if l.end == "SIGTERM"]
    line("exit status at SIGTERM", ", ".join(exits) or "none")


def on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    # Explicitly: a shell that starts us in the background ignores SIGINT.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    # A hard bound on the whole run, whatever hangs.
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(int(SECONDS * 2 + 3 * CATCHUP_S + 600 * SLOW))
    rc = 2
    try:
        rc = run()
    except Setup as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        rc = 2
    except KeyboardInterrupt as e:
        print(f"{PROG}: interrupted ({str(e) or 'SIGINT'})", file=sys.stderr)
        rc = 130
    finally:
        STOP.set()
        signal.alarm(0)
        life = W.life
        if life and life.proc.poll() is None:
            life.dying = True
            life.proc.kill()
        kill_all()
        for p in mp.active_children():
            p.kill()
        for p in mp.active_children():
            p.join(5)
        if WORK:
            # Kept after a failure (without the log files themselves, unless
            # SOAK_KEEP=1): weir's stderr, config, state, per-epoch counts.
            if KEEP == "1":
                say(f"{PROG}: kept {WORK}")
            elif KEEP != "0" and rc in (1, 2) and W.lives:
                shutil.rmtree(os.path.join(WORK, "logs"), ignore_errors=True)
                say(f"{PROG}: kept {WORK}: weir*.stderr, weir.yaml, state/, writer*.json "
                    "(SOAK_KEEP=1 keeps the logs too)")
            else:
                shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
