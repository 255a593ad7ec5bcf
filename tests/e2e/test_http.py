"""The v1 API beyond the snapshot: per-rule and top-K routes, readiness,
error statuses (400 naming the parameter, 404, 405, 413, 401/403), the
bearer token, TLS, connection limits, and valid JSON for logs full of
invalid UTF-8 and control bytes."""

import http.client
import json
import os
import socket
import ssl
import subprocess
import time

from conftest import SANITIZER, poll, strict_json, yq

TOKEN = "s3cret-token-0123456789abcdef"


def write_config(tmp_path, log, http_lines=(), name="weir.yaml"):
    lines = [
        "listen: 127.0.0.1:0",
        f"state_dir: {yq(tmp_path / 'state')}",
        "windows: [10s, 1m, 5m]",
        *http_lines,
        "sources:",
        "  - name: app",
        "    type: file",
        f"    path: {yq(log)}",
        "    format: logfmt",
        "rules:",
        "  - name: req",
        "    match: 'ip='",
        "    top: ip",
        "    top_k: 5",
        "  - name: plain",
        "    match: 'x'",
        "tuning: {workers: 2, tick_ms: 100}",
    ]
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def feed(log):
    lines = []
    for i in range(1, 9):
        lines += [f"ip=10.0.0.{i} x\n"] * (i * 10)
    log.write_text("".join(lines))
    return sum(i * 10 for i in range(1, 9))


def err(status, raw, code):
    assert status == code, raw
    body = strict_json(raw)
    assert body["error"]["status"] == code
    return body["error"]["message"]


def test_rule_and_top_routes(weir, tmp_path):
    log = tmp_path / "a.log"
    n = feed(log)
    d = weir.start(write_config(tmp_path, log))
    d.poll_snapshot(lambda s: s["rules"][0]["total"] == n)
    st, _, raw = d.request("/api/v1/rules/req")
    r = strict_json(raw)
    assert st == 200 and r["name"] == "req" and r["total"] == n
    assert set(r["windows"]) == {"10s", "1m", "5m"}
    st, _, raw = d.request("/api/v1/rules/req?window=5m")
    r = strict_json(raw)
    assert st == 200 and r["window"] == "5m" and r["aggregates"]["count"] == n
    assert r["aggregates"]["top"]["items"][0] == {"value": "10.0.0.8", "count": 80, "error": 0}
    st, _, raw = d.request("/api/v1/top/req?window=5m&k=3")
    t = strict_json(raw)
    assert st == 200, raw
    assert [(i["value"], i["count"]) for i in t["items"]] == [
        ("10.0.0.8", 80), ("10.0.0.7", 70), ("10.0.0.6", 60)]
    assert t["total"] == n and t["bound"] == 0
    st, _, raw = d.request("/api/v1/top/req")          # default: the longest window, top_k
    assert st == 200 and len(strict_json(raw)["items"]) == 5 and strict_json(raw)["window"] == "5m"
    # errors
    assert "no such rule" in err(*d.request("/api/v1/rules/nope")[::2], 404)
    assert "window" in err(*d.request("/api/v1/rules/req?window=7m")[::2], 400)
    assert "window" in err(*d.request("/api/v1/top/req?window=x")[::2], 400)
    assert "k" in err(*d.request("/api/v1/top/req?k=0")[::2], 400)
    assert "k" in err(*d.request("/api/v1/top/req?k=abc")[::2], 400)
    assert "top" in err(*d.request("/api/v1/top/plain")[::2], 404)
    st, hdr, raw = d.request("/api/v1/rules/req", method="DELETE")
    err(st, raw, 405)
    assert hdr.get("allow") == "GET, HEAD"
    st, _, raw = d.request("/readyz")
    assert st == 200 and strict_json(raw)["status"] == "ready"


def test_request_body_too_large_is_413(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    # writes open without a token (else they are refused before the body)
    d = weir.start(write_config(tmp_path, log, ["http: {unauthenticated_writes: true}"]))
    st, _, raw = d.request("/api/v1/reload", method="POST", body=b"x" * 200000)
    assert "too large" in err(st, raw, 413)


def test_bearer_token_for_writes_and_optionally_reads(weir, tmp_path):
    log = tmp_path / "a.log"
    feed(log)
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    cfg = write_config(tmp_path, log, [f"http: {{token_file: {yq(tok)}}}"])
    d = weir.start(cfg)

    def post(headers):
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        c.request("POST", "/api/v1/reload", headers=headers)
        r = c.getresponse()
        out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        c.close()
        return out

    st, hdr, raw = post({})
    err(st, raw, 401)
    assert hdr["www-authenticate"].startswith("Bearer")
    st, _, raw = post({"Authorization": "Bearer wrong-token-0123456789abcdef"})
    err(st, raw, 403)
    st, _, raw = post({"Authorization": "Bearer " + TOKEN[:-1]})   # a prefix is not the token
    err(st, raw, 403)
    st, _, raw = post({"Authorization": "Bearer " + TOKEN})
    assert st == 200, raw
    assert d.request("/api/v1/snapshot")[0] == 200                # reads stay open
    d.stop()
    # auth_reads: every read needs it too, but health and readiness
    cfg = write_config(tmp_path, log, [f"http: {{token_file: {yq(tok)}, auth_reads: true}}"],
                       name="reads.yaml")
    proc = subprocess.Popen([d_bin(weir), "serve", "-c", str(cfg)], stderr=subprocess.PIPE,
                            text=True)
    try:
        port = wait_port(proc)

        def ready():   # 503 while starting (state, sources), then 200; no token needed
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/readyz")
            r = c.getresponse()
            r.read()
            c.close()
            assert r.status in (200, 503), r.status
            return r.status == 200

        assert poll(ready), "never ready"
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/api/v1/snapshot")
        r = c.getresponse()
        r.read()
        assert r.status == 401
        c.request("GET", "/api/v1/snapshot", headers={"Authorization": "Bearer " + TOKEN})
        r = c.getresponse()
        strict_json(r.read())
        assert r.status == 200
        for path in ("/healthz", "/readyz"):
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            assert r.status == 200, path
        c.close()
    finally:
        proc.terminate()
        assert proc.wait(20) == 0


def d_bin(weir):
    from conftest import WEIR_BIN
    return WEIR_BIN


def wait_port(proc, timeout=20):
    """The port from weir's 'listening on' log line."""
    import re
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        line = proc.stderr.readline()
        text += line
        m = re.search(r"listening on https?://[^:]+:(\d+)/", line)
        if m:
            return int(m.group(1))
        if not line and proc.poll() is not None:
            break
    raise AssertionError("weir did not start: " + text)


def test_token_file_problems_stop_the_start(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    short = tmp_path / "short"
    short.write_text("abc\n")
    for path, why in ((tmp_path / "missing", "cannot read"), (short, "too short")):
        cfg = write_config(tmp_path, log, [f"http: {{token_file: {yq(path)}}}"], name="t.yaml")
        r = subprocess.run([d_bin(weir), "serve", "-c", str(cfg)], capture_output=True,
                           text=True, timeout=20)
        assert r.returncode != 0 and why in r.stderr, r.stderr
    cfg = write_config(tmp_path, log, ["http: {auth_reads: true, tls_cert: c.pem}"], name="u.yaml")
    r = subprocess.run([d_bin(weir), "check", "-c", str(cfg)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "u.yaml:4:" in r.stderr and "token_file" in r.stderr and "tls_key" in r.stderr


def test_tls(weir, tmp_path):
    log = tmp_path / "a.log"
    n = feed(log)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    cfg = write_config(tmp_path, log, ["http:", "  tls_cert: cert.pem", "  tls_key: key.pem"])
    proc = subprocess.Popen([d_bin(weir), "serve", "-c", str(cfg)], stderr=subprocess.PIPE,
                            text=True)
    try:
        port = wait_port(proc)
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False

        def total():
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
            c.request("GET", "/api/v1/snapshot")
            r = c.getresponse()
            body = strict_json(r.read())
            c.close()
            return body["rules"][0]["total"]

        assert poll(lambda: total() == n)
        # plain HTTP on the TLS port gets no answer
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        s.close()
        assert not data.startswith(b"HTTP/1.1 200"), data
    finally:
        proc.terminate()
        assert proc.wait(20) == 0


def test_connection_limit(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("")
    d = weir.start(write_config(tmp_path, log, ["http: {max_connections: 8, timeout: 2s}"]))
    # Hold twice as many as allowed, idle: each newcomer beyond the limit
    # takes the place of the oldest idle one, so exactly the limit (in
    # total, whatever MHD's threads) are served.
    time.sleep(0.5)  # the fixture's own connections are closed
    held = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(16)]
    time.sleep(0.3)
    served = 0
    for s in held:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except (ConnectionResetError, BrokenPipeError):
            pass
    # every answer within 1.5 s (less than the idle timeout): the newest
    # eight are served, the eight they replaced are closed unanswered
    closed = 0
    end = time.monotonic() + 1.5
    for s in held:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            continue
        served += data.startswith(b"HTTP/1.1 200")
        closed += data == b""
    for s in held:
        s.close()
    assert (served, closed) == (8, 8)
    # idle connections are closed after the timeout, and the server serves again
    assert poll(lambda: d.request("/healthz")[0] == 200)
    idle = socket.create_connection(("127.0.0.1", d.port))
    time.sleep(3.5)
    idle.settimeout(2)
    try:
        assert idle.recv(10) == b""
    except ConnectionResetError:
        pass
    idle.close()


def test_json_stays_valid_for_invalid_utf8_and_control_bytes(weir, tmp_path):
    log = tmp_path / "a.log"
    keys = [b"\xff\xfe", b"a\x00b", b"\x1b[31mred", b"\xc3\x28", b"ok\"q\\", b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80", b"tab\there"]
    log.write_bytes(b"".join(b"ip=" + k + b" x\n" for k in keys * 3)
                    + b"no key here \xff\x01\n")
    d = weir.start(write_config(tmp_path, log))
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 3 * len(keys) + 1)
    for path in ("/api/v1/snapshot", "/api/v1/sources", "/api/v1/rules/req",
                 "/api/v1/rules/req?window=1m", "/api/v1/top/req?k=5", "/api/v1/rules"):
        st, _, raw = d.request(path)
        assert st == 200, (path, raw)
        raw.decode("utf-8")                      # valid UTF-8
        strict_json(raw, path)                   # valid JSON, no NaN
    top = strict_json(d.request("/api/v1/top/req?k=5")[2])
    assert all(i["count"] == 3 for i in top["items"])
    src = strict_json(d.request("/api/v1/sources")[2])["sources"][0]
    assert any("no key here" in u["text"] for u in src["unmatched_recent"])


def http_thread_nices(pid):
    """{tid: nice} of weir's libmicrohttpd threads (their names start MHD)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() != "weir-http":
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                out[tid] = int(f.read().rsplit(")", 1)[1].split()[16])  # field 19: nice
        except OSError:
            continue
    return out


def test_http_threads_run_at_the_configured_nice(weir, tmp_path):
    """The threads that answer requests lower their own priority (default
    19, `http: nice:`); the pipeline's threads keep the process's."""
    log = tmp_path / "a.log"
    log.write_text("ip=1 x\n")
    for lines, want in (([], 19), (["http: {nice: 7}"], 7)):
        d = weir.start(write_config(tmp_path, log, lines, name=f"n{want}.yaml"))

        def all_lowered():
            # a few requests, so each MHD thread has served one
            for _ in range(20):
                d.request("/healthz")
            n = http_thread_nices(d.proc.pid)
            return n if n and all(v == want for v in n.values()) else None
        assert poll(all_lowered)
        others = []
        for tid in os.listdir(f"/proc/{d.proc.pid}/task"):
            with open(f"/proc/{d.proc.pid}/task/{tid}/comm") as f:
                if f.read().strip() == "weir-http":
                    continue
            with open(f"/proc/{d.proc.pid}/task/{tid}/stat") as f:
                others.append(int(f.read().rsplit(")", 1)[1].split()[16]))
        assert others and all(v == os.getpriority(os.PRIO_PROCESS, 0) for v in others), others
        d.stop()
    cfg = write_config(tmp_path, log, ["http: {nice: 20}"], name="bad.yaml")
    r = subprocess.run([d_bin(weir), "check", "-c", str(cfg)], capture_output=True, text=True)
    assert r.returncode != 0 and "bad.yaml:4:" in r.stderr and "nice" in r.stderr, r.stderr


def test_threads_carry_their_names(weir, tmp_path):
    """top -H, perf and gdb show each thread by its job (issue 15)."""
    log = tmp_path / "app.log"
    log.write_text("a=1\n")
    d = weir.start(sources=[{"name": "app", "path": log}], rules=[{"name": "a", "match": "a="}],
                   workers=3)
    d.get("/api/v1/snapshot")  # the HTTP threads have served
    names = []
    for task in os.listdir(f"/proc/{d.proc.pid}/task"):
        with open(f"/proc/{d.proc.pid}/task/{task}/comm") as f:
            names.append(f.read().strip())
    for want in ("weir-ingest", "weir-worker-0", "weir-worker-1", "weir-worker-2", "weir-agg",
                 "weir-http", "weir-sse"):
        assert want in names, f"{want} not among the threads: {sorted(names)}"
    assert names.count("weir-http") >= 2, sorted(names)  # MHD's polling threads
    # only the main thread keeps the name (and ThreadSanitizer's own
    # background thread, which it starts from the main thread)
    assert names.count("weir") <= (2 if "thread" in SANITIZER else 1), sorted(names)
