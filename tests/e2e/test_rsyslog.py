"""A real rsyslog (the Debian package) forwarding to weir over TCP, as a
fleet's relays do: RFC 5424 with octet counting, and the traditional
forward format with LF framing. rsyslog runs in the foreground with its own
config and work directory in tmp_path; it never touches /dev/log or the
machine's logging. The messages are generated here, so every count and
every field weir reports is checked against an independent expectation."""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import DEADLINE, poll, unused_port, yq

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"

FACILITIES = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
              "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron"] + \
             [f"local{i}" for i in range(8)]
SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
APPS = ["sshd", "sudo", "cron", "nginx", "kernel", "systemd"]
HOSTS = ["web1", "web2", "db1", "cache-3.example.com"]


def free_tcp_port():
    return unused_port()


def make_messages(n, seed):
    """n RFC 5424 messages with random PRI, host, app, procid, msgid and
    structured data; returns (lines, fields)."""
    rng = random.Random(seed)
    lines, fields = [], []
    for i in range(n):
        fac, sev = rng.randrange(24), rng.randrange(8)
        host, app = rng.choice(HOSTS), rng.choice(APPS)
        procid = str(rng.randrange(1, 99999))
        msgid = rng.choice(["ID47", "LOGIN", "-"])
        sd = rng.choice(['-', '[origin ip="10.0.0.%d"]' % rng.randrange(256),
                         '[exampleSDID@32473 iut="3" eventSource="App\\"x\\"" i="%d"]' % i])
        text = rng.choice(["Failed password for root from 10.1.2.3 port 22",
                           "Accepted publickey for alice", "session opened",
                           "GET /index.html 200", "Out of memory: Killed process 1234",
                           "unicode ünïcödé ✓"])
        ts = "2026-11-21T10:%02d:%02d.%06dZ" % (i // 60 % 60, i % 60, i)
        lines.append(f"<{fac * 8 + sev}>1 {ts} {host} {app} {procid} {msgid} {sd} {text} #{i}")
        fields.append({"facility": fac, "severity": sev, "host": host, "app": app,
                       "procid": procid, "msgid": msgid, "text": text})
    return lines, fields


# Rules over fields only (no regex), over text, and both; with the counts
# each must reach, computed from the generated fields.
RULES = [
    ("any", {"match": "^"}, lambda f: True),
    ("sshd_err", {"where": {"severity": "<=err", "app": "sshd"}},
     lambda f: f["severity"] <= 3 and f["app"] == "sshd"),
    ("auth_failed", {"match": "Failed password", "where": {"facility": ["auth", "authpriv"]}},
     lambda f: f["facility"] in (4, 10) and f["text"].startswith("Failed password")),
    ("web", {"where": {"host": ["web1", "web2"]}}, lambda f: f["host"] in ("web1", "web2")),
    ("not_cron_debug", {"where": {"app": "!=cron", "severity": "debug"}},
     lambda f: f["app"] != "cron" and f["severity"] == 7),
    ("login_msgid", {"where": {"msgid": "LOGIN"}}, lambda f: f["msgid"] == "LOGIN"),
    ("local_fac", {"where": {"facility": ">=local0"}}, lambda f: f["facility"] >= 16),
    ("from_localhost", {"where": {"peer": "127.0.0.0/8"}}, lambda f: True),
]

# The traditional (RFC 3164-like) format carries no MSGID: that rule sees
# none, and the procid rides in the tag.
RULES_3164_EXPECT = {"login_msgid": lambda f: False}


def rule_yaml(name, spec):
    out = [f"  - name: {name}"]
    if "match" in spec:
        out.append(f"    match: {yq(spec['match'])}")
    if "where" in spec:
        out.append("    where:")
        for k, v in spec["where"].items():
            out.append(f"      {k}: {json.dumps(v)}")
    return out


def weir_config(tmp_path, port5424, port3164):
    lines = [
        "listen: 127.0.0.1:0",
        f"state_dir: {yq(tmp_path / 'state')}",
        "sources:",
        "  - name: relay5424",
        "    type: syslog",
        f"    listen: tcp://127.0.0.1:{port5424}",
        "  - name: relay3164",
        "    type: syslog",
        f"    listen: tcp://127.0.0.1:{port3164}",
        "rules:",
    ]
    for name, spec, _ in RULES:
        for src in ("relay5424", "relay3164"):
            s = dict(spec)
            s["where"] = dict(spec.get("where", {}), source=src)
            lines += rule_yaml(f"{name}.{src}", s)
    lines.append("tuning: {workers: 2, tick_ms: 100}")
    path = tmp_path / "weir.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def rsyslog_config(d, in_port, port5424, port3164):
    # In-memory action queues big enough for every message: with the
    # default 1,000 and a queue.filename, a slow (sanitizer) weir pushed
    # rsyslog into disk-assisted mode, whose disk part then sat on a
    # hundred messages for minutes (seen under ASan in CI rehearsal).
    return f"""
global(workDirectory="{d}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{in_port}" ruleset="relay")
ruleset(name="relay") {{
  action(type="omfwd" target="127.0.0.1" port="{port5424}" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
         queue.type="LinkedList" queue.size="100000" action.resumeRetryCount="-1")
  action(type="omfwd" target="127.0.0.1" port="{port3164}" protocol="tcp"
         template="RSYSLOG_ForwardFormat"
         queue.type="LinkedList" queue.size="100000" action.resumeRetryCount="-1")
}}
"""


@pytest.fixture
def rsyslog(tmp_path):
    if not os.access(RSYSLOGD, os.X_OK):
        pytest.fail(f"{RSYSLOGD} not found: scripts/deps.sh test installs rsyslog")
    procs = []

    def start(conf_text):
        d = tmp_path / "rsyslog"
        d.mkdir(exist_ok=True)
        conf = d / "rsyslog.conf"
        conf.write_text(conf_text.replace("{DIR}", str(d)))
        # -n: foreground; -i: our own pid file; -f: our own config only.
        p = subprocess.Popen([RSYSLOGD, "-n", "-f", str(conf), "-i", str(d / "pid")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def send_tcp(port, lines):
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    with s:
        s.sendall("".join(line + "\n" for line in lines).encode())


def test_rsyslog_forwards_over_tcp_counts_and_fields_exact(weir, rsyslog, tmp_path):
    n = 5000
    lines, fields = make_messages(n, seed=4)
    p5424, p3164, pin = free_tcp_port(), free_tcp_port(), free_tcp_port()
    d = weir.start(weir_config(tmp_path, p5424, p3164))
    rs = rsyslog(rsyslog_config(tmp_path / "rsyslog", pin, p5424, p3164))
    send_tcp(pin, lines)

    def both_in():
        """Every message in, and the top senders (published once a second)
        caught up."""
        if rs.poll() is not None:
            pytest.fail(f"rsyslogd exited {rs.returncode}: {rs.stdout.read().decode()}")
        srcs = {s["name"]: s for s in d.sources()}
        done = all(srcs[k]["lines"] >= n and
                   sum(p["messages"] for p in srcs[k]["listeners"][0]["top_peers"]) >= n
                   for k in ("relay5424", "relay3164"))
        return done and srcs

    srcs = poll(both_in, timeout=DEADLINE * 4)   # TSan builds on a loaded 2-core box are slow
    assert srcs, f"not every message in: {[(s['name'], s['lines']) for s in d.sources()]}"
    for name in ("relay5424", "relay3164"):
        s = srcs[name]
        assert s["received"] == n and s["lines"] == n, s
        assert s["parse_errors"] == 0, s
        lst = s["listeners"][0]
        assert lst["received"] == n and lst["framing_errors"] == 0 and lst["truncated"] == 0
        assert lst["accepted"] >= 1 and lst["refused"] == 0
        assert lst["top_peers"][0]["peer"] == "127.0.0.1"
        assert lst["top_peers"][0]["messages"] == n and lst["top_peers"][0]["error"] == 0
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 2 * n)
    got = {r["name"]: r["total"] for r in snap["rules"]}
    for name, _, pred in RULES:
        want = sum(1 for f in fields if pred(f))
        assert got[f"{name}.relay5424"] == want, name
        pred3164 = RULES_3164_EXPECT.get(name, pred)
        assert got[f"{name}.relay3164"] == sum(1 for f in fields if pred3164(f)), name
    # the rules are not vacuous
    assert 0 < got["sshd_err.relay5424"] < n and 0 < got["auth_failed.relay5424"] < n
