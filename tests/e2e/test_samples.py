"""GET /api/v1/rules/{name}/samples: the most recent lines each rule matched,
newest first, sanitised; ?key= on a top: rule; limits; unknown rules; what a
reload keeps. Lines are written in bursts of at most `keep` (the workers copy
at most that many per rule per pane), each burst waited for before the next."""

from conftest import poll, run_weir, strict_json, yq

KEEP = 10
PER_KEY = 3

USERS_RULE = r"user=(?<user>\w+)"


def write_config(tmp_path, log, users_match=USERS_RULE):
    text = f"""listen: 127.0.0.1:0
state_dir: {yq(tmp_path / 'state')}
windows: [10s, 1m]
http: {{unauthenticated_writes: true}}
sources:
  - name: app
    type: file
    path: {yq(log)}
    start: beginning
rules:
  - name: errs
    match: 'ERR'
  - name: users
    match: {yq(users_match)}
    top: user
samples: {{keep: {KEEP}, per_key: {PER_KEY}, line_bytes: 1KiB}}
tuning: {{workers: 2, tick_ms: 100}}
"""
    path = tmp_path / "weir.yaml"
    path.write_text(text)
    return path


def append(log, lines):
    with open(log, "ab") as f:
        f.write(b"".join(line + b"\n" for line in lines))


def samples(d, rule, query=""):
    status, _, raw = d.request(f"/api/v1/rules/{rule}/samples{query}")
    assert status == 200, raw
    return strict_json(raw, "samples")


def shown(body):
    return [s["line"] for s in body["samples"]]


def as_client_sees(line):
    """The line as JSON gives it back: each invalid byte becomes U+FFFD (the
    lines here have only single invalid bytes, so Python agrees)."""
    return line.decode("utf-8", "replace")


def wait_lines(d, rule, want, query=""):
    last = {}

    def step():
        last["b"] = samples(d, rule, query)
        return shown(last["b"]) == want

    assert poll(step), f"want {want!r}\ngot {shown(last['b'])!r}"
    return last["b"]


def test_last_lines_newest_first_sanitised(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    d = weir.start(write_config(tmp_path, log))
    hostile = [
        b"ERR <script>alert(1)</script>",
        b"ERR nul \x00 here",
        b"ERR esc \x1b[31mred\x1b[0m",
        b"ERR bad utf8 \xff\xfe end",
        b"ERR tab\tand \"quotes\" \\ & caf\xc3\xa9",
        b"no match here",
    ]
    append(log, hostile)
    want = [as_client_sees(x) for x in reversed(hostile) if b"ERR" in x]
    body = wait_lines(d, "errs", want)
    assert body["rule"] == "errs" and body["key"] is None and body["limit"] == KEEP
    for s in body["samples"]:
        assert s["source"] == "app" and s["key"] is None and s["truncated"] is False
        assert isinstance(s["t_ms"], int) and s["t_ms"] > 1_600_000_000_000
    # the raw body carries no markup and no raw control bytes
    _, headers, raw = d.request("/api/v1/rules/errs/samples")
    assert headers["content-type"].startswith("application/json")
    assert b"<" not in raw and b">" not in raw and b"\x1b" not in raw and b"\x00" not in raw
    assert b"\\u003cscript\\u003e" in raw

    # more bursts: exactly the last KEEP lines, newest first
    written = [x for x in hostile if b"ERR" in x]
    for burst in range(3):
        lines = [f"ERR burst {burst} line {i}".encode() for i in range(KEEP - 2)]
        append(log, lines)
        written += lines
        wait_lines(d, "errs", [as_client_sees(x) for x in reversed(written[-KEEP:])])

    # a very long line is cut at line_bytes and says so
    long = b"ERR " + b"x" * 5000
    append(log, [long])
    body = wait_lines(d, "errs", [long[:1024].decode()] +
                      [as_client_sees(x) for x in reversed(written[-(KEEP - 1):])])
    assert body["samples"][0]["truncated"] is True
    assert all(s["truncated"] is False for s in body["samples"][1:])

    # limit
    body = samples(d, "errs", "?limit=3")
    assert body["limit"] == 3 and len(body["samples"]) == 3
    assert body["samples"][0]["line"] == long[:1024].decode()


def test_key_filter_on_a_top_rule(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    d = weir.start(write_config(tmp_path, log))
    append(log, [b"login user=alice 1", b"login user=alice 2"])
    wait_lines(d, "users", ["login user=alice 2", "login user=alice 1"])
    bob = [f"login user=bob {i}".encode() for i in range(KEEP)]
    append(log, bob)
    # the main ring: bob's KEEP newest
    body = wait_lines(d, "users", [x.decode() for x in reversed(bob)])
    assert all(s["key"] == "bob" for s in body["samples"])
    # alice's lines left the main ring, but her key kept them
    body = samples(d, "users", "?key=alice")
    assert body["key"] == "alice"
    assert shown(body) == ["login user=alice 2", "login user=alice 1"]
    assert all(s["key"] == "alice" for s in body["samples"])
    body = samples(d, "users", "?key=bob&limit=3")
    assert body["limit"] == 3 and shown(body) == [x.decode() for x in reversed(bob[-3:])]
    assert samples(d, "users", "?key=carol")["samples"] == []
    assert samples(d, "users", "?key=bo")["samples"] == []  # exact keys only
    # a rule without top: has no keyed samples
    assert samples(d, "errs", "?key=bob")["samples"] == []


def test_unknown_rule_and_bad_limits(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"ERR one\n")
    d = weir.start(write_config(tmp_path, log))
    wait_lines(d, "errs", ["ERR one"])
    status, headers, raw = d.request("/api/v1/rules/nope/samples")
    assert status == 404, raw
    assert headers["content-type"].startswith("application/json")
    assert strict_json(raw)["error"]["status"] == 404
    assert "nope" in strict_json(raw)["error"]["message"]
    for bad in ("0", "1001", "-1", "abc", "", "2x"):
        status, _, raw = d.request(f"/api/v1/rules/errs/samples?limit={bad}")
        assert status == 400, (bad, raw)
        assert strict_json(raw)["error"]["status"] == 400
    for good, n in (("1", 1), ("1000", 1)):
        body = samples(d, "errs", f"?limit={good}")
        assert body["limit"] == int(good) and len(body["samples"]) == n
    # the rule's own endpoint is still there beside it
    status, _, raw = d.request("/api/v1/rules/errs")
    assert status == 200 and strict_json(raw)["name"] == "errs"
    status, _, _ = d.request("/api/v1/rules/errs/samples", method="POST")
    assert status == 405


def test_reload_keeps_samples_of_unchanged_rules(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    cfg = write_config(tmp_path, log)
    d = weir.start(cfg)
    append(log, [b"ERR before", b"login user=alice before"])
    wait_lines(d, "errs", ["ERR before"])
    wait_lines(d, "users", ["login user=alice before"])
    # errs stays as it is; users changes its regex: a new rule
    write_config(tmp_path, log, users_match=r"user=(?<user>[a-z]+)")
    status, _, raw = d.request("/api/v1/reload", method="POST")
    assert status == 200, raw
    assert poll(lambda: samples(d, "users")["samples"] == [])
    assert shown(samples(d, "errs")) == ["ERR before"]
    append(log, [b"ERR after", b"login user=bob after"])
    wait_lines(d, "errs", ["ERR after", "ERR before"])
    wait_lines(d, "users", ["login user=bob after"])


def test_bad_samples_settings_name_file_line_col(tmp_path):
    # (config, the text the error points at, words in the message)
    cases = [
        ("samples: {keep: 1001}", "1001", "'keep' must be from 0 to 1000"),
        ("samples:\n  line_bytes: 32", "32", "'line_bytes' must be from 64B to 64KiB"),
        ("samples:\n  per_key: many", "many", "'per_key'"),
        ("samples:\n  bytes: 2GiB", "2GiB", "'bytes' must be from 64KiB to 1GiB"),
        ("samples: {keeps: 3}", "keeps", "keeps"),
        ("samples: 20", "20", "'samples' must be a mapping"),
    ]
    for text, at, words in cases:
        cfg = tmp_path / "bad.yaml"
        cfg.write_text(text + "\n")
        line = next(i for i, ln in enumerate(text.split("\n"), 1) if at in ln)
        col = text.split("\n")[line - 1].index(at) + 1
        r = run_weir("check", "-c", cfg)
        assert r.returncode == 2, (text, r.returncode, r.stderr)
        assert r.stderr.startswith(f"{cfg}:{line}:{col}: "), (text, r.stderr)
        assert words in r.stderr, (text, r.stderr)
    cfg = tmp_path / "good.yaml"
    cfg.write_text("samples: {keep: 0, line_bytes: 64, per_key: 100, bytes: 1GiB}\n")
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 0, r.stderr
