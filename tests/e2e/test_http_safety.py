"""The API is safe to leave running beside a browser, and nobody can lock
the operator out of it:

  - writes (POST /api/v1/reload) need the token, or an explicit
    `unauthenticated_writes: true`; SIGHUP stays the operator's;
  - a browser's cross-origin write is refused whatever the config, and a
    CORS preflight gets no Access-Control-Allow-* header;
  - only requests that name this server in Host are served (DNS
    rebinding): others get 421;
  - /readyz answers 503 while checkpoints fail, 200 again once one works;
  - series parameters are bounded, and a burst of series requests neither
    stalls the snapshots nor loses a record;
  - max_connections is the total; each client has its own limit; a request
    head must arrive within header_timeout; event streams are capped and a
    new one drops the one furthest behind; /healthz answers while slow and
    greedy clients hold every other place;
  - running out of descriptors does not flood the log.

Every client here connects to 127.0.0.1; some bind another loopback source
address (127.0.0.2, ...) to stand for other machines.
"""

import http.client
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import SANITIZER, WEIR_BIN, Appender, poll, strict_json, yq

TOKEN = "s3cret-token-0123456789abcdef"
SLOW = 4 if SANITIZER else 1  # time factor for a sanitized build
_UNSET = object()


def write_config(tmp_path, log, http=None, extra=(), tick_ms=100, name="weir.yaml"):
    """A config tailing log with two rules; http is the `http:` mapping's
    YAML text, extra more top-level lines."""
    lines = [
        "listen: 127.0.0.1:0",
        f"state_dir: {yq(tmp_path / 'state')}",
        "windows: [10s, 1m, 5m]",
        *extra,
    ]
    if http:
        lines.append(f"http: {http}")
    lines += [
        "sources:",
        "  - name: app",
        "    type: file",
        f"    path: {yq(log)}",
        "rules:",
        "  - name: err",
        "    match: 'error'",
        "  - name: all",
        "    match: '^'",
        f"tuning: {{workers: 2, tick_ms: {tick_ms}}}",
    ]
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def ask(port, path, method="GET", headers=None, host=_UNSET, body=None, src="127.0.0.1",
        timeout=10.0):
    """One request from src; returns (status, lower-cased headers, raw body).
    host: the Host header to send instead of http.client's 127.0.0.1:PORT."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(src, 0))
    try:
        c.putrequest(method, path, skip_host=host is not _UNSET, skip_accept_encoding=True)
        if host is not _UNSET:
            c.putheader("Host", host)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None or method == "POST":
            c.putheader("Content-Length", str(len(body or b"")))
        c.endheaders(body)
        r = c.getresponse()
        raw = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
    finally:
        c.close()


def err(status, raw, code):
    """The message of a JSON error with status code."""
    assert status == code, (status, raw[:300])
    body = strict_json(raw)
    assert set(body) == {"error"} and body["error"]["status"] == code, body
    return body["error"]["message"]


def connect(port, src="127.0.0.1", rcvbuf=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def closed_by_peer(s, timeout):
    """Whether the server closes s (EOF or reset) within timeout seconds,
    reading and dropping whatever it sent before."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
        if not r:
            return False
        try:
            if not s.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def reloads(d):
    return d.stderr().count("reload: ")


# ---------------------------------------------------------------------------
# 1. Writes need a token, or the key that says they do not


def test_writes_are_refused_without_a_token(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("error\n")
    d = weir.start(write_config(tmp_path, log))
    st, _, raw = ask(d.port, "/api/v1/reload", "POST")
    msg = err(st, raw, 403)
    assert "token_file" in msg and "unauthenticated_writes" in msg, msg
    assert reloads(d) == 0, d.stderr()
    # reads stay open, and SIGHUP (the operator's, on the machine) reloads
    assert ask(d.port, "/api/v1/snapshot")[0] == 200
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log(r"reload: \d+ rules from")


def test_unauthenticated_writes_opens_writes(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("error\n")
    d = weir.start(write_config(tmp_path, log, "{unauthenticated_writes: true}"))
    st, _, raw = ask(d.port, "/api/v1/reload", "POST")
    assert st == 200, raw
    assert json.loads(raw)["status"] == "ok"
    d.wait_log(r"reload: \d+ rules from")


# ---------------------------------------------------------------------------
# 2. A browser's cross-origin write never succeeds


@pytest.mark.parametrize("auth", ["open", "token"])
def test_cross_origin_writes_are_refused(weir, tmp_path, auth):
    log = tmp_path / "a.log"
    log.write_text("")
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    http = ("{unauthenticated_writes: true}" if auth == "open"
            else f"{{token_file: {yq(tok)}}}")
    d = weir.start(write_config(tmp_path, log, http))
    base = {} if auth == "open" else {"Authorization": "Bearer " + TOKEN}
    own = f"http://127.0.0.1:{d.port}"
    for extra in ({"Origin": "http://evil.example"},
                  {"Origin": "null"},
                  {"Origin": f"http://127.0.0.1:{d.port + 1}"},
                  {"Origin": f"https://127.0.0.1:{d.port}"},
                  {"Origin": f"http://localhost:{d.port}"},
                  {"Sec-Fetch-Site": "cross-site"},
                  {"Sec-Fetch-Site": "same-site"},
                  {"Origin": own, "Sec-Fetch-Site": "cross-site"}):
        st, hdr, raw = ask(d.port, "/api/v1/reload", "POST", {**base, **extra})
        msg = err(st, raw, 403)
        assert "origin" in msg.lower() or "site" in msg.lower(), (extra, msg)
        assert not any(k.startswith("access-control-") for k in hdr), hdr
    assert reloads(d) == 0, d.stderr()
    # the server's own origin, and requests no browser made cross-site
    for extra, host in (({"Origin": own}, _UNSET),
                        ({"Origin": "http://LOCALHOST:%d" % d.port}, f"localhost:{d.port}"),
                        ({"Sec-Fetch-Site": "same-origin"}, _UNSET),
                        ({"Sec-Fetch-Site": "none"}, _UNSET),
                        ({}, _UNSET)):
        st, _, raw = ask(d.port, "/api/v1/reload", "POST", {**base, **extra}, host=host)
        assert st == 200, (extra, raw)


def test_cors_preflights_get_no_allow_headers(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, "{unauthenticated_writes: true}"))
    pre = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization, content-type"}
    for path in ("/api/v1/reload", "/api/v1/snapshot", "/healthz", "/nope"):
        st, hdr, raw = ask(d.port, path, "OPTIONS", pre)
        assert st >= 400, (path, st, raw)
        assert not any(k.startswith("access-control-") for k in hdr), (path, hdr)
    st, hdr, _ = ask(d.port, "/api/v1/snapshot", headers={"Origin": "http://evil.example"})
    assert st == 200 and not any(k.startswith("access-control-") for k in hdr), hdr


# ---------------------------------------------------------------------------
# 3. DNS rebinding: only requests addressed to this server are served


def test_only_requests_that_name_this_server_are_served(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, "{hosts: [weir.example, Dash.Internal]}"))
    p = d.port
    good = [f"127.0.0.1:{p}", "127.0.0.1", "127.9.8.7:1", f"localhost:{p}", "LocalHost",
            f"[::1]:{p}", "[::1]", "weir.example", f"WEIR.Example:{p}", "dash.internal"]
    bad = ["evil.example", f"evil.example:{p}", "weir.example.evil.example",
           "localhost.evil.example", "127.0.0.1.nip.io", f"10.0.0.1:{p}", "[::2]",
           "[2001:db8::1]:80", "weir.example:x", "weir", "0x7f000001"]
    for host in good:
        for path in ("/api/v1/snapshot", "/healthz"):
            st, _, raw = ask(d.port, path, host=host)
            assert st == 200, (path, host, st, raw[:200])
    for path in ("/api/v1/snapshot", "/healthz", "/readyz", "/metrics", "/api/v1/nope",
                 "/api/v1/stream"):
        for host in bad:
            st, _, raw = ask(d.port, path, host=host)
            msg = err(st, raw, 421)
            assert "hosts" in msg, (host, msg)
    # a write too, before anything else is looked at
    st, _, raw = ask(d.port, "/api/v1/reload", "POST", host="evil.example")
    err(st, raw, 421)
    # HTTP/1.0 without a Host
    s = connect(d.port)
    s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    assert data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"), data


def test_a_wildcard_listener_serves_any_ip_literal(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    cfg = write_config(tmp_path, log)
    cfg.write_text(cfg.read_text().replace("listen: 127.0.0.1:0", "listen: 0.0.0.0:0"))
    # (conftest's Daemon expects a 127.0.0.1 listener; every request still
    # goes to 127.0.0.1)
    proc = subprocess.Popen([WEIR_BIN, "serve", "-c", str(cfg)], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    try:
        port = None
        for _ in range(200):
            line = proc.stderr.readline()
            m = re.search(r"listening on http://0\.0\.0\.0:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "no listening line"
        for host in ("192.0.2.7", f"192.0.2.7:{port}", "[2001:db8::1]:80", "localhost"):
            assert ask(port, "/healthz", host=host)[0] == 200, host
        for host in ("evil.example", "192.0.2.7.nip.io"):
            err(*ask(port, "/healthz", host=host)[::2], 421)
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


# ---------------------------------------------------------------------------
# 4. /readyz says so when checkpoints fail


def test_readyz_is_503_while_checkpoints_fail(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("error\n")
    state = tmp_path / "state"
    d = weir.start(write_config(tmp_path, log, extra=["checkpoint_interval: 1s"]))
    snap = d.poll_snapshot(lambda s: s["ingest"].get("last_checkpoint_ok") is True, timeout=10)
    assert snap["ingest"]["last_checkpoint_ok"] is True, snap["ingest"]
    assert isinstance(snap["ingest"]["last_checkpoint_ms"], int)
    assert ask(d.port, "/readyz")[0] == 200
    # the state directory becomes a file: every checkpoint fails
    shutil.rmtree(state)
    state.write_text("not a directory\n")
    try:
        def failing():
            st, _, raw = ask(d.port, "/readyz")
            return (st, raw) if st == 503 else None

        got = poll(failing, timeout=10 * SLOW)
        assert got, "readyz stayed 200 while checkpoints failed"
        msg = err(got[0], got[1], 503)
        assert "checkpoint" in msg, msg
        ing = d.snapshot()["ingest"]
        assert ing["last_checkpoint_ok"] is False and ing["checkpoint_errors"] >= 1, ing
        assert ask(d.port, "/healthz")[0] == 200  # alive, not ready
    finally:
        state.unlink()
        state.mkdir()
    assert poll(lambda: ask(d.port, "/readyz")[0] == 200, timeout=10 * SLOW)
    assert d.snapshot()["ingest"]["last_checkpoint_ok"] is True


# ---------------------------------------------------------------------------
# 5. One read request must not stall the pipeline


BAD_SERIES = [
    ("step=4294967295s", "step"),
    ("range=1h&step=2h", "step"),            # step longer than the range
    ("range=30d&step=1m", "step"),           # 43,200 points
    ("range=15m&step=0s", "step"),
    ("range=31d", "range"),
    ("range=4294967295s", "range"),
    ("range=10x", "range"),
    ("range=5m5s", "range"),
    ("range=", "range"),
    ("range=-5m", "range"),
    ("step=1s1", "step"),
]


def test_series_parameters_are_bounded(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("error\n" * 10)
    d = weir.start(write_config(tmp_path, log))
    for query, name in BAD_SERIES:
        t0 = time.monotonic()
        st, _, raw = ask(d.port, f"/api/v1/series/all?{query}", timeout=30)
        took = time.monotonic() - t0
        msg = err(st, raw, 400)
        assert msg.startswith(f"bad {name}"), (query, msg)
        assert took < 1.0 * SLOW, (query, took)
    for query in ("range=30d&step=260s", "range=24h&step=9s", "range=15m&step=1s",
                  "range=1m&step=10", "", "range=1h&step=1h"):
        t0 = time.monotonic()
        st, _, raw = ask(d.port, f"/api/v1/series/all?{query}", timeout=30)
        assert st == 200, (query, raw)
        assert time.monotonic() - t0 < 1.0 * SLOW, query
        assert len(json.loads(raw)["points"]) <= 10001


def test_a_burst_of_series_requests_does_not_stall_the_pipeline(weir, tmp_path):
    """20 clients ask for the costliest series allowed (and some refused)
    while a writer appends: every tick is still published on time, and
    every line is counted."""
    tick = 250
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    d = weir.start(write_config(tmp_path, log, tick_ms=tick))
    paths = ["/api/v1/series/all?range=30d&step=260s", "/api/v1/series/all?range=24h&step=9s",
             "/api/v1/series/err?range=15m&step=1s", "/api/v1/series/all?step=4294967295s",
             "/api/v1/series/all?range=4294967295s&step=4294967295s"]
    want = {0: 200, 1: 200, 2: 200, 3: 400, 4: 400}
    stop = threading.Event()
    bad, done = [], [0]

    def client(i):
        k = i
        while not stop.is_set():
            try:
                st, _, raw = ask(d.port, paths[k % len(paths)], timeout=20)
            except OSError as e:
                bad.append(("error", repr(e)))
                return
            if st != want[k % len(paths)]:
                bad.append((paths[k % len(paths)], st, raw[:200]))
            done[0] += 1
            k += 1

    w = Appender([log], seed=11)
    w.start()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(20)]
    ticks = []  # (id, time_ms) of every event of one stream
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    try:
        conn.request("GET", "/api/v1/stream")
        resp = conn.getresponse()
        assert resp.status == 200
        for t in threads:
            t.start()
        end = time.monotonic() + 4
        eid = None
        while time.monotonic() < end:
            line = resp.readline()
            assert line, "stream ended"
            if line.startswith(b"id: "):
                eid = int(line[4:])
            elif line.startswith(b"data: "):
                ticks.append((eid, json.loads(line[6:])["time_ms"]))
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        conn.close()
        data = w.stop()
    assert not bad, bad[:5]
    assert done[0] >= 20, done
    gaps = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) >= 4000 / tick / 2, ticks
    # every tick published within about two ticks of the last one
    assert max(gaps) <= (2.5 if not SANITIZER else 6) * tick, (max(gaps), ticks)
    n = data.count(b"\n")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == n, timeout=20 * SLOW)
    assert snap["ingest"]["records"] == n
    assert {r["name"]: r["total"] for r in snap["rules"]}["all"] == n


# ---------------------------------------------------------------------------
# 6. Nobody locks the operator out


STREAM_REQ = b"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def open_stream(port, src="127.0.0.1", timeout=5.0):
    """A reading event stream from src: its connection and response."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(src, 0))
    c.request("GET", "/api/v1/stream")
    r = c.getresponse()
    return c, r


def next_event(r):
    """(id, type) of the stream's next event; None at its end."""
    eid = kind = None
    while True:
        line = r.readline()
        if not line:
            return None
        if line.startswith(b"id: "):
            eid = int(line[4:])
        elif line.startswith(b"event: "):
            kind = line[7:].strip().decode()
        elif line == b"\n" and eid is not None:
            return eid, kind


def test_max_connections_is_the_total(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, "{max_connections: 12}"))
    streams = []
    try:
        for _ in range(12):
            c, r = open_stream(d.port, timeout=5 * SLOW)
            streams.append(c)
            assert r.status == 200
            assert next_event(r)[1] == "snapshot"
        # every place is taken by a busy connection: another request is
        # refused at once, and the probes still answer
        st, hdr, raw = ask(d.port, "/api/v1/snapshot", timeout=5 * SLOW)
        assert "connections" in err(st, raw, 503)
        assert ask(d.port, "/healthz", timeout=2 * SLOW)[0] == 200
    finally:
        for c in streams:
            c.close()


def health(port, src="127.0.0.1", timeout=5.0):
    """GET /healthz's status, or None when the connection was refused or
    closed without an answer."""
    try:
        return ask(port, "/healthz", src=src, timeout=timeout)[0]
    except (OSError, http.client.HTTPException):
        return None


def test_each_client_has_its_own_connection_limit(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, "{max_connections_per_client: 3}"))
    time.sleep(0.5)  # the fixture's own connections are closed
    held = []
    try:
        for _ in range(3):  # three kept-alive connections, each served once
            c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            assert r.status == 200
            held.append(c)
        extra = connect(d.port)
        try:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert closed_by_peer(extra, 5 * SLOW), "a fourth connection from one address was served"
        extra.close()
        # another address is another client
        assert health(d.port, src="127.0.0.2") == 200
        held.pop().close()
        assert poll(lambda: health(d.port) == 200, timeout=5 * SLOW)
    finally:
        for c in held:
            c.close()


def test_a_request_head_must_arrive_within_header_timeout(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, "{header_timeout: 2s, timeout: 60s}"))
    slow, idle = connect(d.port), connect(d.port)
    try:
        head = b"GET /api/v1/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200
        t0 = time.monotonic()
        closed_at = None
        for i in range(len(head)):
            try:
                slow.send(head[i:i + 1])
            except (ConnectionResetError, BrokenPipeError):
                closed_at = time.monotonic() - t0
                break
            if closed_by_peer(slow, 0.25):
                closed_at = time.monotonic() - t0
                break
            if time.monotonic() - t0 > 10 * SLOW:
                break
        assert closed_at is not None, "a client sending a byte at a time was never cut off"
        assert 1.5 <= closed_at <= 2 + 2 * SLOW, closed_at
        # a connection that sends nothing goes too, well before timeout (60s)
        assert closed_by_peer(idle, 3 * SLOW)
        assert ask(d.port, "/healthz")[0] == 200
    finally:
        slow.close()
        idle.close()


def test_a_stream_beyond_max_streams_drops_the_one_furthest_behind(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("".join(f"error line {i} " + "x" * 200 + "\n" for i in range(200)))
    d = weir.start(write_config(tmp_path, log, "{max_streams: 2}"))
    stuck = connect(d.port, rcvbuf=1024)
    stuck.sendall(STREAM_REQ)  # and never reads
    live_c, live = open_stream(d.port)
    new_c = None
    w = Appender([log], seed=3, batch=(5, 20))
    w.start()
    try:
        assert next_event(live)[1] == "snapshot"
        time.sleep(1.5)  # the stuck stream falls behind; the live one follows
        new_c, new = open_stream(d.port)
        assert new.status == 200
        assert next_event(new)[1] == "snapshot"
        # the live stream goes on, the stuck one ends
        for _ in range(3):
            assert next_event(live)[1] in ("tick", "snapshot")
        assert closed_by_peer(stuck, 5 * SLOW), "the stream furthest behind was kept"
        assert next_event(new)[1] == "tick"
    finally:
        w.stop()
        stuck.close()
        live_c.close()
        if new_c:
            new_c.close()


def test_health_answers_while_slow_and_greedy_clients_hold_every_place(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, "{max_connections: 24}"))
    held, slow = [], []
    stop = threading.Event()

    def dribble():
        head = b"GET /api/v1/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 4000
        k = 0
        while not stop.wait(1.0):
            for s in slow:
                try:
                    s.send(head[k:k + 1])
                except OSError:
                    pass
            k += 1

    t = threading.Thread(target=dribble, daemon=True)
    try:
        # event streams that never read, from 127.0.0.2
        for _ in range(12):
            s = connect(d.port, "127.0.0.2", rcvbuf=1024)
            s.sendall(STREAM_REQ)
            held.append(s)
        # clients that send their request a byte a second, from 127.0.0.3-6
        for i in range(40):
            slow.append(connect(d.port, f"127.0.0.{3 + i % 4}"))
        t.start()
        time.sleep(1.5)
        for _ in range(5):
            t0 = time.monotonic()
            st, _, raw = ask(d.port, "/healthz", timeout=1.0 * SLOW)
            assert st == 200, raw
            assert time.monotonic() - t0 < 1.0 * SLOW
            st, _, raw = ask(d.port, "/readyz", timeout=1.0 * SLOW)
            assert st == 200, raw
            time.sleep(0.5)
    finally:
        stop.set()
        if t.is_alive():
            t.join(5)
        for s in held + slow:
            s.close()
    assert poll(lambda: ask(d.port, "/api/v1/snapshot")[0] == 200, timeout=15 * SLOW)


# ---------------------------------------------------------------------------
# 7. Out of descriptors, the log stays readable


def test_running_out_of_descriptors_does_not_flood_the_log(weir, tmp_path):
    """weir's descriptor limit is lowered (prlimit) to what it holds: the
    HTTP threads then find accept() failing at once, every time they try,
    and MHD says so each time, in a loop. weir's log of it stays a few
    lines a second, counting what it left out; once descriptors are back,
    it serves again."""
    log = tmp_path / "a.log"
    log.write_text("x\n")
    d = weir.start(write_config(tmp_path, log, extra=["checkpoint_interval: 1h"]))
    pid = d.proc.pid
    time.sleep(0.5)  # the fixture's own connections are closed
    limits = resource.prlimit(pid, resource.RLIMIT_NOFILE)

    def http_lines():
        return [ln for ln in d.stderr().splitlines() if " http: " in ln]

    before = len(http_lines())
    socks = []
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (len(os.listdir(f"/proc/{pid}/fd")), limits[1]))
    try:
        for _ in range(3):
            s = connect(d.port)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            socks.append(s)
        time.sleep(3)
        lines = http_lines()[before:]
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, limits)
    try:
        assert any("Too many open files" in ln for ln in lines), d.stderr()[-3000:]
        assert len(lines) < 100, f"{len(lines)} lines in 3 s:\n" + "\n".join(lines[-20:])
        assert any("similar suppressed)" in ln for ln in lines), "\n".join(lines)
        # the waiting clients are served once descriptors are back
        for s in socks:
            s.settimeout(10 * SLOW)
            assert s.recv(12) == b"HTTP/1.1 200", "not served after the limit was raised"
    finally:
        for s in socks:
            s.close()
