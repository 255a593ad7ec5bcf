"""GET /metrics (Prometheus text format 0.0.4) and GET /api/v1/stats, end to end.

  - `promtool check metrics` (Prometheus's own parser and linter) accepts
    what weir serves, with count, value:, top: and distinct: rules and
    windows answered by every tier (one beyond 24 h, which keeps no sketch);
  - a real Prometheus server, started here with its own config and storage,
    scrapes weir every second; its query API returns exactly the number of
    matching lines written, before and after more are appended;
  - every number /metrics shows equals the snapshot's (totals, window
    counts, value summaries, distinct estimates, late/too_old/future, ingest
    and per-source counters);
  - /api/v1/stats: throughput above zero while lines arrive, ring occupancy
    per worker within capacity, jemalloc's statistics (when weir runs on
    jemalloc), the version `weir version` prints.

promtool and prometheus come from Debian's `prometheus` package
(scripts/deps.sh test installs it).
"""

import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import SANITIZER, WEIR_BIN, Appender, poll, run_weir, unused_port, yq

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
WINDOWS = ["10s", "1m", "5m", "15m", "1h", "2d"]
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def need(binary):
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} not found: install Debian's prometheus package "
                    "(scripts/deps.sh test)")


def write_config(tmp_path, log, rules, windows=WINDOWS):
    lines = [
        "listen: 127.0.0.1:0",
        f"state_dir: {yq(tmp_path / 'state')}",
        f"windows: [{', '.join(windows)}]",
        "checkpoint_interval: 1s",
        "sources:",
        "  - name: app.main-1",
        "    type: file",
        f"    path: {yq(log)}",
        "    format: logfmt",
        "rules:",
    ]
    for r in rules:
        lines.append(f"  - name: {r['name']}")
        for k, v in r.items():
            if k != "name":
                lines.append(f"    {k}: {yq(v) if isinstance(v, str) else v}")
    lines.append("tuning: {workers: 2, tick_ms: 100}")
    p = tmp_path / "weir.yaml"
    p.write_text("\n".join(lines) + "\n")
    return p


RULES = [
    {"name": "req.rt-ms", "match": "rt=", "value": "rt", "unit": "s", "top": "ip", "top_k": 5,
     "distinct": "user"},
    {"name": "users", "match": "user=", "distinct": "user"},
    {"name": "errors", "match": "level=error"},
    {"name": "never", "match": "no such text"},
]


def logfmt_lines(rng, n, first=0):
    out = []
    for i in range(first, first + n):
        rt = round(math.exp(rng.gauss(-3.0, 1.2)), 6)
        level = "error" if rng.random() < 0.1 else "info"
        out.append(f"seq={i} level={level} rt={rt} ip=10.0.0.{rng.randrange(30)} "
                   f"user=u{rng.randrange(500)}\n")
    return "".join(out).encode()


# --- the text format, parsed strictly enough to catch our own mistakes ---

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def unescape(v):
    return re.sub(r'\\([\\"n])', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_metrics(text):
    """{(name, ((label, value), ...sorted)): float}; also checks that every
    sample follows its family's HELP and TYPE, and that families are not
    split."""
    assert text.endswith("\n"), "the body must end with a newline"
    samples, types, seen_families = {}, {}, []
    family = None
    for ln in text.splitlines():
        if ln.startswith("# HELP "):
            name = ln.split(" ", 3)[2]
            assert name not in seen_families, f"family {name} split or repeated"
            seen_families.append(name)
            family = name
            continue
        if ln.startswith("# TYPE "):
            _, _, name, typ = ln.split(" ")
            assert name == family, f"TYPE {name} not after its HELP"
            assert typ in ("counter", "gauge", "summary", "histogram", "untyped"), ln
            types[name] = typ
            continue
        m = SAMPLE_RE.match(ln)
        assert m, f"bad sample line: {ln!r}"
        name, _, body, value = m.groups()
        base = family
        assert name == base or (types.get(base) == "summary" and
                                name in (base + "_sum", base + "_count")), \
            f"sample {name} outside its family ({family})"
        labels = []
        if body:
            pos = 0
            while pos < len(body):
                lm = LABEL_RE.match(body, pos)
                assert lm, f"bad labels in {ln!r}"
                labels.append((lm.group(1), unescape(lm.group(2))))
                pos = lm.end()
        key = (name, tuple(sorted(labels)))
        assert key not in samples, f"duplicate sample {ln!r}"
        samples[key] = float(value)
    return samples, types


def metric(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"no sample {name}{labels}"
    return samples[key]


def get_metrics(d):
    status, headers, raw = d.request("/metrics")
    assert status == 200, raw
    assert headers["content-type"] == TEXT_TYPE, headers
    return raw.decode("utf-8")


def get_stats(d):
    status, headers, body = d.get("/api/v1/stats")
    assert status == 200, body
    assert headers["content-type"] == "application/json", headers
    return body


def rule(snap, name):
    return next(r for r in snap["rules"] if r["name"] == name)


def test_promtool_accepts_the_metrics(weir, tmp_path):
    need(PROMTOOL)
    log = tmp_path / "app.log"
    data = logfmt_lines(random.Random(3), 4000)
    log.write_bytes(data + b"not logfmt at all \"quoted\" \\ back\n")
    d = weir.start(write_config(tmp_path, log, RULES))
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 4001)
    text = get_metrics(d)
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode()
    assert p.returncode == 0 and not out.strip(), f"promtool: rc {p.returncode}\n{out}\n{text}"
    samples, types = parse_metrics(text)
    for name, typ in types.items():
        assert name.endswith("_total") == (typ == "counter"), (name, typ)
    for fam in ("weir_rule_matches_total", "weir_rule_window_matches", "weir_rule_value",
                "weir_rule_late_total", "weir_rule_too_old_total", "weir_rule_future_total",
                "weir_rule_window_distinct", "weir_records_total", "weir_bytes_total",
                "weir_source_records_total", "weir_source_bytes_total",
                "weir_source_lines_truncated_total", "weir_source_parse_errors_total",
                "weir_source_unmatched_total", "weir_source_dropped_total",
                "weir_ingest_backpressure_total", "weir_checkpoints_total",
                "weir_checkpoint_errors_total", "weir_ring_items", "weir_ring_capacity",
                "process_resident_memory_bytes", "process_virtual_memory_bytes",
                "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                "process_start_time_seconds", "weir_build_info", "weir_uptime_seconds"):
        assert fam in types, f"family {fam} missing"
    assert types["weir_rule_value"] == "summary"
    # the 2d window comes from hour panes: no quantiles, no distinct sketch
    for q in ("0.5", "0.9", "0.99", "0.999"):
        assert math.isnan(metric(samples, "weir_rule_value", rule="req.rt-ms", window="2d",
                                 quantile=q))
        assert metric(samples, "weir_rule_value", rule="req.rt-ms", window="1h",
                      quantile=q) > 0
    assert ("weir_rule_window_distinct", (("rule", "users"), ("window", "2d"))) not in samples
    # a count-only rule has no summary; HEAD and other methods
    assert not any(k[0] == "weir_rule_value" and ("rule", "errors") in k[1] for k in samples)
    status, headers, raw = d.request("/metrics", method="HEAD")
    assert status == 200 and raw == b"" and headers["content-type"] == TEXT_TYPE
    status, headers, raw = d.request("/metrics", method="POST", body=b"x")
    assert status == 405 and headers["allow"] == "GET, HEAD", raw
    assert json.loads(raw)["error"]["status"] == 405


def free_port():
    return unused_port()


class Prometheus:
    """A real Prometheus server scraping one weir every second, with its own
    config file and storage under tmp_path; stopped at teardown."""

    def __init__(self, tmp_path, target_port):
        need(PROMETHEUS)
        self.port = free_port()
        cfg = tmp_path / "prometheus.yml"
        cfg.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: weir\n"
            "    metrics_path: /metrics\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.log_path = tmp_path / "prometheus.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            cwd=tmp_path)

    def log(self):
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def _get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                        timeout=5) as r:
                return r.status, r.read()
        except OSError:
            return None, b""

    def wait_ready(self, timeout=60):
        def ready():
            assert self.proc.poll() is None, f"prometheus exited:\n{self.log()}"
            return self._get("/-/ready")[0] == 200

        assert poll(ready, timeout, 0.2), f"prometheus not ready in {timeout}s:\n{self.log()}"

    def query(self, q):
        """The instant vector of q: [(labels, value string)]."""
        status, raw = self._get("/api/v1/query?" + urllib.parse.urlencode({"query": q}))
        if status != 200:
            return None
        body = json.loads(raw)
        assert body["status"] == "success", body
        return [(r["metric"], r["value"][1]) for r in body["data"]["result"]]

    def wait_value(self, q, want, timeout=60):
        """Poll until q returns exactly one series whose value is want."""
        last = {}

        def step():
            last["v"] = self.query(q)
            return last["v"] is not None and len(last["v"]) == 1 and last["v"][0][1] == want

        assert poll(step, timeout, 0.25), \
            f"{q}: want {want}, last answer {last.get('v')}\n{self.log()}"
        return last["v"][0][0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def prometheus(tmp_path):
    started = []

    def start(target_port):
        p = Prometheus(tmp_path, target_port)
        started.append(p)
        p.wait_ready()
        return p

    try:
        yield start
    finally:
        for p in started:
            p.stop()


def test_prometheus_server_scrapes_the_exact_count(weir, prometheus, tmp_path):
    log = tmp_path / "app.log"
    rng = random.Random(9)
    first = logfmt_lines(rng, 3000)
    log.write_bytes(first)
    want = first.count(b"level=error")
    d = weir.start(write_config(tmp_path, log, RULES))
    prom = prometheus(d.port)
    labels = prom.wait_value('weir_rule_matches_total{rule="errors"}', str(want))
    assert labels["job"] == "weir" and labels["instance"] == f"127.0.0.1:{d.port}", labels
    prom.wait_value('up{job="weir"}', "1")
    # more lines: the next scrapes follow, to the exact number
    more = logfmt_lines(rng, 1234, first=3000)
    with open(log, "ab") as f:
        f.write(more)
    want += more.count(b"level=error")
    prom.wait_value('weir_rule_matches_total{rule="errors"}', str(want))
    prom.wait_value('weir_rule_matches_total{rule="req.rt-ms"}', "4234")
    prom.wait_value('weir_source_records_total{source="app.main-1"}', "4234")
    prom.wait_value('weir_rule_value_count{rule="req.rt-ms",window="5m"}', "4234")
    assert d.snapshot()["ingest"]["records"] == 4234


def test_metric_values_equal_the_snapshot(weir, tmp_path):
    log = tmp_path / "app.log"
    data = logfmt_lines(random.Random(5), 6000)
    junk = b"garbage =\"\n" * 3   # matches no rule
    log.write_bytes(data + junk)
    # windows that do not slide past the data while the test reads
    windows = ["5m", "15m", "1h", "2d"]
    t0 = time.time()
    d = weir.start(write_config(tmp_path, log, RULES, windows))
    t1 = time.time()
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 6003 and
                    all(rule(s, r["name"])["windows"]["5m"]["count"] == rule(s, r["name"])["total"]
                        for r in RULES))
    # two reads of the snapshot around the metrics: nothing may change
    # between them (no input arrives, no window slides past the data)
    def counts(s):
        return ({r["name"]: (r["total"], {w: v["count"] for w, v in r["windows"].items()})
                 for r in s["rules"]}, s["ingest"]["records"], s["ingest"]["bytes"])

    for _ in range(50):
        before = d.snapshot()
        samples, _ = parse_metrics(get_metrics(d))
        after = d.snapshot()
        if counts(before) == counts(after):
            break
    snap = after
    assert metric(samples, "weir_records_total") == snap["ingest"]["records"] == 6003
    assert metric(samples, "weir_bytes_total") == snap["ingest"]["bytes"] == len(data) + len(junk)
    assert metric(samples, "weir_checkpoints_total") >= 0
    for r in snap["rules"]:
        name = r["name"]
        assert metric(samples, "weir_rule_matches_total", rule=name) == r["total"], name
        for k in ("late", "too_old", "future"):
            assert metric(samples, f"weir_rule_{k}_total", rule=name) == r[k], (name, k)
        for w, win in r["windows"].items():
            assert metric(samples, "weir_rule_window_matches", rule=name,
                          window=w) == win["count"], (name, w)
            if "value" in win:
                v = win["value"]
                assert metric(samples, "weir_rule_value_count", rule=name,
                              window=w) == v["count"], (name, w)
                assert math.isclose(metric(samples, "weir_rule_value_sum", rule=name, window=w),
                                    v["sum"], rel_tol=1e-12), (name, w)
                for q, key in (("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99"),
                               ("0.999", "p999")):
                    got = metric(samples, "weir_rule_value", rule=name, window=w, quantile=q)
                    if v.get(key) is None:
                        assert math.isnan(got), (name, w, q, got)
                    else:
                        assert math.isclose(got, v[key], rel_tol=1e-12), (name, w, q)
            dkey = ("weir_rule_window_distinct", (("rule", name), ("window", w)))
            if "distinct" in win:
                assert samples[dkey] == win["distinct"]["estimate"], (name, w)
            else:
                assert dkey not in samples, (name, w)
    assert metric(samples, "weir_rule_matches_total", rule="errors") == data.count(b"level=error")
    src = d.source("app.main-1")
    lab = {"source": "app.main-1"}
    assert metric(samples, "weir_source_records_total", **lab) == src["lines"] == 6003
    assert metric(samples, "weir_source_bytes_total", **lab) == src["bytes"]
    assert metric(samples, "weir_source_unmatched_total", **lab) == src["unmatched"] == 3
    assert metric(samples, "weir_source_parse_errors_total", **lab) == src["parse_errors"]
    assert metric(samples, "weir_source_lines_truncated_total", **lab) == src["lines_truncated"]
    assert metric(samples, "weir_source_files_open", **lab) == src["files_open"] == 1
    for reason in ("full", "kernel"):
        assert metric(samples, "weir_source_dropped_total", reason=reason, **lab) == 0
    for ring in ("batch", "pane"):
        for w in ("0", "1"):
            items = metric(samples, "weir_ring_items", ring=ring, worker=w)
            cap = metric(samples, "weir_ring_capacity", ring=ring, worker=w)
            assert 0 <= items <= cap and cap >= 2, (ring, w, items, cap)
    version = run_weir("version").stdout.decode().split()[1]
    assert metric(samples, "weir_build_info", version=version) == 1
    assert metric(samples, "process_resident_memory_bytes") > 1 << 20
    assert metric(samples, "process_virtual_memory_bytes") >= \
        metric(samples, "process_resident_memory_bytes")
    # in clock ticks (10 ms): a short run may not have used a whole one
    assert 0 <= metric(samples, "process_cpu_seconds_total") <= \
        metric(samples, "weir_uptime_seconds") * os.cpu_count() + 0.5
    assert 3 <= metric(samples, "process_open_fds") < metric(samples, "process_max_fds")
    # boot time plus the clock ticks since boot to weir's start (proc(5)),
    # within a second or two of when the test started it
    start = metric(samples, "process_start_time_seconds")
    assert t0 - 2 < start < t1 + 2
    fields = open(f"/proc/{d.proc.pid}/stat").read().rsplit(")", 1)[1].split()
    btime = next(int(ln.split()[1]) for ln in open("/proc/stat") if ln.startswith("btime "))
    assert math.isclose(start, btime + int(fields[22 - 3]) / os.sysconf("SC_CLK_TCK"),
                        rel_tol=1e-15), (start, fields)
    assert 0 < metric(samples, "weir_uptime_seconds") < 120


def test_stats_report_throughput_rings_memory_and_version(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    d = weir.start(write_config(tmp_path, log, RULES))
    version = run_weir("version").stdout.decode().split()[1]
    with Appender([log], seed=4, batch=(20, 60), pause=(0.002, 0.01)) as app:
        st = {}

        def moving():
            st["s"] = get_stats(d)
            t = st["s"]["throughput"]
            return (t["tick"]["records_per_s"] > 0 and t["10s"]["records_per_s"] > 0 and
                    t["tick"]["bytes_per_s"] > 0 and t["10s"]["bytes_per_s"] > 0)

        assert poll(moving), st.get("s")
        s = st["s"]
        app.stop()
    lines = app.lines
    assert s["version"] == version
    assert s["workers"] == 2 and s["rules"] == len(RULES) and s["sources"] == 1
    assert s["start_time_ms"] <= s["time_ms"] and s["uptime_s"] >= 0
    assert abs(s["uptime_s"] - (s["time_ms"] - s["start_time_ms"]) / 1000) < 0.01
    assert s["start_time"].endswith("Z") and s["time"].endswith("Z")
    assert s["throughput"]["tick_ms"] == 100
    assert 0 < s["throughput"]["tick"]["span_s"] <= s["throughput"]["10s"]["span_s"] <= 10.5
    for kind in ("batch", "pane"):
        rings = s["rings"][kind]
        assert [r["worker"] for r in rings] == [0, 1], rings
        assert all(0 <= r["items"] <= r["capacity"] and r["capacity"] >= 2 for r in rings)
    assert s["batches"] > 0 and s["backpressure"] >= 0
    assert set(s["drops"]) >= {"dropped_full", "dropped_kernel", "too_old", "future",
                               "files_refused"}
    assert s["lines_truncated"] == 0
    assert set(s["checkpoints"]) == {"written", "errors"} and s["checkpoints"]["errors"] == 0
    mem = s["memory"]
    assert mem["rss_bytes"] > 1 << 20
    if SANITIZER:   # the sanitizer runtimes bring their own malloc
        assert mem["allocator"] == "libc" and mem["jemalloc"] is None, mem
    else:
        assert mem["allocator"] == "jemalloc", mem
        j = mem["jemalloc"]
        assert 0 < j["allocated"] <= j["active"] <= j["resident"] <= j["mapped"], j
    # once the writer stops, the stats' totals reach what was written, and
    # the last tick's rate falls to zero
    def settled():
        st["s"] = get_stats(d)
        return (st["s"]["records"] == lines and
                st["s"]["throughput"]["tick"]["records_per_s"] == 0)

    assert poll(settled), (lines, st["s"])
    assert d.snapshot()["ingest"]["records"] == lines
    # the writer's lines are not logfmt: parse errors, as the source counts them
    src = d.source("app.main-1")
    assert st["s"]["parse_errors"] == src["parse_errors"] > 0
    assert st["s"]["unmatched"] == src["unmatched"] > 0
    assert poll(lambda: get_stats(d)["checkpoints"]["written"] > 0)
