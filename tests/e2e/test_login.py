"""The browser's login (http/session.c). With auth_reads, a page logs in
once with the token and gets a cookie that opens reads, the event stream
included (EventSource cannot send an Authorization header):

  - POST /api/v1/login with the token as a bearer header or a JSON body:
    204 and Set-Cookie weir_session (HttpOnly, SameSite=Strict, Path=/,
    Max-Age; Secure over TLS), a value that is not the token;
  - a wrong or missing token is 401 and sets nothing; a bad body 400;
  - the cookie opens GET routes and the stream, never POST /api/v1/reload;
  - another site's page cannot log in; a logout clears the cookie; a
    restart ends every session;
  - GET /api/v1/session says whether a login is needed, without a token.
"""

import http.client
import json
import re
import ssl
import subprocess

import pytest

from conftest import LISTEN_RE, Daemon, poll, strict_json, yq

TOKEN = "s3cret-token-0123456789abcdef"


def start(weir, tmp_path, http=None):
    log = tmp_path / "a.log"
    log.write_bytes(b"hit\n" * 10)
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    if http is None:
        http = f"{{token_file: {yq(tok)}, auth_reads: true}}"
    cfg = weir.config(sources=[{"name": "a", "path": log}],
                      rules=[{"name": "hit", "match": "hit"}], http=http)
    return launch(weir, cfg)


def launch(weir, cfg):
    """weir.start, less its wait for a snapshot (which auth_reads refuses
    without a token): wait for the listening line and /readyz instead."""
    d = Daemon(cfg, weir.tmp_path / f"weir{len(weir.daemons)}.stderr")
    weir.daemons.append(d)  # the fixture stops it
    d.port = int(d.wait_log(LISTEN_RE.pattern).group(1))
    assert poll(lambda: d.request("/readyz")[0] == 200), d.stderr()
    return d


def ask(d, path, method="GET", headers=None, body=None):
    return d.request(path, method, body=body, headers=headers or {})


def login(d, headers=None, body=None):
    """POST /api/v1/login; returns (status, headers, raw body)."""
    return ask(d, "/api/v1/login", "POST", headers, body)


def cookie_of(headers):
    """The weir_session value and the attributes of a Set-Cookie header."""
    sc = headers.get("set-cookie")
    assert sc, headers
    parts = [p.strip() for p in sc.split(";")]
    name, _, value = parts[0].partition("=")
    assert name == "weir_session", sc
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return value, attrs


def session(d, headers=None):
    st, _, raw = ask(d, "/api/v1/session", headers=headers)
    assert st == 200, raw
    return strict_json(raw)


def err(st, raw, code):
    assert st == code, raw
    body = strict_json(raw)
    assert body["error"]["status"] == code
    return body["error"]["message"]


@pytest.mark.parametrize("how", ["header", "body"])
def test_the_right_token_gets_a_cookie_that_opens_reads(weir, tmp_path, how):
    d = start(weir, tmp_path)
    assert session(d) == {"auth_reads": True, "authenticated": False}
    st, _, raw = ask(d, "/api/v1/snapshot")
    err(st, raw, 401)
    if how == "header":
        st, hdr, raw = login(d, {"Authorization": "Bearer " + TOKEN})
    else:
        st, hdr, raw = login(d, {"Content-Type": "application/json"},
                             json.dumps({"token": TOKEN}).encode())
    assert st == 204 and raw == b"", (st, raw)
    value, attrs = cookie_of(hdr)
    assert value and TOKEN not in value, value
    assert "httponly" in attrs and attrs.get("samesite") == "Strict", attrs
    assert attrs.get("path") == "/" and int(attrs["max-age"]) > 0, attrs
    assert "secure" not in attrs, attrs  # plain HTTP
    assert hdr.get("cache-control") == "no-store"
    jar = {"Cookie": f"weir_session={value}"}

    assert session(d, jar) == {"auth_reads": True, "authenticated": True}
    for path in ("/api/v1/snapshot", "/api/v1/rules/hit", "/api/v1/sources", "/metrics"):
        st, _, raw = ask(d, path, headers=jar)
        assert st == 200, (path, raw)
    # the event stream, as a browser's EventSource asks for it
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        c.request("GET", "/api/v1/stream", headers={**jar, "Accept": "text/event-stream"})
        r = c.getresponse()
        assert r.status == 200 and r.getheader("content-type") == "text/event-stream"
        assert r.readline() == b"retry: 2000\n"
    finally:
        c.close()
    # without it, or with a forged one, reads are refused again
    for bad in (f"weir_session={TOKEN}", "weir_session=4102444800." + "0" * 64,
                f"weir_session={value[:-1]}", f"weir_session=1.{value.split('.', 1)[1]}"):
        st, _, raw = ask(d, "/api/v1/snapshot", headers={"Cookie": bad})
        err(st, raw, 401)


def test_a_wrong_or_missing_token_is_401_and_sets_nothing(weir, tmp_path):
    d = start(weir, tmp_path)
    for headers, body in (({"Authorization": "Bearer wrong-token-0123456789"}, None),
                          ({}, json.dumps({"token": TOKEN + "x"}).encode()),
                          ({}, json.dumps({"token": TOKEN[:-1]}).encode()),
                          ({}, None)):
        st, hdr, raw = login(d, headers, body)
        err(st, raw, 401)
        assert "set-cookie" not in hdr, hdr
        assert hdr.get("www-authenticate", "").startswith("Bearer"), hdr
    for body in (b"not json", b'{"token": 5}', b"[]", b'{"tok": "x"}'):
        st, hdr, raw = login(d, {}, body)
        assert "token" in err(st, raw, 400)
        assert "set-cookie" not in hdr
    st, _, raw = login(d, {}, b"{" + b" " * 5000 + b"}")
    err(st, raw, 413)
    # refused logins are logged, not silently dropped
    d.wait_log(r"a login with a wrong token was refused")


def test_the_cookie_does_not_authorise_writes(weir, tmp_path):
    d = start(weir, tmp_path)
    st, hdr, _ = login(d, {"Authorization": "Bearer " + TOKEN})
    assert st == 204
    jar = {"Cookie": "weir_session=" + cookie_of(hdr)[0]}
    st, _, raw = ask(d, "/api/v1/reload", "POST", jar, b"")
    assert "reads only" in err(st, raw, 401)
    st, _, raw = ask(d, "/api/v1/reload", "POST", {**jar, "Authorization": "Bearer " + TOKEN}, b"")
    assert st == 200, raw


def test_another_sites_page_cannot_log_in_or_out(weir, tmp_path):
    d = start(weir, tmp_path)
    own = f"http://127.0.0.1:{d.port}"
    for extra in ({"Origin": "http://evil.example"}, {"Origin": f"http://127.0.0.1:{d.port + 1}"},
                  {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        for path in ("/api/v1/login", "/api/v1/logout"):
            st, hdr, raw = ask(d, path, "POST", {"Authorization": "Bearer " + TOKEN, **extra})
            msg = err(st, raw, 403)
            assert "cross-origin" in msg, msg
            assert "set-cookie" not in hdr and not any(k.startswith("access-control-") for k in hdr)
    st, hdr, _ = login(d, {"Origin": own, "Sec-Fetch-Site": "same-origin"},
                       json.dumps({"token": TOKEN}).encode())
    assert st == 204 and cookie_of(hdr)[0]


def test_logout_clears_the_cookie_and_a_restart_ends_sessions(weir, tmp_path):
    d = start(weir, tmp_path)
    st, hdr, _ = login(d, {"Authorization": "Bearer " + TOKEN})
    assert st == 204
    value = cookie_of(hdr)[0]
    st, hdr, raw = ask(d, "/api/v1/logout", "POST", {"Cookie": "weir_session=" + value})
    assert st == 204 and raw == b""
    cleared, attrs = cookie_of(hdr)
    assert cleared == "" and attrs.get("max-age") == "0", hdr
    assert "httponly" in attrs and attrs.get("path") == "/"
    # the session lives in the browser: the same value still reads until
    # the process that issued it stops
    st, _, _ = ask(d, "/api/v1/snapshot", headers={"Cookie": "weir_session=" + value})
    assert st == 200
    d.stop()
    d = launch(weir, d.cfg_path)
    st, _, raw = ask(d, "/api/v1/snapshot", headers={"Cookie": "weir_session=" + value})
    err(st, raw, 401)
    assert session(d, {"Cookie": "weir_session=" + value})["authenticated"] is False


def test_session_without_auth_reads(weir, tmp_path):
    # no token at all: nothing to log in with
    d = start(weir, tmp_path, http="{unauthenticated_writes: true}")
    assert session(d) == {"auth_reads": False, "authenticated": False}
    st, hdr, raw = login(d, {"Authorization": "Bearer " + TOKEN})
    assert "no token is configured" in err(st, raw, 403)
    assert "set-cookie" not in hdr
    d.stop()
    # a token for writes only: reads are open, a login still works
    tok = tmp_path / "token"
    d = start(weir, tmp_path, http=f"{{token_file: {yq(tok)}}}")
    assert session(d) == {"auth_reads": False, "authenticated": False}
    assert session(d, {"Authorization": "Bearer " + TOKEN})["authenticated"] is True
    assert session(d, {"Authorization": "Bearer nope-nope-nope-nope"})["authenticated"] is False
    st, _, _ = ask(d, "/api/v1/snapshot")
    assert st == 200


def test_over_tls_the_cookie_is_secure(weir, tmp_path):
    from conftest import WEIR_BIN
    log = tmp_path / "a.log"
    log.write_text("")
    tok = tmp_path / "token"
    tok.write_text(TOKEN)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    cfg = weir.config(sources=[{"name": "a", "path": log}], rules=[{"name": "hit", "match": "hit"}],
                      http=f"{{token_file: {yq(tok)}, auth_reads: true, "
                           f"tls_cert: {yq(cert)}, tls_key: {yq(key)}}}")
    proc = subprocess.Popen([WEIR_BIN, "serve", "-c", str(cfg)], stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stderr:
            m = re.search(r"listening on https://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "weir did not start"
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
        c.request("POST", "/api/v1/login", body=json.dumps({"token": TOKEN}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        assert r.status == 204
        value, attrs = cookie_of({"set-cookie": r.getheader("set-cookie")})
        assert "secure" in attrs and "httponly" in attrs, attrs
        c.request("GET", "/api/v1/session", headers={"Cookie": "weir_session=" + value})
        r = c.getresponse()
        assert strict_json(r.read()) == {"auth_reads": True, "authenticated": True}
        c.close()
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
