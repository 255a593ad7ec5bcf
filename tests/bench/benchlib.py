"""benchlib.py - what weir's Python benchmarks (tail.py, syslog.py) share.

The knobs both read from the environment, child processes that never outlive
the benchmark, the bench rule-pack format, `weir serve` as a child with its
HTTP API, and the frame of a run: the header, the work directory in
BENCH_DIR, BENCH_RESULTS and the exit status. Not a script: each benchmark
imports it from its own directory. Standard library only.

Messages name the script that runs (`tail.py: ...`), not this module.
"""

import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PROG = os.path.basename(sys.argv[0])  # the benchmark's name, for its messages
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# --- knobs -------------------------------------------------------------------


def env(name, default, conv=str):
    """The knob `name` from the environment (default when unset or empty),
    converted by conv; a value conv rejects ends the benchmark (exit 2)."""
    v = os.environ.get(name)
    v = default if v is None or v == "" else v
    try:
        return conv(v)
    except ValueError:
        print(f"{PROG}: {name}={v!r} is not valid", file=sys.stderr)
        sys.exit(2)


def ints(s):
    """1,100,1000."""
    return [int(x) for x in s.split(",")]


def count(v):
    """5000000, 5e6, 2M, 500k."""
    v = v.strip()
    mult = {"k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6}.get(v[-1:], None)
    n = float(v[:-1]) * mult if mult else float(v)
    if n < 0:
        raise ValueError(v)
    return int(n)


WEIR_BIN = env("WEIR_BIN", os.path.join(ROOT, "build/release/weir"))
BENCH_BIN = env("BENCH_BIN", os.path.join(ROOT, "build/release/bench"))
BENCH_DIR = env("BENCH_DIR", "/dev/shm")
BENCH_SEED = env("BENCH_SEED", "1", int)
RESULTS = env("BENCH_RESULTS", "")
DEFAULT_PACK = os.path.join(HERE, "rules50.yaml")
# A realistic handful from rules50.yaml: access log, sshd, sudo, kernel,
# systemd, and one caseless catch-all. "all" takes the whole pack.
DEFAULT_RULES = ("http_5xx,http_404,wp_probe,ua_bot,slow_request,ssh_failed_password,"
                 "sudo_command,oom_killer,systemd_failed,errors")

POLL_S = 0.010  # progress poll period
STALL_S = 30.0  # no progress for this long = failure
START_S = 30.0  # a receiver's start-up, until it is ready

LISTEN_RE = re.compile(r"http: listening on http://127\.0\.0\.1:(\d+)/")


class Setup(Exception):
    """A problem with the environment or the baseline, not with weir: exit 2."""


class Fail(Exception):
    """A run that failed (timeout, crash, wrong count): exit 1 if it is weir's."""


def say(*a):
    print(*a, flush=True)


# --- child processes: never outlive the benchmark --------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_children = []


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def spawn(argv, **kw):
    """subprocess.Popen(argv, **kw), for a child that dies with this process
    and that kill_all() kills."""
    p = subprocess.Popen(argv, preexec_fn=_die_with_parent, **kw)
    _children.append(p)
    return p


def stop(p, sig=signal.SIGTERM, grace=10.0):
    """Signal p and wait; SIGKILL after grace seconds. Returns its exit code."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in _children:
        _children.remove(p)
    return p.returncode


def communicate(p, timeout=None):
    """p.communicate() for a child that ends on its own; (stdout, stderr).
    On a timeout p is still running, and kill_all() still kills it."""
    out = p.communicate(timeout=timeout)
    _children.remove(p)
    return out


def kill_all():
    for p in list(_children):
        if p.poll() is None:
            p.kill()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
    _children.clear()


def _on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# --- small helpers -----------------------------------------------------------


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 24)
            if not b:
                return n
            n += b.count(b"\n")


def tail_text(path, nlines=15):
    """The last nlines of a log file, indented, for failure messages."""
    try:
        text = open(path, "rb").read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join("    | " + x for x in text.splitlines()[-nlines:])


# --- rules -----------------------------------------------------------------


def load_pack(path):
    """The bench rule-pack format (tests/bench/README.md): returns [{name, match, caseless}]."""
    rules, cur = [], None
    for no, raw in enumerate(open(path, encoding="ascii"), 1):
        s = raw.strip()
        if not s or s.startswith("#") or s == "rules:":
            continue
        if s.startswith("- "):
            cur = {}
            rules.append(cur)
            s = s[2:].strip()
        if cur is None:
            raise Setup(f"{path}:{no}: the bench parser reads only a `rules:` list")
        key, sep, val = s.partition(":")
        val = val.strip()
        if not sep or key not in ("name", "match", "caseless") or key in cur:
            raise Setup(f"{path}:{no}: the bench parser knows name, match, caseless, once each")
        if val.startswith("'"):
            if len(val) < 2 or not val.endswith("'"):
                raise Setup(f"{path}:{no}: unterminated single-quoted value")
            val = val[1:-1].replace("''", "'")
        cur[key] = val
    out = [{"name": r["name"], "match": r["match"], "caseless": r.get("caseless") == "true"}
           for r in rules]
    if not out:
        raise Setup(f"{path}: no rules")
    return out


def pick_rules(pack, names, knob):
    """The rules of the pack file pack named in names (comma-separated, in
    that order; "all": every rule); knob is the setting names came from."""
    rules = load_pack(pack)
    if names == "all":
        return rules
    by = {r["name"]: r for r in rules}
    want = [n.strip() for n in names.split(",") if n.strip()]
    missing = [n for n in want if n not in by]
    if missing:
        raise Setup(f"{knob}: not in {pack}: {', '.join(missing)}")
    return [by[n] for n in want]


def yq(s):
    return "'" + str(s).replace("'", "''") + "'"


def rules_yaml(rules):
    """weir config lines for rules: match rules (name, match, caseless) and
    rules on parsed fields (name, where: a YAML flow mapping)."""
    out = ["rules:"]
    for r in rules:
        out.append(f"  - name: {r['name']}")
        if "where" in r:
            out.append(f"    where: {r['where']}")
        else:
            out.append(f"    match: {yq(r['match'])}")
        if r.get("caseless"):
            out.append("    caseless: true")
    return out


# --- weir serve ------------------------------------------------------------


class WeirServe:
    """weir serve in a fresh directory under work: a config with an API on
    127.0.0.1 (any free port), a state_dir, the sources_yaml lines, the rules
    and tuning tick_ms (None: weir's default); stderr goes to a file. The API
    is read on one keep-alive connection once wait_listening() has its port."""

    def __init__(self, work, tag, sources_yaml, rules, tick_ms):
        self.dir = tempfile.mkdtemp(prefix=f"weir-{tag}.", dir=work)
        os.makedirs(os.path.join(self.dir, "state"))
        self.cfg = os.path.join(self.dir, "weir.yaml")
        self.log = os.path.join(self.dir, "stderr.log")
        lines = ["listen: 127.0.0.1:0", f"state_dir: {yq(os.path.join(self.dir, 'state'))}"]
        lines += sources_yaml
        lines += rules_yaml(rules)
        if tick_ms is not None:
            lines.append(f"tuning: {{tick_ms: {tick_ms}}}")
        with open(self.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.errf = open(self.log, "wb")
        self.proc = spawn([WEIR_BIN, "serve", "-c", self.cfg], stdin=subprocess.DEVNULL,
                          stdout=self.errf, stderr=self.errf)
        self.api_port = None
        self.conn = None

    def stderr(self):
        """weir's last lines on stderr, for failure messages."""
        return tail_text(self.log)

    def fail(self, msg):
        raise Fail(f"{msg}\n  weir stderr (last lines):\n{self.stderr()}")

    def check_alive(self):
        if self.proc.poll() is not None:
            self.fail(f"weir exited with status {self.proc.returncode}")

    def wait_listening(self, timeout):
        """Until weir logs the API's port (it listens on port 0)."""
        end = time.monotonic() + timeout
        while True:
            self.check_alive()
            m = LISTEN_RE.search(open(self.log, "rb").read().decode("utf-8", "replace"))
            if m:
                self.api_port = int(m.group(1))
                return
            if time.monotonic() > end:
                self.fail(f"weir did not log 'http: listening on' within {timeout:.0f} s")
            time.sleep(0.02)

    def get(self, path):
        """GET path on a keep-alive connection; returns (status, parsed JSON)."""
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.api_port,
                                                           timeout=10)
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, json.loads(body)
            except (OSError, http.client.HTTPException, ValueError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                self.check_alive()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def snapshot(self):
        """The snapshot, or None before the first one (503)."""
        st, body = self.get("/api/v1/snapshot")
        if st == 503:
            return None
        if st != 200:
            self.fail(f"GET /api/v1/snapshot: HTTP {st}: {body}")
        return body

    def close(self):
        """Stop weir (SIGTERM) and remove its directory; returns its exit code."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        rc = stop(self.proc)
        self.errf.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


# --- the run -----------------------------------------------------------------


def machine():
    """CPUs, CPU model and kernel, for the header."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), "?")
    return f"{os.cpu_count()} CPUs ({cpu}), {os.uname().release}"


def check_bench_dir(need, why):
    """Setup unless BENCH_DIR is a writable directory with need bytes free;
    why ends the message that says so."""
    if not os.path.isdir(BENCH_DIR) or not os.access(BENCH_DIR, os.W_OK):
        raise Setup(f"{BENCH_DIR} is not a writable directory")
    st = os.statvfs(BENCH_DIR)
    if st.f_bavail * st.f_frsize < need:
        raise Setup(f"{BENCH_DIR} has {st.f_bavail * st.f_frsize:,} bytes free; "
                    f"about {need:,} are needed {why}")


def workdir(name):
    """A fresh work directory in BENCH_DIR, for every file of the run."""
    return tempfile.mkdtemp(prefix=f"weir-{name}bench.", dir=BENCH_DIR)


def cleanup(work, results):
    """The end of a run, however it ends: kill every child, remove work, and
    write results as JSON to BENCH_RESULTS if it is set."""
    kill_all()
    shutil.rmtree(work, ignore_errors=True)
    if RESULTS:
        with open(RESULTS, "w") as f:
            json.dump(results, f, indent=1)


def run_main(main, parts, usage):
    """The benchmark's body: main(what) runs what, "all" (the default) or one
    of parts, and returns the exit status. Another argument prints usage and
    exits 2, and so does Setup; SIGINT, SIGTERM and SIGHUP exit 130. Each says
    why on stderr, and no child outlives it."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what != "all" and what not in parts:
        print(usage, file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(what))
    except Setup as e:
        kill_all()
        print(f"{PROG}: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as e:
        kill_all()
        print(f"{PROG}: interrupted ({str(e) or 'SIGINT'})", file=sys.stderr)
        sys.exit(130)
