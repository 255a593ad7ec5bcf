#!/usr/bin/python3
"""api.py - weir's HTTP API under load (issue 7): wrk against the snapshot
and /metrics, alone and while weir ingests at full speed.

  tests/bench/api.py [all|alone|ingest]      (default: all; run.sh runs it)

Both parts run `weir serve` with 100 rules over the corpus of gen (90
count-only rules: all of rules50.yaml and 40 of rules1000.yaml; 10 with
value:, top: or distinct: on named captures - the corpus is raw text, a mix
of access-log and syslog lines), default windows and tick, 2 workers, the
API on a free port of 127.0.0.1 and a fresh state_dir in BENCH_DIR.

alone   weir has read a small corpus (BENCH_API_ALONE_BYTES, 16 MiB) and
        only serves. `wrk -t2 -c50 -d10s --latency` (BENCH_API_THREADS,
        BENCH_API_CONNS, BENCH_API_SECONDS) on /api/v1/snapshot, then on
        /metrics, alternately, BENCH_RUNS (3) times each; the run with the
        most requests/s of each counts. Requests/s and the 99th percentile
        latency from wrk's --latency output. A weir whose /metrics answers
        404 (not in this binary yet) has that row skipped, not passed.
        Bars: snapshot >= BENCH_API_RPS_BAR (20,000) requests/s and p99 <=
        BENCH_API_P99_BAR (10) ms, with no errors.
ingest  weir reads a corpus (BENCH_API_BYTES, 1 GiB: about 10 s or more of
        ingest on 2 cores) from its beginning with a fresh state, once
        alone and once with wrk hammering /api/v1/snapshot for the whole
        ingest, alternately, BENCH_RUNS times each, the best of each.
        Throughput is records/s from the snapshot's ingest.records, polled
        every 0.5 s, between the snapshots (their own time_ms) that first
        show 10% and 90% of the corpus. Loss = 1 - with / without. Bar:
        loss <= BENCH_API_LOSS_BAR (0.10). wrk's requests/s and p99 during
        the ingest are reported.

wrk sends Accept-Encoding: gzip as real clients do (BENCH_API_GZIP=0: plain
bodies); weir's HTTP threads run at its default nice 19, or at
BENCH_API_HTTP_NICE (written as `http: {nice: N}` in weir's config).

Every run also shows the CPU each side used (weir's threads by kind: HTTP
(MHD), workers, aggregator, ingest; wrk) and the share of the machine other
processes used meanwhile (busy), as scan.py does; before each run the
benchmark waits for a quiet machine (BENCH_QUIET, BENCH_QUIET_WAIT).

Standard library only; needs wrk (Debian package wrk; scripts/deps.sh bench).
See tests/bench/README.md. Exit status: 0 every bar held; 1 a bar was
missed or weir failed (crash, error responses, wrong record count); 2 a
setup problem (missing binary or wrk, no space, a bad knob).
"""

import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (BENCH_BIN, BENCH_DIR, BENCH_SEED, HERE, START_S, WEIR_BIN,  # noqa: E402
                      Fail, Setup, WeirServe, check_bench_dir, count_lines, env, kill_all,
                      load_pack, machine, run_main, say, spawn, stop, workdir, yq)


def size(v):
    """1G, 200M, 64MiB, 1048576: bytes (K/M/G are powers of 1024)."""
    s = v.strip().upper().removesuffix("IB").removesuffix("B")
    m = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    n = int(s[:-1]) * m[s[-1]] if s and s[-1] in m else int(s)
    if n <= 0:
        raise ValueError(v)
    return n


def positive(conv):
    def f(v):
        x = conv(v)
        if x <= 0:
            raise ValueError(v)
        return x
    return f


RUNS = env("BENCH_RUNS", "3", positive(int))
BYTES = env("BENCH_API_BYTES", "1G", size)
ALONE_BYTES = env("BENCH_API_ALONE_BYTES", "16M", size)
SECONDS = env("BENCH_API_SECONDS", "10", positive(int))
THREADS = env("BENCH_API_THREADS", "2", positive(int))
CONNS = env("BENCH_API_CONNS", "50", positive(int))
RPS_BAR = env("BENCH_API_RPS_BAR", "20000", float)
P99_BAR = env("BENCH_API_P99_BAR", "10", float)  # ms
LOSS_BAR = env("BENCH_API_LOSS_BAR", "0.10", float)
WORKERS = env("BENCH_API_WORKERS", "2", positive(int))
TIMEOUT = env("BENCH_API_TIMEOUT", "300", positive(float))
WRK = env("BENCH_API_WRK", "wrk")
# wrk asks for gzip as browsers, curl --compressed and Prometheus do (weir
# compresses each body once per tick); 0: plain bodies.
GZIP = env("BENCH_API_GZIP", "1", lambda v: {"0": False, "1": True}[v])
# weir's `http: nice:` (0..19) for the runs; empty: weir's default (19).
HTTP_NICE = env("BENCH_API_HTTP_NICE", "")
if HTTP_NICE and not (re.fullmatch(r"[0-9]+", HTTP_NICE) and int(HTTP_NICE) <= 19):
    print(f"api.py: BENCH_API_HTTP_NICE={HTTP_NICE!r}: a nice value 0..19", file=sys.stderr)
    sys.exit(2)
QUIET = env("BENCH_QUIET", "0.10", float)
QUIET_WAIT = env("BENCH_QUIET_WAIT", "20", float)
RESULTS = env("BENCH_API_RESULTS", "")

POLL = 0.5  # s between snapshot polls while ingesting
WIN = (0.10, 0.90)  # the share of the corpus between which ingest is timed
NCPU = os.cpu_count() or 1
TCK = os.sysconf("SC_CLK_TCK")
SNAPSHOT, METRICS = "/api/v1/snapshot", "/metrics"


# --- the rules: 90 count-only, 10 on fields -------------------------------------

# Named captures over the raw corpus (access log and syslog lines from
# ingest/loggen.c), the way one reads fields out of a mixed file.
FIELD_RULES = """\
  - name: f_request_time
    match: '" [0-9]{3} [0-9]+ "[^"]*" "[^"]*" (?<rt>[0-9]+\\.[0-9]{3})$'
    value: rt
    unit: s
  - name: f_response_bytes
    match: 'HTTP/[0-9.]+" [0-9]{3} (?<bytes>[0-9]+) '
    value: bytes
    unit: b
  - name: f_slow_requests
    match: '" [0-9]{3} [0-9]+ "[^"]*" "[^"]*" (?<rt>[0-9]+\\.[0-9]{3})$'
    where: {rt: ">0.3"}
    value: rt
    unit: s
  - name: f_top_404_clients
    match: '^(?<ip>[0-9.]+) [^"]*"[^"]*" 404 '
    top: ip
  - name: f_top_paths
    match: '"(GET|POST|PUT|DELETE|HEAD|PATCH) (?<path>[^ ?"]+)[^"]* HTTP/'
    top: path
    top_k: 20
  - name: f_distinct_clients
    match: '^(?<ip>[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+) - '
    distinct: ip
  - name: f_top_user_agents
    match: '" "(?<ua>[^"]*)" [0-9]+\\.[0-9]{3}$'
    top: ua
  - name: f_ssh_failed_by_ip
    match: 'Failed password for (invalid user )?(?<user>[^ ]+) from (?<ip>[^ ]+)'
    top: ip
    distinct: user
  - name: f_sudo_users
    match: 'sudo: +(?<user>[^ ]+) : '
    top: user
  - name: f_ufw_block_sources
    match: '\\[UFW BLOCK\\] .* SRC=(?<src>[0-9.]+) '
    top: src
    distinct: src
"""
N_FIELD_RULES = FIELD_RULES.count("- name:")
N_RULES = 100


def write_rules(path):
    """The 100 rules, as an include file: every rule of rules50.yaml, 40
    of rules1000.yaml (every 24th not already in rules50, deterministic) and
    the 10 field rules. Returns (count-only rules, field rules)."""
    r50 = load_pack(os.path.join(HERE, "rules50.yaml"))
    seen = {r["name"] for r in r50}
    rest = [r for r in load_pack(os.path.join(HERE, "rules1000.yaml")) if r["name"] not in seen]
    plain = r50 + rest[12::24][:N_RULES - N_FIELD_RULES - len(r50)]
    out = ["rules:"]
    for r in plain:
        out += [f"  - name: {r['name']}", f"    match: {yq(r['match'])}"]
        if r["caseless"]:
            out.append("    caseless: true")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n" + FIELD_RULES)
    if len(plain) + N_FIELD_RULES != N_RULES:
        raise Setup(f"the rule set has {len(plain) + N_FIELD_RULES} rules, not {N_RULES}")
    return len(plain), N_FIELD_RULES


# --- measuring -------------------------------------------------------------------


def machine_busy_s():
    """CPU seconds all CPUs have been busy (any process; steal included)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TCK


def own_cpu_s():
    """CPU seconds of (this process, its reaped children)."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime


def others_busy(window=0.5):
    b0 = machine_busy_s()
    time.sleep(window)
    return (machine_busy_s() - b0) / window / NCPU


def wait_quiet():
    """Until other processes use less than QUIET of the CPUs (over half a
    second), at most QUIET_WAIT seconds; returns the seconds waited."""
    t0 = time.monotonic()
    while others_busy() >= QUIET and time.monotonic() - t0 < QUIET_WAIT:
        pass
    return time.monotonic() - t0


def _stat_cpu(path):
    """(comm, utime + stime in seconds) of /proc/.../stat."""
    with open(path) as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    v = s[s.rindex(")") + 2:].split()
    return comm, (int(v[11]) + int(v[12])) / TCK


KINDS = ("http", "workers", "aggregator", "ingest", "other")


def weir_threads(pid, workers):
    """weir's CPU seconds so far by kind of thread, and in all ("total",
    exited threads included). MHD names its threads MHD-*; io_uring's
    helpers are iou-*; the others are weir's, created in this order
    (app/run.c): the workers, the aggregator, the ingest thread."""
    out = dict.fromkeys(KINDS, 0.0)
    try:
        out["total"] = _stat_cpu(f"/proc/{pid}/stat")[1]
        tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except (OSError, ValueError):
        return None
    own = []
    for tid in tids:
        try:
            comm, cpu = _stat_cpu(f"/proc/{pid}/task/{tid}/stat")
        except (OSError, ValueError):
            continue  # it ended meanwhile
        if comm.startswith("MHD"):
            out["http"] += cpu
        elif comm.startswith("iou-"):
            out["ingest"] += cpu
        elif tid == pid:
            out["other"] += cpu  # main: signals, reload
        else:
            own.append(cpu)
    for i, cpu in enumerate(own):
        kind = "workers" if i < workers else ("aggregator", "ingest")[i - workers] \
            if i < workers + 2 else "other"
        out[kind] += cpu
    # threads that exited (io_uring's helpers come and go) are in the total only
    out["other"] += max(out["total"] - sum(out[k] for k in KINDS), 0.0)
    return out


def cpu_delta(a, b):
    if a is None or b is None:
        return None
    return {k: max(b[k] - a[k], 0.0) for k in b}


class Meter:
    """Wall clock, weir's CPU by thread kind, the CPU of children reaped
    meanwhile (wrk), and the CPU the rest of the machine used meanwhile."""

    def __init__(self, weir_pid):
        self.pid = weir_pid
        self.busy0 = machine_busy_s()
        self.self0, self.kids0 = own_cpu_s()
        self.w0 = weir_threads(weir_pid, WORKERS)
        self.t0 = time.monotonic()

    def weir_now(self):
        """weir's CPU (by kind) since the start; read it before weir ends."""
        self.w1 = weir_threads(self.pid, WORKERS)
        return cpu_delta(self.w0, self.w1)

    def stop(self):
        secs = time.monotonic() - self.t0
        me, kids = own_cpu_s()
        weir = cpu_delta(self.w0, self.w1)
        kids -= self.kids0
        me -= self.self0
        others = machine_busy_s() - self.busy0 - kids - me - (weir or {}).get("total", 0.0)
        return dict(seconds=secs, weir_cpu=weir, wrk_cpu_s=kids, self_cpu_s=me,
                    busy=max(others, 0.0) / secs / NCPU)


# --- wrk ---------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def ms(text):
    """wrk's '589.00us', '1.35ms', '2.00s' in milliseconds."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out):
    """requests/s, p50/p90/p99 and max latency (ms), requests, errors
    (non-2xx/3xx responses and socket errors) from `wrk --latency`."""
    r = {}
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    if not m:
        raise ValueError("no Requests/sec")
    r["rps"] = float(m.group(1))
    for q in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        if not m:
            raise ValueError(f"no {q}% latency (--latency)")
        r[f"p{q}_ms"] = ms(m.group(1))
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    r["max_ms"] = ms(m.group(3)) if m else None
    m = re.search(r"^\s+([0-9]+) requests in ([0-9.]+\w+), ([0-9.]+\w+) read", out, re.M)
    r["requests"] = int(m.group(1)) if m else None
    r["read"] = m.group(3) if m else None
    m = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), "
                  r"timeout ([0-9]+)", out)
    r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                  map(int, m.groups()))) if m else {}
    r["errors"] = r["non2xx"] + sum(r["socket_errors"].values())
    return r


def wrk_argv(port, path, seconds):
    return [WRK, f"-t{THREADS}", f"-c{CONNS}", f"-d{seconds}s", "--latency",
            *(["-H", "Accept-Encoding: gzip"] if GZIP else []),
            f"http://127.0.0.1:{port}{path}"]


def wrk_start(port, path, seconds, out_path):
    f = open(out_path, "wb")
    p = spawn(wrk_argv(port, path, seconds), stdin=subprocess.DEVNULL, stdout=f,
              stderr=subprocess.STDOUT)
    f.close()
    return p


def wrk_finish(p, out_path, interrupt=False):
    """Wait for wrk (after SIGINT if interrupt: it then prints its report for
    the time it ran); its parsed report."""
    if interrupt and p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        stop(p, signal.SIGKILL)
        raise Fail("wrk did not end within 30 s of its time")
    stop(p)  # it has ended: this only forgets it
    out = open(out_path, encoding="utf-8", errors="replace").read()
    if p.returncode:
        raise Fail(f"wrk exited {p.returncode}:\n    " + "\n    ".join(out.splitlines()[-8:]))
    try:
        r = parse_wrk(out)
    except ValueError as e:
        raise Fail(f"cannot read wrk's report ({e}):\n{out}")
    r["output"] = out
    return r


# --- weir --------------------------------------------------------------------------


def start_weir(work, tag, corpus, rules_file):
    """weir serve on corpus (read from its beginning), a fresh state_dir,
    the API on a free port; returns the WeirServe once it listens."""
    w = WeirServe(work, tag, ["sources:", f"  - {{name: corpus, type: file, path: {yq(corpus)}, "
                              "start: beginning}", f"tuning: {{workers: {WORKERS}}}",
                              f"include: {yq(rules_file)}",
                              *([f"http: {{nice: {HTTP_NICE}}}"] if HTTP_NICE else [])],
                  [], None)
    w.wait_listening(START_S)
    return w


def raw_get(w, path):
    """(status, body bytes) of GET path on a fresh connection."""
    c = http.client.HTTPConnection("127.0.0.1", w.api_port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        w.check_alive()
        w.fail(f"GET {path}: {e}")
    finally:
        c.close()


def until(w, cond, what, poll=POLL):
    """Poll the snapshot until cond(snapshot); returns the snapshots seen
    (None before the first), the last satisfying cond."""
    seen = []
    t0 = time.monotonic()
    while True:
        snap = w.snapshot()
        seen.append(snap)
        if snap is not None and cond(snap):
            return seen
        if time.monotonic() - t0 > TIMEOUT:
            w.fail(f"{what}: not reached after {TIMEOUT:.0f} s (BENCH_API_TIMEOUT)")
        time.sleep(poll)


def us_per_req(r, kind="total"):
    """weir's CPU microseconds per request wrk completed (its kind of threads)."""
    if not r.get("weir_cpu") or not r.get("requests"):
        return float("nan")
    return r["weir_cpu"][kind] / r["requests"] * 1e6


def cores(cpu_s, secs):
    return cpu_s / secs if secs > 0 else 0.0


def cpu_note(m):
    """'weir 1.23 (http 0.95, workers 0.10, aggregator 0.02, ingest 0.01), wrk 0.71'
    in cores (CPU seconds per second) over the measured time."""
    s, w = m["seconds"], m["weir_cpu"]
    parts = []
    if w:
        inner = ", ".join(f"{k} {cores(w[k], s):.2f}" for k in KINDS[:4])
        parts.append(f"weir {cores(w['total'], s):.2f} ({inner})")
    if m.get("wrk_cpu_s"):
        parts.append(f"wrk {cores(m['wrk_cpu_s'], s):.2f}")
    return ", ".join(parts)


# --- alone: weir only serves ----------------------------------------------------


def alone(work, rules_file, results):
    say(f"=== alone: weir serving {N_RULES} rules, a {ALONE_BYTES >> 20} MiB corpus already "
        f"ingested; wrk -t{THREADS} -c{CONNS} -d{SECONDS}s --latency, {RUNS} runs each ===")
    corpus = os.path.join(work, "alone.log")
    r = subprocess.run([os.path.join(BENCH_BIN, "gen"), "-o", corpus, "-b", str(ALONE_BYTES),
                        "-s", str(BENCH_SEED)], capture_output=True, text=True)
    if r.returncode:
        raise Setup(f"gen failed: {r.stderr.strip()}")
    lines = count_lines(corpus)
    w = start_weir(work, "alone", corpus, rules_file)
    res = {"corpus_bytes": os.path.getsize(corpus), "corpus_lines": lines, "endpoints": {}}
    try:
        until(w, lambda s: s["ingest"]["records"] >= lines, f"{lines:,} records", 0.1)
        paths, skipped, bodies = [], {}, {}
        for path in (SNAPSHOT, METRICS):
            st, body = raw_get(w, path)
            if st == 404 and path == METRICS:
                skipped[path] = "404: no /metrics in this weir"
                continue
            if st != 200:
                w.fail(f"GET {path}: HTTP {st}: {body[:300]!r}")
            bodies[path] = len(body)
            paths.append(path)
        best, allruns = {}, {p: [] for p in paths}
        waited = 0.0
        for i in range(RUNS):
            notes = []
            for path in paths:
                waited += wait_quiet()
                out = os.path.join(work, "wrk.out")
                m = Meter(w.proc.pid)
                p = wrk_start(w.api_port, path, SECONDS, out)
                try:
                    p.wait(SECONDS + 30)
                except subprocess.TimeoutExpired:
                    pass
                m.weir_now()
                rep = wrk_finish(p, out)
                rep.update(m.stop())
                w.check_alive()
                allruns[path].append(rep)
                if path not in best or rep["rps"] > best[path]["rps"]:
                    best[path] = rep
                notes.append(f"{path} {rep['rps']:,.0f} req/s p99 {rep['p99_ms']:.2f} ms"
                             + (f" {rep['errors']:,} errors" if rep["errors"] else "")
                             + f" (others busy {rep['busy']:.0%})")
            say(f"      run {i + 1}: " + "; ".join(notes))
        if waited >= 1:
            say(f"      (waited {waited:.0f} s in all for a quiet machine: BENCH_QUIET, "
                "BENCH_QUIET_WAIT)")
        snap = w.snapshot()
    finally:
        rc = w.close()
    if rc not in (0, None):
        raise Fail(f"weir exited {rc} when stopped")
    os.unlink(corpus)

    say()
    say(f"{'endpoint':<18} {'body bytes':>10} {'req/s':>9} {'p50 ms':>7} {'p90 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'errors':>7} {'us/req':>6} {'busy':>5}  cores used "
        "(best run)")
    for path in (SNAPSHOT, METRICS):
        if path in skipped:
            say(f"{path:<18} skipped - {skipped[path]}")
            res["endpoints"][path] = {"skipped": skipped[path]}
            continue
        b = best[path]
        say(f"{path:<18} {bodies[path]:>10,} {b['rps']:>9,.0f} {b['p50_ms']:>7.2f} "
            f"{b['p90_ms']:>7.2f} {b['p99_ms']:>7.2f} {b['max_ms'] or 0:>7.2f} "
            f"{b['errors']:>7,} {us_per_req(b):>6.1f} {b['busy']:>5.0%}  {cpu_note(b)}")
        res["endpoints"][path] = dict(body_bytes=bodies[path], best=strip(b),
                                      runs=[strip(x) for x in allruns[path]])
    say(f"req/s, latency: wrk's, the run with the most req/s of {RUNS}; errors = non-2xx "
        "responses + socket errors.\nus/req = weir's CPU time per request served. cores = "
        "CPU seconds per second over the run (weir\nby thread kind; wrk runs on the same 2 "
        "cores).")
    if snap is not None:
        res["snapshot_rules"] = len(snap.get("rules", []))
    b = best[SNAPSHOT]
    p_rps, p_p99, p_err = b["rps"] >= RPS_BAR, b["p99_ms"] <= P99_BAR, b["errors"] == 0
    ok = p_rps and p_p99 and p_err
    miss_rps = "" if p_rps else f": {b['rps'] / RPS_BAR:.0%} of it"
    miss_p99 = "" if p_p99 else f": {b['p99_ms'] / P99_BAR:.1f}x the bar"
    say(f"API BAR:  {'PASS' if ok else 'FAIL'} - {SNAPSHOT}: {b['rps']:,.0f} req/s (bar >= "
        f"{RPS_BAR:,.0f}{miss_rps}), p99 {b['p99_ms']:.2f} ms (bar <= {P99_BAR:g}{miss_p99})"
        + ("" if p_err else f", {b['errors']:,} errors (bar: none)"))
    if METRICS in skipped:
        say(f"METRICS:  skipped - {skipped[METRICS]} (no figures, not passed)")
    else:
        mb = best[METRICS]
        mok = mb["errors"] == 0
        ok &= mok
        say(f"METRICS:  {'PASS' if mok else 'FAIL'} - {mb['rps']:,.0f} req/s, p99 "
            f"{mb['p99_ms']:.2f} ms, {mb['errors']:,} errors (no bar on the rate; errors fail)")
    if b["busy"] > QUIET:
        say(f"NOISE:    other processes used {b['busy']:.0%} of the CPUs during the best "
            "snapshot run: its figures are low; rerun on a quiet machine")
    res["ok"] = ok
    res["metrics_skipped"] = METRICS in skipped
    results["alone"] = res
    return ok


def strip(r):
    return {k: v for k, v in r.items() if k != "output"}


# --- ingest: full-speed ingest with and without wrk ----------------------------------


def ingest_run(work, corpus, lines, nbytes, rules_file, with_wrk):
    """One run: weir reads the corpus from its beginning (fresh state); with
    wrk on the snapshot from the first snapshot to the last record."""
    tag = "with" if with_wrk else "without"
    w = start_weir(work, tag, corpus, rules_file)
    p = None
    out = os.path.join(work, "wrk.out")
    try:
        until(w, lambda s: True, "a first snapshot", 0.05)
        t_start_ms = time.time() * 1000
        m = Meter(w.proc.pid)
        if with_wrk:
            p = wrk_start(w.api_port, SNAPSHOT, int(TIMEOUT) + 60, out)
        seen = until(w, lambda s: s["ingest"]["records"] >= lines, f"{lines:,} records")
        m.weir_now()
        rep = wrk_finish(p, out, interrupt=True) if with_wrk else {}
        rep.update(m.stop())
        last = seen[-1]
        if last["ingest"]["records"] != lines:
            w.fail(f"{last['ingest']['records']:,} records; the corpus has {lines:,} lines")
        # one sample per snapshot: (its own time, records)
        samples, seq = [], None
        for s in seen:
            if s is not None and s["seq"] != seq:
                samples.append((s["time_ms"], s["ingest"]["records"]))
                seq = s["seq"]
        lo = next((x for x in samples if x[1] >= WIN[0] * lines and x[0] >= t_start_ms),
                  None)
        hi = next((x for x in samples if x[1] >= WIN[1] * lines), None)
        if lo is None or hi is None or hi[0] <= lo[0]:
            raise Setup(f"the ingest was too quick to time between {WIN[0]:.0%} and "
                        f"{WIN[1]:.0%} of the corpus (snapshots: {samples}): set a bigger "
                        "BENCH_API_BYTES")
        rep.update(rate=(hi[1] - lo[1]) / ((hi[0] - lo[0]) / 1000), window_s=(hi[0] - lo[0])
                   / 1000, end_s=(last["time_ms"] - samples[0][0]) / 1000,
                   end_rate=(lines - samples[0][1]) / max((last["time_ms"] - samples[0][0])
                                                          / 1000, 1e-3),
                   records=lines, snapshots=len(samples), with_wrk=with_wrk)
        rep["mb_per_s"] = rep["rate"] * nbytes / lines / 1e6
    finally:
        if p is not None and p.poll() is None:
            stop(p, signal.SIGKILL)
        rc = w.close()
    if rc not in (0, None):
        raise Fail(f"weir exited {rc} when stopped")
    return rep


def ingest(work, rules_file, results):
    say(f"=== ingest: weir reads a {BYTES / 2**30:.2f} GiB corpus at full speed, alone and "
        f"with wrk -t{THREADS} -c{CONNS} on {SNAPSHOT}; {RUNS} runs each ===")
    corpus = os.path.join(work, "ingest.log")
    r = subprocess.run([os.path.join(BENCH_BIN, "gen"), "-o", corpus, "-b", str(BYTES), "-s",
                        str(BENCH_SEED)], capture_output=True, text=True)
    if r.returncode:
        raise Setup(f"gen failed: {r.stderr.strip()}")
    nbytes, lines = os.path.getsize(corpus), count_lines(corpus)
    say(f"corpus: {nbytes:,} bytes, {lines:,} lines (gen -s {BENCH_SEED}, in {BENCH_DIR})")
    best = {False: None, True: None}
    runs = {False: [], True: []}
    waited = 0.0
    for i in range(RUNS):
        notes = []
        for with_wrk in ((False, True) if i % 2 == 0 else (True, False)):
            waited += wait_quiet()
            rep = ingest_run(work, corpus, lines, nbytes, rules_file, with_wrk)
            runs[with_wrk].append(rep)
            if best[with_wrk] is None or rep["rate"] > best[with_wrk]["rate"]:
                best[with_wrk] = rep
            notes.append(f"{'with wrk' if with_wrk else 'alone'} {rep['rate']:,.0f} rec/s"
                         + (f" (wrk {rep['rps']:,.0f} req/s p99 {rep['p99_ms']:.1f} ms)"
                            if with_wrk else "") + f" busy {rep['busy']:.0%}")
        say(f"      run {i + 1}: " + "; ".join(notes))
    if waited >= 1:
        say(f"      (waited {waited:.0f} s in all for a quiet machine: BENCH_QUIET, "
            "BENCH_QUIET_WAIT)")
    os.unlink(corpus)

    a, b = best[False], best[True]
    loss = 1 - b["rate"] / a["rate"]
    say()
    say(f"{'ingest':<14} {'records/s':>10} {'MB/s':>6} {'timed s':>7} {'to end s':>8} "
        f"{'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'busy':>5}  cores used")
    for label, x in (("alone", a), ("with wrk", b)):
        wr = (f"{x['rps']:>8,.0f} {x['p50_ms']:>7.2f} {x['p99_ms']:>7.2f} {x['errors']:>6,}"
              if x["with_wrk"] else f"{'-':>8} {'-':>7} {'-':>7} {'-':>6}")
        say(f"{label:<14} {x['rate']:>10,.0f} {x['mb_per_s']:>6.1f} {x['window_s']:>7.2f} "
            f"{x['end_s']:>8.2f} {wr} {x['busy']:>5.0%}  {cpu_note(x)}")
    say(f"records/s: between the snapshots showing {WIN[0]:.0%} and {WIN[1]:.0%} of the "
        f"records (timed s), the best of {RUNS}; to end s:\nfirst snapshot to the last record. "
        "req/s, p50, p99: wrk's over the whole ingest. cores: CPU seconds per second,\n"
        "first snapshot to the last record (weir by thread kind; wrk shares the same 2 cores).")
    ok = loss <= LOSS_BAR
    miss = "" if ok else f", missed by {(loss - LOSS_BAR) * 100:.1f} points"
    say(f"LOSS BAR: {'PASS' if ok else 'FAIL'} - serving {SNAPSHOT} at {b['rps']:,.0f} req/s "
        f"slows ingest by {loss:.1%} ({b['rate']:,.0f} vs {a['rate']:,.0f} records/s; bar <= "
        f"{LOSS_BAR:.0%}{miss})")
    if a["weir_cpu"] and b["weir_cpu"]:
        def c(x, k):
            return cores(x["weir_cpu"][k], x["seconds"])
        ing = ("workers", "aggregator", "ingest")
        say(f"cores:    weir's ingest threads (workers, aggregator, ingest) "
            f"{sum(c(a, k) for k in ing):.2f} alone -> {sum(c(b, k) for k in ing):.2f} with wrk; "
            f"meanwhile weir's HTTP threads {c(b, 'http'):.2f} ({us_per_req(b, 'http'):.1f} "
            f"us/request), wrk {cores(b['wrk_cpu_s'], b['seconds']):.2f}, other processes "
            f"{b['busy'] * NCPU:.2f} (of {NCPU})")
    if b["errors"]:
        ok = False
        say(f"ERRORS:   FAIL - wrk saw {b['errors']:,} errors during the ingest "
            f"({b['non2xx']:,} non-2xx, socket {b['socket_errors']})")
    noisy = [lbl for lbl, x in (("alone", a), ("with wrk", b)) if x["busy"] > QUIET]
    if noisy:
        say(f"NOISE:    other processes used more than {QUIET:.0%} of the CPUs during the best "
            f"run {' and '.join(noisy)}: the loss is not reliable; rerun on a quiet machine")
    if a["window_s"] < 5:
        say(f"NOTE:     the timed part of the ingest alone took {a['window_s']:.1f} s: a bigger "
            "BENCH_API_BYTES gives steadier figures")
    results["ingest"] = dict(corpus_bytes=nbytes, corpus_lines=lines, loss=loss, ok=ok,
                             best_without=strip(a), best_with=strip(b),
                             runs_without=[strip(x) for x in runs[False]],
                             runs_with=[strip(x) for x in runs[True]])
    return ok


# --- main ------------------------------------------------------------------------


def main(what):
    t_start = time.monotonic()
    for x in (WEIR_BIN, os.path.join(BENCH_BIN, "gen")):
        if not os.access(x, os.X_OK):
            raise Setup(f"{x} is missing or not executable (run: make bench)")
    wrk = shutil.which(WRK)
    if not wrk:
        raise Setup(f"{WRK} is missing (Debian package wrk; scripts/deps.sh bench installs it)")
    check_bench_dir((BYTES if what in ("all", "ingest") else 0) + ALONE_BYTES + (256 << 20),
                    "(BENCH_API_BYTES)")
    fs = subprocess.run(["stat", "-f", "-c", "%T", BENCH_DIR], capture_output=True,
                        text=True).stdout.strip()
    ver = subprocess.run([wrk, "--version"], capture_output=True, text=True)
    ver = (ver.stdout + ver.stderr).splitlines()[0].split(" Copyright")[0] if \
        (ver.stdout + ver.stderr).strip() else "?"
    say(f"weir API bench: {what}")
    say(f"machine:  {machine()}; load average {open('/proc/loadavg').read().split()[0]}")
    say(f"files in: {BENCH_DIR} ({fs}) - in memory; weir: {WEIR_BIN}; {ver}")
    work = workdir("api")
    results, verdicts = {}, []
    try:
        rules_file = os.path.join(work, "rules.yaml")
        plain, fields = write_rules(rules_file)
        chk = subprocess.run([WEIR_BIN, "check", "-c", rules_file], capture_output=True,
                             text=True)
        if chk.returncode:
            raise Setup(f"weir check of the rules failed:\n{chk.stdout}{chk.stderr}")
        say(f"rules:    {plain + fields} ({plain} count-only: rules50.yaml and 40 of "
            f"rules1000.yaml; {fields} with value:/top:/distinct: on named captures); "
            f"default windows and tick; {WORKERS} workers")
        say(f"http:     weir's HTTP threads at nice {HTTP_NICE or '19 (the default)'}"
            f"{' (BENCH_API_HTTP_NICE)' if HTTP_NICE else ''}; wrk "
            f"{'asks for gzip' if GZIP else 'takes plain bodies (BENCH_API_GZIP=0)'}")
        say()
        for part, fn in (("alone", alone), ("ingest", ingest)):
            if what not in ("all", part):
                continue
            try:
                ok = fn(work, rules_file, results)
            except Fail as e:
                say(f"{part.upper()}: FAIL - {e}")
                ok = False
            verdicts.append((part, ok))
            say()
    finally:
        kill_all()
        shutil.rmtree(work, ignore_errors=True)
        if RESULTS:
            with open(RESULTS, "w") as f:
                json.dump(results, f, indent=1)
    skipped = results.get("alone", {}).get("metrics_skipped")
    say("api bench: " + ", ".join(f"{p} {'PASS' if k else 'FAIL'}" for p, k in verdicts)
        + (" (/metrics skipped: 404)" if skipped else "")
        + f" ({(time.monotonic() - t_start) / 60:.1f} minutes)")
    return 0 if all(k for _, k in verdicts) else 1


if __name__ == "__main__":
    run_main(main, ("alone", "ingest"), __doc__)
