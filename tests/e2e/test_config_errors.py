"""A bad config is fatal at start-up, for `weir check` and `weir serve`
alike: exit 2 and one `FILE:LINE:COL: message` line per problem, pointing at
the offending text. Positions are found here by searching the config text."""

import http.client
import json
import re
import signal
import subprocess

import pytest

from conftest import (DEADLINE, EXIT_TIMEOUT, LISTEN_RE, WEIR_BIN, assert_no_sanitizer_report,
                      poll, run_weir, totals, yq)

HEAD = "listen: 127.0.0.1:0\nstate_dir: /tmp/weir-e2e-unused\n"


def pos(text, needle, nth=1):
    """1-based (line, col) of the nth occurrence of needle in text."""
    i = -1
    for _ in range(nth):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


# (id, config text, [(needle, nth, [words the message must contain])])
CASES = [
    ("unknown_top_level_key",
     HEAD + "windows: [10s]\nbogus_key: 1\n",
     [("bogus_key", 1, ["unknown key", "bogus_key"])]),
    ("unknown_key_in_source",
     HEAD + "sources:\n  - name: s\n    type: file\n    path: /tmp/x.log\n    strat: end\n",
     [("strat", 1, ["unknown key", "strat"])]),
    ("unknown_key_in_rule_flow_mapping",
     HEAD + "rules:\n  - {name: r, match: abc, casless: true}\n",
     [("casless", 1, ["unknown key", "casless"])]),
    ("two_unknown_keys_both_reported",
     HEAD + "tuning:\n  workers: 2\n  wrokers: 3\nfoo: 1\n",
     [("wrokers", 1, ["unknown key", "wrokers"]), ("foo", 1, ["unknown key", "foo"])]),
    ("bad_regex_inverted_repeat",
     HEAD + "rules:\n  - name: fine\n    match: abc\n  - name: inverted\n    match: 'a{2,1}'\n",
     [("'a{2,1}'", 1, ["inverted", "a{2,1}"])]),
    ("bad_regex_lookbehind_plain_scalar_deep_column",
     HEAD + "rules:\n  - name: lookbehind\n    caseless: true\n    match:      (?<=a+)b\n",
     [("(?<=a+)b", 1, ["lookbehind", "(?<=a+)b"])]),
    ("two_bad_regexes_in_flow_mappings",
     HEAD + "rules:\n  - {name: one,   match: \"a{2,1}\"}\n  - {name: ok, match: x}\n"
            "  - {name: two, match: '(?<=a+)b'}\n",
     [('"a{2,1}"', 1, ["one", "a{2,1}"]), ("'(?<=a+)b'", 1, ["two", "(?<=a+)b"])]),
    ("yaml_unclosed_flow_sequence",
     HEAD + "windows: [10s, 1m\nrules: []\n",
     [("[", 1, ["this '[' is not closed before"]),
      (": []", 1, ["did not find expected ',' or ']'", "flow sequence started at"])]),
    ("yaml_flow_sequence_open_at_the_end",
     HEAD + "rules:\n  - {name: r, match: '\u00e9\u00e9', flags: [caseless\n",
     [("[caseless", 1, ["this '[' is never closed"])]),
    ("yaml_unclosed_double_quote",
     HEAD + "rules:\n  - name: r\n    match: \"abc\n",
     [('"abc', 1, ["this '\"' is never closed"])]),
    ("yaml_bad_indentation",
     HEAD + "rules:\n  - name: a\n   match: b\n",
     [("match", 1, ["did not find expected '-' indicator", "block collection started at"])]),
    ("yaml_mapping_value_in_plain_scalar",
     HEAD + "rules:\n  - name: r\n    match: foo: bar\n",
     [(": bar", 1, [])]),
    ("duplicate_rule_name",
     HEAD + "rules:\n  - name: same\n    match: x\n  - name: same\n    match: y\n",
     [("same", 2, ["duplicate", "same"])]),
    ("bad_window_duration",
     HEAD + "windows: [10s, 1fortnight]\n",
     [("1fortnight", 1, ["1fortnight"])]),
]


def expected_prefixes(cfg, text, errors):
    out = []
    for needle, nth, words in errors:
        line, col = pos(text, needle, nth)
        out.append((f"{cfg}:{line}:{col}: ", words))
    return out


def check_messages(stderr, cfg, text, errors):
    lines = stderr.splitlines()
    for prefix, words in expected_prefixes(cfg, text, errors):
        hits = [ln for ln in lines if ln.startswith(prefix)]
        assert hits, f"no line starting {prefix!r} in:\n{stderr}"
        for w in words:
            assert any(w in h for h in hits), f"{w!r} not in {hits}"


@pytest.mark.parametrize("text,errors", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_reports_file_line_col(tmp_path, text, errors):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 2, (r.returncode, r.stderr)
    check_messages(r.stderr, cfg, text, errors)
    # Every line on stderr is one error in the FILE:LINE:COL: form.
    for ln in r.stderr.splitlines():
        assert re.match(rf"^{re.escape(str(cfg))}:\d+:\d+: \S", ln), ln
    assert b"ok" not in r.stdout


@pytest.mark.parametrize("text,errors", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_serve_refuses_to_start(tmp_path, text, errors):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    try:
        p = subprocess.run([WEIR_BIN, "serve", "-c", str(cfg)], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("weir serve kept running with a bad config")
    err = p.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(err)
    assert p.returncode == 2, (p.returncode, err)
    assert not LISTEN_RE.search(err), err
    check_messages(err, cfg, text, errors)


def test_check_accepts_a_good_config(tmp_path):
    log = tmp_path / "x.log"
    text = (HEAD + "windows: [10s, 1m, 5m, 1h]\n"
            f"sources:\n  - {{name: x, type: file, path: '{log}', start: end}}\n"
            "rules:\n  - name: a\n    match: 'error|fail(ed|ure)'\n    caseless: true\n"
            "  - {name: b, match: '^[0-9]{4}-[0-9]{2}', flags: [dotall]}\n"
            "  - name: c.d-e_f\n    match: '\\x00[^\\r]*$'\n"
            "tuning: {workers: 3, batch_size: 262144, max_line: 4096, tick_ms: 250}\n")
    cfg = tmp_path / "good.yaml"
    cfg.write_text(text)
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert re.fullmatch(rf"{re.escape(str(cfg))}: ok \(.*\)\n", out), out
    assert "3 rules" in out and "4 windows" in out and "1 source" in out, out
    assert r.stderr == ""


@pytest.mark.parametrize("cmd", ["check", "serve"])
def test_missing_config_file_is_named(tmp_path, cmd):
    cfg = tmp_path / "does-not-exist.yaml"
    r = run_weir(cmd, "-c", cfg, timeout=EXIT_TIMEOUT)
    assert r.returncode != 0
    assert str(cfg) in r.stderr, r.stderr
    assert not LISTEN_RE.search(r.stderr)


# ---------------------------------------------- listen: check and serve agree
#
# The top-level `listen:` is parsed and resolved once, when the config is
# loaded: what `weir check` accepts, `weir serve` binds (a host name
# included), and what one refuses the other refuses with the same message.

LISTEN_SERVE_RE = re.compile(r"http: listening on http://(\[[^\]]+\]|[^:/]+):(\d+)/")

# (listen value, the address a client reaches it on; None: both refuse it,
# with the message ending in the third element)
LISTEN_VALUES = [
    ("127.0.0.1:0", "127.0.0.1", None),
    ("localhost:0", "localhost", None),
    ("[::1]:0", "::1", None),
    ("*:0", None, "'*' is not a host name or an IP address; use 0.0.0.0 for all IPv4 "
                  "addresses, [::] for all IPv6 addresses"),
    ("0:0", None, "'0' is not an IPv4 address in dotted-decimal form, as in 127.0.0.1"),
    ("127.1:0", None, "'127.1' is not an IPv4 address in dotted-decimal form, as in 127.0.0.1"),
    ("[127.0.0.1]:0", None, "brackets are only for IPv6 addresses, e.g. [::1]:8080"),
    ("[fe80::1%nosuchif0]:0", None, "this host has no network interface 'nosuchif0'"),
    ("localhost:65536", None, "the port must be a number from 0 to 65535"),
    ("localhost", None, "expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"),
]


def serve_until_listening(cfg):
    """Start weir serve on cfg; returns (process, stderr path, match of its
    'listening on' line), or (process, path, None) if it exited first."""
    errp = cfg.with_suffix(".stderr")
    errf = open(errp, "wb")
    p = subprocess.Popen([WEIR_BIN, "serve", "-c", str(cfg)], stdin=subprocess.DEVNULL,
                         stdout=errf, stderr=errf)
    errf.close()
    poll(lambda: p.poll() is not None or LISTEN_SERVE_RE.search(errp.read_text()))
    return p, errp, LISTEN_SERVE_RE.search(errp.read_text())


@pytest.mark.parametrize("value,reach,why", LISTEN_VALUES, ids=[v[0] for v in LISTEN_VALUES])
def test_check_and_serve_agree_on_listen(tmp_path, value, reach, why):
    cfg = tmp_path / "weir.yaml"
    text = f"listen: {yq(value)}\nstate_dir: {yq(tmp_path / 'state')}\n"
    cfg.write_text(text)
    check = run_weir("check", "-c", cfg, timeout=EXIT_TIMEOUT)
    if reach is None:
        want = f"{cfg}:1:9: bad 'listen' value '{value}': {why}\n"
        assert check.returncode == 2 and check.stderr == want, (check.returncode, check.stderr)
        serve = run_weir("serve", "-c", cfg, timeout=EXIT_TIMEOUT)
        assert serve.returncode == 2 and serve.stderr == want, (serve.returncode, serve.stderr)
        return
    assert check.returncode == 0, check.stderr
    p, errp, m = serve_until_listening(cfg)
    try:
        assert m, f"weir serve did not listen on {value!r}:\n{errp.read_text()}"
        conn = http.client.HTTPConnection(reach, int(m.group(2)), timeout=DEADLINE)
        try:
            conn.request("GET", "/healthz")
            assert conn.getresponse().status == 200
        finally:
            conn.close()
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise
    err = errp.read_text()
    assert_no_sanitizer_report(err)
    assert rc == 0 and "stopped cleanly" in err, (rc, err)


# ------------------------------------------- every error of a config in one run
#
# A config with errors is still compiled, less the rules that have errors of
# their own, so one run reports the config's errors and every other rule's
# regex errors together: sorted by file (the config, then its includes in
# reading order), line and column.

ERR_LINE = re.compile(r"^(.*):(\d+):(\d+): (.*)$")


def parsed(stderr):
    """[(file, line, col, message)] of stderr; every line must be one error."""
    out = []
    for ln in stderr.splitlines():
        m = ERR_LINE.match(ln)
        assert m, f"not a FILE:LINE:COL: line: {ln!r}\n{stderr}"
        out.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
    return out


def expect_errors(stderr, files, expected):
    """expected: [(path, text, needle, nth, [words])], in the order weir must
    print them. Checks that stderr holds exactly these errors, in that order,
    which is sorted by (file in reading order, line, col)."""
    got = parsed(stderr)
    want = [(str(path), *pos(text, needle, nth)) for path, text, needle, nth, _ in expected]
    order = [str(f) for f in files]
    assert want == sorted(want, key=lambda w: (order.index(w[0]), w[1], w[2])), \
        "the test's own expectation is not sorted"
    assert [g[:3] for g in got] == want, f"\ngot:  {[g[:3] for g in got]}\nwant: {want}\n{stderr}"
    for g, (_, _, _, _, words) in zip(got, expected):
        for w in words:
            assert w in g[3], f"{w!r} not in {g}"


def run_config(cmd, cfg):
    """weir check|serve -c cfg; serve must refuse to start."""
    r = run_weir(cmd, "-c", cfg, timeout=EXIT_TIMEOUT)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert not LISTEN_RE.search(r.stderr), r.stderr
    assert r.stdout == b"", r.stdout
    return r


LONG = "n" * 40  # a group name PCRE2 refuses (at most 32); Hyperscan takes it


def mixed_config(tmp_path):
    """Two config errors in the config, one in an included file, and three
    regexes: one Hyperscan rejects (a backreference), one only PCRE2
    rejects (a rule reading a capture), one nobody can parse. Returns
    (files, expected errors in order)."""
    inc = tmp_path / "rules.d" / "extra.yaml"
    inc.parent.mkdir()
    inc_text = ("rules:\n"
                "  - name: inc_good\n    match: fine\n"
                "  - name: inc_syntax\n    match: 'a(b'\n"
                "  - name: inc_typo\n    match: x\n    top_kk: 3\n")
    inc.write_text(inc_text)
    cfg = tmp_path / "weir.yaml"
    text = (HEAD + "listen: 127.0.0.1:0\n"
            "include: [rules.d/extra.yaml]\n"
            "rules:\n"
            "  - name: good\n    match: 'error|fail'\n"
            "  - name: backref\n    match: '(a)\\1'\n"
            "  - name: broken_rule\n    match: '(b)\\1'\n    casless: true\n"
            f"  - name: capture\n    match: 'user=(?<{LONG}>\\S+)'\n    top: {LONG}\n"
            "  - name: good2\n    match: ok\n")
    cfg.write_text(text)
    expected = [
        (cfg, text, "listen", 2, ["duplicate key 'listen'"]),
        (cfg, text, "'(a)\\1'", 1, ["rule 'backref'", "(a)\\1"]),
        # broken_rule: its own error only; its regex (as bad) is not compiled
        (cfg, text, "casless", 1, ["unknown key 'casless'"]),
        (cfg, text, "'user=", 1, ["rule 'capture'", "PCRE2", LONG]),
        (inc, inc_text, "'a(b'", 1, ["rule 'inc_syntax'", "a(b"]),
        (inc, inc_text, "top_kk", 1, ["unknown key 'top_kk'"]),
    ]
    return [cfg, inc], expected


@pytest.mark.parametrize("cmd", ["check", "serve"])
def test_config_and_regex_errors_all_in_one_run_sorted(tmp_path, cmd):
    files, expected = mixed_config(tmp_path)
    r = run_config(cmd, files[0])
    expect_errors(r.stderr, files, expected)
    assert "broken_rule" not in r.stderr and "(b)" not in r.stderr, r.stderr


def test_only_regex_errors_all_reported_sorted(tmp_path):
    """Three bad regexes (two on one line of a flow sequence, sorted by
    column) and good rules around them: all three reported, none twice."""
    cfg = tmp_path / "weir.yaml"
    text = (HEAD + "rules:\n"
            "  - {name: ok1, match: abc}\n"
            "  - name: inverted\n    match: 'a{2,1}'\n"
            f"  - {{name: cap, match: '(?<{LONG}>x)', distinct: {LONG}}}\n"
            "  - {name: ok2, match: 'x+'}\n"
            "include: [more.yaml]\n")
    cfg.write_text(text)
    more = tmp_path / "more.yaml"
    more_text = "rules: [{name: ok3, match: y}, {name: backref, match: '(x)\\1'}, {name: open, match: '[z'}]\n"
    more.write_text(more_text)
    r = run_config("check", cfg)
    expect_errors(r.stderr, [cfg, more], [
        (cfg, text, "'a{2,1}'", 1, ["rule 'inverted'"]),
        (cfg, text, "'(?<", 1, ["rule 'cap'", "PCRE2"]),
        (more, more_text, "'(x)\\1'", 1, ["rule 'backref'"]),
        (more, more_text, "'[z'", 1, ["rule 'open'"]),
    ])


def test_yaml_syntax_error_in_include_still_compiles_the_rest(tmp_path):
    """An included file that is not YAML adds no rules, but the config's
    own regexes are still compiled and their errors reported with it."""
    inc = tmp_path / "bad.yaml"
    inc_text = "rules:\n  - name: b\n    match: [x\n"
    inc.write_text(inc_text)
    cfg = tmp_path / "weir.yaml"
    text = HEAD + "include: bad.yaml\nrules:\n  - name: a\n    match: '(a)\\1'\n"
    cfg.write_text(text)
    r = run_config("check", cfg)
    got = parsed(r.stderr)
    assert got[0][:3] == (str(cfg), *pos(text, "'(a)\\1'")), r.stderr
    assert "rule 'a'" in got[0][3]
    assert len(got) >= 2 and all(g[0] == str(inc) for g in got[1:]), r.stderr
    assert (str(inc), *pos(inc_text, "[")) in [g[:3] for g in got], r.stderr


def test_a_regex_in_a_broken_rule_is_not_compiled(tmp_path):
    """Only the rule's own error: its regex would fail too, but a rule
    whose definition is broken is left out of compiling."""
    cfg = tmp_path / "weir.yaml"
    text = HEAD + "rules:\n  - name: r\n    match: '(a)\\1'\n    flags: [nocase]\n"
    cfg.write_text(text)
    r = run_config("check", cfg)
    assert [g[:3] for g in parsed(r.stderr)] == [(str(cfg), *pos(text, "nocase"))], r.stderr


def test_reload_refuses_with_every_error_sorted(weir, tmp_path):
    """POST /api/v1/reload answers 422 with the same errors as weir check,
    in the same order, and the running rules stay."""
    log = tmp_path / "in.log"
    log.write_text("error one\n")
    d = weir.start(sources=[dict(name="s", path=log)], rules=[dict(name="err", match="error")],
                   http="{unauthenticated_writes: true}")
    d.poll_snapshot(lambda s: totals(s).get("err") == 1)
    files, expected = mixed_config(tmp_path)  # overwrites the daemon's weir.yaml
    assert files[0] == d.cfg_path
    status, _, raw = d.request("/api/v1/reload", method="POST")
    assert status == 422, raw
    msg = json.loads(raw)["error"]["message"]
    expect_errors(msg, files, expected)
    assert totals(d.snapshot()) == {"err": 1}


def test_yaml_directives_are_refused_at_their_line(tmp_path):
    """A line starting with '%' (a YAML directive) is an error at its place,
    refused before the YAML parser sees the text (a config needs none; the
    parser weir used before libyaml looped forever on some malformed ones:
    found by tests/fuzz/fuzz_config.c)."""
    cfg = tmp_path / "weir.yaml"
    cfg.write_text("%YAML 1.2\n---\nrules: []\n%TAG ! tag:x\n")
    r = run_weir("check", "-c", cfg, timeout=10)
    assert r.returncode == 2
    assert r.stderr == (f"{cfg}:1:1: YAML directives (%YAML, %TAG) are not supported\n"
                        f"{cfg}:4:1: YAML directives (%YAML, %TAG) are not supported\n"), r.stderr


@pytest.mark.parametrize("text,line", [
    (b"rules: []\r%TAG ! x\r", 2),               # CR alone (old Mac)
    (b"rules: []\r\n\r\n%YAML 1.2\r\n", 3),        # CRLF counts once
    (b"\xef\xbb\xbf%YAML 1.2\nrules: []\n", 1),     # after a byte order mark
    (b"rules: []\xc2\x85%TAG ! x\n", 2),           # NEL
    (b"rules: []\xe2\x80\xa8%TAG ! x\n", 2),       # LS
])
def test_yaml_directives_are_refused_after_every_line_break(tmp_path, text, line):
    """YAML 1.1 (libyaml) starts a line after CR, NEL, LS and PS too: a
    directive there is refused like one after LF (fuzz_config found one
    after CR that hung the parser weir used before)."""
    cfg = tmp_path / "weir.yaml"
    cfg.write_bytes(text)
    r = run_weir("check", "-c", cfg, timeout=10)
    assert r.returncode == 2
    assert r.stderr == f"{cfg}:{line}:1: YAML directives (%YAML, %TAG) are not supported\n", \
        r.stderr


@pytest.mark.parametrize("text,place,byte", [
    (b"? ::\t\x00", "1:6", 0x00),              # crashed the former parser (fuzz_config)
    (b"rules: []\nx: \"a\x01b\"\n", "2:6", 0x01),
    (b"rules: []\r\nx: y\x7f\r\n", "2:5", 0x7f),    # DEL
    (b"x: \x1b[31m\nrules: [\x00]\n", "1:4", 0x1b),  # the first one only
])
def test_control_characters_are_refused_at_their_place(tmp_path, text, place, byte):
    """YAML allows no C0 control character but tab and line breaks: the
    first one is an error at its place, before the YAML parser sees the text."""
    cfg = tmp_path / "weir.yaml"
    cfg.write_bytes(text)
    r = run_weir("check", "-c", cfg, timeout=10)
    assert r.returncode == 2
    assert r.stderr == (f"{cfg}:{place}: control character 0x{byte:02x} is not allowed in "
                        "YAML (only tab and line breaks are)\n"), r.stderr
