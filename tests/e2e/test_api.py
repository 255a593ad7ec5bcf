"""The HTTP API: routes, error shapes, headers, and JSON that stays valid
whatever bytes the logs, paths and requests carry."""

import socket
import threading

import pytest

from conftest import LISTEN_RE, expected_counts, records_of, run_weir, strict_json, yq

# An odd but legal file name: quotes, backslash, tab, non-ASCII, JSON and
# HTML specials. The snapshot carries it as the source path.
ODD_NAME = "we\"ird \\ name\twith 'tab' é 日本 <&>{}%s.log"

RULES = [
    {"name": "plain", "match": "error"},
    {"name": "caseless_rule", "match": "warn(ing)?", "caseless": True},
    {"name": "flow_rule", "match": '"quoted" \\d+ back\\\\slash', "caseless": True},
    {"name": "unicode_rule", "match": "café|日本|\x01"},
    {"name": "indented", "match": "z$"},
]


def api_config(tmp_path, log_path):
    # Written by hand so that the rule positions below are known.
    text = "\n".join([
        "listen: 127.0.0.1:0",                                     # 1
        f"state_dir: {yq(tmp_path / 'state')}",                   # 2
        "windows: [10s, 1m, 5m]",                                  # 3
        "sources:",                                                # 4
        "  - name: odd",                                           # 5
        "    type: file",                                          # 6
        f"    path: {yq(log_path)}",                              # 7
        "rules:",                                                  # 8
        "  - name: plain",                                         # 9
        "    match: 'error'",                                      # 10
        "  - name: caseless_rule",                                 # 11
        "    match: 'warn(ing)?'",                                 # 12
        "    caseless: true",                                      # 13
        "  - {name: flow_rule, match: '\"quoted\" \\d+ back\\\\slash', flags: [caseless, dotall]}",  # 14
        "  - name: unicode_rule",                                  # 15
        '    match: "café|日本|\\x01"',                            # 16
        "  -   name: indented",                                    # 17
        "      match: 'z$'",                                       # 18
        "tuning: {workers: 2, tick_ms: 100}",                      # 19
    ]) + "\n"
    path = tmp_path / "api.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def api(weir, tmp_path):
    log = tmp_path / ODD_NAME
    log.write_bytes(b"")
    d = weir.start(api_config(tmp_path, log))
    d.log_path = log
    return d


def assert_json_headers(headers):
    assert headers.get("content-type", "").split(";")[0].strip() == "application/json", headers


def test_healthz_says_ok(api):
    status, headers, body = api.get("/healthz")
    assert status == 200
    assert_json_headers(headers)
    assert body == {"status": "ok"}


def test_head_is_allowed_and_has_no_body(api):
    status, headers, raw = api.request("/healthz", "HEAD")
    assert status == 200
    assert_json_headers(headers)
    assert raw == b""


def test_rules_listing_names_matches_flags_and_positions(api):
    status, headers, body = api.get("/api/v1/rules")
    assert status == 200
    assert_json_headers(headers)
    cfg = str(api.cfg_path)
    plain = {"value": None, "unit": None, "top": None, "top_k": None, "distinct": None,
             "time": None, "where": []}
    assert body == {"rules": [
        {"name": "plain", "match": "error", "flags": [], "source": f"{cfg}:9:5", **plain},
        {"name": "caseless_rule", "match": "warn(ing)?", "flags": ["caseless"],
         "source": f"{cfg}:11:5", **plain},
        {"name": "flow_rule", "match": '"quoted" \\d+ back\\\\slash',
         "flags": ["caseless", "dotall"], "source": f"{cfg}:14:5", **plain},
        {"name": "unicode_rule", "match": "café|日本|\x01", "flags": [],
         "source": f"{cfg}:15:5", **plain},
        {"name": "indented", "match": "z$", "flags": [], "source": f"{cfg}:17:7", **plain},
    ]}


def test_rules_listing_shows_fields_conditions_and_escapes_the_path(weir, tmp_path):
    """What a rule extracts and its where: conditions are listed; a config
    path with a quote and a backslash stays one JSON string."""
    d = tmp_path / 'odd"dir\\x'
    d.mkdir()
    log = d / "access.log"
    log.write_text("")
    cfg = d / "weir.yaml"
    cfg.write_text("\n".join([
        "listen: 127.0.0.1:0",
        f"state_dir: {yq(tmp_path / 'state')}",
        "sources:",
        "  - name: web",
        "    type: file",
        f"    path: {yq(log)}",
        "    format: combined",
        "rules:",
        "  - name: slow",
        "    match: GET",
        "    value: status",
        "    top: path",
        "    top_k: 5",
        "    distinct: ip",
        "    time: event",
        "    where: {status: '>=500', method: [GET, HEAD]}",
    ]) + "\n")
    d0 = weir.start(cfg)
    status, _, body = d0.get("/api/v1/rules")
    assert status == 200
    (r,) = body["rules"]
    assert r["source"] == f"{cfg}:9:5"
    assert (r["value"], r["unit"], r["top"], r["top_k"], r["distinct"], r["time"]) == \
        ("status", "", "path", 5, "ip", "event")
    assert sorted((c["field"], c["op"], c["values"]) for c in r["where"]) == [
        ("method", "=", ["GET", "HEAD"]), ("status", ">=", ["500"])]


@pytest.mark.parametrize("path", ["/index.html", "/nope", "/api/v1", "/api/v1/snapshot/", "/healthz/",
                                  "/api/v2/rules", "/HEALTHZ"])
def test_unknown_path_is_404_json(api, path):
    status, headers, body = api.get(path)
    assert status == 404
    assert_json_headers(headers)
    assert set(body) == {"error"}
    assert body["error"]["status"] == 404
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert path in body["error"]["message"]


@pytest.mark.parametrize("path", ["/api/v1/snapshot", "/api/v1/rules", "/healthz"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_known_paths_are_405_with_allow(api, path, method):
    status, headers, raw = api.request(path, method, body=b"{}" if method != "DELETE" else None)
    assert status == 405
    assert_json_headers(headers)
    allow = {m.strip() for m in headers.get("allow", "").split(",")}
    assert "GET" in allow, headers
    assert method not in allow
    body = strict_json(raw)
    assert body["error"]["status"] == 405
    assert method in body["error"]["message"]


@pytest.mark.parametrize("path", [
    "/%ff%fe",                    # invalid UTF-8
    "/%01%02%1b%7f",              # control bytes
    "/a%22b%5cc",                 # quote and backslash
    "/" + "%C3%A9" * 100,         # long non-ASCII: any cut must not split a character
    "/" + "%E6%97%A5" * 80,
    "/" + "x" * 4000,
])
def test_error_bodies_stay_valid_json_for_odd_urls(api, path):
    status, headers, body = api.get(path)  # get() asserts UTF-8 + strict JSON
    assert status == 404
    assert_json_headers(headers)
    assert body["error"]["status"] == 404


def test_snapshot_shape_and_json_with_binary_log_lines(api):
    # Lines full of invalid UTF-8, control bytes, NULs and escapes; only the
    # counts reach the snapshot, but it must still parse.
    junk = [
        b"\xff\xfe error \x00\x01\x02",
        b"\x1b[31mWARNING\x1b[0m \xc3\x28 \xe2\x82",
        b'"QUOTED" 42 back\\slash \xf0\x9f\x92',
        b"caf\xc3\xa9 \x01 \x7f z",
        b"\xed\xa0\x80 surrogate \xc0\xaf overlong Warn",
        b"plain error z",
        b"\x00" * 50,
        b"\t\x0b\x0c tabs z",
    ]
    data = b"\n".join(junk * 25) + b"\n"
    with open(api.log_path, "ab") as f:
        f.write(data)
    recs = records_of(data)
    exp = expected_counts(recs, RULES)
    assert all(v > 0 for v in exp.values()), exp
    snap = api.poll_snapshot(
        lambda s: s["ingest"]["records"] == len(recs)
        and {r["name"]: r["total"] for r in s["rules"]} == exp)
    assert snap["ingest"]["records"] == len(recs)
    assert {r["name"]: r["total"] for r in snap["rules"]} == exp

    status, headers, _ = api.get("/api/v1/snapshot")
    assert status == 200
    assert_json_headers(headers)
    assert set(snap) >= {"seq", "time", "time_ms", "uptime_s", "tick_ms", "windows", "ingest",
                         "rules"}
    assert snap["tick_ms"] == 100
    assert snap["windows"] == ["10s", "1m", "5m"]
    assert [r["name"] for r in snap["rules"]] == [r["name"] for r in RULES]
    for r in snap["rules"]:
        assert set(r["windows"]) == {"10s", "1m", "5m"}
        for w in r["windows"].values():
            assert set(w) >= {"count", "rate"}
            assert w["count"] == r["total"]
    ing = snap["ingest"]
    assert ing["workers"] == 2
    assert len(ing["sources"]) == 1
    src = ing["sources"][0]
    assert src["name"] == "odd"
    assert src["paths"] == [str(api.log_path)]  # odd characters round-trip
    assert src["bytes"] == len(data)
    assert "files" not in src  # the per-file view is GET /api/v1/sources
    files = api.poll_sources(lambda ss: ss[0]["files"] and ss[0]["files"][0]["offset"] == len(data))
    files = files[0]["files"]
    assert [f["path"] for f in files] == [str(api.log_path)]
    assert files[0]["offset"] == files[0]["size"] == files[0]["bytes"] == len(data)
    for k in ("lines_truncated", "bytes_discarded", "truncations", "errors"):
        assert src[k] == 0, (k, src)


def test_snapshot_seq_and_time_advance_each_tick(api):
    a = api.snapshot()
    b = api.poll_snapshot(lambda s: s["seq"] > a["seq"])
    assert b["seq"] > a["seq"]
    c = api.poll_snapshot(lambda s: s["seq"] > b["seq"])
    assert c["seq"] > b["seq"]
    assert a["time_ms"] <= b["time_ms"] <= c["time_ms"]
    assert c["time_ms"] > a["time_ms"]
    assert c["uptime_s"] > a["uptime_s"]


def test_concurrent_requests_all_succeed(api):
    errors = []

    def client():
        try:
            for i in range(15):
                path = ("/api/v1/snapshot", "/api/v1/rules", "/healthz", "/missing")[i % 4]
                status, headers, _ = api.get(path)
                want = 404 if path == "/missing" else 200
                if status != want:
                    errors.append((path, status))
        except BaseException as e:  # noqa: B902 - pytest.fail too; asserted below
            errors.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_busy_port_fails_with_a_message(tmp_path):
    busy = socket.socket()
    try:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cfg = tmp_path / "busy.yaml"
        cfg.write_text(f"listen: 127.0.0.1:{port}\nstate_dir: {yq(tmp_path)}\nrules: []\n")
        r = run_weir("serve", "-c", cfg)
        assert r.returncode != 0
        assert f"127.0.0.1:{port}" in r.stderr, r.stderr
        assert not LISTEN_RE.search(r.stderr)
    finally:
        busy.close()
